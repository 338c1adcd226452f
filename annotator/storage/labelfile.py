"""One article's labels file: its current decisions and their history, read and written whole.

The file is small (one article), so every decision rewrites it in one atomic write: the
new state and the new history event land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator import provenance
from annotator.model import Cleared, Decision, Event, FinalCleared, Label, Note
from annotator.resegment import Retired, RetiredNote, SegEvent, Segmentation
from annotator.storage.records import (
    Key,
    SpanKey,
    retired_doc,
    retired_from_doc,
    seg_event_doc,
    seg_event_from_doc,
    seg_order,
    segmentation_doc,
    segmentation_from_doc,
    cleared_doc,
    cleared_from_doc,
    decision_doc,
    decision_from_doc,
    event_doc,
    event_from_doc,
    event_key,
    final_cleared_doc,
    final_cleared_from_doc,
    label_doc,
    label_from_doc,
    note_doc,
    note_from_doc,
    retired_note_doc,
    retired_note_from_doc,
)
from annotator.storage.tinyfile import Data, OrjsonStorage, corrupt


@dataclass(slots=True)
class State:
    """An article's decisions: the latest per key (a key is in one of ``labels``, ``cleared`` and
    ``retired``; in one of ``decisions``, ``final_cleared`` and ``retired_final``) and every event.

    ``segmentation`` is the article's sentences as the latest segmentation decision left them
    (None: as imported, in its article file), ``seg_history`` every such decision.  A label
    whose sentence a segmentation decision took out is in ``retired`` (see ``retiring``).

    ``notes``: each reviewer's note and flag per sentence (a key is in one of ``notes`` and
    ``retired_notes``, retired as labels are)."""

    labels: dict[Key, Label] = field(default_factory=dict)
    cleared: dict[Key, Cleared] = field(default_factory=dict)
    decisions: dict[SpanKey, Decision] = field(default_factory=dict)
    final_cleared: dict[SpanKey, FinalCleared] = field(default_factory=dict)
    history: list[Event] = field(default_factory=list)
    final_history: list[Event] = field(default_factory=list)
    retired: dict[Key, Retired] = field(default_factory=dict)
    retired_final: dict[SpanKey, Retired] = field(default_factory=dict)
    segmentation: Segmentation | None = None
    seg_history: list[SegEvent] = field(default_factory=list)
    notes: dict[Key, Note] = field(default_factory=dict)
    retired_notes: dict[Key, RetiredNote] = field(default_factory=dict)

    def copy(self) -> State:
        return State(dict(self.labels), dict(self.cleared), dict(self.decisions), dict(self.final_cleared),
                     list(self.history), list(self.final_history), dict(self.retired), dict(self.retired_final),
                     self.segmentation, list(self.seg_history), dict(self.notes), dict(self.retired_notes))

    def records(self) -> int:
        """How many records the file holds; it never shrinks, so ``verify`` can tell a file that
        lost some (restored from an old copy) from one that is current."""
        return (len(self.labels) + len(self.cleared) + len(self.decisions) + len(self.final_cleared)
                + len(self.history) + len(self.final_history) + len(self.retired) + len(self.retired_final)
                + (self.segmentation is not None) + len(self.seg_history) + len(self.notes)
                + len(self.retired_notes))

    def has_provenance(self) -> bool:
        """Whether a label or history event here carries provenance (stored in schema 5 only)."""
        return (any(provenance.has(x) for x in self.labels.values()) or any(provenance.has(e) for e in self.history)
                or any(isinstance(r.record, Label) and provenance.has(r.record) for r in self.retired.values()))

    def sorted(self) -> State:
        """The same state in one canonical order, so equal states are written as equal bytes."""
        return State(
            {k: self.labels[k] for k in sorted(self.labels)},
            {k: self.cleared[k] for k in sorted(self.cleared)},
            {k: self.decisions[k] for k in sorted(self.decisions)},
            {k: self.final_cleared[k] for k in sorted(self.final_cleared)},
            sorted(self.history, key=event_key),
            sorted(self.final_history, key=event_key),
            {k: self.retired[k] for k in sorted(self.retired)},
            {k: self.retired_final[k] for k in sorted(self.retired_final)},
            self.segmentation,
            sorted(self.seg_history, key=seg_order),
            {k: self.notes[k] for k in sorted(self.notes)},
            {k: self.retired_notes[k] for k in sorted(self.retired_notes)},
        )


def _table(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i): d for i, d in enumerate(docs, 1)}  # TinyDB numbers a table 1, 2, ...


def state_data(state: State) -> Data:
    data: Data = {"labels": _table([label_doc(x) for x in state.labels.values()])}
    # Tables appear once used, so a file written for labels alone stays as small as before.
    if state.cleared:
        data["cleared"] = _table([cleared_doc(x) for x in state.cleared.values()])
    if state.decisions:
        data["final"] = _table([decision_doc(x) for x in state.decisions.values()])
    if state.final_cleared:
        data["final_cleared"] = _table([final_cleared_doc(x) for x in state.final_cleared.values()])
    if state.history:
        data["history"] = _table([event_doc(e) for e in state.history])
    if state.final_history:
        data["final_history"] = _table([event_doc(e) for e in state.final_history])
    if state.retired or state.retired_final:
        data["retired"] = _table([retired_doc(r) for r in (*state.retired.values(), *state.retired_final.values())])
    if state.segmentation is not None:
        data["segmentation"] = _table([segmentation_doc(state.segmentation)])
    if state.seg_history:
        data["seg_history"] = _table([seg_event_doc(e) for e in state.seg_history])
    if state.notes:
        data["notes"] = _table([note_doc(n) for n in state.notes.values()])
    if state.retired_notes:
        data["retired_notes"] = _table([retired_note_doc(r) for r in state.retired_notes.values()])
    return data


def read_state(path: Path, article_id: str, data: Data) -> State:
    st = State()
    for doc in (data.get("labels") or {}).values():
        lab = label_from_doc(path, article_id, doc)
        key = (lab.start, lab.end, lab.annotator)
        if key in st.labels:
            raise corrupt(path, f"two records for sentence {lab.start}-{lab.end} by {lab.annotator}")
        st.labels[key] = lab
    for doc in (data.get("cleared") or {}).values():
        c = cleared_from_doc(path, article_id, doc)
        key = (c.start, c.end, c.annotator)
        if key in st.labels or key in st.cleared:
            raise corrupt(path, f"sentence {c.start}-{c.end} by {c.annotator} is both labeled and cleared")
        st.cleared[key] = c
    for doc in (data.get("final") or {}).values():
        d = decision_from_doc(path, article_id, doc)
        skey = (d.start, d.end)
        if skey in st.decisions:
            raise corrupt(path, f"two final labels for sentence {d.start}-{d.end}")
        st.decisions[skey] = d
    for doc in (data.get("final_cleared") or {}).values():
        fc = final_cleared_from_doc(path, article_id, doc)
        skey = (fc.start, fc.end)
        if skey in st.decisions or skey in st.final_cleared:
            raise corrupt(path, f"sentence {fc.start}-{fc.end} has a final label and a cleared one")
        st.final_cleared[skey] = fc
    st.history = [event_from_doc(path, article_id, d, final=False) for d in (data.get("history") or {}).values()]
    st.final_history = [
        event_from_doc(path, article_id, d, final=True) for d in (data.get("final_history") or {}).values()
    ]
    for doc in (data.get("retired") or {}).values():
        r = retired_from_doc(path, article_id, doc)
        rec = r.record
        if isinstance(rec, Decision):
            if (rec.start, rec.end) in st.decisions or (rec.start, rec.end) in st.final_cleared \
                    or (rec.start, rec.end) in st.retired_final:
                raise corrupt(path, f"sentence {rec.start}-{rec.end} has a retired final label and another one")
            st.retired_final[(rec.start, rec.end)] = r
        else:
            key = (rec.start, rec.end, rec.annotator)
            if key in st.labels or key in st.cleared or key in st.retired:
                raise corrupt(path, f"sentence {rec.start}-{rec.end} by {rec.annotator} is retired and labeled "
                                    "or cleared")
            st.retired[key] = r
    segs = list((data.get("segmentation") or {}).values())
    if len(segs) > 1:
        raise corrupt(path, f"{len(segs)} segmentation records, not 1")
    st.segmentation = segmentation_from_doc(path, segs[0]) if segs else None
    st.seg_history = [seg_event_from_doc(path, article_id, d) for d in (data.get("seg_history") or {}).values()]
    for doc in (data.get("notes") or {}).values():
        n = note_from_doc(path, article_id, doc)
        key = (n.start, n.end, n.annotator)
        if key in st.notes:
            raise corrupt(path, f"two notes for sentence {n.start}-{n.end} by {n.annotator}")
        st.notes[key] = n
    for doc in (data.get("retired_notes") or {}).values():
        rn = retired_note_from_doc(path, article_id, doc)
        key = (rn.note.start, rn.note.end, rn.note.annotator)
        if key in st.notes or key in st.retired_notes:
            raise corrupt(path, f"sentence {key[0]}-{key[1]} by {key[2]} has a retired note and another one")
        st.retired_notes[key] = rn
    return st


@dataclass(slots=True)
class LabelFile:
    article_id: str
    storage: OrjsonStorage
    state: State


def tally_notes(notes: Iterable[Note]) -> dict[str, tuple[int, int]]:
    """annotator -> (notes, flags) among ``notes``."""
    out: dict[str, tuple[int, int]] = {}
    for n in notes:
        if not n.empty:
            a, b = out.get(n.annotator, (0, 0))
            out[n.annotator] = (a + bool(n.note), b + n.flag)
    return out
