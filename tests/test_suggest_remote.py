"""--suggest model trains and predicts in a process of its own (so training never holds the
app's keys): the same suggestions as in-process, a killed process is one line and starts
again, and closing ends it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from annotator.model import DEFAULT_SCHEME
from annotator.suggest.base import SuggestError
from annotator.suggest.evaluate import examples_of, load_labeled
from annotator.suggest.model import ModelSuggester
from annotator.suggest.remote import RemoteModelSuggester

pytest.importorskip("sklearn")

EVAL = Path(__file__).parent / "data" / "suggest_eval.jsonl"


def test_the_remote_model_suggests_what_the_model_does_here() -> None:
    arts = load_labeled(EVAL)
    examples = examples_of(arts[:20])
    here, remote = ModelSuggester(min_score=0.5), RemoteModelSuggester(min_score=0.5)
    try:
        assert remote.suggest(arts[25].article, DEFAULT_SCHEME) == []  # nothing learned yet
        here.update(examples)
        remote.update(examples)
        assert remote.trained == len(examples)
        for la in arts[25:28]:
            there, mine = remote.suggest(la.article, DEFAULT_SCHEME), here.suggest(la.article, DEFAULT_SCHEME)
            assert [(s.start, s.label) for s in there] == [(s.start, s.label) for s in mine]
            assert [s.score for s in there] == pytest.approx([s.score for s in mine], abs=1e-4)  # (one BLAS thread)
        assert remote._proc is not None and remote._proc.pid != os.getpid()
    finally:
        remote.close()
    assert remote._proc is None


def test_a_killed_process_is_one_line_then_starts_again() -> None:
    arts = load_labeled(EVAL)
    remote = RemoteModelSuggester()
    try:
        remote.update(examples_of(arts[:10]))
        assert remote._proc is not None
        os.kill(remote._proc.pid, signal.SIGKILL)
        remote._proc.wait()
        with pytest.raises(SuggestError, match="ended unexpectedly") as e:
            remote.suggest(arts[30].article, DEFAULT_SCHEME)
        assert "\n" not in e.value.message
        assert remote.suggest(arts[30].article, DEFAULT_SCHEME) == []  # its model is gone until the next labels
        remote.update(examples_of(arts[:10]))  # a new process, a new model
        assert remote.suggest(arts[30].article, DEFAULT_SCHEME)
    finally:
        remote.close()


def test_too_few_labels_train_nothing() -> None:
    arts = load_labeled(EVAL)
    remote = RemoteModelSuggester()
    try:
        remote.update(examples_of(arts[:1])[:3])
        assert remote.trained == 0 and remote.suggest(arts[2].article, DEFAULT_SCHEME) == []
    finally:
        remote.close()
