"""The real thing: the installed app in a real terminal (tmux), as a new user meets it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from conftest import SAMPLES

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, cwd: Path) -> None:
        self.name = f"annotator-test-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd
        self.socket = ["-L", self.name]

    def start(self, command: str) -> None:
        env = "ANNOTATOR=ana TERM=xterm-256color COLORTERM=truecolor"
        subprocess.run(
            ["tmux", *self.socket, "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40",
             f"cd {shlex.quote(str(self.cwd))} && env {env} {command}; echo EXITED $?; sleep 60"],
            check=True,
        )

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", *self.socket, "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.05)

    def screen(self) -> str:
        return subprocess.run(["tmux", *self.socket, "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if needle in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared; screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", *self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    shutil.copytree(SAMPLES, tmp_path / "samples")
    t = Tmux(tmp_path)
    try:
        yield t
    finally:
        t.close()


def annotator_cmd() -> str:
    return f"{shlex.quote(sys.executable)} -m annotator"


def test_label_undo_quit_resume_export_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    tmux.start(f"{annotator_cmd()} label samples/")
    screen = tmux.wait_for("0/19 labeled")
    assert "[keyword]bitcoin[/keyword]" not in screen  # second article, not shown yet
    tmux.keys("1", "2", "3", "c")
    tmux.wait_for("4/19 labeled")
    tmux.keys("u")
    tmux.wait_for("3/19 labeled")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")
    tmux.close()

    again = Tmux(tmp_path)
    try:
        again.start(f"{annotator_cmd()} label")
        screen = again.wait_for("3/19 labeled")
        assert "sentence 4/19" in screen  # resumed at the first unlabeled sentence
        again.keys("n")
        screen = again.wait_for("0/22 labeled")
        assert "[keyword]bitcoin[/keyword]" in screen  # shown verbatim, never as markup
        again.keys("C-q")
        again.wait_for("EXITED 0")
    finally:
        again.close()

    out = subprocess.run([sys.executable, "-m", "annotator", "export"], cwd=tmp_path, capture_output=True,
                         env={**os.environ, "ANNOTATOR": "ana"}, check=True).stdout
    first = orjson.loads(out.splitlines()[0])
    spans = first["spans"]
    assert [s["label"] for s in spans] == ["claim", "quote", "background"]
    for s, sentence in zip(spans, first["sentences"]):
        assert (s["start"], s["end"]) == (sentence["start"], sentence["end"])
        assert s["annotator"] == "ana"
