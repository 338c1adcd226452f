"""An import of many texts writes their articles in packs (``storage.articlefile``): a few
hundred files instead of one per article, read back exactly as separate files would be,
checked by ``verify``, through export, import and merge, and refused when damaged or
pointing outside the articles folder."""

from __future__ import annotations

import os
import random
from pathlib import Path

import orjson
import pytest

from annotator import importer
from annotator.cli import main
from annotator.export import read_record
from annotator.importer import apply_import, plan_import
from annotator.merge import merge_database
from annotator.model import PACKS_SCHEMA, Label, now_iso
from annotator.storage import Database, DamagedFile, articlefile
from annotator.storage import database as database_mod
from annotator.verify import verify
from conftest import run_cli

WORDS = ("presiden menteri harga minyak rupiah bank pasar pemerintah kata Budi "
         "the government said talks Jakarta").split()


def write_texts(folder: Path, n: int, seed: int = 3) -> Path:
    """``n`` news-like texts, a few with CRLF or a BOM, in folders of 100."""
    rnd = random.Random(seed)
    for k in range(n):
        sentences = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 10))).capitalize() + "."
                     for _ in range(rnd.randint(1, 6))]
        text = f"Judul {k}\n\n" + " ".join(sentences) + "\nEditor: Ana\n"
        if k % 9 == 0:
            text = text.replace("\n", "\r\n")
        sub = folder / f"{k // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        (sub / f"{k:05d}.txt").write_bytes(b"\xef\xbb\xbf" + data if k % 13 == 0 else data)
    return folder


def import_folder(dbpath: Path, folder: Path) -> importer.ImportResult:
    plan = plan_import([folder], keep_texts=False)
    with Database.open(dbpath) as db:
        return apply_import(db, plan)


def contents(dbpath: Path) -> list[tuple[object, ...]]:
    with Database.open(dbpath, readonly=True) as db:
        return [(i.id, i.seq, i.title, i.sources, i.preview, i.n_sentences, db.get_article(i.id).text,
                 db.get_article(i.id).sentences) for i in db.article_infos()]


def article_files(dbpath: Path) -> list[str]:
    return sorted(p.name for p in (dbpath.parent / (dbpath.stem + ".d") / "articles").iterdir())


@pytest.fixture
def unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 10**9)


def test_a_thousand_texts_make_sixteen_files_that_read_back_as_one_file_each(tmp_path: Path) -> None:
    folder = write_texts(tmp_path / "in", 1000)
    packed = import_folder(tmp_path / "packed" / "a.json", folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(articlefile, "PACK_MIN_ARTICLES", 10**9)
        single = import_folder(tmp_path / "single" / "a.json", folder)
    assert packed.added == single.added and len(packed.added) == 1000
    assert contents(tmp_path / "packed" / "a.json") == contents(tmp_path / "single" / "a.json")
    names = article_files(tmp_path / "packed" / "a.json")
    assert len(names) == 16 and all(articlefile.PACK_NAME.fullmatch(n) for n in names)  # 15 of 64 and one of 40
    assert sorted(int(n.split("+")[1].removesuffix(".json")) for n in names) == [40] + [64] * 15
    assert len(article_files(tmp_path / "single" / "a.json")) == 1000
    index = orjson.loads((tmp_path / "packed" / "a.json").read_bytes())
    assert index["project"]["1"]["schema_version"] == PACKS_SCHEMA
    assert {row["file"] for row in index["articles"].values()} == set(names)
    report = verify(tmp_path / "packed" / "a.json")
    assert not report.findings and report.articles == 1000


def test_a_big_article_closes_its_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    monkeypatch.setattr(database_mod, "PACK_BYTES", 2000)
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(6):
        (folder / f"{k}.txt").write_text(("Kalimat panjang sekali. " * (60 if k == 2 else 3)) + f"Nomor {k}.\n")
    import_folder(tmp_path / "a.json", folder)
    names = article_files(tmp_path / "a.json")
    # 0, 1, 2 (over 2,000 bytes with 2) in one pack; 3, 4, 5 in the next
    assert [n.split("+")[1] for n in names if "+" in n] == ["3.json", "3.json"]
    assert not verify(tmp_path / "a.json").findings


def test_one_article_left_over_is_a_file_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    monkeypatch.setattr(database_mod, "PACK_ARTICLES", 4)
    folder = write_texts(tmp_path / "in", 5)
    result = import_folder(tmp_path / "a.json", folder)
    names = article_files(tmp_path / "a.json")
    assert len(names) == 2 and f"{result.added[4]}.json" in names  # 4 in a pack, the fifth alone
    with Database.open(tmp_path / "a.json", readonly=True) as db:
        assert [db.article_path(a).name for a in result.added] == [names[0]] * 4 + [f"{result.added[4]}.json"]


def test_export_reads_each_pack_once_and_gives_what_single_files_give(tmp_path: Path, in_tmp: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_texts(tmp_path / "in", 300)
    outs = []
    for name, pack_min in (("packed", 1), ("single", 10**9)):
        monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", pack_min)
        db = f"{name}/a.json"
        assert run_cli_ok("import", str(folder), "--db", db)
        with Database.open(Path(db)) as d:
            first = d.article_infos()[0].id
            d.set_label(Label(first, *(lambda s: (s.start, s.end))(d.get_article(first).sentences[0]),
                              "claim", "ana", now_iso()))
        reads: list[Path] = []
        real = articlefile.read_bytes
        monkeypatch.setattr(articlefile, "read_bytes", lambda p: reads.append(p) or real(p))
        main_ok("export", "--db", db, "-o", f"{name}.jsonl")
        monkeypatch.setattr(articlefile, "read_bytes", real)
        outs.append([read_record(line) for line in Path(f"{name}.jsonl").read_text().splitlines()])
        if name == "packed":
            assert len(reads) == len(set(reads)) == 5  # 300 articles in 5 packs, each read once
    strip = lambda recs: [{k: v for k, v in r.items() if k not in ("spans",)} for r in recs]  # noqa: E731
    assert strip(outs[0]) == strip(outs[1])
    assert [len(r["spans"]) for r in outs[0]] == [len(r["spans"]) for r in outs[1]]


def run_cli_ok(*args: str) -> bool:
    try:
        main(list(args))
    except SystemExit as e:
        return e.code in (0, None)
    return True


def main_ok(*args: str) -> None:
    assert run_cli_ok(*args)


def test_packed_articles_survive_export_import_and_merge(tmp_path: Path, in_tmp: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    folder = write_texts(tmp_path / "in", 150)
    main_ok("import", str(folder), "--db", "a/a.json")
    with Database.open(Path("a/a.json")) as db:
        for info in db.article_infos()[::10]:
            s = db.get_article(info.id).sentences[0]
            db.set_label(Label(info.id, s.start, s.end, "quote", "ana", now_iso()))
    main_ok("export", "--db", "a/a.json", "-o", "a.jsonl")
    main_ok("import", "a.jsonl", "--db", "b/b.json")
    with Database.open(Path("c/c.json")) as target:
        merge_database(target, Path("a/a.json"))
    for db in ("a/a.json", "b/b.json", "c/c.json"):  # imported from texts, from an export, merged: all packed
        assert len(article_files(Path(db))) == 3, db
        assert not verify(Path(db)).findings, db
        with Database.open(Path(db), readonly=True) as d:
            assert len(d.article_infos()) == 150
            assert sum(len(d.labels(i.id)) for i in d.article_infos()) == 15


def test_a_damaged_pack_is_reported_once_and_its_articles_are_unavailable(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    monkeypatch.setattr(database_mod, "PACK_ARTICLES", 4)
    folder = write_texts(tmp_path / "in", 12)
    result = import_folder(tmp_path / "a.json", folder)
    with Database.open(tmp_path / "a.json", readonly=True) as db:
        damaged = db.article_path(result.added[5])
    damaged.write_bytes(damaged.read_bytes()[:100])
    report = verify(tmp_path / "a.json")
    assert [(Path(f.path).name, f.message.split(":")[0]) for f in report.findings] == [(damaged.name, "not valid JSON")]
    with Database.open(tmp_path / "a.json", readonly=True) as db:
        for aid in result.added:
            if db.article_path(aid) == damaged:
                with pytest.raises(DamagedFile):
                    db.get_article(aid)
            else:
                assert db.get_article(aid).text


def test_a_pack_without_its_article_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    monkeypatch.setattr(database_mod, "PACK_ARTICLES", 4)
    result = import_folder(tmp_path / "a.json", write_texts(tmp_path / "in", 4))
    with Database.open(tmp_path / "a.json", readonly=True) as db:
        pack = db.article_path(result.added[0])
    data = orjson.loads(pack.read_bytes())
    del data["article"]["3"]
    pack.write_bytes(orjson.dumps(data))
    findings = verify(tmp_path / "a.json").findings
    assert [f.message for f in findings if "records of article" in f.message] == [
        f"holds 0 records of article {result.added[2]}, not 1"]
    with Database.open(tmp_path / "a.json", readonly=True) as db:
        with pytest.raises(DamagedFile, match=f"it does not hold article {result.added[2]}"):
            db.get_article(result.added[2])
        assert db.get_article(result.added[3]).text


@pytest.mark.parametrize("name", ["../../../etc/passwd", "x/y+2.json", ".hidden+2.json", "a.json", "a+2.txt"])
def test_an_index_row_naming_any_other_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        name: str) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    import_folder(tmp_path / "a.json", write_texts(tmp_path / "in", 3))
    index = orjson.loads((tmp_path / "a.json").read_bytes())
    index["articles"]["1"]["file"] = name
    (tmp_path / "a.json").write_bytes(orjson.dumps(index))
    with pytest.raises(DamagedFile, match="article record 1 is malformed"):
        Database.open(tmp_path / "a.json", readonly=True)


def test_an_interrupted_packed_import_leaves_files_the_next_one_replaces(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articlefile, "PACK_MIN_ARTICLES", 1)
    monkeypatch.setattr(database_mod, "PACK_ARTICLES", 4)
    folder = write_texts(tmp_path / "in", 10)
    real_sync = os.sync

    def killed() -> None:  # the packs are written, the index is not
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "sync", killed)
    with pytest.raises(KeyboardInterrupt):
        import_folder(tmp_path / "a.json", folder)
    monkeypatch.setattr(os, "sync", real_sync)
    left = article_files(tmp_path / "a.json")
    assert len(left) == 3
    report = verify(tmp_path / "a.json")
    assert len(report.findings) == 3 and all("left by an interrupted import" in f.message for f in report.findings)
    result = import_folder(tmp_path / "a.json", folder)
    assert len(result.added) == 10 and article_files(tmp_path / "a.json") == left
    assert not verify(tmp_path / "a.json").findings


def test_a_few_texts_stay_one_file_each(tmp_path: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "import", str(write_texts(tmp_path / "in", 20)))
    assert code == 0 and out.startswith("20 new article(s)")
    names = article_files(in_tmp / "annotations" / "annotations.json")
    assert len(names) == 20 and not any("+" in n for n in names)
    index = orjson.loads((in_tmp / "annotations" / "annotations.json").read_bytes())
    assert index["project"]["1"]["schema_version"] < PACKS_SCHEMA  # an older annotator still opens it
