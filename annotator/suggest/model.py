"""The ``model`` suggester: learns from the project's own labels (scikit-learn).

A linear classifier (multinomial logistic regression, Newton-CG: on these sparse features
it converges in a tenth of L-BFGS's time, to the same accuracy) over

* word uni- and bigrams and character 2-5-grams (within words), TF-IDF weighted with
  sublinear counts, joined in a ``FeatureUnion``;
* a few features of the sentence and its place: relative position in the article, first /
  last, length, quote marks, a speech verb, what the ``rules`` suggester says of it, and
  whether the sentences before and after carry an attribution.

Probabilities are calibrated (``CalibratedClassifierCV``, sigmoid, 3 folds) once every label
has :data:`CALIBRATE_MIN` examples; before that they are the classifier's own
``predict_proba``.  Training is deterministic for a given seed and fast enough to run again
after every few labels in a background worker (``bench/bench_suggest.py``).

scikit-learn is an optional extra (``pip install 'annotator[suggest]'``) and is imported
only when a model is trained, so nothing else (``annotator --help``, opening the app) pays
for it.  Without it, :func:`train` raises :class:`MissingExtra` with one line saying so.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotator.model import SKIP, Article, LabelScheme
from annotator.suggest.base import Example, MissingExtra, NotEnoughLabels, Sentence, Suggestion, sentences_of
from annotator.suggest.rules import QUOTE, classify, has_quotation, has_speech_verb, is_boilerplate

__all__ = [
    "CALIBRATE_MIN", "DEFAULT_MIN_SCORE", "MIN_EXAMPLES", "ModelSuggester", "TrainedModel", "require_sklearn", "train",
]

# Fewer labeled sentences than this, or fewer than two labels among them: nothing to learn yet.
MIN_EXAMPLES = 10
# Every label needs this many examples before probabilities are calibrated (3 folds).
CALIBRATE_MIN = 15
# Suggestions below this score are not shown (``--min-score``).
DEFAULT_MIN_SCORE = 0.5
# The logistic regression's inverse regularisation (chosen on tests/data/suggest_eval.jsonl).
C = 10.0

INSTALL_HINT = "pip install 'annotator[suggest]'"


def check_sklearn() -> None:
    """:func:`require_sklearn` without importing it (a second): whether it is installed."""
    if importlib.util.find_spec("sklearn") is None:
        raise MissingExtra(f"the model suggester needs scikit-learn, which is not installed; {INSTALL_HINT}")


def require_sklearn() -> None:
    """Raise :class:`MissingExtra` (one line) unless scikit-learn can be imported."""
    try:
        importlib.import_module("sklearn")
    except ImportError:
        raise MissingExtra(f"the model suggester needs scikit-learn, which is not installed; {INSTALL_HINT}") from None


def _extra_features(sentences: Sequence[Sentence]) -> list[tuple[float, ...]]:
    """The hand-made features of each sentence (see the module's docstring)."""
    return [_features_of(s) for s in sentences]


@functools.lru_cache(maxsize=20_000)
def _features_of(s: Sentence) -> tuple[float, ...]:
    """One sentence's hand-made features; cached, since a model is trained again and again
    on mostly the same sentences."""
    # What the rules say of it, with its neighbours as its context.
    ctx = [Sentence(s.article_id, k, 0, 1, t) for k, t in enumerate((s.before, s.text, s.after))]
    hit = classify(ctx)[1]
    words = len(s.text.split())
    return (
        s.position,
        1.0 if s.index == 0 else 0.0,
        1.0 if s.index == s.count - 1 else 0.0,
        math.log1p(len(s.text)) / 6.0,
        min(words, 60) / 60.0,
        1.0 if has_quotation(s.text) else 0.0,
        1.0 if has_speech_verb(s.text) else 0.0,
        1.0 if hit is not None and hit.kind == QUOTE else 0.0,
        hit.score if hit is not None and hit.kind == QUOTE else 0.0,
        1.0 if hit is not None and hit.kind == SKIP else 0.0,
        1.0 if is_boilerplate(s.text) else 0.0,
        1.0 if s.before and has_speech_verb(s.before) else 0.0,
        1.0 if s.after and has_speech_verb(s.after) else 0.0,
        1.0 if s.text.rstrip()[-1:] in ".!?\"”’" else 0.0,
        1.0 if any(c.isdigit() for c in s.text) else 0.0,
        1.0 if s.title and s.text.strip() == s.title.strip() else 0.0,
    )


@dataclass(frozen=True)
class TrainedModel:
    """A classifier trained on some labeled sentences; ``predict`` gives each sentence's
    most likely label (an id of the scheme, or skip) and its probability."""

    labels: tuple[str, ...]  # the labels it knows, in the classifier's order
    n_examples: int
    calibrated: bool
    seed: int
    train_ms: float
    _features: Any  # the fitted FeatureUnion of the text vectorisers
    _classifier: Any  # the fitted (calibrated) classifier

    def probabilities(self, sentences: Sequence[Sentence]) -> list[dict[str, float]]:
        """Each sentence's probability of every label."""
        if not sentences:
            return []
        proba = self._classifier.predict_proba(self._matrix(sentences))
        return [{lab: float(p) for lab, p in zip(self.labels, row)} for row in proba]

    def predict(self, sentences: Sequence[Sentence]) -> list[tuple[str, float]]:
        """Each sentence's most likely label and its probability, in order."""
        out: list[tuple[str, float]] = []
        for probs in self.probabilities(sentences):
            label = max(self.labels, key=lambda lab: (probs[lab], lab))
            out.append((label, probs[label]))
        return out

    def _matrix(self, sentences: Sequence[Sentence]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        text = self._features.transform([s.text for s in sentences])
        return hstack([text, csr_matrix(_extra_features(sentences))], format="csr")


def train(examples: Sequence[Example], *, seed: int = 0, calibrate: bool | None = None) -> TrainedModel:
    """A model trained on ``examples``.  Raises :class:`NotEnoughLabels` for fewer than
    :data:`MIN_EXAMPLES` examples or fewer than two labels, :class:`MissingExtra` without
    scikit-learn.  ``calibrate``: None calibrates when every label has :data:`CALIBRATE_MIN`
    examples."""
    counts = Counter(e.label for e in examples)
    if len(examples) < MIN_EXAMPLES or len(counts) < 2:
        raise NotEnoughLabels(f"the model learns from {MIN_EXAMPLES} labeled sentences with two labels or more; "
                              f"it has {len(examples)} with {len(counts)}: label a few more")
    require_sklearn()
    from scipy.sparse import csr_matrix, hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    began = time.perf_counter()
    sentences = [e.sentence for e in examples]
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
                                  dtype=_float32())),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                  dtype=_float32())),
    ])
    text = features.fit_transform([s.text for s in sentences])
    matrix = hstack([text, csr_matrix(_extra_features(sentences))], format="csr")
    y = [e.label for e in examples]
    base = LogisticRegression(C=C, solver="newton-cg", max_iter=300, random_state=seed)
    if calibrate is None:
        calibrate = min(counts.values()) >= CALIBRATE_MIN
    classifier: Any = CalibratedClassifierCV(base, method="sigmoid", cv=3) if calibrate else base
    classifier.fit(matrix, y)
    labels = tuple(str(c) for c in classifier.classes_)
    return TrainedModel(labels, len(examples), calibrate, seed, (time.perf_counter() - began) * 1000.0,
                        features, classifier)


def _float32() -> Any:
    import numpy as np

    return np.float32


class ModelSuggester:
    """``--suggest model``: suggests what the latest model predicts, at ``min_score`` or above.

    ``update`` trains a new model on every labeled sentence so far (run it in a worker: it
    takes tens to hundreds of milliseconds) and swaps it in whole, so ``suggest`` from another
    thread sees the old model or the new one, never half of one.  Until there is enough to
    learn from, it suggests nothing.
    """

    def __init__(self, *, min_score: float = DEFAULT_MIN_SCORE, seed: int = 0) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score {min_score} is not in 0..1")
        self.min_score = min_score
        self.seed = seed
        self.model: TrainedModel | None = None

    @property
    def name(self) -> str:
        return "model"

    def update(self, examples: Sequence[Example]) -> None:
        """Train on ``examples``; with too few of them, keep the model there is (if any)."""
        try:
            self.model = train(examples, seed=self.seed)
        except NotEnoughLabels:
            pass

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        model = self.model
        if model is None:
            return []
        sentences = sentences_of(article)
        out: list[Suggestion] = []
        for s, (label, score) in zip(sentences, model.predict(sentences)):
            if score >= self.min_score and scheme.takes(label):
                out.append(Suggestion(article.id, s.start, s.end, label, min(1.0, max(0.0, score)), "model"))
        return out
