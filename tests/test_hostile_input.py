"""Every class of broken or hostile input gets one clear line, the right exit status, no
traceback, and leaves nothing half-written.  Through the real CLI entry point (``main``)."""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import annotator.atomicio
import annotator.export
import annotator.importer
from annotator.cli import main
from annotator.importer import path_from_text, path_text
from annotator.sanitize import sanitize
from annotator.storage import Database
from conftest import SAMPLES

DB = "db/annotations.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["--db", DB, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    for stream in (out, err):
        assert "Traceback" not in stream
        assert all(sanitize(line) == line for line in stream.split("\n")), stream  # nothing reaches the terminal raw
    return code, out, err


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(("error:", "annotator:"))]


def texts(tmp_path: Path) -> list[str]:
    """The texts in the database, in import order (none if there is no database)."""
    path = tmp_path / DB
    if not path.exists():
        return []
    with Database.open(path, readonly=True) as db:
        return [db.get_article(i.id).text for i in db.article_infos()]


pytestmark = pytest.mark.usefixtures("in_tmp")  # a fresh folder as cwd, reviewer ana (conftest)


def write(name: str | bytes, data: bytes) -> Path:
    with open(name, "wb") as f:
        f.write(data)
    return Path(os.fsdecode(name))


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Kafé satu. Dua.\n".encode(), "Kafé satu. Dua.\n"),
        (codecs.BOM_UTF8 + "Kafé BOM. Dua.\n".encode(), "Kafé BOM. Dua.\n"),
        ("Kafé UTF-16. Dua.\r\n".encode("utf-16"), "Kafé UTF-16. Dua.\r\n"),
        (codecs.BOM_UTF16_BE + "Kafé UTF-16BE. Dua.\n".encode("utf-16-be"), "Kafé UTF-16BE. Dua.\n"),
        ("Kafé UTF-32. Dua.\n".encode("utf-32"), "Kafé UTF-32. Dua.\n"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "utf32-bom"],
)
def test_unicode_encodings_import_exactly(capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes,
                                          expected: str) -> None:
    write("a.txt", data)
    code, out, err = run(capsys, "import", "a.txt")
    assert code == 0, err
    assert out == "1 new article(s), 0 already present, 2 sentence(s) added\n"
    assert texts(tmp_path) == [expected]


@pytest.mark.parametrize(
    ("text", "encoding", "hint"),
    [
        ("Café au lait. Ça va.\n", "latin-1", "--encoding cp1252 (or latin-1"),
        ("“Smart quotes” — café. Dua.\n", "cp1252", "--encoding cp1252"),
    ],
)
def test_legacy_encodings_need_the_flag_and_import_with_it(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          text: str, encoding: str, hint: str) -> None:
    write("legacy.txt", text.encode(encoding))
    code, out, err = run(capsys, "import", "legacy.txt")
    assert code == 2
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert line.startswith("error: legacy.txt: not UTF-8 (line 1, byte ") and hint in line
    assert texts(tmp_path) == []
    code, out, err = run(capsys, "import", "--encoding", encoding, "legacy.txt")
    assert code == 0, err
    assert texts(tmp_path) == [text]


def test_utf16_without_bom_is_recognised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("u16.txt", "Tanpa BOM. Dua.\n".encode("utf-16-le"))
    code, _, err = run(capsys, "import", "u16.txt")
    assert code == 2 and "error: u16.txt: looks like UTF-16 without a byte-order mark; re-run with --encoding utf-16-le" in err
    code, _, err = run(capsys, "import", "--encoding", "utf-16-le", "u16.txt")
    assert code == 0 and texts(tmp_path) == ["Tanpa BOM. Dua.\n"]


@pytest.mark.parametrize(
    ("args", "data", "message"),
    [
        (["--encoding", "klingon"], b"x", "annotator: bad input: --encoding klingon: unknown text encoding"),
        (["--encoding", "rot13"], b"x", "annotator: bad input: --encoding rot13: unknown text encoding"),
        (["--encoding", "unicode_escape"], b"a\\ud800b. c.", "gives invalid Unicode (a lone surrogate at character 1)"),
        (["--encoding", "ascii"], "Café.".encode(), "error: f.txt: not valid ascii at byte 3; try another --encoding"),
        ([], codecs.BOM_UTF16_LE + b"A\x00B", "error: f.txt: starts like UTF-16 (a byte-order mark) but is not valid"),
        (["--max-size", "lots"], b"x", "annotator: bad input: --max-size lots: not a size"),
    ],
    ids=["unknown", "not-text", "surrogates", "undecodable", "utf16-odd", "bad-size"],
)
def test_bad_encoding_options_and_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                                        data: bytes, message: str) -> None:
    write("f.txt", data)
    code, _, err = run(capsys, "import", *args, "f.txt")
    assert code == 2 and message in err, err
    assert texts(tmp_path) == []


# ----------------------------------------------------------------------------- binary, empty, big


def test_binary_and_nul_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("blob.txt", bytes(range(256)) * 4)
    write("late.txt", b"Teks biasa. " * 1000 + b"\x00 lalu NUL.\n")
    code, _, err = run(capsys, "import", "blob.txt", "late.txt")
    assert code == 2
    assert errors(err)[:2] == [
        f"error: {name}: looks like a binary file (it holds NUL bytes); import text files only "
        "(or, if it is text, re-run with its --encoding)" for name in ("blob.txt", "late.txt")
    ]
    assert err.splitlines()[-1] == "2 file(s) not imported; fix them and import again"
    code, _, err = run(capsys, "import", "--encoding", "utf-8", "late.txt")  # text with a NUL in it: shown as ␀
    assert code == 0 and texts(tmp_path)[0].endswith("\x00 lalu NUL.\n")


def test_empty_files_are_noted_not_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("empty.txt", b"")
    write("blank.md", b" \n\t\r\n")
    write("empty.jsonl", b"\n\n")
    code, out, err = run(capsys, "import", "empty.txt", "blank.md", "empty.jsonl")
    assert code == 0
    assert out == "0 new article(s), 0 already present, 0 sentence(s) added\n"
    assert err.splitlines() == [f"skipped: {n}: empty file, nothing to import" for n in ("empty.txt", "blank.md", "empty.jsonl")]


def test_size_limit_refuses_unread_and_the_flag_overrides(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with open("huge.txt", "wb") as f:
        f.truncate(100_000_000)  # 100 MB, sparse: refused from its size, never read
    reads: list[Path] = []
    real = annotator.importer._open_regular
    monkeypatch.setattr(annotator.importer, "_open_regular", lambda p: (reads.append(p), real(p))[1])
    code, _, err = run(capsys, "import", "huge.txt")
    assert code == 2
    assert errors(err) == ["error: huge.txt: the file is 100 MB, over the 10 MB limit for one article; split it, "
                           "or re-run with --max-size 200MB if it really is one article"]
    write("two.txt", b"Satu. Dua. " * 200)  # 2.2 kB
    code, _, err = run(capsys, "import", "--max-size", "1kB", "two.txt")
    assert code == 2 and "two.txt: the file is 2 kB, over the 1 kB limit" in err
    code, out, err = run(capsys, "import", "--max-size", "5kB", "two.txt")
    assert code == 0 and "400 sentence(s) added" in out
    code, out, err = run(capsys, "import", "--max-size", "0", "two.txt")  # 0: no limit
    assert code == 0 and "1 already present" in out


def test_a_5mb_line_without_a_break_imports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    words = ("kata " * 1_000_000).encode()  # 5 MB, one line, no punctuation: one sentence
    write("line.txt", words)
    code, out, err = run(capsys, "import", "line.txt")
    assert code == 0 and "1 sentence(s) added" in out, err
    (text,) = texts(tmp_path)
    assert len(text) == 5_000_000


def test_cr_only_and_unicode_line_separators(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("mac.txt", b"Judul\r\rBaris satu\rBaris dua. Kalimat tiga.\r")
    write("ls.txt", "Satu\u2028Dua\u2029Tiga\x85Empat\x0bLima\x0cEnam.\n".encode())
    code, _, err = run(capsys, "import", "mac.txt", "ls.txt")
    assert code == 0, err
    with Database.open(tmp_path / DB, readonly=True) as db:
        mac, ls = (db.get_article(i.id) for i in db.article_infos())
    assert mac.text == "Judul\r\rBaris satu\rBaris dua. Kalimat tiga.\r" and mac.title == "Judul"
    assert [mac.text[s.start:s.end] for s in mac.sentences] == ["Judul", "Baris satu", "Baris dua.", "Kalimat tiga."]
    assert [ls.text[s.start:s.end] for s in ls.sentences] == ["Satu", "Dua", "Tiga", "Empat", "Lima", "Enam."]


# ----------------------------------------------------------------------------- files and folders


def test_unreadable_entries_never_block_and_each_gets_a_line(tmp_path: Path) -> None:
    """A FIFO and a device named .txt are refused unopened: run as a process, with a timeout."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Berita baik. Selesai.\n")
    os.mkfifo(folder / "fifo.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    os.symlink("/nonexistent/target.txt", folder / "dangling.txt")
    os.symlink("loop_b.txt", folder / "loop_a.txt")
    os.symlink("loop_a.txt", folder / "loop_b.txt")
    os.symlink(".", folder / "self")  # a link loop through a folder
    (folder / "dir.txt").mkdir()  # a folder named like a file: a folder
    (folder / "dir.txt" / "inner.txt").write_text("Di dalam folder. Ya.\n")
    proc = subprocess.run([sys.executable, "-m", "annotator", "--db", DB, "import", "in"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "ANNOTATOR": "ana"})
    assert proc.returncode == 2
    assert proc.stdout == "2 new article(s), 0 already present, 4 sentence(s) added\n"
    assert proc.stderr.splitlines() == [
        "error: in/dangling.txt: a broken link: its target does not exist; fix the link or import the target",
        "error: in/fifo.txt: a named pipe (FIFO), not a regular file; import regular files only",
        "error: in/loop_a.txt: a symbolic link loop; fix or remove the link",
        "error: in/loop_b.txt: a symbolic link loop; fix or remove the link",
        "error: in/zero.txt: a device, not a regular file; import regular files only",
        "skipped: in/self: a link to a folder, not followed; import its target directly",
        "5 file(s) not imported; fix them and import again (the rest was imported)",
    ]
    assert stat.S_ISFIFO(os.stat(folder / "fifo.txt").st_mode)
    for explicit, why in [("in/fifo.txt", "a named pipe (FIFO), not a regular file"),
                          ("in/loop_a.txt", "a symbolic link loop"), ("in/dangling.txt", "a broken link")]:
        one = subprocess.run([sys.executable, "-m", "annotator", "--db", DB, "import", explicit], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert one.returncode == 2 and why in one.stderr and "Traceback" not in one.stderr


class FailingReader(io.BytesIO):
    def __init__(self, error: OSError) -> None:
        super().__init__(b"")
        self.error = error

    def read(self, size: int | None = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize(
    ("where", "error", "message"),
    [
        ("open", errno.EACCES, "permission denied; check its permissions (chmod) or run as its owner"),
        ("open", errno.EPERM, "permission denied; check its permissions (chmod) or run as its owner"),
        ("read", errno.EIO, "cannot be read (Input/output error); check the file and try again"),
        ("vanished", errno.ENOENT, "no longer exists (it was moved or deleted during the import)"),
    ],
)
def test_os_errors_while_reading(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 where: str, error: int, message: str) -> None:
    """As root, chmod cannot make a file unreadable: the errors are injected where they happen."""
    write("a.txt", b"Satu. Dua.\n")
    bad = write("b.txt", b"Tiga. Empat.\n")
    fail = OSError(error, os.strerror(error), str(bad))
    if where == "open":
        real_open = os.open

        def fake_open(path: object, *args: object, **kwargs: object) -> int:
            if str(path) == str(bad):
                raise fail
            return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(annotator.importer.os, "open", fake_open)
    elif where == "read":
        real_open_fd, real_read, bad_fds = annotator.importer._open_fd, os.read, set()

        def fake_open_fd(path: Path) -> tuple[int, int]:
            fd, size = real_open_fd(path)
            if path == bad:
                bad_fds.add(fd)
            return fd, size

        def fake_read(fd: int, n: int) -> bytes:
            if fd in bad_fds:
                raise fail
            return real_read(fd, n)

        monkeypatch.setattr(annotator.importer, "_open_fd", fake_open_fd)
        monkeypatch.setattr(annotator.importer.os, "read", fake_read)
    else:
        bad.unlink()  # listed, then gone before it is read
        monkeypatch.setattr(annotator.importer, "list_files", lambda paths: annotator.importer.FileList([Path("a.txt"), bad]))
    code, out, err = run(capsys, "import", "a.txt", "b.txt" if where != "vanished" else "a.txt")
    assert code == 2
    assert errors(err) == [f"error: b.txt: {message}"]
    assert texts(tmp_path) == ["Satu. Dua.\n"]  # the rest was imported


def test_odd_file_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    names = [b"sp ace.txt", b"new\nline.txt", b"esc\x1b[2J\x1b]0;PWNED\x07.txt", b"bad\xff\xfename.txt",
             b"-dash.txt", b"back\\xff slash.txt"]
    for i, name in enumerate(names):
        write(name, f"Artikel nomor {i}. Selesai.\n".encode())
    args = ["--"] + [os.fsdecode(n) for n in names]
    code, out, err = run(capsys, "import", *args)
    assert code == 0, err
    assert out == "6 new article(s), 0 already present, 12 sentence(s) added\n"
    with Database.open(tmp_path / DB, readonly=True) as db:
        sources = [i.sources[0] for i in db.article_infos()]
    assert sources == ["sp ace.txt", "new\nline.txt", "esc\x1b[2J\x1b]0;PWNED\x07.txt", "bad\\xff\\xfename.txt",
                       "-dash.txt", "back\\\\xff slash.txt"]
    assert [os.fsencode(path_from_text(s)) for s in sources] == names  # lossless
    code, out, err = run(capsys, "export")
    assert code == 0 and b"\\udc" not in out.encode() and "bad\\\\xff\\\\xfename.txt" in out
    # Shown with placeholders, never raw, wherever a name is printed:
    os.remove(names[2])
    code, _, err = run(capsys, "import", os.fsdecode(names[2]))
    assert code == 2 and "esc␛[2J␛]0;PWNED␇.txt: no such file or folder" in err
    code, _, err = run(capsys, "import", os.fsdecode(b"missing\xff.txt"))
    assert code == 2 and "missing\\xff.txt: no such file or folder" in err


def test_a_leading_dash_without_double_dash_gets_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    write("-dash.txt", b"Satu. Dua.\n")
    code, _, err = run(capsys, "import", "-dash.txt")
    assert code == 2
    assert "(to import a file whose name starts with '-', write ./-dash.txt or put -- before it)" in err
    code, _, err = run(capsys, "import", "./-dash.txt")
    assert code == 0, err


def test_many_files_and_junk_notes_are_summed_up(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"{i:04d}.txt").write_text(f"Berita {i}. Akhir.\n")
        (folder / f"{i:04d}.png").write_bytes(b"\x89PNG")
    code, out, err = run(capsys, "import", "many")
    assert code == 0
    assert out == "300 new article(s), 0 already present, 600 sentence(s) added\n"
    lines = err.splitlines()
    assert len(lines) == 21
    assert lines[-1] == "skipped: 280 more file(s): 280 not a .txt, .md, .jsonl, .json, .csv or .spacy file"


# ----------------------------------------------------------------------------- JSONL


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "ok."}\n{oops\n', "line 2: not valid JSON (unexpected character, expected a string key, column 2)"),
        (b'{"title": "no text"}\n', 'line 1: missing "text" (a string); every line needs one'),
        (b'{"text": 5}\n', 'line 1: "text" is a number, not a string'),
        (b'{"text": null}\n', 'line 1: missing "text"'),
        (b'[1, 2]\n', 'line 1: a JSON array, not a JSON object with a "text" field'),
        (b'42\n', 'line 1: a number, not a JSON object with a "text" field'),
        (b'"just a string"\n', 'line 1: a string, not a JSON object'),
        (b'{"text": "caf\xe9."}\n', "line 1: not UTF-8 (byte 13 of the line); convert it, or re-run with --encoding cp1252"),
        (b'{"text": "a.", "meta": [1]}\n', 'line 1: "meta" is a JSON array, not a JSON object'),
        (b'{"text": "a. b.", "sentences": [{"start": 0, "end": 99}]}\n', "line 1: sentence 0 (0-99) is out of order, empty or outside"),
        (b'{"text": "a. b.", "sentences": [{"start": 0, "end": 3}]}\n', "line 1: sentence 0 (0-3) begins or ends with whitespace"),
        # Our own export's span (a Prodigy span that is malformed is counted with the labels instead).
        (b'{"schema_version": 3, "text": "a.", "spans": [{"start": "0", "end": 2}]}\n',
         "line 1: span 0 needs integer start and end"),
        ('{"text": "x"}\n'.encode("utf-16"), "a .jsonl file must be in UTF-8, not UTF-16 or UTF-32"),
    ],
    ids=["invalid", "no-text", "text-number", "text-null", "array", "number", "string", "non-utf8", "meta",
         "sentences-range", "sentences-edge", "spans-type", "utf16"],
)
def test_malformed_jsonl_names_file_and_line_and_imports_nothing_from_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, message: str
) -> None:
    write("bad.jsonl", content)
    write("good.txt", b"Ini baik. Ya.\n")
    code, out, err = run(capsys, "import", "bad.jsonl", "good.txt")
    assert code == 2
    (line,) = errors(err)
    assert line.startswith("error: bad.jsonl: ") and message in line, line
    assert texts(tmp_path) == ["Ini baik. Ya.\n"]


def test_jsonl_counts_every_bad_line_and_limits_line_size(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("bad.jsonl", b'{"text": "ok."}\n{oops\n[1]\n{"text": "fine."}\n7\n')
    code, _, err = run(capsys, "import", "bad.jsonl")
    assert code == 2
    assert errors(err)[0].endswith("(3 bad lines in all: 2, 3, 5; nothing from this file was imported)")
    write("big.jsonl", b'{"text": "' + b"x. " * 1000 + b'"}\n' + b'{"text": "' + b"y" * 5000 + b'"}\n')
    code, _, err = run(capsys, "import", "--max-size", "1kB", "big.jsonl")
    assert code == 2
    assert "big.jsonl: line 1: the text is 3 kB, over the 1 kB limit for one article" in err
    assert "(2 bad lines in all: 1, 2;" in err  # line 2 (5 kB) is over 4x the limit: skipped unread
    assert texts(tmp_path) == []


def test_jsonl_line_breaks_are_newlines_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """U+2028, U+2029 and NEL are legal raw inside JSON strings: they are text, not line ends."""
    write("ls.jsonl", '{"text": "Satu\u2028Dua\x85Tiga\u2029Empat."}\r\n{"text": "Lima."}'.encode())
    code, out, err = run(capsys, "import", "ls.jsonl")
    assert code == 0, err
    assert texts(tmp_path) == ["Satu\u2028Dua\x85Tiga\u2029Empat.", "Lima."]


def test_jsonl_keeps_other_tools_fields_in_meta(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write("p.jsonl", b'{"text": "Satu. Dua.", "id": 7, "url": "http://e", "_input_hash": 123, "meta": {"url": "kept"}}\n')
    code, _, err = run(capsys, "import", "p.jsonl")
    assert code == 0, err
    with Database.open(tmp_path / DB, readonly=True) as db:
        (info,) = db.article_infos()
        assert db.get_article(info.id).meta == {"url": "kept", "id": 7, "_input_hash": 123}


def test_labels_that_point_nowhere_are_counted_with_their_reasons(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    text = "Alpha satu. Beta dua. Gamma tiga."
    at = "2026-01-01T00:00:00.000Z"

    def span(s: int, e: int, label: str = "claim", who: str = "ana", when: str = at) -> dict[str, object]:
        return {"start": s, "end": e, "label": label, "annotator": who, "updated_at": when}

    record = {"schema_version": 1, "text": text,
              "sentences": [{"start": 0, "end": 11}, {"start": 12, "end": 21}, {"start": 22, "end": 33}],
              "spans": [span(0, 11), span(0, 5), span(12, 33), span(100, 120), span(-1, 3), span(12, 21, "opinion"),
                        span(22, 33, "quote", " "), span(22, 33, "quote", "bob", "yesterday")]}
    write("labels.jsonl", orjson.dumps(record) + b"\n")
    code, out, err = run(capsys, "import", "--dry-run", "labels.jsonl")
    assert code == 2 and "dry run: 1 article(s) with 3 sentence(s) and 1 label(s) would be imported" in out
    assert not (tmp_path / DB).exists()  # a dry run writes nothing, not even a database
    code, out, err = run(capsys, "import", "labels.jsonl")
    assert code == 2
    assert out.splitlines() == ["1 new article(s), 0 already present, 3 sentence(s) added",
                                "labels: 1 added, 0 updated, 0 unchanged, 7 skipped"]
    assert errors(err) == [
        "error: 7 label(s) skipped; fix them in the file and import it again, or pass --skip-bad-labels to leave "
        "them out:",
        "error: labels.jsonl: 2 label(s): not one of the article's sentences",
        "error: labels.jsonl: 2 label(s): offsets outside the text",
        "error: labels.jsonl: 1 label(s): no annotator name",
        'error: labels.jsonl: 1 label(s): unknown label "opinion"',
        "error: labels.jsonl: 1 label(s): updated_at is not an ISO time",
    ]
    assert err.splitlines()[-1] == "7 label(s) not imported; fix them and import again (the rest was imported)"
    verdict = run(capsys, "verify")
    assert verdict[0] == 0 and verdict[1].startswith("ok: 1 articles, 3 sentences, 1 labels checked")


# ----------------------------------------------------------------------------- database


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"project": {"1": {"schema_version": 1, "sch', "not valid JSON"),
        (b"hello", "not valid JSON"),
        (b"", "the file is empty"),
        (b"[1, 2, 3]", "the top level is not an object"),
        (b'{"project": {"x": {}}}', "malformed document 'x'"),
        (b'{"project": {"1": {"schema_version": 1}}}', "no valid label scheme"),
        (b'{"articles": {"1": {"id": "../../etc"}}}', "exactly one 'project' record"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
    ids=["truncated", "not-json", "empty", "list", "bad-doc-id", "no-scheme", "wrong-shape", "binary"],
)
def test_damaged_database_refused_by_every_command_and_never_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, why: str
) -> None:
    db = tmp_path / DB
    db.parent.mkdir()
    db.write_bytes(content)
    write("a.txt", b"Satu. Dua.\n")
    for args in (["import", "a.txt"], ["label", "a.txt"], ["stats"], ["stats", "--json"], ["export"],
                 ["export", "-o", "out.jsonl"]):
        code, out, err = run(capsys, *args)
        assert code == 3, (args, err)
        assert out == "" and len(err.splitlines()) == 1 and why in err
        assert err.startswith("annotator: database damaged: db/annotations.json is damaged (")
    code, out, _ = run(capsys, "verify")
    assert code == 3 and why in out
    assert db.read_bytes() == content
    # Nothing else was made: no article folders, no temp file (the lock file is the flock's, kept by design).
    assert sorted(p.name for p in db.parent.iterdir()) in (["annotations.json"], ["annotations.json", "annotations.json.lock"])
    assert not (tmp_path / "out.jsonl").exists()


def test_database_path_that_is_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / DB).mkdir(parents=True)
    write("a.txt", b"Satu. Dua.\n")
    for args in (["import", "a.txt"], ["stats"], ["export"]):
        code, _, err = run(capsys, *args)
        assert code == 3 and err == ("annotator: database error: db/annotations.json is a folder; give a database "
                                     "file, e.g. --db db/annotations.json/annotations.json\n")
    code, out, _ = run(capsys, "verify")
    assert code == 3 and "error: db/annotations.json: is a folder, not a database file; check --db" in out


def test_damaged_article_file_stops_export_before_any_byte(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "import", str(SAMPLES))
    with Database.open(tmp_path / DB, readonly=True) as db:
        second = db.article_path(db.article_infos()[1].id)
    second.write_bytes(b'{"article": {"1": {"id": "x"')
    code, out, err = run(capsys, "export")
    assert code == 3 and out == "" and "is damaged" in err
    code, out, err = run(capsys, "export", "-o", "out.jsonl")
    assert code == 3 and not Path("out.jsonl").exists()


# ----------------------------------------------------------------------------- export paths


@pytest.fixture
def sample_project(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(SAMPLES))
    assert code == 0, err


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (errno.EACCES, "cannot write (Permission denied); choose a folder you can write to with -o; nothing was written"),
        (errno.EROFS, "cannot write (Read-only file system); choose a folder you can write to with -o"),
        (errno.ENOSPC, "cannot write (No space left on device); free some space and export again"),
    ],
)
def test_export_to_a_folder_that_refuses_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, sample_project: None,
                                               error: int, hint: str) -> None:
    Path("old.jsonl").write_bytes(b"previous export\n")

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(annotator.atomicio.tempfile, "mkstemp", refuse)
    for target in ("old.jsonl", "new.jsonl"):
        code, out, err = run(capsys, "export", "-o", target)
        assert code == 1 and out == ""
        assert err.startswith(f"annotator: export failed: {target}: {hint}") and len(err.splitlines()) == 1
    assert Path("old.jsonl").read_bytes() == b"previous export\n" and not Path("new.jsonl").exists()


def test_export_target_checks(capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_project: None) -> None:
    code, _, err = run(capsys, "export", "-o", "missing/out.jsonl")
    assert code == 1 and err == "annotator: export failed: missing: no such folder; create it or choose another -o path\n"
    Path("file").write_text("x")
    code, _, err = run(capsys, "export", "-o", "file/out.jsonl")
    assert code == 1 and "a part of the path is a file, not a folder" in err
    code, _, err = run(capsys, "export", "-o", "db")
    assert code == 1 and "db: is a folder; give a file name with -o" in err
    Path("target.jsonl").write_text("old")
    os.chmod("target.jsonl", 0o640)
    os.symlink("target.jsonl", "link.jsonl")
    code, _, err = run(capsys, "export", "-o", "link.jsonl")
    assert code == 0 and Path("link.jsonl").is_symlink()  # the link is kept, its target replaced
    assert Path("target.jsonl").read_bytes().count(b"\n") == 2
    assert stat.S_IMODE(os.stat("target.jsonl").st_mode) == 0o640  # its mode kept, not mkstemp's 0600
    code, _, err = run(capsys, "export", "-o", os.devnull)
    assert code == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode)  # written into, never replaced
    code, _, err = run(capsys, "export", "-o", "esc\x1b]0;PWNED\x07.jsonl")
    assert code == 0 and err.startswith("wrote esc␛]0;PWNED␇.jsonl (")


def test_export_escapes_what_a_terminal_would_obey(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hostile = "Satu \x1b[2J \x9b31m \x85 \u2028 \u202eevil\u202c \u061c. Dua \x07.\n"
    write("h.txt", hostile.encode())
    assert run(capsys, "import", "h.txt")[0] == 0
    for fmt in ("jsonl", "json"):
        code, out, _ = run(capsys, "export", "--format", fmt)
        raw = out.encode()
        assert code == 0 and all(b not in raw for b in (b"\x1b", b"\x07", "\x9b".encode(), "\x85".encode(),
                                                        "\u2028".encode(), "\u202e".encode(), "\u061c".encode()))
        record = orjson.loads(raw.splitlines()[0]) if fmt == "jsonl" else orjson.loads(raw)[0]
        assert record["text"] == hostile  # the same data, only escaped


# ----------------------------------------------------------------------------- names and JSON output


def test_annotator_name_that_is_not_utf8(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write("a.txt", b"Satu. Dua.\n")
    monkeypatch.setenv("ANNOTATOR", os.fsdecode(b"an\xffa"))
    code, _, err = run(capsys, "import", "a.txt")
    assert code == 2 and err == ("annotator: bad input: --annotator an\\xffa: the name is not valid UTF-8 (check "
                                 "--annotator or ANNOTATOR); labels need a name that can be saved\n")


def test_database_path_with_hostile_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = os.fsdecode(b"d\xff\x1b[2J/a.json")
    write("a.txt", b"Satu. Dua.\n")

    def cli(*args: str) -> str:
        try:
            main(["--db", db, *args])
        except SystemExit as exc:
            assert not exc.code
        out, err = capsys.readouterr()
        assert err == "" and all(sanitize(x) == x for x in out.splitlines())
        return out

    assert cli("import", "a.txt").startswith("1 new article(s)")
    assert cli("stats").splitlines()[0] == "Database:   d\\xff␛[2J/a.json"
    assert cli("verify").startswith("ok: 1 articles")
    assert orjson.loads(cli("verify", "--json"))["db"] == "d\\xff\x1b[2J/a.json"  # ESC escaped by JSON
    assert orjson.loads(cli("stats", "--json"))["articles"] == 1


def test_path_text_round_trips_every_name() -> None:
    for raw in [b"plain.txt", b"bad\xff.txt", b"a\\xff.txt", b"a\\\xff.txt", b"\\\\server\\share", b"a\\\\xffb\xfe",
                b"\xed\xa0\x80", b"C:\\data\\x41.txt"]:
        text = path_text(raw)
        assert text.encode("utf-8") and os.fsencode(path_from_text(text)) == raw
    assert path_text(b"bad\xff.txt") == "bad\\xff.txt"
    assert path_text("C:\\Users\\ana\\x.txt") == "C:\\Users\\ana\\x.txt"  # no escape-like text: kept as it is


def test_a_folder_that_cannot_be_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """As root a folder cannot be made unreadable: the listing error is injected."""
    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "ok.txt").write_text("Satu. Dua.\n")
    real = os.scandir

    def scandir(path: object) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(capsys, "import", "in")
    assert code == 2 and "1 new article(s)" in out
    assert errors(err) == ["error: in/locked: folder cannot be listed: permission denied; check its permissions "
                           "(chmod) or run as its owner"]


def test_special_files_given_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """/proc files say they are empty and are not; a terminal or pipe given by name is refused."""
    os.symlink("/proc/self/status", "status.txt")
    os.symlink("/dev/null", "null.txt")
    code, out, err = run(capsys, "import", "status.txt", "null.txt")
    assert code == 2
    assert errors(err) == ["error: null.txt: a device, not a regular file; import regular files only"]
    assert texts(tmp_path)[0].startswith("Name:")  # read to its end, though its size says 0
