"""How each kind of record is written in a labels file, read back, and ordered.

A labels file holds an article's current state (``labels``, ``cleared``, ``final``,
``final_cleared``: the latest decision per key) and its history (``history``,
``final_history``: every decision ever made there).  The state is what the app and the
exports read; the history is what undo, redo and ``export --history`` read.

Decisions are ordered by their stamp, a hybrid logical clock: ``updated_at`` (a time,
compared as an instant, not as text) then ``tick``.  Ties are broken by the rest of the
record, so which of two decisions wins never depends on the order files are read in.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from annotator.model import EVENT_OPS, Cleared, Decision, Event, FinalCleared, Label, Note, Span
from annotator.resegment import SEG_OPS, Retired, RetiredNote, SegEvent, Segmentation
from annotator.storage.tinyfile import DamagedFile, corrupt

Key = tuple[int, int, str]  # (start, end, annotator)
SpanKey = tuple[int, int]
Order = tuple[Any, ...]

# No separators and no leading dot, so an id can never leave its folder or hide a file.
SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_TICK_MAX = 2**62


def check_id(article_id: object) -> str:
    if not isinstance(article_id, str) or not SAFE_ID.fullmatch(article_id):
        raise ValueError(f"article id {article_id!r} cannot be used as a file name")
    return article_id


def when(updated_at: str) -> datetime:
    """``updated_at`` as an instant: ISO times in any offset or precision compare as times
    (naive ones as UTC); text that is no ISO time counts as earliest."""
    try:
        t = datetime.fromisoformat(updated_at)
    except (TypeError, ValueError):
        return _EARLIEST
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def next_stamp(now: str, seen: tuple[str, int] | None) -> tuple[str, int]:
    """The stamp of a decision made at ``now`` on a key whose latest decision is ``seen``:
    later than ``seen`` whatever the wall clock says (a hybrid logical clock)."""
    if seen is None:
        return now, 0
    t_now, t_seen = when(now), when(seen[0])
    if t_now > t_seen:
        return now, 0
    # Not later by this clock: keep the seen time and count on from its tick.  A seen time
    # that is no ISO time (older data) is replaced by now, which sorts after it.
    if t_seen == _EARLIEST:
        return now, 0
    return seen[0], min(seen[1] + 1, _TICK_MAX)


def _text_order(value: str) -> tuple[datetime, str]:
    return when(value), value


def _provenance_order(x: Label | Event) -> Order:
    """A decision's provenance as a tie-break (no score sorts before any score)."""
    return x.source, x.score is not None, x.score or 0.0, x.suggested


def label_order(lab: Label) -> Order:
    return (*_text_order(lab.updated_at), lab.tick, lab.label, lab.annotator, *_provenance_order(lab))


def cleared_order(c: Cleared) -> Order:
    # At an exact tie a label ("claim") sorts after a clear (""), so the label stays.
    return (*_text_order(c.updated_at), c.tick, "", c.annotator)


def decision_order(d: Decision) -> Order:
    return (*_text_order(d.updated_at), d.tick, d.label, d.by, d.reason, d.votes)


def final_cleared_order(c: FinalCleared) -> Order:
    return (*_text_order(c.updated_at), c.tick, "", c.by, "", ())


def event_order(e: Event) -> Order:
    """A total order over whole events: by stamp, then every field."""
    return (
        *_text_order(e.updated_at), e.tick, e.label or "", e.who, e.op, e.before or "", e.undoes,
        e.reason, e.votes, e.final, e.article_id, e.start, e.end, *_provenance_order(e),
    )


def stamp_order(updated_at: str, tick: int) -> tuple[datetime, int]:
    """A stamp as it is ordered: the time as an instant, then the tick."""
    return when(updated_at), tick


def _pairs(spans: tuple[Span, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.end) for s in spans)


def seg_order(e: SegEvent) -> Order:
    """A total order over segmentation decisions: by stamp, then every field."""
    return (*_text_order(e.updated_at), e.tick, e.op, e.who, _pairs(e.removed), _pairs(e.added), e.undoes,
            e.article_id)


def step_order(e: Event | SegEvent) -> Order:
    """One order over label and segmentation decisions (a person's undo goes through both):
    by stamp, then every field."""
    # (Each order starts with the stamp, parsed once: a replay orders every decision a person made.)
    o = event_order(e) if isinstance(e, Event) else seg_order(e)
    return (o[0], o[1], o[2], isinstance(e, SegEvent), o[3:])


def segmentation_order(g: Segmentation) -> Order:
    return (*_text_order(g.updated_at), g.tick, _pairs(g.sentences))


def event_key(e: Event) -> tuple[Any, ...]:
    """Where an event sits in a history, so the same set of events is always written the same."""
    return ((e.start, e.end, "" if e.final else e.who), event_order(e))


def ahead_seconds(updated_at: str, now: datetime) -> float:
    t = when(updated_at)
    return 0.0 if t == _EARLIEST else (t - now) / timedelta(seconds=1)


# ----------------------------------------------------------------- documents


def _bad(path: Path, what: str, doc: dict[str, Any]) -> DamagedFile:
    return corrupt(path, f"a {what} record is malformed: {orjson.dumps(doc).decode()[:80]}")


def _tick(doc: dict[str, Any]) -> int | None:
    t = doc.get("tick", 0)
    return t if type(t) is int and 0 <= t <= _TICK_MAX else None


def count_key(path: Path, doc: dict[str, Any]) -> tuple[str, str]:
    """(annotator, label) of a label record, checked as ``label_from_doc`` does, in one pass."""
    who, label = doc.get("annotator"), doc.get("label")
    if (
        type(who) is str
        and type(label) is str
        and type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and type(doc.get("updated_at")) is str
    ):
        return who, label
    raise _bad(path, "label", doc)


def _provenance(doc: dict[str, Any]) -> tuple[str, float | None, str] | None:
    """(source, score, suggested) of a label or history record, absent keys unset; None if one
    has the wrong type.  Their values are ``verify``'s to judge (``provenance.problems``)."""
    source, score, suggested = doc.get("source", ""), doc.get("score"), doc.get("suggested", "")
    if not (isinstance(source, str) and isinstance(suggested, str)
            and (score is None or type(score) in (int, float))):
        return None
    return source, None if score is None else float(score), suggested


def _put_provenance(doc: dict[str, Any], x: Label | Event) -> None:
    """The provenance keys that are set: a file of labels without provenance stays as it was."""
    if x.source:
        doc["source"] = x.source
    if x.score is not None:
        doc["score"] = x.score
    if x.suggested:
        doc["suggested"] = x.suggested


def label_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Label:
    who, label = count_key(path, doc)
    tick = _tick(doc)
    prov = _provenance(doc)
    if tick is None or prov is None:
        raise _bad(path, "label", doc)
    return Label(article_id, doc["start"], doc["end"], label, who, doc["updated_at"], tick, *prov)


def label_doc(label: Label) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": label.start, "end": label.end, "label": label.label, "annotator": label.annotator,
        "updated_at": label.updated_at,
    }
    if label.tick:
        doc["tick"] = label.tick
    _put_provenance(doc, label)
    return doc


def _votes(value: object) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(value, list):
        return None
    out = []
    for v in value:
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)):
            return None
        out.append((v[0], v[1]))
    return tuple(out)


def decision_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Decision:
    votes = _votes(doc.get("votes", []))
    tick = _tick(doc)
    if not (
        type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and isinstance(doc.get("label"), str)
        and isinstance(doc.get("by"), str)
        and isinstance(doc.get("reason", ""), str)
        and isinstance(doc.get("updated_at"), str)
        and votes is not None
        and tick is not None
    ):
        raise _bad(path, "final-label", doc)
    return Decision(
        article_id, doc["start"], doc["end"], doc["label"], doc["by"], doc.get("reason", ""), doc["updated_at"],
        votes, tick,
    )


def decision_doc(d: Decision) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": d.start, "end": d.end, "label": d.label, "by": d.by, "reason": d.reason,
        "updated_at": d.updated_at, "votes": [list(v) for v in d.votes],
    }
    if d.tick:
        doc["tick"] = d.tick
    return doc


def _clear_fields(path: Path, doc: dict[str, Any], who: str, what: str) -> tuple[int, int, str, str, int]:
    """(start, end, who, updated_at, tick) of a record that takes a label off."""
    start, end, name, at, tick = doc.get("start"), doc.get("end"), doc.get(who), doc.get("updated_at"), _tick(doc)
    if type(start) is int and type(end) is int and isinstance(name, str) and isinstance(at, str) and tick is not None:
        return start, end, name, at, tick
    raise _bad(path, what, doc)


def cleared_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Cleared:
    return Cleared(article_id, *_clear_fields(path, doc, "annotator", "cleared-label"))


def cleared_doc(c: Cleared) -> dict[str, Any]:
    doc: dict[str, Any] = {"start": c.start, "end": c.end, "annotator": c.annotator, "updated_at": c.updated_at}
    if c.tick:
        doc["tick"] = c.tick
    return doc


def final_cleared_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> FinalCleared:
    return FinalCleared(article_id, *_clear_fields(path, doc, "by", "cleared final-label"))


def final_cleared_doc(c: FinalCleared) -> dict[str, Any]:
    doc: dict[str, Any] = {"start": c.start, "end": c.end, "by": c.by, "updated_at": c.updated_at}
    if c.tick:
        doc["tick"] = c.tick
    return doc


def event_from_doc(path: Path, article_id: str, doc: dict[str, Any], *, final: bool) -> Event:
    votes = _votes(doc.get("votes", []))
    tick = _tick(doc)
    prov = _provenance(doc)
    who = doc.get("by" if final else "annotator")
    label, before = doc.get("label"), doc.get("before")
    if not (
        type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and isinstance(who, str)
        and (label is None or isinstance(label, str))
        and (before is None or isinstance(before, str))
        and doc.get("op") in EVENT_OPS
        and isinstance(doc.get("updated_at"), str)
        and isinstance(doc.get("undoes", ""), str)
        and isinstance(doc.get("reason", ""), str)
        and votes is not None
        and tick is not None
        and prov is not None
    ):
        raise _bad(path, "history", doc)
    return Event(
        article_id, doc["start"], doc["end"], who, label, doc["op"], doc["updated_at"], tick, before,
        doc.get("undoes", ""), final, doc.get("reason", ""), votes, *prov,
    )


def event_doc(e: Event) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": e.start, "end": e.end, ("by" if e.final else "annotator"): e.who, "label": e.label, "op": e.op,
        "updated_at": e.updated_at,
    }
    if e.tick:
        doc["tick"] = e.tick
    if e.before is not None:
        doc["before"] = e.before
    if e.undoes:
        doc["undoes"] = e.undoes
    if e.final:
        doc["reason"] = e.reason
        doc["votes"] = [list(v) for v in e.votes]
    _put_provenance(doc, e)
    return doc


def _span_list(value: object) -> tuple[Span, ...] | None:
    """``[[start, end], ...]`` as spans, each non-empty; None if it is not that."""
    if not isinstance(value, list):
        return None
    out = []
    for v in value:
        if not (isinstance(v, list) and len(v) == 2 and type(v[0]) is int and type(v[1]) is int and 0 <= v[0] < v[1]):
            return None
        out.append(Span(v[0], v[1]))
    return tuple(out)


def spans_doc(spans: tuple[Span, ...]) -> list[list[int]]:
    return [[s.start, s.end] for s in spans]


def seg_event_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> SegEvent:
    removed, added, tick = _span_list(doc.get("removed")), _span_list(doc.get("added")), _tick(doc)
    who, op, at, undoes = doc.get("annotator"), doc.get("op"), doc.get("updated_at"), doc.get("undoes", "")
    if not (isinstance(who, str) and op in SEG_OPS and isinstance(at, str) and isinstance(undoes, str)
            and removed is not None and added is not None and tick is not None):
        raise _bad(path, "segmentation history", doc)
    return SegEvent(article_id, who, op, removed, added, at, tick, undoes)


def seg_event_doc(e: SegEvent) -> dict[str, Any]:
    doc: dict[str, Any] = {"annotator": e.who, "op": e.op, "removed": spans_doc(e.removed),
                           "added": spans_doc(e.added), "updated_at": e.updated_at}
    if e.tick:
        doc["tick"] = e.tick
    if e.undoes:
        doc["undoes"] = e.undoes
    return doc


def segmentation_from_doc(path: Path, doc: dict[str, Any]) -> Segmentation:
    sentences, at, tick = _span_list(doc.get("sentences")), doc.get("updated_at"), _tick(doc)
    if sentences is None or not isinstance(at, str) or tick is None:
        raise _bad(path, "segmentation", doc)
    return Segmentation(sentences, at, tick)


def segmentation_doc(g: Segmentation) -> dict[str, Any]:
    doc: dict[str, Any] = {"sentences": spans_doc(g.sentences), "updated_at": g.updated_at}
    if g.tick:
        doc["tick"] = g.tick
    return doc


_RETIRED_KEYS = ("retired_op", "retired_by", "retired_at", "retired_tick", "final")


def retired_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Retired:
    op, by, at, final = doc.get("retired_op"), doc.get("retired_by"), doc.get("retired_at"), doc.get("final", False)
    tick = _tick({"tick": doc.get("retired_tick", 0)})
    if not (isinstance(op, str) and isinstance(by, str) and isinstance(at, str) and isinstance(final, bool)
            and tick is not None):
        raise _bad(path, "retired-label", doc)
    rest = {k: v for k, v in doc.items() if k not in _RETIRED_KEYS}
    record: Label | Decision = (decision_from_doc(path, article_id, rest) if final
                                else label_from_doc(path, article_id, rest))
    return Retired(record, op, by, at, tick)


def retired_doc(r: Retired) -> dict[str, Any]:
    rec = r.record
    doc = decision_doc(rec) if isinstance(rec, Decision) else label_doc(rec)
    if isinstance(rec, Decision):
        doc["final"] = True
    doc.update({"retired_op": r.op, "retired_by": r.by, "retired_at": r.updated_at})
    if r.tick:
        doc["retired_tick"] = r.tick
    return doc


# ----------------------------------------------------------------- notes and flags


def note_part_order(n: Note) -> Order:
    """The order of a note's note decisions: by its stamp, then the text ("" a clear, first)."""
    return (*_text_order(n.updated_at), n.tick, n.note)


def flag_part_order(n: Note) -> Order:
    """The order of a note's flag decisions: by the flag's stamp, then the flag (off first)."""
    return (*_text_order(n.flag_updated_at), n.flag_tick, n.flag)


def note_stamp(n: Note) -> tuple[str, int]:
    """The later of a note's two stamps: after which a decision on the same key is made, and
    what a split or join is compared with."""
    if stamp_order(n.flag_updated_at, n.flag_tick) > stamp_order(n.updated_at, n.tick):
        return n.flag_updated_at, n.flag_tick
    return n.updated_at, n.tick


def join_notes(a: Note, b: Note) -> Note:
    """Two copies of one key's note and flag joined: each part the later decision of the two
    (commutative, associative, idempotent)."""
    note = a if note_part_order(a) >= note_part_order(b) else b
    flag = a if flag_part_order(a) >= flag_part_order(b) else b
    if note is flag:
        return note
    return Note(a.article_id, a.start, a.end, a.annotator, note.note, flag.flag, note.updated_at, note.tick,
                flag.flag_updated_at, flag.flag_tick)


def note_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Note:
    start, end, who, text, flag = (doc.get(k) for k in ("start", "end", "annotator", "note", "flag"))
    at, flag_at = doc.get("updated_at", ""), doc.get("flag_updated_at", "")
    tick, flag_tick = _tick(doc), _tick({"tick": doc.get("flag_tick", 0)})
    if not (type(start) is int and type(end) is int and isinstance(who, str) and isinstance(text, str)
            and isinstance(flag, bool) and isinstance(at, str) and isinstance(flag_at, str) and tick is not None
            and flag_tick is not None):
        raise _bad(path, "note", doc)
    return Note(article_id, start, end, who, text, flag, at, tick, flag_at, flag_tick)


def note_doc(n: Note) -> dict[str, Any]:
    doc: dict[str, Any] = {"start": n.start, "end": n.end, "annotator": n.annotator, "note": n.note,
                           "updated_at": n.updated_at, "flag": n.flag, "flag_updated_at": n.flag_updated_at}
    if n.tick:
        doc["tick"] = n.tick
    if n.flag_tick:
        doc["flag_tick"] = n.flag_tick
    return doc


def retired_note_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> RetiredNote:
    op, by, at = doc.get("retired_op"), doc.get("retired_by"), doc.get("retired_at")
    tick = _tick({"tick": doc.get("retired_tick", 0)})
    if not (isinstance(op, str) and isinstance(by, str) and isinstance(at, str) and tick is not None):
        raise _bad(path, "retired-note", doc)
    rest = {k: v for k, v in doc.items() if k not in _RETIRED_KEYS}
    return RetiredNote(note_from_doc(path, article_id, rest), op, by, at, tick)


def retired_note_doc(r: RetiredNote) -> dict[str, Any]:
    doc = note_doc(r.note)
    doc.update({"retired_op": r.op, "retired_by": r.by, "retired_at": r.updated_at})
    if r.tick:
        doc["retired_tick"] = r.tick
    return doc
