"""Undo and redo are decisions kept in each sentence's history (issue 10): they work after a
restart, across articles, and a history replayed in a thread is installed without losing a
decision saved meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

from annotator.importer import apply_import, plan_import
from annotator.model import Label
from annotator.session import Session
from annotator.storage import Database

from conftest import SAMPLES


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
    return path


def test_undo_and_redo_after_a_restart_and_across_articles(tmp_path: Path) -> None:
    path = _db(tmp_path)
    with Database.open(path) as db:
        s = Session(db, "ana")
        s.open_article(0)
        s.set_label("claim")
        s.open_article(1, 2)
        s.set_label("quote")
        first_id, second_id = s.infos[0].id, s.infos[1].id
    with Database.open(path) as db:  # a restart
        s = Session(db, "ana")
        s.open_article(0)
        change = s.undo()
        assert change is not None and (s.article_index, s.cursor) == (1, 2)
        assert db.labels(second_id, "ana") == [] and s.labeled[1] == 0
        change = s.undo()
        assert change is not None and (s.article_index, s.cursor) == (0, 0)
        assert db.labels(first_id, "ana") == [] and s.total_labeled == 0
        assert s.undo() is None
        assert s.redo() is not None and [x.label for x in db.labels(first_id, "ana")] == ["claim"]
    with Database.open(path) as db:  # redo survives a restart too
        s = Session(db, "ana")
        change = s.redo()
        assert change is not None and (s.article_index, s.cursor) == (1, 2)
        assert [x.label for x in db.labels(second_id, "ana")] == ["quote"] and s.total_labeled == 2
        assert s.redo() is None
        # A new decision empties the redo stack, as in any editor.
        s.undo()
        s.open_article(0, 3)
        s.set_label("background")
        assert s.redo() is None
        history = db.history(second_id)
        assert [(h.op, h.label, h.before) for h in history] == [
            ("label", "quote", None), ("undo", None, "quote"), ("redo", "quote", None), ("undo", None, "quote")]
        assert history[1].undoes == history[0].stamp and history[2].undoes == history[0].stamp


def test_history_replayed_in_a_thread_keeps_decisions_saved_meanwhile(tmp_path: Path) -> None:
    path = _db(tmp_path)
    with Database.open(path) as db:
        infos = db.article_infos()
        spans = [(i.id, sp.start, sp.end) for i in infos for sp in db.get_article(i.id).sentences]
        for n, (aid, s, e) in enumerate(spans[:20]):
            db.set_label(Label(aid, s, e, "claim", "ana", f"2026-06-01T00:00:{n:02d}.000Z"))
    with Database.open(path) as db:
        work = db.prepare_undo("ana")
        out: list = []
        gate = threading.Event()

        def run() -> None:
            gate.wait()
            out.append(work())

        t = threading.Thread(target=run)
        t.start()
        aid, s, e = spans[30]
        db.set_label(Label(aid, s, e, "quote", "ana", "2026-06-02T00:00:00.000Z"))  # saved while it reads
        gate.set()
        t.join()
        out[0]()  # installed on this thread
        assert db.undo_depth("ana") == (21, 0)
        ev = db.undo("ana")
        assert ev is not None and (ev.article_id, ev.start) == (aid, s)


def test_a_merge_while_history_is_read_drops_the_stale_replay(tmp_path: Path) -> None:
    from annotator.merge import merge_database
    import shutil

    path = _db(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(path, other / path.name)
    shutil.copytree(path.with_name("annotations.d"), other / "annotations.d")
    with Database.open(other / path.name) as db:
        info = db.article_infos()[0]
        sp = db.get_article(info.id).sentences[0]
        db.set_label(Label(info.id, sp.start, sp.end, "claim", "ana", "2026-06-01T00:00:00.000Z"))
    with Database.open(path) as db:
        work = db.prepare_undo("ana")
        install = work()
        merge_database(db, other / path.name)  # brings in ana's decision made elsewhere
        install()  # too late: replayed before the merge, so not installed
        assert db.undo_depth("ana") == (1, 0)
