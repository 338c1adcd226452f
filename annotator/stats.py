"""Project progress figures, computed from the storage's label counts (no text loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from annotator.provenance import ACCEPTED, CHANGED, OUTCOMES, REJECTED
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database


@dataclass(slots=True)
class AnnotatorStats:
    name: str
    labeled: int
    per_label: dict[str, int]
    articles_done: int
    # Their queue from `annotator assign`: articles and sentences dealt to them, and how far they are.
    assigned_articles: int = 0
    assigned_done: int = 0
    assigned_sentences: int = 0
    assigned_labeled: int = 0
    # Sentences they flagged as unsure, and sentences they left a note on (retired ones aside).
    flagged: int = 0
    noted: int = 0
    # Their labels where a suggestion was shown: accepted, changed, rejected (all suggesters).
    suggestions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / (accepted + changed + rejected); None before any suggestion was decided."""
        n = sum(self.suggestions.values())
        return self.suggestions[ACCEPTED] / n if n else None

    @property
    def anchoring(self) -> bool:
        """Accepts nearly every suggestion, over enough decisions to tell."""
        rate = self.acceptance_rate
        return rate is not None and rate > ANCHORING_RATE and sum(self.suggestions.values()) >= ANCHORING_MIN


# A reviewer who accepts more than this share of at least this many suggestions may be
# anchored by them (deciding what the suggester said rather than what the sentence says).
ANCHORING_RATE = 0.95
ANCHORING_MIN = 20
ANCHORING_NOTE = "anchoring? accepts nearly every suggestion"


@dataclass(slots=True)
class SuggesterStats:
    """What the reviewers did with one suggester's suggestions (see ``provenance.outcomes``)."""

    name: str
    accepted: int = 0
    changed: int = 0
    rejected: int = 0


@dataclass(slots=True)
class Stats:
    articles: int
    sentences: int
    labels: int
    per_label: dict[str, int]
    annotators: list[AnnotatorStats]
    assigned: bool = False  # the work was dealt with `annotator assign`
    unassigned_articles: int = 0
    suggesters: list[SuggesterStats] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "sentences": self.sentences,
            "labels": self.labels,
            "per_label": self.per_label,
            "annotators": [
                {
                    "name": a.name,
                    "labeled_sentences": a.labeled,
                    "progress": round(a.labeled / self.sentences, 4) if self.sentences else 0.0,
                    "articles_done": a.articles_done,
                    "per_label": a.per_label,
                    "flagged": a.flagged,
                    "notes": a.noted,
                    "assigned": {
                        "articles": a.assigned_articles,
                        "articles_done": a.assigned_done,
                        "sentences": a.assigned_sentences,
                        "labeled_sentences": a.assigned_labeled,
                    },
                    "suggestions": {
                        **a.suggestions,
                        "acceptance_rate": None if a.acceptance_rate is None else round(a.acceptance_rate, 4),
                        "anchoring": a.anchoring,
                    },
                }
                for a in self.annotators
            ],
            "assigned": self.assigned,
            "unassigned_articles": self.unassigned_articles,
            "suggesters": [{"name": g.name, ACCEPTED: g.accepted, CHANGED: g.changed, REJECTED: g.rejected}
                           for g in self.suggesters],
        }


def compute(db: Database, extra_annotator: str | None = None) -> Stats:
    """``extra_annotator`` (the current user) is listed even before their first label."""
    infos = db.article_infos()
    names = list(db.scheme.ids)
    total_sentences = sum(i.n_sentences for i in infos)
    overall: dict[str, int] = dict.fromkeys(names, 0)
    for counts in db.label_counts().values():
        for label, n in counts.items():
            overall[label] = overall.get(label, 0) + n
    assigned = any(i.assigned for i in infos)
    marks = db.note_counts()
    who = sorted({*db.annotators(), *(n for i in infos for n in i.assigned), *marks})
    if extra_annotator and extra_annotator not in who:
        who = sorted([*who, extra_annotator])
    people: list[AnnotatorStats] = []
    for name in who:
        per_article = db.label_counts(name)
        per_label: dict[str, int] = dict.fromkeys(names, 0)
        done = a_articles = a_done = a_sentences = a_labeled = 0
        for info in infos:
            counts = per_article.get(info.id, {})
            n = sum(counts.values())
            finished = bool(info.n_sentences) and n >= info.n_sentences
            done += finished
            if name in info.assigned:
                a_articles += 1
                a_done += finished
                a_sentences += info.n_sentences
                a_labeled += min(n, info.n_sentences)
            for label, c in counts.items():
                per_label[label] = per_label.get(label, 0) + c
        noted, flagged = marks.get(name, (0, 0))
        people.append(AnnotatorStats(name, sum(per_label.values()), _named(db, per_label), done,
                                     a_articles, a_done, a_sentences, a_labeled, flagged, noted))
    unassigned = sum(1 for i in infos if not i.assigned) if assigned else 0
    by_name = {a.name: a for a in people}
    suggesters: dict[str, SuggesterStats] = {}
    for (reviewer, name, outcome), n in sorted(db.suggestion_counts().items()):
        g = suggesters.setdefault(name, SuggesterStats(name))
        setattr(g, outcome, getattr(g, outcome) + n)
        if reviewer in by_name:
            by_name[reviewer].suggestions[outcome] += n
    return Stats(len(infos), total_sentences, sum(overall.values()), _named(db, overall), people, assigned,
                 unassigned, sorted(suggesters.values(), key=lambda g: g.name))


def _named(db: Database, counts: dict[str, int]) -> dict[str, int]:
    """Counts by stored label id, keyed by the names the scheme gives them now (skip as skip:
    a sentence skipped is decided, so it counts toward progress)."""
    return {db.scheme.name_of(k): v for k, v in counts.items()}


def format_text(stats: Stats, db_path: str) -> str:
    def pct(n: int, d: int) -> str:
        return f"{100 * n / d:.0f}%" if d else "0%"

    lines = [
        f"Database:   {sanitize_line(db_path)}",
        f"Articles:   {stats.articles}",
        f"Sentences:  {stats.sentences}",
        f"Labels:     {stats.labels}" + ("  (" + ", ".join(f"{sanitize_line(k)} {v}" for k, v in stats.per_label.items()) + ")" if stats.labels else ""),
    ]
    if stats.annotators:
        lines.append("By annotator:")
        width = max(len(sanitize_line(a.name)) for a in stats.annotators)
        for a in stats.annotators:
            per = ", ".join(f"{sanitize_line(k)} {v}" for k, v in a.per_label.items())
            lines.append(
                f"  {sanitize_line(a.name):<{width}}  {a.labeled}/{stats.sentences} sentences labeled ({pct(a.labeled, stats.sentences)}),"
                f" {a.articles_done}/{stats.articles} articles done; {per}"
                + (f"; {a.flagged} flagged unsure, {a.noted} with a note" if a.flagged or a.noted else "")
            )
    if stats.assigned:
        lines.append("Assigned work (annotator assign):")
        width = max(len(sanitize_line(a.name)) for a in stats.annotators)
        for a in stats.annotators:
            if not a.assigned_articles:
                lines.append(f"  {sanitize_line(a.name):<{width}}  nothing assigned")
                continue
            lines.append(
                f"  {sanitize_line(a.name):<{width}}  {a.assigned_done}/{a.assigned_articles} articles done, "
                f"{a.assigned_labeled}/{a.assigned_sentences} sentences labeled "
                f"({pct(a.assigned_labeled, a.assigned_sentences)})"
            )
        if stats.unassigned_articles:
            lines.append(f"  {stats.unassigned_articles} article(s) not assigned yet; run `annotator assign` again "
                         f"to deal them")
    if stats.suggesters:
        lines.append("Suggestions (labels where a reviewer saw one):")
        width = max(len(sanitize_line(g.name)) for g in stats.suggesters)
        for g in stats.suggesters:
            lines.append(f"  {sanitize_line(g.name):<{width}}  {g.accepted} accepted, {g.changed} changed, "
                         f"{g.rejected} rejected (skip)")
        lines.append("Acceptance by reviewer:")
        deciders = [a for a in stats.annotators if a.acceptance_rate is not None]
        width = max((len(sanitize_line(a.name)) for a in deciders), default=0)
        for a in deciders:
            n = sum(a.suggestions.values())
            note = f"  {ANCHORING_NOTE}" if a.anchoring else ""
            lines.append(f"  {sanitize_line(a.name):<{width}}  {a.suggestions[ACCEPTED]}/{n} accepted "
                         f"({pct(a.suggestions[ACCEPTED], n)}){note}")
    return "\n".join(lines)
