"""Which articles the list shows (``V`` in the app cycles through these): all of them, the
reviewer's queue, the unfinished ones, those with their flags or notes, and those where
reviewers disagree (for leads).  Textual-free; the app keeps the list's order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.session import Session

FILTERS: tuple[str, ...] = ("all", "queue", "unfinished", "flagged", "notes", "disputed")
SHOWN = {"all": "all articles", "queue": "your queue", "unfinished": "unfinished", "flagged": "with your flags",
         "notes": "with your notes", "disputed": "disputed (reviewers disagree)"}


def next_filter(name: str) -> str:
    return FILTERS[(FILTERS.index(name) + 1) % len(FILTERS)] if name in FILTERS else FILTERS[0]


def matching(session: Session, name: str) -> list[int]:
    """The indices (in the session's order) of the articles the filter ``name`` keeps."""
    s = session
    n = len(s.infos)
    if name == "queue":
        return list(range(s.queue_size))
    if name == "unfinished":
        return [i for i in range(n) if not s.is_done(i)]
    if name in ("flagged", "notes"):
        marks = s.db.article_note_counts(s.annotator)
        k = 1 if name == "flagged" else 0
        return [i for i, info in enumerate(s.infos) if marks.get(info.id, (0, 0))[k] > 0]
    if name == "disputed":
        return [i for i, info in enumerate(s.infos) if _disputed(s, info.id)]
    return list(range(n))


def _disputed(s: Session, article_id: str) -> bool:
    """Two reviewers' labels differ on a sentence that has no final label yet."""
    try:
        labels = s.db.labels(article_id)
        if len({lab.annotator for lab in labels}) < 2:
            return False
        decided = {(d.start, d.end) for d in s.db.decisions(article_id)}
    except AnnotatorError:
        return False
    seen: dict[tuple[int, int], str] = {}
    for lab in labels:
        key = (lab.start, lab.end)
        if key in decided:
            continue
        if seen.setdefault(key, lab.label) != lab.label:
            return True
    return False
