from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.export import read_record
from annotator.errors import ExportError
from annotator.export import render, write_file
from annotator.model import EXPORT_SCHEMA_VERSION, Label, internal_id
from annotator.storage import Database


def label_some(db: Database) -> list[Label]:
    out = []
    for info, names in zip(db.article_infos(), (["claim", "quote"], ["background"])):
        art = db.get_article(info.id)
        for s, name in zip(art.sentences, names):
            lab = Label(art.id, s.start, s.end, name, "ana", "2026-11-22T10:00:00.000Z")
            db.set_label(lab)
            out.append(lab)
    return out


def test_jsonl_schema_and_offsets(sample_db: Database) -> None:
    label_some(sample_db)
    lines = b"".join(render(sample_db, "jsonl")).splitlines()
    assert len(lines) == 2
    rec = read_record(lines[0])
    assert list(rec) == ["schema_version", "id", "title", "source", "sources", "text", "sentences", "spans", "final",
                         "cleared", "final_cleared", "skipped", "retired", "segmentation", "notes", "retired_notes",
                         "meta"]
    assert rec["schema_version"] == EXPORT_SCHEMA_VERSION
    assert [s["label"] for s in rec["spans"]] == ["claim", "quote"]
    for span in rec["spans"]:
        assert {"start": span["start"], "end": span["end"]} in rec["sentences"]
        assert rec["text"][span["start"]:span["end"]].strip() == rec["text"][span["start"]:span["end"]]
        assert span["annotator"] == "ana" and span["updated_at"]


def test_sentences_format(sample_db: Database) -> None:
    labels = label_some(sample_db)
    rows = [orjson.loads(x) for x in b"".join(render(sample_db, "sentences")).splitlines()]
    assert len(rows) == len(labels)
    for row in rows:
        art = sample_db.get_article(internal_id(row["article_id"]))
        assert row["text"] == art.text[row["start"]:row["end"]]
        assert art.sentences[row["sentence"]].start == row["start"]
        assert set(row) == {"schema_version", "article_id", "sentence", "start", "end", "text", "label", "annotator",
                            "updated_at", "tick", "source", "score", "suggested", "note", "flag"}


def test_json_document(sample_db: Database) -> None:
    label_some(sample_db)
    doc = orjson.loads(b"".join(render(sample_db, "json")))
    # One JSON array of the jsonl records: what pandas.read_json and datasets read as rows.
    lines = [read_record(x) for x in b"".join(render(sample_db, "jsonl")).splitlines()]
    assert doc == lines and doc[0]["schema_version"] == EXPORT_SCHEMA_VERSION


def test_same_database_same_bytes(sample_db: Database) -> None:
    label_some(sample_db)
    for fmt in ("jsonl", "sentences", "json"):
        assert b"".join(render(sample_db, fmt)) == b"".join(render(sample_db, fmt))


def test_filters(sample_db: Database) -> None:
    label_some(sample_db)
    art = sample_db.get_article(sample_db.article_infos()[1].id)
    s = art.sentences[5]
    sample_db.set_label(Label(art.id, s.start, s.end, "claim", "budi", "2026-11-22T11:00:00.000Z"))
    rows = [read_record(x) for x in b"".join(render(sample_db, "jsonl", annotators={"budi"}, labeled_only=True)).splitlines()]
    assert len(rows) == 1 and [sp["annotator"] for sp in rows[0]["spans"]] == ["budi"]


def test_write_file_is_atomic_and_checks_folder(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old")

    def broken():
        yield b"partial"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_file(target, broken())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    with pytest.raises(ExportError, match="no such folder"):
        write_file(tmp_path / "missing" / "x.jsonl", [b"x"])
    with pytest.raises(ExportError, match="is a folder"):
        write_file(tmp_path, [b"x"])
