"""Pre-labels from a file (``annotator suggest import FILE.jsonl --as NAME``), as suggestions.

Pre-labels (say, from an LLM run over the articles) are suggestions, not a reviewer's
labels: each becomes a :class:`~annotator.suggest.base.Suggestion` whose source is NAME.
The file is JSON Lines, one sentence a line, in either shape:

* by offsets: ``{"article_id": "5e9780b3dde8aaba", "start": 0, "end": 147, "label": "quote",
  "score": 0.8}``;
* our ``export --format sentences`` rows, keyed by text: ``{"article_id": "art_5e97…",
  "text": "the sentence", "label": "quote"}``, with ``start``/``end`` or ``sentence`` (its
  index) when there are (the text must then be that sentence's), else found by its text.

``article_id`` may carry the exports' ``art_`` prefix.  ``label`` is a label's name (or its
id), or ``skip``; ``score`` is optional (taken as 1.0) and must be in 0..1.  A line with
``"label": null`` suggests nothing and is counted as such.  A row of our own export (it has
``schema_version``) is a reviewer's decision: taken at 1.0 whatever its ``score`` (schema 6:
the provenance of the label, the score of a suggestion the reviewer accepted, -1 for none).

Nothing is dropped silently: each line that cannot be used is counted by its reason (not
JSON, not an object, no article id, unknown article, not a sentence, text not found or found
in several sentences, text not that sentence's, unknown label, bad score), with the first
line number for each reason; of two lines for one sentence the later one wins and the
earlier one is counted as replaced.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.model import SKIP, Article, LabelScheme, internal_id
from annotator.names import check_name
from annotator.suggest.base import SuggestError, Suggestion

if TYPE_CHECKING:
    from annotator.storage import Database

__all__ = ["DEFAULT_SCORE", "PrelabelReport", "database_lookup", "read_prelabels"]

DEFAULT_SCORE = 1.0
RESERVED = ("rules", "model")

# The reasons a line is not used, in the order a report lists them.
REASONS = (
    "not JSON", "not a JSON object", "no article_id", "unknown article", "not a sentence", "text not found",
    "text found in several sentences", "text is not that sentence's", "no label (null)", "unknown label",
    "bad score", "replaced by a later line",
)


@dataclass
class PrelabelReport:
    """What a file gave: the suggestions, and every line that could not be used, by reason."""

    name: str
    lines: int = 0  # non-blank lines read
    suggestions: list[Suggestion] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    first_line: dict[str, int] = field(default_factory=dict)  # reason -> first line number

    @property
    def unused(self) -> int:
        return sum(self.problems.values())

    def note(self, reason: str, line: int) -> None:
        self.problems[reason] += 1
        self.first_line.setdefault(reason, line)

    def report(self) -> list[str]:
        """One line for what was read, then one per reason a line was not used."""
        out = [f"{self.name}: {len(self.suggestions)} suggestion{'s' if len(self.suggestions) != 1 else ''} "
               f"from {self.lines} line{'s' if self.lines != 1 else ''}"
               + (f", {self.unused} not used" if self.unused else "")]
        for reason in REASONS:
            if self.problems[reason]:
                out.append(f"  {self.problems[reason]} {reason} (first: line {self.first_line[reason]})")
        return out


def database_lookup(db: Database) -> Callable[[str], Article | None]:
    """The article an id names in ``db`` (None if none), each article read once."""
    cache: dict[str, Article | None] = {}

    def lookup(article_id: str) -> Article | None:
        if article_id not in cache:
            cache[article_id] = db.get_article(article_id) if db.has_article(article_id) else None
        return cache[article_id]

    return lookup


def read_prelabels(path: Path, name: str, articles: Callable[[str], Article | None],
                   scheme: LabelScheme) -> PrelabelReport:
    """The suggestions in the JSON Lines file ``path``, source ``name`` (``--as``)."""
    check_name(name, "--as", "name the suggestions, e.g. --as llm")
    if name in RESERVED or name.startswith("cmd:"):
        raise SuggestError(f"--as {name}: that is a built-in suggester's name; choose another, e.g. --as llm")
    rep = PrelabelReport(name)
    kept: dict[tuple[str, int, int], tuple[int, Suggestion]] = {}
    try:
        f = path.open("rb")
    except OSError as exc:
        raise SuggestError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with f:
        try:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                rep.lines += 1
                found = _suggestion(raw, n, name, articles, scheme, rep)
                if found is None:
                    continue
                key = (found.article_id, found.start, found.end)
                if key in kept:
                    rep.note("replaced by a later line", kept[key][0])
                kept[key] = (n, found)
        except OSError as exc:
            raise SuggestError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    rep.suggestions = sorted((s for _, s in kept.values()), key=lambda s: (s.article_id, s.start))
    return rep


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _suggestion(raw: bytes, n: int, name: str, articles: Callable[[str], Article | None], scheme: LabelScheme,
                rep: PrelabelReport) -> Suggestion | None:
    try:
        rec = json.loads(raw)
    except ValueError:  # UnicodeDecodeError too
        rep.note("not JSON", n)
        return None
    if not isinstance(rec, dict):
        rep.note("not a JSON object", n)
        return None
    aid = rec.get("article_id")
    if not isinstance(aid, str) or not aid:
        rep.note("no article_id", n)
        return None
    article = articles(internal_id(aid))
    if article is None:
        rep.note("unknown article", n)
        return None
    spans = [(s.start, s.end) for s in article.sentences]
    start, end, index, text = _int(rec.get("start")), _int(rec.get("end")), _int(rec.get("sentence")), rec.get("text")
    if start is not None and end is not None:
        if (start, end) not in spans:
            rep.note("not a sentence", n)
            return None
    elif index is not None:
        if not 0 <= index < len(spans):
            rep.note("not a sentence", n)
            return None
        start, end = spans[index]
    elif isinstance(text, str):
        matches = [(a, b) for a, b in spans if article.text[a:b] == text.strip()]
        if not matches:
            rep.note("text not found", n)
            return None
        if len(matches) > 1:
            rep.note("text found in several sentences", n)
            return None
        start, end = matches[0]
    else:
        rep.note("not a sentence", n)
        return None
    if isinstance(text, str) and article.text[start:end] != text.strip():
        rep.note("text is not that sentence's", n)
        return None
    label = rec.get("label")
    if label is None:
        rep.note("no label (null)", n)
        return None
    label_id = SKIP if label == SKIP else scheme.id_for(label) if isinstance(label, str) else None
    if label_id is None or not scheme.takes(label_id):
        rep.note("unknown label", n)
        return None
    score = DEFAULT_SCORE if "schema_version" in rec else rec.get("score", DEFAULT_SCORE)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) \
            or not 0.0 <= score <= 1.0:
        rep.note("bad score", n)
        return None
    return Suggestion(article.id, start, end, label_id, float(score), name)
