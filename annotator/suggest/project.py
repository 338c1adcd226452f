"""A suggester judged on a project's own labels: k-fold (``annotator evaluate``) and as one
more rater next to the reviewers and against gold (``annotator agree --suggester``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from annotator.agreement import compute
from annotator.export import GoldTally, gold_spans
from annotator.model import SKIP, Article, Label
from annotator.suggest.base import Suggester
from annotator.suggest.evaluate import LabeledArticle

if TYPE_CHECKING:
    from annotator.storage import Database


def _labeled(db: Database) -> Iterator[tuple[Article, list[Label], list[dict[str, Any]]]]:
    """Each article with labels: the article, its labels, its gold spans (skip included)."""
    for info in db.article_infos():
        labels = db.labels(info.id)
        if not labels:
            continue
        article = db.get_article(info.id)
        yield article, labels, gold_spans(article, labels, db.decisions(info.id), GoldTally())


def labeled_articles(db: Database) -> list[LabeledArticle]:
    """The project's labeled articles, a sentence's label its gold (unanimous or adjudicated),
    else the one reviewer's who labeled it; a disputed sentence counts as unlabeled."""
    out = []
    for article, labels, gold in _labeled(db):
        by_span: dict[tuple[int, int], set[str]] = {}
        for lab in labels:
            by_span.setdefault((lab.start, lab.end), set()).add(lab.label)
        final = {(g["start"], g["end"]): str(g["label"]) for g in gold}
        row: list[str | None] = []
        for s in article.sentences:
            key = (s.start, s.end)
            votes = by_span.get(key, set())
            row.append(final.get(key) or (next(iter(votes)) if len(votes) == 1 else None))
        if any(x is not None for x in row):
            out.append(LabeledArticle(article, tuple(row)))
    return out


@dataclass
class RaterReport:
    """The suggester as a rater: against each reviewer (on the sentences that reviewer labeled)
    and against gold.  Agreement counts every sentence; where the suggester said nothing it
    disagrees (``covered`` says how often it spoke)."""

    suggester: str
    reviewers: dict[str, dict[str, Any]] = field(default_factory=dict)
    gold: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"suggester": self.suggester, "reviewers": self.reviewers, "gold": self.gold}

    def lines(self) -> list[str]:
        from annotator.sanitize import sanitize_line

        out = [f"suggester {sanitize_line(self.suggester)} as a rater (on every sentence the other labeled; "
               f"no suggestion counts as a disagreement):"]
        rows = [(f"  vs {sanitize_line(who)}", r) for who, r in sorted(self.reviewers.items())]
        rows.append(("  vs gold", self.gold))
        for name, r in rows:
            if not r.get("n"):
                out.append(f"{name}: no sentences to compare")
                continue
            kappa = "undefined" if r["kappa"] is None else f"{r['kappa']:.3f}"
            out.append(f"{name}: {r['n']} sentence(s), agreement {r['agreement']:.3f}, Cohen's kappa {kappa}, "
                       f"suggested on {r['covered']:.0%}")
        return out


def _pair(pairs: list[tuple[str, str | None]], categories: list[str]) -> dict[str, Any]:
    n = len(pairs)
    if not n:
        return {"n": 0}
    none = "(no suggestion)"
    units = [{"rater": a, "suggester": b if b is not None else none} for a, b in pairs]
    report = compute(units, [*categories, none])
    kappa = report.overall.cohen_kappa[0].kappa.value if report.overall.cohen_kappa else None
    return {"n": n, "agreement": sum(a == b for a, b in pairs) / n, "kappa": kappa,
            "covered": sum(b is not None for _, b in pairs) / n}


def rate(db: Database, suggester: Suggester, include_skipped: bool = False) -> RaterReport:
    """``suggester`` against every reviewer and against gold, label names as the scheme has them."""
    name_of = db.scheme.name_of
    categories = [*db.scheme.names, *([SKIP] if include_skipped else [])]
    by_reviewer: dict[str, list[tuple[str, str | None]]] = {}
    against_gold: list[tuple[str, str | None]] = []
    for article, labels, gold in _labeled(db):
        said = {(s.start, s.end): name_of(s.label) for s in suggester.suggest(article, db.scheme)
                if include_skipped or s.label != SKIP}
        for lab in labels:
            if lab.label == SKIP and not include_skipped:
                continue
            by_reviewer.setdefault(lab.annotator, []).append((name_of(lab.label), said.get((lab.start, lab.end))))
        for g in gold:
            if g["label"] == SKIP and not include_skipped:
                continue
            against_gold.append((name_of(str(g["label"])), said.get((g["start"], g["end"]))))
    return RaterReport(suggester.name, {who: _pair(p, categories) for who, p in by_reviewer.items()},
                       _pair(against_gold, categories))
