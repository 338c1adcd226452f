"""Issue 10: every bad input is one clear line naming the file, a non-zero exit, never a
traceback, a hang or a half-written database.

Outputs that would land on the database's own files, sources that are not regular files,
JSONL lines nested too deep or holding integers beyond 64 bits, the same article twice in
one JSONL file (two exports concatenated), and reviewer names that cannot be shown.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import annotator.settings
from annotator.errors import InputError
from annotator.model import Decision, Label, internal_id
from annotator.names import MAX_NAME_CHARS, check_name
from annotator.outputs import check_output_path
from annotator.sanitize import sanitize
from annotator.storage import Database
from annotator.verify import verify
from conftest import SAMPLES, run_cli

DB = Path("annotations") / "annotations.json"
FOLDER = Path("annotations") / "annotations.d"
T1, T2, T3 = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"

run = run_cli


pytestmark = pytest.mark.usefixtures("in_tmp")  # a fresh folder as cwd, reviewer ana (conftest)


def make_db(capsys: pytest.CaptureFixture[str], db: Path = DB) -> Path:
    code, _, err = run(capsys, "import", "--db", str(db), str(SAMPLES))
    assert code == 0, err
    return db


def snapshot(db: Path = DB, locks: bool = False) -> dict[str, bytes]:
    """Every file of the database (index, folder; lock files too if ``locks``)."""
    files = {}
    for f in [db, *sorted(db.parent.rglob("*"))]:
        if f.is_file() and (locks or ".lock" not in f.name):
            files[str(f)] = f.read_bytes()
    return files


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and all(sanitize(x) == x for x in lines)
    return lines[0]


def cli_process(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process: a hang fails the test (timeout), a runaway read hits a
    memory limit instead of the machine."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "annotator", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=20, preexec_fn=limit_memory,
                          env={**os.environ, "ANNOTATOR": "ana", **(env or {})})


# ----------------------------------------------------------------------------- 1. outputs


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("annotations/annotations.json", "the database's index file"),
        ("annotations/../annotations/annotations.json", "the database's index file"),
        ("./annotations//annotations.json", "the database's index file"),
        ("annotations/annotations.json.lock", "the database's lock file"),
        ("annotations/annotations.json.lock.info", "the database's lock file"),
        ("annotations/annotations.d", "inside the database's folder"),
        ("annotations/annotations.d/new.jsonl", "inside the database's folder"),
        ("annotations/annotations.d/articles/new.json", "inside the database's folder"),
        ("annotations/annotations.d/nofolder/yet/x.jsonl", "inside the database's folder"),
        ("link-to-index.json", "the database's index file"),
        ("link-to-folder/x.jsonl", "inside the database's folder"),
        ("link-to-folder/../annotations.json", "the database's index file"),  # .. after a link: the link's target
    ],
)
def test_export_never_writes_over_the_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               target: str, needle: str) -> None:
    make_db(capsys)
    os.symlink("annotations/annotations.json", "link-to-index.json")
    os.symlink("annotations/annotations.d", "link-to-folder")
    Path("annotations/annotations.json.lock.info").write_bytes(b"{}")  # left by a killed writer, say
    existed = os.path.lexists(target)
    before = snapshot(locks=True)
    for fmt in ("jsonl", "json"):
        code, out, err = run(capsys, "export", "--format", fmt, "-o", target)
        assert code == 2 and out == ""
        line = one_line(err)
        assert line.startswith(f"annotator: bad input: -o {Path(target)}: that is ") and needle in line
    assert snapshot(locks=True) == before
    assert os.path.lexists(target) == existed
    assert verify(DB).ok
    # and an export next to the database is still fine
    code, _, err = run(capsys, "export", "-o", "annotations/export.jsonl")
    assert code == 0 and len(Path("annotations/export.jsonl").read_bytes().splitlines()) == 2, err


def test_export_guards_the_files_of_a_database_given_through_a_link(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    """--db link.json -> real/annotations.json: the storage names its lock and folder after the
    link (link.json.lock, link.d) and writes through to real/annotations.json; all are guarded."""
    make_db(capsys, Path("real/annotations.json"))
    os.symlink("real/annotations.json", "link.json")
    make_db(capsys, Path("link.json"))  # creates link.d next to the link
    before = snapshot(Path("real/annotations.json")), snapshot(Path("link.json"))
    for target, needle in [("real/annotations.json", "index file"), ("link.json", "index file"),
                           ("link.json.lock", "lock file"), ("link.d/x.jsonl", "inside the database's folder"),
                           ("real/annotations.d/x.jsonl", "inside the database's folder")]:
        code, _, err = run(capsys, "--db", "link.json", "export", "-o", target)
        assert code == 2 and needle in one_line(err), (target, err)
        assert not Path(target).name.endswith(".jsonl") or not os.path.lexists(target)
    assert (snapshot(Path("real/annotations.json")), snapshot(Path("link.json"))) == before


def test_check_output_path_compares_resolved_paths(tmp_path: Path) -> None:
    db = tmp_path / "team" / "annotations.json"
    (tmp_path / "team" / "annotations.d").mkdir(parents=True)
    db.write_bytes(b"{}")
    os.link(db, tmp_path / "hard.json")
    for bad in (db, tmp_path / "team" / ".." / "team" / "annotations.json", tmp_path / "hard.json",
                tmp_path / "team" / "annotations.json.lock", tmp_path / "team" / "annotations.d" / "a" / "b.json"):
        with pytest.raises(InputError):
            check_output_path(Path(os.path.relpath(db)), bad)
    for ok in (tmp_path / "team" / "export.jsonl", tmp_path / "team" / "annotations.dx" / "a.json",
               tmp_path / "team" / "annotations.json.bak", tmp_path / "annotations.json"):
        check_output_path(db, ok)
    # --db x.d: the storage's folder is then x.d.d
    with pytest.raises(InputError, match="inside the database's folder"):
        check_output_path(tmp_path / "x.d", tmp_path / "x.d.d" / "out.jsonl")


# ----------------------------------------------------------------------------- 2. regular files only


def test_db_that_is_a_device_or_a_fifo_is_one_line_and_never_hangs(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    for db in ("/dev/zero", "pipe.json"):
        for cmd in (["stats"], ["export"], ["verify"], ["import", str(SAMPLES)]):
            proc = cli_process(tmp_path, "--db", db, *cmd)
            assert proc.returncode != 0 and proc.stdout == "", (db, cmd, proc.stderr)
            line = one_line(proc.stderr)
            assert db in line and ("FIFO" in line or "device" in line), line
    assert not (tmp_path / "pipe.json.lock").exists() and not (tmp_path / "pipe.d").exists()


def test_merge_source_that_is_a_fifo_or_a_device_is_refused_unopened(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    make_db(capsys)
    good = tmp_path / "budi" / "annotations.json"
    good.parent.mkdir()
    shutil.copy(DB, good)
    shutil.copytree(FOLDER, good.parent / "annotations.d")
    os.mkfifo(tmp_path / "pipe.json")
    before = snapshot()
    proc = cli_process(tmp_path, "merge", "pipe.json", "/dev/zero", str(good))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "error: pipe.json: a named pipe (FIFO), not a database file; give another reviewer's annotations.json "
        "(a regular file)",
        "error: /dev/zero: a device, not a database file; give another reviewer's annotations.json (a regular file)",
        "2 database(s) not merged; fix them and run merge again (merging twice changes nothing)",
    ]
    assert proc.stdout.startswith(f"merged {good}: ")  # the good one still came in
    assert snapshot() == before  # and it held nothing new


def test_import_of_a_device_given_by_name_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Even without a .txt name, a device or FIFO named on the command line is refused, not
    quietly skipped as 'not a .txt file'."""
    os.mkfifo(tmp_path / "pipe")
    proc = cli_process(tmp_path, "import", "/dev/zero", "pipe", str(SAMPLES / "putin-us-relations-antara-original.txt"))
    assert proc.returncode == 2
    assert proc.stdout.startswith("1 new article(s)")
    assert proc.stderr.splitlines() == [
        "error: /dev/zero: a device, not a regular file; import regular files only",
        "error: pipe: a named pipe (FIFO), not a regular file; import regular files only",
        "2 file(s) not imported; fix them and import again (the rest was imported)",
    ]


# ----------------------------------------------------------------------------- 3. nesting


def nested(depth: int, kind: str) -> str:
    """A JSON value ``depth`` containers deep."""
    if kind == "dict":
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


def article_files() -> set[str]:
    return {p.stem for p in (FOLDER / "articles").glob("*.json")}


@pytest.mark.parametrize("kind", ["dict", "list"])
@pytest.mark.parametrize("depth", [255, 300, 1000, 10000])
def test_jsonl_nested_too_deep_is_refused_and_other_files_still_import(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, depth: int, kind: str) -> None:
    Path("deep.jsonl").write_text('{"text": "Dalam sekali. Ya."}\n'
                                  f'{{"text": "Terlalu dalam. Ya.", "meta": {{"x": {nested(depth, kind)}}}}}\n')
    # Right at the limit: the line's object is level 1, meta 2, so 98 more levels fit in 100.
    Path("edge.jsonl").write_text(f'{{"text": "Pas batasnya. Ya.", "meta": {{"x": {nested(98, kind)}}}}}\n')
    Path("good.jsonl").write_text('{"text": "Berita baik. Selesai.", "meta": {"n": 1}}\n')
    code, out, err = run(capsys, "import", "deep.jsonl", "edge.jsonl", "good.jsonl")
    assert code == 2 and "Traceback" not in err
    assert out == "2 new article(s), 0 already present, 4 sentence(s) added\n"
    lines = err.splitlines()
    assert lines[0].startswith("error: deep.jsonl: line 2: nested deeper than 100 levels")
    assert lines[0].endswith("(nothing from this file was imported)") and len(lines[0]) < 300
    assert lines[1:] == ["1 file(s) not imported; fix them and import again (the rest was imported)"]
    with Database.open(DB, readonly=True) as db:
        infos = db.article_infos()
        assert sorted(db.get_article(i.id).text for i in infos) == ["Berita baik. Selesai.", "Pas batasnya. Ya."]
        edge = next(a for a in map(db.get_article, (i.id for i in infos)) if a.text.startswith("Pas"))
        assert edge.meta == {"x": orjson.loads(nested(98, kind))}
        assert article_files() == {i.id for i in infos}  # no orphan article files
    assert verify(DB).ok


def test_nesting_is_checked_in_every_part_of_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Another tool's extra keys (kept in meta) and our own export's fields are checked too."""
    Path("a.jsonl").write_text(f'{{"text": "Satu. Dua.", "extra": {nested(150, "list")}}}\n')
    code, _, err = run(capsys, "import", "a.jsonl")
    assert code == 2 and err.startswith("error: a.jsonl: line 1: nested deeper than 100 levels (at extra")
    assert not (FOLDER / "articles").exists() or article_files() == set()


# ----------------------------------------------------------------------------- 4. integers beyond 64 bits


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ('{"text": "Angka besar. Ya.", "meta": {"x": %d}}' % 2**70, "integer 1180591620717411303424 at meta.x"),
        ('{"text": "Angka besar. Ya.", "meta": {"x": %d}}' % -2**70, "integer -1180591620717411303424 at meta.x"),
        ('{"text": "Angka besar. Ya.", "meta": {"x": [1, 2.5, %d]}}' % 2**64, "integer 18446744073709551616 at "
                                                                             "meta.x[2]"),
        ('{"text": "Angka besar. Ya.", "count": %d}' % (-2**63 - 1), "integer -9223372036854775809 at count"),
        ('{"text": "Angka besar. Ya.", "meta": {"x": %d}}' % 10**300, "integer 10000000000000000000… (301 digits) "
                                                                     "at meta.x"),
    ],
    ids=["2**70", "-2**70", "2**64-in-a-list", "-2**63-1-extra-key", "10**300"],
)
def test_integer_beyond_64_bits_is_refused_not_turned_into_a_float(capsys: pytest.CaptureFixture[str], line: str,
                                                                    shown: str) -> None:
    Path("big.jsonl").write_text('{"text": "Pertama. Ya."}\n' + line + "\n")
    fits = {"max": 2**64 - 1, "min": -2**63, "f": 0.5, "long": "12345678901234567890123", "e": 1e21}
    Path("fits.jsonl").write_bytes(orjson.dumps({"text": "Angka pas. Ya.", "meta": fits}) + b"\n")
    code, out, err = run(capsys, "import", "big.jsonl", "fits.jsonl")
    assert code == 2 and out.startswith("1 new article(s)")
    assert err.splitlines()[0] == (f"error: big.jsonl: line 2: {shown} does not fit in 64 bits; store it as a "
                                   f"string (in quotes) and import again (nothing from this file was imported)")
    with Database.open(DB, readonly=True) as db:
        (info,) = db.article_infos()
        meta = db.get_article(info.id).meta
        assert meta == fits and type(meta["max"]) is int and type(meta["e"]) is float
    code, out, _ = run(capsys, "export")
    assert orjson.loads(orjson.loads(out)["meta"])["max"] == 2**64 - 1  # meta is a JSON string since schema 3


# ----------------------------------------------------------------------------- 5. the same article twice


def _two_reviewers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[str, list[tuple[int, int]]]:
    """ana/annotations.json and budi/annotations.json: copies of one database, each with its
    reviewer's labels, a clear and a final label."""
    make_db(capsys)
    with Database.open(DB) as db:
        aid = db.article_infos()[0].id
        spans = [(s.start, s.end) for s in db.get_article(aid).sentences]
        db.set_label(Label(aid, *spans[1], "claim", "ana", T1))
        db.set_label(Label(aid, *spans[2], "quote", "budi", T1))
    for who in ("ana", "budi"):
        (tmp_path / who).mkdir()
        shutil.copy(DB, tmp_path / who / "annotations.json")
        shutil.copytree(FOLDER, tmp_path / who / "annotations.d")
    with Database.open(tmp_path / "ana" / "annotations.json") as db:
        db.set_label(Label(aid, *spans[0], "claim", "ana", T2))
        db.clear_label(aid, *spans[1], "ana", T2)
        db.set_decision(Decision(aid, *spans[3], "claim", "ana", "ana decided", T2))
    with Database.open(tmp_path / "budi" / "annotations.json") as db:
        db.set_label(Label(aid, *spans[0], "background", "budi", T2))
        db.clear_label(aid, *spans[2], "budi", T3)
        db.set_decision(Decision(aid, *spans[4], "quote", "budi", "budi decided", T3))
    return aid, spans


def test_two_exports_concatenated_import_like_two_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    aid, spans = _two_reviewers(capsys, tmp_path)
    parts = []
    for who in ("ana", "budi"):
        code, out, err = run(capsys, "--db", f"{who}/annotations.json", "export")
        assert code == 0, err
        lines = [orjson.loads(x) for x in out.splitlines()]
        line = next(x for x in lines if internal_id(x["id"]) == aid)
        if who == "ana":  # the first line has no title and no meta: the second's count
            line["title"], line["meta"] = "", {}
        else:
            line["title"], line["meta"] = "Judul dari budi", {"source_db": "budi"}
        parts.append(orjson.dumps(line))
    Path("all.jsonl").write_bytes(b"\n".join(parts) + b"\n")  # what `cat ana.jsonl budi.jsonl` gives
    code, out, err = run(capsys, "--db", "fresh/annotations.json", "import", "all.jsonl")
    assert code == 0, err
    with Database.open(Path("fresh/annotations.json"), readonly=True) as db:
        labels = {(x.start, x.end, x.annotator): x.label for x in db.labels(aid)}
        assert labels == {(*spans[0], "ana"): "claim", (*spans[0], "budi"): "background"}
        assert {(c.start, c.end, c.annotator) for c in db.cleared(aid)} == {(*spans[1], "ana"), (*spans[2], "budi")}
        assert {(d.start, d.end, d.label, d.by) for d in db.decisions(aid)} == {
            (*spans[3], "claim", "ana"), (*spans[4], "quote", "budi")}
        (info,) = [i for i in db.article_infos() if i.id == aid]
        article = db.get_article(aid)
        assert info.title == article.title == "Judul dari budi"
        assert article.meta == {"source_db": "budi"}
        assert len(article.sources) == len(set(article.sources)) >= 1
    # into the lead's database (which has ana's and budi's older labels): the later decisions win
    code, out, err = run(capsys, "import", "all.jsonl")
    assert code == 0, err
    with Database.open(DB, readonly=True) as db:
        assert {(x.start, x.end, x.annotator): x.label for x in db.labels(aid)} == {
            (*spans[0], "ana"): "claim", (*spans[0], "budi"): "background"}
        assert {d.by for d in db.decisions(aid)} == {"ana", "budi"}


def test_same_text_in_two_jsonl_lines_joins_title_meta_and_sources(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.jsonl").write_text('{"text": "Sama saja. Ya.", "meta": {}}\n'
                               '{"text": "Sama saja. Ya.", "title": "Judul", "meta": {"k": 1}}\n'
                               '{"text": "Sama saja. Ya.", "title": "Lain", "meta": {"k": 2}}\n')
    code, out, err = run(capsys, "import", "a.jsonl")
    assert code == 0 and out.startswith("1 new article(s)"), err
    with Database.open(DB, readonly=True) as db:
        (info,) = db.article_infos()
        article = db.get_article(info.id)
        assert (info.title, article.meta) == ("Judul", {"k": 1})
        assert article.sources == ("a.jsonl:1", "a.jsonl:2", "a.jsonl:3")


# ----------------------------------------------------------------------------- 6. names


BAD_NAMES = [
    ("a\x1b[2Jb", "control or invisible character (U+001B"),
    ("a\nb", "U+000A"),
    ("a\tb", "U+0009"),
    ("a\x7fb", "U+007F"),
    ("a\x85b", "U+0085"),
    ("a\x9b31mb", "U+009B"),
    ("a\u202eb", "U+202E"),
    (" ana", "begins or ends with whitespace"),
    ("ana ", "begins or ends with whitespace"),
    ("ana\u00a0", "begins or ends with whitespace"),
    ("a" * (MAX_NAME_CHARS + 1), f"65 characters long, over the {MAX_NAME_CHARS} allowed"),
    ("x" * 100_000, f"100000 characters long, over the {MAX_NAME_CHARS} allowed"),
]


@pytest.mark.parametrize(("name", "why"), BAD_NAMES, ids=lambda v: ascii(v[:12]) if isinstance(v, str) else None)
def test_bad_annotator_name_is_one_short_line_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                     name: str, why: str) -> None:
    make_db(capsys)
    before = snapshot()
    for args in (["stats", "--annotator", name], ["--annotator", name, "stats"], ["import", "--annotator", name,
                                                                                  str(SAMPLES)]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == ""
        line = one_line(err)
        assert line.startswith('annotator: bad input: --annotator "') and why in line and len(line) < 250
    monkeypatch.setenv("ANNOTATOR", name)
    code, out, err = run(capsys, "stats")
    assert code == 2 and out == "" and one_line(err).startswith('annotator: bad input: ANNOTATOR "') and why in err
    assert snapshot() == before


def test_empty_annotator_is_an_error_not_the_login_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", "--annotator", "", str(SAMPLES))
    assert code == 2 and out == ""
    assert one_line(err) == ("annotator: bad input: --annotator is empty; give the name to label under, e.g. "
                             "--annotator ana")
    assert not DB.exists()  # nothing written
    code, _, err = run(capsys, "--annotator", "", "stats")
    assert code == 2 and "--annotator is empty" in err


def test_login_name_fallback_passes_the_same_check(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    make_db(capsys)
    monkeypatch.delenv("ANNOTATOR")
    monkeypatch.setattr(annotator.settings.getpass, "getuser", lambda: "root\x1b]0;pwned\x07")
    code, out, err = run(capsys, "stats")
    assert code == 2 and out == ""
    assert one_line(err).startswith('annotator: bad input: your login name "root␛]0;pwned␇": the name holds a '
                                    "control or invisible character (U+001B")
    assert "pass --annotator NAME" in err
    monkeypatch.setenv("ANNOTATOR", "")  # an empty ANNOTATOR is unset: the login name it is
    monkeypatch.setattr(annotator.settings.getpass, "getuser", lambda: "citra")
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "citra" in out


def test_name_length_limit_and_good_names(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("ana", "Ana Putri", "budi.s@kantor", "アナ", "a" * MAX_NAME_CHARS, "Ñoño-2"):
        assert check_name(name, "--annotator") == name
    make_db(capsys)
    code, out, err = run(capsys, "stats", "--annotator", "Ana Putri")
    assert code == 0 and "Ana Putri" in out, err
    assert run(capsys, "stats", "--annotator", "é" * MAX_NAME_CHARS)[0] == 0
    code, out, err = run(capsys, "stats", "--annotator", "é" * (MAX_NAME_CHARS + 1))
    assert code == 2 and out == "" and "65 characters long" in one_line(err)
    with pytest.raises(InputError, match='^label "a\\\\x' + "ff" + 'b": the name is not valid UTF-8'):
        check_name("a\udcffb", "label")
