"""Finding text: in one article (``/`` in the app) and across a project (issue 14).

Matching ignores case the Unicode way (``str.casefold``: "STRASSE" finds "Straße") and
gives offsets in the article's own code points, so a match is ``text[start:end]`` whatever
casefolding did to lengths.  Textual-free; the project-wide search is a generator, so the
app runs it in a worker and stops it when the query changes.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError
from annotator.model import Article, Span

if TYPE_CHECKING:
    from annotator.storage import Database

# Characters of context on each side of a match in a project-wide result.
SNIPPET_CONTEXT = 30


@dataclass(frozen=True, slots=True)
class Folded:
    """A text casefolded, with where each folded character came from in the original."""

    text: str
    # folded position -> original position (one more entry: the end); None: one for one
    origin: tuple[int, ...] | None

    def at(self, i: int) -> int:
        return i if self.origin is None else self.origin[i]


def fold(text: str) -> Folded:
    folded = text.casefold()  # (in C: a megabyte in milliseconds)
    if len(folded) == len(text):  # the common case, every character one for one: no map needed
        return Folded(folded, None)
    parts: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        f = c.casefold()
        parts.append(f)
        origin.extend([i] * len(f))
    origin.append(len(text))
    return Folded("".join(parts), tuple(origin))


def find(text: str | Folded, query: str) -> list[tuple[int, int]]:
    """Every match of ``query`` in ``text``, as [start, end) offsets of the original text,
    in order, not overlapping.  An empty or blank query matches nothing."""
    folded = text if isinstance(text, Folded) else fold(text)
    q = query.casefold()
    if not q.strip():
        return []
    out: list[tuple[int, int]] = []
    i = folded.text.find(q)
    last = len(folded.text)
    while i >= 0:
        start, end = folded.at(i), folded.at(i + len(q))
        # A match ending inside a character that folded to several ("ß" -> "ss") takes all of it.
        if i + len(q) < last and folded.at(i + len(q)) == folded.at(i + len(q) - 1):
            end = folded.at(i + len(q) - 1) + 1
        end = max(end, start + 1)
        if out and start < out[-1][1]:  # inside the character the last match ended in ("ß" for "s", "s")
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
        i = folded.text.find(q, i + len(q))
    return out


@dataclass(frozen=True, slots=True)
class Match:
    """A match in an article: its sentence (index, -1 if between sentences) and offsets."""

    sentence: int
    start: int
    end: int


def in_article(article: Article, query: str, folded: Folded | None = None) -> list[Match]:
    """The matches of ``query`` in an article, each with the sentence it starts in (``folded``:
    its text folded already, kept by a caller that searches it again as the query is typed)."""
    return _with_sentences(article.sentences, find(folded if folded is not None else article.text, query))


def _with_sentences(sentences: Sequence[Span], matches: list[tuple[int, int]]) -> list[Match]:
    starts = [s.start for s in sentences]
    out = []
    for start, end in matches:
        k = bisect.bisect_right(starts, start) - 1
        inside = k >= 0 and start < sentences[k].end
        out.append(Match(k if inside else -1, start, end))
    return out


@dataclass(frozen=True, slots=True)
class ProjectMatch:
    article_id: str
    title: str
    sentence: int
    start: int
    end: int
    snippet: str  # the match with some context, on one line


def snippet(text: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> str:
    a, b = max(0, start - context), min(len(text), end + context)
    return ("…" if a else "") + " ".join(text[a:b].split()) + ("…" if b < len(text) else "")


def in_project(db: Database, query: str, article_ids: Sequence[str] | None = None,
               stop: Callable[[], bool] = lambda: False) -> Iterator[ProjectMatch]:
    """Every match in the project's articles (or those of ``article_ids``), article by article
    in their order; an article that cannot be read is passed over.  ``stop`` is asked before
    each article (a newer query, a closed screen)."""
    ids = article_ids if article_ids is not None else [i.id for i in db.article_infos()]
    q = query.casefold()
    if not q.strip():
        return
    for aid in ids:
        if stop():
            return
        try:
            article = db.get_article(aid)
        except (AnnotatorError, KeyError):
            continue
        if q.isascii() and article.text.isascii() and q not in article.text.lower():
            continue  # the common case, without folding
        for m in in_article(article, query):
            yield ProjectMatch(aid, article.title, m.sentence, m.start, m.end, snippet(article.text, m.start, m.end))
