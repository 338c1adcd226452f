"""``--format csv``: RFC 4180 rows for spreadsheets, formula injection defused (issue 11)."""

from __future__ import annotations

import csv
import io

import orjson

from annotator.export import GoldTally, render
from annotator.formats.spreadsheet import defuse
from annotator.model import Label
from annotator.storage import Database


def _label_all(db: Database) -> None:
    for n, info in enumerate(db.article_infos()):
        for k, sp in enumerate(db.get_article(info.id).sentences):
            db.set_label(Label(info.id, sp.start, sp.end, ("claim", "quote", "background")[(n + k) % 3], "ana",
                               "2026-06-01T00:00:00.000Z"))


def test_csv_has_the_sentence_rows_and_reads_back_with_the_csv_module(sample_db: Database) -> None:
    _label_all(sample_db)
    data = b"".join(render(sample_db, "csv"))
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    lines = [orjson.loads(x) for x in b"".join(render(sample_db, "sentences")).splitlines()]
    assert len(rows) == len(lines) == 41
    for row, line in zip(rows, lines):
        assert row["article_id"] == line["article_id"] and int(row["start"]) == line["start"]
        assert row["text"] in (line["text"], "'" + line["text"])  # a leading ' only where a formula could start
        assert row["label"] == line["label"]
    # A quoted sentence with commas, quotes and a line break survives the round trip.
    assert any("," in r["text"] or '"' in r["text"] or "“" in r["text"] for r in rows)


def test_formula_cells_are_defused() -> None:
    for bad in ("=HYPERLINK(\"http://x\")", "+1", "-14 Views", "@SUM(A1)", "\tx", "\rx"):
        assert defuse(bad) == "'" + bad
    for fine in ("Jakarta (ANTARA) - Presiden", "14 Views", "", "claim"):
        assert defuse(fine) == fine


def test_gold_csv_has_votes_as_json(sample_db: Database) -> None:
    _label_all(sample_db)
    tally = GoldTally()
    rows = list(csv.DictReader(io.StringIO(b"".join(render(sample_db, "csv", gold=tally)).decode("utf-8-sig"),
                                           newline="")))
    assert len(rows) == tally.unanimous == 41
    assert orjson.loads(rows[0]["votes"]) == [["ana", rows[0]["label"]]] and rows[0]["by"] == ""
