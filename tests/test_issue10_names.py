"""Names are checked where they come in (issue 10, case 9): a reviewer's name in an imported
or merged record that no one could type is skipped and counted, never stored; a scheme whose
label names are not printable is a damaged database, reported in one line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.export import read_record
from annotator.errors import DatabaseCorrupt
from annotator.export import render
from annotator.importer import apply_import, plan_import
from annotator.model import Label
from annotator.storage import Database

from conftest import run_cli

T = "2026-06-01T00:00:00.000Z"


def test_imported_labels_by_unprintable_names_are_skipped_and_counted(sample_db: Database, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    info = sample_db.article_infos()[0]
    sp = sample_db.get_article(info.id).sentences[0]
    sample_db.set_label(Label(info.id, sp.start, sp.end, "claim", "ana", T))
    rec = read_record(b"".join(render(sample_db, "jsonl")).splitlines()[0])
    good = rec["spans"][0]
    rec["spans"] = [good, {**good, "annotator": "bu\x1b[2Jdi"}, {**good, "annotator": "x" * 200},
                    {**good, "annotator": " ana"}]
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(orjson.dumps(rec) + b"\n")
    path = sample_db.path
    sample_db.close()
    code, out, err = run_cli(capsys, "import", "--db", str(path), str(src))
    assert code == 2
    assert "hostile.jsonl: 3 label(s): annotator name not printable, padded or over 64 characters" in out + err
    assert "\x1b" not in out + err
    with Database.open(path, readonly=True) as db:
        assert {x.annotator for x in db.labels(info.id)} == {"ana"}


def test_a_scheme_label_with_a_control_character_is_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    Database.open(path).close()
    data = orjson.loads(path.read_bytes())
    data["project"]["1"]["scheme"].append({"name": "bad\x1b]0;x\x07", "keys": ["4"], "description": ""})
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(DatabaseCorrupt, match="not printable"):
        Database.open(path, readonly=True)


def test_merge_skips_hostile_names_from_an_old_database(sample_db: Database, tmp_path: Path) -> None:
    other = tmp_path / "other" / "annotations.json"
    with Database.open(other) as db:
        apply_import(db, plan_import([Path(__file__).resolve().parent.parent / "samples"]))
        info = db.article_infos()[0]
        sp = db.get_article(info.id).sentences[0]
        # An older annotator stored whatever name it was given.
        db.set_label(Label(info.id, sp.start, sp.end, "claim", "ev\x1bil", T))
    from annotator.merge import merge_database

    r = merge_database(sample_db, other).result
    assert r is not None and r.skipped == 1 and r.history_skipped == 1
    assert sample_db.labels(info.id) == []
