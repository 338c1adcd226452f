"""Suggestions while labeling: which articles get them, and what the model learns from.

The labeling app asks for an article's suggestions in a worker (a suggester may take a
while: a command, a model's prediction), shows them as ghost labels, and gives every new
decision back here, so a learning suggester retrains in the background every few labels.
Nothing here touches Textual; the worker hands in and takes out plain values only, so no
database is read off the app's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.model import Article, ArticleInfo, Label, LabelScheme
from annotator.suggest.base import Example, Learner, Suggester, Suggestion, sentence_of, sentences_of

# A learner retrains after this many new labels (training takes 0.2 s at 300 sentences, 2 s
# at 3,000: after every label it would always be behind).
RETRAIN_EVERY = 5
# The labeled sentences a learner starts from at most (the most recent articles first).
START_EXAMPLES = 5000


@dataclass(frozen=True, slots=True)
class Offer:
    """One article's suggestions, as the worker hands them back."""

    article_id: str
    suggestions: tuple[Suggestion, ...]


def shared_for_agreement(info: ArticleInfo) -> bool:
    """Dealt to two reviewers or more (``assign --overlap``): agreement is measured there."""
    return len(info.assigned) >= 2


class LiveSuggestions:
    """One suggester for a labeling session.

    On articles shared for agreement there are none unless ``everywhere``: agreement must
    measure people, not a suggester they all saw.  A :class:`Learner` learns from the
    project's labels (every reviewer's), retrained every :data:`RETRAIN_EVERY` new ones.
    """

    def __init__(self, suggester: Suggester, *, everywhere: bool = False, min_score: float = 0.0) -> None:
        self.suggester = suggester
        self.everywhere = everywhere
        self.min_score = min_score
        self._examples: dict[tuple[str, int, int, str], Example] = {}  # (article, start, end, who)
        self._new = 0
        self._lock = threading.Lock()  # the worker copies the examples while the app adds one

    @property
    def name(self) -> str:
        return self.suggester.name

    @property
    def learns(self) -> bool:
        return isinstance(self.suggester, Learner)

    def allowed(self, info: ArticleInfo) -> bool:
        return self.everywhere or not shared_for_agreement(info)

    def suggest(self, article: Article, scheme: LabelScheme) -> Offer:
        """In a worker.  Raises ``SuggestError`` (one line) when the suggester cannot."""
        return Offer(article.id, tuple(s for s in self.suggester.suggest(article, scheme) if s.score >= self.min_score))

    # -- learning -------------------------------------------------------------------
    def add_labels(self, article: Article, labels: Iterable[Label]) -> None:
        """The article's labels, as examples (on the app's thread, at start and on opening)."""
        spans = {(s.start, s.end): i for i, s in enumerate(article.sentences)}
        sentences = None
        with self._lock:
            for lab in labels:
                i = spans.get((lab.start, lab.end))
                if i is None:
                    continue
                sentences = sentences or sentences_of(article)
                self._examples[(article.id, lab.start, lab.end, lab.annotator)] = Example(sentences[i], lab.label)

    def decided(self, article: Article, sentence: int, label: str | None, who: str) -> bool:
        """A new decision (on every label key: one sentence made, not the article's); True when
        a learner should retrain now.  A suggester that does not learn keeps no examples."""
        if not self.learns:
            return False
        s = article.sentences[sentence]
        key = (article.id, s.start, s.end, who)
        with self._lock:
            if label is None:
                self._examples.pop(key, None)
            else:
                self._examples[key] = Example(sentence_of(article, sentence), label)
            self._new += 1
            due = self._new >= RETRAIN_EVERY
            if due:
                self._new = 0
        return due

    def examples(self) -> list[Example]:
        with self._lock:
            return list(self._examples.values())

    def close(self) -> None:
        """End what the suggester runs (the model's process), when the app ends."""
        close = getattr(self.suggester, "close", None)
        if callable(close):
            close()

    def retrain(self, examples: Sequence[Example]) -> None:
        """In a worker: train on ``examples`` (a copy taken on the app's thread)."""
        if isinstance(self.suggester, Learner):
            self.suggester.update(examples)
