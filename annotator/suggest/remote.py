"""The model in a process of its own: ``--suggest model`` trains and predicts there.

Training holds Python's lock for most of a second at a few hundred labels; in a thread of
the app it delayed keys by 30 ms at the p95 (``bench/bench_suggest_keys.py``).  In another
process it costs the app only sending the examples and reading back one label and score
per sentence.  The process is ``python -m annotator.suggest.remote`` (a fresh interpreter,
never a copy of the app and its threads), started on the first training; it keeps the
latest model, answers one request at a time over its stdin and stdout, and ends when the
app closes its stdin (or dies).  Both ends are this program, so requests are pickles.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

from annotator.model import Article, LabelScheme
from annotator.suggest.base import Example, NotEnoughLabels, Sentence, SuggestError, Suggestion, sentences_of
from annotator.suggest.model import DEFAULT_MIN_SCORE, TrainedModel, check_sklearn, train

_HEADER = 8  # bytes of a message's length, big-endian
# The numerical libraries' thread pools, each held to one thread in the model's process.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                "NUMEXPR_NUM_THREADS")
_NICENESS = 10

# In the model's process: the latest model trained there.
_model: TrainedModel | None = None


def _train(examples: Sequence[Example], seed: int) -> int:
    """In the model's process: train, keep the model; the examples it learned from (0: too few)."""
    global _model
    try:
        _model = train(examples, seed=seed)
    except NotEnoughLabels:
        return 0
    return _model.n_examples


def _predict(sentences: Sequence[Sentence]) -> list[tuple[str, float]]:
    """In the model's process: each sentence's likeliest label and its probability ([] before a model)."""
    return _model.predict(sentences) if _model is not None and sentences else []


def _send(out: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(_HEADER, "big") + data)
    out.flush()


def _receive(inp: IO[bytes]) -> Any:
    """The next message, or EOFError when the other end has gone."""
    header = inp.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = inp.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def serve() -> None:
    """The model's process: answer requests until stdin closes.  Anything the libraries print
    goes to stderr, so stdout carries only answers."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    if hasattr(os, "nice"):
        try:
            os.nice(_NICENESS)
        except OSError:
            pass
    inp = sys.stdin.buffer
    while True:
        try:
            op, args = _receive(inp)
        except EOFError:
            return
        try:
            result: tuple[str, Any] = ("ok", _train(*args) if op == "train" else _predict(*args))
        except SuggestError as exc:
            result = ("error", exc.message)
        except Exception as exc:  # a library's failure: one line for the app's notification
            result = ("error", f"the model failed: {type(exc).__name__}: {exc}")
        _send(out, result)


class RemoteModelSuggester:
    """``--suggest model``, trained and asked in a process of its own.  ``update`` and
    ``suggest`` block until the process answers: call them from a worker thread."""

    def __init__(self, *, min_score: float = DEFAULT_MIN_SCORE, seed: int = 0) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score {min_score} is not in 0..1")
        check_sklearn()
        self.min_score = min_score
        self.seed = seed
        self.trained = 0  # the examples of the latest model (0: none yet)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # one request at a time

    @property
    def name(self) -> str:
        return "model"

    def _call(self, op: str, *args: object) -> Any:
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                self._proc, self.trained = None, 0  # its model went with it
                raise SuggestError("the model's process ended unexpectedly; it starts again on the next labels")
            if self._proc is None:
                # One thread of numerical work, at a lower priority: the reviewer's keys keep a core.
                env = {**os.environ, **dict.fromkeys(_THREAD_VARS, "1")}
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "annotator.suggest.remote"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
                )
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                _send(proc.stdin, (op, args))
                status, value = _receive(proc.stdout)
            except (EOFError, OSError):
                self._proc, self.trained = None, 0
                raise SuggestError("the model's process ended unexpectedly; it starts again on the next labels") \
                    from None
        if status != "ok":
            raise SuggestError(str(value))
        return value

    def update(self, examples: Sequence[Example]) -> None:
        n = self._call("train", list(examples), self.seed)
        if n:
            self.trained = n

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        if not self.trained:
            return []
        sentences = sentences_of(article)
        out: list[Suggestion] = []
        for s, (label, score) in zip(sentences, self._call("predict", sentences)):
            if score >= self.min_score and scheme.takes(label):
                out.append(Suggestion(article.id, s.start, s.end, label, min(1.0, max(0.0, score)), "model"))
        return out

    def close(self) -> None:
        """End the model's process (the app's exit): its stdin closed, then killed if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    serve()
