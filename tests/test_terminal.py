"""The real thing: the installed app in a real terminal (tmux), as a new user meets it."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from annotator.export import read_record

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
             f"cd {shlex.quote(str(self.cwd))} && env -u COLUMNS -u LINES {env} {command}; echo EXITED $?; sleep 60"],
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
        # kill-server leaves the socket file behind; hundreds of runs would litter /tmp/tmux-UID.
        folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (folder / self.name).unlink(missing_ok=True)


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
    first = read_record(out.splitlines()[0])
    spans = first["spans"]
    assert [s["label"] for s in spans] == ["claim", "quote", "background"]
    for s, sentence in zip(spans, first["sentences"]):
        assert (s["start"], s["end"]) == (sentence["start"], sentence["end"])
        assert s["annotator"] == "ana"


def holder_pid(tmp_path: Path) -> int:
    """The app's pid, from the lock that names the reviewer's session (``storage.people``)."""
    from annotator.storage.people import in_session

    deadline = time.monotonic() + 10
    while not (found := in_session(tmp_path / "annotations" / "annotations.d")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(found) == 1, found
    return int(found[0]["pid"])


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotator", *args], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "ANNOTATOR": "ana"}, timeout=60)


def test_sigkill_loses_no_label_the_status_line_counted(tmux: Tmux, tmp_path: Path) -> None:
    tmux.start(f"{annotator_cmd()} label samples/")
    tmux.wait_for("0/19 labeled")
    tmux.keys("1", "2", "3", "c")
    tmux.wait_for("4/19 labeled")  # counted only once each save had reached the disk
    os.kill(holder_pid(tmp_path), signal.SIGKILL)  # no chance to clean up or flush anything
    tmux.wait_for("EXITED 137")
    tmux.close()

    again = Tmux(tmp_path)
    try:
        again.start(f"{annotator_cmd()} label")
        screen = again.wait_for("4/19 labeled")
        assert "sentence 5/19" in screen  # resumed at the first unlabeled sentence
        again.keys("C-q")
        again.wait_for("EXITED 0")
    finally:
        again.close()

    out = run_cli(tmp_path, "export")
    assert out.returncode == 0, out.stderr
    first, second = (read_record(line) for line in out.stdout.splitlines())
    assert [s["label"] for s in first["spans"]] == ["claim", "quote", "background", "claim"]
    assert [(s["start"], s["end"]) for s in first["spans"]] == [(s["start"], s["end"]) for s in first["sentences"][:4]]
    assert {s["annotator"] for s in first["spans"]} == {"ana"} and second["spans"] == []
    verdict = run_cli(tmp_path, "verify")
    assert verdict.returncode == 0 and verdict.stdout.startswith("ok: 2 articles, 41 sentences, 4 labels checked")


def test_the_same_reviewers_second_app_is_refused_while_export_stats_and_verify_work(tmux: Tmux, tmp_path: Path) -> None:
    tmux.start(f"{annotator_cmd()} label samples/")
    tmux.wait_for("0/19 labeled")
    tmux.keys("1", "2")
    tmux.wait_for("2/19 labeled")
    pid = holder_pid(tmp_path)

    second = run_cli(tmp_path, "label")  # ana again
    assert second.returncode == 4, second
    assert len(second.stderr.splitlines()) == 1 and f"pid {pid}" in second.stderr, second.stderr
    assert "ana is already labeling" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""

    exported = run_cli(tmp_path, "export")
    assert exported.returncode == 0, exported.stderr
    assert [s["label"] for s in read_record(exported.stdout.splitlines()[0])["spans"]] == ["claim", "quote"]
    stats = run_cli(tmp_path, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert orjson.loads(stats.stdout)["labels"] == 2
    verdict = run_cli(tmp_path, "verify")
    assert verdict.returncode == 0, verdict.stdout

    tmux.keys("3")  # the first app is unaffected by all of that
    tmux.wait_for("3/19 labeled")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")
    assert orjson.loads(run_cli(tmp_path, "stats", "--json").stdout)["labels"] == 3
