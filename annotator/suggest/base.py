"""What every suggester shares: the suggestion, the sentence it sees, the protocol, the errors.

A :class:`Suggestion` names one sentence of one article by its offsets (like a label), a
label id of the project's scheme or ``skip`` (:data:`annotator.model.SKIP`), a score in
0..1 and its ``source``: ``rules``, ``model``, ``cmd:<name>`` or the name pre-labels were
imported as.  It is never a decision: only a reviewer's key makes one from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from annotator.errors import AnnotatorError
from annotator.model import Article, LabelScheme
from annotator.sanitize import sanitize_line

# A message longer than this is cut: it is one line of a notification or of stderr.
MESSAGE_MAX = 300


class SuggestError(AnnotatorError):
    """A suggester cannot suggest (missing extra, failing command, unusable file): one line,
    naming what failed and what to do.  Labeling goes on without suggestions."""

    title = "Suggestions"
    exit_code = 2

    def __init__(self, message: str) -> None:
        line = " ".join(sanitize_line(part) for part in message.split())
        if len(line) > MESSAGE_MAX:
            line = line[: MESSAGE_MAX - 1] + "…"
        super().__init__(line)


class MissingExtra(SuggestError):
    """An optional library is not installed (scikit-learn for the model)."""

    title = "Suggestions unavailable"


class CommandError(SuggestError):
    """A ``--suggest-cmd`` command hung, crashed, or answered something unusable."""

    title = "Suggestion command failed"


class NotEnoughLabels(SuggestError):
    """The model has too few labeled sentences (or labels) to learn from yet."""

    title = "Not enough labels"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed label for the sentence ``[start, end)`` of ``article_id``."""

    article_id: str
    start: int
    end: int
    label: str  # a label id of the scheme, or SKIP
    score: float  # 0..1: how sure the suggester is
    source: str  # rules, model, cmd:<name>, or an imported name

    def __post_init__(self) -> None:
        if not (isinstance(self.score, (int, float)) and math.isfinite(self.score) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"score {self.score!r} is not in 0..1")
        if not 0 <= self.start < self.end:
            raise ValueError(f"[{self.start}, {self.end}) is no sentence")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence as a suggester sees it: its text and its place in the article."""

    article_id: str
    index: int  # from 0, in reading order
    start: int
    end: int
    text: str
    before: str = ""  # the previous sentence's text ("" for the first)
    after: str = ""  # the next sentence's text ("" for the last)
    title: str = ""  # the article's title
    count: int = 1  # sentences in the article

    @property
    def position(self) -> float:
        """Where the sentence stands in its article: 0.0 first, 1.0 last."""
        return self.index / (self.count - 1) if self.count > 1 else 0.0


@dataclass(frozen=True, slots=True)
class Example:
    """A labeled sentence to learn from: a reviewer's (or gold) label id, or SKIP."""

    sentence: Sentence
    label: str


def sentences_of(article: Article) -> list[Sentence]:
    """The sentences of ``article`` with their neighbours, in order."""
    text = article.text
    spans = article.sentences
    texts = [text[s.start:s.end] for s in spans]
    n = len(spans)
    return [
        Sentence(article.id, i, s.start, s.end, texts[i], texts[i - 1] if i > 0 else "",
                 texts[i + 1] if i + 1 < n else "", article.title, n)
        for i, s in enumerate(spans)
    ]


def sentence_of(article: Article, i: int) -> Sentence:
    """Sentence ``i`` of ``article`` as ``sentences_of`` has it, without making all the others
    (the app makes one for every decision)."""
    spans, text, n = article.sentences, article.text, len(article.sentences)

    def piece(k: int) -> str:
        return text[spans[k].start:spans[k].end] if 0 <= k < n else ""

    return Sentence(article.id, i, spans[i].start, spans[i].end, piece(i), piece(i - 1), piece(i + 1), article.title, n)


@runtime_checkable
class Suggester(Protocol):
    """Proposes labels for the sentences of one article.

    ``suggest`` returns at most one suggestion per sentence, in sentence order, each with a
    label the scheme takes now (``scheme.takes``); sentences it has nothing to say about
    are left out.  It raises :class:`SuggestError` (one line) when it cannot suggest at all.
    """

    @property
    def name(self) -> str: ...

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]: ...


@runtime_checkable
class Learner(Suggester, Protocol):
    """A suggester that learns: ``update`` gives it every labeled sentence so far (it may be
    slow: callers run it in a background worker, never on a key)."""

    def update(self, examples: Sequence[Example]) -> None: ...


def by_sentence(suggestions: Sequence[Suggestion]) -> dict[tuple[str, int, int], Suggestion]:
    """The suggestions keyed by (article id, start, end); of two for one sentence, the higher score."""
    out: dict[tuple[str, int, int], Suggestion] = {}
    for s in suggestions:
        key = (s.article_id, s.start, s.end)
        if key not in out or s.score > out[key].score:
            out[key] = s
    return out
