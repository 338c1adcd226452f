"""Where reviewers disagree, and the one final label of each sentence (no Textual, no I/O
beyond ``Database``).

A sentence labeled by several reviewers is *unanimous* when they all chose the same label
(accepted without review), *disputed* when they did not, and *adjudicated* once someone
chose its final label in ``annotator review``.  The decision keeps the votes it was made on
(``Decision.votes``).  When the reviewers' labels are no longer those votes (one changed,
cleared or added a label) the final label is *stale*: it goes back into the review queue
marked as changed, even if the reviewers now agree or fewer than two are left, and the gold
export leaves it out until it is decided again on today's votes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from annotator.model import Article, Decision, Label, Span

if TYPE_CHECKING:
    from annotator.storage import Database

Source = Literal["unanimous", "adjudicated"]
Votes = tuple[tuple[str, str], ...]  # (annotator, label) pairs


def same_votes(a: Votes, b: Votes) -> bool:
    """Whether two sets of votes are the same, whatever their order (an imported decision's
    votes need not be sorted)."""
    return a == b or sorted(a) == sorted(b)


@dataclass(frozen=True, slots=True)
class VoteChange:
    """One reviewer's label then (when the final label was chosen) and now; None: no label."""

    annotator: str
    then: str | None
    now: str | None


def vote_changes(then: Votes, now: Votes) -> list[VoteChange]:
    """How the votes changed, one entry per reviewer whose label differs, by name."""
    before, after = dict(then), dict(now)
    return [VoteChange(a, before.get(a), after.get(a)) for a in sorted(before.keys() | after.keys())
            if before.get(a) != after.get(a)]


@dataclass(frozen=True, slots=True)
class Resolution:
    """One labeled sentence of an article and where its final label stands."""

    sentence: int
    span: Span
    votes: Votes  # (annotator, label) today, by annotator name
    decision: Decision | None

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(label for _, label in self.votes)

    @property
    def disputed(self) -> bool:
        """Reviewers disagree (whether or not someone has decided it since)."""
        return len(self.labels) > 1

    @property
    def stale(self) -> bool:
        """Decided, but the reviewers' labels have changed since: to be decided again."""
        return self.decision is not None and not same_votes(self.decision.votes, self.votes)

    @property
    def final(self) -> tuple[str, Source] | None:
        """The final label and where it comes from; None while in dispute or stale.

        A stale final label is no final label at all, not even the reviewers' label when
        they now agree: someone overruled or confirmed them on other votes, so it must be
        decided again."""
        if self.decision is not None:
            return None if self.stale else (self.decision.label, "adjudicated")
        if len(self.labels) == 1:
            return next(iter(self.labels)), "unanimous"
        return None


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
    """A sentence the review queue shows: reviewers disagree on it, or its final label is stale."""

    article_index: int
    article_id: str
    resolution: Resolution


def review_queue(db: Database, only: Collection[str] | None = None) -> Iterator[Dispute]:
    """Every sentence to show in review, in article and sentence order: where reviewers
    disagree (decided or not), and every final label chosen on votes that changed since,
    even if the reviewers now agree or fewer than two of them are left.

    The labels of an article with two or more reviewers are read whole; one with fewer can
    only hold a stale final label, so only its final labels are read, and only if it has
    any is the rest.  ``only``: just these articles (those another writer changed).
    """
    by_article = db.annotators_by_article()
    for n, info in enumerate(db.article_infos()):
        if only is not None and info.id not in only:
            continue
        if len(by_article.get(info.id, ())) >= 2:
            _, res = article_resolutions(db, info.id)
        else:
            decisions = db.decisions(info.id)
            if not decisions:
                continue
            res = resolutions(db.get_article(info.id), db.labels(info.id), decisions)
        for r in res:
            if r.disputed or r.stale:
                yield Dispute(n, info.id, r)
