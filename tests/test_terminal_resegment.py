"""Fixing a split in a real terminal (tmux): `s` then enter splits a sentence, `m` joins two;
the export has the exact offsets, the retired label and both decisions."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.export import read_record

from conftest import ROOT
from test_terminal import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TEXT = "Rapat\n\nThe board finally chose Plan B. Shares fell 4% after the news.\n\nIt ended well.\n"


def test_split_with_s_join_with_m_then_export(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    tmux = Tmux(tmp_path)
    # This checkout's annotator, whatever is installed.
    env = f"PYTHONPATH={shlex.quote(str(ROOT))}"
    try:
        tmux.start(f"env {env} {shlex.quote(sys.executable)} -m annotator label a.txt")
        tmux.wait_for("0/3 labeled")
        tmux.keys("j", "s")
        screen = tmux.wait_for("SPLIT MODE")
        assert "B.│Shares" in screen
        tmux.keys("Enter")
        tmux.wait_for("0/4 labeled")
        tmux.keys("1", "2")  # claim on the first half, quote on the second
        tmux.wait_for("2/4 labeled")
        tmux.keys("k", "m")  # the second half joined with "It ended well."
        tmux.wait_for("1/3 labeled")
        tmux.keys("C-q")
        tmux.wait_for("EXITED 0")
    finally:
        tmux.close()
    run = {"cwd": tmp_path, "capture_output": True, "env": {**os.environ, "ANNOTATOR": "ana", "PYTHONPATH": str(ROOT)}}
    out = subprocess.run([sys.executable, "-m", "annotator", "export"], check=True, **run).stdout  # type: ignore[call-overload]
    rec = read_record(out.splitlines()[0])
    text = rec["text"]
    assert [text[s["start"]:s["end"]] for s in rec["sentences"]] == [
        "Rapat", "The board finally chose Plan B.", "Shares fell 4% after the news.\n\nIt ended well."]
    assert [(text[s["start"]:s["end"]], s["label"]) for s in rec["spans"]] == [
        ("The board finally chose Plan B.", "claim")]
    assert [(text[r["start"]:r["end"]], r["label"], r["retired_op"]) for r in rec["retired"]] == [
        ("Shares fell 4% after the news.", "quote", "join")]
    assert [e["op"] for e in rec["segmentation"]] == ["split", "join"]
    verdict = subprocess.run([sys.executable, "-m", "annotator", "verify"], **run)  # type: ignore[call-overload]
    assert verdict.returncode == 0 and b"3 sentences" in verdict.stdout
