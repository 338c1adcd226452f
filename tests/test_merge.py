"""`annotator merge OTHER_DB...` and `import` of a reviewer's export: bringing reviewers' work together."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from annotator.errors import DatabaseCorrupt, InputError
from annotator.merge import format_report, merge_database
from annotator.model import Decision, Label
from annotator.storage import Database
from conftest import SAMPLES, run_cli

T1 = "2026-01-01T00:00:00.000Z"
T2 = "2026-01-02T00:00:00.000Z"
T3 = "2026-01-03T00:00:00.000Z"


run = run_cli


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    monkeypatch.setenv("ANNOTATOR", "lead")
    return tmp_path


def folder_of(path: Path) -> Path:
    return path.with_name(path.stem + ".d")


def make_db(path: Path, capsys: pytest.CaptureFixture[str], *sources: Path) -> Path:
    code, _, err = run(capsys, "import", "--db", str(path), *(str(s) for s in (sources or (SAMPLES,))))
    assert code == 0, err
    return path


def clone(src: Path, dest: Path) -> Path:
    """What a team does: copy the lead's database file and its folder to a reviewer's machine."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    shutil.copytree(folder_of(src), folder_of(dest))
    return dest


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file of a database (index and folder), lock files aside."""
    files = {path.name: path.read_bytes()}
    for f in sorted(folder_of(path).rglob("*")):
        if f.is_file():
            files[str(f.relative_to(path.parent))] = f.read_bytes()
    return files


def all_files(path: Path) -> dict[str, bytes]:
    """Every file next to and under the database, lock files included: nothing may appear or change."""
    return {str(f.relative_to(path.parent)): f.read_bytes() for f in sorted(path.parent.rglob("*")) if f.is_file()}


def sentence(db: Database, article: int, index: int) -> tuple[str, int, int]:
    info = db.article_infos()[article]
    s = db.get_article(info.id).sentences[index]
    return info.id, s.start, s.end


def put(path: Path, article: int, index: int, label: str, who: str, when: str) -> Label:
    with Database.open(path) as db:
        aid, start, end = sentence(db, article, index)
        lab = Label(aid, start, end, label, who, when)
        db.set_label(lab)
    return lab


def all_labels(path: Path) -> set[Label]:
    with Database.open(path, readonly=True) as db:
        return {lab for info in db.article_infos() for lab in db.labels(info.id)}


def all_decisions(path: Path) -> set[Decision]:
    with Database.open(path, readonly=True) as db:
        return {d for info in db.article_infos() for d in db.decisions(info.id)}


@pytest.fixture
def team(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path]:
    """(lead, ana, budi): the lead's database and two reviewers' copies of it."""
    lead = make_db(tmp_path / "lead" / "annotations.json", capsys)
    ana = clone(lead, tmp_path / "ana" / "annotations.json")
    budi = clone(lead, tmp_path / "budi" / "annotations.json")
    return lead, ana, budi


# ----------------------------------------------------------------------------- merging


def test_merge_brings_both_reviewers_in_and_overwrites_nothing(capsys: pytest.CaptureFixture[str],
                                                               team: tuple[Path, Path, Path]) -> None:
    lead, ana, budi = team
    own = {put(lead, 0, 0, "background", "lead", T1), put(lead, 1, 2, "claim", "lead", T1)}
    ana_labels = {put(ana, 0, i, "claim", "ana", T2) for i in range(5)} | {put(ana, 1, 0, "quote", "ana", T2)}
    # budi labels the very sentence the lead labeled: another reviewer's label is added beside it, never over it.
    budi_labels = {put(budi, 0, i, "quote", "budi", T3) for i in range(3)}
    before_ana, before_budi = all_files(ana), all_files(budi)

    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana), str(budi))
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"merged {ana}: labels: 6 added, 0 updated, 0 already here; history: 6 decision(s) added"
    assert lines[1] == f"merged {budi}: labels: 3 added, 0 updated, 0 already here; history: 3 decision(s) added"
    assert len(lines) == 2  # no conflicts: every label has its own reviewer
    assert all_labels(lead) == own | ana_labels | budi_labels
    # Read-only: the reviewers' databases are byte for byte as they were, and nothing was added to them.
    assert all_files(ana) == before_ana and all_files(budi) == before_budi

    # Merging twice changes nothing.
    index = snapshot(lead)
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana), str(budi))
    assert code == 0, err
    assert out.splitlines() == [f"merged {ana}: labels: 0 added, 0 updated, 6 already here",
                                f"merged {budi}: labels: 0 added, 0 updated, 3 already here"]
    assert snapshot(lead) == index


def sentence_of(path: Path, article: int, index: int) -> tuple[str, int, int]:
    with Database.open(path, readonly=True) as db:
        return sentence(db, article, index)


@pytest.mark.parametrize("lead_is_later", [False, True])
def test_same_reviewer_two_places_later_wins_whatever_the_order(capsys: pytest.CaptureFixture[str],
                                                                team: tuple[Path, Path, Path],
                                                                lead_is_later: bool) -> None:
    lead, ana, _ = team
    # ana labeled sentence 3 in the lead's copy (e.g. at the lead's desk) and on her own machine.
    here_time, there_time = (T2, T1) if lead_is_later else (T1, T2)
    here = put(lead, 0, 3, "claim", "ana", here_time)
    there = put(ana, 0, 3, "quote", "ana", there_time)
    older, newer = (there, here) if lead_is_later else (here, there)
    # The same two databases, to merge the other way round afterwards.
    lead2 = clone(lead, lead.parent.parent / "lead2" / "annotations.json")
    ana2 = clone(ana, ana.parent.parent / "ana2" / "annotations.json")

    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0, err
    assert {lab for lab in all_labels(lead) if lab.annotator == "ana"} == {newer}
    counts = "0 added, 0 updated, 1 already here" if lead_is_later else "0 added, 1 updated, 0 already here"
    assert f"labels: {counts}" in out
    assert "1 conflict(s): the same reviewer labeled a sentence differently" in out
    assert (f"    ana: article {newer.article_id} {newer.start}-{newer.end}: "
            f"{older.label} ({older.updated_at}) -> {newer.label} ({newer.updated_at}) kept") in out.splitlines()

    # The other way round (the reviewer's copy takes in the lead's) ends the same, and says so the same way.
    code, out2, err = run(capsys, "merge", "--db", str(ana2), str(lead2))
    assert code == 0, err
    assert {lab for lab in all_labels(ana2) if lab.annotator == "ana"} == {newer}
    assert out2.splitlines()[1:] == out.splitlines()[1:]


def test_merge_result_pairs_are_older_newer(team: tuple[Path, Path, Path]) -> None:
    lead, ana, _ = team
    put(lead, 1, 0, "quote", "ana", T3)
    put(lead, 1, 1, "quote", "ana", T1)
    put(ana, 1, 0, "claim", "ana", T1)
    put(ana, 1, 1, "claim", "ana", T3)
    put(ana, 1, 2, "claim", "ana", T3)  # new: no conflict
    with Database.open(lead) as db:
        report = merge_database(db, ana)
        r = report.result
        assert r is not None
        assert (r.added, r.updated, r.unchanged, r.skipped) == (1, 1, 1, 0)
        pairs = sorted(((o.start, o.label, o.updated_at), (n.label, n.updated_at)) for o, n in r.conflicts)
        (s0, s1) = sorted({o.start for o, _ in r.conflicts})
        assert pairs == [((s0, "claim", T1), ("quote", T3)), ((s1, "quote", T1), ("claim", T3))]
        lines = format_report(report)
        assert lines[0] == f"merged {ana}: labels: 1 added, 1 updated, 1 already here; history: 3 decision(s) added"
        assert "2 conflict(s)" in lines[1]
        assert format_report(report, limit=1)[-1] == "    ... and 1 more"


def test_articles_only_in_the_other_database_come_with_their_labels(
        capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path], tmp_path: Path) -> None:
    lead, ana, _ = team
    extra = tmp_path / "extra.txt"
    extra.write_text("Judul Tambahan\n\nKalimat pertama ada di sini. Kalimat kedua juga ada.\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "--db", str(ana), str(extra))
    assert code == 0, err
    with Database.open(ana) as db:
        (new,) = [i for i in db.article_infos() if i.title == "Judul Tambahan"]
        art = db.get_article(new.id)
        # Stored as made: one after the other, so within one time each is a tick later.
        labs = [db.set_label(Label(new.id, s.start, s.end, "claim", "ana", T1)) for s in art.sentences]
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0, err
    assert out.startswith(f"merged {ana}: 1 new article(s); labels: {len(labs)} added")
    with Database.open(lead, readonly=True) as db:
        assert db.has_article(new.id)
        got = db.get_article(new.id)
        assert (got.text, got.sentences, got.title, got.sources) == (art.text, art.sentences, art.title, art.sources)
        assert db.labels(new.id) == labs
        assert [i.id for i in db.article_infos()][-1] == new.id
    code, out, _ = run(capsys, "verify", "--db", str(lead))
    assert code == 0, out


def test_decisions_merge_later_wins(capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path]) -> None:
    lead, ana, _ = team
    aid, start, end = sentence_of(lead, 0, 1)
    votes = (("ana", "claim"), ("budi", "quote"))
    first = Decision(aid, start, end, "claim", "lead", "speaker is asserting", T1, votes)
    later = Decision(aid, start, end, "quote", "citra", "it is reported speech", T2, votes)
    aid2, s2, e2 = sentence_of(lead, 1, 4)
    only_there = Decision(aid2, s2, e2, "background", "citra", "", T1, ())
    with Database.open(lead) as db:
        db.set_decision(first)
    with Database.open(ana) as db:
        db.set_decision(later)
        db.set_decision(only_there)
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0, err
    assert all_decisions(lead) == {later, only_there}
    assert "final labels: 1 added, 1 updated" in out
    assert "1 final label(s) were decided differently; the later one was kept:" in out
    assert (f"    article {aid} {start}-{end}: claim by lead ({T1}) -> quote by citra ({T2}) kept") in out.splitlines()
    # Merging again changes nothing; the earlier decision never comes back over the later one.
    code, out, _ = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0 and all_decisions(lead) == {later, only_there}
    # A decision made on a machine that has seen the later one is later, whatever its clock says.
    with Database.open(ana) as db:
        again = db.set_decision(first)
    assert (again.updated_at, again.tick) == (T2, 1)
    code, out, _ = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0 and all_decisions(lead) == {again, only_there}


def test_assignments_are_adopted_only_where_the_lead_has_none(capsys: pytest.CaptureFixture[str],
                                                              team: tuple[Path, Path, Path]) -> None:
    lead, ana, _ = team
    with Database.open(lead) as db:
        a0, a1 = (i.id for i in db.article_infos())
        db.set_assignments({a0: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0.0})
    with Database.open(ana) as db:
        db.set_assignments({a0: ("ana",), a1: ("ana",)}, {"annotators": ["ana"], "overlap": 0.0})
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 0, err
    with Database.open(lead, readonly=True) as db:
        assert {i.id: i.assigned for i in db.article_infos()} == {a0: ("budi",), a1: ("ana",)}
        assert db.assignment_record() == {"annotators": ["ana", "budi"], "overlap": 0.0}  # the lead's plan stays
    assert "1 assignment(s) adopted" in out
    assert "1 article(s) are assigned differently there; this database's assignment was kept" in out
    code, out, _ = run(capsys, "merge", "--db", str(lead), str(ana))
    assert "assignment(s) adopted" not in out


# ----------------------------------------------------------------------------- refusals


def test_merge_refuses_bad_paths(capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path],
                                 tmp_path: Path) -> None:
    lead, ana, _ = team
    before = snapshot(lead)
    cases = [
        (tmp_path / "missing.json", "no such file"),
        (ana.parent, "is a folder"),
        (lead, "is the database being merged into"),
    ]
    for other, needle in cases:
        code, out, err = run(capsys, "merge", "--db", str(lead), str(other))
        assert code == 2, (other, out, err)
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and needle in errors[0] and str(other) in errors[0], err
        assert "Traceback" not in err and out == ""
        assert "1 database(s) not merged" in err
    # The lead's own path given another way is still the lead.
    code, _, err = run(capsys, "merge", "--db", str(lead), str(lead.parent / ".." / "lead" / lead.name))
    assert code == 2 and "is the database being merged into" in err
    assert snapshot(lead) == before


def test_merge_of_a_damaged_database_changes_nothing(capsys: pytest.CaptureFixture[str],
                                                     team: tuple[Path, Path, Path]) -> None:
    lead, ana, budi = team
    put(ana, 0, 0, "claim", "ana", T1)
    put(ana, 1, 0, "claim", "ana", T1)
    # A labels file read after the first article's is damaged: the merge must not have written the first.
    with Database.open(ana, readonly=True) as db:
        damaged = db.labels_path(db.article_infos()[1].id)
    damaged.write_bytes(b'{"labels": {"1": {"start": 0, "end"')
    put(budi, 0, 1, "quote", "budi", T1)
    before = snapshot(lead)
    before_ana = all_files(ana)
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 2, (out, err)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(damaged) in errors[0], err
    assert "Traceback" not in err and out == ""
    assert snapshot(lead) == before
    assert all_files(ana) == before_ana
    code, vout, _ = run(capsys, "verify", "--db", str(lead))
    assert code == 0, vout
    # One damaged database does not stop the others.
    code, out, err = run(capsys, "merge", "--db", str(lead), str(ana), str(budi))
    assert code == 2
    assert f"merged {budi}: labels: 1 added" in out
    assert str(damaged) in err
    assert {(lab.annotator, lab.label) for lab in all_labels(lead)} == {("budi", "quote")}


def test_merge_of_a_damaged_index(capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path]) -> None:
    lead, ana, _ = team
    ana.write_bytes(b"not json at all")
    before = snapshot(lead)
    code, _, err = run(capsys, "merge", "--db", str(lead), str(ana))
    assert code == 2 and str(ana) in err and "Traceback" not in err
    assert snapshot(lead) == before
    with Database.open(lead) as db, pytest.raises(DatabaseCorrupt):
        merge_database(db, ana)


def test_merge_database_errors_are_input_errors(team: tuple[Path, Path, Path], tmp_path: Path) -> None:
    lead, _, _ = team
    with Database.open(lead) as db:
        for other in (tmp_path / "nope.json", tmp_path / "ana", lead):
            with pytest.raises(InputError):
                merge_database(db, other)


# ----------------------------------------------------------------------------- import of an export


def test_import_of_a_reviewers_export_merges_labels_and_decisions(
        capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path], tmp_path: Path) -> None:
    lead, _, budi = team
    own = put(lead, 0, 0, "background", "lead", T1)
    stale = put(lead, 0, 2, "claim", "budi", T1)  # budi labeled here once, then changed his mind at home
    fresh = put(budi, 0, 2, "quote", "budi", T2)
    new = {put(budi, 1, i, "claim", "budi", T1) for i in range(4)}
    aid, start, end = sentence_of(budi, 1, 0)
    decision = Decision(aid, start, end, "quote", "budi", "attributed", T2, (("ana", "quote"), ("budi", "claim")))
    with Database.open(budi) as db:
        db.set_decision(decision)
    out_file = tmp_path / "budi.jsonl"
    code, _, err = run(capsys, "export", "--db", str(budi), "--format", "jsonl", "-o", str(out_file))
    assert code == 0, err
    recs = [orjson.loads(line) for line in out_file.read_bytes().splitlines()]
    assert any(r["final"] for r in recs)

    code, out, err = run(capsys, "import", "--db", str(lead), str(out_file))
    assert code == 0, err
    assert all_labels(lead) == {own, fresh} | new
    assert stale not in all_labels(lead)
    assert all_decisions(lead) == {decision}
    assert "labels: 4 added, 1 updated, 0 unchanged, 0 skipped" in out
    assert "final labels: 1 added, 0 updated, 0 unchanged, 0 skipped" in out
    assert "1 conflict(s): the same reviewer labeled a sentence differently" in out
    assert (f"    budi: article {fresh.article_id} {fresh.start}-{fresh.end}: "
            f"claim ({T1}) -> quote ({T2}) kept") in out.splitlines()
    # Again: nothing changes, nothing to report as a conflict.
    before = snapshot(lead)
    code, out, _ = run(capsys, "import", "--db", str(lead), str(out_file))
    assert code == 0 and "labels: 0 added, 0 updated, 5 unchanged, 0 skipped" in out
    assert "conflict" not in out
    assert snapshot(lead) == before


@pytest.mark.parametrize(
    ("here", "there", "there_wins"),
    [
        # 03:00 UTC written with an offset is *earlier* than 05:00 UTC, although it sorts later as text.
        ("2026-01-01T05:00:00.000Z", "2026-01-01T10:00:00+07:00", False),
        ("2026-01-01T05:00:00.000Z", "2026-01-01T12:00:00+07:00", True),
        # Whole seconds without milliseconds: 00:00:00 is earlier than 00:00:00.500.
        ("2026-01-01T00:00:00.500Z", "2026-01-01T00:00:00Z", False),
        ("2026-01-01T00:00:00.500Z", "2026-01-01T00:00:01Z", True),
    ],
)
def test_later_means_later_in_time_not_in_spelling(capsys: pytest.CaptureFixture[str], team: tuple[Path, Path, Path],
                                                   tmp_path: Path, here: str, there: str, there_wins: bool) -> None:
    lead, _, _ = team
    mine = put(lead, 0, 0, "claim", "ana", here)
    with Database.open(lead, readonly=True) as db:
        rec = orjson.loads(b"".join(render_jsonl(db)).splitlines()[0])
    rec["spans"] = [{"start": mine.start, "end": mine.end, "label": "quote", "annotator": "ana", "updated_at": there}]
    theirs = Label(mine.article_id, mine.start, mine.end, "quote", "ana", there)
    src = tmp_path / "elsewhere.jsonl"
    src.write_bytes(orjson.dumps(rec) + b"\n")
    code, out, err = run(capsys, "import", "--db", str(lead), str(src))
    assert code == 0, err
    newer, older = (theirs, mine) if there_wins else (mine, theirs)
    assert {lab for lab in all_labels(lead) if lab.annotator == "ana"} == {newer}
    assert f"{older.label} ({older.updated_at}) -> {newer.label} ({newer.updated_at}) kept" in out


def render_jsonl(db: Database) -> list[bytes]:
    from annotator.export import render

    return list(render(db, "jsonl"))
