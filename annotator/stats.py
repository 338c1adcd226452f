"""Project progress figures, computed from the storage's label counts (no text loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from statistics import median
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
    pace: Pace | None = None  # from the labels' history (compute(..., pace=True))

    @property
    def has_work(self) -> bool:
        return bool(self.labeled or self.assigned_articles or self.flagged or self.noted)

    def progress(self, all_sentences: int) -> tuple[int, int]:
        """(decided, out of): against their assignment when they have one, else every sentence."""
        if self.assigned_sentences:
            return self.assigned_labeled, self.assigned_sentences
        return min(self.labeled, all_sentences), all_sentences

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
    you: str = ""  # whoever asked (listed among the reviewers only with work of their own)

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
                    # against their assignment when they have one (progress_of says which), else all sentences
                    "progress": round(a.progress(self.sentences)[0] / a.progress(self.sentences)[1], 4)
                    if a.progress(self.sentences)[1] else 0.0,
                    "progress_of": "assignment" if a.assigned_sentences else "all sentences",
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
                    "pace": None if a.pace is None else a.pace.to_json(),
                }
                for a in self.annotators
            ],
            "assigned": self.assigned,
            "unassigned_articles": self.unassigned_articles,
            "suggesters": [{"name": g.name, ACCEPTED: g.accepted, CHANGED: g.changed, REJECTED: g.rejected}
                           for g in self.suggesters],
            "you": self.you,
            "pace_settings": {"session_gap_seconds": SESSION_GAP_SECONDS, "rush_run": RUSH_RUN,
                              "rush_seconds": RUSH_SECONDS},
        }



# ----------------------------------------------------------------------------- pace

# A reviewer's decisions (labels, skips included) in time order, from the labels' history: a
# gap longer than this ends a session (a break), and is not counted as time spent deciding.
SESSION_GAP_SECONDS = 600.0
# This many identical labels in a row, each decided less than this long after the one before,
# suggest labeling without reading.
RUSH_RUN = 15
RUSH_SECONDS = 1.5
RUSHING_NOTE = "rushing? runs of identical labels decided in under 1.5 s each"


@dataclass(frozen=True, slots=True)
class Stamp:
    """One decision of one reviewer: when, what label (its name), on which article."""

    at: datetime
    label: str
    article_id: str = ""


@dataclass(slots=True)
class RushRun:
    label: str
    length: int
    article_id: str
    start: str  # ISO time of the run's first decision
    end: str

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "length": self.length, "article_id": self.article_id,
                "start": self.start, "end": self.end}


@dataclass(slots=True)
class Pace:
    """How fast a reviewer decides: sessions (gaps over ``SESSION_GAP_SECONDS`` split them), the
    time between one decision and the next within a session, and runs that look rushed."""

    decisions: int = 0
    sessions: int = 0
    active_seconds: float = 0.0  # the gaps within sessions, added up
    median_seconds: float | None = None  # per decision (the gap before it, within a session)
    rushed: list[RushRun] = field(default_factory=list)

    timed: int = 0  # decisions with a gap before them in the same session

    @property
    def per_hour(self) -> float | None:
        timed = self.timed
        return timed * 3600.0 / self.active_seconds if timed and self.active_seconds > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "sessions": self.sessions,
            "active_seconds": round(self.active_seconds, 3),
            "timed_decisions": self.timed,
            "decisions_per_hour": None if self.per_hour is None else round(self.per_hour, 1),
            "median_seconds_per_decision": None if self.median_seconds is None else round(self.median_seconds, 3),
            "rushing": bool(self.rushed),
            "rushed_runs": [r.to_json() for r in self.rushed],
        }


def pace(stamps: list[Stamp], *, session_gap: float = SESSION_GAP_SECONDS, rush_run: int = RUSH_RUN,
         rush_seconds: float = RUSH_SECONDS) -> Pace:
    """A reviewer's pace from their decisions' stamps (any order).

    Decisions stamped at the very same instant as the one before were written together (an
    import, a merge), not made by hand: they are counted but neither timed nor part of a run."""
    ordered = sorted(stamps, key=lambda x: x.at)
    out = Pace(decisions=len(ordered))
    if not ordered:
        return out
    gaps: list[float] = []
    out.sessions = 1
    run: list[Stamp] = [ordered[0]]

    def close_run() -> None:
        if len(run) >= rush_run:
            out.rushed.append(RushRun(run[0].label, len(run), run[0].article_id, _iso(run[0].at), _iso(run[-1].at)))

    for prev, cur in zip(ordered, ordered[1:]):
        gap = (cur.at - prev.at).total_seconds()
        if gap > session_gap:
            out.sessions += 1
        elif gap > 0:
            gaps.append(gap)
        if gap > 0 and gap < rush_seconds and cur.label == prev.label and run[-1] is prev:
            run.append(cur)
        else:
            close_run()
            run = [cur]
    close_run()
    out.timed = len(gaps)
    out.active_seconds = sum(gaps)
    out.median_seconds = median(gaps) if gaps else None
    return out


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decision_stamps(db: Database) -> dict[str, list[Stamp]]:
    """reviewer -> their decisions (label events, skips included) from every article's history;
    an article whose labels file cannot be read is left out (``annotator verify`` names it)."""
    from annotator.errors import AnnotatorError
    from annotator.storage.records import when

    out: dict[str, list[Stamp]] = {}
    for info in db.article_infos():
        try:
            events = db.history(info.id)
        except AnnotatorError:
            continue
        for e in events:
            if e.op != "label" or e.label is None:
                continue
            t = when(e.updated_at)
            if t.year < 1971:  # no time on it
                continue
            out.setdefault(e.who, []).append(Stamp(t, db.scheme.name_of(e.label), info.id))
    return out


def compute(db: Database, extra_annotator: str | None = None, *, with_pace: bool = True) -> Stats:
    """Reviewers with work only (labels, an assignment, notes or flags); ``extra_annotator`` (whoever
    asks) is named in ``you`` and listed only with work of their own.  ``with_pace`` reads every
    article's history for the decisions' stamps (``pace``)."""
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
    people = [a for a in people if a.has_work]
    if with_pace:
        stamps = decision_stamps(db)
        for a in people:
            a.pace = pace(stamps.get(a.name, []))
    unassigned = sum(1 for i in infos if not i.assigned) if assigned else 0
    by_name = {a.name: a for a in people}
    suggesters: dict[str, SuggesterStats] = {}
    for (reviewer, name, outcome), n in sorted(db.suggestion_counts().items()):
        g = suggesters.setdefault(name, SuggesterStats(name))
        setattr(g, outcome, getattr(g, outcome) + n)
        if reviewer in by_name:
            by_name[reviewer].suggestions[outcome] += n
    return Stats(len(infos), total_sentences, sum(overall.values()), _named(db, overall), people, assigned,
                 unassigned, sorted(suggesters.values(), key=lambda g: g.name), extra_annotator or "")


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
            done, of = a.progress(stats.sentences)
            if a.assigned_sentences:
                progress = (f"{done}/{of} of their assigned sentences labeled ({pct(done, of)}), "
                            f"{a.labeled} labels in all")
            else:
                progress = f"{a.labeled}/{stats.sentences} sentences labeled ({pct(a.labeled, stats.sentences)})"
            lines.append(
                f"  {sanitize_line(a.name):<{width}}  {progress},"
                f" {a.articles_done}/{stats.articles} articles done; {per}"
                + (f"; {a.flagged} flagged unsure, {a.noted} with a note" if a.flagged or a.noted else "")
            )
    else:
        lines.append("By annotator: no work yet")
    if stats.you and stats.you not in {a.name for a in stats.annotators}:
        lines.append(f"  ({sanitize_line(stats.you)}: no labels, notes or assignment of yours here yet)")
    paced = [a for a in stats.annotators if a.pace is not None and a.pace.decisions]
    if paced:
        lines.append(f"Pace (sessions split at gaps over {SESSION_GAP_SECONDS / 60:.0f} min):")
        width = max(len(sanitize_line(a.name)) for a in paced)
        for a in paced:
            p = a.pace
            assert p is not None
            rate = "-" if p.per_hour is None else f"{p.per_hour:,.0f}"
            med = "-" if p.median_seconds is None else f"{p.median_seconds:.1f} s"
            line = (f"  {sanitize_line(a.name):<{width}}  {p.decisions} decisions in {p.sessions} session(s), "
                    f"{rate} per hour, median {med} per decision")
            if p.rushed:
                longest = max(p.rushed, key=lambda r: r.length)
                line += (f"  {RUSHING_NOTE}: {len(p.rushed)} run(s), longest {longest.length} x "
                         f"{sanitize_line(longest.label)} at {longest.start}")
            lines.append(line)
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


# ----------------------------------------------------------------------------- charts

BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar ``width`` cells long at ``top``, in eighths of a cell (block characters)."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(min(value / top, 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _rows(title: str, rows: list[tuple[str, float, str]], width: int) -> list[str]:
    if not rows:
        return []
    name_w = max(len(n) for n, _, _ in rows)
    top = max(v for _, v, _ in rows)
    return [title] + [f"  {n:<{name_w}}  {bar(v, top, width):<{width}}  {text}" for n, v, text in rows]


def chart_lines(stats: Stats, width: int = BAR_WIDTH) -> list[str]:
    """The figures as bar charts: progress against each reviewer's assignment, labels per label
    and per reviewer, decisions per hour and median seconds per decision."""
    people = stats.annotators
    names = {a.name: sanitize_line(a.name) for a in people}
    sections: list[list[str]] = []
    progress = []
    for a in people:
        done, of = a.progress(stats.sentences)
        share = done / of if of else 0.0
        progress.append((names[a.name], share, f"{100 * share:.0f}% ({done}/{of}"
                         + (" assigned)" if a.assigned_sentences else ")")))
    if progress:
        # progress bars are out of 100%, not out of the best reviewer
        name_w = max(len(n) for n, _, _ in progress)
        sections.append(["Progress (against each reviewer's assignment, else all sentences)"]
                        + [f"  {n:<{name_w}}  {bar(v, 1.0, width):<{width}}  {t}" for n, v, t in progress])
    sections.append(_rows("Labels (all reviewers)",
                          [(sanitize_line(k), v, str(v)) for k, v in stats.per_label.items() if v], width))
    for a in people:
        sections.append(_rows(f"Labels by {names[a.name]}",
                              [(sanitize_line(k), v, str(v)) for k, v in a.per_label.items() if v], width))
    paced = [a for a in people if a.pace is not None and a.pace.per_hour is not None]
    sections.append(_rows("Decisions per hour (within sessions)",
                          [(names[a.name], a.pace.per_hour or 0.0, f"{a.pace.per_hour or 0:,.0f}"
                            + ("  rushing?" if a.pace.rushed else ""))
                           for a in paced if a.pace is not None], width))
    sections.append(_rows("Median seconds per decision",
                          [(names[a.name], a.pace.median_seconds or 0.0, f"{a.pace.median_seconds or 0:.1f} s")
                           for a in paced if a.pace is not None], width))
    out: list[str] = []
    for section in sections:
        if section:
            out += ([""] if out else []) + section
    return out or ["Nothing to chart yet: no reviewer has work."]
