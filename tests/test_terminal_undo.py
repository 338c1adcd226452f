"""Undo travels, in a real terminal (tmux), the way issue 10 tells it.

ana labels a sentence claim, then changes it to quote; the lead merges; ana presses u; the
lead merges again and has claim; ana merges the lead's database and still has claim; she
restarts the app and U gives quote back.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from annotator.export import read_record

import test_terminal_team as team
from test_terminal_team import Terminal, open_app, run

from conftest import SAMPLES

pytestmark = team.pytestmark  # skipped without tmux, as the team round is
terminals = team.terminals  # the fixture that closes every tmux server it opened


def anas_labels(cwd: Path, db: str) -> list[str]:
    """ana's labels in the database, read the way a user would: `annotator export`."""
    out = run(cwd, "export", "--db", db).stdout
    return [s["label"] for line in out.splitlines() for s in read_record(line)["spans"] if s["annotator"] == "ana"]


def wait_labels(cwd: Path, db: str, want: list[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (got := anas_labels(cwd, db)) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    assert got == want


def test_undo_and_redo_travel_between_machines(terminals: list[Terminal], tmp_path: Path) -> None:
    lead = tmp_path / "lead"
    lead.mkdir()
    run(lead, "import", str(SAMPLES))
    ana = tmp_path / "ana"
    shutil.copytree(lead / "annotations", ana / "annotations")
    anas_db, leads_db = str(ana / "annotations" / "annotations.json"), str(lead / "annotations" / "annotations.json")

    app = open_app(terminals, ana, "", "ana")
    app.wait_for("0/", "ana")
    app.keys("1", "k", "2")  # claim, back up, then quote on the same sentence
    wait_labels(ana, anas_db, ["quote"])
    run(lead, "merge", anas_db)
    assert anas_labels(lead, leads_db) == ["quote"]

    app.keys("u")
    wait_labels(ana, anas_db, ["claim"])
    run(lead, "merge", anas_db)
    assert anas_labels(lead, leads_db) == ["claim"]  # the undo won over the merged quote
    app.quit()

    run(ana, "merge", leads_db)
    assert anas_labels(ana, anas_db) == ["claim"]  # pulling the lead's copy back reverts nothing

    app = open_app(terminals, ana, "", "ana")
    app.wait_for("1/", "ana")
    app.keys("U")  # redo, after a restart
    wait_labels(ana, anas_db, ["quote"])
    app.quit()
    run(lead, "merge", anas_db)
    assert anas_labels(lead, leads_db) == ["quote"]
