from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.errors import InputError
from annotator.importer import apply_import, article_id, detect_title, plan_import
from annotator.storage import Database
from conftest import SAMPLES


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_samples_import_in_sorted_order_with_exact_text(tmp_path: Path, db: Database) -> None:
    result = apply_import(db, plan_import([SAMPLES]))
    infos = db.article_infos()
    assert [Path(i.sources[0]).name for i in infos] == sorted(p.name for p in SAMPLES.iterdir())
    assert len(result.added) == 2 and result.present == []
    for info in infos:
        art = db.get_article(info.id)
        raw = Path(info.sources[0]).read_bytes().decode("utf-8")
        assert art.text == raw
        assert art.id == article_id(raw)
        for s in art.sentences:
            assert art.text[s.start:s.end] == art.text[s.start:s.end].strip() != ""


def test_reimport_adds_nothing_and_keeps_sources(tmp_path: Path, db: Database) -> None:
    a = write(tmp_path / "a.txt", "One sentence. Two sentences.\n")
    b = write(tmp_path / "copy.md", "One sentence. Two sentences.\n")
    apply_import(db, plan_import([a]))
    result = apply_import(db, plan_import([a, b]))
    assert result.added == [] and len(result.present) == 1
    (info,) = db.article_infos()
    assert set(info.sources) == {str(a), str(b)}


def test_title_is_first_line_only_when_a_heading() -> None:
    assert detect_title("Putin Tertarik Pulihkan Hubungan\n\nBody text here.") == "Putin Tertarik Pulihkan Hubungan"
    assert detect_title("# A markdown heading\n\nBody.") == "A markdown heading"
    assert detect_title("A full sentence ends here.\n\nBody.") == ""
    assert detect_title("No blank line after\nBody.") == ""
    assert detect_title("x " * 100 + "\n\nBody") == ""


def test_bom_dropped_crlf_kept(tmp_path: Path, db: Database) -> None:
    f = write(tmp_path / "crlf.txt", b"\xef\xbb\xbfFirst line.\r\nSecond line here.\r\n")
    apply_import(db, plan_import([f]))
    art = db.get_article(db.article_infos()[0].id)
    assert art.text == "First line.\r\nSecond line here.\r\n"
    assert [art.text[s.start:s.end] for s in art.sentences] == ["First line.", "Second line here."]


def test_jsonl_with_ids_titles_meta(tmp_path: Path, db: Database) -> None:
    rows = [
        {"text": "Alpha one. Alpha two.", "id": "ext-1", "title": "Alpha", "meta": {"src": "x"}},
        {"text": "Beta only."},
    ]
    f = write(tmp_path / "in.jsonl", "\n".join(orjson.dumps(r).decode() for r in rows) + "\n\n")
    apply_import(db, plan_import([f]))
    infos = db.article_infos()
    assert [i.title for i in infos] == ["Alpha", ""]
    alpha = db.get_article(infos[0].id)
    assert alpha.meta == {"src": "x", "id": "ext-1"}
    assert alpha.sources == (f"{f}:1",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"text": "ok"}\n{"text": 5}\n', "line 2"),
        (b'{"text": "ok"}\nnot json\n', "line 2: not valid JSON"),
        (b'[1, 2]\n', "line 1"),
        (b'{"title": "no text"}\n', "missing \"text\""),
    ],
)
def test_malformed_jsonl_names_line_and_imports_nothing_from_it(tmp_path: Path, db: Database, content: bytes,
                                                              expected: str) -> None:
    f = write(tmp_path / "bad.jsonl", content)
    plan = plan_import([f])
    assert plan.items == []
    (err,) = plan.errors
    assert expected in err.reason and "bad.jsonl" in err.path


def test_bad_files_are_reported_not_imported(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "good.txt", "A fine sentence.")
    write(folder / "empty.txt", "  \n")
    write(folder / "latin1.txt", "Caf\xe9 au lait.".encode("latin-1"))
    write(folder / "binary.txt", b"\x00\x01\x02PNG")
    write(folder / "picture.png", b"\x89PNG")
    plan = plan_import([folder])
    assert [Path(i.article.sources[0]).name for i in plan.items] == ["good.txt"]
    reasons = {Path(s.path).name: (s.error, s.reason) for s in plan.skipped}
    assert reasons["empty.txt"][0] is False and "empty" in reasons["empty.txt"][1]
    assert reasons["picture.png"][0] is False
    assert reasons["latin1.txt"][0] is True and "--encoding" in reasons["latin1.txt"][1]
    assert reasons["binary.txt"][0] is True and "binary" in reasons["binary.txt"][1]


def test_encoding_option_and_utf16(tmp_path: Path) -> None:
    f = write(tmp_path / "latin.txt", "Caf\xe9 au lait.".encode("latin-1"))
    (item,) = plan_import([f], encoding="latin-1").items
    assert item.article.text == "Café au lait."
    g = write(tmp_path / "u16.txt", "Halo dunia.".encode("utf-16"))
    (item16,) = plan_import([g]).items
    assert item16.article.text == "Halo dunia."


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        plan_import([tmp_path / "nope"])


def test_export_file_round_trips_labels(tmp_path: Path, sample_db: Database) -> None:
    from annotator.export import render
    from annotator.model import Label

    info = sample_db.article_infos()[0]
    art = sample_db.get_article(info.id)
    s = art.sentences[2]
    sample_db.set_label(Label(art.id, s.start, s.end, "quote", "ana", "2026-11-22T10:00:00.000Z"))
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(b"".join(render(sample_db, "jsonl")))

    other = Database.open(tmp_path / "other" / "db.json")
    try:
        result = apply_import(other, plan_import([dump]))
        assert len(result.added) == 2 and result.labels[0] == 1
        assert [lab.label for lab in other.labels(art.id)] == ["quote"]
        assert b"".join(render(other, "jsonl")) == dump.read_bytes()  # lossless: same bytes back
        again = apply_import(other, plan_import([dump]))
        assert again.labels == (0, 0, 1, 0)
    finally:
        other.close()
