"""`annotator scheme`: show, add, set, rename, remove, export and import the label scheme, and what
a scheme change does to the labels already made: every export format, verify, import and merge
name the labels as the scheme does now, and find them by id."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.export import FORMATS, read_record
from annotator.importer import article_id
from annotator.model import Article, Decision, Label, Span
from annotator.storage import Database
from conftest import SAMPLES, run_cli
from format_labels import every_label

run = run_cli
T1 = "2026-06-01T00:00:00.000Z"
T2 = "2026-06-02T00:00:00.000Z"
T3 = "2026-06-03T00:00:00.000Z"
DB = Path("annotations") / "annotations.json"
N_SENTENCES = 41  # in the two sample articles


pytestmark = pytest.mark.usefixtures("in_tmp")  # a fresh folder as cwd, reviewer ana (conftest)


# ----------------------------------------------------------------------------- helpers


def folder_of(path: Path) -> Path:
    return path.with_name(path.stem + ".d")


def files_of(path: Path) -> dict[str, bytes]:
    """Every file of a database (index and folder): what a refused command must leave alone."""
    files = {path.name: path.read_bytes()}
    for f in sorted(folder_of(path).rglob("*")):
        if f.is_file():
            files[str(f.relative_to(path.parent))] = f.read_bytes()
    return files


def clone(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    shutil.copytree(folder_of(src), folder_of(dest))
    return dest


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, (args, err)
    return out


def refused_in_one_line(capsys: pytest.CaptureFixture[str], *args: str, db: Path = DB) -> str:
    """The command fails with exit 2 and one line on stderr, and changes no file of the database."""
    before = files_of(db)
    code, out, err = run(capsys, *args)
    assert code == 2, (args, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("annotator: bad input: "), err
    assert "Traceback" not in err
    assert files_of(db) == before, f"{args} changed the database although it was refused"
    return lines[0]


def sentences_of(db: Database, article: int) -> tuple[str, tuple[Span, ...]]:
    info = db.article_infos()[article]
    return info.id, db.get_article(info.id).sentences


def make_db(capsys: pytest.CaptureFixture[str], path: Path = DB) -> Path:
    ok(capsys, "import", "--db", str(path), str(SAMPLES))
    return path


def label_all(path: Path, label: str, *who: str, when: str = T1) -> None:
    with Database.open(path) as db:
        for n in range(len(db.article_infos())):
            aid, spans = sentences_of(db, n)
            for sp in spans:
                for w in who:
                    db.set_label(Label(aid, sp.start, sp.end, label, w, when))


def all_labels(path: Path) -> list[Label]:
    with Database.open(path, readonly=True) as db:
        return [lab for info in db.article_infos() for lab in db.labels(info.id)]


def all_decisions(path: Path) -> list[Decision]:
    with Database.open(path, readonly=True) as db:
        return [d for info in db.article_infos() for d in db.decisions(info.id)]


def scheme_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    return orjson.loads(ok(capsys, "scheme", "--json", *args))


# ----------------------------------------------------------------------------- show


def test_scheme_shows_keys_names_usage_and_skip(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    label_all(DB, "quote", "ana")
    out = ok(capsys, "scheme")
    lines = out.splitlines()
    assert lines[0].split() == ["keys", "label", "colour", "in", "use", "description"]
    assert re.match(r"1/c\s+claim\s+theme\s+0\s+An assertion", lines[1]), lines[1]
    assert re.match(rf"2/q\s+quote\s+theme\s+{N_SENTENCES}\s+Reported speech", lines[2]), lines[2]
    assert re.match(r"3/b\s+background\s+theme\s+0\s+Context", lines[3]), lines[3]
    assert re.match(r"0\s+skip\s+0\s+not applicable", lines[4]), lines[4]
    assert len(lines) == 5
    data = scheme_json(capsys)
    assert [(d["id"], d["name"], d["keys"], d["digit"], d["in_use"]) for d in data["labels"]] == [
        ("claim", "claim", ["c"], "1", 0), ("quote", "quote", ["q"], "2", N_SENTENCES),
        ("background", "background", ["b"], "3", 0)]
    assert data["retired"] == []


def test_scheme_without_a_database_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scheme")
    assert code == 3 and "no database here" in err and not DB.exists()
    code, _, err = run(capsys, "scheme", "add", "opinion")
    assert code == 3 and "no database here" in err and not DB.exists()


# ----------------------------------------------------------------------------- add, set, rename


def test_add_set_rename_change_the_scheme_on_disk(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    out = ok(capsys, "scheme", "add", "opinion", "--key", "o", "--color", "red", "--description", "What one thinks.")
    assert out.splitlines()[0] == "added opinion"
    assert re.search(r"4/o\s+opinion\s+red\s+What one thinks\.", out), out
    ok(capsys, "scheme", "add", "aside", "--position", "1")
    data = scheme_json(capsys)
    assert [(d["name"], d["digit"], d["keys"]) for d in data["labels"]] == [
        ("aside", "1", []), ("claim", "2", ["c"]), ("quote", "3", ["q"]), ("background", "4", ["b"]),
        ("opinion", "5", ["o"])]
    assert data["labels"][-1]["color"] == "red"
    out = ok(capsys, "scheme", "set", "opinion", "--key", "e", "--color", "", "--position", "2")
    assert out.splitlines()[0] == "changed opinion"
    ok(capsys, "scheme", "set", "claim", "--description", "Checkable.")
    out = ok(capsys, "scheme", "rename", "claim", "assertion")
    assert out.splitlines()[0] == "renamed claim to assertion"
    assert re.search(r"3/c\s+assertion \(id claim\)\s+theme\s+Checkable\.", out), out
    with Database.open(DB, readonly=True) as db:
        assert db.scheme.names == ("aside", "opinion", "assertion", "quote", "background")
        assert db.scheme.ids == ("aside", "opinion", "claim", "quote", "background")
        op = db.scheme.by_name("opinion")
        assert op is not None and (op.keys, op.color, op.description) == (("e",), "", "What one thinks.")


@pytest.mark.parametrize(("args", "needle"), [
    (["add", "opinion", "--key", "x"], "--key x is the app's key for clear"),
    (["add", "opinion", "--key", "0"], "--key 0: digits follow"),
    (["add", "opinion", "--key", "c"], "--key c is the key of the label 'claim'"),
    (["add", "opinion", "--key", "op"], "a key is one character"),
    (["add", "opinion", "--color", "reddish"], "--color 'reddish' is no colour"),
    (["add", "opinion", "--description", "d" * 501], "--description: at most 500"),
    (["add", "opinion", "--position", "9"], "--position 9: give 1 to 4"),
    (["add", "skip"], "skip is the decision 'not applicable'"),
    (["add", "claim"], "the scheme has a label 'claim' already"),
    (["add", "bad name "], "label name 'bad name ' is empty, padded"),
    (["add", "esc\x1b[2Jx"], "label name 'esc␛[2Jx'"),
    (["set", "nope", "--key", "e"], "no label 'nope' in the scheme (it has claim, quote, background)"),
    (["set", "quote", "--key", "u"], "--key u is the app's key for undo"),
    (["rename", "claim", "quote"], "the scheme has a label 'quote' already"),
    (["rename", "claim", "skip"], "skip is the decision"),
    (["rename", "nope", "x"], "no label 'nope'"),
    (["remove", "nope"], "no label 'nope'"),
    (["remove", "claim", "--relabel-to", "claim"], "--relabel-to claim: not another label of the scheme"),
    (["remove", "claim", "--relabel-to", "nope"], "--relabel-to nope: not another label of the scheme"),
])
def test_refusals_are_one_line_exit_2_and_write_nothing(capsys: pytest.CaptureFixture[str], args: list[str],
                                                        needle: str) -> None:
    make_db(capsys)
    line = refused_in_one_line(capsys, "scheme", *args)
    assert needle in line, line


def test_the_last_label_cannot_be_removed(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    ok(capsys, "scheme", "remove", "claim")
    ok(capsys, "scheme", "remove", "quote")
    assert "the scheme's only label" in refused_in_one_line(capsys, "scheme", "remove", "background")


def test_rename_keeps_every_label_and_shows_the_new_name_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    label_all(DB, "claim", "ana")
    before = all_labels(DB)
    ok(capsys, "scheme", "rename", "claim", "assertion")
    assert all_labels(DB) == before  # stored by id: nothing rewritten
    stats = orjson.loads(ok(capsys, "stats", "--json"))
    assert stats["per_label"]["assertion"] == N_SENTENCES and "claim" not in stats["per_label"]
    assert stats["annotators"][0]["per_label"]["assertion"] == N_SENTENCES
    assert "assertion" in ok(capsys, "stats") and "claim" not in ok(capsys, "stats")
    assert ok(capsys, "verify").startswith("ok:")


# ----------------------------------------------------------------------------- remove


def _team_with_a_decision(capsys: pytest.CaptureFixture[str]) -> tuple[str, Span]:
    """ana labels every sentence claim, budi every one quote but the first (claim); the lead
    decided sentence 1 as claim on those votes."""
    make_db(capsys)
    with Database.open(DB) as db:
        for n in range(2):
            aid, spans = sentences_of(db, n)
            for k, sp in enumerate(spans):
                db.set_label(Label(aid, sp.start, sp.end, "claim", "ana", T1))
                db.set_label(Label(aid, sp.start, sp.end, "claim" if k == 0 else "quote", "budi", T1))
        aid, spans = sentences_of(db, 0)
        sp = spans[1]
        db.set_decision(Decision(aid, sp.start, sp.end, "claim", "lead", "checkable", T2,
                                 (("ana", "claim"), ("budi", "quote"))))
    return aid, sp


def test_remove_is_refused_while_labels_use_it(capsys: pytest.CaptureFixture[str]) -> None:
    _team_with_a_decision(capsys)
    line = refused_in_one_line(capsys, "scheme", "remove", "claim")
    # 82 reviewers' labels are claim on 41 sentences of ana and 2 of budi, and one final label.
    assert f"{N_SENTENCES + 2 + 1:,} sentence label(s) are claim" in line
    assert "--relabel-to OTHER" in line and "annotator scheme remove claim --relabel-to quote" in line
    # A label only final labels hold is in use too.
    ok(capsys, "scheme", "add", "opinion")
    with Database.open(DB) as db:
        aid, spans = sentences_of(db, 1)
        db.set_decision(Decision(aid, spans[0].start, spans[0].end, "opinion", "lead", "", T2))
    assert "1 sentence label(s) are opinion" in refused_in_one_line(capsys, "scheme", "remove", "opinion")


def test_remove_an_unused_label_retires_it_and_add_revives_it(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    label_all(DB, "quote", "ana")
    out = ok(capsys, "scheme", "remove", "background")
    assert out.splitlines()[0] == "removed background"
    assert "removed (kept for the history): background" in out
    data = scheme_json(capsys)
    assert [d["name"] for d in data["labels"]] == ["claim", "quote"]
    assert [(d["id"], d["retired"]) for d in data["retired"]] == [("background", True)]
    ok(capsys, "scheme", "add", "background", "--key", "b")
    data = scheme_json(capsys)
    assert [(d["id"], d["name"]) for d in data["labels"]][-1] == ("background", "background")
    assert data["retired"] == []


def test_remove_relabel_to_moves_labels_final_labels_and_votes(capsys: pytest.CaptureFixture[str]) -> None:
    aid, sp = _team_with_a_decision(capsys)
    code, _, gold_err = run(capsys, "export", "--gold")
    assert code == 0 and "1 adjudicated" in gold_err and "final label(s) left out" not in gold_err
    code, out, err = run(capsys, "scheme", "remove", "claim", "--relabel-to", "quote")
    assert code == 0, err
    assert "relabeled 43 label(s) and 1 final label(s) from claim to quote" in err
    assert out.splitlines()[0] == "removed claim"
    assert {lab.label for lab in all_labels(DB)} == {"quote"}
    (d,) = all_decisions(DB)
    assert (d.label, d.by, d.reason, d.votes) == ("quote", "lead", "checkable", (("ana", "quote"), ("budi", "quote")))
    # ana's and budi's labels are still theirs (a new decision of each, later than the old one)
    labs = all_labels(DB)
    assert sorted({lab.annotator for lab in labs}) == ["ana", "budi"] and len(labs) == 2 * N_SENTENCES
    assert all(lab.updated_at > T1 for lab in labs if lab.annotator == "ana")
    # The gold has no stale final label and no claim: the votes moved with the labels.
    code, out, err = run(capsys, "export", "--gold")
    assert code == 0, err
    assert "left out" not in err and "stale" not in err
    assert set(every_label("jsonl", out.encode())) == {"quote"}
    assert sum(1 for line in out.splitlines() for _ in read_record(line)["spans"]) == N_SENTENCES
    assert ok(capsys, "verify").startswith("ok:")
    data = scheme_json(capsys)
    assert [d["name"] for d in data["labels"]] == ["quote", "background"]
    assert data["labels"][0]["in_use"] == 2 * N_SENTENCES + 1


def test_undo_after_relabel_never_brings_back_a_removed_label(capsys: pytest.CaptureFixture[str]) -> None:
    _team_with_a_decision(capsys)
    ok(capsys, "scheme", "remove", "claim", "--relabel-to", "quote")
    with Database.open(DB) as db:
        db.undo("ana")
        db.undo("lead", final=True)
        scheme = db.scheme
        held = {lab.label for info in db.article_infos() for lab in db.labels(info.id)}
        held |= {d.label for info in db.article_infos() for d in db.decisions(info.id)}
    assert all(scheme.takes(x) for x in held), held
    code, out, err = run(capsys, "verify")
    assert code == 0, err


# ----------------------------------------------------------------------------- export and import TOML


def test_scheme_export_import_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    make_db(capsys)
    ok(capsys, "scheme", "add", "opini \"✓\" \\ 日本", "--key", "é", "--color", "#00ff7f",
       "--description", "Pendapat «x» \\ \"y\"")
    ok(capsys, "scheme", "rename", "claim", "assertion")
    ok(capsys, "scheme", "remove", "background")
    out = ok(capsys, "scheme", "export", "s.toml")
    assert out.strip() == "wrote s.toml (3 labels)"
    text = (tmp_path / "s.toml").read_text("utf-8")
    assert 'id = "claim"' in text and 'name = "assertion"' in text and "background" not in text
    with Database.open(DB, readonly=True) as db:
        mine = db.scheme
    # Onto a fresh database: the same labels with the same ids.
    other = make_db(capsys, Path("other") / "annotations.json")
    out = ok(capsys, "scheme", "import", "--db", str(other), "s.toml")
    assert out.splitlines()[0] == "imported the scheme from s.toml"
    with Database.open(other, readonly=True) as db:
        assert db.scheme.live == mine.live
        assert db.scheme.known("background") and db.scheme.get("background") is None
    # Onto the database that wrote it: nothing changes.
    before = files_of(DB)
    ok(capsys, "scheme", "import", "s.toml")
    with Database.open(DB, readonly=True) as db:
        assert db.scheme == mine
    assert files_of(DB).keys() == before.keys()


def test_scheme_import_that_leaves_out_a_used_label_is_refused(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    make_db(capsys)
    label_all(DB, "claim", "ana")
    (tmp_path / "s.toml").write_text('[[label]]\nname = "quote"\nkey = "q"\n\n[[label]]\nname = "background"\n',
                                     "utf-8")
    line = refused_in_one_line(capsys, "scheme", "import", "s.toml")
    assert "s.toml: leaves out claim, which sentences hold" in line and "--relabel-to OTHER" in line
    # Leaving out an unused label retires it.
    (tmp_path / "s.toml").write_text('[[label]]\nname = "claim"\nkey = "c"\n\n[[label]]\nname = "quote"\n', "utf-8")
    ok(capsys, "scheme", "import", "s.toml")
    data = scheme_json(capsys)
    assert [(d["name"], d["keys"]) for d in data["labels"]] == [("claim", ["c"]), ("quote", [])]
    assert [d["name"] for d in data["retired"]] == ["background"]


@pytest.mark.parametrize(("content", "needle"), [
    (None, "s.toml: no such file"),
    (b"\xff\xfe\x00x", "s.toml: not UTF-8"),
    (b"[[label]\nname = 'x'\n", "s.toml: not valid TOML"),
    (b"title = 'labels'\n", "s.toml: no [[label]] tables"),
    (b"[[label]]\nname = 'claim'\nhotkey = 'c'\n", "unknown key(s) hotkey"),
    (b"[[label]]\nname = 'claim'\nkey = 'n'\n", "--key n is the app's key for next article"),
    (b"[[label]]\nname = 'claim'\n[[label]]\nname = 'claim'\n", "the scheme has a label 'claim' already"),
    (b"[[label]]\nname = 'skip'\n", "skip is the decision"),
])
def test_scheme_import_refusals(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes | None,
                                needle: str) -> None:
    make_db(capsys)
    if content is not None:
        (tmp_path / "s.toml").write_bytes(content)
    line = refused_in_one_line(capsys, "scheme", "import", "s.toml")
    assert needle in line, line


def test_scheme_export_refuses_the_databases_own_files(capsys: pytest.CaptureFixture[str]) -> None:
    make_db(capsys)
    assert "database" in refused_in_one_line(capsys, "scheme", "export", str(DB))


# ----------------------------------------------------------------------------- labels across a rename


@pytest.fixture
def renamed(capsys: pytest.CaptureFixture[str]) -> Path:
    """The sample articles labeled by ana and budi, mostly claim; then opinion is added (key o)
    and used, a final label and its votes name claim, and claim is renamed assertion."""
    make_db(capsys)
    with Database.open(DB) as db:
        for n in range(2):
            aid, spans = sentences_of(db, n)
            for k, sp in enumerate(spans):
                db.set_label(Label(aid, sp.start, sp.end, "claim" if k % 5 else "quote", "ana", T1))
                db.set_label(Label(aid, sp.start, sp.end, "claim" if k % 5 or k == 0 else "background", "budi", T1))
        aid, spans = sentences_of(db, 0)
        sp = spans[5]  # ana quote, budi background: the lead decides claim
        db.set_decision(Decision(aid, sp.start, sp.end, "claim", "lead", "", T2,
                                 (("ana", "quote"), ("budi", "background"))))
    ok(capsys, "scheme", "add", "opinion", "--key", "o")
    with Database.open(DB) as db:
        aid, spans = sentences_of(db, 1)
        for sp in spans[1:4]:
            for who in ("ana", "budi"):
                db.set_label(Label(aid, sp.start, sp.end, "opinion", who, T2))
        aid, spans = sentences_of(db, 0)
        db.set_label(Label(aid, spans[6].start, spans[6].end, "quote", "ana", T3))  # then back to claim
        db.set_label(Label(aid, spans[6].start, spans[6].end, "claim", "ana", T3))
    ok(capsys, "scheme", "rename", "claim", "assertion")
    return DB


LIVE = {"assertion", "quote", "background", "opinion"}


@pytest.mark.parametrize("gold", [False, True], ids=["labels", "gold"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_names_the_renamed_and_the_added_label(capsys: pytest.CaptureFixture[str], renamed: Path,
                                                            fmt: str, gold: bool) -> None:
    args = ["export", "--format", fmt, "-o", f"out-{fmt}"] + (["--gold"] if gold else [])
    code, _, err = run(capsys, *args)
    assert code == 0, err
    data = Path(f"out-{fmt}").read_bytes()
    found = every_label(fmt, data)
    assert "claim" not in found
    assert set(found) <= LIVE
    assert "assertion" in found and "opinion" in found
    if fmt in ("label-studio-config", "spacy-textcat", "prodigy-textcat"):
        assert set(found) == LIVE  # the scheme's categories, all of them


def test_split_export_names_and_counts_labels_as_the_scheme_does_now(capsys: pytest.CaptureFixture[str],
                                                                    renamed: Path) -> None:
    code, _, err = run(capsys, "export", "--split", "train=0.5,test=0.5", "--format", "sentences", "-o", "splits")
    assert code == 0, err
    header = next(line for line in err.splitlines() if line.startswith("split  "))
    assert "assertion" in header and "opinion" in header and "claim" not in header
    found = [x for name in ("train", "test") for x in every_label("sentences", Path(f"splits/{name}.jsonl").read_bytes())]
    assert "claim" not in found and {"assertion", "opinion"} <= set(found)
    assert len(found) == len(all_labels(renamed))


def test_the_history_names_labels_as_the_scheme_does_now(capsys: pytest.CaptureFixture[str], renamed: Path) -> None:
    for fmt in ("jsonl", "json"):
        out = ok(capsys, "export", "--history", "--format", fmt)
        found = every_label(fmt, out.encode())
        assert "claim" not in found and {"assertion", "opinion", "quote"} <= set(found)
        records = [read_record(x) for x in out.splitlines()] if fmt == "jsonl" else orjson.loads(out)
        befores = [e["before"] for r in records for e in r["history"] if e["before"]]
        assert "assertion" in befores or "quote" in befores


def test_stats_verify_and_agreement_after_the_rename(capsys: pytest.CaptureFixture[str], renamed: Path) -> None:
    assert ok(capsys, "verify").startswith("ok:")
    stats = orjson.loads(ok(capsys, "stats", "--json"))
    assert set(stats["per_label"]) == LIVE
    agree = ok(capsys, "agree", "--json")
    assert "claim" not in agree and "assertion" in agree and "opinion" in agree


def test_import_into_a_fresh_default_database_names_the_unknown_labels(capsys: pytest.CaptureFixture[str],
                                                                      renamed: Path) -> None:
    ok(capsys, "export", "-o", "out.jsonl")
    fresh = Path("fresh") / "annotations.json"
    code, out, err = run(capsys, "import", "--db", str(fresh), "out.jsonl")
    assert code == 2, (out, err)
    assert 'unknown label "assertion"' in err and 'unknown label "opinion"' in err
    assert "Traceback" not in err
    with Database.open(fresh, readonly=True) as db:
        assert db.article_infos()  # the articles came; the labels the scheme lacks did not
        held = {lab.label for info in db.article_infos() for lab in db.labels(info.id)}
    assert held <= {"quote", "background"}


def test_import_after_scheme_import_gives_back_the_same_export(capsys: pytest.CaptureFixture[str],
                                                              renamed: Path, tmp_path: Path) -> None:
    ok(capsys, "export", "-o", "out.jsonl")
    ok(capsys, "export", "--history", "-o", "hist.jsonl")
    ok(capsys, "scheme", "export", "s.toml")
    for name, src, extra in (("fresh", "out.jsonl", []), ("fresh-history", "hist.jsonl", ["--history"])):
        fresh = make_db(capsys, Path(name) / "annotations.json")
        ok(capsys, "scheme", "import", "--db", str(fresh), "s.toml")
        code, out, err = run(capsys, "import", "--db", str(fresh), src)
        assert code == 0, err
        assert "skipped" not in err
        ok(capsys, "export", "--db", str(fresh), *extra, "-o", f"{name}.jsonl")
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (tmp_path / src).read_bytes()
        with Database.open(fresh, readonly=True) as db, Database.open(DB, readonly=True) as mine:
            assert db.scheme.live == mine.scheme.live
            assert {lab.label for i in db.article_infos() for lab in db.labels(i.id)} == {
                "claim", "quote", "background", "opinion"}  # stored by id
        assert ok(capsys, "verify", "--db", str(fresh)).startswith("ok:")


def test_a_file_from_before_the_rename_imports_onto_the_same_label(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    make_db(capsys)
    label_all(DB, "claim", "ana")
    ok(capsys, "export", "--format", "sentences", "-o", "old.jsonl")
    assert "assertion" not in (tmp_path / "old.jsonl").read_text("utf-8")
    fresh = make_db(capsys, Path("fresh") / "annotations.json")
    ok(capsys, "scheme", "rename", "--db", str(fresh), "claim", "assertion")
    code, _, err = run(capsys, "import", "--db", str(fresh), "old.jsonl")
    assert code == 0, err
    assert {(lab.label, lab.annotator) for lab in all_labels(fresh)} == {("claim", "ana")}
    assert len(all_labels(fresh)) == N_SENTENCES
    assert set(every_label("sentences", ok(capsys, "export", "--db", str(fresh), "--format", "sentences").encode())) \
        == {"assertion"}


# ----------------------------------------------------------------------------- merge


def put(path: Path, article: int, index: int, label: str, who: str, when: str) -> None:
    with Database.open(path) as db:
        aid, spans = sentences_of(db, article)
        db.set_label(Label(aid, spans[index].start, spans[index].end, label, who, when))


def test_merge_of_a_copy_that_renamed_a_label_maps_by_id(capsys: pytest.CaptureFixture[str]) -> None:
    lead = make_db(capsys)
    put(lead, 0, 0, "claim", "lead", T1)
    budi = clone(lead, Path("budi") / "annotations.json")
    ok(capsys, "scheme", "rename", "--db", str(budi), "claim", "assertion")
    ok(capsys, "scheme", "add", "--db", str(budi), "opinion", "--key", "o")
    for i in range(1, 4):
        put(budi, 0, i, "claim", "budi", T2)  # the app stores the id: claim, shown as assertion
    put(budi, 0, 4, "opinion", "budi", T2)
    code, out, err = run(capsys, "merge", str(budi))
    assert code == 0, err
    assert "labels: 4 added" in out
    assert "note: the label claim is named assertion there; kept the name claim" in out
    assert "note: added the label opinion from there" in out
    with Database.open(lead, readonly=True) as db:
        assert db.scheme.names == ("claim", "quote", "background", "opinion")
        assert db.scheme.by_name("opinion").keys == ("o",)  # type: ignore[union-attr]
    assert sorted((lab.label, lab.annotator) for lab in all_labels(lead)) == [
        ("claim", "budi"), ("claim", "budi"), ("claim", "budi"), ("claim", "lead"), ("opinion", "budi")]
    # And the other way: budi merges the lead's work and keeps the name assertion.
    put(lead, 1, 0, "claim", "lead", T3)
    code, out, err = run(capsys, "merge", "--db", str(budi), str(lead))
    assert code == 0, err
    assert "note: the label assertion is named claim there; kept the name assertion" in out
    exported = ok(capsys, "export", "--db", str(budi), "--format", "sentences")
    assert sorted(every_label("sentences", exported.encode())) == ["assertion"] * 5 + ["opinion"]
    assert ok(capsys, "verify", "--db", str(budi)).startswith("ok:")
    assert ok(capsys, "verify").startswith("ok:")


def test_merge_skips_labels_of_a_label_removed_here_and_of_a_name_clash(capsys: pytest.CaptureFixture[str]) -> None:
    lead = make_db(capsys)
    budi = clone(lead, Path("budi") / "annotations.json")
    ok(capsys, "scheme", "remove", "background")  # the lead removed background (unused here)
    ok(capsys, "scheme", "add", "opinion", "--key", "o")
    put(budi, 0, 0, "background", "budi", T2)
    ok(capsys, "scheme", "add", "--db", str(budi), "view")
    ok(capsys, "scheme", "rename", "--db", str(budi), "view", "opinion")  # id view, named opinion there
    put(budi, 0, 1, "view", "budi", T2)
    put(budi, 0, 2, "quote", "budi", T2)
    before = files_of(budi)
    code, out, err = run(capsys, "merge", str(budi))
    assert code == 0, err
    assert "note: the label background was removed here; its labels from there were skipped" in out
    assert "there, opinion is another label (id view) than here; its labels were skipped" in out
    assert [(lab.label, lab.annotator) for lab in all_labels(lead)] == [("quote", "budi")]
    with Database.open(lead, readonly=True) as db:
        assert db.scheme.names == ("claim", "quote", "opinion") and not db.scheme.known("view")
    assert files_of(budi) == before  # read-only
    assert ok(capsys, "verify").startswith("ok:")


# ----------------------------------------------------------------------------- at a realistic size


N_BIG = 2_000
PER_ARTICLE = 10


def _article(n: int) -> Article:
    text, spans = "", []
    for k in range(PER_ARTICLE):
        s = f"Kalimat nomor {k} dari artikel {n} cukup panjang untuk terlihat seperti berita sungguhan."
        if text:
            text += " "
        spans.append(Span(len(text), len(text) + len(s)))
        text += s
    return Article(article_id(text), "", text, tuple(spans), (f"feed/{n}.txt",), {})


def test_rename_at_2000_articles_then_export_counts_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    DB.parent.mkdir()
    arts = [_article(n) for n in range(N_BIG)]
    with Database.open(DB) as db:
        db.add_articles(arts)
        labels = [Label(a.id, sp.start, sp.end, "claim" if (n + k) % 4 else "quote", "ana", T1)
                  for n, a in enumerate(arts) for k, sp in enumerate(a.sentences)]
        db.merge(labels, [])
    n_claim = sum(1 for lab in labels if lab.label == "claim")
    ok(capsys, "scheme", "add", "opinion", "--key", "o")
    ok(capsys, "scheme", "rename", "claim", "assertion")
    data = scheme_json(capsys)
    assert [(d["name"], d["in_use"]) for d in data["labels"]] == [
        ("assertion", n_claim), ("quote", len(labels) - n_claim), ("background", 0), ("opinion", 0)]
    ok(capsys, "export", "--format", "sentences", "-o", "all.jsonl")
    rows = [orjson.loads(line) for line in Path("all.jsonl").read_bytes().splitlines()]
    assert len(rows) == N_BIG * PER_ARTICLE == len(labels)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    assert counts == {"assertion": n_claim, "quote": len(labels) - n_claim}
    code, _, err = run(capsys, "scheme", "remove", "assertion")
    assert code == 2 and f"{n_claim:,} sentence label(s) are assertion" in err
    stats = orjson.loads(ok(capsys, "stats", "--json"))
    assert stats["per_label"]["assertion"] == n_claim and stats["annotators"][0]["articles_done"] == N_BIG

