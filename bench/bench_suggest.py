"""Suggestions: how long the model takes to learn and to predict, and how many keys it saves.

    python bench/bench_suggest.py [--quick] [--repeats N]

Prints one JSON object:

* ``timing``: ``train_ms`` at 300 and 3,000 labeled sentences, cold (no sentence seen
  before: the hand-made features computed for all) and warm (trained again after one more
  label, as the app does after each few), median of a few runs; ``predict_ms`` for one
  article of 20 sentences and one of 200 (the features of new sentences computed).  300
  sentences are the first ones of the evaluation set; 3,000 are all of the evaluation set's
  and seeded news-like ones (``bench/newslike.py``), labeled by rule, only for the time.
* ``kfold``: ``rules``, ``model`` and ``majority`` (the commonest label everywhere, a
  baseline) 5-fold by article over ``tests/data/suggest_eval.jsonl``: accuracy, coverage,
  precision, per-label P/R/F1, and the simulated keys per sentence (one ``a`` per screen of
  20 with a right suggestion plus one key per wrong or missing one; and one pass down the
  screen with label / ``enter`` / ``a`` keys, ``strict``); without suggestions both are 1.0;
* ``learning_curve``: the model after 50 / 100 / 200 / 300 labeled sentences (whole
  articles in a shuffled order, one order per repeat), judged on the articles left;
* ``at_300``: the goal's figure (keys per sentence at 300 labeled sentences, goal <= 0.6)
  at several ``--min-score`` thresholds;
* ``rules_heldout``: the rules on the articles written after the rules were frozen.

Timed assertions are never part of the tests; this prints figures instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# One thread for the numerical libraries: the app trains in one background worker.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import newslike  # noqa: E402

from annotator.model import SKIP, Article, Span  # noqa: E402
from annotator.segment import segment  # noqa: E402
from annotator.suggest import model as model_module  # noqa: E402
from annotator.suggest.base import Example, sentences_of  # noqa: E402
from annotator.suggest.evaluate import (  # noqa: E402
    LabeledArticle,
    evaluate,
    examples_of,
    learning_curve,
    load_labeled,
)
from annotator.suggest.rules import QUOTE, classify  # noqa: E402

EVAL = ROOT / "tests" / "data" / "suggest_eval.jsonl"


def _ms(f: Any) -> float:
    began = time.perf_counter()
    f()
    return (time.perf_counter() - began) * 1000.0


def newslike_examples(n: int) -> list[Example]:
    """``n`` seeded news-like sentences, labeled by rule (quote / skip), else by place."""
    out: list[Example] = []
    k = 0
    while len(out) < n:
        text = newslike.article(7, k)
        k += 1
        art = Article(f"news{k}", "", text, tuple(Span(a, b) for a, b in segment(text)))
        sentences = sentences_of(art)
        for s, hit in zip(sentences, classify(sentences)):
            label = (QUOTE if hit.kind == QUOTE else SKIP) if hit is not None else \
                "background" if s.position > 0.6 else "claim"
            out.append(Example(s, label))
    return out[:n]


def timing(articles: list[LabeledArticle], runs: int) -> dict[str, Any]:
    examples = examples_of(articles)
    big = examples + newslike_examples(3000 - len(examples))
    out: dict[str, Any] = {}
    for size, pool in ((300, examples), (3000, big)):
        train_set = pool[:size]
        cold, warm = [], []
        for _ in range(runs):
            model_module._features_of.cache_clear()
            cold.append(_ms(lambda: model_module.train(train_set)))
            warm.append(_ms(lambda: model_module.train(pool[: size + 1])))
        trained = model_module.train(train_set)
        out[f"train_ms_{size}"] = {"cold": round(statistics.median(cold)), "warm": round(statistics.median(warm)),
                                   "calibrated": trained.calibrated, "labels": len(trained.labels)}
    trained = model_module.train(examples[:300])
    for n in (20, 200):
        text = newslike.article(11, 0)
        while len(segment(text)) < n:
            text += "\n" + newslike.article(11, len(text))
        spans = tuple(Span(a, b) for a, b in segment(text)[:n])
        art = Article("predict", "", text, spans)
        times = []
        for _ in range(runs):
            model_module._features_of.cache_clear()
            times.append(_ms(lambda: trained.predict(sentences_of(art))))
        out[f"predict_ms_{n}_sentences"] = round(statistics.median(times), 1)
    return out


def kfold(articles: list[LabeledArticle]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("rules", "model", "majority"):
        rep = evaluate(articles, name, k=5, min_score=model_module.DEFAULT_MIN_SCORE if name == "model" else 0.0)
        d = rep.to_json()
        d["per_label"] = {lab: {"p": v["precision"], "r": v["recall"], "f1": v["f1"], "n": v["support"]}
                          for lab, v in d["per_label"].items()}
        out[name] = d
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and repeats")
    parser.add_argument("--repeats", type=int, default=0, help="learning-curve repeats (default 5, quick 2)")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    repeats = args.repeats or (2 if args.quick else 5)
    articles = load_labeled(EVAL)
    n = sum(len(a.labels) for a in articles)
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "eval_set": {"articles": len(articles), "sentences": n,
                     "heldout_articles": sum(1 for a in articles if a.article.meta.get("heldout"))},
    }
    result["timing"] = timing(articles, runs)
    result["kfold"] = kfold(articles)
    result["learning_curve"] = learning_curve(articles, "model", [50, 100, 200, 300], repeats=repeats,
                                              min_score=model_module.DEFAULT_MIN_SCORE)
    result["at_300"] = {
        f"min_score_{m}": {k: v for k, v in learning_curve(articles, "model", [300], repeats=repeats,
                                                           min_score=m)[0].items() if k not in ("size", "repeats")}
        for m in (0.0, 0.5, 0.7, 0.9)
    }
    held = [a for a in articles if a.article.meta.get("heldout")]
    rules_held = evaluate(held, "rules", k=2, min_score=0.0).to_json()
    rules_held["per_label"] = {lab: {"p": v["precision"], "r": v["recall"], "n": v["support"]}
                               for lab, v in rules_held["per_label"].items() if v["support"] or v["suggested"]}
    result["rules_heldout"] = rules_held
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
