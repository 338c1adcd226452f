"""Fixing an article's sentence split in place: split a sentence in two, join two into one.

Pure (no I/O, no Textual).  A segmentation decision is a decision like a label: who, when
(stamped by the same hybrid logical clock, see ``storage.records``), and what it changed:
the sentences it took out (``removed``) and the ones it put in (``added``).  It applies to
the article for every reviewer; per article the latest decision's sentences win.  Labels
on a sentence it took out are *retired* (kept, with the decision that retired them), and
the new sentences start unlabeled.  An undo is a decision that puts back what its target
took out; a redo makes the change again.

Offsets stay exact: half-open ``[start, end)`` code points, each sentence
``text[start:end]`` with no whitespace at either end.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from annotator.model import Decision, Label, Note, Span, export_id, stamp_text
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database

SegOp = Literal["split", "join", "undo", "redo"]
SEG_OPS: tuple[str, ...] = ("split", "join", "undo", "redo")


@dataclass(frozen=True, slots=True)
class SegEvent:
    """One segmentation decision on one article: ``removed`` sentences replaced by ``added``.

    ``undoes`` names the stamp (``updated_at/tick``) of the decision an undo takes back or
    a redo makes again; their ``removed`` and ``added`` are the change they made."""

    article_id: str
    who: str
    op: SegOp
    removed: tuple[Span, ...]
    added: tuple[Span, ...]
    updated_at: str
    tick: int = 0
    undoes: str = ""

    @property
    def stamp(self) -> str:
        return stamp_text(self.updated_at, self.tick)


@dataclass(frozen=True, slots=True)
class Segmentation:
    """An article's sentences as its latest segmentation decision left them, with its stamp."""

    sentences: tuple[Span, ...]
    updated_at: str
    tick: int = 0


@dataclass(frozen=True, slots=True)
class Retired:
    """A label (or final label) whose sentence a segmentation decision took out: kept, and
    why: that decision's ``op``, who made it (``by``) and its stamp.  ``op`` is "" when no
    known decision took the sentence out (the segmentation came from another copy)."""

    record: Label | Decision
    op: str
    by: str
    updated_at: str
    tick: int = 0

    @property
    def final(self) -> bool:
        return isinstance(self.record, Decision)


@dataclass(frozen=True, slots=True)
class RetiredNote:
    """A reviewer's note and flag whose sentence a segmentation decision took out: kept, as a
    label is (see ``Retired``), with that decision's op, who and stamp."""

    note: Note
    op: str
    by: str
    updated_at: str
    tick: int = 0


def word_starts(text: str, span: Span) -> list[int]:
    """Where a sentence can be split at a word boundary: the start of each word but the
    first (a character that is no whitespace after one that is)."""
    out: list[int] = []
    prev_space = False
    for i in range(span.start, span.end):
        space = text[i].isspace()
        if prev_space and not space:
            out.append(i)
        prev_space = space
    return out


def sentence_at(sentences: Sequence[Span], offset: int) -> int:
    """The index of the sentence that holds ``offset`` strictly inside it, or -1."""
    i = bisect_right([s.start for s in sentences], offset) - 1
    if i >= 0 and sentences[i].start < offset < sentences[i].end:
        return i
    return -1


def split_spans(text: str, sentences: Sequence[Span], offset: int) -> tuple[int, Span, Span]:
    """(index of the sentence split, its first half, its second half) for a split at
    ``offset``; each half stripped of whitespace.  ValueError says why it cannot be split."""
    if not 0 <= offset <= len(text):
        raise ValueError(f"offset {offset} is outside the text (length {len(text)})")
    i = sentence_at(sentences, offset)
    if i < 0:
        raise ValueError(f"offset {offset} is not inside a sentence (a split goes between two of its characters)")
    s = sentences[i]
    left = text[s.start:offset].rstrip()
    right = text[offset:s.end]
    lead = len(right) - len(right.lstrip())
    if not left or lead == len(right):
        raise ValueError(f"offset {offset} would leave sentence {i} ({s.start}-{s.end}) a half with no text")
    return i, Span(s.start, s.start + len(left)), Span(offset + lead, s.end)


def join_spans(sentences: Sequence[Span], index: int) -> Span:
    """The sentence that joins sentence ``index`` with the next one.  ValueError says why not."""
    if not 0 <= index < len(sentences):
        raise ValueError(f"no sentence {index}: the article has {len(sentences)} (numbered from 0)")
    if index == len(sentences) - 1:
        raise ValueError(f"sentence {index} is the last one: there is no next sentence to join it with")
    return Span(sentences[index].start, sentences[index + 1].end)


def replaced(sentences: Sequence[Span], removed: Sequence[Span], added: Sequence[Span]) -> tuple[Span, ...]:
    """``sentences`` without ``removed``, with ``added``, in order."""
    gone = set(removed)
    return tuple(sorted((*(s for s in sentences if s not in gone), *added), key=lambda s: (s.start, s.end)))


def applies(sentences: Sequence[Span], removed: Sequence[Span]) -> bool:
    """Whether a change that takes out ``removed`` can be made now: they are all sentences."""
    have = set(sentences)
    return all(s in have for s in removed)


def _quoted(text: str, span: Span, limit: int = 50) -> str:
    piece = " ".join(text[span.start:span.end].split())
    return f"{span.start}-{span.end} \"{sanitize_line(piece if len(piece) <= limit else piece[:limit - 1] + '…')}\""


def resegment_line(db: Database, article_id: str, ev: SegEvent) -> str:
    """One line that says what a split or join did (for ``annotator split`` and ``join``)."""
    art = db.get_article(article_id)
    index = {(s.start, s.end): i for i, s in enumerate(art.sentences)}
    retired = sum(1 for r in db.retired(article_id) if (r.updated_at, r.tick) == (ev.updated_at, ev.tick))
    first = index.get((ev.added[0].start, ev.added[0].end), 0)
    made = " and ".join(_quoted(art.text, s) for s in ev.added)
    done = "split" if ev.op == "split" else "joined"
    return (f"{done} {export_id(article_id)}: now sentence{'s' * (len(ev.added) > 1)} {first}"
            f"{f'-{first + len(ev.added) - 1}' if len(ev.added) > 1 else ''} of {len(art.sentences)}: {made}; "
            f"{retired} label(s) retired")
