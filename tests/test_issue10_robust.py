"""Issue 10, robustness: one writer whatever happens to the files next to the database,
temp files of a killed save, labels files that lost decisions, unreadable articles in the
app, label names that are not identifiers, and no private Textual API."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.atomicio import LEFTOVER_AGE_SECONDS
from annotator.errors import DatabaseLocked
from annotator.importer import apply_import, plan_import
from annotator.model import Label, now_iso
from annotator.storage import Database
from annotator.ui.article_list import ArticleList
from annotator.ui.help import HelpScreen
from annotator.ui.review import ReviewApp
from annotator.verify import verify
from conftest import ROOT, SAMPLES, run_cli

SIZE = (120, 40)


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def dbpath(tmp_path: Path) -> Path:
    """The two samples, a few labels by ana; closed (so the index counts each labels file's records)."""
    path = tmp_path / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
        for n, info in enumerate(db.article_infos()):
            sp = db.get_article(info.id).sentences
            for i, name in enumerate(["claim", "quote", "background"][: 3 - n]):
                db.set_label(Label(info.id, sp[i].start, sp[i].end, name, "ana", now_iso()))
    return path


def ids(path: Path) -> list[str]:
    with Database.open(path, readonly=True) as db:
        return [i.id for i in db.article_infos()]


def data(path: Path) -> Path:
    return path.with_name(path.stem + ".d")


def holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that holds the database open for writing, alone (as a scheme change does),
    until its stdin closes: no other writer may come in beside it."""
    code = """
        import sys
        from pathlib import Path
        from annotator.storage import Database
        db = Database.open(Path(sys.argv[1]), alone=True)
        print("ready", flush=True)
        sys.stdin.read()
        db.close()
        print("closed", flush=True)
    """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def held(dbpath: Path) -> Iterator[subprocess.Popen[str]]:
    yield from holder(dbpath)


def second_writer(path: Path, text_file: Path) -> subprocess.CompletedProcess[str]:
    """`annotator import`, a writing command, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "annotator", "import", str(text_file), "--db", str(path)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def new_text(tmp_path: Path) -> Path:
    p = tmp_path / "new.txt"
    p.write_text("Judul baru\n\nIni kalimat pertama yang baru. Ini kalimat kedua.\n", encoding="utf-8")
    return p


# ------------------------------------------------- 1. a writer alone is alone, for sure (several writers: test_several_writers)


def _delete(path: Path) -> None:
    path.unlink()


def _replace(path: Path) -> None:
    other = path.with_name("other")
    other.write_bytes(b"")
    os.replace(other, path)


def _truncate(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_delete, _replace, _truncate], ids=["deleted", "replaced", "truncated"])
def test_a_second_writer_is_refused_whatever_happens_to_the_lock_files(
        dbpath: Path, tmp_path: Path, held: subprocess.Popen[str], damage: Callable[[Path], None]) -> None:
    lock = dbpath.with_name(dbpath.name + ".lock")
    info = dbpath.with_name(dbpath.name + ".lock.info")
    assert lock.exists() and info.exists()
    damage(lock)
    damage(info)
    done = second_writer(dbpath, new_text(tmp_path))
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert f"{dbpath} is open in another annotator" in done.stderr
    if Path("/proc/locks").exists() or damage is _truncate:
        assert f"(pid {held.pid}, started " in done.stderr, done.stderr
    with pytest.raises(DatabaseLocked):
        Database.open(dbpath)
    with Database.open(dbpath, readonly=True) as db:
        assert len(db.article_infos()) == 2  # nothing was imported


def test_every_file_next_to_the_database_deleted_still_one_writer(
        dbpath: Path, tmp_path: Path, held: subprocess.Popen[str]) -> None:
    for p in list(dbpath.parent.iterdir()):
        if p.is_file() and p != dbpath:
            p.unlink()
    assert second_writer(dbpath, new_text(tmp_path)).returncode == 4


def test_a_replaced_data_folder_does_not_let_a_second_writer_in(
        dbpath: Path, tmp_path: Path, held: subprocess.Popen[str]) -> None:
    folder = data(dbpath)
    moved = folder.with_name("moved.d")
    folder.rename(moved)
    folder.mkdir()
    try:
        assert second_writer(dbpath, new_text(tmp_path)).returncode == 4
    finally:
        folder.rmdir()
        moved.rename(folder)


def test_the_lock_is_released_on_close_and_when_the_holder_is_killed(dbpath: Path, tmp_path: Path) -> None:
    gen = holder(dbpath)
    child = next(gen)
    dbpath.with_name(dbpath.name + ".lock").unlink()
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()  # closes the database
    assert child.stdout.readline().strip() == "closed"
    gen.close()
    with Database.open(dbpath):
        pass
    assert not dbpath.with_name(dbpath.name + ".lock.info").exists()

    gen = holder(dbpath)
    child = next(gen)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    gen.close()
    assert second_writer(dbpath, new_text(tmp_path)).returncode == 0
    with Database.open(dbpath) as db:
        assert len(db.article_infos()) == 3
        with pytest.raises(DatabaseLocked, match=f"pid {os.getpid()},"):
            Database.open(dbpath, alone=True)


def test_a_refused_open_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    with pytest.raises(Exception, match="no database"):
        Database.open(path, create=False)
    assert not data(path).exists()


# ----------------------------------------------------------------------------- 2. temp files of a killed save


def test_temp_files_of_a_killed_save_are_listed_by_verify_and_removed_by_the_next_writer(dbpath: Path) -> None:
    aid = ids(dbpath)[0]
    ours = [
        dbpath.parent / f".{dbpath.name}.k2jx9a_q.tmp",
        dbpath.parent / f".{dbpath.name}.lock.info.ab12cd34.tmp",
        data(dbpath) / "articles" / f".{aid}.json.zz9y8x7w.tmp",
        data(dbpath) / "labels" / f".{aid}.json.q1w2e3r4.tmp",
    ]
    theirs = [
        dbpath.parent / ".other.json.k2jx9a_q.tmp",  # another database's, in the same folder
        dbpath.parent / ".gold.jsonl.k2jx9a_q.tmp",  # an export being written right now
        dbpath.parent / "notes.tmp",
        data(dbpath) / "labels" / "keep.tmp",
    ]
    for p in ours + theirs:
        p.write_bytes(b"{")
    (data(dbpath) / "labels" / f".{aid}.json.dir12345.tmp").mkdir()  # not a file: never touched

    report = verify(dbpath)
    temp_warnings = {Path(f.path) for f in report.findings if "temp file" in f.message}
    assert temp_warnings == set(ours) and report.ok
    assert all(f.severity == "warning" for f in report.findings)
    assert all(p.exists() for p in ours + theirs)  # verify is read-only

    with Database.open(dbpath, readonly=True):
        pass
    assert all(p.exists() for p in ours)  # nor does a reader remove anything

    with Database.open(dbpath):
        pass
    assert all(p.exists() for p in ours)  # young: maybe another writer's save in flight (several writers)
    old = time.time() - LEFTOVER_AGE_SECONDS - 60
    for p in ours + theirs:
        os.utime(p, (old, old))
    with Database.open(dbpath):
        pass
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in theirs)
    assert (data(dbpath) / "labels" / f".{aid}.json.dir12345.tmp").is_dir()
    assert not any("temp file" in f.message for f in verify(dbpath).findings)


# ----------------------------------------------------------------------------- 3. lost labels files


def test_the_index_counts_records_and_verify_names_a_lost_labels_file(
        capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    first, second = ids(dbpath)
    with Database.open(dbpath, readonly=True) as db:
        floors = db.floors()
    assert floors.get(first, 0) > 0 and floors.get(second, 0) > 0
    lost = data(dbpath) / "labels" / f"{first}.json"
    n = floors[first]
    lost.unlink()
    code, out, err = run_cli(capsys, "verify", "--db", str(dbpath))
    assert code == 3, out
    assert f"error: {lost}: " in out and f"its {n} decisions are gone; restore it from a backup" in out


def test_verify_names_a_labels_file_put_back_from_an_older_copy(
        capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    first = ids(dbpath)[0]
    path = data(dbpath) / "labels" / f"{first}.json"
    older = path.read_bytes()
    with Database.open(dbpath) as db:
        sp = db.get_article(first).sentences
        db.set_label(Label(first, sp[5].start, sp[5].end, "quote", "ana", now_iso()))
    assert verify(dbpath).ok
    path.write_bytes(older)  # a backup from before the last decision
    code, out, _ = run_cli(capsys, "verify", "--db", str(dbpath))
    assert code == 3 and f"error: {path}: holds " in out and "restore it from a backup" in out


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    d = orjson.loads(path.read_bytes())
    change(d)
    path.write_bytes(orjson.dumps(d))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d["history"]["1"].update(op="erase"), "history record 1: a history record is malformed"),
        (lambda d: d["history"]["1"].update(start="0"), "history record 1: a history record is malformed"),
        (lambda d: d["history"]["1"].update(tick=-1), "history record 1: a history record is malformed"),
        (lambda d: d["history"]["1"].update(label="opinion"), "history record 1: label 'opinion' is not in"),
        (lambda d: d["history"]["1"].update(updated_at="soon"), "history record 1: updated_at 'soon' is not"),
        (lambda d: d["history"]["1"].update(start=d["history"]["1"]["start"] + 1), "is not a sentence"),
        (lambda d: d.update(final_history={"1": {"start": 0, "end": 1, "by": 3, "op": "label"}}),
         "final-label history record 1: a history record is malformed"),
        (lambda d: d.update(final_cleared={"1": {"start": 0, "end": 1, "by": "x"}}),
         "cleared final-label record 1: a cleared final-label record is malformed"),
        (lambda d: d["labels"]["1"].update(tick="3"), "label record 1: a label record is malformed"),
    ],
    ids=["op", "start", "tick", "label", "time", "sentence", "final history", "final cleared", "label tick"],
)
def test_verify_checks_every_table_of_a_labels_file(dbpath: Path, change: Callable[[dict[str, Any]], None],
                                                    needle: str) -> None:
    path = data(dbpath) / "labels" / f"{ids(dbpath)[0]}.json"
    _edit(path, change)
    report = verify(dbpath)
    lines = [f.line() for f in report.findings]
    assert not report.ok and any(line.startswith(f"error: {path}: ") and needle in line for line in lines), lines


def test_a_database_verify_passes_opens_and_reads(dbpath: Path) -> None:
    assert verify(dbpath).findings == []


# ----------------------------------------------------------------------------- 4. unreadable articles in the app


def toasts(app: AnnotatorApp) -> list[str]:
    """The error notifications, as sent (one line each)."""
    return [n.message for n in app._notifications if n.severity == "error"]


def status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


def note(app: AnnotatorApp) -> Static:
    return app.screen.query_one("#unavailable", Static)


async def test_an_article_whose_text_file_is_missing_is_shown_unavailable(dbpath: Path) -> None:
    second = ids(dbpath)[1]
    missing = data(dbpath) / "articles" / f"{second}.json"
    missing.unlink()
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            assert app.session.article_index == 0
            await pilot.press("n")
            await pilot.pause()
            assert note(app).display and str(missing) in str(note(app).content)
            assert "annotator verify" in str(note(app).content)
            assert "(unavailable)" in str(app.screen.query_one("#article-title", Static).content)
            assert "unavailable" in app.screen.query_one(ArticleList).row_text(1)
            assert "article unavailable" in status(app)
            assert any(str(missing) in t and "annotator verify" in t for t in toasts(app))
            await pilot.press("1", "x", "j", "u")  # nothing to label there, and nothing breaks
            await pilot.press("p")
            assert not note(app).display and app.session.article_index == 0
            await pilot.press("1")  # at its first unlabeled sentence, the fourth
            assert "unavailable" not in app.screen.query_one(ArticleList).row_text(0)
        assert app.return_code in (None, 0)
        assert len(db.labels(ids(dbpath)[0], "ana")) == 4


async def test_a_labels_file_damaged_while_the_app_runs(dbpath: Path) -> None:
    second = ids(dbpath)[1]
    path = data(dbpath) / "labels" / f"{second}.json"
    good = path.read_bytes()
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            path.write_bytes(b'{"labels": {"1": {"start": 0, "e')
            await pilot.press("n")
            await pilot.pause()
            assert note(app).display and str(path) in str(note(app).content)
            assert app.session.article_index == 0  # the session stays where it could read
            await pilot.press("2")
            path.write_bytes(good)  # restored from a backup: it opens again
            await pilot.press("p", "n")
            await pilot.pause()
            assert not note(app).display and app.session.article_index == 1
            assert "unavailable" not in app.screen.query_one(ArticleList).row_text(1)
        assert path.read_bytes() == good  # the damaged file was never written over


@pytest.mark.parametrize("damage", [lambda p: p.unlink(), lambda p: p.write_bytes(b"\x00garbage")],
                         ids=["missing", "damaged"])
async def test_resuming_at_an_unreadable_article_falls_back_to_the_next(
        dbpath: Path, damage: Callable[[Path], None]) -> None:
    first = ids(dbpath)[0]
    path = data(dbpath) / "articles" / f"{first}.json"
    damage(path)
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.session.article_index == 1
            assert app.session.cursor == 2  # its first unlabeled sentence
            assert "unavailable" in app.screen.query_one(ArticleList).row_text(0)
            shown = toasts(app)
            assert len(shown) == 1 and str(path) in shown[0] and "annotator verify" in shown[0]
            await pilot.press("1")
            await pilot.press("p")
            assert note(app).display
            await pilot.press("n")
            assert app.session.article_index == 1 and not note(app).display
        assert len(db.labels(ids(dbpath)[1], "ana")) == 3


async def test_every_article_unreadable_no_traceback(dbpath: Path) -> None:
    for p in (data(dbpath) / "articles").iterdir():
        p.unlink()
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("n", "p", "1", "question_mark", "escape", "ctrl+p", "escape")
            assert note(app).display and len(toasts(app)) >= 1
            assert isinstance(app.screen, LabelScreen)


# ----------------------------------------------------------------------------- 5. label names with quotes

ODD = ["don't", 'say "hi"', "back\\slash", "paren) (x", "[b]bold[/b]"]


def odd_scheme(path: Path) -> None:
    scheme = [{"name": name, "keys": [str(i + 1)], "description": f"odd {i}"} for i, name in enumerate(ODD)]

    def change(d: dict[str, Any]) -> None:
        (record,) = d["project"].values()
        record["scheme"] = scheme

    _edit(path, change)


async def test_label_names_with_quotes_and_brackets_label(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
    odd_scheme(path)
    with Database.open(path) as db:
        assert list(db.scheme.names) == ODD
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("1", "2", "3", "4", "5")
            await pilot.pause()
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            text = "\n".join(str(w.content) for w in app.screen.query(Static))
            for i, name in enumerate(ODD):
                assert f"{i + 1}  " in text and name in text
        first = db.article_infos()[0].id
        assert [lab.label for lab in db.labels(first, "ana")] == ODD


async def test_review_decides_with_label_names_with_quotes(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
    odd_scheme(path)
    with Database.open(path) as db:
        first = db.article_infos()[0].id
        sp = db.get_article(first).sentences
        for who, name in (("ana", ODD[0]), ("budi", ODD[1])):
            db.set_label(Label(first, sp[0].start, sp[0].end, name, who, now_iso()))
        app = ReviewApp(db, "citra")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("1")
            await pilot.pause()
        (decided,) = db.decisions(first)
        assert decided.label == "don't" and decided.by == "citra"


# ----------------------------------------------------------------------------- 6. no private Textual API


def test_no_private_textual_bindings_in_annotator() -> None:
    used = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "annotator").rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\._bindings\b", line)
    ]
    assert used == []


async def test_a_keymap_remaps_a_label_key_and_help_shows_it(dbpath: Path) -> None:
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        app.set_keymap({"label.claim": "9"})
        async with app.run_test(size=SIZE) as pilot:
            cursor = app.session.cursor
            await pilot.press("1")  # remapped away
            assert app.session.labels[cursor] is None
            await pilot.press("9")
            saved = app.session.labels[cursor]
            assert saved is not None and saved.label == "claim"
            await pilot.press("question_mark")
            text = "\n".join(str(w.content) for w in app.screen.query(Static))
            assert any("Label the sentence claim" in row for row in text.splitlines())


async def test_a_labels_file_damaged_before_the_app_starts(dbpath: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The app starts: the article is unavailable, named once, every other one works; the
    commands that report figures still refuse the damaged database (exit 3)."""
    first = ids(dbpath)[0]
    path = data(dbpath) / "labels" / f"{first}.json"
    path.write_bytes(b'{"labels": {"1": {"start": 0, "e')
    with Database.open(dbpath) as db:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.session.article_index == 1
            assert "unavailable" in app.screen.query_one(ArticleList).row_text(0)
            shown = toasts(app)
            assert len(shown) == 1 and str(path) in shown[0]
            await pilot.press("1")
        assert db.damaged().keys() == {first}
    assert path.read_bytes() == b'{"labels": {"1": {"start": 0, "e'  # never written over
    code, _, err = run_cli(capsys, "stats", "--db", str(dbpath))
    assert code == 3 and str(path) in err and "Traceback" not in err
