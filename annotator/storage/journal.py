"""Undo and redo over one person's history of decisions, in any article.

Undo and redo are decisions like any other (see ``model.Event``), so the stacks are not
kept anywhere: they are replayed from the person's events in stamp order.  A new decision
goes on the undo stack and empties the redo stack; an undo moves the decision it names
from the undo stack to the redo stack, a redo moves it back.  The same history gives the
same stacks on any machine, after a restart, a merge or an import.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotator.model import Event
from annotator.storage.records import Order, event_order

_Ref = tuple[str, int, int, str]  # (article, start, end, stamp) of a decision


def _ref(e: Event) -> _Ref:
    return (e.article_id, e.start, e.end, e.stamp)


class Journal:
    """One person's undo and redo stacks for labels (``final=False``) or final labels."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.done: list[Event] = []
        self.undone: list[Event] = []
        self._by_ref: dict[_Ref, Event] = {}
        self.last: Order | None = None
        for e in sorted(events, key=event_order):
            self._apply(e)

    def fits(self, e: Event) -> bool:
        """Whether ``e`` comes after everything replayed, so it can be applied in place."""
        return self.last is None or event_order(e) > self.last

    def apply(self, e: Event) -> None:
        assert self.fits(e)
        self._apply(e)

    def _apply(self, e: Event) -> None:
        self.last = event_order(e)
        if e.op in ("label", "clear"):
            self._by_ref[_ref(e)] = e
            self.done.append(e)
            self.undone.clear()
            return
        target = self._by_ref.get((e.article_id, e.start, e.end, e.undoes))
        if target is None:  # it names a decision this history does not hold (older data)
            return
        if e.op == "undo":
            if target in self.done:
                self.done.remove(target)
                self.undone.append(target)
        elif target in self.undone:
            self.undone.remove(target)
            self.done.append(target)
