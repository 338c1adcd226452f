"""annotator.storage: round trips, durability, locking, damaged files, failed writes."""

from __future__ import annotations

import errno
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

from annotator.storage import tinyfile as storage_mod
from annotator.atomicio import atomic_write_bytes
from annotator.errors import DatabaseCorrupt, DatabaseError, DatabaseLocked, SaveError
from annotator.model import DEFAULT_SCHEME, Article, Label, Span, now_iso
from annotator.storage import Database, OrjsonStorage
from conftest import full_disk_write

ROOT = Path(__file__).resolve().parents[1]


def make_article(n: int, sentences: tuple[str, ...] = ("First one here.", "Second one!", "Third?")) -> Article:
    text, spans = "", []
    for s in sentences:
        if text:
            text += " "
        spans.append(Span(len(text), len(text) + len(s)))
        text += s
    return Article(f"a{n:03x}", f"Title {n}", text, tuple(spans), (f"src{n}.txt",), {"n": n})


ARTICLES = [make_article(i) for i in range(3)]
S = [(sp.start, sp.end) for sp in ARTICLES[0].sentences]  # the same spans in every test article


def lab(article: int, sent: int, name: str = "claim", who: str = "ann", at: str | None = None) -> Label:
    start, end = S[sent]
    return Label(f"a{article:03x}", start, end, name, who, at or now_iso())


@pytest.fixture
def dbpath(tmp_path: Path) -> Path:
    return tmp_path / "annotations" / "annotations.json"


@pytest.fixture
def db(dbpath: Path) -> Iterator[Database]:
    with Database.open(dbpath) as d:
        d.add_articles(ARTICLES)
        yield d


def labels_file(dbpath: Path, article_id: str) -> Path:
    return dbpath.parent / "annotations.d" / "labels" / f"{article_id}.json"


def article_file(dbpath: Path, article_id: str) -> Path:
    return dbpath.parent / "annotations.d" / "articles" / f"{article_id}.json"


def one_line(e: BaseException) -> str:
    msg = str(e)
    assert "\n" not in msg
    return msg


def run_py(code: str, *args: str, **kw: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


# --------------------------------------------------------------------------- round trips


def test_new_database_layout(dbpath: Path) -> None:
    with Database.open(dbpath) as d:
        assert d.scheme == DEFAULT_SCHEME
        assert d.article_infos() == []
        assert d.annotators() == []
    assert (dbpath.parent / "annotations.d" / "labels").is_dir()
    assert (dbpath.parent / "annotations.d" / "articles").is_dir()
    with Database.open(dbpath, readonly=True) as d:
        assert d.scheme == DEFAULT_SCHEME


def test_add_and_get_articles(dbpath: Path) -> None:
    seen: list[int] = []
    with Database.open(dbpath) as d:
        added, present = d.add_articles(ARTICLES, progress=seen.append)
        assert added == [a.id for a in ARTICLES] and present == []
        assert seen == [1, 2, 3]
        d.get_article(ARTICLES[1].id)  # cached now; the merge below must not leave it stale
        again = Article(ARTICLES[1].id, "other title", "other", (), ("new.txt", "src1.txt", "new.txt"))
        assert d.add_articles([again, ARTICLES[0]]) == ([], [ARTICLES[1].id, ARTICLES[0].id])
        assert d.has_article(ARTICLES[2].id) and not d.has_article("nope")
        assert d.get_article(ARTICLES[1].id).sources == ("src1.txt", "new.txt")
    with Database.open(dbpath, readonly=True) as d:
        infos = d.article_infos()
        assert [i.id for i in infos] == [a.id for a in ARTICLES]
        assert [i.seq for i in infos] == [1, 2, 3]
        assert infos[1].sources == ("src1.txt", "new.txt")
        assert infos[0].n_sentences == 3 and infos[0].title == "Title 0"
        got = d.get_article(ARTICLES[1].id)
        assert got == Article(ARTICLES[1].id, "Title 1", ARTICLES[1].text, ARTICLES[1].sentences, infos[1].sources, {"n": 1})
        with pytest.raises(KeyError):
            d.get_article("nope")


def test_add_articles_writes_index_last(db: Database, dbpath: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real = atomic_write_bytes

    def write(path: Path, data: bytes, **kw: Any) -> None:
        order.append(path.name)
        real(path, data, **kw)

    monkeypatch.setattr(storage_mod, "atomic_write_bytes", write)
    db.add_articles([make_article(10), make_article(11)])
    assert order == ["a00a.json", "a00b.json", "annotations.json"]


@pytest.mark.parametrize("bad", ["../evil", "a/b", ".hidden", "", "a\\b", "x" * 200])
def test_unsafe_article_ids_rejected(db: Database, dbpath: Path, bad: str) -> None:
    before = dbpath.read_bytes()
    with pytest.raises(ValueError):
        db.add_articles([make_article(5), Article(bad, "t", "text", (Span(0, 4),))])
    assert dbpath.read_bytes() == before
    assert not db.has_article("a005")


def test_set_relabel_clear(db: Database) -> None:
    a = ARTICLES[0].id
    db.set_label(lab(0, 1, "claim"))
    db.set_label(lab(0, 0, "quote", "bob"))
    db.set_label(lab(0, 0, "background"))
    assert [(x.start, x.label, x.annotator) for x in db.labels(a)] == [
        (0, "background", "ann"),
        (0, "quote", "bob"),
        (S[1][0], "claim", "ann"),
    ]
    made = lab(0, 1, "quote")
    relabel = db.set_label(made)  # returned as stored: stamped after what it replaced
    assert relabel.label == "quote" and (relabel.updated_at, relabel.tick) >= (made.updated_at, 0)
    assert db.labels(a, "ann") == [db.labels(a)[0], relabel]
    assert db.clear_label(a, *S[1], "ann") == relabel
    assert db.clear_label(a, *S[1], "ann") is None
    assert [x.label for x in db.labels(a, "ann")] == ["background"]
    assert db.labels(ARTICLES[2].id) == []


def test_state_survives_reopen(dbpath: Path) -> None:
    with Database.open(dbpath) as d:
        d.add_articles(ARTICLES)
        for i in range(3):
            d.set_label(lab(i, i, "quote"))
        d.set_label(lab(1, 0, "claim", "bob"))
        d.clear_label(ARTICLES[2].id, *S[2], "ann")
        expected = {a.id: d.labels(a.id) for a in ARTICLES}
        counts = d.label_counts()
    with Database.open(dbpath) as d:
        assert {a.id: d.labels(a.id) for a in ARTICLES} == expected
        assert d.label_counts() == counts
        assert d.annotators() == ["ann", "bob"]


def test_invalid_labels_rejected(db: Database) -> None:
    for bad in [
        Label("nope", *S[0], "claim", "ann", now_iso()),
        Label(ARTICLES[0].id, 0, 3, "claim", "ann", now_iso()),
        lab(0, 0, "opinion"),
        lab(0, 0, who=""),
    ]:
        with pytest.raises(ValueError):
            db.set_label(bad)
    assert db.labels(ARTICLES[0].id) == []


def test_files_are_plain_tinydb(db: Database, dbpath: Path) -> None:
    db.set_label(lab(0, 0, "quote"))
    db.set_label(lab(0, 1, "claim", "bob"))
    with TinyDB(dbpath, storage=JSONStorage, access_mode="r") as t:
        assert [d["id"] for d in t.table("articles").all()] == [a.id for a in ARTICLES]
        assert t.table("project").all()[0]["scheme"] == DEFAULT_SCHEME.to_json()
    with TinyDB(labels_file(dbpath, ARTICLES[0].id), access_mode="r") as t:
        assert [d["label"] for d in t.table("labels").search(Query().annotator == "bob")] == ["claim"]
    with TinyDB(article_file(dbpath, ARTICLES[0].id), storage=OrjsonStorage, readonly=True) as t:
        assert t.table("article").all()[0]["text"] == ARTICLES[0].text


def test_readonly(db: Database, dbpath: Path) -> None:
    db.set_label(lab(0, 0))
    with Database.open(dbpath, readonly=True) as ro:  # allowed while the writer holds the lock
        assert ro.labels(ARTICLES[0].id) == db.labels(ARTICLES[0].id)
        with pytest.raises(DatabaseError, match="read-only"):
            ro.set_label(lab(0, 1))
        with pytest.raises(DatabaseError, match="read-only"):
            ro.add_articles([make_article(9)])
    with pytest.raises(DatabaseError, match="no database"):
        Database.open(dbpath.with_name("other.json"), readonly=True)
    assert not dbpath.with_name("other.json").exists()


def test_closed_database_refuses(db: Database) -> None:
    db.close()
    with pytest.raises(DatabaseError, match="closed"):
        db.labels(ARTICLES[0].id)


# --------------------------------------------------------------------------- locking


def test_a_writer_alone_and_other_writers_refuse_each_other(db: Database, dbpath: Path) -> None:
    Database.open(dbpath).close()  # writers share the database
    with pytest.raises(DatabaseLocked) as e:
        Database.open(dbpath, alone=True)
    assert f"pid {os.getpid()}" in one_line(e.value) and str(dbpath) in str(e.value)
    db.close()
    with Database.open(dbpath, alone=True):
        with pytest.raises(DatabaseLocked) as e:
            Database.open(dbpath)
        assert f"pid {os.getpid()}" in one_line(e.value) and str(dbpath) in str(e.value) and "--db" in str(e.value)
    Database.open(dbpath).close()


def test_lock_timeout_waits(db: Database, dbpath: Path) -> None:
    threading.Timer(0.2, db.close).start()
    t = time.monotonic()
    with Database.open(dbpath, lock_timeout=5, alone=True):
        assert time.monotonic() - t < 4


def test_a_writer_alone_is_refused_from_a_subprocess(db: Database, dbpath: Path) -> None:
    db.set_label(lab(0, 0, "quote"))
    child = run_py(
        """
        import sys
        from pathlib import Path
        from annotator.storage import Database
        from annotator.errors import DatabaseLocked
        try:
            Database.open(Path(sys.argv[1]), alone=True)
            print("opened")
        except DatabaseLocked as e:
            print("locked:", e)
        with Database.open(Path(sys.argv[1]), readonly=True) as ro:
            print("labels:", [x.label for x in ro.labels(ro.article_infos()[0].id)])
        """,
        str(dbpath),
    )
    with child:
        out, _ = child.communicate(timeout=30)
    assert f"locked: {dbpath} is open in another annotator (pid {os.getpid()}, started " in out
    assert "labels: ['quote']" in out


def test_dead_holder_releases_lock(db: Database, dbpath: Path) -> None:
    db.close()
    child = run_py(
        """
        import sys
        from pathlib import Path
        from annotator.storage import Database
        db = Database.open(Path(sys.argv[1]), alone=True)
        print("ready", flush=True)
        sys.stdin.read()
        """,
        str(dbpath),
    )
    with child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLocked, match=f"pid {child.pid},"):
            Database.open(dbpath)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    with Database.open(dbpath) as d:
        assert len(d.article_infos()) == 3


# --------------------------------------------------------------------------- bad paths and damaged files


def test_path_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder") as e:
        Database.open(tmp_path)
    one_line(e.value)


def test_missing_parent_folder(tmp_path: Path) -> None:
    p = tmp_path / "x" / "y" / "db.json"
    with pytest.raises(DatabaseError, match="does not exist"):
        Database.open(p, create=False)
    with pytest.raises(DatabaseError, match="does not exist"):
        Database.open(p, readonly=True)
    assert not (tmp_path / "x").exists()
    Database.open(p).close()
    assert p.is_file()


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DatabaseError, match="not a folder"):
        Database.open(tmp_path / "f" / "db.json")


GOOD_PROJECT = {"schema_version": 1, "scheme": DEFAULT_SCHEME.to_json(), "created_at": "2026-01-01T00:00:00.000Z"}
BAD_INDEXES = {
    "empty": b"",
    "blank": b"  \n",
    "truncated": orjson.dumps({"project": {"1": GOOD_PROJECT}})[:40],
    "not json": b"\x00\x01garbage",
    "list": b"[]",
    "empty object": b"{}",
    "table not object": b'{"project": []}',
    "bad doc id": orjson.dumps({"project": {"x": GOOD_PROJECT}}),
    "doc not object": b'{"project": {"1": 5}}',
    "no scheme": b'{"project": {"1": {"schema_version": 1}}}',
    "empty scheme": orjson.dumps({"project": {"1": {**GOOD_PROJECT, "scheme": []}}}),
    "two projects": orjson.dumps({"project": {"1": GOOD_PROJECT, "2": GOOD_PROJECT}}),
    "bad article": orjson.dumps({"project": {"1": GOOD_PROJECT}, "articles": {"1": {"id": "../x", "seq": 1}}}),
}


@pytest.mark.parametrize("content", BAD_INDEXES.values(), ids=BAD_INDEXES.keys())
@pytest.mark.parametrize("readonly", [False, True])
def test_damaged_index_refused_untouched(dbpath: Path, content: bytes, readonly: bool) -> None:
    dbpath.parent.mkdir(parents=True)
    dbpath.write_bytes(content)
    with pytest.raises(DatabaseCorrupt) as e:
        Database.open(dbpath, readonly=readonly)
    msg = one_line(e.value)
    assert str(dbpath) in msg and "backup" in msg
    assert dbpath.read_bytes() == content
    assert [p.name for p in dbpath.parent.iterdir() if p.name.endswith(".tmp")] == []
    dbpath.unlink()
    Database.open(dbpath).close()  # the failed open released the lock


def test_newer_schema_refused(dbpath: Path) -> None:
    dbpath.parent.mkdir(parents=True)
    content = orjson.dumps({"project": {"1": {**GOOD_PROJECT, "schema_version": 99}}})
    dbpath.write_bytes(content)
    with pytest.raises(DatabaseError, match="newer annotator") as e:
        Database.open(dbpath)
    assert not isinstance(e.value, DatabaseCorrupt) and str(dbpath) in one_line(e.value)
    assert dbpath.read_bytes() == content


BAD_LABEL_FILES = {
    "empty": b"",
    "truncated": b'{"labels": {"1": {"start": 0, "end"',
    "wrong shape": b'{"labels": [1, 2]}',
    "bad record": b'{"labels": {"1": {"start": "0", "end": 15, "label": "claim", "annotator": "a", "updated_at": ""}}}',
}


@pytest.mark.parametrize("content", BAD_LABEL_FILES.values(), ids=BAD_LABEL_FILES.keys())
def test_damaged_labels_file_refused_untouched(db: Database, dbpath: Path, content: bytes) -> None:
    a = ARTICLES[0].id
    f = labels_file(dbpath, a)
    f.write_bytes(content)
    for attempt in (
        lambda: db.labels(a),
        lambda: db.set_label(lab(0, 0)),
        lambda: db.clear_label(a, *S[0], "ann"),
        lambda: db.put_labels([lab(1, 0), lab(0, 0)]),
        lambda: db.label_counts(),
    ):
        with pytest.raises(DatabaseCorrupt) as e:
            attempt()
        assert str(f) in one_line(e.value)
    assert f.read_bytes() == content
    assert db.labels(ARTICLES[1].id) == []  # put_labels refused before writing anything
    db.set_label(lab(2, 0))  # other articles still work


def test_damaged_or_missing_article_file(db: Database, dbpath: Path) -> None:
    f = article_file(dbpath, ARTICLES[0].id)
    content = b'{"article": {"1": {"id": "a000", "text": "short", "sentences": [[0, 99]]}}}'
    f.write_bytes(content)
    with pytest.raises(DatabaseCorrupt, match="malformed"):
        db.get_article(ARTICLES[0].id)
    with pytest.raises(DatabaseCorrupt):
        db.set_label(lab(0, 0))
    assert f.read_bytes() == content
    article_file(dbpath, ARTICLES[1].id).unlink()
    with pytest.raises(DatabaseCorrupt, match="missing"):
        db.get_article(ARTICLES[1].id)


def test_missing_labels_file_means_no_labels(db: Database, dbpath: Path) -> None:
    db.set_label(lab(0, 0))
    db.close()
    labels_file(dbpath, ARTICLES[0].id).unlink()
    with Database.open(dbpath) as d:
        assert d.labels(ARTICLES[0].id) == []
        assert d.label_counts()[ARTICLES[0].id] == {}


# --------------------------------------------------------------------------- failed writes


ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _raise(*_a: Any, **_k: Any) -> Any:
    raise ENOSPC


def inject_failure(mp: pytest.MonkeyPatch, step: str) -> None:
    if step == "mkstemp":
        mp.setattr(tempfile, "mkstemp", _raise)
    elif step == "write":
        mp.setattr(os, "write", full_disk_write(os.write))
    elif step == "fsync":
        mp.setattr(os, "fsync", _raise)
    elif step == "replace":
        mp.setattr(os, "replace", _raise)


def inject_failure_for(mp: pytest.MonkeyPatch, step: str, target: Path) -> None:
    """Fail only the write of ``target``: other files in the same call succeed."""
    real = atomic_write_bytes

    def write(path: Path, data: bytes, **kw: Any) -> None:
        if path != target:
            return real(path, data, **kw)
        with pytest.MonkeyPatch.context() as inner:
            inject_failure(inner, step)
            return real(path, data, **kw)

    mp.setattr(storage_mod, "atomic_write_bytes", write)


STEPS = ["mkstemp", "write", "fsync", "replace"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("op", ["insert", "update", "clear", "put", "first"])
def test_failed_save_changes_nothing(db: Database, dbpath: Path, step: str, op: str) -> None:
    a = ARTICLES[0].id
    f = labels_file(dbpath, a)
    if op != "first":
        db.set_label(lab(0, 0, "quote"))
        db.set_label(lab(0, 1, "claim", "bob"))
    before_bytes = f.read_bytes() if f.exists() else None
    before, counts = db.labels(a), db.label_counts()
    action: Callable[[], object] = {
        "insert": lambda: db.set_label(lab(0, 2)),
        "first": lambda: db.set_label(lab(0, 2)),
        "update": lambda: db.set_label(lab(0, 0, "background")),
        "clear": lambda: db.clear_label(a, *S[0], "ann"),
        "put": lambda: db.put_labels([lab(0, 2), lab(0, 0, "background")]),
    }[op]
    with pytest.MonkeyPatch.context() as mp:
        inject_failure(mp, step)
        with pytest.raises(SaveError) as e:
            action()
    msg = one_line(e.value)
    assert str(f) in msg and "No space left" in msg
    assert (f.read_bytes() if f.exists() else None) == before_bytes
    assert [p.name for p in f.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert db.labels(a) == before and db.label_counts() == counts
    action()  # the disk has room again: the same call now succeeds
    after = db.labels(a)
    assert after != before
    db.close()
    with Database.open(dbpath) as d:
        assert d.labels(a) == after


@pytest.mark.parametrize("step", STEPS)
def test_failed_index_save_changes_nothing(db: Database, dbpath: Path, step: str) -> None:
    db.add_articles([make_article(7)])
    before = dbpath.read_bytes()
    infos = db.article_infos()
    with pytest.MonkeyPatch.context() as mp:
        inject_failure_for(mp, step, dbpath)  # the article files are written, the index is not
        with pytest.raises(SaveError, match=re.escape(str(dbpath))):
            db.add_articles([make_article(8), Article("a007", "t", "", (), ("more.txt",))])
    assert dbpath.read_bytes() == before and db.article_infos() == infos
    db.add_articles([make_article(8), Article("a007", "t", "", (), ("more.txt",))])
    assert [i.id for i in db.article_infos()][-2:] == ["a007", "a008"]
    db.close()
    with Database.open(dbpath) as d:
        assert d.article_infos()[-2].sources == ("src7.txt", "more.txt")
        assert d.get_article("a008").text == make_article(8).text


# --------------------------------------------------------------------------- bulk restore and counts


def test_put_labels_merge_rule(db: Database, dbpath: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t1, t2, t3 = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"
    db.set_label(lab(0, 0, "claim", at=t2))
    db.set_label(lab(0, 1, "claim", at=t2))
    writes: list[Path] = []
    real = atomic_write_bytes

    def write(path: Path, data: bytes, **kw: Any) -> None:
        writes.append(path)
        real(path, data, **kw)

    monkeypatch.setattr(storage_mod, "atomic_write_bytes", write)
    result = db.put_labels(
        [
            lab(0, 0, "quote", at=t1),  # older than what is stored: unchanged
            lab(0, 1, "quote", at=t3),  # newer: updated
            lab(0, 2, "background", at=t1),  # new: added
            lab(1, 0, "quote", "bob", at=t1),  # new: added
            lab(1, 0, "claim", "bob", at=t3),  # same key later in the file, newer: it is the one added
            Label("unknown", *S[0], "claim", "ann", t1),  # skipped: no such article
            Label(ARTICLES[2].id, 0, 5, "claim", "ann", t1),  # skipped: not a sentence
            lab(2, 0, "opinion", at=t1),  # skipped: not in the scheme
        ]
    )
    assert result == (2, 1, 1, 3)
    assert sorted(p.name for p in writes) == ["a000.json", "a001.json"]
    assert [(x.label, x.updated_at) for x in db.labels(ARTICLES[0].id)] == [("claim", t2), ("quote", t3), ("background", t1)]
    assert [x.label for x in db.labels(ARTICLES[1].id)] == ["claim"]
    writes.clear()
    assert db.put_labels(db.labels(ARTICLES[0].id)) == (0, 0, 3, 0)
    assert writes == []
    db.close()
    with Database.open(dbpath) as d:
        assert [x.label for x in d.labels(ARTICLES[0].id)] == ["claim", "quote", "background"]
        assert d.label_counts()[ARTICLES[0].id] == {"claim": 1, "quote": 1, "background": 1}


def test_label_counts_and_annotators(db: Database, dbpath: Path) -> None:
    a0, a1, a2 = (a.id for a in ARTICLES)
    db.set_label(lab(0, 0, "claim"))
    db.set_label(lab(0, 1, "claim"))
    db.set_label(lab(0, 0, "quote", "bob"))
    assert db.label_counts() == {a0: {"claim": 2, "quote": 1}, a1: {}, a2: {}}
    db.set_label(lab(0, 1, "background"))  # the cache follows a re-label ...
    db.clear_label(a0, *S[0], "bob")  # ... a clear ...
    db.put_labels([lab(1, 2, "quote", "cy")])  # ... a bulk restore ...
    db.add_articles([make_article(9)])  # ... and new articles
    expected_all = {a0: {"claim": 1, "background": 1}, a1: {"quote": 1}, a2: {}, "a009": {}}
    assert db.label_counts() == expected_all
    assert db.label_counts("ann") == {a0: {"claim": 1, "background": 1}, a1: {}, a2: {}, "a009": {}}
    assert db.label_counts("bob") == {a0: {}, a1: {}, a2: {}, "a009": {}}
    assert db.annotators() == ["ann", "cy"]
    db.close()
    with Database.open(dbpath, readonly=True) as d:
        assert d.label_counts() == expected_all
        assert d.annotators() == ["ann", "cy"]


# --------------------------------------------------------------------------- crash safety

WRITER = """
import json, sys
from pathlib import Path
from annotator.storage import Database
from annotator.model import Label
ops = json.loads(Path(sys.argv[2]).read_text())
db = Database.open(Path(sys.argv[1]), lock_timeout=5)
print("ready", flush=True)
for i, (aid, start, end, who, name) in enumerate(ops):
    if name is None:
        db.clear_label(aid, start, end, who)
    else:
        db.set_label(Label(aid, start, end, name, who, "2026-01-01T00:00:00.%03dZ" % (i % 1000)))
    print(i, flush=True)
"""


def make_ops(seed: int, who: str, n: int = 3000) -> list[tuple[str, int, int, str, str | None]]:
    rnd = random.Random(seed)
    names: list[str | None] = [*DEFAULT_SCHEME.names, None]
    return [(rnd.choice(ARTICLES).id, *rnd.choice(S), who, rnd.choice(names)) for _ in range(n)]


def replay(ops: list[tuple[str, int, int, str, str | None]]) -> dict[tuple[str, int, int], str]:
    state: dict[tuple[str, int, int], str] = {}
    for aid, start, end, _who, name in ops:
        if name is None:
            state.pop((aid, start, end), None)
        else:
            state[(aid, start, end)] = name
    return state


def test_sigkill_at_random_instants_loses_no_saved_label(db: Database, dbpath: Path) -> None:
    db.close()
    rnd = random.Random(1234)
    deadline = time.monotonic() + 4
    rounds = 0
    while rounds < 3 or (rounds < 12 and time.monotonic() < deadline):
        who = f"w{rounds}"
        ops = make_ops(rounds, who)
        ops_file = dbpath.with_name(f"ops{rounds}.json")
        ops_file.write_bytes(orjson.dumps(ops))
        with run_py(WRITER, str(dbpath), str(ops_file)) as child:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rnd.uniform(0, 0.08))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            out = child.stdout.read()  # not communicate(): it would skip what readline() buffered
        done = len(out.split())  # every printed op had returned from set_label/clear_label
        assert done < len(ops), "the writer finished before it was killed; make the op list longer"
        with Database.open(dbpath) as d:
            stored = {(x.article_id, x.start, x.end): x.label for a in ARTICLES for x in d.labels(a.id, who)}
            # The op in flight may or may not have reached the disk; nothing before it may be missing.
            assert stored in (replay(ops[:done]), replay(ops[: done + 1]))
            assert sum(sum(c.values()) for c in d.label_counts(who).values()) == len(stored)
        rounds += 1
    for f in (dbpath.parent / "annotations.d" / "labels").glob("*.json"):
        orjson.loads(f.read_bytes())
