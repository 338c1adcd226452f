"""Suggestions: labels proposed for sentences, never decisions (issue 13).

A suggester looks at one article's sentences and proposes a label (or ``skip``) with a
score in 0..1 for some of them.  The app shows a suggestion as a ghost label; only the
reviewer's key turns it into a decision.  Everything here is Textual-free:

* ``base``      the types (:class:`Suggestion`, :class:`Sentence`, :class:`Example`), the
                :class:`Suggester` protocol and the :class:`SuggestError` hierarchy;
* ``rules``     built in, no training: quotations with an attribution, boilerplate lines;
* ``model``     a linear classifier trained on the project's labels (scikit-learn, imported
                only when a model is trained: ``pip install 'annotator[suggest]'``);
* ``external``  a command that speaks JSON Lines (``--suggest-cmd``, docs/suggest-protocol.md);
* ``imported``  pre-labels read from a JSONL file (``suggest import FILE --as NAME``);
* ``evaluate``  k-fold by article: accuracy, per-label P/R/F1, simulated keys per sentence.
"""

from __future__ import annotations

from annotator.suggest.base import (
    CommandError,
    Example,
    Learner,
    MissingExtra,
    NotEnoughLabels,
    Sentence,
    SuggestError,
    Suggester,
    Suggestion,
    by_sentence,
    sentences_of,
)

__all__ = [
    "CommandError", "Example", "Learner", "MissingExtra", "NotEnoughLabels", "Sentence", "SuggestError", "Suggester",
    "Suggestion", "by_sentence", "sentences_of",
]
