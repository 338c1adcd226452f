"""How much a suggester saves: k-fold by article over labeled articles (pure functions).

Figures, over every labeled sentence of the held-out articles:

* ``accuracy``: the share whose shown suggestion is the reviewer's label (a sentence with no
  suggestion, or one under ``min_score``, counts as wrong);
* ``coverage`` and ``precision``: the share that gets a suggestion, and the share of those
  that are right;
* per label: precision, recall, F1 and support (the sentences holding it);
* ``keys_per_sentence``: the keys a reviewer presses per sentence, labeling screen by
  screen (``screen`` sentences, 20 by default): one ``a`` per screen that has a right
  suggestion (accepting them all), plus one key for each sentence whose suggestion is
  wrong or missing.  Without suggestions that is 1.0.  It leaves out moving the cursor,
  so it is the floor of what the app's keys can do;
* ``keys_per_sentence_strict``: the same reviewer going down the screen with the keys the
  app has: a label key on a wrong or missing suggestion (it moves on), ``enter`` on a right
  one (accept and move on), and ``a`` once where every suggestion from there to the end of
  the screen is right and no sentence there lacks one.

Folds are whole articles (a model never sees a sentence of the article it is judged on),
dealt so each fold has about the same number of sentences; the deal depends only on the
seed.  The ``model`` is trained on the other folds' labels; ``rules`` needs no training;
``majority`` suggests the commonest label of the training folds everywhere (a baseline).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotator.model import SKIP, Article, Span
from annotator.suggest.base import Example, Sentence, SuggestError, sentences_of
from annotator.suggest.rules import QUOTE, classify

__all__ = [
    "KeyCost", "LabeledArticle", "LabelScores", "Report", "SUGGESTERS", "evaluate", "examples_of", "folds",
    "learning_curve", "load_labeled", "score", "simulate_keys",
]

SUGGESTERS = ("rules", "model", "majority")
SCREEN = 20

# What a suggester gives each sentence of an article: (label, score), or None for nothing.
Prediction = tuple[str, float] | None


@dataclass(frozen=True)
class LabeledArticle:
    """An article and the label of each sentence (a label id or skip; None: not labeled)."""

    article: Article
    labels: tuple[str | None, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.article.sentences):
            raise ValueError(f"{len(self.labels)} labels for {len(self.article.sentences)} sentences")


def load_labeled(path: Path) -> list[LabeledArticle]:
    """Read an evaluation set: JSON Lines, one article a line, ``{"id", "title", "text",
    "sentences": [[start, end, label], ...]}`` (extra keys are kept in the article's meta)."""
    out: list[LabeledArticle] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SuggestError(f"{path}: cannot be read ({exc})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            text = rec["text"]
            spans = tuple(Span(int(a), int(b)) for a, b, _ in rec["sentences"])
            labels = tuple(None if lab is None else str(lab) for _, _, lab in rec["sentences"])
            meta = {k: v for k, v in rec.items() if k not in ("id", "title", "text", "sentences")}
            article = Article(str(rec["id"]), str(rec.get("title", "")), text, spans, meta=meta)
        except (ValueError, KeyError, TypeError) as exc:
            raise SuggestError(f"{path}:{n}: not an evaluation record ({exc})") from None
        out.append(LabeledArticle(article, labels))
    return out


def examples_of(articles: Sequence[LabeledArticle]) -> list[Example]:
    """The labeled sentences of ``articles``, in order, as examples to learn from."""
    return [
        Example(s, lab)
        for la in articles
        for s, lab in zip(sentences_of(la.article), la.labels)
        if lab is not None
    ]


def folds(articles: Sequence[LabeledArticle], k: int, seed: int = 0) -> list[list[int]]:
    """``k`` groups of article indices, about equal in sentences, dealt by ``seed``."""
    if not 2 <= k <= len(articles):
        raise SuggestError(f"k-fold by article needs 2 <= k <= {len(articles)} (the articles); k is {k}")
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    order.sort(key=lambda i: -len(articles[i].article.sentences))  # stable: ties keep the shuffle
    groups: list[list[int]] = [[] for _ in range(k)]
    sizes = [0] * k
    for i in order:
        g = min(range(k), key=lambda j: (sizes[j], j))
        groups[g].append(i)
        sizes[g] += len(articles[i].article.sentences)
    return [sorted(g) for g in groups]


# --- the cost of labeling with suggestions -----------------------------------------------


@dataclass(frozen=True)
class KeyCost:
    sentences: int
    keys: int  # one `a` per screen with a right suggestion + one per wrong or missing
    strict_keys: int  # label / enter / a, top to bottom (see the module's docstring)

    @property
    def per_sentence(self) -> float:
        return self.keys / self.sentences if self.sentences else 0.0

    @property
    def strict_per_sentence(self) -> float:
        return self.strict_keys / self.sentences if self.sentences else 0.0


def simulate_keys(gold: Sequence[str | None], shown: Sequence[str | None], screen: int = SCREEN) -> KeyCost:
    """The keys to label one article's sentences given the suggestions ``shown`` (None: no
    suggestion), screen by screen; sentences without a gold label are not counted."""
    if len(gold) != len(shown):
        raise ValueError("one suggestion (or None) per sentence")
    keys = strict = counted = 0
    for top in range(0, len(gold), screen):
        right = [g == s for g, s in zip(gold[top:top + screen], shown[top:top + screen]) if g is not None]
        counted += len(right)
        keys += right.count(False) + (1 if any(right) else 0)
        for i, ok in enumerate(right):
            if ok and all(right[i:]):
                strict += 1  # `a`: the rest of the screen is right
                break
            strict += 1  # a label key, or enter on a right one
    return KeyCost(counted, keys, strict)


# --- scores ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelScores:
    precision: float
    recall: float
    f1: float
    support: int  # sentences whose gold label this is
    suggested: int  # sentences shown this label


def score(gold: Sequence[str], shown: Sequence[str | None]) -> tuple[float, float, float, dict[str, LabelScores]]:
    """(accuracy, coverage, precision of what was shown, per label) of ``shown`` against ``gold``."""
    n = len(gold)
    right = sum(1 for g, s in zip(gold, shown) if g == s)
    given = sum(1 for s in shown if s is not None)
    per: dict[str, LabelScores] = {}
    for lab in sorted(set(gold) | {s for s in shown if s is not None}):
        tp = sum(1 for g, s in zip(gold, shown) if g == lab and s == lab)
        support = sum(1 for g in gold if g == lab)
        suggested = sum(1 for s in shown if s == lab)
        p = tp / suggested if suggested else 0.0
        r = tp / support if support else 0.0
        per[lab] = LabelScores(round(p, 4), round(r, 4), round(2 * p * r / (p + r), 4) if p + r else 0.0, support,
                               suggested)
    return (right / n if n else 0.0, given / n if n else 0.0, right / given if given else 0.0, per)


@dataclass
class Report:
    suggester: str
    k: int
    min_score: float
    sentences: int
    accuracy: float
    coverage: float
    precision: float
    keys_per_sentence: float
    keys_per_sentence_strict: float
    per_label: dict[str, LabelScores] = field(default_factory=dict)
    train_sentences: int = 0  # per fold, on average (0 for rules)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("accuracy", "coverage", "precision", "keys_per_sentence", "keys_per_sentence_strict"):
            out[key] = round(out[key], 4)
        return out


def _rules_predict(_train: Sequence[Example]) -> Callable[[Article], list[Prediction]]:
    def predict(article: Article) -> list[Prediction]:
        return [None if h is None else (QUOTE if h.kind == QUOTE else SKIP, h.score)
                for h in classify(sentences_of(article))]

    return predict


def _majority_predict(train_set: Sequence[Example]) -> Callable[[Article], list[Prediction]]:
    counts = Counter(e.label for e in train_set)
    label, n = max(counts.items(), key=lambda kv: (kv[1], kv[0])) if counts else ("", 0)
    share = n / len(train_set) if train_set else 0.0

    def predict(article: Article) -> list[Prediction]:
        return [(label, share) if label else None for _ in article.sentences]

    return predict


def _model_predict(train_set: Sequence[Example], seed: int = 0) -> Callable[[Article], list[Prediction]]:
    from annotator.suggest.model import train

    model = train(train_set, seed=seed)

    def predict(article: Article) -> list[Prediction]:
        return list(model.predict(sentences_of(article)))

    return predict


def _predictor(name: str, train_set: Sequence[Example], seed: int) -> Callable[[Article], list[Prediction]]:
    if name == "rules":
        return _rules_predict(train_set)
    if name == "majority":
        return _majority_predict(train_set)
    if name == "model":
        return _model_predict(train_set, seed)
    raise SuggestError(f"--suggester {name}: unknown; use one of {', '.join(SUGGESTERS)}")


def _judge(name: str, k: int, min_score: float, screen: int, test: Sequence[LabeledArticle],
           predictions: Sequence[list[Prediction]], train_sentences: int) -> Report:
    gold_all: list[str] = []
    shown_all: list[str | None] = []
    keys = strict = counted = 0
    for la, preds in zip(test, predictions):
        shown = [p[0] if p is not None and p[1] >= min_score else None for p in preds]
        cost = simulate_keys(la.labels, shown, screen)
        keys, strict, counted = keys + cost.keys, strict + cost.strict_keys, counted + cost.sentences
        for g, s in zip(la.labels, shown):
            if g is not None:
                gold_all.append(g)
                shown_all.append(s)
    accuracy, coverage, precision, per = score(gold_all, shown_all)
    return Report(name, k, min_score, counted, accuracy, coverage, precision,
                  keys / counted if counted else 0.0, strict / counted if counted else 0.0, per, train_sentences)


def evaluate(articles: Sequence[LabeledArticle], suggester: str, *, k: int = 5, seed: int = 0,
             min_score: float = 0.5, screen: int = SCREEN) -> Report:
    """``suggester`` (``rules``, ``model`` or ``majority``) judged k-fold by article."""
    groups = folds(articles, k, seed)
    test: list[LabeledArticle] = []
    predictions: list[list[Prediction]] = []
    trained = 0
    for g in groups:
        held = set(g)
        train_set = examples_of([a for i, a in enumerate(articles) if i not in held])
        trained += len(train_set)
        predict = _predictor(suggester, train_set, seed)
        for i in g:
            test.append(articles[i])
            predictions.append(predict(articles[i].article))
    return _judge(suggester, k, min_score, screen, test, predictions, round(trained / len(groups)))


def learning_curve(articles: Sequence[LabeledArticle], suggester: str, sizes: Sequence[int], *, repeats: int = 3,
                   seed: int = 0, min_score: float = 0.5, screen: int = SCREEN) -> list[dict[str, Any]]:
    """The suggester after ``size`` labeled sentences, for each size: articles are labeled
    in a shuffled order (one per repeat) until ``size`` sentences are; it is judged on the
    articles not touched.  Each row: size, repeats, and the mean of each figure."""
    rows: list[dict[str, Any]] = []
    for size in sizes:
        reports: list[Report] = []
        for r in range(repeats):
            order = list(range(len(articles)))
            random.Random(seed + r).shuffle(order)
            taken: list[Example] = []
            used = 0
            while used < len(order) and len(taken) < size:
                taken.extend(examples_of([articles[order[used]]]))
                used += 1
            taken = taken[:size]
            test = [articles[i] for i in order[used:]]
            if not test:
                raise SuggestError(f"{size} labeled sentences take every article; none is left to judge on")
            predict = _predictor(suggester, taken, seed)
            reports.append(_judge(suggester, 0, min_score, screen, test, [predict(a.article) for a in test],
                                  len(taken)))
        row: dict[str, Any] = {"size": size, "repeats": repeats, "test_sentences": round(
            sum(x.sentences for x in reports) / repeats)}
        for key in ("accuracy", "coverage", "precision", "keys_per_sentence", "keys_per_sentence_strict"):
            row[key] = round(sum(getattr(x, key) for x in reports) / repeats, 4)
        rows.append(row)
    return rows


def sentence_texts(la: LabeledArticle) -> list[Sentence]:
    """The article's sentences (for callers that show what was judged)."""
    return sentences_of(la.article)
