"""One reviewer's labeling session: which article, which sentence, what to undo.

Textual-free, so every rule of labeling (save before counting, undo, resume) is tested
without a terminal.  Each change is written through ``Database`` (durable on return)
*before* the in-memory state and the counts change.  If the disk refuses (full, read-only),
the decision is kept *pending*, in order, and retried; it is counted only once saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from typing import Literal

from annotator.assign import queue_first
from annotator.errors import AnnotatorError, Outdated, SaveError
from annotator.model import (
    NOTE_MAX_CHARS,
    SUGGESTION_SOURCE,
    Article,
    ArticleInfo,
    Event,
    Label,
    Note,
    clean_note,
    now_iso,
)
from annotator.resegment import SegEvent
from annotator.suggest.base import Suggestion
from annotator.suggest.live import LiveSuggestions

if TYPE_CHECKING:
    from annotator.storage import Database


@dataclass(frozen=True, slots=True)
class Change:
    article_index: int
    sentence: int
    before: Label | None
    after: Label | None
    resegmented: bool = False  # a split or join (or its undo): the article's sentences changed


@dataclass(frozen=True, slots=True)
class Resegmented:
    """What a split or join did: the cursor's sentence after it, and how many labels (anyone's,
    final labels too) it retired."""

    article_index: int
    sentence: int
    retired: int


@dataclass(frozen=True, slots=True)
class Pending:
    """A decision the disk has not taken yet: the label to store, or None to clear."""

    article_index: int
    sentence: int
    article_id: str
    start: int
    end: int
    target: Label | None


# "outdated": its sentence is no longer one (another reviewer split or joined it); nothing saved.
Outcome = Literal["saved", "unchanged", "pending", "outdated"]

# How often a screen takes in what other reviewers saved (a read of 8 bytes per guard when
# nothing changed, see ``Database.refresh``).
OTHERS_SECONDS = 1.0


@dataclass(frozen=True)
class Others:
    """What ``Session.take_in_others`` found: the articles whose rows changed, whether the open
    article was read again (its sentences changed), how many new articles came at the end of
    the list, and, when the open article changed but not its sentences, which of them to redraw."""

    changed: tuple[int, ...] = ()
    reopened: bool = False
    added: int = 0
    relabeled: tuple[int, ...] = ()  # sentences of the open article (read in place) whose own label or note changed


class Session:
    def __init__(self, db: Database, annotator: str, *, show_others: bool = False,
                 order: Sequence[str] | None = None) -> None:
        self.db = db
        self.annotator = annotator
        self.scheme = db.scheme
        # Blind by default: a reviewer sees only their own labels unless asked otherwise.
        self.show_others = show_others
        infos = db.article_infos()
        if order is not None:  # (label --order uncertain): the given ids first, the rest as they were
            place = {aid: n for n, aid in enumerate(order)}
            infos = sorted(infos, key=lambda i: place.get(i.id, len(place)))
        self.infos: list[ArticleInfo] = queue_first(infos, annotator)
        # Articles dealt to this reviewer by `annotator assign` come first: indices 0 .. queue_size-1.
        self.queue_size = sum(1 for info in self.infos if annotator in info.assigned)
        self.others: dict[int, list[tuple[str, str]]] = {}  # sentence -> other reviewers' (name, label)
        self._index = {info.id: i for i, info in enumerate(self.infos)}
        counts = db.label_counts(annotator, skip_damaged=True)  # a damaged article is shown as unavailable
        # (Reading the counts also reads each article's sentence count from its labels file, the
        # truth after a split or join: take the article rows as they are now.)
        self.infos = [db.article_info(info.id) for info in self.infos]
        # Labeled sentences per article for this annotator: kept current on every change.
        self.labeled: list[int] = [sum(counts.get(info.id, {}).values()) for info in self.infos]
        self.total_sentences = sum(info.n_sentences for info in self.infos)
        self.total_labeled = sum(self.labeled)
        self.articles_done = sum(1 for i in range(len(self.infos)) if self.is_done(i))
        self.queue_done = sum(1 for i in range(self.queue_size) if self.is_done(i))  # of their assigned articles
        self.pending: list[Pending] = []
        self.save_error: SaveError | None = None
        self.outdated: Outdated | None = None  # the last decision refused as outdated (see Outcome)
        self._drained: list[Pending] = []  # saved by a retry since the caller last asked
        self.article_index = -1
        self.article: Article | None = None
        self.labels: list[Label | None] = []
        self.notes: dict[int, Note] = {}  # sentence of the open article -> this reviewer's note and flag on it
        self._sentence_index: dict[tuple[int, int], int] = {}
        self.cursor = 0
        # The open article's suggestions by sentence (``offer``); shown only where this
        # reviewer has not decided.
        self.suggestions: dict[int, Suggestion] = {}
        self.live: LiveSuggestions | None = None  # the session's suggester, if any (the app asks it)

    # -- navigation -----------------------------------------------------------------
    def resume_position(self) -> tuple[int, int]:
        """First unlabeled sentence of the first incomplete article (for this annotator)."""
        for i, info in enumerate(self.infos):
            if self.labeled[i] < info.n_sentences:
                art = self.db.get_article(info.id)
                mine = {(lab.start, lab.end) for lab in self.db.labels(info.id, self.annotator)}
                for s, span in enumerate(art.sentences):
                    if (span.start, span.end) not in mine:
                        return i, s
                return i, 0
        return (0, 0) if self.infos else (-1, 0)

    def open_article(self, index: int, cursor: int = 0) -> None:
        info = self.infos[index]
        art = self.db.get_article(info.id)
        found = self.db.labels(info.id)  # both files read first: if one is damaged, nothing here changes
        mine = self.db.notes(info.id, self.annotator)
        self.article_index = index
        self.article = art
        self._sentence_index = {(s.start, s.end): i for i, s in enumerate(art.sentences)}
        self.labels = [None] * len(art.sentences)
        self.suggestions = {}
        self.others = {}
        for lab in found:
            i = self._sentence_index.get((lab.start, lab.end))
            if i is None:
                continue
            if lab.annotator == self.annotator:
                self.labels[i] = lab
            elif self.show_others:
                self.others.setdefault(i, []).append((lab.annotator, lab.label))
        self.notes = {}
        for n in mine:
            i = self._sentence_index.get((n.start, n.end))
            if i is not None and not n.empty:
                self.notes[i] = n
        self.cursor = max(0, min(cursor, len(art.sentences) - 1))

    def first_unlabeled(self, start: int = 0) -> int | None:
        for i in range(start, len(self.labels)):
            if self.labels[i] is None:
                return i
        return None

    @property
    def article_labeled(self) -> int:
        return self.labeled[self.article_index] if self.article_index >= 0 else 0

    @property
    def article_total(self) -> int:
        return len(self.labels)

    def is_done(self, index: int) -> bool:
        n = self.infos[index].n_sentences
        return n > 0 and self.labeled[index] >= n

    # -- other writers --------------------------------------------------------------
    def take_in_others(self) -> Others:
        """Take in what other reviewers (and imports, merges, assignments) saved meanwhile
        (``Database.refresh``).  New articles are added at the end of the list, so every index
        stays what it was; the open article is read again unless a decision on it waits."""
        r = self.db.refresh()
        if not r:
            return Others()
        added = 0
        if r.index:
            for info in self.db.article_infos():
                i = self._index.get(info.id)
                if i is None:
                    self._index[info.id] = len(self.infos)
                    self.infos.append(info)
                    mine = self.db.labeled(info.id, self.annotator)
                    self.labeled.append(mine)
                    self.total_sentences += info.n_sentences
                    self.total_labeled += mine
                    self.articles_done += self.is_done(len(self.infos) - 1)
                    added += 1
                elif info != self.infos[i]:
                    self._reread(i)
        changed: list[int] = []
        for aid in sorted(r.articles):
            i = self._index.get(aid)
            if i is None:
                continue
            try:
                self._reread(i)
            except AnnotatorError:
                continue  # damaged now: shown as unavailable when opened
            changed.append(i)
        reopened = False
        if self.article_index in changed and not self.pending and self.article is not None:
            at = self.article.sentences[self.cursor].start if self.article_total else 0
            try:
                if self.db.get_article(self.article.id).sentences == self.article.sentences:
                    # The usual case (another reviewer labeled here): no need to read it all again.
                    return Others(tuple(changed), False, added, self._relabel())
                self.open_article(self.article_index, 0)
            except AnnotatorError:
                return Others(tuple(changed), False, added)
            # The cursor stays on the text it was on, whatever was split or joined before it.
            self.cursor = next((k for k, sp in enumerate(self.article.sentences) if sp.end > at),
                               max(0, self.article_total - 1))
            reopened = True
        return Others(tuple(changed), reopened, added)

    def _relabel(self) -> tuple[int, ...]:
        """Read the open article's labels and this reviewer's notes again (its sentences are as
        they were); the sentences whose own label, note or flag changed."""
        assert self.article is not None
        found = self.db.labels(self.article.id)
        mine = self.db.notes(self.article.id, self.annotator)
        labels: list[Label | None] = [None] * len(self.article.sentences)
        others: dict[int, list[tuple[str, str]]] = {}
        for lab in found:
            i = self._sentence_index.get((lab.start, lab.end))
            if i is None:
                continue
            if lab.annotator == self.annotator:
                labels[i] = lab
            elif self.show_others:
                others.setdefault(i, []).append((lab.annotator, lab.label))
        notes = {i: n for n in mine if (i := self._sentence_index.get((n.start, n.end))) is not None and not n.empty}
        moved = tuple(i for i in range(len(labels))
                      if labels[i] != self.labels[i] or notes.get(i) != self.notes.get(i))
        self.labels, self.others, self.notes = labels, others, notes
        return moved

    # -- changes --------------------------------------------------------------------
    def shown_label(self, sentence: int) -> tuple[Label | None, bool]:
        """What the screen shows for a sentence of the open article: (label, is_pending)."""
        for p in reversed(self.pending):
            if p.article_index == self.article_index and p.sentence == sentence:
                return p.target, True
        return self.labels[sentence], False

    def set_label(self, name: str) -> Outcome:
        """Label the cursor's sentence (``name``: the label's id, or skip).  Over a suggestion
        of the same label that is accepting it; over another, the label says which it overrode."""
        if self.article is None or not self.labels:
            return "unchanged"
        if self.pending:
            self.retry_pending()
        current, _ = self.shown_label(self.cursor)
        if current is not None and current.label == name:
            return "unchanged"
        span = self.article.sentences[self.cursor]
        ghost = self.ghost(self.cursor)
        if ghost is not None and ghost.label == name:
            return self.accept()
        suggested = f"{ghost.source}:{ghost.label}" if ghost is not None else ""
        return self._decide(Label(self.article.id, span.start, span.end, name, self.annotator, now_iso(),
                                  suggested=suggested))

    # -- suggestions ----------------------------------------------------------------
    def offer(self, article_id: str, suggestions: Sequence[Suggestion]) -> list[int]:
        """Take an article's suggestions (from a worker); the sentences whose ghost changed."""
        if self.article is None or self.article.id != article_id:
            return []  # the reviewer has moved on
        new: dict[int, Suggestion] = {}
        for sug in suggestions:
            i = self._sentence_index.get((sug.start, sug.end))
            if i is not None and (i not in new or sug.score > new[i].score):
                new[i] = sug
        changed = sorted(i for i in set(new) | set(self.suggestions) if new.get(i) != self.suggestions.get(i))
        self.suggestions = new
        return changed

    def ghost(self, sentence: int) -> Suggestion | None:
        """The suggestion shown on a sentence: none where this reviewer has decided."""
        sug = self.suggestions.get(sentence)
        if sug is None or self.shown_label(sentence)[0] is not None:
            return None
        return sug

    def accept(self) -> Outcome:
        """Label the cursor's sentence with its suggestion, saying so (source, score)."""
        ghost = self.ghost(self.cursor) if self.article is not None and self.labels else None
        if ghost is None or self.article is None:
            return "unchanged"
        if self.pending:
            self.retry_pending()
        span = self.article.sentences[self.cursor]
        return self._decide(Label(self.article.id, span.start, span.end, ghost.label, self.annotator, now_iso(),
                                  source=f"{SUGGESTION_SOURCE}{ghost.source}", score=ghost.score))

    def clear_label(self) -> Outcome:
        if self.pending:
            self.retry_pending()
        if self.article is None or not self.labels or self.shown_label(self.cursor)[0] is None:
            return "unchanged"
        return self._decide(None)

    def _decide(self, target: Label | None) -> Outcome:
        assert self.article is not None
        span = self.article.sentences[self.cursor]
        p = Pending(self.article_index, self.cursor, self.article.id, span.start, span.end, target)
        if self.pending:  # still refused: queue behind, so decisions reach the disk in order
            self._queue(p)
            return "pending"
        try:
            self._write(p)
        except Outdated as exc:
            self.outdated = exc  # nothing saved: the screen takes in the article as it is now
            return "outdated"
        except SaveError as exc:
            self.save_error = exc
            self._queue(p)
            return "pending"
        self._apply(p.article_index, p.sentence, self.labels[p.sentence], target)
        return "saved"

    def _queue(self, p: Pending) -> None:
        # A newer decision on the same sentence replaces the waiting one.
        self.pending = [q for q in self.pending if (q.article_id, q.start, q.end) != (p.article_id, p.start, p.end)]
        self.pending.append(p)

    def _write(self, p: Pending) -> None:
        if p.target is None:
            self.db.clear_label(p.article_id, p.start, p.end, self.annotator)
        else:
            self.db.set_label(p.target)

    def retry_pending(self) -> list[Pending]:
        """Try the waiting decisions in order; returns those now saved (and counted)."""
        saved: list[Pending] = []
        while self.pending:
            p = self.pending[0]
            before = self._saved_label(p)
            if before is None and p.target is None:  # a clear of what never got saved
                self.pending.pop(0)
                continue
            try:
                self._write(p)
            except Outdated as exc:
                self.outdated = exc  # its sentence was split or joined meanwhile: it cannot be saved
                self.pending.pop(0)
                continue
            except SaveError as exc:
                self.save_error = exc
                break
            self.pending.pop(0)
            self._apply(p.article_index, p.sentence, before, p.target)
            saved.append(p)
        if not self.pending:
            self.save_error = None
        self._drained.extend(saved)
        return saved

    def take_drained(self) -> list[Pending]:
        """Pending decisions saved since the last call, so a screen can redraw just those."""
        drained, self._drained = self._drained, []
        return drained

    def _saved_label(self, p: Pending) -> Label | None:
        if p.article_index == self.article_index:
            return self.labels[p.sentence]
        for lab in self.db.labels(p.article_id, self.annotator):
            if (lab.start, lab.end) == (p.start, p.end):
                return lab
        return None

    def undo(self) -> Change | None:
        """Take back the last decision (in whatever article) and put the cursor on it.

        The undo is itself a decision, stamped and kept in the sentence's history, so it
        travels through merge and export, and works after a restart."""
        if self.pending:  # the newest decision never reached the disk: just drop it
            p = self.pending.pop()
            if not self.pending:
                self.save_error = None
            if p.article_index != self.article_index:
                self.open_article(p.article_index)
            self.cursor = p.sentence
            return Change(p.article_index, p.sentence, p.target, None)
        # Written first: if the disk refuses, neither the session nor the screen moves.
        return self._went_back(self.db.undo(self.annotator))

    def redo(self) -> Change | None:
        """Make the last undone decision again (also after a restart); None if there is none."""
        if self.pending:
            return None
        return self._went_back(self.db.redo(self.annotator))

    def _went_back(self, ev: Event | SegEvent | None) -> Change | None:
        """Count a stored undo or redo and put the cursor on its sentence."""
        if ev is None:
            return None
        index = self._index.get(ev.article_id)
        if index is None:
            return None
        if isinstance(ev, SegEvent):
            self._reread(index)
            self.open_article(index, self._sentence_index.get((ev.added[0].start, ev.added[0].end), 0))
            return Change(index, self.cursor, None, None, resegmented=True)
        before = None if ev.before is None else Label(ev.article_id, ev.start, ev.end, ev.before, self.annotator, "")
        after = None if ev.label is None else Label(ev.article_id, ev.start, ev.end, ev.label, self.annotator,
                                                    ev.updated_at, ev.tick, ev.source, ev.score, ev.suggested)
        if index == self.article_index:
            sentence = self._sentence_index.get((ev.start, ev.end))
            if sentence is None:
                return None
            self._store(index, sentence, self.labels[sentence], after)
        else:
            self._store(index, -1, before, after)  # counts only: the article is not open
            self.open_article(index)  # shows the new state, read back from the database
            sentence = self._sentence_index.get((ev.start, ev.end))
            if sentence is None:
                return None
        self.cursor = sentence
        return Change(index, sentence, before, after)

    # -- notes and flags --------------------------------------------------------------
    def note(self, sentence: int | None = None) -> Note | None:
        """This reviewer's note and flag on a sentence of the open article (the cursor's)."""
        return self.notes.get(self.cursor if sentence is None else sentence)

    def set_note(self, text: str) -> Note | None:
        """Write the cursor's sentence's note (made one printable line, at most NOTE_MAX_CHARS; ""
        takes it off).  Saved (fsynced) before anything here changes: SaveError if the disk
        refused, and then nothing changed.  None when there is no sentence."""
        if self.article is None or not self.labels:
            return None
        span = self.article.sentences[self.cursor]
        note = self.db.set_note(self.article.id, span.start, span.end, self.annotator,
                                clean_note(text)[:NOTE_MAX_CHARS].rstrip())
        self._keep_note(self.cursor, note)
        return note

    def toggle_flag(self) -> Note | None:
        """Flag the cursor's sentence as unsure, or take the flag off (saved first, as ``set_note``)."""
        if self.article is None or not self.labels:
            return None
        span = self.article.sentences[self.cursor]
        had = self.notes.get(self.cursor)
        note = self.db.set_flag(self.article.id, span.start, span.end, self.annotator, not (had and had.flag))
        self._keep_note(self.cursor, note)
        return note

    def _keep_note(self, sentence: int, note: Note) -> None:
        if note.empty:
            self.notes.pop(sentence, None)
        else:
            self.notes[sentence] = note

    # -- fixing the split -------------------------------------------------------------
    def split(self, offset: int) -> Resegmented:
        """Split the open article's sentence at ``offset`` (a code point of its text); the cursor
        goes to the first half.  ValueError says why not; SaveError if the disk refused (then
        nothing changed)."""
        art = self._can_resegment()
        before = self._retired_count(art.id)
        self.db.split_sentence(art.id, offset, self.annotator)
        return self._resegmented(before, self.cursor)

    def join(self) -> Resegmented:
        """Join the cursor's sentence with the next one (ValueError at the last sentence)."""
        art = self._can_resegment()
        before = self._retired_count(art.id)
        self.db.join_sentences(art.id, self.cursor, self.annotator)
        return self._resegmented(before, self.cursor)

    def _can_resegment(self) -> Article:
        if self.article is None or not self.labels:
            raise ValueError("no sentence to change here")
        if self.pending:
            self.retry_pending()
        if self.pending:  # their sentences would move under them
            raise ValueError(f"{len(self.pending)} decision(s) are not saved yet; split or join once they are")
        return self.article

    def _retired_count(self, article_id: str) -> int:
        return len(self.db.retired(article_id))

    def _resegmented(self, retired_before: int, cursor: int) -> Resegmented:
        assert self.article is not None
        index = self.article_index
        self._reread(index)
        self.open_article(index, cursor)
        return Resegmented(index, self.cursor, self._retired_count(self.infos[index].id) - retired_before)

    def _reread(self, index: int) -> None:
        """An article's sentences changed: its row, and this reviewer's counts of it, read again."""
        was_done = self.is_done(index)
        old = self.infos[index]
        info = self.infos[index] = self.db.article_info(old.id)
        labeled = self.db.labeled(info.id, self.annotator)
        self.total_labeled += labeled - self.labeled[index]
        self.labeled[index] = labeled
        self.total_sentences += info.n_sentences - old.n_sentences
        now_done = self.is_done(index)
        self.articles_done += now_done - was_done
        if index < self.queue_size:
            self.queue_done += now_done - was_done

    def _apply(self, article_index: int, sentence: int, before: Label | None, after: Label | None) -> None:
        self._store(article_index, sentence, before, after)

    def _store(self, article_index: int, sentence: int, before: Label | None, after: Label | None) -> None:
        delta = (after is not None) - (before is not None)
        was_done = self.is_done(article_index)
        self.labeled[article_index] += delta
        self.articles_done += self.is_done(article_index) - was_done
        if article_index < self.queue_size:
            self.queue_done += self.is_done(article_index) - was_done
        self.total_labeled += delta
        if article_index == self.article_index:
            self.labels[sentence] = after
