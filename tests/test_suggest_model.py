"""The model suggester: trains on labeled sentences, predicts, keeps to its threshold, is
deterministic, says what to install without scikit-learn, and costs nothing until used."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from annotator.model import DEFAULT_SCHEME, SKIP
from annotator.suggest.base import Example, MissingExtra, NotEnoughLabels, Sentence, SuggestError
from annotator.suggest.evaluate import LabeledArticle, examples_of, load_labeled

pytest.importorskip("sklearn")

from annotator.suggest.model import MIN_EXAMPLES, ModelSuggester, train  # noqa: E402

EVAL = Path(__file__).resolve().parent / "data" / "suggest_eval.jsonl"


@pytest.fixture(scope="module")
def articles() -> list[LabeledArticle]:
    return load_labeled(EVAL)


@pytest.fixture(scope="module")
def split(articles: list[LabeledArticle]) -> tuple[list[Example], list[LabeledArticle]]:
    """About 300 labeled sentences to train on (whole articles), the rest to judge on."""
    train_set: list[Example] = []
    used = 0
    while len(train_set) < 300:
        train_set += examples_of([articles[used]])
        used += 1
    return train_set, articles[used:]


def test_trains_and_predicts_better_than_the_commonest_label(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, test = split
    model = train(train_set)
    held = examples_of(test)
    predicted = model.predict([e.sentence for e in held])
    assert len(predicted) == len(held)
    assert set(model.labels) == {"claim", "quote", "background", SKIP}
    assert all(label in model.labels and 0.0 <= score <= 1.0 for label, score in predicted)
    right = sum(1 for (label, _), e in zip(predicted, held) if label == e.label)
    commonest = Counter(e.label for e in train_set).most_common(1)[0][0]
    baseline = sum(1 for e in held if e.label == commonest)
    assert right > baseline + len(held) // 5  # far better than suggesting the commonest label everywhere
    # every skip line (credits, copyright) of the held-out articles is found
    skips = [p for p, e in zip(predicted, held) if e.label == SKIP]
    assert skips and all(label == SKIP for label, _ in skips)
    probs = model.probabilities([held[0].sentence])[0]
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert model.n_examples == len(train_set) and model.train_ms > 0


def test_deterministic_for_a_seed(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, test = split
    sentences = [e.sentence for e in examples_of(test[:3])]
    a = train(train_set[:150], seed=7).probabilities(sentences)
    b = train(train_set[:150], seed=7).probabilities(sentences)
    assert a == b


def test_calibrates_only_with_enough_examples_of_every_label(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, _ = split
    assert train(train_set).calibrated
    few_skips = [e for e in train_set if e.label != SKIP] + [e for e in train_set if e.label == SKIP][:3]
    model = train(few_skips)
    assert not model.calibrated and SKIP in model.labels
    assert not train(train_set, calibrate=False).calibrated


def test_threshold(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, test = split
    suggester = ModelSuggester(min_score=0.0)
    assert suggester.suggest(test[0].article, DEFAULT_SCHEME) == []  # nothing learned yet
    suggester.update(train_set)
    article = test[0].article
    everything = suggester.suggest(article, DEFAULT_SCHEME)
    assert len(everything) == len(article.sentences)
    assert all(s.source == "model" and s.article_id == article.id for s in everything)
    suggester.min_score = 0.8
    sure = suggester.suggest(article, DEFAULT_SCHEME)
    assert all(s.score >= 0.8 for s in sure)
    assert {(s.start, s.label) for s in sure} == {(s.start, s.label) for s in everything if s.score >= 0.8}
    assert len(sure) < len(everything)
    suggester.min_score = 1.0
    assert all(s.score == 1.0 for s in suggester.suggest(article, DEFAULT_SCHEME))
    with pytest.raises(ValueError):
        ModelSuggester(min_score=1.5)


def test_labels_the_scheme_no_longer_has_are_not_suggested(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, test = split
    renamed = [Example(e.sentence, "opinion" if e.label == "claim" else e.label) for e in train_set]
    suggester = ModelSuggester(min_score=0.0)
    suggester.update(renamed)
    assert suggester.model is not None and "opinion" in suggester.model.labels
    got = suggester.suggest(test[0].article, DEFAULT_SCHEME)
    assert got and all(DEFAULT_SCHEME.takes(s.label) for s in got)


def test_too_few_labels(split: tuple[list[Example], list[LabeledArticle]]) -> None:
    train_set, _ = split
    with pytest.raises(NotEnoughLabels, match="label a few more"):
        train(train_set[: MIN_EXAMPLES - 1])
    same = [e for e in train_set if e.label == "quote"]
    with pytest.raises(NotEnoughLabels, match="two labels"):
        train(same)
    suggester = ModelSuggester()
    suggester.update(same)  # nothing to learn yet: no model, no error
    assert suggester.model is None
    suggester.update(train_set)
    kept = suggester.model
    suggester.update(same)  # too few again: the model there is stays
    assert suggester.model is kept


def test_without_scikit_learn_one_line_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails
    examples = [Example(Sentence("a", i, i, i + 1, f"kalimat {i}"), "claim" if i % 2 else "quote") for i in range(12)]
    with pytest.raises(MissingExtra) as info:
        train(examples)
    assert isinstance(info.value, SuggestError)
    assert "pip install 'annotator[suggest]'" in str(info.value) and "\n" not in str(info.value)


def test_cli_and_suggest_modules_import_no_scikit_learn() -> None:
    code = (
        "import sys\n"
        "import annotator.cli, annotator.suggest.model, annotator.suggest.evaluate, annotator.suggest.rules\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'numpy'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == ""
