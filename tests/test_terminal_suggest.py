"""Suggestions in a real terminal (tmux), as a new user: open the samples with --suggest
rules, see the quotes suggested (~quote), accept a screen with a, correct one with a label
key, quit; the labels are in the database and the export says which were accepted."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.export import read_record

from conftest import ROOT, SAMPLES
from test_terminal import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def changed(tmux: Tmux, gone: str, timeout: float = 20.0) -> str:
    """The screen once ``gone`` is no longer on it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen()
        if gone not in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{gone!r} stayed; screen was:\n{tmux.screen()}")


def labeled(tmux: Tmux, timeout: float = 20.0) -> int:
    """The first article's labeled count once it is above 0 (read from the status line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(r"(\d+)/19 labeled", tmux.screen())
        if m and int(m.group(1)) > 0:
            return int(m.group(1))
        time.sleep(0.1)
    raise AssertionError(f"nothing labeled; screen was:\n{tmux.screen()}")


def test_accept_a_screen_of_rule_suggestions_and_correct_one(tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    env = f"PYTHONPATH={shlex.quote(str(ROOT))} ANNOTATOR=ana"
    try:
        tmux.start(f"env {env} {shlex.quote(sys.executable)} -m annotator label --suggest rules "
                   f"{shlex.quote(str(SAMPLES))}")
        screen = tmux.wait_for("~quote")
        assert "suggested: quote by rules" in screen and "enter accepts" in screen
        tmux.keys("a")
        accepted = labeled(tmux)
        assert accepted >= 2
        tmux.keys("3")  # background, by hand, on the next sentence
        tmux.wait_for(f"{accepted + 1}/19 labeled")
        tmux.keys("C-q")
        tmux.wait_for("EXITED 0")
    finally:
        tmux.close()
    run = {"cwd": tmp_path, "capture_output": True, "env": {**os.environ, "ANNOTATOR": "ana", "PYTHONPATH": str(ROOT)}}
    out = subprocess.run([sys.executable, "-m", "annotator", "export"], check=True, **run).stdout  # type: ignore[call-overload]
    rec = read_record(out.splitlines()[0])
    spans = rec["spans"]
    assert len(spans) == accepted + 1
    (mine,) = [s for s in spans if s["source"] == ""]  # the one labeled by hand: where a stopped
    taken = [s for s in spans if s is not mine]
    assert mine["label"] == "background" and mine["score"] is None
    # The export says which were accepted suggestions, and how sure the suggester was.
    assert {s["label"] for s in taken} <= {"quote", "skip"}
    assert all(s["source"] == "suggestion:rules" and 0 < s["score"] <= 1 for s in taken)
    verdict = subprocess.run([sys.executable, "-m", "annotator", "verify"], **run)  # type: ignore[call-overload]
    assert verdict.returncode == 0


def test_the_model_suggests_after_thirty_labels(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(ROOT / "bench"))
    import newslike

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(12):
        (folder / f"{n:02d}.txt").write_text(newslike.article(7, n), encoding="utf-8")
    tmux = Tmux(tmp_path)
    env = f"PYTHONPATH={shlex.quote(str(ROOT))} ANNOTATOR=ana"
    try:
        tmux.start(f"env {env} {shlex.quote(sys.executable)} -m annotator label --suggest model in")
        screen = tmux.wait_for("labeled  ·")
        assert "~" not in screen.split("▕")[-1]  # nothing to learn from yet: no suggestion
        for pressed in range(1, 31):  # claim, quote, background in turn, ten in each of three articles
            tmux.keys("123"[pressed % 3])
            if pressed % 10 == 0:
                tmux.wait_for(f"overall {pressed}/")
                tmux.keys("n")
        screen = tmux.wait_for("~", timeout=60)  # suggestions on the fourth article
        assert screen.count("~") >= 2
        tmux.keys("a")  # accept what is on screen
        changed(tmux, "overall 30/")
        tmux.keys("C-q")
        tmux.wait_for("EXITED 0")
    finally:
        tmux.close()
