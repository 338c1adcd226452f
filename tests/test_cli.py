from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from annotator.model import EXPORT_SCHEMA_VERSION
import pytest

from conftest import SAMPLES, run_cli


run = run_cli


pytestmark = pytest.mark.usefixtures("in_tmp")  # a fresh folder as cwd, reviewer ana (conftest)


def test_import_stats_export_default_db(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "import", str(SAMPLES))
    assert code == 0, err
    assert "2 new article(s), 0 already present, 41 sentence(s) added" in out
    assert (tmp_path / "annotations" / "annotations.json").is_file()
    code, out, _ = run(capsys, "import", str(SAMPLES))
    assert "0 new article(s), 2 already present" in out
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "Articles:   2" in out and "Sentences:  41" in out and "ana" in out
    code, out, _ = run(capsys, "stats", "--json")
    assert orjson.loads(out)["sentences"] == 41
    code, out, _ = run(capsys, "export")
    assert code == 0 and len(out.splitlines()) == 2
    assert orjson.loads(out.splitlines()[0])["schema_version"] == EXPORT_SCHEMA_VERSION
    code, _, err = run(capsys, "export", "--format", "sentences", "-o", "data.jsonl")
    assert code == 0 and "wrote data.jsonl" in err and (tmp_path / "data.jsonl").exists()


def test_db_flag_and_env(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, "import", "--db", "elsewhere/x.json", str(SAMPLES / "putin-us-relations-antara-original.txt"))
    assert (tmp_path / "elsewhere" / "x.json").is_file()
    monkeypatch.setenv("ANNOTATOR_DB", str(tmp_path / "elsewhere" / "x.json"))
    code, out, _ = run(capsys, "stats")
    assert "Articles:   1" in out


@pytest.mark.parametrize(
    ("setup", "args", "code", "needle"),
    [
        (None, ["import", "missing.txt"], 2, "missing.txt: no such file or folder"),
        ("latin1", ["import", "latin.txt"], 2, "--encoding"),
        ("binary", ["import", "blob.txt"], 2, "binary"),
        ("badjsonl", ["import", "bad.jsonl"], 2, "line 2"),
        (None, ["export", "-o", "nofolder/out.jsonl"], 3, "no database here"),
        ("db", ["export", "-o", "nofolder/out.jsonl"], 1, "nofolder: no such folder"),
        (None, ["stats"], 3, "no database here"),
    ],
)
def test_bad_input_one_line_nonzero_no_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 setup: str | None, args: list[str], code: int, needle: str) -> None:
    if setup == "latin1":
        (tmp_path / "latin.txt").write_bytes("Caf\xe9.".encode("latin-1"))
    elif setup == "binary":
        (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02")
    elif setup == "badjsonl":
        (tmp_path / "bad.jsonl").write_bytes(b'{"text": "ok"}\n{oops\n')
    elif setup == "db":
        run(capsys, "import", str(SAMPLES))
    got, _, err = run(capsys, *args)
    assert got == code, err
    assert needle in err
    assert "Traceback" not in err


def test_damaged_database_is_refused_and_left_untouched(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "annotations" / "annotations.json"
    db.parent.mkdir()
    db.write_bytes(b'{"articles": tru')
    for args in (["import", str(SAMPLES)], ["stats"], ["export"]):
        code, _, err = run(capsys, *args)
        assert code == 3 and "annotations.json" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert db.read_bytes() == b'{"articles": tru'


def test_python_m_and_help_everywhere() -> None:
    for cmd in ([], ["label"], ["import"], ["export"], ["stats"]):
        out = subprocess.run([sys.executable, "-m", "annotator", *cmd, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "--db" in out.stdout, out.stderr
