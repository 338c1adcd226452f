"""What every reader of another tool's file gives the importer, and the rules they share.

A reader turns one record (a JSONL line, a task of a JSON array) into a ``Found``: the
text, and each label as a ``Proposed`` span.  Nothing here knows the article's sentences:
the importer matches spans to sentences when it applies the import, against the
database's own segmentation when the article is there already.  A label that cannot be
imported is never dropped quietly: it is counted with its reason (``problems``), and what
the tool itself set aside (a rejected task) is counted as a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypeGuard

# The stamp of a label whose file has no time: before any decision made in annotator, so
# importing the same file again changes nothing and a real decision made later wins.
EARLY_STAMP = "1970-01-01T00:00:00.000Z"

# Why a label was not imported (the report counts each, per file).
PART_OF_SENTENCE = "covers part of a sentence"
NOT_A_SENTENCE = "not one of the article's sentences"
OUTSIDE = "offsets outside the text"
ONLY_SPACE = "covers only whitespace"
TEXT_DIFFERS = "the span's text is not the text at its offsets"
UNKNOWN_ARTICLE = "article not in this database; import its text first"
SAME_KEY = "one of several different labels for one sentence by one reviewer; keep one"
SAME_FINAL = "one of several different final labels for one sentence; keep one"
LABEL_CUT = 40  # characters of a label name shown in a reason


def spans_reason(n: int) -> str:
    return f"spans {n} sentences"


def whole_text_reason(n: int) -> str:
    return f"a label for a whole text of {n} sentences"


def shown_label(name: str) -> str:
    """A label name for a reason, cut short (a file may hold a name of any length)."""
    return name if len(name) <= LABEL_CUT else name[: LABEL_CUT - 1] + "…"


@dataclass(frozen=True, slots=True)
class Context:
    file: str  # the file, as the report names it (made safe already)
    reviewer: str  # the importing reviewer: the name on labels whose file names no one


@dataclass(frozen=True, slots=True)
class Proposed:
    """A label as a file gives it: offsets into the record's text, not yet a sentence."""

    start: int
    end: int
    label: str
    annotator: str  # for a final label: who decided it
    updated_at: str
    tick: int = 0
    file: str = ""
    whole: bool = False  # a label for the whole text (text classification)
    exact: bool = False  # our own export: the offsets are a sentence as stored, no tolerance
    text: str | None = None  # the text the file says is at the offsets, when it says
    final: bool = False  # an adjudicated final label (our gold export)
    reason: str = ""
    votes: tuple[tuple[str, str], ...] = ()
    # Provenance (see ``annotator.provenance``), when the file says where the label came from.
    source: str = ""
    score: float | None = None
    suggested: str = ""


@dataclass(slots=True)
class Found:
    """One record of another tool's file: the text and its labels."""

    text: str
    labels: list[Proposed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one reason per label that cannot be imported
    notes: list[str] = field(default_factory=list)  # one per thing the tool set aside (a note template)
    consumed: frozenset[str] = frozenset()  # keys read as labels: not kept in the article's meta
    meta: dict[str, Any] = field(default_factory=dict)  # more of the record to keep in meta


@dataclass(slots=True)
class Loose:
    """Labels of an article named only by its id (our ``sentences`` export): attached when
    the import is applied, to the article in the database or in the same import."""

    ref: str  # the article id as the file writes it (bare or prefixed)
    file: str
    labels: list[Proposed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The row's reviewer's note and flag: (start, end, annotator, note, flag), when it has either.
    marks: list[tuple[int, int, str, str, bool]] = field(default_factory=list)


def is_int(value: object) -> TypeGuard[int]:
    """An integer, not a bool (``true`` is no offset)."""
    return type(value) is int


def iso_time(value: object) -> str | None:
    """An ISO time in any offset or precision as annotator writes it (UTC, milliseconds, Z);
    a time without an offset is taken as UTC.  None if it is no ISO time."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    t = t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_time(value: object) -> str | None:
    """Seconds since 1970 (Prodigy's ``_timestamp``) as an ISO time; None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 253402300800:
        return None
    t = datetime.fromtimestamp(value, timezone.utc)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant(updated_at: str) -> datetime:
    """For ordering: the time of an ``updated_at`` (earliest if it is none)."""
    try:
        t = datetime.fromisoformat(updated_at)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def whole_text(text: str, label: str, who: str, when: str, ctx: Context) -> Proposed:
    return Proposed(0, len(text), label, who, when, file=ctx.file, whole=True)


def kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON object"


def with_provenance(p: Proposed, prov: tuple[str, float | None, str] | None) -> Proposed:
    """``p`` with the provenance its file gives (None: none)."""
    if prov is None:
        return p
    return replace(p, source=prov[0], score=prov[1], suggested=prov[2])


def marks(entries: object) -> dict[tuple[int, int], tuple[str, float | None, str]] | None:
    """Our exports' list of ``{start, end, source, score, suggested}`` (a doccano row's or a
    Label Studio task's ``provenance``) by span; None if it is not that list."""
    from annotator import provenance

    if not isinstance(entries, list):
        return None
    out = {}
    for x in entries:
        prov = provenance.read(x) if isinstance(x, dict) else None
        if prov is None or not (is_int(x.get("start")) and is_int(x.get("end"))):
            return None
        out[(x["start"], x["end"])] = prov
    return out


def trio(obj: object) -> tuple[str, float | None, str] | None:
    """The provenance a one-sentence task of ours gives as three keys (all present, sound)."""
    from annotator import provenance

    if not isinstance(obj, dict) or not all(k in obj for k in provenance.PROVENANCE_KEYS):
        return None
    return provenance.read(obj)
