"""--suggest-cmd: the JSON Lines protocol with real commands (tiny Python programs), and each
way a command can fail giving one line, never a traceback or a hang."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import pytest

from annotator.model import DEFAULT_SCHEME, SKIP, Article, LabelDef, LabelScheme, Span
from annotator.suggest.base import CommandError, SuggestError
from annotator.suggest.external import ExternalSuggester, request_lines

TEXT = "Judul Berita\n“Kami siap,” kata Budi. Harga naik.\nEditor: Sri"
ARTICLE = Article("art1", "Judul Berita", TEXT, (Span(0, 12), Span(13, 36), Span(37, 48), Span(49, 60)))


def command(tmp_path: Path, program: str) -> str:
    """A command line running ``program`` with this Python (quoted for shlex)."""
    script = tmp_path / "tagger.py"
    script.write_text(program, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


ECHO = """
import json, sys
for line in sys.stdin:
    rec = json.loads(line)
    with open(sys.argv[1], "a", encoding="utf-8") as log:
        log.write(line)
    text = rec["text"]
    if text.startswith("Editor:"):
        print(json.dumps({"label": "skip", "score": 0.99}))
    elif "kata" in text:
        print(json.dumps({"label": "quote", "score": 0.8, "why": "kata"}))
    else:
        print(json.dumps({"label": None}))
"""


def test_protocol_round_trip(tmp_path: Path) -> None:
    log = tmp_path / "seen.jsonl"
    cmd = command(tmp_path, ECHO) + " " + shlex.quote(str(log))
    got = ExternalSuggester(cmd, timeout=20).suggest(ARTICLE, DEFAULT_SCHEME)
    assert [(s.start, s.end, s.label, s.score, s.source) for s in got] == [
        (13, 36, "quote", 0.8, "cmd:tagger.py"), (49, 60, SKIP, 0.99, "cmd:tagger.py")]
    seen = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert len(seen) == 4
    assert seen[1] == {
        "protocol": 1, "article_id": "art1", "sentence": 1, "start": 13, "end": 36, "text": "“Kami siap,” kata Budi.",
        "context": {"before": "Judul Berita", "after": "Harga naik.", "title": "Judul Berita"},
        "labels": ["claim", "quote", "background", "skip"],
    }
    assert seen[0]["context"]["before"] == "" and seen[3]["context"]["after"] == ""


def test_label_names_map_to_ids_after_a_rename(tmp_path: Path) -> None:
    scheme = LabelScheme((LabelDef("assertion", ("c",), id="claim"), LabelDef("speech", ("q",), id="quote")))
    cmd = command(tmp_path, "import sys\nfor _ in sys.stdin: print('{\"label\": \"speech\", \"score\": 1}')\n")
    got = ExternalSuggester(cmd, timeout=20).suggest(ARTICLE, scheme)
    assert {s.label for s in got} == {"quote"} and len(got) == 4
    assert json.loads(request_lines([], scheme) or b"null") is None


def fails(tmp_path: Path, program: str, timeout: float = 20) -> str:
    with pytest.raises(CommandError) as info:
        ExternalSuggester(command(tmp_path, program), timeout=timeout).suggest(ARTICLE, DEFAULT_SCHEME)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert isinstance(info.value, SuggestError)
    return message


def test_hang_is_killed_after_the_timeout(tmp_path: Path) -> None:
    began = time.monotonic()
    message = fails(tmp_path, "import time\ntime.sleep(60)\n", timeout=1.0)
    assert time.monotonic() - began < 30  # killed, not waited for
    assert "within 1 s and was stopped" in message


def test_hang_after_answering_is_killed_too(tmp_path: Path) -> None:
    program = ("import sys, time\nfor _ in sys.stdin: print('{\"label\": null}')\nsys.stdout.flush()\n"
               "sys.stdout.close()\ntime.sleep(60)\n")
    assert "within 1 s and was stopped" in fails(tmp_path, program, timeout=1.0)


def test_a_child_it_started_is_stopped_with_it(tmp_path: Path) -> None:
    marker = tmp_path / "child-alive"
    program = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time, pathlib; time.sleep(3); "
        f"pathlib.Path({str(marker)!r}).write_text(\"x\")'])\n"
        "import time\ntime.sleep(60)\n"
    )
    fails(tmp_path, program, timeout=1.0)
    time.sleep(3.5)
    assert not marker.exists()


def test_crash_shows_the_last_line_of_stderr(tmp_path: Path) -> None:
    message = fails(tmp_path, "import sys\nsys.stdin.read()\nraise RuntimeError('model file missing')\n")
    assert "exited with status 1" in message
    assert "RuntimeError: model file missing" in message


def test_killed_by_a_signal(tmp_path: Path) -> None:
    assert "killed by signal 9" in fails(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")


def test_garbage_output(tmp_path: Path) -> None:
    message = fails(tmp_path, "import sys\nfor _ in sys.stdin: print('<html>oops</html>')\n")
    assert "line 1 of its output is not JSON" in message


def test_not_an_object(tmp_path: Path) -> None:
    assert "not a JSON object" in fails(tmp_path, "import sys\nfor _ in sys.stdin: print('[1, 2]')\n")


def test_binary_output(tmp_path: Path) -> None:
    program = "import sys\nsys.stdin.read()\nsys.stdout.buffer.write(b'\\xff\\xfe\\n' * 4)\n"
    assert "not UTF-8" in fails(tmp_path, program)


@pytest.mark.parametrize("lines, said", [(3, "printed 3 lines for 4 sentences"), (5, "printed 5 lines for 4 sentences"),
                                         (0, "printed 0 lines for 4 sentences")])
def test_wrong_number_of_lines(tmp_path: Path, lines: int, said: str) -> None:
    program = f"import sys\nsys.stdin.read()\nfor _ in range({lines}): print('{{\"label\": null}}')\n"
    assert said in fails(tmp_path, program)


def test_label_not_in_the_scheme(tmp_path: Path) -> None:
    program = "import sys\nfor _ in sys.stdin: print('{\"label\": \"opinion\", \"score\": 0.5}')\n"
    message = fails(tmp_path, program)
    assert "label 'opinion' is not in the scheme (claim, quote, background, skip)" in message


@pytest.mark.parametrize("score", ["1.5", "-0.1", "\"high\"", "true", "null"])
def test_bad_score(tmp_path: Path, score: str) -> None:
    program = f"import sys\nfor _ in sys.stdin: print('{{\"label\": \"claim\", \"score\": {score}}}')\n"
    assert "is not a number from 0 to 1" in fails(tmp_path, program)


def test_runaway_output_is_stopped(tmp_path: Path) -> None:
    program = "import sys\nsys.stdin.read()\nwhile True: sys.stdout.write('x' * 65536)\n"
    assert "and was stopped" in fails(tmp_path, program, timeout=20)


def test_command_that_does_not_read_its_input(tmp_path: Path) -> None:
    big = Article("big", "", "x. " * 60000, tuple(Span(3 * i, 3 * i + 2) for i in range(60000)))
    cmd = command(tmp_path, "print('not reading')\n")
    with pytest.raises(CommandError, match="printed 1 line for 60000 sentences"):
        ExternalSuggester(cmd, timeout=20).suggest(big, DEFAULT_SCHEME)


def test_command_that_cannot_be_started(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot be started"):
        ExternalSuggester(str(tmp_path / "no-such-tagger")).suggest(ARTICLE, DEFAULT_SCHEME)


@pytest.mark.parametrize("cmd, said", [("", "is empty"), ("python 'unclosed", "cannot be split")])
def test_bad_command_line(cmd: str, said: str) -> None:
    with pytest.raises(SuggestError, match=said):
        ExternalSuggester(cmd)


def test_no_sentences_runs_nothing(tmp_path: Path) -> None:
    empty = Article("e", "", "", ())
    assert ExternalSuggester(str(tmp_path / "never-run")).suggest(empty, DEFAULT_SCHEME) == []
