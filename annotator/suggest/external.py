"""``--suggest-cmd "CMD"``: suggestions from any program that speaks JSON Lines.

The protocol, version 1 (also in ``docs/suggest-protocol.md``):

* ``CMD`` is split like a shell would (``shlex.split``) but run without a shell, once per
  batch (one article), in its own process group, with the current folder and environment.
  Its suggestions' source is ``cmd:NAME``, NAME being the script's file name
  (``python tag.py`` gives ``cmd:tag.py``) unless the caller names it.
* Its standard input gets one JSON object per line, one per sentence of the article, in
  order, then end of file::

      {"protocol": 1, "article_id": "5e9780b3dde8aaba", "sentence": 0, "start": 0, "end": 147,
       "text": "the sentence", "context": {"before": "the sentence before or \"\"",
       "after": "the sentence after or \"\"", "title": "the article's title or \"\""},
       "labels": ["claim", "quote", "background", "skip"]}

  ``labels`` are the names of the project's live labels, in order, then ``skip`` (the
  decision "not applicable").  Text is UTF-8, exactly as stored (offsets are code points).
* Its standard output must hold exactly one JSON object per input line, in the same
  order: ``{"label": "quote", "score": 0.93}``, or ``{"label": null}`` for no suggestion.
  ``label`` is one of ``labels``; ``score`` is a number from 0 to 1 (required with a
  label).  Other keys are ignored.  Blank lines are not allowed.
* It must exit with status 0 within the timeout (default 30 s per batch).  Standard error
  is free for its own messages; on failure its last line is shown.

Failures are one line each, never a traceback and never a hang: a command that cannot be
started, outlives the timeout (it is killed, with anything it started in its process
group), exits non-zero, prints something that is not JSON, too few or too many lines, a
label that is not in ``labels``, or a score outside 0..1.  Each raises
:class:`~annotator.suggest.base.CommandError`; the app shows it as a notification and
labeling goes on.
"""

from __future__ import annotations

import json
import math
import os
import re
import selectors
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotator.model import SKIP, Article, LabelScheme
from annotator.sanitize import sanitize_line
from annotator.suggest.base import CommandError, Sentence, SuggestError, Suggestion, sentences_of

__all__ = ["PROTOCOL", "DEFAULT_TIMEOUT", "ExternalSuggester", "request_lines", "parse_reply"]

PROTOCOL = 1
DEFAULT_TIMEOUT = 30.0
# Output beyond this many bytes per sentence (plus a margin) is not a reply but a runaway.
MAX_REPLY_BYTES = 64 * 1024
_STDERR_KEEP = 8192


def request_lines(sentences: Sequence[Sentence], scheme: LabelScheme) -> bytes:
    """What the command reads on stdin for these sentences: one JSON object a line."""
    labels = [*scheme.names, SKIP]
    out = []
    for s in sentences:
        rec = {
            "protocol": PROTOCOL, "article_id": s.article_id, "sentence": s.index, "start": s.start, "end": s.end,
            "text": s.text, "context": {"before": s.before, "after": s.after, "title": s.title}, "labels": labels,
        }
        out.append(json.dumps(rec, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode("utf-8", "surrogatepass") if out else b""


def parse_reply(name: str, stdout: bytes, sentences: Sequence[Sentence], scheme: LabelScheme) -> list[Suggestion]:
    """The suggestions in the command's output; :class:`CommandError` if it breaks the protocol."""
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{name}: its output is not UTF-8 (byte {exc.start}); it must print JSON Lines") from None
    lines = text.splitlines()
    if len(lines) != len(sentences):
        raise CommandError(f"{name}: printed {len(lines)} line{'s' if len(lines) != 1 else ''} for "
                           f"{len(sentences)} sentence{'s' if len(sentences) != 1 else ''}; it must print one "
                           f"JSON line per input line")
    out: list[Suggestion] = []
    for n, (line, s) in enumerate(zip(lines, sentences), 1):
        try:
            rec = json.loads(line)
        except ValueError:
            raise CommandError(f"{name}: line {n} of its output is not JSON: {line[:60]!r}") from None
        if not isinstance(rec, dict):
            raise CommandError(f"{name}: line {n} of its output is not a JSON object: {line[:60]!r}")
        label = rec.get("label")
        if label is None:
            continue
        if not isinstance(label, str):
            raise CommandError(f"{name}: line {n}: label {label!r} is not a string or null")
        label_id = SKIP if label == SKIP else scheme.id_for(label)
        if label_id is None or not scheme.takes(label_id):
            raise CommandError(f"{name}: line {n}: label {label[:40]!r} is not in the scheme "
                               f"({', '.join([*scheme.names, SKIP])})")
        score = rec.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) \
                or not 0.0 <= score <= 1.0:
            raise CommandError(f"{name}: line {n}: score {str(score)[:20]} is not a number from 0 to 1")
        out.append(Suggestion(s.article_id, s.start, s.end, label_id, float(score), f"cmd:{name}"))
    return out


class ExternalSuggester:
    """Suggestions from the command ``cmd`` (see the module's docstring for the protocol)."""

    def __init__(self, cmd: str, *, timeout: float = DEFAULT_TIMEOUT, name: str | None = None) -> None:
        try:
            self.argv = shlex.split(cmd)
        except ValueError as exc:
            raise SuggestError(f"--suggest-cmd {cmd[:80]!r}: cannot be split into words ({exc})") from None
        if not self.argv:
            raise SuggestError("--suggest-cmd is empty; give the command to run, e.g. --suggest-cmd 'python tag.py'")
        if not timeout > 0:
            raise SuggestError(f"the timeout must be positive, not {timeout}")
        self.timeout = timeout
        self._name = name or _default_name(self.argv)

    @property
    def name(self) -> str:
        return f"cmd:{self._name}"

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        return self.suggest_sentences(sentences_of(article), scheme)

    def suggest_sentences(self, sentences: Sequence[Sentence], scheme: LabelScheme) -> list[Suggestion]:
        """One batch: the command run once over ``sentences``."""
        if not sentences:
            return []
        stdout = self._run(request_lines(sentences, scheme), len(sentences))
        return parse_reply(self._name, stdout, sentences, scheme)

    def _run(self, data: bytes, n: int) -> bytes:
        name = self._name
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
        except OSError as exc:
            raise CommandError(f"{name}: cannot be started ({exc.strerror or exc})") from None
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        writer = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
        writer.start()
        limit = MAX_REPLY_BYTES * (n + 1)
        out = bytearray()
        err = bytearray()
        deadline = time.monotonic() + self.timeout
        problem = ""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    problem = f"gave no complete answer within {self.timeout:g} s and was stopped"
                    break
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    buf: bytearray = key.data
                    buf += chunk
                    if buf is err and len(err) > _STDERR_KEEP:
                        del err[: len(err) - _STDERR_KEEP]
                if len(out) > limit:
                    problem = f"printed over {limit} bytes for {n} sentences and was stopped"
                    break
            if not problem:
                try:
                    proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    problem = f"did not exit within {self.timeout:g} s and was stopped"
        if problem:
            _kill(proc)
        for f in (proc.stdout, proc.stderr):
            f.close()
        writer.join(1.0)
        if problem:
            raise CommandError(f"{name}: {problem}{_last_line(err)}")
        if proc.returncode != 0:
            how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exited with status {proc.returncode}")
            raise CommandError(f"{name}: {how}{_last_line(err)}")
        return bytes(out)


_INTERPRETERS = re.compile(r"(?:python[\d.]*|pypy[\d.]*|node|deno|bun|bash|sh|zsh|ruby|perl|Rscript|uv|uvx|npx|run)")


def _default_name(argv: list[str]) -> str:
    """What the suggestions' source is called: the script, not its interpreter
    (``python tag.py`` is ``cmd:tag.py``)."""
    for arg in argv:
        base = Path(arg).name
        if base and not arg.startswith("-") and not _INTERPRETERS.fullmatch(base):
            return sanitize_line(base)
    return sanitize_line(Path(argv[0]).name or argv[0])


def _feed(stdin: Any, data: bytes) -> None:
    """Write the request and close stdin; a command that stops reading is not our error."""
    try:
        stdin.write(data)
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        try:
            stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop the command and whatever it started in its process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    proc.wait()


def _last_line(err: bytes | bytearray) -> str:
    lines = [x for x in bytes(err).decode("utf-8", "replace").splitlines() if x.strip()]
    return f" ({lines[-1].strip()[:160]})" if lines else ""
