"""Dealing articles out to reviewers: ``annotator assign`` (no Textual, no I/O).

Each article gets one reviewer, and a share (``overlap``) gets two, so that agreement can
be measured.  The plan depends only on the article ids, their sizes, the reviewers' names
and the overlap, never on import order or the clock: the same input gives the same plan
on every machine, so a team lead can re-run it and get what the team already has.

- Which articles are shared: the ``round(overlap * n)`` first in an order fixed by a hash
  of their ids (a stable, well-mixed sample: not just the first articles imported).
- Who gets what: articles go, largest first, to whoever has the fewest sentences so far,
  so the work is even in sentences, not just in articles.  A shared article goes to the
  pair that has shared the fewest so far, so every pair of reviewers gets items in common
  and Cohen's kappa is defined for each pair.
- Articles already assigned keep their reviewers (unless ``redo``): work in progress is
  never moved to someone else; only new articles are dealt, onto the loads as they stand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from annotator.errors import InputError
from annotator.model import ArticleInfo

_NAME_MAX = 64


def parse_annotators(value: str) -> tuple[str, ...]:
    """``ana, budi,citra`` -> ('ana', 'budi', 'citra'), sorted so the order given does not matter."""
    names = [n.strip() for n in value.split(",")]
    names = [n for n in names if n]
    if not names:
        raise InputError("--annotators: give the reviewers' names separated by commas, e.g. --annotators ana,budi")
    for n in names:
        if len(n) > _NAME_MAX or any(not c.isprintable() for c in n):
            raise InputError(f"--annotators: {n[:_NAME_MAX]!r} is not a usable name; use printable names of at most "
                             f"{_NAME_MAX} characters")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"--annotators: {', '.join(dupes)} given twice; list each reviewer once")
    return tuple(sorted(names))


def check_overlap(overlap: float, annotators: Sequence[str]) -> None:
    if not 0.0 <= overlap <= 1.0:
        raise InputError(f"--overlap {overlap:g}: give a share between 0 and 1, e.g. --overlap 0.2 for 20%")
    if overlap > 0 and len(annotators) < 2:
        raise InputError("--overlap needs at least two reviewers to share articles; add names to --annotators "
                         "or use --overlap 0")


def _rank(article_id: str) -> bytes:
    return hashlib.sha256(b"annotator-assign\0" + article_id.encode("utf-8", "surrogatepass")).digest()


@dataclass(slots=True)
class Plan:
    """article id -> its reviewers, for the articles this run deals; plus the loads after it."""

    assigned: dict[str, tuple[str, ...]]
    annotators: tuple[str, ...]
    overlap: float
    kept: int = 0  # articles that already had reviewers and keep them
    articles: dict[str, int] = field(default_factory=dict)  # reviewer -> articles (kept + new)
    sentences: dict[str, int] = field(default_factory=dict)
    shared: dict[tuple[str, str], int] = field(default_factory=dict)  # pair -> articles both have

    def record(self) -> dict[str, object]:
        return {"annotators": list(self.annotators), "overlap": self.overlap}


def plan(
    infos: Sequence[ArticleInfo], annotators: Sequence[str], overlap: float, *, redo: bool = False
) -> Plan:
    names = tuple(sorted(annotators))
    check_overlap(overlap, names)
    result = Plan({}, names, overlap)
    articles = dict.fromkeys(names, 0)
    sentences = dict.fromkeys(names, 0)
    shared: dict[tuple[str, str], int] = {p: 0 for p in combinations(names, 2)}
    todo: list[ArticleInfo] = []
    for info in infos:
        if info.assigned and not redo:
            result.kept += 1
            for holder in info.assigned:
                # A reviewer dropped from this run's list still holds their articles; they just get no new ones.
                articles[holder] = articles.get(holder, 0) + 1
                sentences[holder] = sentences.get(holder, 0) + info.n_sentences
            for p in combinations(sorted(info.assigned), 2):
                shared[p] = shared.get(p, 0) + 1
        else:
            todo.append(info)
    ranked = sorted(todo, key=lambda i: _rank(i.id))
    n_shared = round(overlap * len(ranked)) if len(names) >= 2 else 0
    doubles = {i.id for i in ranked[:n_shared]}
    # Shared articles first (each loads two reviewers), then largest first: the greedy rule
    # then evens out the loads well (LPT scheduling).
    for info in sorted(ranked, key=lambda i: (i.id not in doubles, -i.n_sentences, _rank(i.id))):
        if info.id in doubles:
            pairs = [p for p in combinations(names, 2)]
            a, b = min(pairs, key=lambda p: (shared[p], sentences[p[0]] + sentences[p[1]], p))
            who: tuple[str, ...] = (a, b)
            shared[(a, b)] += 1
        else:
            who = (min(names, key=lambda n: (sentences[n], articles[n], n)),)
        for n in who:
            articles[n] += 1
            sentences[n] += info.n_sentences
        result.assigned[info.id] = who
    result.articles, result.sentences, result.shared = articles, sentences, shared
    return result


def queue_first(infos: Sequence[ArticleInfo], annotator: str) -> list[ArticleInfo]:
    """The reviewer's own articles first (in their usual order), then everyone else's."""
    mine = [i for i in infos if annotator in i.assigned]
    return mine + [i for i in infos if annotator not in i.assigned]


def format_plan(p: Plan, total_articles: int, dry_run: bool) -> list[str]:
    verb = "would deal" if dry_run else "dealt"
    lines = [f"{verb} {len(p.assigned)} article(s) to {len(p.annotators)} reviewer(s), "
             f"{sum(1 for w in p.assigned.values() if len(w) > 1)} of them to two (overlap {p.overlap:g})"
             + (f"; {p.kept} already assigned kept their reviewers" if p.kept else "")]
    width = max((len(n) for n in p.articles), default=0)
    for n in sorted(p.articles):
        lines.append(f"  {n:<{width}}  {p.articles[n]} article(s), {p.sentences[n]} sentence(s)")
    pairs = {k: v for k, v in p.shared.items() if v}
    if pairs:
        lines.append("shared for agreement: " + ", ".join(f"{a}+{b} {v}" for (a, b), v in sorted(pairs.items())))
    if total_articles == 0:
        lines.append("no articles to deal; import some first (annotator import FILES)")
    return lines
