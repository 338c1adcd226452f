"""Project progress figures, computed from the storage's label counts (no text loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


@dataclass(slots=True)
class Stats:
    articles: int
    sentences: int
    labels: int
    per_label: dict[str, int]
    annotators: list[AnnotatorStats]
    assigned: bool = False  # the work was dealt with `annotator assign`
    unassigned_articles: int = 0

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
                }
                for a in self.annotators
            ],
            "assigned": self.assigned,
            "unassigned_articles": self.unassigned_articles,
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
    return Stats(len(infos), total_sentences, sum(overall.values()), _named(db, overall), people, assigned,
                 unassigned)


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
    return "\n".join(lines)
