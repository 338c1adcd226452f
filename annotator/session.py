"""One reviewer's labeling session: which article, which sentence, what to undo.

Textual-free, so every rule of labeling (save before counting, undo, resume) is tested
without a terminal.  Each change is written through ``Database`` (durable on return)
*before* the in-memory state and the counts change: if the write fails, nothing here
changes and the caller shows the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotator.model import Article, ArticleInfo, Label, now_iso

if TYPE_CHECKING:
    from annotator.storage import Database

UNDO_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Change:
    article_index: int
    sentence: int
    before: Label | None
    after: Label | None


class Session:
    def __init__(self, db: Database, annotator: str) -> None:
        self.db = db
        self.annotator = annotator
        self.scheme = db.scheme
        self.infos: list[ArticleInfo] = db.article_infos()
        self._index = {info.id: i for i, info in enumerate(self.infos)}
        counts = db.label_counts(annotator)
        # Labeled sentences per article for this annotator: kept current on every change.
        self.labeled: list[int] = [sum(counts.get(info.id, {}).values()) for info in self.infos]
        self.total_sentences = sum(info.n_sentences for info in self.infos)
        self.total_labeled = sum(self.labeled)
        self.undo_stack: list[Change] = []
        self.article_index = -1
        self.article: Article | None = None
        self.labels: list[Label | None] = []
        self._sentence_index: dict[tuple[int, int], int] = {}
        self.cursor = 0

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
        self.article_index = index
        self.article = art
        self._sentence_index = {(s.start, s.end): i for i, s in enumerate(art.sentences)}
        self.labels = [None] * len(art.sentences)
        for lab in self.db.labels(info.id, self.annotator):
            i = self._sentence_index.get((lab.start, lab.end))
            if i is not None:
                self.labels[i] = lab
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

    # -- changes --------------------------------------------------------------------
    def set_label(self, name: str) -> bool:
        """Label the cursor's sentence; returns False if it already had that label."""
        if self.article is None or not self.labels:
            return False
        current = self.labels[self.cursor]
        if current is not None and current.label == name:
            return False
        span = self.article.sentences[self.cursor]
        new = Label(self.article.id, span.start, span.end, name, self.annotator, now_iso())
        self.db.set_label(new)
        self._apply(self.article_index, self.cursor, current, new)
        return True

    def clear_label(self) -> bool:
        if self.article is None or not self.labels or self.labels[self.cursor] is None:
            return False
        current = self.labels[self.cursor]
        assert current is not None
        self.db.clear_label(current.article_id, current.start, current.end, current.annotator)
        self._apply(self.article_index, self.cursor, current, None)
        return True

    def undo(self) -> Change | None:
        """Take back the last change (in whatever article) and put the cursor on it."""
        if not self.undo_stack:
            return None
        change = self.undo_stack[-1]
        # Write first: if the disk refuses, neither the session nor the screen moves.
        if change.before is None:
            assert change.after is not None
            a = change.after
            self.db.clear_label(a.article_id, a.start, a.end, a.annotator)
        else:
            self.db.set_label(change.before)  # restores the earlier decision with its own time
        if change.article_index != self.article_index:
            self.open_article(change.article_index)
        self.cursor = change.sentence
        self.undo_stack.pop()
        self._store(change.article_index, change.sentence, change.after, change.before)
        return change

    def _apply(self, article_index: int, sentence: int, before: Label | None, after: Label | None) -> None:
        self.undo_stack.append(Change(article_index, sentence, before, after))
        if len(self.undo_stack) > UNDO_LIMIT:
            del self.undo_stack[: len(self.undo_stack) - UNDO_LIMIT]
        self._store(article_index, sentence, before, after)

    def _store(self, article_index: int, sentence: int, before: Label | None, after: Label | None) -> None:
        delta = (after is not None) - (before is not None)
        self.labeled[article_index] += delta
        self.total_labeled += delta
        if article_index == self.article_index:
            self.labels[sentence] = after
