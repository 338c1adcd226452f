"""Bringing in decisions made elsewhere: a join, so any order, any number of times, gives the same.

Per key the state is the latest decision by the order of ``records`` (stamp, then the whole
record), and the history is the union of both histories.  Both are joins: commutative,
associative and idempotent.  A decision's stamp orders it after everything its machine had
seen for that key, so a correction made after seeing a skewed clock's decision still wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from annotator.model import Cleared, Decision, Event, FinalCleared, Label, Note, Span
from annotator.resegment import SegEvent, Segmentation
from annotator.storage.labelfile import State
from annotator.storage.records import (
    ahead_seconds,
    cleared_order,
    decision_order,
    final_cleared_order,
    join_notes,
    label_order,
    Order,
    segmentation_order,
)
from annotator.storage.retiring import partition, unretired

AHEAD_LIMIT_SECONDS = 24 * 3600.0


@dataclass(slots=True)
class Ahead:
    """Decisions by one person stamped more than a day ahead of this machine's clock."""

    who: str
    count: int = 0
    seconds: float = 0.0  # the furthest ahead


@dataclass(slots=True)
class MergeResult:
    """What :meth:`Database.merge` did; ``conflicts`` pairs are (older, newer): the newer won."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    decisions_added: int = 0
    decisions_updated: int = 0
    decisions_unchanged: int = 0
    decisions_skipped: int = 0
    removed: int = 0  # labels taken off because the reviewer cleared them later elsewhere
    history_added: int = 0
    history_skipped: int = 0  # history records for a sentence or label this database does not have
    segmentation_added: int = 0  # segmentation decisions (splits, joins, their undos) brought in
    resegmented: int = 0  # articles whose sentences changed
    retired: int = 0  # labels and final labels retired here: their sentence was split or joined
    notes_added: int = 0  # notes and flags on a (sentence, reviewer) that had none here
    notes_updated: int = 0  # a later note or flag (a clear included) over the one here
    notes_skipped: int = 0  # for a sentence this database does not have, or not a note as stored
    conflicts: list[tuple[Label, Label | Cleared]] = field(default_factory=list)
    decision_conflicts: list[tuple[Decision, Decision]] = field(default_factory=list)
    ahead: dict[str, Ahead] = field(default_factory=dict)

    def note_ahead(self, who: str, updated_at: str, now: datetime) -> None:
        s = ahead_seconds(updated_at, now)
        if s > AHEAD_LIMIT_SECONDS:
            a = self.ahead.setdefault(who, Ahead(who))
            a.count += 1
            a.seconds = max(a.seconds, s)


@dataclass(slots=True)
class Incoming:
    """One article's decisions from elsewhere, already checked against its sentences and scheme."""

    labels: list[Label] = field(default_factory=list)
    cleared: list[Cleared] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    final_cleared: list[FinalCleared] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    seg_events: list[SegEvent] = field(default_factory=list)
    segmentations: list[Segmentation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _as_records(inc: Incoming, takes: Callable[[str], bool] | None = None,
                ) -> tuple[list[Label | Cleared], list[Decision | FinalCleared]]:
    """Every decision as a state record; an event counts as the state it left, unless it
    left a label a sentence may no longer hold (``takes``: one removed from the scheme
    here), which stays history only."""
    mine: list[Label | Cleared] = [*inc.labels, *inc.cleared]
    final: list[Decision | FinalCleared] = [*inc.decisions, *inc.final_cleared]
    for e in inc.events:
        if takes is not None and e.label is not None and not takes(e.label):
            continue
        if e.final:
            final.append(
                Decision(e.article_id, e.start, e.end, e.label, e.who, e.reason, e.updated_at, e.votes, e.tick)
                if e.label is not None
                else FinalCleared(e.article_id, e.start, e.end, e.who, e.updated_at, e.tick)
            )
        else:
            mine.append(
                Label(e.article_id, e.start, e.end, e.label, e.who, e.updated_at, e.tick, e.source, e.score,
                      e.suggested)
                if e.label is not None
                else Cleared(e.article_id, e.start, e.end, e.who, e.updated_at, e.tick)
            )
    return mine, final


def _order(r: Label | Cleared) -> Order:
    return label_order(r) if isinstance(r, Label) else cleared_order(r)


def _final_order(r: Decision | FinalCleared) -> Order:
    return decision_order(r) if isinstance(r, Decision) else final_cleared_order(r)


_R = TypeVar("_R")
_KeyT = TypeVar("_KeyT")


def _latest(records: Iterable[_R], key: Callable[[_R], _KeyT], order: Callable[[_R], Order]) -> dict[_KeyT, _R]:
    """The latest record per key, by ``order``."""
    best: dict[_KeyT, _R] = {}
    for r in records:
        k = key(r)
        had = best.get(k)
        if had is None or order(r) > order(had):
            best[k] = r
    return best


def join(state: State, inc: Incoming, result: MergeResult, now: datetime, base: tuple[Span, ...] = (),
         takes: Callable[[str], bool] | None = None) -> State:
    """``state`` joined with ``inc``; counts what changed in ``result``.  ``base``: the article's
    sentences as imported (its sentences unless a segmentation decision changed them).
    ``takes``: the labels a sentence may hold now (a history event naming another stays history).

    The join works on every label, retired or not, and then sorts them out again for the
    joined segmentation (``retiring.partition``), so it stays commutative, associative and
    idempotent with segmentation decisions too."""
    new = unretired(state)
    mine, final = _as_records(inc, takes)
    # One decision comes as its state record and as its history event: count it once.
    stamps = {(r.annotator, r.start, r.end, False, r.updated_at, r.tick) for r in mine}
    stamps |= {(f.by, f.start, f.end, True, f.updated_at, f.tick) for f in final}
    for who, _, _, _, at, _ in sorted(stamps):
        result.note_ahead(who, at, now)

    # Reviewers' labels: the latest record per (sentence, reviewer).
    for key, r in _latest(mine, lambda r: (r.start, r.end, r.annotator), _order).items():
        cur: Label | Cleared | None = new.labels.get(key) or new.cleared.get(key)
        if cur is not None and _order(r) <= _order(cur):
            if isinstance(r, Label):
                result.unchanged += 1
                if isinstance(cur, Label) and cur.label != r.label:
                    result.conflicts.append((r, cur))
            continue
        if isinstance(r, Label):
            if isinstance(cur, Label):
                result.updated += 1
                if cur.label != r.label:
                    result.conflicts.append((cur, r))
            else:
                result.added += 1
            new.cleared.pop(key, None)
            new.labels[key] = r
        else:
            if isinstance(cur, Label):
                result.removed += 1
                result.conflicts.append((cur, r))
            new.labels.pop(key, None)
            new.cleared[key] = r

    # Final labels: the latest record per sentence.
    for skey, f in _latest(final, lambda f: (f.start, f.end), _final_order).items():
        fcur: Decision | FinalCleared | None = new.decisions.get(skey) or new.final_cleared.get(skey)
        if fcur is not None and _final_order(f) <= _final_order(fcur):
            if isinstance(f, Decision):
                result.decisions_unchanged += 1
                if isinstance(fcur, Decision) and (fcur.label, fcur.by) != (f.label, f.by):
                    result.decision_conflicts.append((f, fcur))
            continue
        if isinstance(f, Decision):
            if isinstance(fcur, Decision):
                result.decisions_updated += 1
                if (fcur.label, fcur.by) != (f.label, f.by):
                    result.decision_conflicts.append((fcur, f))
            else:
                result.decisions_added += 1
            new.final_cleared.pop(skey, None)
            new.decisions[skey] = f
        else:
            new.decisions.pop(skey, None)
            new.final_cleared[skey] = f

    # Notes and flags: per (sentence, reviewer), each of the two the latest decision.
    for n in inc.notes:
        key = (n.start, n.end, n.annotator)
        for at in (n.updated_at, n.flag_updated_at):
            if at:
                result.note_ahead(n.annotator, at, now)
        had = new.notes.get(key)
        joined = n if had is None else join_notes(had, n)
        if had is None:
            result.notes_added += 1
        elif joined != had:
            result.notes_updated += 1
        new.notes[key] = joined

    # Histories: the union.
    for events, target in ((new.history, False), (new.final_history, True)):
        have = set(events)
        for e in inc.events:
            if e.final == target and e not in have:
                have.add(e)
                events.append(e)
                result.history_added += 1

    # Segmentation: the latest decision's sentences win; the histories are united.
    for g in inc.segmentations:
        if new.segmentation is None or segmentation_order(g) > segmentation_order(new.segmentation):
            new.segmentation = g
    have_seg = set(new.seg_history)
    for se in inc.seg_events:
        if se not in have_seg:
            have_seg.add(se)
            new.seg_history.append(se)
            result.segmentation_added += 1
    if new.segmentation != state.segmentation:
        result.resegmented += 1
    out = partition(new, base).sorted()
    result.retired += sum(1 for k, r in out.retired.items() if state.retired.get(k) != r)
    result.retired += sum(1 for sk, r in out.retired_final.items() if state.retired_final.get(sk) != r)
    return out


def by_article(items: Iterable[Label | Cleared | Decision | FinalCleared | Event]) -> dict[str, Incoming]:
    out: dict[str, Incoming] = {}
    for x in items:
        inc = out.get(x.article_id)
        if inc is None:
            inc = out[x.article_id] = Incoming()
        if isinstance(x, Label):
            inc.labels.append(x)
        elif isinstance(x, Cleared):
            inc.cleared.append(x)
        elif isinstance(x, Decision):
            inc.decisions.append(x)
        elif isinstance(x, FinalCleared):
            inc.final_cleared.append(x)
        else:
            inc.events.append(x)
    return out
