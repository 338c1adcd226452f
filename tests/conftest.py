from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.importer import apply_import, plan_import
from annotator.storage import Database

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "annotations.json")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def sample_db(db: Database) -> Database:
    apply_import(db, plan_import([SAMPLES]))
    return db
