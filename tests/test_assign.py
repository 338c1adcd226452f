"""`annotator assign`: dealing articles out to reviewers, its CLI, stats and the reviewer's queue."""

from __future__ import annotations

import random
from itertools import combinations
from pathlib import Path

import orjson
import pytest

from annotator.assign import check_overlap, format_plan, parse_annotators, plan, queue_first
from annotator.errors import InputError
from annotator.importer import apply_import, plan_import
from annotator.model import ArticleInfo, Label
from annotator.session import Session
from annotator.storage import Database
from conftest import SAMPLES, run_cli

T0 = "2026-01-01T00:00:00.000Z"
NAMES = ("ana", "budi", "citra")


def infos(n: int, seed: int = 7) -> list[ArticleInfo]:
    rng = random.Random(seed)
    return [ArticleInfo(f"art{i:03d}", i + 1, f"Article {i}", rng.randint(3, 60)) for i in range(n)]


def loads(p_assigned: dict[str, tuple[str, ...]], items: list[ArticleInfo]) -> dict[str, int]:
    size = {i.id: i.n_sentences for i in items}
    out: dict[str, int] = {}
    for aid, who in p_assigned.items():
        for n in who:
            out[n] = out.get(n, 0) + size[aid]
    return out


run = run_cli


# ----------------------------------------------------------------------------- the plan


def test_same_input_same_plan_whatever_the_order() -> None:
    items = infos(60)
    first = plan(items, NAMES, 0.2)
    again = plan(items, NAMES, 0.2)
    assert first.assigned == again.assigned
    # The order of the names given does not matter ...
    assert plan(items, ("citra", "ana", "budi"), 0.2).assigned == first.assigned
    assert plan(items, ["budi", "citra", "ana"], 0.2).assigned == first.assigned
    # ... nor the order of the articles (import order).
    shuffled = list(items)
    random.Random(1).shuffle(shuffled)
    assert plan(shuffled, NAMES, 0.2).assigned == first.assigned
    assert plan(list(reversed(items)), NAMES, 0.2).assigned == first.assigned
    # The option string is normalised the same way.
    assert parse_annotators("citra, ana,budi") == parse_annotators("ana,budi,citra") == NAMES


def test_plan_depends_on_the_ids_not_just_positions() -> None:
    # Another set of ids of the same sizes must not simply reproduce the same positions: the
    # shared sample is chosen by a hash of the ids.
    items = infos(50)
    renamed = [ArticleInfo("x" + i.id, i.seq, i.title, i.n_sentences) for i in items]
    a = plan(items, NAMES, 0.3)
    b = plan(renamed, NAMES, 0.3)
    shared_a = {i for i, who in a.assigned.items() if len(who) == 2}
    shared_b = {i[1:] for i, who in b.assigned.items() if len(who) == 2}
    assert len(shared_a) == len(shared_b) == 15
    assert shared_a != shared_b


@pytest.mark.parametrize(("n", "overlap"), [(100, 0.2), (37, 0.3), (10, 0.0), (12, 1.0), (1, 1.0), (0, 0.2)])
def test_every_article_one_reviewer_and_the_share_two(n: int, overlap: float) -> None:
    items = infos(n)
    p = plan(items, NAMES, overlap)
    assert set(p.assigned) == {i.id for i in items}
    doubles = [who for who in p.assigned.values() if len(who) == 2]
    singles = [who for who in p.assigned.values() if len(who) == 1]
    assert len(doubles) == round(overlap * n)
    assert len(singles) == n - round(overlap * n)
    for who in p.assigned.values():
        assert len(set(who)) == len(who), who  # two *distinct* reviewers
        assert set(who) <= set(NAMES)
    # The plan's own bookkeeping matches the deal.
    assert sum(p.articles.values()) == n + len(doubles)
    assert p.sentences == {name: loads(p.assigned, items).get(name, 0) for name in NAMES}
    assert sum(p.shared.values()) == len(doubles)


def test_loads_are_balanced_in_sentences() -> None:
    items = infos(100, seed=3)
    biggest = max(i.n_sentences for i in items)
    for overlap in (0.0, 0.2, 0.5):
        p = plan(items, NAMES, overlap)
        per = loads(p.assigned, items)
        assert set(per) == set(NAMES)
        spread = max(per.values()) - min(per.values())
        assert spread <= biggest, (overlap, per)
        # Much better than dealing round-robin would guarantee: within a small share of a reviewer's load.
        assert spread <= 0.05 * min(per.values()), (overlap, per)


def test_balanced_in_sentences_not_in_articles() -> None:
    # One huge article and many small ones: the reviewer with the huge one gets fewer articles.
    items = [ArticleInfo("big", 1, "", 100)] + [ArticleInfo(f"s{i:02d}", i + 2, "", 5) for i in range(40)]
    p = plan(items, ("ana", "budi"), 0.0)
    (holder,) = p.assigned["big"]
    other = "budi" if holder == "ana" else "ana"
    per = loads(p.assigned, items)
    assert abs(per["ana"] - per["budi"]) <= 5
    assert p.articles[holder] < p.articles[other]


@pytest.mark.parametrize("names", [("ana", "budi"), NAMES, ("ana", "budi", "citra", "dedi"),
                                   ("a", "b", "c", "d", "e")])
def test_every_pair_shares_an_article_when_overlap_allows(names: tuple[str, ...]) -> None:
    items = infos(100, seed=11)
    pairs = list(combinations(sorted(names), 2))
    p = plan(items, names, 0.2)  # 20 shared articles: enough for every pair of up to 5 reviewers (10 pairs)
    got: dict[tuple[str, str], int] = {}
    for who in p.assigned.values():
        if len(who) == 2:
            pair = (min(who), max(who))
            got[pair] = got.get(pair, 0) + 1
    assert set(got) == set(pairs), got
    # Spread evenly over the pairs.
    assert max(got.values()) - min(got.values()) <= 1
    assert {k: v for k, v in p.shared.items() if v} == got


def test_rerun_keeps_assignments_and_deals_only_new_articles() -> None:
    items = infos(30)
    first = plan(items, NAMES, 0.2)
    dealt = [ArticleInfo(i.id, i.seq, i.title, i.n_sentences, assigned=first.assigned[i.id]) for i in items]
    new = infos(40)[30:]
    again = plan(dealt + new, NAMES, 0.2)
    assert again.kept == 30
    assert set(again.assigned) == {i.id for i in new}
    assert sum(1 for who in again.assigned.values() if len(who) == 2) == round(0.2 * 10)
    # Loads count the kept work too: everyone's total is still balanced.
    total = dict(first.sentences)
    for name, n in loads(again.assigned, new).items():
        total[name] += n
    assert again.sentences == total
    assert again.articles == {n: first.articles[n] + sum(1 for w in again.assigned.values() if n in w)
                              for n in NAMES}
    # Nothing new: nothing dealt, nothing moved.
    everything = dealt + [ArticleInfo(i.id, i.seq, i.title, i.n_sentences, assigned=again.assigned[i.id])
                          for i in new]
    idle = plan(everything, NAMES, 0.2)
    assert idle.assigned == {} and idle.kept == 40


def test_rerun_with_a_reviewer_dropped_keeps_their_articles() -> None:
    items = infos(20)
    first = plan(items, NAMES, 0.0)
    dealt = [ArticleInfo(i.id, i.seq, i.title, i.n_sentences, assigned=first.assigned[i.id]) for i in items]
    new = infos(25)[20:]
    again = plan(dealt + new, ("ana", "budi"), 0.0)
    assert again.kept == 20
    assert all("citra" not in who for who in again.assigned.values())
    assert again.articles["citra"] == first.articles["citra"]  # still holds their own


def test_redo_deals_everything_again() -> None:
    items = infos(30)
    first = plan(items, NAMES, 0.2)
    # Deliberately lopsided: everything on ana.
    dealt = [ArticleInfo(i.id, i.seq, i.title, i.n_sentences, assigned=("ana",)) for i in items]
    kept = plan(dealt, NAMES, 0.2)
    assert kept.assigned == {} and kept.kept == 30
    redone = plan(dealt, NAMES, 0.2, redo=True)
    assert redone.kept == 0
    assert redone.assigned == first.assigned  # as if it had never been dealt


@pytest.mark.parametrize(
    ("overlap", "names", "needle"),
    [
        (-0.1, NAMES, "between 0 and 1"),
        (1.5, NAMES, "between 0 and 1"),
        (float("nan"), NAMES, "between 0 and 1"),
        (0.2, ("ana",), "at least two reviewers"),
    ],
)
def test_bad_overlap_is_an_input_error(overlap: float, names: tuple[str, ...], needle: str) -> None:
    with pytest.raises(InputError, match=needle) as exc:
        check_overlap(overlap, names)
    assert "--overlap" in exc.value.message
    with pytest.raises(InputError, match=needle):
        plan(infos(5), names, overlap)


def test_one_reviewer_without_overlap_gets_everything() -> None:
    check_overlap(0.0, ("ana",))
    p = plan(infos(8), ("ana",), 0.0)
    assert set(p.assigned.values()) == {("ana",)}


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("", "give the reviewers' names"),
        (" , ,", "give the reviewers' names"),
        ("ana,budi,ana", "ana given twice"),
        ("ana, ana ,budi", "ana given twice"),
        ("ana,bu\x1bdi", "not a usable name"),
        ("ana," + "x" * 65, "not a usable name"),
    ],
)
def test_bad_annotator_names(value: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as exc:
        parse_annotators(value)
    assert exc.value.message.startswith("--annotators")


def test_format_plan_lines() -> None:
    items = infos(10)
    p = plan(items, NAMES, 0.2)
    lines = format_plan(p, 10, dry_run=True)
    assert lines[0].startswith("would deal 10 article(s) to 3 reviewer(s), 2 of them to two (overlap 0.2)")
    for name in NAMES:
        row = next(x for x in lines if x.strip().startswith(name))
        assert f"{p.articles[name]} article(s), {p.sentences[name]} sentence(s)" in row
    assert any(x.startswith("shared for agreement: ") for x in lines)
    assert format_plan(p, 10, dry_run=False)[0].startswith("dealt 10 article(s)")
    empty = format_plan(plan([], NAMES, 0.2), 0, dry_run=False)
    assert any("no articles to deal" in x for x in empty)


def test_queue_first_keeps_the_usual_order() -> None:
    items = [ArticleInfo(f"a{i}", i, "", 3, assigned=who)
             for i, who in enumerate([("ana",), ("budi",), ("ana", "budi"), (), ("budi",)])]
    assert [i.id for i in queue_first(items, "budi")] == ["a1", "a2", "a4", "a0", "a3"]
    assert [i.id for i in queue_first(items, "ana")] == ["a0", "a2", "a1", "a3", "a4"]
    assert [i.id for i in queue_first(items, "dedi")] == [i.id for i in items]


# ----------------------------------------------------------------------------- storage


def test_assignments_are_stored_and_survive_reopening(sample_db: Database) -> None:
    items = sample_db.article_infos()
    p = plan(items, ("ana", "budi"), 0.0)
    sample_db.set_assignments(p.assigned, p.record())
    path = sample_db.path
    sample_db.close()
    with Database.open(path) as again:
        got = {i.id: i.assigned for i in again.article_infos()}
        assert got == p.assigned
        assert again.assignment_record() == {"annotators": ["ana", "budi"], "overlap": 0.0}
    with pytest.raises(ValueError, match="no article"):
        with Database.open(path) as again:
            again.set_assignments({"nope": ("ana",)}, {})


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    monkeypatch.setenv("ANNOTATOR", "lead")
    code, _, err = run(capsys, "import", "--db", "team.json", str(SAMPLES))
    assert code == 0, err
    return tmp_path / "team.json"


def assigned_in(path: Path) -> dict[str, tuple[str, ...]]:
    with Database.open(path, readonly=True) as db:
        return {i.id: i.assigned for i in db.article_infos()}


def test_cli_assign_writes_the_plan(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    code, out, err = run(capsys, "assign", "--db", str(cli_db), "--annotators", "budi,ana", "--overlap", "0")
    assert code == 0, err
    assert out.startswith("dealt 2 article(s) to 2 reviewer(s), 0 of them to two")
    got = assigned_in(cli_db)
    with Database.open(cli_db, readonly=True) as db:
        expected = plan([ArticleInfo(i.id, i.seq, i.title, i.n_sentences) for i in db.article_infos()],
                        ("ana", "budi"), 0.0).assigned
        assert db.assignment_record() == {"annotators": ["ana", "budi"], "overlap": 0.0}
    assert got == expected
    assert sorted(w for who in got.values() for w in who) == ["ana", "budi"]
    # Again: everything is kept, nothing moves.
    before = cli_db.read_bytes()
    code, out, _ = run(capsys, "assign", "--db", str(cli_db), "--annotators", "ana,budi,citra", "--overlap", "0.5")
    assert code == 0
    assert out.startswith("dealt 0 article(s)") and "2 already assigned kept their reviewers" in out
    assert assigned_in(cli_db) == got
    assert cli_db.read_bytes() == before
    # --redo deals again with the new options.
    code, out, _ = run(capsys, "assign", "--db", str(cli_db), "--annotators", "ana,budi,citra", "--overlap", "0.5",
                       "--redo")
    assert code == 0 and out.startswith("dealt 2 article(s) to 3 reviewer(s), 1 of them to two (overlap 0.5)")
    redone = assigned_in(cli_db)
    assert sorted(len(w) for w in redone.values()) == [1, 2]


def test_cli_assign_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    index = cli_db.read_bytes()
    code, out, err = run(capsys, "assign", "--db", str(cli_db), "--annotators", "ana,budi", "--dry-run")
    assert code == 0, err
    assert out.startswith("would deal 2 article(s) to 2 reviewer(s)")
    assert cli_db.read_bytes() == index
    assert set(assigned_in(cli_db).values()) == {()}
    assert not (cli_db.parent / "team.json.lock.info").exists()


def test_cli_assign_deals_only_new_articles(capsys: pytest.CaptureFixture[str], cli_db: Path, tmp_path: Path) -> None:
    run(capsys, "assign", "--db", str(cli_db), "--annotators", "ana,budi")
    first = assigned_in(cli_db)
    extra = tmp_path / "extra.txt"
    extra.write_text("Satu kalimat baru di sini. Dan kalimat kedua juga ada.\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "--db", str(cli_db), str(extra))
    assert code == 0, err
    after_import = assigned_in(cli_db)
    (new_id,) = set(after_import) - set(first)
    assert after_import[new_id] == ()
    code, out, _ = run(capsys, "stats", "--db", str(cli_db))
    assert "1 article(s) not assigned yet" in out
    code, out, _ = run(capsys, "assign", "--db", str(cli_db), "--annotators", "ana,budi")
    assert code == 0 and out.startswith("dealt 1 article(s)") and "2 already assigned kept" in out
    now = assigned_in(cli_db)
    assert {k: v for k, v in now.items() if k != new_id} == first
    assert len(now[new_id]) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--annotators", "ana,budi", "--overlap", "1.5"], "between 0 and 1"),
        (["--annotators", "ana,budi", "--overlap", "-0.2"], "between 0 and 1"),
        (["--annotators", "ana", "--overlap", "0.2"], "at least two reviewers"),
        (["--annotators", ","], "give the reviewers' names"),
        (["--annotators", "ana,budi,ana"], "ana given twice"),
    ],
)
def test_cli_assign_errors(capsys: pytest.CaptureFixture[str], cli_db: Path, args: list[str], needle: str) -> None:
    index = cli_db.read_bytes()
    code, out, err = run(capsys, "assign", "--db", str(cli_db), *args)
    assert code == 2, (out, err)
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert cli_db.read_bytes() == index


def test_cli_assign_needs_names_and_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "assign", "--db", "none.json", "--annotators", "ana,budi")
    assert code == 3 and "no database here" in err
    assert not (tmp_path / "none.json").exists()
    code, _, err = run(capsys, "assign", "--db", "none.json")
    assert code == 2 and "--annotators" in err


def label_sentences(db: Database, article_index: int, annotator: str, count: int, name: str = "claim") -> None:
    info = db.article_infos()[article_index]
    art = db.get_article(info.id)
    for s in art.sentences[:count]:
        db.set_label(Label(art.id, s.start, s.end, name, annotator, T0))


def test_stats_shows_each_reviewers_assigned_progress(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    with Database.open(cli_db) as db:
        a0, a1 = db.article_infos()
        db.set_assignments({a0.id: ("ana", "budi"), a1.id: ("citra",)}, {"annotators": list(NAMES), "overlap": 0.5})
        label_sentences(db, 0, "ana", a0.n_sentences)  # ana finished her article
        label_sentences(db, 0, "budi", 5)
        label_sentences(db, 1, "budi", 3)  # work outside budi's queue does not count toward it
    code, out, err = run(capsys, "stats", "--db", str(cli_db), "--json")
    assert code == 0, err
    data = orjson.loads(out)
    assert data["assigned"] is True and data["unassigned_articles"] == 0
    people = {a["name"]: a for a in data["annotators"]}
    assert people["ana"]["assigned"] == {"articles": 1, "articles_done": 1, "sentences": a0.n_sentences,
                                         "labeled_sentences": a0.n_sentences}
    assert people["budi"]["assigned"] == {"articles": 1, "articles_done": 0, "sentences": a0.n_sentences,
                                          "labeled_sentences": 5}
    assert people["budi"]["labeled_sentences"] == 8
    assert people["citra"]["assigned"] == {"articles": 1, "articles_done": 0, "sentences": a1.n_sentences,
                                           "labeled_sentences": 0}
    assert "lead" not in people  # whoever asks is listed only with work of their own
    assert data["you"] == "lead"
    assert people["budi"]["progress"] == round(5 / a0.n_sentences, 4)  # against the assignment
    code, out, _ = run(capsys, "stats", "--db", str(cli_db))
    assert code == 0
    lines = out.splitlines()
    start = lines.index("Assigned work (annotator assign):")
    block = lines[start + 1:]
    row = {line.split()[0]: line for line in block if line.startswith("  ")}
    assert f"1/1 articles done, {a0.n_sentences}/{a0.n_sentences} sentences labeled (100%)" in row["ana"]
    assert f"0/1 articles done, 5/{a0.n_sentences} sentences labeled (26%)" in row["budi"]
    assert f"0/1 articles done, 0/{a1.n_sentences} sentences labeled (0%)" in row["citra"]
    assert "lead" not in row and "nothing assigned" not in out


def test_stats_without_assignment_has_no_assigned_block(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    code, out, _ = run(capsys, "stats", "--db", str(cli_db))
    assert code == 0 and "Assigned work" not in out
    code, out, _ = run(capsys, "stats", "--db", str(cli_db), "--json")
    assert orjson.loads(out)["assigned"] is False


# ----------------------------------------------------------------------------- the reviewer's session


def test_session_lists_the_reviewers_own_articles_first(sample_db: Database) -> None:
    a0, a1 = sample_db.article_infos()
    sample_db.set_assignments({a1.id: ("budi",), a0.id: ("ana",)}, {"annotators": ["ana", "budi"], "overlap": 0.0})
    budi = Session(sample_db, "budi")
    assert [i.id for i in budi.infos] == [a1.id, a0.id]
    assert budi.queue_size == 1 and budi.queue_done == 0
    assert budi.resume_position() == (0, 0)
    ana = Session(sample_db, "ana")
    assert [i.id for i in ana.infos] == [a0.id, a1.id] and ana.queue_size == 1
    nobody = Session(sample_db, "dedi")
    assert nobody.queue_size == 0 and [i.id for i in nobody.infos] == [a0.id, a1.id]

    budi.open_article(0)
    assert budi.article is not None and budi.article.id == a1.id
    for i in range(a1.n_sentences):
        budi.cursor = i
        assert budi.set_label("quote") == "saved"
        assert budi.queue_done == (1 if i == a1.n_sentences - 1 else 0)
    assert budi.articles_done == 1
    # Work outside the queue does not count toward it.
    budi.open_article(1)
    for i in range(a0.n_sentences):
        budi.cursor = i
        budi.set_label("claim")
    assert budi.articles_done == 2 and budi.queue_done == 1
    # Undo of the last label of the queued article takes it out of "done" again.
    budi.open_article(0, cursor=a1.n_sentences - 1)
    budi.clear_label()
    assert budi.queue_done == 0 and budi.articles_done == 1
    # A fresh session counts the same from the database.
    again = Session(sample_db, "budi")
    assert again.queue_done == 0 and again.articles_done == 1 and again.queue_size == 1
    assert again.resume_position() == (0, a1.n_sentences - 1)


def test_session_queue_with_a_shared_article(tmp_path: Path) -> None:
    with Database.open(tmp_path / "a.json") as db:
        apply_import(db, plan_import([SAMPLES]))
        a0, a1 = db.article_infos()
        db.set_assignments({a0.id: ("ana", "budi"), a1.id: ("budi",)}, {})
        s = Session(db, "budi")
        assert [i.id for i in s.infos] == [a0.id, a1.id] and s.queue_size == 2
        s2 = Session(db, "ana")
        assert s2.queue_size == 1
