"""Which labels an article's segmentation retires: a function of its decisions, so any copy
that holds the same decisions holds the same labels and retired labels (merge stays a join).

A label (or final label) counts on its sentence when the sentence is one of the article's
sentences now and the label was stamped after the last decision in effect that took that
sentence out.  Otherwise it is *retired*: kept, with that decision (its op, who, stamp).
A decision is in effect unless undone: of a decision and the undos and redos that name
it, only the latest counts, with what it took out.  So an undo of a split brings back the
labels the split retired, and retires the ones made on its halves; a sentence that comes
back by a later join starts unlabeled, since its old labels are older than the split.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from annotator.model import Decision, Label, Note, Span
from annotator.resegment import Retired, RetiredNote, SegEvent
from annotator.storage.labelfile import State
from annotator.storage.records import Key, SpanKey, note_stamp, seg_order, stamp_order


def sentences_of(state: State, base: tuple[Span, ...]) -> tuple[Span, ...]:
    """The article's sentences now: the latest segmentation decision's, else as imported."""
    return state.segmentation.sentences if state.segmentation is not None else base


def removals(history: Iterable[SegEvent]) -> dict[SpanKey, SegEvent]:
    """Per sentence span, the decision in effect that last took it out."""
    chains: dict[tuple[str, str], SegEvent] = {}  # (who, stamp) of a split or join -> its latest step
    for e in sorted(history, key=seg_order):
        target = (e.who, e.undoes) if e.op in ("undo", "redo") and (e.who, e.undoes) in chains else (e.who, e.stamp)
        chains[target] = e
    out: dict[SpanKey, SegEvent] = {}
    for e in chains.values():
        for s in e.removed:
            k = (s.start, s.end)
            had = out.get(k)
            if had is None or seg_order(e) > seg_order(had):
                out[k] = e
    return out


def _retired(rec: Label | Decision, spans: set[SpanKey], gone: dict[SpanKey, SegEvent]) -> Retired | None:
    k = (rec.start, rec.end)
    e = gone.get(k)
    if k in spans and (e is None or stamp_order(rec.updated_at, rec.tick) > stamp_order(e.updated_at, e.tick)):
        return None
    if e is None:
        return Retired(rec, "", "", "")
    return Retired(rec, e.op, e.who, e.updated_at, e.tick)


_K = TypeVar("_K")
_R = TypeVar("_R", Label, Decision)


def _sort_out(counted: dict[_K, _R], retired: dict[_K, Retired], kind: type[_R], spans: set[SpanKey],
              gone: dict[SpanKey, SegEvent]) -> tuple[dict[_K, _R], dict[_K, Retired]]:
    """Every record, counted or retired now, put where it belongs."""
    keep: dict[_K, _R] = {}
    out: dict[_K, Retired] = {}
    for key, rec in [*counted.items(), *((k, r.record) for k, r in retired.items())]:
        assert isinstance(rec, kind)
        why = _retired(rec, spans, gone)
        if why is None:
            keep[key] = rec
        else:
            out[key] = why
    return keep, out


def _sort_out_notes(state: State, spans: set[SpanKey], gone: dict[SpanKey, SegEvent]) -> None:
    """Notes and flags, counted or retired now, put where they belong: by the same rule as
    labels, with the later of a note's two stamps."""
    keep: dict[Key, Note] = {}
    out: dict[Key, RetiredNote] = {}
    for key, n in [*state.notes.items(), *((k, r.note) for k, r in state.retired_notes.items())]:
        k = (n.start, n.end)
        e = gone.get(k)
        at, tick = note_stamp(n)
        if k in spans and (e is None or stamp_order(at, tick) > stamp_order(e.updated_at, e.tick)):
            keep[key] = n
        else:
            out[key] = RetiredNote(n, "", "", "") if e is None else RetiredNote(n, e.op, e.who, e.updated_at, e.tick)
    state.notes, state.retired_notes = keep, out


def partition(state: State, base: tuple[Span, ...]) -> State:
    """``state`` with each label and final label in ``labels``/``decisions`` if it counts on
    its sentence, else in ``retired``/``retired_final`` (changed in place, and returned);
    notes and flags likewise in ``notes`` or ``retired_notes``."""
    if state.segmentation is None and not state.seg_history and not state.retired and not state.retired_final \
            and not state.retired_notes:
        return state  # never resegmented: every label is on a sentence as imported
    spans = {(s.start, s.end) for s in sentences_of(state, base)}
    gone = removals(state.seg_history)
    state.labels, state.retired = _sort_out(state.labels, state.retired, Label, spans, gone)
    state.decisions, state.retired_final = _sort_out(state.decisions, state.retired_final, Decision, spans, gone)
    _sort_out_notes(state, spans, gone)
    return state


def unretired(state: State) -> State:
    """A copy of ``state`` with every retired label back among the labels (the raw decisions a
    join works on; ``partition`` sorts them out again)."""
    new = state.copy()
    for k, r in new.retired.items():
        assert isinstance(r.record, Label)
        new.labels[k] = r.record
    for sk, r in new.retired_final.items():
        assert isinstance(r.record, Decision)
        new.decisions[sk] = r.record
    new.retired, new.retired_final = {}, {}
    for k, rn in new.retired_notes.items():
        new.notes[k] = rn.note
    new.retired_notes = {}
    return new


def known_spans(state: State, base: tuple[Span, ...]) -> set[SpanKey]:
    """Every span that is or was a sentence of the article: labels on them may come in (and be
    retired), from a copy that has not seen a split yet."""
    out = {(s.start, s.end) for s in (*base, *sentences_of(state, base))}
    for e in state.seg_history:
        out.update((s.start, s.end) for s in (*e.removed, *e.added))
    return out
