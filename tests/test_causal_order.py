"""Decisions are ordered causally across machines, whatever their clocks say (issue 10).

Three reviewers label on three copies of one database; their clocks are skewed by up to a
year either way, or equal to the millisecond.  Merging the copies in any order, any number
of times, must give the same bytes, and a decision made after a copy had seen another one
must never lose to it.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.export import render
from annotator.importer import apply_import, plan_import
from annotator.merge import merge_database
from annotator.model import Label
from annotator.storage import Database
from annotator.storage import database as database_mod

from conftest import SAMPLES

BASE = datetime(2026, 6, 1, tzinfo=timezone.utc)
YEAR = timedelta(days=365)
NAMES = ("claim", "quote", "background")
REVIEWERS = ("ana", "budi", "citra")
# Provenance by copy and sentence: the same label may come with another provenance elsewhere.
PROVENANCE = (("", None, ""), ("suggestion:rules", 0.5, ""), ("", None, "model:quote"))


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def copy_db(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    shutil.copy(src, dst / src.name)
    shutil.copytree(src.with_name(src.stem + ".d"), dst / (src.stem + ".d"))
    return dst / src.name


def export_bytes(path: Path) -> bytes:
    with Database.open(path, readonly=True) as db:
        return b"".join(render(db, "jsonl", history=True))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "db" / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
    return path


@pytest.fixture(scope="module")
def spans(template: Path) -> list[tuple[str, int, int]]:
    with Database.open(template, readonly=True) as db:
        info = db.article_infos()[0]
        # A few sentences of one article, so decisions collide often.
        return [(info.id, s.start, s.end) for s in db.get_article(info.id).sentences[:3]]


class Clock:
    """Each copy's wall clock: its own skew, advancing a millisecond per decision, or frozen."""

    def __init__(self) -> None:
        self.now = _iso(BASE)

    def __call__(self) -> str:
        return self.now


@dataclass
class Copy:
    path: Path
    skew: timedelta
    steps: int = 0
    frozen: bool = False
    # Decisions this copy holds (made here or merged in), as (key, stamp).
    seen: set[tuple[tuple[str, int, int, str], tuple[str, int]]] = field(default_factory=set)

    def time(self) -> str:
        if not self.frozen:
            self.steps += 1
        return _iso(BASE + self.skew + timedelta(milliseconds=self.steps))


Op = tuple[str, int, int, int, int]  # (kind, copy, reviewer, sentence, label or other copy)

ops = st.lists(
    st.tuples(
        st.sampled_from(["label", "label", "label", "clear", "undo", "redo", "sync"]),
        st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2),
    ),
    min_size=4, max_size=18,
)
skews = st.lists(
    st.sampled_from([timedelta(0), YEAR, -YEAR, timedelta(days=3), -timedelta(hours=5)]), min_size=3, max_size=3
)


def _state(db: Database, key: tuple[str, int, int, str]) -> tuple[str, int] | None:
    aid, s, e, who = key
    for lab in db.labels(aid, who):
        if (lab.start, lab.end) == (s, e):
            return lab.updated_at, lab.tick
    for c in db.cleared(aid):
        if (c.start, c.end, c.annotator) == (s, e, who):
            return c.updated_at, c.tick
    return None


def _play(tmp: Path, template: Path, spans: list[tuple[str, int, int]], plan: list[Op],
          skew: list[timedelta], frozen: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Copy], dict]:
    clock = Clock()
    monkeypatch.setattr(database_mod, "now_iso", clock)
    copies = [Copy(copy_db(template, tmp / f"c{i}"), skew[i], frozen=frozen) for i in range(3)]
    # For every decision: the decisions on the same key its copy had seen when it was made.
    after: dict[tuple[tuple[str, int, int, str], tuple[str, int]], set[tuple[str, int]]] = {}
    for kind, ci, ri, si, x in plan:
        c = copies[ci]
        if kind == "sync":
            if x == ci:
                continue
            with Database.open(c.path) as db:
                merge_database(db, copies[x].path)
            c.seen |= copies[x].seen
            continue
        who = REVIEWERS[ri]
        aid, s, e = spans[si]
        clock.now = c.time()
        with Database.open(c.path) as db:
            if kind == "label":
                db.set_label(Label(aid, s, e, NAMES[x], who, clock.now, 0, *PROVENANCE[(ci + si) % 3]))
                key = (aid, s, e, who)
            elif kind == "clear":
                db.clear_label(aid, s, e, who, clock.now)
                key = (aid, s, e, who)
            else:
                ev = db.undo(who) if kind == "undo" else db.redo(who)
                if ev is None:
                    continue
                key = (ev.article_id, ev.start, ev.end, who)
            stamp = _state(db, key)
        if stamp is None or (key, stamp) in c.seen:
            continue  # nothing recorded (e.g. a clear of nothing)
        after[(key, stamp)] = {st_ for k, st_ in c.seen if k == key}
        c.seen.add((key, stamp))
    return copies, after


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=ops, skew=skews, frozen=st.booleans())
def test_any_merge_order_gives_the_same_bytes_and_later_decisions_win(
    tmp_path_factory: pytest.TempPathFactory, template: Path, spans: list[tuple[str, int, int]],
    plan: list[Op], skew: list[timedelta], frozen: bool,
) -> None:
    tmp = tmp_path_factory.mktemp("copies")
    with pytest.MonkeyPatch.context() as mp:
        copies, after = _play(tmp, template, spans, plan, skew, frozen, mp)
    results: set[bytes] = set()
    for n, order in enumerate(itertools.permutations(range(3))):
        target = copy_db(template, tmp / f"merged{n}")
        with Database.open(target) as db:
            for i in order:
                merge_database(db, copies[i].path)
        once = export_bytes(target)
        with Database.open(target) as db:  # merging again, in another order, changes nothing
            for i in reversed(order):
                merge_database(db, copies[i].path)
        assert export_bytes(target) == once
        results.add(once)
    assert len(results) == 1
    # Merging one copy into another and back converges.
    a, b = copy_db(copies[0].path, tmp / "a"), copy_db(copies[1].path, tmp / "b")
    with Database.open(a) as db:
        merge_database(db, copies[1].path)
    with Database.open(b) as db:
        merge_database(db, copies[0].path)
    with Database.open(a) as db:
        merge_database(db, copies[2].path)
    with Database.open(b) as db:
        merge_database(db, copies[2].path)
    assert export_bytes(a) == export_bytes(b) == next(iter(results))
    # No decision loses to one its copy had already seen when it was made.
    target = tmp / "merged0" / "annotations.json"
    with Database.open(target, readonly=True) as db:
        for (key, stamp), seen in after.items():
            winner = _state(db, key)
            assert winner not in seen, f"{key}: {winner} won over {stamp}, made after seeing it"


# ----------------------------------------------------------------------------- the numbered cases


def _first(path: Path, n: int = 0) -> tuple[str, int, int]:
    with Database.open(path, readonly=True) as db:
        info = db.article_infos()[0]
        sp = db.get_article(info.id).sentences[n]
        return info.id, sp.start, sp.end


def _label(path: Path, aid: str, s: int, e: int, who: str = "ana") -> str | None:
    with Database.open(path, readonly=True) as db:
        found = [x.label for x in db.labels(aid, who) if (x.start, x.end) == (s, e)]
    return found[0] if found else None


@pytest.fixture
def lead(template: Path, tmp_path: Path) -> Path:
    return copy_db(template, tmp_path / "lead")


def test_undo_travels_through_merge_both_ways(lead: Path, tmp_path: Path) -> None:
    """Case 1: an undone decision that was merged somewhere loses to the undo at the next merge,
    and pulling the lead's database back does not revert the reviewer's copy."""
    ana = copy_db(lead, tmp_path / "ana")
    aid, s, e = _first(ana)
    with Database.open(ana) as db:
        db.set_label(Label(aid, s, e, "claim", "ana", "2026-06-01T00:00:00.000Z"))
        db.set_label(Label(aid, s, e, "quote", "ana", "2026-06-01T00:00:01.000Z"))
    with Database.open(lead) as db:
        merge_database(db, ana)
    assert _label(lead, aid, s, e) == "quote"
    with Database.open(ana) as db:
        ev = db.undo("ana")
        assert ev is not None and (ev.op, ev.label, ev.before) == ("undo", "claim", "quote")
    with Database.open(lead) as db:
        merge_database(db, ana)
    assert _label(lead, aid, s, e) == "claim"
    with Database.open(ana) as db:
        merge_database(db, lead)
    assert _label(ana, aid, s, e) == "claim"
    # After a "restart" (a new open) redo gives quote back, and that travels too.
    with Database.open(ana) as db:
        ev = db.redo("ana")
        assert ev is not None and ev.label == "quote"
    with Database.open(lead) as db:
        merge_database(db, ana)
    assert _label(lead, aid, s, e) == "quote"


def test_an_undone_clear_travels(lead: Path, tmp_path: Path) -> None:
    ana = copy_db(lead, tmp_path / "ana")
    aid, s, e = _first(ana)
    with Database.open(ana) as db:
        db.set_label(Label(aid, s, e, "claim", "ana", "2026-06-01T00:00:00.000Z"))
        db.clear_label(aid, s, e, "ana", "2026-06-01T00:00:01.000Z")
    with Database.open(lead) as db:
        merge_database(db, ana)
    assert _label(lead, aid, s, e) is None
    with Database.open(ana) as db:
        assert db.undo("ana") is not None  # the clear is undone: claim is back
    with Database.open(lead) as db:
        merge_database(db, ana)
    assert _label(lead, aid, s, e) == "claim"


def test_an_undone_final_label_does_not_come_back_from_an_older_export(lead: Path, tmp_path: Path) -> None:
    from annotator.model import Decision

    aid, s, e = _first(lead)
    with Database.open(lead) as db:
        db.set_decision(Decision(aid, s, e, "claim", "lead", "because", "2026-06-01T00:00:00.000Z"))
        old = b"".join(render(db, "jsonl"))
        ev = db.undo("lead", final=True)
        assert ev is not None and ev.final and ev.label is None
        assert db.decisions(aid) == [] and [c.by for c in db.final_cleared(aid)] == ["lead"]
    src = tmp_path / "old.jsonl"
    src.write_bytes(old)
    with Database.open(lead) as db:
        apply_import(db, plan_import([src]))
        assert db.decisions(aid) == []
        assert db.redo("lead", final=True) is not None
        (d,) = db.decisions(aid)
        assert (d.label, d.reason) == ("claim", "because")


def test_a_clock_a_year_ahead_does_not_win_over_later_corrections(lead: Path, tmp_path: Path) -> None:
    """Case 3: a label stamped a year ahead; the lead corrects it after merging; re-merging the
    skewed copy keeps the correction; a reviewer whose clock is behind can still clear it."""
    budi = copy_db(lead, tmp_path / "budi")
    aid, s, e = _first(lead)
    ahead = _iso(datetime.now(timezone.utc) + YEAR)
    with Database.open(budi) as db:
        db.set_label(Label(aid, s, e, "claim", "budi", ahead))
    with Database.open(lead) as db:
        r = merge_database(db, budi).result
        assert r is not None and r.ahead["budi"].count == 1 and r.ahead["budi"].seconds > 360 * 86400
        fixed = db.set_label(Label(aid, s, e, "quote", "budi", _iso(datetime.now(timezone.utc))))
        assert (fixed.updated_at, fixed.tick) == (ahead, 1)  # ordered after what this machine saw
        merge_database(db, budi)
    assert _label(lead, aid, s, e, "budi") == "quote"
    behind = copy_db(lead, tmp_path / "behind")
    with Database.open(behind) as db:
        db.clear_label(aid, s, e, "budi", "2020-01-01T00:00:00.000Z")
    with Database.open(lead) as db:
        merge_database(db, behind)
    assert _label(lead, aid, s, e, "budi") is None


def test_merge_names_the_copy_and_reviewer_whose_clock_is_ahead(lead: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    budi = copy_db(lead, tmp_path / "budi")
    aid, s, e = _first(lead)
    with Database.open(budi) as db:
        db.set_label(Label(aid, s, e, "claim", "budi", _iso(datetime.now(timezone.utc) + timedelta(days=40))))
    code, out, err = run_cli(capsys, "merge", "--db", str(lead), str(budi))
    assert code == 0, err
    (line,) = [x for x in (out + err).splitlines() if "ahead of this machine's clock" in x]
    assert "budi" in line and str(budi) in line and "40.0 days" in line


def test_equal_stamps_converge_whatever_the_order(lead: Path, tmp_path: Path) -> None:
    """Case 4: two copies, identical timestamps, different labels: every order gives the same."""
    a1, a2 = copy_db(lead, tmp_path / "a1"), copy_db(lead, tmp_path / "a2")
    with Database.open(lead, readonly=True) as db:
        sents = [(i.id, sp.start, sp.end) for i in db.article_infos() for sp in db.get_article(i.id).sentences]
    same = "2026-06-01T00:00:00.000Z"
    for path, shift in ((a1, 0), (a2, 1)):
        with Database.open(path) as db:
            for n, (aid, s, e) in enumerate(sents):
                db.set_label(Label(aid, s, e, NAMES[(n + shift) % 3], "ana", same))
    x, y = copy_db(lead, tmp_path / "x"), copy_db(lead, tmp_path / "y")
    with Database.open(x) as db:
        merge_database(db, a1)
        merge_database(db, a2)
    with Database.open(y) as db:
        merge_database(db, a2)
        merge_database(db, a1)
    assert export_bytes(x) == export_bytes(y)
    # Each merged into the other converges too.
    with Database.open(a1) as db:
        merge_database(db, a2)
    with Database.open(a2) as db:
        merge_database(db, a1)
    assert export_bytes(a1) == export_bytes(a2) == export_bytes(x)


def test_history_survives_export_then_import_and_merge(lead: Path, tmp_path: Path) -> None:
    ana = copy_db(lead, tmp_path / "ana")
    aid, s, e = _first(ana)
    with Database.open(ana) as db:
        db.set_label(Label(aid, s, e, "claim", "ana", "2026-06-01T00:00:00.000Z"))
        db.set_label(Label(aid, s, e, "quote", "ana", "2026-06-01T00:00:01.000Z"))
        db.undo("ana")
        history = db.history(aid)
        exported = b"".join(render(db, "jsonl", history=True))
    assert [(h.op, h.label, h.before) for h in history] == [
        ("label", "claim", None), ("label", "quote", "claim"), ("undo", "claim", "quote")]
    src = tmp_path / "ana.jsonl"
    src.write_bytes(exported)
    fresh = tmp_path / "fresh" / "annotations.json"
    with Database.open(fresh) as db:
        apply_import(db, plan_import([src]))
        assert db.history(aid) == history
        assert db.redo("ana") is not None  # the undo travelled: redo works on the other machine
    # Import then merge, in either order, gives the same as the original.
    with Database.open(lead) as db:
        merge_database(db, ana)
        apply_import(db, plan_import([src]))
        assert db.history(aid) == history


def test_export_history_option_errors_are_one_line(lead: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    for args in (["--format", "sentences"], ["--gold"]):
        code, out, err = run_cli(capsys, "export", "--db", str(lead), "--history", *args)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--history" in err


def test_import_names_the_file_whose_decisions_are_ahead(lead: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    budi = copy_db(lead, tmp_path / "budi")
    aid, s, e = _first(lead)
    with Database.open(budi) as db:
        db.set_label(Label(aid, s, e, "claim", "budi", _iso(datetime.now(timezone.utc) + 2 * YEAR)))
        data = b"".join(render(db, "jsonl", history=True))
    src = tmp_path / "budi.jsonl"
    src.write_bytes(data)
    code, out, err = run_cli(capsys, "import", "--db", str(lead), str(src))
    assert code == 0, err
    (line,) = [x for x in (out + err).splitlines() if "ahead of this machine's clock" in x]
    assert str(src) in line and "1 decision(s) by budi" in line and "2.0 years" in line


def test_final_label_history_survives_export_import_and_merge_in_any_order(lead: Path, tmp_path: Path) -> None:
    from annotator.model import Decision

    aid, s, e = _first(lead)
    votes = (("ana", "claim"), ("budi", "quote"))
    with Database.open(lead) as db:
        db.set_decision(Decision(aid, s, e, "claim", "citra", "first", "2026-06-01T00:00:00.000Z", votes))
        db.set_decision(Decision(aid, s, e, "quote", "citra", "second", "2026-06-01T00:00:01.000Z", votes))
        db.undo("citra", final=True)
        history = db.history(aid, final=True)
        current = db.decisions(aid)
        exported = b"".join(render(db, "jsonl", history=True))
    assert [(h.op, h.label, h.reason) for h in history] == [
        ("label", "claim", "first"), ("label", "quote", "second"), ("undo", "claim", "first")]
    src = tmp_path / "lead.jsonl"
    src.write_bytes(exported)
    fresh = copy_db(lead, tmp_path / "fresh")
    other = tmp_path / "other" / "annotations.json"
    with Database.open(other) as db:
        apply_import(db, plan_import([src]))
        assert db.history(aid, final=True) == history and db.decisions(aid) == current
        assert db.redo("citra", final=True) is not None  # the undo travelled with the file
        (d,) = db.decisions(aid)
        assert (d.label, d.reason) == ("quote", "second")
    # Import into a copy, then merge the other way, and the reverse: the same bytes.
    with Database.open(fresh) as db:
        merge_database(db, other)
        apply_import(db, plan_import([src]))
    back = copy_db(lead, tmp_path / "back")
    with Database.open(back) as db:
        apply_import(db, plan_import([src]))
        merge_database(db, other)
    assert export_bytes(fresh) == export_bytes(back)
