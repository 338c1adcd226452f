"""Where reviewers disagree, and the one final label of each sentence (no Textual, no I/O
beyond ``Database``).

A sentence labeled by several reviewers is *unanimous* when they all chose the same label
(accepted without review), *disputed* when they did not, and *adjudicated* once someone
chose its final label in ``annotator review``.  An adjudicated label stands even if a
reviewer later changes their mind: the decision keeps the votes it was made on, so such a
change can be found (``Resolution.stale``) instead of silently rewriting history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from annotator.model import Article, Decision, Label, Span

if TYPE_CHECKING:
    from annotator.storage import Database

Source = Literal["unanimous", "adjudicated"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """One labeled sentence of an article and where its final label stands."""

    sentence: int
    span: Span
    votes: tuple[tuple[str, str], ...]  # (annotator, label), by annotator name
    decision: Decision | None

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(label for _, label in self.votes)

    @property
    def disputed(self) -> bool:
        """Reviewers disagree (whether or not someone has decided it since)."""
        return len(self.labels) > 1

    @property
    def final(self) -> tuple[str, Source] | None:
        """The final label and where it comes from; None while in dispute."""
        if self.decision is not None:
            return self.decision.label, "adjudicated"
        if len(self.labels) == 1:
            return next(iter(self.labels)), "unanimous"
        return None

    @property
    def stale(self) -> bool:
        """Decided, but the reviewers' labels have changed since."""
        return self.decision is not None and self.decision.votes != self.votes


def resolutions(article: Article, labels: list[Label], decisions: list[Decision]) -> list[Resolution]:
    """Every sentence that has a label or a final label, in sentence order."""
    index = {(s.start, s.end): i for i, s in enumerate(article.sentences)}
    votes: dict[int, list[tuple[str, str]]] = {}
    for lab in labels:
        i = index.get((lab.start, lab.end))
        if i is not None:
            votes.setdefault(i, []).append((lab.annotator, lab.label))
    decided = {index[(d.start, d.end)]: d for d in decisions if (d.start, d.end) in index}
    out = []
    for i in sorted(votes.keys() | decided.keys()):
        out.append(Resolution(i, article.sentences[i], tuple(sorted(votes.get(i, ()))), decided.get(i)))
    return out


def article_resolutions(db: Database, article_id: str) -> tuple[Article, list[Resolution]]:
    article = db.get_article(article_id)
    return article, resolutions(article, db.labels(article_id), db.decisions(article_id))


@dataclass(frozen=True, slots=True)
class Dispute:
    """A sentence the review queue shows: reviewers disagree on it."""

    article_index: int
    article_id: str
    resolution: Resolution


def disputes(db: Database) -> Iterator[Dispute]:
    """Every sentence where reviewers disagree, decided or not, in article and sentence order.

    Only articles labeled by two or more reviewers are read, so this stays quick on a
    large project where most articles have one reviewer.
    """
    by_article = db.annotators_by_article()
    for n, info in enumerate(db.article_infos()):
        if len(by_article.get(info.id, ())) < 2:
            continue
        _, res = article_resolutions(db, info.id)
        for r in res:
            if r.disputed:
                yield Dispute(n, info.id, r)
