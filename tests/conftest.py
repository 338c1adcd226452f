from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest

from annotator.cli import main
from annotator.importer import apply_import, plan_import
from annotator.storage import Database

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(autouse=True)
def own_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's settings (annotator.settings): each gets an empty folder."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("ANNOTATOR_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "annotations.json")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Commands run as a user types them: in a fresh folder (the default database under it),
    as reviewer ana, with no database named in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    monkeypatch.setenv("ANNOTATOR", "ana")
    return tmp_path


@pytest.fixture
def sample_db(db: Database) -> Database:
    apply_import(db, plan_import([SAMPLES]))
    return db


def full_disk_write(real: Callable[[int, Any], int]) -> Callable[[int, Any], int]:
    """An ``os.write`` that writes a few bytes, then reports a full disk, like a real short write."""

    def write(fd: int, data: Any) -> int:
        real(fd, bytes(data[:5]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
