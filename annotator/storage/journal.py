"""Undo and redo over one person's history of decisions, in any article.

Undo and redo are decisions like any other (see ``model.Event``), so the stacks are not
kept anywhere: they are replayed from the person's events in stamp order.  A new decision
goes on the undo stack and empties the redo stack; an undo moves the decision it names
from the undo stack to the redo stack, a redo moves it back.  The same history gives the
same stacks on any machine, after a restart, a merge or an import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from annotator.model import Event
from annotator.resegment import SegEvent
from annotator.storage.labelfile import State
from annotator.storage.records import Order, event_from_doc, seg_event_from_doc, step_order
from annotator.storage.tinyfile import parse_tinydb, read_bytes

# A person's decisions on labels and, with them, on sentences (splits and joins), undone in
# the one order they were made in.
Step = Event | SegEvent
_Ref = tuple[str, int, int, str]  # (article, start, end, stamp) of a decision; a segmentation one's is (-1, -1)


def _ref(e: Step, stamp: str | None = None) -> _Ref:
    at = e.stamp if stamp is None else stamp
    return (e.article_id, e.start, e.end, at) if isinstance(e, Event) else (e.article_id, -1, -1, at)


class Journal:
    """One person's undo and redo stacks for labels (``final=False``) or final labels."""

    def __init__(self, events: Iterable[Step]) -> None:
        # Insertion-ordered dicts as stacks: the top is the last key, and taking out a decision
        # from the middle (an undo replayed from another machine) costs O(1).
        self._done: dict[_Ref, Step] = {}
        self._undone: dict[_Ref, Step] = {}
        self._made: dict[_Ref, Step] = {}
        self.last: Order | None = None
        for order, e in sorted(((step_order(e), e) for e in set(events)), key=lambda p: p[0]):
            self._apply(e, order)

    @property
    def done(self) -> list[Step]:
        return list(self._done.values())

    @property
    def undone(self) -> list[Step]:
        return list(self._undone.values())

    def top(self, *, undone: bool = False, usable: Callable[[Step], bool] | None = None) -> Step | None:
        """The latest decision that can be undone (or, ``undone``, redone); with ``usable``, the
        latest for which it says yes (a label whose sentence was split since is passed over)."""
        stack = self._undone if undone else self._done
        for ref in reversed(stack):
            if usable is None or usable(stack[ref]):
                return stack[ref]
        return None

    def depth(self) -> tuple[int, int]:
        return len(self._done), len(self._undone)

    def fits(self, e: Step) -> bool:
        """Whether ``e`` comes after everything replayed, so it can be applied in place."""
        return self.last is None or step_order(e) > self.last

    def apply(self, e: Step) -> None:
        order = step_order(e)
        assert self.last is None or order > self.last
        self._apply(e, order)

    def _apply(self, e: Step, order: Order) -> None:
        self.last = order
        if e.op in ("label", "clear", "split", "join"):
            ref = _ref(e)
            self._made[ref] = e
            self._done.pop(ref, None)
            self._done[ref] = e
            self._undone.clear()
            return
        ref = _ref(e, e.undoes)
        target = self._made.get(ref)
        if target is None:  # it names a decision this history does not hold (older data)
            return
        if e.op == "undo":
            if self._done.pop(ref, None) is not None:
                self._undone[ref] = target
        elif self._undone.pop(ref, None) is not None:
            self._done[ref] = target


def read_history(who: str, final: bool, paths: Mapping[str, Path], cached: Mapping[str, State]) -> list[Step]:
    """``who``'s decisions (labels and segmentation, or with ``final`` final labels) in every
    article: from ``cached`` states where given, else from the labels file at ``paths``.  It
    reads files and the states it is given only, so it may run in another thread."""
    table = "final_history" if final else "history"
    field_name = "by" if final else "annotator"
    events: list[Step] = []
    for aid, path in paths.items():
        state = cached.get(aid)
        if state is not None:
            found = state.final_history if final else state.history
            events.extend(e for e in found if e.who == who)
            if not final:
                events.extend(e for e in state.seg_history if e.who == who)
            continue
        raw = read_bytes(path)
        if raw is None:
            continue
        data = parse_tinydb(path, raw)
        docs = (data.get(table) or {}).values()
        events.extend(event_from_doc(path, aid, d, final=final) for d in docs if d.get(field_name) == who)
        if not final:
            segs = (data.get("seg_history") or {}).values()
            events.extend(seg_event_from_doc(path, aid, d) for d in segs if d.get("annotator") == who)
    return events
