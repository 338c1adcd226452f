"""``annotator verify``: each kind of damage, made by editing the files directly, is named."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.errors import DatabaseCorrupt
from annotator.importer import apply_import, plan_import
from annotator.model import Label
from annotator.storage import Database
from annotator.verify import verify
from conftest import SAMPLES

Tables = dict[str, dict[str, dict[str, Any]]]


@pytest.fixture
def dbpath(tmp_path: Path) -> Path:
    """The two samples, three labels by ana and one by bob; closed."""
    path = tmp_path / "annotations" / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
        first = db.article_infos()[0].id
        spans = db.get_article(first).sentences
        for n, (name, who) in enumerate([("claim", "ana"), ("quote", "ana"), ("background", "ana"), ("claim", "bob")]):
            sp = spans[n % 3]
            db.set_label(Label(first, sp.start, sp.end, name, who, f"2026-01-0{n + 1}T10:00:00.000Z"))
    return path


def run(capsys: pytest.CaptureFixture[str], dbpath: Path, *extra: str) -> tuple[int, list[str]]:
    try:
        main(["verify", "--db", str(dbpath), *extra])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert err == "" and "Traceback" not in out
    return code, out.splitlines()


def ids(dbpath: Path) -> list[str]:
    with Database.open(dbpath, readonly=True) as db:
        return [i.id for i in db.article_infos()]


def folder(dbpath: Path, kind: str) -> Path:
    return dbpath.parent / "annotations.d" / kind


def edit(path: Path, change: Callable[[Tables], None]) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def article_doc(data: Tables) -> dict[str, Any]:
    return data["article"]["1"]


def first_label(data: Tables) -> dict[str, Any]:
    return data["labels"]["1"]


def assert_problems(capsys: pytest.CaptureFixture[str], dbpath: Path, *expected: tuple[Path, str]) -> list[str]:
    """Exit 3, one line per problem naming its file, and the verdict last."""
    code, lines = run(capsys, dbpath)
    assert code == 3, lines
    *problems, verdict = lines
    errors = [p for p in problems if p.startswith("error: ")]
    assert len(errors) == len(expected), lines
    for path, needle in expected:
        assert any(p.startswith(f"error: {path}: ") and needle in p for p in errors), (path, needle, lines)
    n = len(expected)
    assert verdict == (
        f"{n} problem{'s' * (n != 1)} found in {dbpath}; restore the damaged files from a backup or an export "
        f"(annotator import data.jsonl into a new --db)"
    )
    return problems


# ----------------------------------------------------------------------------- healthy


def test_healthy_database(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    assert run(capsys, dbpath) == (0, ["ok: 2 articles, 41 sentences, 4 labels checked"])
    code, lines = run(capsys, dbpath, "--json")
    report = orjson.loads("\n".join(lines))
    assert code == 0 and report["ok"] is True and report["findings"] == []
    assert (report["articles"], report["sentences"], report["labels"]) == (2, 41, 4)


def test_works_while_the_app_holds_the_database(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    before = {p: p.read_bytes() for p in dbpath.parent.rglob("*") if p.is_file()}
    with Database.open(dbpath):  # the writer's lock, as the app holds it
        assert run(capsys, dbpath)[0] == 0
    after = {p: p.read_bytes() for p in dbpath.parent.rglob("*") if p.is_file()}
    assert after == before  # read-only: not one byte changed


def test_no_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, lines = run(capsys, tmp_path / "none.json")
    assert code == 3 and lines[0] == f"error: {tmp_path / 'none.json'}: does not exist; check --db"
    assert not (tmp_path / "none.json").exists()


def test_help() -> None:
    out = subprocess.run([sys.executable, "-m", "annotator", "verify", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--db" in out.stdout and "--annotator" in out.stdout and "--json" in out.stdout


# ----------------------------------------------------------------------------- the index


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"project": {"1": {"schema_', "not valid JSON"),
        (b"", "the file is empty"),
        (b"[]", "not a TinyDB file"),
        (b'{"project": {}}', "exactly one 'project' record"),
        (b'{"project": {"1": {"schema_version": 99, "scheme": []}}}', "newer annotator (schema 99"),
    ],
    ids=["truncated", "empty", "wrong shape", "no project", "newer schema"],
)
def test_damaged_index(capsys: pytest.CaptureFixture[str], dbpath: Path, content: bytes, needle: str) -> None:
    dbpath.write_bytes(content)
    assert_problems(capsys, dbpath, (dbpath, needle))
    assert dbpath.read_bytes() == content


def test_index_sentence_count_differs_from_the_article(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    edit(dbpath, lambda d: d["articles"]["2"].update(n_sentences=5))
    assert_problems(capsys, dbpath, (dbpath, f"article {ids(dbpath)[1]}: the index counts 5 sentences, its file holds 22"))


# ----------------------------------------------------------------------------- article files


def test_missing_article_file(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    aid = ids(dbpath)[1]
    path = folder(dbpath, "articles") / f"{aid}.json"
    path.unlink()
    assert_problems(capsys, dbpath, (path, f"missing: article {aid} is listed in the index"))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d.update(article={}), "holds 0 article records, not 1"),
        (lambda d: article_doc(d).update(text=article_doc(d)["text"].replace("Putin", "Putln")), "does not match id"),
        (lambda d: article_doc(d).update(id="0123456789abcdef"), "the record's id is '0123456789abcdef'"),
        (lambda d: article_doc(d).pop("text"), "the article has no text"),
        (lambda d: article_doc(d).update(sentences="0-10"), "no sentence list"),
        (lambda d: article_doc(d)["sentences"].reverse(), "starts before the previous one ends"),
        (lambda d: article_doc(d)["sentences"].append([10**6, 10**6 + 5]), "outside the text"),
        (lambda d: article_doc(d)["sentences"].append([40, 40]), "is empty or outside the text"),
        (lambda d: article_doc(d)["sentences"].append(["a", 3]), "not a [start, end] pair of integers"),
        (lambda d: article_doc(d)["sentences"][2].__setitem__(0, article_doc(d)["sentences"][2][0] - 1),
         "begins or ends with whitespace"),
    ],
    ids=["no record", "text changed", "id changed", "no text", "sentences not a list", "unordered", "out of range",
         "empty", "not a pair", "edge whitespace"],
)
def test_damaged_article_file(capsys: pytest.CaptureFixture[str], dbpath: Path, change: Callable[[Tables], None],
                              needle: str) -> None:
    path = folder(dbpath, "articles") / f"{ids(dbpath)[1]}.json"
    edit(path, change)
    code, lines = run(capsys, dbpath)
    *problems, verdict = lines
    assert code == 3 and problems and verdict.startswith(f"{len(problems)} problem")
    # A reversed list is out of order at every sentence: several lines, all naming the file.
    assert all(p.startswith(f"error: {path}: ") for p in problems), lines
    assert any(needle in p for p in problems), lines


def test_unreadable_article_file(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    path = folder(dbpath, "articles") / f"{ids(dbpath)[0]}.json"
    path.write_bytes(path.read_bytes()[:50])
    # Its labels can no longer be checked against its sentences, but their names and times still are.
    edit(folder(dbpath, "labels") / path.name, lambda d: first_label(d).update(label="opinion"))
    assert_problems(capsys, dbpath, (path, "not valid JSON"), (folder(dbpath, "labels") / path.name, "'opinion'"))


# ----------------------------------------------------------------------------- labels files


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: first_label(d).update(start=first_label(d)["start"] + 1), "is not a sentence of the article"),
        (lambda d: first_label(d).update(label="opinion"), "label 'opinion' is not in the label scheme (claim, quote"),
        (lambda d: first_label(d).update(annotator=""), "the annotator is '', not a name"),
        (lambda d: first_label(d).update(updated_at="yesterday"), "updated_at 'yesterday' is not an ISO time"),
        (lambda d: first_label(d).update(start="0"), "start/end are '0'/"),
        (lambda d: d["labels"].update({"9": d["labels"]["1"]}), "a second record for"),
    ],
    ids=["offsets", "label name", "annotator", "time", "malformed", "duplicate"],
)
def test_bad_label(capsys: pytest.CaptureFixture[str], dbpath: Path, change: Callable[[Tables], None],
                   needle: str) -> None:
    path = folder(dbpath, "labels") / f"{ids(dbpath)[0]}.json"
    edit(path, change)
    problems = assert_problems(capsys, dbpath, (path, needle))
    assert problems[0].startswith(f"error: {path}: label record ")


@pytest.mark.parametrize("content", [b"", b'{"labels": {"1": {"start": 0, "e', b'{"labels": [1]}', b"\xff\xfe"])
def test_damaged_labels_file(capsys: pytest.CaptureFixture[str], dbpath: Path, content: bytes) -> None:
    path = folder(dbpath, "labels") / f"{ids(dbpath)[0]}.json"
    path.write_bytes(content)
    assert_problems(capsys, dbpath, (path, ""))
    assert path.read_bytes() == content


def test_every_problem_is_listed_not_only_the_first(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    first, second = ids(dbpath)
    (folder(dbpath, "articles") / f"{second}.json").unlink()

    def spoil(d: Tables) -> None:
        d["labels"]["1"]["label"] = "opinion"
        d["labels"]["2"]["annotator"] = " "
        d["labels"]["3"]["updated_at"] = 5

    edit(folder(dbpath, "labels") / f"{first}.json", spoil)
    problems = assert_problems(
        capsys, dbpath,
        (folder(dbpath, "articles") / f"{second}.json", "missing"),
        (folder(dbpath, "labels") / f"{first}.json", "label record 1: label 'opinion'"),
        (folder(dbpath, "labels") / f"{first}.json", "label record 2: the annotator is ' '"),
        (folder(dbpath, "labels") / f"{first}.json", "label record 3: updated_at 5"),
    )
    assert len(problems) == 4


# ----------------------------------------------------------------------------- leftovers (warnings)


def test_orphans_and_temp_files_are_warnings(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    orphan_article = folder(dbpath, "articles") / "00ff00ff00ff00ff.json"
    orphan_article.write_bytes(b'{"article": {}}')
    orphan_labels = folder(dbpath, "labels") / "00ff00ff00ff00ff.json"
    orphan_labels.write_bytes(b"")
    temps = [folder(dbpath, "labels") / ".x.json.abc.tmp", dbpath.parent / f".{dbpath.name}.k2j.tmp"]
    for t in temps:
        t.write_bytes(b"{")
    code, lines = run(capsys, dbpath)
    assert code == 0, lines
    assert lines[-1] == "ok: 2 articles, 41 sentences, 4 labels checked (4 warnings, harmless)"
    warnings = lines[:-1]
    assert len(warnings) == 4 and all(w.startswith("warning: ") for w in warnings)
    for path in (orphan_article, orphan_labels, *temps):
        assert any(w.startswith(f"warning: {path}: ") for w in warnings), (path, warnings)
    assert sum("interrupted import" in w for w in warnings) == 2
    assert sum("temp file" in w for w in warnings) == 2


# ----------------------------------------------------------------------------- elsewhere


def test_damage_messages_elsewhere_point_to_verify(capsys: pytest.CaptureFixture[str], dbpath: Path) -> None:
    aid = ids(dbpath)[0]
    (folder(dbpath, "labels") / f"{aid}.json").write_bytes(b"{")
    (folder(dbpath, "articles") / f"{ids(dbpath)[1]}.json").unlink()
    with Database.open(dbpath, readonly=True) as db:
        for attempt in (lambda: db.labels(aid), lambda: db.get_article(ids(dbpath)[1])):
            with pytest.raises(DatabaseCorrupt, match="`annotator verify` lists every damaged file"):
                attempt()
    try:
        main(["stats", "--db", str(dbpath)])
    except SystemExit as exc:
        assert exc.code == 3
    err = capsys.readouterr().err
    assert "annotator verify" in err and len(err.splitlines()) == 1


def test_never_a_traceback_on_random_damage(dbpath: Path) -> None:
    """Whatever bytes or values end up in the files, verify reports and returns."""
    rnd = random.Random(5)
    files = sorted(p for p in dbpath.parent.rglob("*.json") if p.is_file())
    originals = {p: p.read_bytes() for p in files}
    junk: list[Any] = [None, True, -1, 2**40, 1.5, "", "x", [], {}, [1], [[0, 1]], {"1": {}}, "\u0000"]

    def mutate(value: Any) -> Any:
        if isinstance(value, dict) and value and rnd.random() < 0.7:
            key = rnd.choice(list(value))
            value[key] = mutate(value[key])
            return value
        if isinstance(value, list) and value and rnd.random() < 0.7:
            i = rnd.randrange(len(value))
            value[i] = mutate(value[i])
            return value
        return rnd.choice(junk)

    for _ in range(300):
        path = rnd.choice(files)
        data = orjson.loads(originals[path])
        if rnd.random() < 0.2:
            raw = originals[path][: rnd.randrange(len(originals[path]))]
        else:
            raw = orjson.dumps(mutate(data))
        path.write_bytes(raw)
        report = verify(dbpath)
        assert report.verdict()
        path.write_bytes(originals[path])
    assert verify(dbpath).findings == []
