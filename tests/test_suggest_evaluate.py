"""Evaluation: simulated keys, scores, folds by article, the evaluation set itself, and that
the suggest package stays free of Textual."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from annotator.model import SKIP, Article, Span
from annotator.segment import segment
from annotator.suggest.base import SuggestError, Suggestion, sentences_of
from annotator.suggest.evaluate import (
    LabeledArticle,
    evaluate,
    examples_of,
    folds,
    learning_curve,
    load_labeled,
    score,
    simulate_keys,
)

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "suggest_eval.jsonl"


@pytest.fixture(scope="module")
def articles() -> list[LabeledArticle]:
    return load_labeled(EVAL)


# --- keys ------------------------------------------------------------------------------


def test_no_suggestions_cost_a_key_per_sentence() -> None:
    gold = ["claim"] * 45
    cost = simulate_keys(gold, [None] * 45)
    assert (cost.keys, cost.strict_keys, cost.sentences) == (45, 45, 45)
    assert cost.per_sentence == 1.0


def test_a_screen_all_right_costs_one_key() -> None:
    gold = ["claim"] * 20 + ["quote"] * 5
    cost = simulate_keys(gold, list(gold))
    assert (cost.keys, cost.strict_keys) == (2, 2)  # one `a` per screen (20 + 5)


def test_wrong_and_missing_cost_a_key_each() -> None:
    gold = ["claim", "quote", "claim", "background", "claim"]
    shown = ["claim", "claim", None, "background", "claim"]
    cost = simulate_keys(gold, shown)
    assert cost.keys == 2 + 1  # two to correct, one `a` for the rest
    # one pass from the top: enter, label, label, then `a` on the right tail
    assert cost.strict_keys == 4
    assert simulate_keys(["claim", None], ["quote", "quote"]).sentences == 1  # unlabeled: not counted
    with pytest.raises(ValueError):
        simulate_keys(["claim"], [])


def test_score_per_label() -> None:
    accuracy, coverage, precision, per = score(["claim", "claim", "quote", "skip"], ["claim", "quote", "quote", None])
    assert (accuracy, coverage, precision) == (0.5, 0.75, 2 / 3)
    assert per["claim"].precision == 1.0 and per["claim"].recall == 0.5 and per["claim"].f1 == pytest.approx(0.6667)
    assert per["quote"].precision == 0.5 and per["quote"].recall == 1.0 and per["quote"].suggested == 2
    assert per[SKIP].support == 1 and per[SKIP].f1 == 0.0


# --- folds and whole evaluations -----------------------------------------------------------


def test_folds_are_whole_articles_balanced_and_seeded(articles: list[LabeledArticle]) -> None:
    groups = folds(articles, 5, seed=1)
    assert sorted(i for g in groups for i in g) == list(range(len(articles)))
    sizes = [sum(len(articles[i].article.sentences) for i in g) for g in groups]
    assert max(sizes) - min(sizes) <= max(len(a.article.sentences) for a in articles)
    assert folds(articles, 5, seed=1) == groups and folds(articles, 5, seed=2) != groups
    with pytest.raises(SuggestError):
        folds(articles, 1)


def test_rules_evaluation(articles: list[LabeledArticle]) -> None:
    rep = evaluate(articles, "rules", k=5)
    n = sum(1 for a in articles for lab in a.labels if lab is not None)
    assert rep.sentences == n
    assert 0.3 < rep.coverage < 0.7  # quotes and skips only
    assert rep.precision > 0.9
    assert rep.per_label["quote"].recall > 0.8 and rep.per_label[SKIP].recall > 0.8
    assert rep.per_label["claim"].suggested == 0
    assert rep.keys_per_sentence < 1.0 and rep.keys_per_sentence <= rep.keys_per_sentence_strict <= 1.0
    assert rep.to_json()["per_label"]["quote"]["support"] == rep.per_label["quote"].support


def test_majority_and_model_evaluation(articles: list[LabeledArticle]) -> None:
    pytest.importorskip("sklearn")
    majority = evaluate(articles, "majority", k=3, min_score=0.0)
    assert majority.coverage == 1.0
    model = evaluate(articles, "model", k=3, min_score=0.0)
    assert model.coverage == 1.0 and model.accuracy > majority.accuracy + 0.2
    assert model.keys_per_sentence < majority.keys_per_sentence
    assert 0 < model.train_sentences < model.sentences
    higher = evaluate(articles, "model", k=3, min_score=0.9)
    assert higher.coverage < 1.0 and higher.precision >= model.precision


def test_learning_curve(articles: list[LabeledArticle]) -> None:
    rows = learning_curve(articles, "rules", [50, 100], repeats=2)
    assert [r["size"] for r in rows] == [50, 100]
    assert all(0 < r["keys_per_sentence"] <= 1 and r["test_sentences"] > 0 for r in rows)
    with pytest.raises(SuggestError, match="none is left"):
        learning_curve(articles, "rules", [10**6], repeats=1)
    with pytest.raises(SuggestError, match="unknown"):
        evaluate(articles, "oracle")


# --- the evaluation set --------------------------------------------------------------------


def test_evaluation_set_is_what_the_app_would_show(articles: list[LabeledArticle]) -> None:
    n = sum(len(a.labels) for a in articles)
    assert n >= 300
    assert len({a.article.id for a in articles}) == len(articles)
    for la in articles:
        a = la.article
        assert [(s.start, s.end) for s in a.sentences] == segment(a.text), a.id
        assert set(la.labels) <= {"claim", "quote", "background", SKIP}
        assert a.meta["origin"]
    counts = Counter(lab for a in articles for lab in a.labels)
    assert all(counts[x] >= 50 for x in ("claim", "quote", "background", SKIP))
    assert {a.article.id for a in articles} >= {"sample-antara", "sample-rewrite"}
    assert sum(1 for a in articles if a.article.meta.get("heldout")) >= 4
    assert len(examples_of(articles)) == n


def test_evaluation_set_matches_its_source() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "make_suggest_eval.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_load_labeled_refuses_a_bad_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "A.", "sentences": [[0, 2]]}\n', encoding="utf-8")
    with pytest.raises(SuggestError, match="bad.jsonl:1: not an evaluation record"):
        load_labeled(bad)
    with pytest.raises(SuggestError, match="cannot be read"):
        load_labeled(tmp_path / "missing.jsonl")


# --- base ------------------------------------------------------------------------------------


def test_suggestion_checks_its_score_and_span() -> None:
    Suggestion("a", 0, 5, "claim", 0.0, "rules")
    for bad_score in (-0.1, 1.01, float("nan")):
        with pytest.raises(ValueError):
            Suggestion("a", 0, 5, "claim", bad_score, "rules")
    with pytest.raises(ValueError):
        Suggestion("a", 5, 5, "claim", 0.5, "rules")


def test_sentences_of_gives_neighbours_and_position() -> None:
    text = "One. Two. Three."
    art = Article("a", "T", text, (Span(0, 4), Span(5, 9), Span(10, 16)))
    s = sentences_of(art)
    assert [(x.text, x.before, x.after, x.position) for x in s] == [
        ("One.", "", "Two.", 0.0), ("Two.", "One.", "Three.", 0.5), ("Three.", "Two.", "", 1.0)]
    assert s[0].title == "T" and s[0].count == 3


def test_suggest_error_is_one_line() -> None:
    err = SuggestError("tagger: crashed\nTraceback (most recent call last):\n  File \x1b[31mx" + "y" * 500)
    assert "\n" not in str(err) and "\x1b" not in str(err) and len(str(err)) <= 300


def test_suggest_package_imports_no_textual() -> None:
    code = (
        "import sys, pkgutil, annotator.suggest\n"
        "names = [m.name for m in pkgutil.walk_packages(annotator.suggest.__path__, 'annotator.suggest.')]\n"
        "for m in names: __import__(m)\n"
        "print(len(names), ','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    count, textual = out.stdout.split(" ", 1)
    assert int(count) >= 6 and textual.strip() == ""
