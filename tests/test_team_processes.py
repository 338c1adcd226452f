"""Several reviewers on ONE database at the same time, each in a process of their own (issue 15).

Real processes, not threads: the reviewer processes are ``bench/bench_team.py``'s workers
(``bench_team.spawn``), which make their decisions through ``Database.open(db, reviewer=NAME)``
and write each one to their own log before the call (intent) and after it returned
(acknowledged), flushed.  ``bench_team.check`` then reads the database and holds every
acknowledged decision against it: per reviewer and sentence the label, note and flag found
must be the last acknowledged ones (a decision in flight when its process was SIGKILLed may
have landed or not), and every acknowledged label must be in its sentence's history.
"""

from __future__ import annotations

import fcntl
import os
import pty
import random
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_team as team  # noqa: E402
import newslike  # noqa: E402

from annotator.model import Label, now_iso  # noqa: E402

ARTICLES = 8


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, list[str]]:
    """A database of 8 news-like articles, and their ids."""
    built = team.build(tmp_path / "project", ARTICLES)
    return built["db"], built["ids"]


def config(db: Path, who: str, order: list[str], decisions: int, log: Path, **kw: Any) -> dict[str, Any]:
    return {"db": str(db), "who": who, "order": order, "decisions": decisions, "log": str(log), "seed": 7,
            "start_at": time.time() + 1.5, "speed": 0, "refresh_every": 0.5, **kw}


def run_all(cfgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    procs = [team.spawn(c) for c in cfgs]
    results = [team.result_of(p, timeout=120) for p in procs]
    for r in results:
        assert "exit" not in r, r
    return results


def assert_all_there(db: Path, logs: list[Path]) -> dict[str, Any]:
    report = team.check(db, logs)
    assert report["lost"] == [] and report["ok"], report
    assert report["acknowledged"] > 0
    verdict = team.verify(db)
    assert verdict["exit"] == 0, verdict
    return report


def test_writers_killed_at_random_and_restarted_lose_nothing(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    # Four reviewers in two pairs, the pairs' articles overlapping, deciding as fast as the disk
    # goes (so most kills land inside a save); six SIGKILLs, each followed by a restart as the
    # same reviewer, which goes on where its log says it was.
    out = team.crash_phase(db, tmp_path, ids, 4, 1500, 6, stride=2, speed=0, rnd=random.Random(15),
                           kill_gap=(0.2, 0.6))
    assert out["failed"] == [] and out["kills"] >= 4, out  # (the last kills may come after they all finished)
    report = out["check"]
    assert report["lost"] == [] and report["ok"], report
    assert report["acknowledged"] >= 4 * 1500 - out["kills"]  # a step in flight at a kill is not acknowledged
    assert report["in_flight_landed"] <= report["in_flight"] <= out["kills"]
    assert out["verify"]["exit"] == 0, out["verify"]


def test_two_processes_labeling_one_article_both_keep_every_decision(project: tuple[Path, list[str]],
                                                                      tmp_path: Path) -> None:
    db, ids = project
    logs = [tmp_path / "ana.log", tmp_path / "budi.log"]
    # The same article's sentences, as fast as the disk goes: labels, clears, undos, notes, flags.
    results = run_all([config(db, "ana", [ids[0]], 120, logs[0]), config(db, "budi", [ids[0]], 120, logs[1])])
    assert all(r["errors"] == [] for r in results), results
    report = assert_all_there(db, logs)
    assert report["acknowledged"] == 240
    from annotator.storage import Database

    with Database.open(db, readonly=True) as ro:
        assert {lab.annotator for lab in ro.labels(ids[0])} == {"ana", "budi"}


def test_a_reviewer_and_the_leads_final_labels_on_one_article(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    logs = [tmp_path / "ana.log", tmp_path / "lead.log"]
    run_all([config(db, "ana", [ids[1]], 100, logs[0]),
             # the lead adjudicating in a session without a reviewer, as `annotator review` and merge open it
             config(db, "lead", [ids[1]], 100, logs[1], role="lead", session="")])
    report = assert_all_there(db, logs)
    assert report["acknowledged"] == 200
    from annotator.storage import Database

    with Database.open(db, readonly=True) as ro:
        assert ro.decisions(ids[1]) and ro.labels(ids[1], "ana")


def test_notes_and_flags_by_two_people_on_one_article(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    logs = [tmp_path / "ana.log", tmp_path / "budi.log"]
    notes_only = {"note": 0.6, "flag": 0.4}
    run_all([config(db, "ana", [ids[2]], 80, logs[0], mix=notes_only),
             config(db, "budi", [ids[2]], 80, logs[1], mix=notes_only)])
    assert_all_there(db, logs)
    from annotator.storage import Database

    with Database.open(db, readonly=True) as ro:
        assert {n.annotator for n in ro.notes(ids[2]) if n.note} == {"ana", "budi"}


def test_a_split_by_one_while_another_labels_the_article(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    logs = [tmp_path / "ana.log", tmp_path / "lead.log"]
    results = run_all([config(db, "ana", [ids[3]], 150, logs[0], mix={"label": 1.0}, speed=3),
                       config(db, "lead", [ids[3]], 8, logs[1], role="splitter", session="", speed=1)])
    # A label on a sentence split meanwhile is either refused (ValueError, never acknowledged) or
    # kept as retired: never acknowledged and then gone.
    report = assert_all_there(db, logs)
    assert report["splits_in_history"] == "8/8", report
    assert all("Traceback" not in e for r in results for e in r["errors"])


def holder_script(db: Path, who: str) -> str:
    return textwrap.dedent(f"""
        import sys
        import bench_team
        try:
            db = bench_team.open_as({str(db)!r}, {who!r})
        except Exception as e:
            print(type(e).__name__, e, flush=True)
            sys.exit(4)
        print("open", flush=True)
        sys.stdin.read()  # until the test closes it
        db.close()
    """)


def start_holder(db: Path, who: str) -> subprocess.Popen[str]:
    env = team.child_env()
    env["PYTHONPATH"] = str(ROOT / "bench") + os.pathsep + env["PYTHONPATH"]
    return subprocess.Popen([sys.executable, "-c", holder_script(db, who)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_the_same_reviewer_twice_is_refused_naming_the_holder(project: tuple[Path, list[str]]) -> None:
    db, _ = project
    ana = start_holder(db, "ana")
    try:
        assert ana.stdout is not None and ana.stdout.readline().strip() == "open"
        budi = start_holder(db, "budi")  # another reviewer at the same time: fine
        assert budi.stdout is not None and budi.stdout.readline().strip() == "open"
        again = start_holder(db, "ana")
        out, err = again.communicate(timeout=30)
        assert again.returncode == 4, (out, err)
        assert out.startswith("DatabaseLocked") and str(ana.pid) in out, out
        for p in (ana, budi):
            assert p.stdin is not None
            p.stdin.close()
            assert p.wait(timeout=30) == 0
    finally:
        for p in (ana,):
            if p.poll() is None:
                p.kill()
    # Once ana's process is gone, ana opens again.
    last = start_holder(db, "ana")
    assert last.stdout is not None and last.stdout.readline().strip() == "open"
    assert last.stdin is not None
    last.stdin.close()
    assert last.wait(timeout=30) == 0


class PtyApp:
    """``annotator ARGS`` in a pseudo-terminal of 120x40 (the app needs one), its output kept."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**team.child_env(), "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        for name in ("ANNOTATOR", "ANNOTATOR_DB", "COLUMNS", "LINES"):
            env.pop(name, None)
        self.proc = subprocess.Popen([sys.executable, "-m", "annotator", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.out += chunk

    def wait_for(self, needle: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.out:
            assert self.proc.poll() is None, bytes(self.out[-2000:])
            assert time.monotonic() < deadline, bytes(self.out[-2000:])
            time.sleep(0.05)

    def keys(self, data: bytes) -> None:
        os.write(self.master, data)

    def quit(self) -> int:
        self.keys(b"\x11")  # ctrl+q
        try:
            return self.proc.wait(timeout=20)
        finally:
            os.close(self.master)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def apps() -> Iterator[list[PtyApp]]:
    started: list[PtyApp] = []
    yield started
    for a in started:
        a.kill()


def test_label_twice_under_one_name_exits_4_while_two_names_both_run(project: tuple[Path, list[str]],
                                                                       apps: list[PtyApp]) -> None:
    db, ids = project
    ana = PtyApp("label", "--db", str(db), "--annotator", "ana")
    apps.append(ana)
    ana.wait_for(b"labeled")
    budi = PtyApp("label", "--db", str(db), "--annotator", "budi")
    apps.append(budi)
    budi.wait_for(b"labeled")
    ana.keys(b"1")
    budi.keys(b"2")
    again = team.run_cli("label", "--db", str(db), "--annotator", "ana", timeout=60)
    assert again.returncode == 4, again
    assert str(ana.proc.pid) in again.stderr, again.stderr
    time.sleep(0.5)
    assert ana.quit() == 0 and budi.quit() == 0
    from annotator.storage import Database

    with Database.open(db, readonly=True) as ro:
        first = ro.get_article(ids[0]).sentences[0]
        got = {(lab.annotator, lab.label) for lab in ro.labels(ids[0])
               if (lab.start, lab.end) == (first.start, first.end)}
    assert got == {("ana", "claim"), ("budi", "quote")}
    assert team.verify(db)["exit"] == 0


def test_import_and_merge_while_reviewers_label(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    # Another copy of the project, where citra labeled some sentences: merged in during the run.
    other = team.build(tmp_path / "other", ARTICLES)
    assert other["ids"] == ids
    from annotator.storage import Database

    with Database.open(other["db"]) as odb:
        citra = [Label(aid, s.start, s.end, "quote", "citra", now_iso())
                 for aid in ids[:4] for s in odb.get_article(aid).sentences[:5]]
        odb.put_labels(citra)
    new = tmp_path / "new"
    new.mkdir()
    for n in range(4):
        (new / f"new{n}.txt").write_text(newslike.article(99, n), encoding="utf-8")
    logs = [tmp_path / f"{who}.log" for who in ("ana", "budi", "dewi")]
    orders = team.orders(ids, 3, 2)
    procs = [team.spawn(config(db, who, o, 120, log, speed=2, refresh_every=0.3))
             for who, o, log in zip(("ana", "budi", "dewi"), orders, logs)]
    time.sleep(3.0)  # they are labeling
    imported = team.run_cli("import", str(new), "--db", str(db), "--annotator", "lead", timeout=60)
    merged = team.run_cli("merge", str(other["db"]), "--db", str(db), "--annotator", "lead", timeout=60)
    assert all(p.poll() is None for p in procs), "the reviewers were done before the import and merge ran"
    results = [team.result_of(p, timeout=120) for p in procs]
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("4 new article(s)"), imported.stdout
    assert merged.returncode == 0, merged.stderr
    for r in results:
        assert "exit" not in r, r
        assert r["articles_seen"] == ARTICLES + 4  # the new articles, seen through refresh()
    assert_all_there(db, logs)
    with Database.open(db, readonly=True) as ro:
        assert len(ro.article_infos()) == ARTICLES + 4
        kept = {(lab.article_id, lab.start, lab.end, lab.label)
                for aid in ids[:4] for lab in ro.labels(aid, "citra")}
    assert kept == {(lab.article_id, lab.start, lab.end, lab.label) for lab in citra}


def test_refresh_reports_another_processs_change(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, ids = project
    mine = team.open_as(db, "ana")
    try:
        mine.label_counts()  # as the app does when it starts
        assert mine.labels(ids[5], "budi") == []  # the article is open
        mine.refresh()
        assert team.changed_ids(mine.refresh()) == set()  # nothing changed since
        run_all([config(db, "budi", [ids[5]], 5, tmp_path / "budi.log", mix={"label": 1.0}, start_at=0)])
        assert team.changed_ids(mine.refresh()) == {ids[5]}
        assert len(mine.labels(ids[5], "budi")) == 5  # and the labels are read again
        assert team.changed_ids(mine.refresh()) == set()
        s = mine.get_article(ids[6]).sentences[0]
        mine.set_label(Label(ids[6], s.start, s.end, "claim", "ana", now_iso()))
        assert team.changed_ids(mine.refresh()) == set()  # its own change is not another process's
    finally:
        mine.close()


def split_in_another_process(db: Path, article_id: str, sentence: int) -> None:
    """The lead splits sentence ``sentence`` of the article, between two words near its middle,
    with ``annotator split`` (a process of its own)."""
    from annotator.storage import Database

    with Database.open(db, readonly=True) as ro:
        art = ro.get_article(article_id)
    s = art.sentences[sentence]
    cut = art.text.find(" ", s.start + (s.end - s.start) // 2, s.end - 1) + 1
    out = team.run_cli("split", article_id, str(cut), "--db", str(db), "--annotator", "lead", timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("what", ["label", "final", "note"])
def test_a_decision_on_a_sentence_split_meanwhile_elsewhere_is_refused_or_retired(
        project: tuple[Path, list[str]], what: str) -> None:
    """The reviewer's process still has the article as it was (it has not refreshed yet) when
    the lead's split of that sentence lands: the decision must be refused (nothing written) or
    kept as retired, never stored live on a span that is no longer a sentence."""
    from annotator.errors import AnnotatorError
    from annotator.model import Decision

    db, ids = project
    aid = ids[0]
    mine = team.open_as(db, "ana")
    try:
        s = mine.get_article(aid).sentences[2]
        split_in_another_process(db, aid, 2)
        try:
            if what == "label":
                mine.set_label(Label(aid, s.start, s.end, "claim", "ana", now_iso()))
            elif what == "final":
                mine.set_decision(Decision(aid, s.start, s.end, "claim", "ana", "", now_iso(), ()))
            else:
                mine.set_note(aid, s.start, s.end, "ana", "quote or claim?")
            accepted = True
        except (ValueError, AnnotatorError):
            accepted = False
        mine.refresh()
        now = {(x.start, x.end) for x in mine.get_article(aid).sentences}
        assert (s.start, s.end) not in now  # the split is there
        live = [(x.start, x.end) for x in mine.labels(aid)] + [(x.start, x.end) for x in mine.decisions(aid)] + \
            [(x.start, x.end) for x in mine.notes(aid) if not x.empty]
        assert (s.start, s.end) not in live, "a decision stored live on a sentence that is no longer one"
        if accepted:
            kept = [(x.record.start, x.record.end) for x in mine.retired(aid)] + \
                [(x.note.start, x.note.end) for x in mine.retired_notes(aid)]
            assert (s.start, s.end) in kept  # acknowledged, so it must be somewhere
    finally:
        mine.close()
    verdict = team.verify(db)
    assert verdict["exit"] == 0, verdict
