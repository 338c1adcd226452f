"""Domain types shared by every part of annotator (no I/O, no Textual).

Offsets are half-open ``[start, end)`` in Unicode code points of the stored text, so
``text[start:end]`` is always exactly the sentence.  A label points at its sentence by
offsets, not by index, so that a later fix of a sentence split leaves every other
label attached to the right text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

SCHEMA_VERSION = 6  # the database's files (3: labels files may hold segmentation decisions and retired labels;
# 4: an article's file may be a pack of many, named in its index row; 5: labels and their history may
# carry provenance, which an older annotator would drop on its next write of the file; 6: labels
# files may hold notes and flags)
SEGMENTATION_SCHEMA = 3
PACKS_SCHEMA = 4
PROVENANCE_SCHEMA = 5
NOTES_SCHEMA = 6
# The exports' shape.  6: every label (``spans``, ``skipped``, ``retired``, ``history`` entries and
# sentence rows) carries its provenance: ``source``, ``score``, ``suggested`` (see ``Label``); an
# article record lists its reviewers' notes and flags (``notes``, and ``retired_notes`` for those on
# a sentence split or joined since); a sentence row has ``note`` and ``flag`` (its reviewer's).
# 5: an article record lists its retired labels (``retired``: their
# sentence was split or joined), its segmentation decisions (``segmentation``) and its skip
# decisions (``skipped``); 4: a jsonl article record carries its lists of decisions as JSON
# strings, so a loader that types columns from the first rows (``datasets``) reads any size;
# 3: every row has the same keys with the same types (no nulls, meta as a JSON string,
# exported ids prefixed so no loader reads them as numbers); 2 added stamps and histories.
# Every earlier version still imports.
EXPORT_SCHEMA_VERSION = 6
EXPORT_ID_PREFIX = "art_"
# The article record's lists that may be empty for thousands of rows and then hold records:
# `datasets` types a JSON Lines column from the file's first 10 MB, so an empty list there
# (typed null) makes every later record fail to load.  jsonl writes them as JSON strings,
# typed the same on every row; the json array, read whole, keeps them nested.
PACKED = ("spans", "final", "cleared", "final_cleared", "skipped", "history", "retired", "segmentation",
          "notes", "retired_notes")


def export_id(article_id: str) -> str:
    """An article id as exports write it: pandas reads a bare "145e461983636947" as a float."""
    return EXPORT_ID_PREFIX + article_id


def internal_id(exported: str) -> str:
    """The article id an export names, prefixed (schema 3) or bare (older exports)."""
    return exported[len(EXPORT_ID_PREFIX):] if exported.startswith(EXPORT_ID_PREFIX) else exported
PREVIEW_CHARS = 80


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Article:
    """An imported article: its exact text and its sentence segmentation."""

    id: str
    title: str
    text: str
    sentences: tuple[Span, ...]
    sources: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """What the article list needs, without the text (cheap to load for thousands)."""

    id: str
    seq: int
    title: str
    n_sentences: int
    sources: tuple[str, ...] = ()
    # The text's opening words, so an untitled article can be listed without reading its
    # file; "" for articles imported before previews were stored (load the text then).
    preview: str = ""
    # Reviewers this article is dealt to by `annotator assign` (their queue); () if unassigned.
    assigned: tuple[str, ...] = ()


def text_preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The first ``limit`` characters of ``text`` with every whitespace run made one space."""
    size = limit * 4
    while True:
        # Collapsing a prefix gives a prefix of the collapsed whole, so a long article is
        # never split in full just to keep its first words.
        words = " ".join(text[:size].split())
        if len(words) >= limit or size >= len(text):
            return words[:limit].rstrip()
        size *= 4


@dataclass(frozen=True, slots=True)
class Label:
    """One annotator's decision on one sentence."""

    article_id: str
    start: int
    end: int
    label: str
    annotator: str
    updated_at: str
    # With ``updated_at``, the decision's stamp (a hybrid logical clock): a decision is stamped
    # after every decision its machine had seen for the same sentence and reviewer, so a
    # fast or slow wall clock never lets an older decision win.
    tick: int = 0
    # Provenance.  ``source``: "" when the reviewer chose the label, ``suggestion:<name>`` when
    # they accepted a suggester's suggestion, whose ``score`` (0..1) it keeps.  ``suggested``:
    # the suggestion (``<name>:<label>``) the reviewer saw there and chose against ("" if none).
    source: str = ""
    score: float | None = None
    suggested: str = ""


SUGGESTION_SOURCE = "suggestion:"

NOTE_MAX_CHARS = 500
_NOTE_SPACE = re.compile(r"\s")


def note_line(text: str) -> str:
    """``text`` as one line of printable characters: each whitespace character (a line break, a
    tab) made a space, every other character that is no printable one (ESC, BEL, DEL, C1
    controls, bidi and zero-width marks, lone surrogates) left out."""
    if text.isprintable():
        return text
    return "".join(" " if _NOTE_SPACE.match(ch) else ch for ch in text if ch.isprintable() or _NOTE_SPACE.match(ch))


def clean_note(text: str) -> str:
    """A note as it may be stored: ``note_line`` with no space at either end.  Markup
    (``[bold]``) is text like any other: it is never read as markup."""
    return note_line(text).strip()


def note_ok(text: object) -> bool:
    """Whether ``text`` is a note as stored: what ``clean_note`` leaves, at most ``NOTE_MAX_CHARS``."""
    return isinstance(text, str) and len(text) <= NOTE_MAX_CHARS and clean_note(text) == text


@dataclass(frozen=True, slots=True)
class Note:
    """One reviewer's note (one line, "" for none) and flag ("unsure") on one sentence.

    They are two decisions, each with its own stamp (the same hybrid logical clock as
    labels): ``updated_at``/``tick`` the note's, ``flag_updated_at``/``flag_tick`` the
    flag's ("" while never set).  So a note written in one copy and a flag set in another
    both survive a merge, and a note cleared ("") or a flag taken off wins over an older
    copy of it like any later decision."""

    article_id: str
    start: int
    end: int
    annotator: str
    note: str = ""
    flag: bool = False
    updated_at: str = ""
    tick: int = 0
    flag_updated_at: str = ""
    flag_tick: int = 0

    @property
    def empty(self) -> bool:
        """No note and no flag (both cleared, or never set): nothing to show or count."""
        return not self.note and not self.flag


@dataclass(frozen=True, slots=True)
class Cleared:
    """A reviewer took their label off a sentence: kept so that a merge or an import of
    older work does not bring the label back (the later decision wins, a clear included)."""

    article_id: str
    start: int
    end: int
    annotator: str
    updated_at: str
    tick: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """The final label of one sentence chosen in adjudication: what, by whom and why.

    ``votes`` keeps the reviewers' labels as they stood when it was chosen, so a later
    change of a reviewer's mind shows up as such instead of silently changing history.
    """

    article_id: str
    start: int
    end: int
    label: str
    by: str
    reason: str
    updated_at: str
    votes: tuple[tuple[str, str], ...] = ()
    tick: int = 0


@dataclass(frozen=True, slots=True)
class FinalCleared:
    """A final label taken off (in review, by undo): kept so older work does not bring it back."""

    article_id: str
    start: int
    end: int
    by: str
    updated_at: str
    tick: int = 0


EventOp = Literal["label", "clear", "undo", "redo"]
EVENT_OPS: tuple[str, ...] = ("label", "clear", "undo", "redo")


@dataclass(frozen=True, slots=True)
class Event:
    """One decision on one sentence as its history keeps it: who, what, when, from what.

    A reviewer's label when ``final`` is False (keyed by sentence and ``who``); a final
    label from adjudication when True (keyed by sentence; ``who`` decided it).  Undo and
    redo are decisions too: ``undoes`` names the stamp (``updated_at/tick``) of the decision
    they take back or restore, so they travel through merge and export like any other.
    """

    article_id: str
    start: int
    end: int
    who: str
    label: str | None  # after this decision; None: no label
    op: EventOp
    updated_at: str
    tick: int = 0
    before: str | None = None  # the label it replaced
    undoes: str = ""
    final: bool = False
    reason: str = ""
    votes: tuple[tuple[str, str], ...] = ()
    # The provenance of the label this decision left (see ``Label``): set on a reviewer's
    # "label" decision, and on an undo or redo that puts a label back with its own.
    source: str = ""
    score: float | None = None
    suggested: str = ""

    @property
    def stamp(self) -> str:
        return stamp_text(self.updated_at, self.tick)


def stamp_text(updated_at: str, tick: int) -> str:
    return f"{updated_at}/{tick}"


# The decision "skip: not applicable" (key 0): stored as this label id on a sentence, never
# a label of the scheme; it counts as decided, and datasets leave it out unless asked.
SKIP = "skip"
# The label keys a scheme may not take: digits are given by the scheme's order (1-9), and
# 0 is skip.  The app's own keys are in ``annotator.keymap``.
MAX_DIGIT_LABELS = 9


@dataclass(frozen=True, slots=True)
class LabelDef:
    """One label of a scheme.  ``id`` is what the database stores on each sentence, fixed when
    the label is made (its first name), so a rename changes only ``name``; ``keys`` are its
    letter keys (its digit is its place in the scheme).  A removed label stays ``retired``,
    so the history that names it still reads."""

    name: str
    keys: tuple[str, ...]
    description: str = ""
    id: str = ""
    color: str = ""
    retired: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.name)


@dataclass(frozen=True, slots=True)
class LabelScheme:
    """The set of labels a project uses; stored with the database so it can change later.

    ``labels`` holds the live labels in order and then the retired ones."""

    labels: tuple[LabelDef, ...]

    @property
    def live(self) -> tuple[LabelDef, ...]:
        return tuple(d for d in self.labels if not d.retired)

    @property
    def names(self) -> tuple[str, ...]:
        """The live labels' names, in order (what people see and exports write)."""
        return tuple(d.name for d in self.live)

    @property
    def ids(self) -> tuple[str, ...]:
        """The live labels' ids, in order (what the database stores)."""
        return tuple(d.id for d in self.live)

    def get(self, label_id: str) -> LabelDef | None:
        """The live label stored as ``label_id``."""
        for d in self.labels:
            if d.id == label_id and not d.retired:
                return d
        return None

    def known(self, label_id: str) -> bool:
        """Whether ``label_id`` is or was a label of this scheme (history may name a retired one)."""
        return any(d.id == label_id for d in self.labels)

    def takes(self, label_id: str) -> bool:
        """Whether a sentence may hold ``label_id`` now: a live label, or skip."""
        return label_id == SKIP or self.get(label_id) is not None

    def knows(self, label_id: str) -> bool:
        """Whether a history may name ``label_id``: a label live or retired, or skip."""
        return label_id == SKIP or self.known(label_id)

    def by_name(self, name: str) -> LabelDef | None:
        for d in self.labels:
            if d.name == name and not d.retired:
                return d
        return None

    def id_for(self, name: str) -> str | None:
        """The id a file's label name stands for: a live label's name, else a live label's id
        (a file written before a rename names the label by its old name, its id)."""
        d = self.by_name(name) or self.get(name)
        return d.id if d is not None else None

    def name_of(self, label_id: str) -> str:
        """What to show or export for a stored id (a retired label's last name; skip as skip)."""
        for d in self.labels:
            if d.id == label_id:
                return d.name
        return label_id

    def keys_of(self, d: LabelDef) -> tuple[str, ...]:
        """All keys of a live label: its digit (its place, 1-9) and its letter keys."""
        place = self.live.index(d)
        return ((str(place + 1),) if place < MAX_DIGIT_LABELS else ()) + d.keys

    def to_json(self) -> list[dict[str, Any]]:
        out = []
        for d in self.labels:
            rec: dict[str, Any] = {"id": d.id, "name": d.name, "keys": list(d.keys), "description": d.description}
            if d.color:
                rec["color"] = d.color
            if d.retired:
                rec["retired"] = True
            out.append(rec)
        return out

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> LabelScheme:
        # Schemes written before label ids kept digits among the keys and no id: the digit is
        # the place now, and the id is the name.
        return cls(
            tuple(
                LabelDef(str(d["name"]), tuple(str(k) for k in d.get("keys", ()) if not str(k).isdigit()),
                         str(d.get("description", "")), str(d.get("id") or d["name"]), str(d.get("color", "")),
                         d.get("retired") is True)
                for d in data
            )
        )


DEFAULT_SCHEME = LabelScheme(
    (
        LabelDef("claim", ("c",), "An assertion of fact or opinion that could be checked."),
        LabelDef("quote", ("q",), "Reported speech: a direct or indirect quotation with its attribution."),
        LabelDef("background", ("b",), "Context, scene-setting or boilerplate."),
    )
)


def now_iso() -> str:
    """UTC time with milliseconds, sortable as text (``2026-11-22T14:39:14.123Z``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_iso_time(value: str) -> bool:
    """Whether ``value`` reads as an ISO 8601 time, as every ``updated_at`` must."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
