"""Which sentence a label read from a file belongs to, or why it belongs to none.

Another tool's span is a sentence when it is exactly one, once whitespace at its ends is
taken off (tools differ on whether a selection keeps the space after a full stop).  A span
over part of a sentence, or over several, is reported as such: choosing a sentence for it
would be a guess.  Our own exports' offsets are sentences as stored and match only as they are.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from annotator.formats.base import (
    NOT_A_SENTENCE,
    ONLY_SPACE,
    OUTSIDE,
    PART_OF_SENTENCE,
    TEXT_DIFFERS,
    Proposed,
    spans_reason,
    whole_text_reason,
)
from annotator.model import Article


class Sentences:
    """An article's sentences, for finding the ones a span touches (sentences are in order
    and do not overlap, so their starts and ends are both sorted)."""

    __slots__ = ("article", "spans", "known", "_starts", "_ends")

    def __init__(self, article: Article, known: frozenset[tuple[int, int]] = frozenset()) -> None:
        self.article = article
        self.spans = {(s.start, s.end) for s in article.sentences}
        self.known = known  # spans that were sentences once (split or joined since): our exports' labels may be on them
        self._starts: list[int] = []  # made when first needed: most labels are a sentence
        self._ends: list[int] = []

    def touched(self, start: int, end: int) -> int:
        """How many sentences share a character with ``[start, end)``."""
        if not self._starts:
            self._starts = [s.start for s in self.article.sentences]
            self._ends = [s.end for s in self.article.sentences]
        return bisect_left(self._starts, end) - bisect_right(self._ends, start)


def place(p: Proposed, sentences: Sentences) -> tuple[int, int] | str:
    """The sentence (start, end) the label belongs to, or why it belongs to none."""
    text = sentences.article.text
    if not 0 <= p.start < p.end <= len(text):
        return OUTSIDE
    if p.text is not None and text[p.start:p.end] != p.text:
        return TEXT_DIFFERS
    if p.exact:
        found = (p.start, p.end) in sentences.spans or (p.start, p.end) in sentences.known
        return (p.start, p.end) if found else NOT_A_SENTENCE
    start, end = p.start, p.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return ONLY_SPACE
    if (start, end) in sentences.spans:
        return start, end
    if p.whole and len(sentences.spans) != 1:
        return whole_text_reason(len(sentences.spans))
    n = sentences.touched(start, end)
    if n == 0:
        return NOT_A_SENTENCE
    return PART_OF_SENTENCE if n == 1 else spans_reason(n)
