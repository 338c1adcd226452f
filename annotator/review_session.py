"""The adjudication queue behind ``annotator review`` (no Textual, so every rule is unit-tested).

The queue holds every sentence where reviewers disagree, and every final label chosen on
votes that have changed since (*stale*: back in the queue even if the reviewers now agree
or fewer than two are left), in article and sentence order (``adjudicate.review_queue``);
other unanimous sentences never enter it.  The cursor starts on the first *open* item
(undecided, or stale), and choosing a final label saves it at once, with today's votes,
and moves on to the next open one.

Each change is written through ``Database`` (durable on return) *before* anything in
memory changes.  If the disk refuses, the state stays exactly as it was, the refusal is
kept in ``save_error`` and the choice in ``unsaved`` (so the screen can show what did not
reach the disk); doing the same again retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from annotator.adjudicate import VoteChange, review_queue, same_votes, vote_changes
from annotator.errors import SaveError
from annotator.model import Decision, Event, Note, Span, now_iso
from annotator.resegment import SegEvent
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database

UNDO_LIMIT = 10_000
REASON_MAX = 1_000  # characters kept of a noted reason

Outcome = Literal["saved", "unchanged", "failed"]
NoteOutcome = Literal["saved", "noted", "unchanged", "failed"]


@dataclass(slots=True)
class Item:
    """One sentence of the queue (disputed, or with a stale final label) and where its final label stands."""

    article_index: int
    article_id: str
    sentence: int
    span: Span
    votes: tuple[tuple[str, str], ...]  # (annotator, label), by annotator name
    decision: Decision | None
    # A reason noted in this session, kept for this sentence until its label is chosen
    # (and after, so an undo and a new choice keep it); None: nothing noted here.
    noted: str | None = None

    @property
    def decided(self) -> bool:
        return self.decision is not None

    @property
    def stale(self) -> bool:
        """Decided, but the reviewers' labels have changed since."""
        return self.decision is not None and not same_votes(self.decision.votes, self.votes)

    @property
    def disputed(self) -> bool:
        """The reviewers disagree today (a stale item may not be disputed any more)."""
        return len({label for _, label in self.votes}) > 1

    @property
    def changes(self) -> list[VoteChange]:
        """How the reviewers' labels changed since the final label was chosen; [] unless stale."""
        if self.decision is None or not self.stale:
            return []
        return vote_changes(self.decision.votes, self.votes)

    @property
    def open(self) -> bool:
        """Still needs a reviewer: undecided, or decided on other votes than today's."""
        return self.decision is None or self.stale

    @property
    def draft(self) -> str | None:
        """A reason noted here that the stored decision does not carry (yet), or None."""
        if self.noted is None or (self.decision is not None and self.decision.reason == self.noted):
            return None
        return self.noted if self.noted or self.decision is not None else None


@dataclass(frozen=True, slots=True)
class Change:
    """One stored change of a final label, for undo."""

    index: int  # in the queue
    before: Decision | None
    after: Decision | None
    noted_before: str | None = None  # the sentence's noted reason before the change


@dataclass(frozen=True, slots=True)
class Undone:
    """What ``undo`` did: "undone" (``change`` taken back), "dropped" (a choice the disk had
    refused, forgotten), "failed" (the disk refused the undo: nothing changed) or "nothing"."""

    outcome: Literal["undone", "dropped", "failed", "nothing"]
    change: Change | None = None


@dataclass(frozen=True, slots=True)
class Unsaved:
    """A choice the disk refused: shown until it is saved or given up."""

    index: int
    label: str


class ReviewSession:
    """The review queue (disputes and stale final labels) for one reviewer (``by`` on every decision)."""

    def __init__(self, db: Database, reviewer: str) -> None:
        self.db = db
        self.reviewer = reviewer
        self.scheme = db.scheme
        self.infos = db.article_infos()
        self.items: list[Item] = [
            Item(d.article_index, d.article_id, d.resolution.sentence, d.resolution.span, d.resolution.votes,
                 d.resolution.decision)
            for d in review_queue(db)
        ]
        self._notes: dict[str, dict[tuple[int, int, str], Note]] = {}  # article -> its notes, read once
        self.undo_stack: list[Change] = []
        self.save_error: SaveError | None = None
        self.unsaved: Unsaved | None = None
        first = self.next_open(-1)
        self.cursor = first if first is not None else 0

    # -- other writers --------------------------------------------------------------
    def take_in_others(self) -> bool:
        """Take in what reviewers (and imports, merges) saved meanwhile (``Database.refresh``): the
        queue's sentences in the articles that changed are made again, in place, the cursor kept
        on its sentence.  Not while a refused choice waits (its place in the queue must hold).
        True if the queue may have changed."""
        if self.unsaved is not None:
            return False
        r = self.db.refresh()
        if not r:
            return False
        touched = set(r.articles)
        if r.index:
            known = {i.id for i in self.infos}
            self.infos = self.db.article_infos()
            touched |= {i.id for i in self.infos if i.id not in known}
        if not touched:
            return r.index

        def key(it: Item) -> tuple[str, int, int]:
            return it.article_id, it.span.start, it.span.end

        current = self.current
        noted = {key(it): it.noted for it in self.items if it.noted is not None}
        fresh = [Item(d.article_index, d.article_id, d.resolution.sentence, d.resolution.span, d.resolution.votes,
                      d.resolution.decision) for d in review_queue(self.db, only=touched)]
        for it in fresh:
            it.noted = noted.get(key(it))
        items = [it for it in self.items if it.article_id not in touched] + fresh
        items.sort(key=lambda it: (it.article_index, it.sentence))
        where = {key(it): n for n, it in enumerate(items)}
        self.undo_stack = [Change(where.get(key(self.items[c.index]), -1), c.before, c.after, c.noted_before)
                           for c in self.undo_stack if 0 <= c.index < len(self.items)]
        self.items = items
        for aid in touched:
            self._notes.pop(aid, None)
        if current is not None and key(current) in where:
            self.cursor = where[key(current)]
        elif current is not None:  # its sentence left the queue: the next one after it
            self.cursor = next((n for n, it in enumerate(items)
                                if (it.article_index, it.sentence) >= (current.article_index, current.sentence)),
                               max(0, len(items) - 1))
        else:
            first = self.next_open(-1)
            self.cursor = first if first is not None else 0
        return True

    # -- the queue ------------------------------------------------------------------
    @property
    def current(self) -> Item | None:
        return self.items[self.cursor] if self.items else None

    @property
    def total(self) -> int:
        return len(self.items)

    def counts(self) -> tuple[int, int, int]:
        """(decided, stale, left) in one pass: decided on today's votes; decided on votes that
        changed since; still to decide (undecided and stale).  decided + left == total."""
        decided = stale = 0
        for it in self.items:
            if it.decision is not None:
                if it.stale:
                    stale += 1
                else:
                    decided += 1
        return decided, stale, len(self.items) - decided

    @property
    def decided(self) -> int:
        return self.counts()[0]

    @property
    def stale(self) -> int:
        return self.counts()[1]

    @property
    def left(self) -> int:
        return self.counts()[2]

    def next_open(self, after: int) -> int | None:
        """The first open dispute after ``after`` (wrapping around), or None if none is open."""
        n = len(self.items)
        for step in range(1, n + 1):
            i = (after + step) % n
            if self.items[i].open:
                return i
        return None

    def move(self, delta: int) -> bool:
        """Move the cursor over the whole queue, decided or not; False at either end."""
        target = self.cursor + delta
        if not self.items or not 0 <= target < len(self.items):
            return False
        self.cursor = target
        return True

    def goto(self, index: int) -> None:
        if self.items:
            self.cursor = max(0, min(index, len(self.items) - 1))

    def notes_of(self, item: Item) -> dict[str, Note]:
        """Each reviewer's note and flag on the item's sentence (those with either), by name."""
        found = self._notes.get(item.article_id)
        if found is None:
            found = self._notes[item.article_id] = {
                (n.start, n.end, n.annotator): n for n in self.db.notes(item.article_id) if not n.empty}
        return {who: n for (start, end, who), n in found.items() if (start, end) == (item.span.start, item.span.end)}

    def in_article(self, article_index: int) -> Iterator[tuple[int, Item]]:
        """The queue's items (with their queue index) in one article."""
        for i, it in enumerate(self.items):
            if it.article_index == article_index:
                yield i, it

    # -- changes --------------------------------------------------------------------
    def decide(self, label: str) -> Outcome:
        """Make ``label`` the final label of the cursor's sentence, then move to the next open one.

        "unchanged" (and still moving on) if the sentence already has this final label on
        today's votes and no new reason was noted.  "failed" if the disk refused: nothing
        changed, ``save_error`` says why and the same call retries.
        """
        item = self.current
        if item is None:
            return "unchanged"
        if not self.scheme.takes(label):
            raise ValueError(f"{label!r} is not a label of this project")
        old = item.decision
        if old is not None and not item.stale and old.label == label and item.draft is None:
            self._saved(self.cursor)
            self._move_on()
            return "unchanged"
        if item.noted is not None:
            reason = item.noted
        elif old is not None and old.by == self.reviewer and old.label == label:
            reason = old.reason  # re-deciding a stale one: your reason still stands
        else:
            reason = ""  # someone else's reason (or one for another label) is not yours to sign
        new = Decision(item.article_id, item.span.start, item.span.end, label, self.reviewer, reason, now_iso(),
                       item.votes)
        if not self._save(self.cursor, new):
            self.unsaved = Unsaved(self.cursor, label)
            return "failed"
        self._push(Change(self.cursor, old, new, item.noted))
        self._move_on()
        return "saved"

    def note(self, reason: str) -> NoteOutcome:
        """Note why the cursor's sentence gets its final label.

        Decided: the decision is saved again with the reason, as the current reviewer's
        ("saved"; undo takes it back).  Undecided: the reason is kept and saved with the
        label chosen next ("noted").  Blank clears the reason.
        """
        item = self.current
        if item is None:
            return "unchanged"
        reason = " ".join(reason.split())[:REASON_MAX]
        if item.decision is None:
            if reason == (item.noted or ""):
                return "unchanged"
            item.noted = reason
            return "noted"
        old = item.decision
        if reason == old.reason:
            item.noted = reason
            return "unchanged"
        new = replace(old, by=self.reviewer, reason=reason, updated_at=now_iso())
        noted_before = item.noted
        if not self._save(self.cursor, new):
            return "failed"
        item.noted = reason
        self._push(Change(self.cursor, old, new, noted_before))
        return "saved"

    def undo(self) -> Undone:
        """Take back the last final label this reviewer chose (in this session or before) and put
        the cursor on its sentence.

        The undo is a decision of its own (stamped, kept in the sentence's history), which
        brings back the decision it replaced (its label, reason and votes) or, if there was
        none, takes the final label off; so it travels through merge and export.  If the
        disk refuses, nothing changes and ``save_error`` says why.  A choice the disk refused
        is just dropped.
        """
        if self.unsaved is not None:  # never reached the disk: nothing to write back
            self.cursor = self.unsaved.index
            self.unsaved = self.save_error = None
            return Undone("dropped")
        return self._went_back(self.db.undo, undo=True)

    def redo(self) -> Undone:
        """Choose again the final label last undone (also after a restart)."""
        if self.unsaved is not None:
            return Undone("nothing")
        return self._went_back(self.db.redo, undo=False)

    def _went_back(self, step: Callable[..., Event | SegEvent | None], *, undo: bool) -> Undone:
        try:
            ev = step(self.reviewer, final=True)
        except SaveError as exc:
            self.save_error = exc
            return Undone("failed")
        self.save_error = None
        if not isinstance(ev, Event):  # (final labels only: never a split or join)
            return Undone("nothing")
        index = next((i for i, it in enumerate(self.items)
                      if (it.article_id, it.span.start, it.span.end) == (ev.article_id, ev.start, ev.end)), None)
        if index is None:  # a sentence no longer in the queue: undone all the same
            return Undone("undone")
        item = self.items[index]
        before = item.decision
        after = next((d for d in self.db.decisions(ev.article_id) if (d.start, d.end) == (ev.start, ev.end)), None)
        item.decision = after
        if undo and self.undo_stack and self.undo_stack[-1].index == index:
            item.noted = self.undo_stack.pop().noted_before
        self.cursor = index
        return Undone("undone", Change(index, before, after, item.noted))

    def _save(self, index: int, decision: Decision) -> bool:
        try:
            self.db.set_decision(decision)
        except SaveError as exc:
            self.save_error = exc
            return False
        self.items[index].decision = decision
        self._saved(index)
        return True

    def _saved(self, index: int) -> None:
        """The disk took a change of ``index``: a refused choice there is settled, one elsewhere
        stays shown (and in the way of undo) until retried or dropped."""
        self.save_error = None
        if self.unsaved is not None and self.unsaved.index == index:
            self.unsaved = None

    def _push(self, change: Change) -> None:
        self.undo_stack.append(change)
        if len(self.undo_stack) > UNDO_LIMIT:
            del self.undo_stack[: len(self.undo_stack) - UNDO_LIMIT]

    def _move_on(self) -> None:
        nxt = self.next_open(self.cursor)
        if nxt is not None:
            self.cursor = nxt

    # -- why the queue is empty -----------------------------------------------------
    def empty_reason(self) -> str:
        """What to tell a reviewer who finds no disputes, and how to get some."""
        by_article = self.db.annotators_by_article()
        reviewers = sorted({a for names in by_article.values() for a in names})
        shared = sum(1 for names in by_article.values() if len(names) >= 2)
        if not self.infos:
            return ("No articles in this database yet.\n\n"
                    "Import some and have two or more reviewers label them:\n\n"
                    "    annotator import samples/")
        if len(reviewers) < 2:
            who = f"Only {sanitize_line(reviewers[0])} has" if reviewers else "Nobody has"
            return (f"{who} labeled anything yet: review compares the labels of two or more reviewers\n"
                    "on the same sentences.\n\n"
                    "Deal articles to two reviewers at a time, then have each label theirs:\n\n"
                    "    annotator assign --annotators ana,budi --overlap 0.2\n"
                    "    annotator label --annotator budi\n\n"
                    "or bring in another reviewer's database:\n\n"
                    "    annotator merge their/annotations.json")
        if not shared:
            return (f"{len(reviewers)} reviewers labeled, but never the same article: there is nothing to compare.\n\n"
                    "Have a second reviewer label some of the same articles, e.g. those dealt to two\n"
                    "reviewers by `annotator assign --overlap 0.2`.")
        return (f"No disputes: every sentence labeled by two or more reviewers agrees\n"
                f"({shared} article(s) labeled by two or more of {len(reviewers)} reviewers).\n\n"
                "Those labels are accepted as they are.")
