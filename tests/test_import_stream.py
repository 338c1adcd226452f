"""An import of a folder holds a few texts at a time: text files are listed first, then read
once each, split and written one by one (or many at once, in worker processes), giving the
same database as reading everything first.  A file that changes or goes in between is read
as it is then, or is one error line, never a wrong article."""

from __future__ import annotations

import os
import random
import re
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import annotator.importer as importer
from annotator import workers
from annotator.atomicio import atomic_write_bytes
from annotator.cli import main
from annotator.errors import SaveError
from annotator.importer import apply_import, detect_title, plan_import
from annotator.storage import Database, database
from conftest import SAMPLES


def folder_of_articles(root: Path, n: int = 40) -> Path:
    """News-like files: CRLF, a BOM, a title, a duplicate, an empty and a broken file."""
    rnd = random.Random(5)
    words = "presiden menteri harga minyak rupiah bank pasar the government said talks Jakarta".split()
    root.mkdir()
    for k in range(n):
        sentences = [" ".join(rnd.choice(words) for _ in range(rnd.randint(4, 12))).capitalize() + "."
                     for _ in range(rnd.randint(1, 8))]
        text = f"Judul Berita {k}\n\n" + " ".join(sentences) + '\n“Kutipan. Lagi,” kata Budi.\nEditor: Ana\n'
        if k % 5 == 0:
            text = text.replace("\n", "\r\n")
        data = text.encode("utf-8")
        (root / f"{k:03d}.txt").write_bytes(b"\xef\xbb\xbf" + data if k % 7 == 0 else data)
    (root / "dup.md").write_bytes((root / "003.txt").read_bytes())
    (root / "empty.txt").write_bytes(b" \n")
    (root / "latin1.txt").write_bytes("Caf\xe9.".encode("latin-1"))
    return root


def snapshot(dbpath: Path) -> tuple[list[object], dict[str, bytes]]:
    """The index's article rows and every article file, byte for byte."""
    rows = list(orjson.loads(dbpath.read_bytes())["articles"].values())
    folder = dbpath.parent / (dbpath.stem + ".d") / "articles"
    return rows, {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def import_into(dbpath: Path, folder: Path, *, keep_texts: bool) -> importer.ImportResult:
    plan = plan_import([folder], keep_texts=keep_texts)
    with Database.open(dbpath) as db:
        return apply_import(db, plan)


def test_a_folder_is_planned_without_its_texts_and_imports_the_same(tmp_path: Path) -> None:
    folder = folder_of_articles(tmp_path / "in")
    plan = plan_import([folder], keep_texts=False)
    assert plan.items == [] and len(plan.texts) == 43 and plan.skipped == []  # not one read yet
    kept = import_into(tmp_path / "kept" / "a.json", folder, keep_texts=True)
    streamed_plan = plan_import([folder], keep_texts=False)
    with Database.open(tmp_path / "streamed" / "a.json") as db:
        streamed = apply_import(db, streamed_plan)
    assert [s.reason.split(";")[0] for s in streamed_plan.skipped] == ["empty file, nothing to import",
                                                                        "not UTF-8 (line 1, byte 3)"]
    assert (streamed.added, streamed.present, streamed.sentences_added) == (kept.added, kept.present,
                                                                             kept.sentences_added)
    assert streamed.present == [] and len(streamed.added) == 40  # dup.md: a source of 003.txt's article
    assert snapshot(tmp_path / "streamed" / "a.json") == snapshot(tmp_path / "kept" / "a.json")


def test_a_file_that_changes_after_the_listing_is_read_as_it_is_then(tmp_path: Path) -> None:
    folder = folder_of_articles(tmp_path / "in", 6)
    plan = plan_import([folder], keep_texts=False)
    (folder / "001.txt").write_bytes(b"Another text altogether.\n")
    (folder / "002.txt").unlink()
    (folder / "004.txt").write_bytes(b"Caf\xe9 now.\n")
    with Database.open(tmp_path / "a.json") as db:
        result = apply_import(db, plan)
        assert len(result.added) == 4  # of 6 articles (dup.md is 003.txt again)
        assert sorted(Path(i.sources[0]).name for i in db.article_infos()) == ["000.txt", "001.txt", "003.txt",
                                                                               "005.txt"]
        new = next(i for i in db.article_infos() if i.sources == (str(folder / "001.txt"),))
        assert db.get_article(new.id).text == "Another text altogether.\n"
    assert [(Path(s.path).name, s.reason) for s in plan.errors] == [
        ("002.txt", "no longer exists (it was moved or deleted during the import)"),
        ("004.txt", "not UTF-8 (line 1, byte 3); convert it, or re-run with --encoding cp1252 (or latin-1, "
                    "or the file's own encoding)"),
        ("latin1.txt", "not UTF-8 (line 1, byte 3); convert it, or re-run with --encoding cp1252 (or latin-1, "
                       "or the file's own encoding)"),
    ]


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every import reads its texts again in two worker processes, however few."""
    if sys.platform != "linux":
        pytest.skip("worker processes only where they fork (Linux)")
    monkeypatch.setattr(importer, "PARALLEL_MIN_TEXTS", 1)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(importer, "_PARALLEL_BATCH", 3)  # several batches, some under way at once


def test_worker_processes_give_what_one_process_gives(tmp_path: Path, in_workers: None) -> None:
    folder = folder_of_articles(tmp_path / "in")
    kept = import_into(tmp_path / "kept" / "a.json", folder, keep_texts=True)
    parallel = import_into(tmp_path / "parallel" / "a.json", folder, keep_texts=False)
    assert (parallel.added, parallel.sentences_added) == (kept.added, kept.sentences_added)
    assert snapshot(tmp_path / "parallel" / "a.json") == snapshot(tmp_path / "kept" / "a.json")
    again = import_into(tmp_path / "parallel" / "a.json", folder, keep_texts=False)
    assert again.added == [] and len(again.present) == 40


def test_worker_processes_report_a_file_gone(tmp_path: Path, in_workers: None) -> None:
    folder = folder_of_articles(tmp_path / "in", 9)
    plan = plan_import([folder], keep_texts=False)
    (folder / "007.txt").unlink()
    with Database.open(tmp_path / "a.json") as db:
        result = apply_import(db, plan)
    assert len(result.added) == 8
    assert [(Path(s.path).name, s.reason) for s in plan.errors] == [
        ("007.txt", "no longer exists (it was moved or deleted during the import)"),
        ("latin1.txt", "not UTF-8 (line 1, byte 3); convert it, or re-run with --encoding cp1252 (or latin-1, "
                       "or the file's own encoding)")]


def test_an_article_the_database_has_is_not_split_again(tmp_path: Path, in_workers: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = folder_of_articles(tmp_path / "in", 9)
    import_into(tmp_path / "a.json", folder, keep_texts=False)
    (folder / "new.txt").write_bytes(b"A new one. Split it.\n")
    split: list[str] = []
    real = importer.segment
    monkeypatch.setattr(importer, "segment", lambda text, language="id": split.append(text) or real(text, language))
    monkeypatch.setattr(workers, "available", lambda: False)  # in this process, where the list is
    again = import_into(tmp_path / "a.json", folder, keep_texts=False)
    assert split == ["A new one. Split it.\n"] and len(again.added) == 1 and len(again.present) == 9


def test_a_failed_write_stops_the_import_before_the_index(tmp_path: Path, in_workers: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = folder_of_articles(tmp_path / "in", 12)
    real = database.write_article

    def full_disk(path: Path, raw: bytes, *, sync: bool = True) -> None:
        if path.name.startswith(("0", "1", "2", "3")):
            raise SaveError(f"could not save {path}: No space left on device")
        real(path, raw, sync=sync)

    monkeypatch.setattr(database, "write_article", full_disk)
    with Database.open(tmp_path / "a.json") as db:
        with pytest.raises(SaveError, match="No space left on device"):
            apply_import(db, plan_import([folder], keep_texts=False))
        assert db.article_infos() == []
    with Database.open(tmp_path / "a.json") as db:
        assert db.article_infos() == []
        assert [p.name for p in db.articles_folder.iterdir() if not p.name.endswith(".json")] == []  # no temp file


def test_dry_run_counts_what_the_import_adds(tmp_path: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = folder_of_articles(tmp_path / "in", 10)
    counts = []
    for args in (["--dry-run"], []):
        with pytest.raises(SystemExit):  # the broken file
            main(["import", *args, str(folder)])
        out = capsys.readouterr().out.splitlines()[0]
        found = re.findall(r"\d+", out)
        counts.append((found[0], found[-1]))  # articles, sentences
    assert counts[0] == counts[1] and counts[0][0] == "10"


def test_the_cli_reads_texts_again(in_tmp: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[bool] = []
    real = importer.plan_import

    def plan(*args: object, keep_texts: bool = True, **kwargs: object) -> importer.ImportPlan:
        kept.append(keep_texts)
        return real(*args, keep_texts=keep_texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "plan_import", plan)
    main(["import", str(SAMPLES)])
    assert kept == [False] and capsys.readouterr().out.startswith("2 new article(s)")


# ----------------------------------------------------------------------------- pieces


def detect_title_as_it_was(text: str) -> str:
    """``detect_title`` before it stopped splitting the whole text into lines."""
    lines = text.splitlines()
    if len(lines) < 2 or lines[1].strip():
        return ""
    first = lines[0].strip()
    if first.startswith("#"):
        first = first.lstrip("#").strip()
    if not first or len(first) > importer.TITLE_MAX_CHARS or len(first.split()) > importer.TITLE_MAX_WORDS:
        return ""
    if first.endswith(importer._FINAL_PUNCT):
        return ""
    return first


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Judul", " ", "# ", "x.", "\n", "\r\n", "\r", "\u2028", "\x1c", "\x85", "\t",
                                 "Berita hari ini", "."]), max_size=12).map("".join))
def test_title_detection_reads_only_the_first_two_lines_as_splitlines_has_them(text: str) -> None:
    assert detect_title(text) == detect_title_as_it_was(text)


def test_an_unlisted_file_is_written_in_place_and_a_leftover_replaced(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    new = tmp_path / "new.json"
    atomic_write_bytes(new, b"{}", sync=True, unlisted=True)
    assert new.read_bytes() == b"{}" and oct(new.stat().st_mode & 0o777) == "0o600"
    left = tmp_path / "left.json"
    left.write_bytes(b"half a fi")  # an interrupted import's
    os.link(left, tmp_path / "other-name")
    atomic_write_bytes(left, b"{}", sync=False, unlisted=True)
    assert left.read_bytes() == b"{}" and (tmp_path / "other-name").read_bytes() == b"half a fi"  # replaced, not overwritten

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "full.json", b"{}", sync=False, unlisted=True)
    assert not (tmp_path / "full.json").exists()
