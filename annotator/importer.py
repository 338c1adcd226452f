"""Reading articles from files: .txt, .md, .jsonl (Prodigy, doccano or our own exports) and
.json (a Label Studio export).

``plan_import`` reads and checks every data file (.jsonl, .json, .csv, .spacy) first, so a
bad one is reported before the database is touched; text files it only lists
(``keep_texts=False``), and ``apply_import`` reads each once as it writes its article, in
worker processes.
The stored text is exactly the decoded file text (a UTF-8 BOM dropped, CRLF kept), so
offsets hold against the source file.

Hostile input is expected: only regular files are opened (a FIFO or a device named
``x.txt`` is refused before it is read, so an import never blocks), a file over the size
limit is refused before it is read, and every refusal is one line naming the file (and
the line, for JSONL) that says what to do.
"""

from __future__ import annotations

import codecs
import dataclasses
import errno
import hashlib
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from annotator import provenance, workers
from annotator.errors import InputError
from annotator.formats import label_studio, ours as our_exports
from annotator.formats.detect import foreign
from annotator.formats.base import (
    EARLY_STAMP,
    NOT_A_SENTENCE,
    SAME_FINAL,
    SAME_KEY,
    UNKNOWN_ARTICLE,
    Context,
    Loose,
    Proposed,
    instant,
    kind_of,
    shown_label,
)
from annotator.formats.place import Sentences, place
from annotator.names import is_name
from annotator.model import (
    EVENT_OPS,
    PACKED,
    SKIP,
    Article,
    Cleared,
    Decision,
    Event,
    FinalCleared,
    Label,
    LabelScheme,
    Note,
    Span,
    is_iso_time,
    text_preview,
)
from annotator.resegment import SEG_OPS, SegEvent, Segmentation
from annotator.sanitize import sanitize_line
from annotator.segment import segment
from annotator.storage import articlefile
from annotator.storage.articlefile import article_bytes
from annotator.storage.database import ArticleFile

if TYPE_CHECKING:
    from annotator.storage import Database, MergeResult

TEXT_SUFFIXES = {".txt", ".md"}
JSONL_SUFFIXES = {".jsonl"}
JSON_SUFFIXES = {".json"}  # a Label Studio export: one JSON array of tasks
CSV_SUFFIXES = {".csv"}  # our own `export --format csv`
SPACY_SUFFIXES = {".spacy"}  # a spaCy DocBin (`export --format spacy`), read with spaCy if installed
_SUFFIXES = frozenset(TEXT_SUFFIXES | JSONL_SUFFIXES | JSON_SUFFIXES | CSV_SUFFIXES | SPACY_SUFFIXES)
TITLE_MAX_CHARS = 160
TITLE_MAX_WORDS = 25
_FINAL_PUNCT = tuple(".,;:!?…")
EMPTY_FILE = "empty file, nothing to import"

# The largest article imported unless --max-size says otherwise (UTF-8 bytes of the text;
# for .txt/.md the file's size).  Measured on the project machine: a 10 MB article imports
# in 1.4 s and opens in the app in 1.2 s (250 MB of memory); a 100 MB one took 14 s to
# import (0.7 GB) and 13 s and 2 GB to open, and is almost surely a mistake.
DEFAULT_MAX_BYTES = 10_000_000
# A JSONL line holds the text with its sentences, labels and metadata: it may be this many
# times the article limit before it is refused unread.
JSONL_LINE_FACTOR = 4
# A .json file is read whole (one JSON array of many tasks): it may be this many times the
# article limit before it is refused unread.
JSON_FILE_FACTOR = 50
# Notes (files that are merely not importable) beyond this many are summed up in one line.
NOTES_SHOWN = 20
_JSONL_ERRORS_NAMED = 5
# Containers in a JSONL line may nest this deep (the line's object is level 1); deeper is refused.
MAX_JSON_DEPTH = 100
# The integers orjson can write back (what it reads beyond them becomes a float).
JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**64 - 1
_LONG_DIGITS = re.compile(r"\d{19}")

_SURROGATE = re.compile("[\ud800-\udfff]")


# ----------------------------------------------------------------------------- names


# A backslash run followed by what an escape looks like (or by a surrogate, which becomes
# one) is doubled, so that ``path_from_text`` can tell escapes from literal text.
_BEFORE_ESCAPE = re.compile(r"(\\+)(?=x[89a-fA-F][0-9a-fA-F]|u[dD][89a-fA-F][0-9a-fA-F]{2}|[\ud800-\udfff])")
_ESCAPED = re.compile(r"(\\+)(x[89a-fA-F][0-9a-fA-F]|u[dD][89a-fA-F][0-9a-fA-F]{2})")


def _escape_surrogate(match: re.Match[str]) -> str:
    cp = ord(match.group())
    return f"\\x{cp - 0xDC00:02x}" if 0xDC80 <= cp <= 0xDCFF else f"\\u{cp:04x}"


def path_text(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A file name as stored: lossless, valid Unicode, so JSON (orjson) always takes it.

    A name that is valid UTF-8 is kept exactly.  Each byte that is not (Python hands it
    over as a lone surrogate ``\\udcXX``) is written ``\\xXX``, as Python's
    ``backslashreplace`` writes it: ``bad\\xff.txt``.  To keep that reversible, a run of
    backslashes just before such an escape (or before literal text that looks like one)
    is doubled; any other backslash is left alone.  ``path_from_text`` reverses it.
    """
    s = os.fsdecode(path)
    if "\\" not in s and _SURROGATE.search(s) is None:
        return s
    s = _BEFORE_ESCAPE.sub(lambda m: m.group(1) * 2, s)
    return _SURROGATE.sub(_escape_surrogate, s)


def path_from_text(text: str) -> str:
    """The name ``path_text`` was given (``os.fsencode`` of it gives the original bytes)."""

    def undo(m: re.Match[str]) -> str:
        run, token = m.group(1), m.group(2)
        kept = "\\" * (len(run) // 2)
        if len(run) % 2 == 0:
            return kept + token
        value = int(token[1:], 16)
        return kept + chr(0xDC00 + value if token[0] == "x" else value)

    return _ESCAPED.sub(undo, text) if "\\" in text else text


def quote_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A file name as it can be shown safely in one line of a message."""
    return sanitize_line(path_text(path))


def article_id(text: str) -> str:
    """Stable content hash: the same text always gets the same id, on any machine."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# A line break as str.splitlines sees one ("\r\n" is one).
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def detect_title(text: str) -> str:
    """The first line when it is a heading: short, no final punctuation, followed by a blank line."""
    # The first two lines of text.splitlines(), without splitting the whole text.
    first_break = _LINE_BREAK.search(text)
    if first_break is None or first_break.end() == len(text):
        return ""  # one line
    second_break = _LINE_BREAK.search(text, first_break.end())
    if text[first_break.end() : second_break.start() if second_break else len(text)].strip():
        return ""
    first = text[: first_break.start()].strip()
    if first.startswith("#"):
        first = first.lstrip("#").strip()
    if not first or len(first) > TITLE_MAX_CHARS or len(first.split()) > TITLE_MAX_WORDS:
        return ""
    if first.endswith(_FINAL_PUNCT):
        return ""
    return first


def display_title(title: str, text: str, limit: int = 80) -> str:
    """Title, or the article's first words when it has none."""
    base = title
    size = 8 * limit
    while not base:
        # A growing prefix: its words are a prefix of the whole text's words, so a 10 MB
        # article is not split in full just to show its first words.
        base = " ".join(text[:size].split())
        if len(base) > limit or size >= len(text):
            break
        base, size = "", size * 4
    if len(base) > limit:
        base = base[: limit - 1].rstrip() + "…"
    return base


def format_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    if n >= 1000:
        return f"{n / 1000:.0f} kB"
    return f"{n} bytes"


def parse_size(value: str) -> int:
    """``10MB``, ``500k``, ``2G``, ``12345``; ``0`` or ``none``: no limit (returns 0)."""
    s = value.strip().lower().replace(" ", "")
    if s in ("0", "none", "unlimited"):
        return 0
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(b|k|kb|m|mb|g|gb)?", s)
    if m is None:
        raise InputError(f"--max-size {sanitize_line(value)}: not a size; write it like 10MB, 500kB or 0 for no limit")
    factor = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}[m.group(2) or ""]
    return int(float(m.group(1)) * factor)


# ----------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class TextFile:
    """A .txt or .md file that ``plan_import(..., keep_texts=False)`` left unread: the import
    reads it once, when it writes it (``read_texts``), so a folder of any size takes the
    memory of a few texts and its files are read, checked and split in one pass, on every core."""

    path: Path
    encoding: str | None
    language: str
    max_bytes: int
    at: int = -1  # its place among the files listed


@dataclass(frozen=True, slots=True)
class TextArticle:
    """A ``TextFile`` read: its article's id and title, and its file for the database (None
    when the database has the article already: it is not split again)."""

    id: str
    title: str
    file: ArticleFile | None


@dataclass(slots=True)
class ImportItem:
    article: Article
    labels: list[Label] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # final labels, from our own export
    cleared: list[Cleared] = field(default_factory=list)  # labels taken off, from our own export
    final_cleared: list[FinalCleared] = field(default_factory=list)  # final labels taken off (undo in review)
    events: list[Event] = field(default_factory=list)  # the history, from `export --history`
    retired: list[Label | Decision] = field(default_factory=list)  # labels whose sentence was split or joined
    seg_events: list[SegEvent] = field(default_factory=list)  # splits and joins, from our own export
    segmentations: list[Segmentation] = field(default_factory=list)  # the sentences they left, with their stamp
    # Labels as read from a file, matched to sentences when the import is applied (against the
    # database's segmentation when the article is there already).
    proposed: list[Proposed] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, why) of each label not importable
    notes: list[tuple[str, str]] = field(default_factory=list)  # (file, note) of what the tool set aside
    marks: list[Note] = field(default_factory=list)  # the reviewers' notes and flags, from our own export


@dataclass(slots=True)
class Skipped:
    path: str  # shown as it is: already made safe with ``quote_path``
    reason: str
    error: bool  # True: the file is broken (non-zero exit); False: merely not importable (a note)
    at: int = -1  # the file's place among those listed (-1: found while listing), for the report's order


@dataclass(slots=True)
class FileList:
    """What ``list_files`` found: the files to read, and what was left out and why."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(slots=True)
class ImportPlan:
    items: list[ImportItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files_read: int = 0
    loose: list[Loose] = field(default_factory=list)  # labels of articles named by id (our sentences export)
    texts: list[TextFile] = field(default_factory=list)  # text files left unread (``keep_texts=False``)

    @property
    def errors(self) -> list[Skipped]:
        return [s for s in self.skipped if s.error]


@dataclass(slots=True)
class ImportResult:
    added: list[str]
    present: list[str]
    sentences_added: int
    labels: tuple[int, int, int, int] = (0, 0, 0, 0)  # added, updated, unchanged, skipped
    label_skips: dict[tuple[str, str], int] = field(default_factory=dict)  # (file, why skipped) -> how many
    merge: MergeResult | None = None  # conflicts, and the final labels brought in
    label_notes: dict[tuple[str, str], int] = field(default_factory=dict)  # (file, note template) -> how many


# ----------------------------------------------------------------------------- files


def stat_reason(exc: OSError, path: Path) -> str:
    """Why a file cannot be used, in words, from the error opening or reading it."""
    if exc.errno == errno.ENOENT:
        if os.path.lexists(path):
            return "a broken link: its target does not exist; fix the link or import the target"
        return "no longer exists (it was moved or deleted during the import)"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop; fix or remove the link"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; check its permissions (chmod) or run as its owner"
    if exc.errno == errno.EISDIR:
        return "a folder, not a file"
    return f"cannot be read ({exc.strerror or exc}); check the file and try again"


def stat_given(path: Path, missing: str) -> os.stat_result:
    """``os.stat`` of a path the user gave, or one InputError: ``missing`` says what to do when
    nothing is there; anything else (a broken link, no permission) says why in words."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT and not os.path.lexists(path):
            raise InputError(f"{quote_path(path)}: {missing}") from None
        raise InputError(f"{quote_path(path)}: {stat_reason(exc, path)}") from None


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is (``a named pipe (FIFO)``, ``a device``, ...),
    or None for a regular file; from ``os.stat(...).st_mode``."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def list_files(paths: Sequence[Path]) -> FileList:
    """Files in the order given; folders recursively in sorted order, hidden entries left out.

    A path given that does not exist stops the import (nothing is written): it is most
    likely a typo.  Inside folders, what cannot be listed or followed is reported.
    Links to folders are not followed (a link loop could not end); links to files are.
    """
    out = FileList()
    for path in paths:
        st = stat_given(path, "no such file or folder; check the path and try again")
        if not stat.S_ISDIR(st.st_mode):
            kind = file_kind(st.st_mode)
            if kind is not None:  # refused unopened, whatever its name: opening a FIFO would wait
                out.skipped.append(Skipped(quote_path(path), f"{kind}, not a regular file; import regular files only",
                                           True))
                continue
            out.files.append(path)
            continue

        def unlistable(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else path
            out.skipped.append(Skipped(quote_path(where), f"folder cannot be listed: {stat_reason(exc, where)}", True))

        for root, dirs, files in os.walk(path, onerror=unlistable):
            kept = []
            for d in sorted(dirs):
                if d.startswith("."):
                    continue
                if os.path.islink(os.path.join(root, d)):
                    out.skipped.append(Skipped(quote_path(Path(root) / d),
                                               "a link to a folder, not followed; import its target directly", False))
                    continue
                kept.append(d)
            dirs[:] = kept
            out.files.extend(Path(root) / name for name in sorted(files) if not name.startswith("."))
    return out


def _open_regular(path: Path) -> tuple[BinaryIO, int]:
    """(file, size) of a regular file; never blocks: FIFOs and devices are refused unopened."""
    fd, size = _open_fd(path)
    return os.fdopen(fd, "rb"), size


def _open_fd(path: Path) -> tuple[int, int]:
    """``_open_regular``'s descriptor: a text file is read with it alone (an import reads thousands)."""
    try:
        st = os.stat(path)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise InputError(f"{quote_path(path)}: {kind}, not a regular file; import regular files only")
        # O_NONBLOCK: should it have become a FIFO since the stat, opening it does not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputError(f"{quote_path(path)}: {stat_reason(exc, path)}") from None
    try:
        st = os.fstat(fd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise InputError(f"{quote_path(path)}: {kind}, not a regular file; import regular files only")
        return fd, st.st_size
    except BaseException:
        os.close(fd)
        raise


def _too_big(path: Path, size: int, limit: int, what: str = "the file") -> InputError:
    return InputError(
        f"{quote_path(path)}: {what} is {format_size(size)}, over the {format_size(limit)} limit for one article; "
        f"split it, or re-run with --max-size {format_size(max(size, limit) * 2).replace(' ', '')} "
        f"if it really is one article"
    )


def read_text_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file, refused unread when over ``max_bytes`` (0: no limit)."""
    fd, size = _open_fd(path)
    try:
        if max_bytes and size > max_bytes:
            raise _too_big(path, size, max_bytes)
        # Sized to the file (read(n) allocates n bytes up front, 10 MB for every small file),
        # plus one byte: a file that grew since the stat (or whose size is not its length)
        # is read on to its end, or to one byte over the limit.
        limit = max_bytes + 1 if max_bytes else None
        chunks: list[bytes] = []
        want = (min(size, max_bytes) if max_bytes else size) + 1
        got = 0
        while True:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if limit is not None and got >= limit:
                break
            want = 1 << 20 if limit is None else min(1 << 20, limit - got)
        data = b"".join(chunks)  # one chunk: that chunk, not a copy
    except OSError as exc:
        raise InputError(f"{quote_path(path)}: {stat_reason(exc, path)}") from None
    finally:
        os.close(fd)
    if max_bytes and len(data) > max_bytes:  # it grew after the stat
        raise _too_big(path, len(data), max_bytes)
    return data


# ----------------------------------------------------------------------------- decoding


def check_encoding(encoding: str | None) -> None:
    """Refuse an --encoding Python does not know, or that is not a text encoding, once."""
    if not encoding:
        return
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise InputError(
            f"--encoding {sanitize_line(encoding)}: unknown text encoding; use a name such as utf-8, cp1252 or latin-1"
        )


def guess_encoding(data: bytes) -> str:
    """A hint only, never applied silently: cp1252 (Windows) when it decodes, else latin-1."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit in every other byte, as in UTF-16 text."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def _no_surrogates(path: Path, text: str, encoding: str) -> str:
    m = _SURROGATE.search(text)
    if m is not None:
        raise InputError(
            f"{quote_path(path)}: decoding with {sanitize_line(encoding)} gives invalid Unicode (a lone surrogate at "
            f"character {m.start()}); use the file's real encoding"
        )
    return text


def decode(path: Path, data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            check_encoding(encoding)
            raise  # check_encoding refuses whatever decode does not know
        except UnicodeError as exc:
            where = f" at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else ""
            raise InputError(
                f"{quote_path(path)}: not valid {sanitize_line(encoding)}{where}; try another --encoding"
            ) from None
        return _no_surrogates(path, text, encoding).removeprefix("\ufeff")
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{quote_path(path)}: starts like {name.upper()} (a byte-order mark) but is not valid {name.upper()} "
                    f"at byte {exc.start}; re-run with the file's real --encoding"
                ) from None
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            raise InputError(f"{quote_path(path)}: looks like UTF-16 without a byte-order mark; re-run with --encoding {utf16}")
        raise InputError(
            f"{quote_path(path)}: looks like a binary file (it holds NUL bytes); import text files only "
            f"(or, if it is text, re-run with its --encoding)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{quote_path(path)}: not UTF-8 (line {line}, byte {exc.start}); convert it, or re-run with "
            f"--encoding {guess_encoding(data)} (or latin-1, or the file's own encoding)"
        ) from None
    return text.removeprefix("\ufeff")


# ----------------------------------------------------------------------------- JSONL




def _sentences_from_export(obj: dict[str, Any], text: str, where: str) -> tuple[Span, ...] | None:
    """Our own export carries its segmentation; keep it so labels and split fixes survive a round trip."""
    raw = obj.get("sentences")
    if raw is None:
        return None
    hint = "fix or remove them (without them the text is split again)"
    if not isinstance(raw, list):
        raise InputError(f"{where}: `sentences` is {kind_of(raw)}, not a list of {{start, end}}; {hint}")
    spans: list[Span] = []
    prev_end = 0
    for n, s in enumerate(raw):
        start, end = (s.get("start"), s.get("end")) if isinstance(s, dict) else (None, None)
        if not (type(start) is int and type(end) is int):
            raise InputError(f"{where}: sentence {n} is not {{\"start\": int, \"end\": int}}; {hint}")
        if not prev_end <= start < end <= len(text):
            raise InputError(f"{where}: sentence {n} ({start}-{end}) is out of order, empty or outside the text "
                             f"(length {len(text)}); {hint}")
        piece = text[start:end]
        if piece != piece.strip():
            raise InputError(f"{where}: sentence {n} ({start}-{end}) begins or ends with whitespace; {hint}")
        spans.append(Span(start, end))
        prev_end = end
    return tuple(spans)


def _tick(d: dict[str, Any]) -> int | None:
    """A record's stamp counter: absent in schema 1 exports (0), else an integer >= 0."""
    t = d.get("tick", 0)
    return t if type(t) is int and 0 <= t < 2**62 else None


def _labels_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Label]:
    raw = obj.get("spans")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `spans` is {kind_of(raw)}, not a list; fix or remove it")
    labels: list[Label] = []
    for n, s in enumerate(raw):
        d: dict[str, Any] = s if isinstance(s, dict) else {}
        start, end, name, who, when = (d.get(k) for k in ("start", "end", "label", "annotator", "updated_at"))
        tick = _tick(d)
        prov = provenance.read(d)
        if not (type(start) is int and type(end) is int and isinstance(name, str) and isinstance(who, str)
                and isinstance(when, str) and tick is not None and prov is not None):
            raise InputError(
                f"{where}: span {n} needs integer start and end, string label, annotator and updated_at "
                f"(and tick, if any, an integer >= 0; source, if any, \"\" or suggestion:<name>, score null or "
                f"in 0..1, suggested \"\" or <name>:<label>); fix or remove it"
            )
        labels.append(Label(aid, start, end, name, who, when, tick, *prov))
    return labels


def _decisions_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Decision]:
    raw = obj.get("final")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `final` is {kind_of(raw)}, not a list; fix or remove it")
    out: list[Decision] = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        start, end, name, by, when = (d.get(k) for k in ("start", "end", "label", "by", "updated_at"))
        reason, votes = d.get("reason", ""), d.get("votes", [])
        ok_votes = isinstance(votes, list) and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(y, str) for y in v) for v in votes)
        tick = _tick(d)
        if not (type(start) is int and type(end) is int and isinstance(name, str) and isinstance(by, str)
                and isinstance(when, str) and isinstance(reason, str) and ok_votes and is_iso_time(when)
                and tick is not None):
            raise InputError(
                f"{where}: final label {n} needs integer start and end, string label, by, reason and an ISO "
                f"updated_at, and votes as [annotator, label] pairs; fix or remove it"
            )
        out.append(Decision(aid, start, end, name, by, reason, when, tuple((a, b) for a, b in votes), tick))
    return out


def _clears_from_export(obj: dict[str, Any], key: str, who: str, where: str) -> list[tuple[int, int, str, str, int]]:
    """(start, end, who, updated_at, tick) of each record of ``key``: labels (``cleared``) or
    final labels (``final_cleared``) taken off."""
    raw = obj.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `{key}` is {kind_of(raw)}, not a list; fix or remove it")
    out = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        start, end, name, when = (d.get(k) for k in ("start", "end", who, "updated_at"))
        tick = _tick(d)
        if not (type(start) is int and type(end) is int and isinstance(name, str) and name
                and isinstance(when, str) and is_iso_time(when) and tick is not None):
            raise InputError(f"{where}: {key} record {n} needs integer start and end, {who} and an ISO "
                             f"updated_at; fix or remove it")
        out.append((start, end, name, when, tick))
    return out


def _skipped_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Label]:
    """The skip decisions (``skipped``), each with its provenance (schema 6: a suggester may
    suggest skip)."""
    fields = _clears_from_export(obj, "skipped", "annotator", where)
    raw = obj.get("skipped") or []
    out = []
    for n, (start, end, who, when, tick) in enumerate(fields):
        prov = provenance.read(raw[n])
        if prov is None:
            raise InputError(f"{where}: skipped record {n}: source, score or suggested is not sound (source \"\" "
                             f"or suggestion:<name>, score null or in 0..1, suggested \"\" or <name>:<label>); "
                             f"fix or remove it")
        out.append(Label(aid, start, end, SKIP, who, when, tick, *prov))
    return out


def _cleared_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Cleared]:
    return [Cleared(aid, *fields) for fields in _clears_from_export(obj, "cleared", "annotator", where)]


def _final_cleared_from_export(obj: dict[str, Any], aid: str, where: str) -> list[FinalCleared]:
    return [FinalCleared(aid, *fields) for fields in _clears_from_export(obj, "final_cleared", "by", where)]


def _history_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Event]:
    raw = obj.get("history")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `history` is {kind_of(raw)}, not a list; fix or remove it")
    out: list[Event] = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        start, end, who, op, when = (d.get(k) for k in ("start", "end", "who", "op", "updated_at"))
        label, before, undoes = d.get("label"), d.get("before"), d.get("undoes") or ""
        final, reason, votes = d.get("final", False), d.get("reason") or "", d.get("votes") or []
        tick = _tick(d)
        prov = provenance.read(d)
        ok_votes = isinstance(votes, list) and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(y, str) for y in v) for v in votes)
        if not (type(start) is int and type(end) is int and isinstance(who, str) and who and op in EVENT_OPS
                and (label is None or isinstance(label, str)) and (before is None or isinstance(before, str))
                and isinstance(undoes, str) and isinstance(final, bool) and isinstance(reason, str) and ok_votes
                and isinstance(when, str) and is_iso_time(when) and tick is not None and prov is not None):
            raise InputError(f"{where}: history record {n} needs integer start and end, who, an op (label, clear, "
                             f"undo or redo), a label or null and an ISO updated_at (and a sound source, score "
                             f"and suggested, if any); fix or remove it")
        # Schema 3 writes "" for no label, older exports null.
        out.append(Event(aid, start, end, who, label or None, op, when, tick, before or None, undoes, final, reason,
                         tuple((a, b) for a, b in votes), *prov))
    return out


def _span_records(raw: object) -> tuple[Span, ...] | None:
    if not isinstance(raw, list):
        return None
    out = []
    for x in raw:
        start, end = (x.get("start"), x.get("end")) if isinstance(x, dict) else (None, None)
        if not (type(start) is int and type(end) is int and 0 <= start < end):
            return None
        out.append(Span(start, end))
    return tuple(out)


def _segmentation_from_export(obj: dict[str, Any], aid: str, where: str) -> list[SegEvent]:
    """The article's splits and joins (and their undos and redos), from our own export."""
    raw = obj.get("segmentation")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `segmentation` is {kind_of(raw)}, not a list; fix or remove it")
    out: list[SegEvent] = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        op, who, when, undoes, tick = d.get("op"), d.get("who"), d.get("updated_at"), d.get("undoes") or "", _tick(d)
        removed, added = _span_records(d.get("removed")), _span_records(d.get("added"))
        if not (op in SEG_OPS and isinstance(who, str) and who and isinstance(when, str) and is_iso_time(when)
                and isinstance(undoes, str) and tick is not None and removed is not None and added is not None
                and all(s.end <= len(obj["text"]) for s in (*removed, *added))):
            raise InputError(f"{where}: segmentation record {n} needs an op (split, join, undo or redo), who, "
                             f"removed and added sentences inside the text and an ISO updated_at; fix or remove it")
        out.append(SegEvent(aid, who, op, removed, added, when, tick, undoes))
    return out


def _retired_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Label | Decision]:
    """The labels and final labels a split or join retired, as they were (the database sorts
    them out again against the segmentation)."""
    raw = obj.get("retired")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `retired` is {kind_of(raw)}, not a list; fix or remove it")
    out: list[Label | Decision] = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        start, end, name, who, when = (d.get(k) for k in ("start", "end", "label", "who", "updated_at"))
        final, reason, votes, tick = d.get("final", False), d.get("reason") or "", d.get("votes") or [], _tick(d)
        ok_votes = isinstance(votes, list) and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(y, str) for y in v) for v in votes)
        prov = provenance.read(d)
        if not (type(start) is int and type(end) is int and isinstance(name, str) and isinstance(who, str) and who
                and isinstance(when, str) and is_iso_time(when) and isinstance(final, bool)
                and isinstance(reason, str) and ok_votes and tick is not None and prov is not None):
            raise InputError(f"{where}: retired record {n} needs integer start and end, a label, who and an ISO "
                             f"updated_at (and a sound source, score and suggested, if any); fix or remove it")
        out.append(Decision(aid, start, end, name, who, reason, when, tuple((a, b) for a, b in votes), tick)
                   if final else Label(aid, start, end, name, who, when, tick, *prov))
    return out


def _notes_from_export(obj: dict[str, Any], aid: str, where: str, key: str) -> list[Note]:
    """The reviewers' notes and flags (``notes``, or ``retired_notes``: the database sorts
    them out again against the segmentation), from our own export (schema 6)."""
    raw = obj.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `{key}` is {kind_of(raw)}, not a list; fix or remove it")
    out: list[Note] = []
    for n, x in enumerate(raw):
        d: dict[str, Any] = x if isinstance(x, dict) else {}
        start, end, who, text, flag = (d.get(k) for k in ("start", "end", "annotator", "note", "flag"))
        at, flag_at = d.get("updated_at") or "", d.get("flag_updated_at") or ""
        tick, flag_tick = _tick(d), _tick({"tick": d.get("flag_tick", 0)})
        if not (type(start) is int and type(end) is int and isinstance(who, str) and who and isinstance(text, str)
                and isinstance(flag, bool) and isinstance(at, str) and (not at or is_iso_time(at))
                and isinstance(flag_at, str) and (not flag_at or is_iso_time(flag_at)) and tick is not None
                and flag_tick is not None):
            raise InputError(f"{where}: {key} record {n} needs integer start and end, an annotator, a note (text), "
                             f"a flag (true or false) and ISO updated_at and flag_updated_at (or \"\"); fix or "
                             f"remove it")
        out.append(Note(aid, start, end, who, text, flag, at, tick, flag_at, flag_tick))
    return out


def _latest_segmentation(sentences: tuple[Span, ...], events: list[SegEvent]) -> list[Segmentation]:
    """The record's sentences as its latest segmentation decision left them (none if it has none)."""
    if not events:
        return []
    last = max(events, key=lambda e: (instant(e.updated_at), e.tick))
    return [Segmentation(sentences, last.updated_at, last.tick)]
def _sentences(text: str, language: str) -> tuple[Span, ...]:
    return tuple(Span(s, e) for s, e in segment(text, language))


def _article_from_text(text: str, sources: tuple[str, ...], language: str, title: str | None = None,
                       meta: dict[str, Any] | None = None, sentences: tuple[Span, ...] | None = None) -> Article:
    spans = sentences if sentences is not None else _sentences(text, language)
    return Article(
        id=article_id(text),
        title=title if title is not None else detect_title(text),
        text=text,
        sentences=spans,
        sources=sources,
        meta=meta or {},
    )


# Keys of a JSONL line that annotator reads; any other key of a line from another tool is
# kept in ``meta`` (unless meta has it already), so nothing in the file is lost.
_JSONL_KEYS = frozenset({"text", "id", "title", "meta", "sentences", "spans"})


def _exact(lab: Label, file: str) -> Proposed:
    """A label of our own export: its offsets are a sentence as stored, matched as they are."""
    return Proposed(lab.start, lab.end, lab.label, lab.annotator, lab.updated_at, lab.tick, file=file, exact=True,
                    source=lab.source, score=lab.score, suggested=lab.suggested)


def _jsonl_item(obj: object, path: Path, lineno: int, language: str, max_bytes: int, reviewer: str = "",
                where: str | None = None) -> ImportItem | Loose:
    """One record: an article with its labels, or (a ``sentences`` export row) labels of an
    article named by id.  ``reviewer`` is the name on labels whose file names no one."""
    where = where or f"{quote_path(path)} line {lineno}"
    if not isinstance(obj, dict):
        raise InputError(f"{where}: {kind_of(obj)}, not a JSON object with a \"text\" field; "
                         f"every line must be one object")
    ctx = Context(quote_path(path), reviewer)
    if our_exports.is_sentence_row(obj):  # never an article of its own: its text is one sentence
        return our_exports.sentence_row(obj, ctx)
    found = foreign(obj, where, ctx)  # another tool's record, by its keys
    if found is not None and (row := our_exports.back_to_article(obj, found, ctx)) is not None:
        return row  # one sentence of an article, from our own textcat export (maybe through the tool)
    body = found.text if found is not None else obj.get("text")
    if body is None:
        raise InputError(f"{where}: missing \"text\" (a string); every line needs one")
    if not isinstance(body, str):
        raise InputError(f"{where}: \"text\" is {kind_of(body)}, not a string")
    if max_bytes and len(body) > max_bytes // 4 and len(body.encode("utf-8")) > max_bytes:
        raise _too_big(path, len(body.encode("utf-8")), max_bytes, f"line {lineno}: the text")
    ours = "schema_version" in obj
    if ours:
        _unpack(obj, where)
    raw_meta = obj.get("meta", {})
    if ours and isinstance(raw_meta, str):  # schema 3 writes meta as a JSON string
        try:
            raw_meta = orjson.loads(raw_meta)
        except orjson.JSONDecodeError:
            raise InputError(f"{where}: \"meta\" is a string that is not JSON; fix or remove it") from None
    if not isinstance(raw_meta, dict):
        raise InputError(f"{where}: \"meta\" is {kind_of(raw_meta)}, not a JSON object; fix or remove it")
    meta: dict[str, Any] = dict(raw_meta)
    if not ours:
        if "id" in obj and "id" not in meta:
            meta["id"] = obj["id"]  # another tool's id, kept; our own id is the content hash
        # Keys the tool's reader took as labels are not kept: they differ per reviewer.
        consumed = found.consumed if found is not None else frozenset()
        for key, value in [*obj.items(), *(found.meta.items() if found is not None else ())]:
            if key not in _JSONL_KEYS and key not in meta and key not in consumed:
                meta[key] = value
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    sources: tuple[str, ...] = (f"{path_text(path)}:{lineno}",)
    if ours and isinstance(obj.get("sources"), list) and obj["sources"]:
        sources = tuple(str(x) for x in obj["sources"])  # our own export: restore it as it was
    art = _article_from_text(body, sources, language, title=title, meta=meta,
                             sentences=_sentences_from_export(obj, body, where))
    decisions = _decisions_from_export(obj, art.id, where) if ours else []
    cleared = _cleared_from_export(obj, art.id, where) if ours else []
    final_cleared = _final_cleared_from_export(obj, art.id, where) if ours else []
    events = _history_from_export(obj, art.id, where) if ours else []
    retired = _retired_from_export(obj, art.id, where) if ours else []
    seg_events = _segmentation_from_export(obj, art.id, where) if ours else []
    if found is not None:
        labels, problems, notes = found.labels, found.problems, found.notes
    elif our_exports.is_gold(obj):
        labels, problems, notes = our_exports.gold(obj, ctx)
    else:
        exported = [*_labels_from_export(obj, art.id, where), *_skipped_from_export(obj, art.id, where)]
        labels, problems, notes = [_exact(lab, ctx.file) for lab in exported], [], []
    marks = [*_notes_from_export(obj, art.id, where, "notes"),
             *_notes_from_export(obj, art.id, where, "retired_notes")] if ours else []
    return ImportItem(art, [], decisions, cleared, final_cleared, events, retired, seg_events,
                      _latest_segmentation(art.sentences, seg_events), labels,
                      [(ctx.file, r) for r in problems], [(ctx.file, n) for n in notes], marks)


def _unpack(obj: dict[str, Any], where: str) -> None:
    """Read the lists a schema 4 jsonl record writes as JSON strings (``export.PACKED``), with
    the same checks as the line itself."""
    for key in PACKED:
        raw = obj.get(key)
        if not isinstance(raw, str):
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if "depth" in exc.msg or "recursion" in exc.msg:
                raise InputError(f"{where}: `{key}`: {_too_deep()}") from None
            raise InputError(f"{where}: `{key}` is a string that is not JSON ({exc.msg}); fix or remove it") from None
        check_json_values(value, raw, f"{where}: `{key}`")
        obj[key] = value


# Where a value sits in a JSON line: (the parent's link, key or index); None for the line's object.
_At = tuple[Any, "str | int"] | None


def _too_deep(at: str = "") -> str:
    where = f" (at {at})" if at else ""
    return (f"nested deeper than {MAX_JSON_DEPTH} levels{where}; flatten it, or store the deep part as a string, "
            f"and import again")


def _json_path(at: _At) -> str:
    """``meta.x[3].y`` from a chain of (parent, key) links; long paths and keys cut short."""
    keys: list[str | int] = []
    while at is not None:
        at, key = at
        keys.append(key)
    out = ""
    for key in reversed(keys):
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            name = sanitize_line(path_text(key))
            out += ("." if out else "") + (name if len(name) <= 30 else name[:29] + "…")
        if len(out) > 60:
            return out[:59] + "…"
    return out


class _Digits(str):
    """An integer literal too long to be worth converting (it is refused anyway)."""


def _parse_int(digits: str) -> int | _Digits:
    return int(digits) if len(digits) <= 40 else _Digits(digits)


def _big_int(value: object, at: _At) -> tuple[str, _At] | None:
    """The first integer in ``value`` that does not fit in 64 bits, in file order, and where."""
    if isinstance(value, _Digits) or (type(value) is int and not JSON_INT_MIN <= value <= JSON_INT_MAX):
        return str(value), at
    if isinstance(value, dict):
        for k, v in value.items():
            if (found := _big_int(v, (at, k))) is not None:
                return found
    elif isinstance(value, list):
        for n, v in enumerate(value):
            if (found := _big_int(v, (at, n))) is not None:
                return found
    return None


def check_json_values(obj: object, line: str, where: str) -> None:
    """Refuse, in one line naming ``where``, what could not be stored as it was read.

    Containers nested deeper than ``MAX_JSON_DEPTH`` (the line's own object is level 1):
    saving would hit orjson's limit of 255 in the middle of an import, and every reader
    (Python's recursion limit) would be at risk.  An integer beyond 64 bits: orjson reads it
    as a float, so it would be stored changed (2**70 as 1.1805916207174113e+21) and orjson
    cannot write it at all; it must be given as a string.
    """
    stack: list[tuple[object, int, _At]] = [(obj, 1, None)]
    floats = False
    while stack:
        value, depth, at = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InputError(f"{where}: {_too_deep(_json_path(at))}")
        pairs: Iterable[tuple[str | int, object]] = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ())
        for key, v in pairs:
            if isinstance(v, (dict, list)):
                stack.append((v, depth + 1, (at, key)))
            elif type(v) is float:
                floats = True
    # orjson gives an integer beyond 64 bits as a float: only a line with a float and a long
    # run of digits can hold one, and only such a line is read again, exactly.
    if not floats or _LONG_DIGITS.search(line) is None:
        return
    try:
        exact = json.loads(line, parse_int=_parse_int)
    except (ValueError, RecursionError):  # read by orjson already; nothing more to learn here
        return
    found = _big_int(exact, None)
    if found is not None:
        digits, at = found
        shown = digits if len(digits) <= 40 else f"{digits[:20]}… ({len(digits.lstrip('-'))} digits)"
        raise InputError(f"{where}: integer {shown} at {_json_path(at) or 'the top level'} does not fit in 64 bits; "
                         f"store it as a string (in quotes) and import again")


def _jsonl_lines(f: BinaryIO, path: Path, max_line: int) -> Iterator[tuple[int, bytes | InputError]]:
    """(line number, bytes or an InputError) for each line; an over-long line is skipped unread."""
    lineno = 0
    while True:
        raw = f.readline(max_line + 1) if max_line else f.readline()
        if not raw:
            return
        lineno += 1
        if max_line and len(raw) > max_line and not raw.endswith(b"\n"):
            size = len(raw)
            while chunk := f.readline(1 << 20):  # the rest of the line, not kept
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            yield lineno, InputError(
                f"{quote_path(path)} line {lineno}: the line is {format_size(size)}, over the "
                f"{format_size(max_line)} a line may take; split it, or re-run with a larger --max-size"
            )
            continue
        yield lineno, raw.removesuffix(b"\n").removesuffix(b"\r")


def read_jsonl(path: Path, encoding: str | None, language: str, max_bytes: int = DEFAULT_MAX_BYTES,
               reviewer: str = "") -> list[ImportItem | Loose]:
    """Every line of a JSONL file, or an InputError naming the first bad line (and how many are bad).

    Lines are split at ``\\n`` only (JSON Lines): a U+2028 or NEL inside a JSON string is text.
    """
    enc = encoding or "utf-8"
    if encoding and not "a\n".encode(encoding, "ignore").endswith(b"a\n"):
        raise InputError(f"{quote_path(path)}: a .jsonl file must be in UTF-8 (or an ASCII-based --encoding), "
                         f"not {sanitize_line(encoding)}; convert it, e.g. iconv -f {sanitize_line(encoding)} -t UTF-8")
    f, _ = _open_regular(path)
    try:
        head = f.peek(4)[:4] if hasattr(f, "peek") else b""
    except OSError:
        head = b""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        f.close()
        raise InputError(f"{quote_path(path)}: a .jsonl file must be in UTF-8, not UTF-16 or UTF-32; "
                         f"convert it, e.g. iconv -f UTF-16 -t UTF-8")
    items: list[ImportItem | Loose] = []
    bad: list[int] = []
    first: InputError | None = None
    max_line = max_bytes * JSONL_LINE_FACTOR if max_bytes else 0
    with f:
        try:
            for lineno, raw in _jsonl_lines(f, path, max_line):
                try:
                    if isinstance(raw, InputError):
                        raise raw
                    if lineno == 1:
                        raw = raw.removeprefix(codecs.BOM_UTF8)
                    if not raw.strip():
                        continue
                    try:
                        line = raw.decode(enc)
                    except UnicodeDecodeError as exc:
                        hint = "try another --encoding" if encoding else (
                            f"convert it, or re-run with --encoding {guess_encoding(raw)} (or the file's own encoding)")
                        raise InputError(f"{quote_path(path)} line {lineno}: not {'valid ' + enc if encoding else 'UTF-8'} "
                                         f"(byte {exc.start} of the line); {hint}") from None
                    try:
                        obj = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        if "depth" in exc.msg or "recursion" in exc.msg:
                            raise InputError(f"{quote_path(path)} line {lineno}: {_too_deep()}") from None
                        raise InputError(f"{quote_path(path)} line {lineno}: not valid JSON ({exc.msg}, column "
                                         f"{exc.colno}); fix that line and import again") from None
                    check_json_values(obj, line, f"{quote_path(path)} line {lineno}")
                    items.append(_jsonl_item(obj, path, lineno, language, max_bytes, reviewer))
                except InputError as exc:
                    bad.append(lineno)
                    first = first or exc
        except OSError as exc:
            raise InputError(f"{quote_path(path)}: {stat_reason(exc, path)}") from None
    if first is not None:
        if len(bad) > 1:
            named = ", ".join(map(str, bad[:_JSONL_ERRORS_NAMED])) + (", …" if len(bad) > _JSONL_ERRORS_NAMED else "")
            raise InputError(f"{first.message} ({len(bad)} bad lines in all: {named}; nothing from this file "
                             f"was imported)")
        raise InputError(f"{first.message} (nothing from this file was imported)")
    return items


def read_csv(path: Path, encoding: str | None, language: str, max_bytes: int = DEFAULT_MAX_BYTES,
             reviewer: str = "") -> list[ImportItem | Loose]:
    """The sentence rows of our own csv export, each read as the same row of the sentences
    export is (their labels attach to the articles they name), or one InputError."""
    from annotator.formats.spreadsheet import NotOurCsv, read_rows

    text = decode(path, read_text_file(path, max_bytes), encoding)
    try:
        rows = read_rows(text)
    except NotOurCsv as exc:
        raise InputError(f"{quote_path(path)}: {exc}") from None
    items: list[ImportItem | Loose] = []
    for lineno, obj in rows:
        items.append(_jsonl_item(obj, path, lineno, language, max_bytes, reviewer))
    return items


def read_spacy(path: Path, encoding: str | None, language: str, max_bytes: int = DEFAULT_MAX_BYTES,
               reviewer: str = "") -> list[ImportItem | Loose]:
    """The Docs of a ``.spacy`` DocBin with their span labels and categories (spaCy needed),
    or an InputError naming the first bad Doc (nothing from the file is imported then)."""
    from annotator.formats.spacy_docbin import records

    limit = max_bytes * JSON_FILE_FACTOR if max_bytes else 0
    f, size = _open_regular(path)
    with f:
        if limit and size > limit:
            raise InputError(f"{quote_path(path)}: the file is {format_size(size)}, over the {format_size(limit)} a "
                             f".spacy file may take ({JSON_FILE_FACTOR} times --max-size); split it, or re-run with "
                             f"a larger --max-size")
        try:
            data = f.read()
        except OSError as exc:
            raise InputError(f"{quote_path(path)}: {stat_reason(exc, path)}") from None
    items: list[ImportItem | Loose] = []
    for n, (rec, notes) in enumerate(records(data, quote_path(path)), 1):
        item = _jsonl_item(rec, path, n, language, max_bytes, reviewer, f"{quote_path(path)} doc {n}")
        if isinstance(item, Loose):
            item.notes.extend(notes)
        else:
            item.notes.extend((quote_path(path), note) for note in notes)
        items.append(item)
    return items


# ----------------------------------------------------------------------------- JSON (Label Studio)


class NotAnImport(InputError):
    """A file that is no import at all (a database of ours): a note, not an error."""


def _is_tinydb(obj: object) -> bool:
    """A TinyDB file: tables of records keyed by number, as every annotator database file is."""
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(t, dict) and all(k.isdigit() for k in t) for t in obj.values())


def read_json(path: Path, encoding: str | None, language: str, max_bytes: int = DEFAULT_MAX_BYTES,
              reviewer: str = "") -> list[ImportItem | Loose]:
    """The tasks of a Label Studio JSON export (a JSON array), or an InputError naming the
    first bad task (nothing from the file is imported then).  The array may also hold our
    own export's records (``export --format json``)."""
    limit = max_bytes * JSON_FILE_FACTOR if max_bytes else 0
    f, size = _open_regular(path)
    with f:
        if limit and size > limit:
            raise InputError(f"{quote_path(path)}: the file is {format_size(size)}, over the {format_size(limit)} a "
                             f".json file may take ({JSON_FILE_FACTOR} times --max-size); split it, or re-run with a "
                             f"larger --max-size")
    text = decode(path, read_text_file(path, limit), encoding)
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg or "recursion" in exc.msg:
            raise InputError(f"{quote_path(path)}: {_too_deep()}") from None
        raise InputError(f"{quote_path(path)}: not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno}); "
                         f"fix it and import again") from None
    if _is_tinydb(doc):
        raise NotAnImport(f"{quote_path(path)}: a TinyDB database file (an annotator database?), not an import; "
                          f"bring in another database with `annotator merge`")
    if not isinstance(doc, list):
        raise InputError(f"{quote_path(path)}: {kind_of(doc)}, not a Label Studio JSON export (a JSON array of "
                         f"tasks); a .json file is read only as that; import other records as .jsonl")
    check_json_values(doc, text, quote_path(path))
    items: list[ImportItem | Loose] = []
    bad: list[int] = []
    first: InputError | None = None
    for n, task in enumerate(doc, 1):
        where = f"{quote_path(path)} task {n}"
        try:
            if not (isinstance(task, dict) and (label_studio.matches(task) or "schema_version" in task)):
                raise InputError(f"{where}: not a Label Studio task (an object with data.text); a .json file is "
                                 f"read only as a Label Studio export (export as JSON, not JSON-MIN)")
            items.append(_jsonl_item(task, path, n, language, max_bytes, reviewer, where))
        except InputError as exc:
            bad.append(n)
            first = first or exc
    if first is not None:
        more = f"{len(bad)} bad tasks in all; " if len(bad) > 1 else ""
        raise InputError(f"{first.message} ({more}nothing from this file was imported)")
    return items


_READERS: dict[str, Callable[[Path, str | None, str, int, str], list[ImportItem | Loose]]] = {
    **{x: read_jsonl for x in JSONL_SUFFIXES}, **{x: read_json for x in JSON_SUFFIXES},
    **{x: read_csv for x in CSV_SUFFIXES}, **{x: read_spacy for x in SPACY_SUFFIXES},
}


# ----------------------------------------------------------------------------- plan / apply


def plan_import(
    paths: Sequence[Path] | FileList,
    *,
    encoding: str | None = None,
    language: str = "id",
    on_file: Callable[[Path], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reviewer: str = "",
    keep_texts: bool = True,
) -> ImportPlan:
    """Read and check every file; the database is not touched.

    ``paths`` are files and folders (listed with ``list_files``) or a ``FileList`` already
    made.  ``max_bytes`` is the largest article (0: no limit).  ``reviewer`` (the importing
    reviewer) is the name on labels from files that name no one (doccano, say).  Without
    ``keep_texts``, .txt and .md files are left unread, in ``plan.texts``, for
    ``apply_import`` (or ``dry_run_counts``) to read once, in worker processes: the articles
    of data files come first in the database's order, then the texts'.
    """
    check_encoding(encoding)
    listed = paths if isinstance(paths, FileList) else list_files(paths)
    plan = ImportPlan(skipped=list(listed.skipped))
    by_id: dict[str, ImportItem] = {}
    for at, path in enumerate(listed.files):
        if on_file is not None:
            on_file(path)
        suffix = path.suffix.lower()
        if suffix not in _SUFFIXES:
            plan.skipped.append(Skipped(quote_path(path), "not a .txt, .md, .jsonl, .json, .csv or .spacy file",
                                        error=False, at=at))
            continue
        plan.files_read += 1
        new_items: list[ImportItem | Loose]
        try:
            if suffix not in TEXT_SUFFIXES:
                read = _READERS[suffix]
                new_items = read(path, encoding, language, max_bytes, reviewer)
                if not new_items:
                    plan.skipped.append(Skipped(quote_path(path), EMPTY_FILE, error=False, at=at))
                    continue
            elif not keep_texts:
                plan.texts.append(TextFile(path, encoding, language, max_bytes, at))
                continue
            else:
                text = decode(path, read_text_file(path, max_bytes), encoding)
                if not text or text.isspace():
                    plan.skipped.append(Skipped(quote_path(path), EMPTY_FILE, error=False, at=at))
                    continue
                new_items = [ImportItem(_article_from_text(text, (path_text(path),), language))]
        except InputError as exc:
            # The message names the file already; the report puts the name first once.
            plan.skipped.append(_skipped(path, exc, at))
            continue
        for item in new_items:
            if isinstance(item, Loose):
                plan.loose.append(item)
                continue
            seen = by_id.get(item.article.id)
            if seen is None:
                by_id[item.article.id] = item
                plan.items.append(item)
            else:
                # The same text twice in one import (two files, or `cat ana.jsonl budi.jsonl` of
                # two exports): one article, joined as two imports would join it.  Every line's
                # labels, final labels and clears go to the database's merge, which decides per
                # key (the later decision wins); the first title and meta that are not empty win.
                a, b = seen.article, item.article
                seen.article = dataclasses.replace(
                    a, title=a.title or b.title, meta=a.meta or b.meta,
                    sources=tuple(dict.fromkeys(a.sources + b.sources)))
                for f in dataclasses.fields(ImportItem):  # labels, final labels, clears, and any record list
                    if f.name != "article":
                        getattr(seen, f.name).extend(getattr(item, f.name))
    return plan


def _skipped(path: Path, exc: InputError, at: int) -> Skipped:
    # The message names the file already; the report puts the name first once.
    reason = exc.message.removeprefix(f"{quote_path(path)}: ").removeprefix(f"{quote_path(path)} ")
    return Skipped(quote_path(path), reason, error=not isinstance(exc, NotAnImport), at=at)


# Text files an import reads in worker processes (``workers``) when there are at least this
# many: fewer do not repay starting the processes.
PARALLEL_MIN_TEXTS = 256
_PARALLEL_BATCH = 32

# The ids the database has, for ``_read_texts`` in worker processes: they fork with it, so it
# is never sent to them.
_known: frozenset[str] = frozenset()


def _read_text(source: TextFile, known: frozenset[str]) -> TextArticle | Skipped:
    """A text file's article, made ready to write (read, decoded, split), or why not."""
    try:
        text = decode(source.path, read_text_file(source.path, source.max_bytes), source.encoding)
    except InputError as exc:
        return _skipped(source.path, exc, source.at)
    if not text or text.isspace():
        return Skipped(quote_path(source.path), EMPTY_FILE, error=False, at=source.at)
    aid = article_id(text)
    if aid in known:
        return TextArticle(aid, detect_title(text), None)
    sentences = segment(text, source.language)
    return TextArticle(aid, detect_title(text),
                       ArticleFile(article_bytes(aid, text, sentences), len(sentences), text_preview(text)))


def _read_texts(batch: Sequence[TextFile]) -> list[TextArticle | Skipped]:
    """In a worker process.  The files are written by the caller: two processes creating
    files in one folder wait on each other's lock (and the kernel spins on it), and only
    one writes the index after them anyway."""
    return [_read_text(source, _known) for source in batch]


def read_texts(plan: ImportPlan, known: frozenset[str] = frozenset()) -> Iterator[tuple[TextFile, TextArticle | None]]:
    """Each of ``plan.texts`` with its article, in order, read and split ahead in worker
    processes when there are many; one that is already in ``known`` is not split.  A file
    that does not read, or holds nothing, comes with None, and goes to ``plan.skipped``."""
    global _known
    results: Iterator[TextArticle | Skipped]
    if len(plan.texts) >= PARALLEL_MIN_TEXTS and workers.available():
        _known = known
        results = workers.ordered_map(_read_texts, plan.texts, batch=_PARALLEL_BATCH, processes=workers.cores())
    else:
        results = (_read_text(source, known) for source in plan.texts)
    try:
        for source, got in zip(plan.texts, results):
            if isinstance(got, Skipped):
                plan.skipped.append(got)
                yield source, None
            else:
                yield source, got
        plan.skipped.sort(key=lambda s: s.at)  # reported in the order the files were listed
    finally:
        _known = frozenset()
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the workers, if the import failed before the last file


class _Articles:
    """The plan's articles for ``Database.add_articles``: those of data files, then those of
    text files as they are read (``load`` gives each one's text or file when asked)."""

    def __init__(self, db: Database, plan: ImportPlan) -> None:
        self.plan = plan
        self.db = db
        self.text: tuple[Article, ArticleFile | None] | None = None  # the text file's article just read
        self.failed = 0  # text files that did not read, so far

    def texts(self) -> Iterator[Article]:
        for source, got in read_texts(self.plan, frozenset(i.id for i in self.db.article_infos())):
            if got is None:
                self.failed += 1
                continue
            article = Article(got.id, got.title, "", (), (path_text(source.path),))
            self.text = (article, got.file)
            yield article

    def load(self, article: Article) -> tuple[str, list[tuple[int, int]]] | ArticleFile | None:
        if self.text is not None and article is self.text[0]:
            return self.text[1]  # None: the database has it already
        return article.text, [(s.start, s.end) for s in article.sentences]  # a data file's, read whole


def dry_run_counts(plan: ImportPlan) -> tuple[int, int]:
    """(articles, sentences) the plan would import, reading its text files (an error goes to
    ``plan.skipped``, as in the import)."""
    sentences = {i.article.id: len(i.article.sentences) for i in plan.items}
    for _, got in read_texts(plan):
        if got is not None and got.id not in sentences and got.file is not None:
            sentences[got.id] = got.file.n_sentences
    return len(sentences), sum(sentences.values())


def import_steps(plan: ImportPlan) -> int:
    """How many times ``apply_import`` calls ``progress``: per article, then per article with labels."""
    with_labels = {i.article.id for i in plan.items
                   if i.labels or i.decisions or i.cleared or i.proposed or i.retired or i.seg_events or i.marks}
    return len(plan.items) + len(plan.texts) + len(with_labels | {row.ref for row in plan.loose})


@dataclass(slots=True)
class CheckedLabels:
    """What ``check_labels`` found: the labels and final labels that fit, why the others do
    not, and what the files' tools set aside (rejected or cancelled work), per file."""

    labels: list[Label] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (file, why) -> how many
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (file, note template) -> how many


def _unfit(scheme: LabelScheme, label_id: str | None, p: Proposed, names_ok: dict[str, bool]) -> str | None:
    """Why a label placed on a sentence still cannot be imported (None: it can).
    ``names_ok`` remembers each reviewer name's check: a file names few people many times."""
    if label_id is None or not scheme.takes(label_id):
        return f"unknown label \"{shown_label(p.label)}\""
    if not p.annotator.strip():
        return "no annotator name"
    ok = names_ok.get(p.annotator)
    if ok is None:
        ok = names_ok[p.annotator] = is_name(p.annotator)
    if not ok:
        return "annotator name not printable, padded or over 64 characters"
    if not is_iso_time(p.updated_at):
        return "updated_at is not an ISO time"
    if (p.source or p.score is not None or p.suggested) and provenance.problems(p.source, p.score, p.suggested):
        return our_exports.BAD_PROVENANCE
    return None


def _drop_ties(placed: list[tuple[Proposed, Label | Decision]], out: CheckedLabels) -> None:
    """Keep what fits, but not labels that tie: the same sentence and reviewer (or the same
    sentence's final label) given different labels with the same stamp in this import, such
    as a doccano row with two labels for a one-sentence text.  The database would keep one
    by the label's name; the file does not say which, so none is kept and each is counted."""
    # A final label's key is its sentence; a label's, its sentence and reviewer.
    keys = [(r.article_id, r.start, r.end, "" if p.final else p.annotator, p.final) for p, r in placed]
    seen: set[tuple[str, int, int, str, bool]] = set()
    twice: set[tuple[str, int, int, str, bool]] = set()  # keys given more than once (few, if any)
    for k in keys:
        (twice if k in seen else seen).add(k)
    groups: dict[tuple[str, int, int, str, bool], list[tuple[Proposed, Label | Decision]]] = {}
    for k, (p, r) in zip(keys, placed):
        if k in twice:
            groups.setdefault(k, []).append((p, r))
    dropped: set[int] = set()
    for (_, _, _, _, final), group in groups.items():
        if len(group) > 1:
            top = max((instant(r.updated_at), r.tick) for _, r in group)
            tied = [(p, r) for p, r in group if (instant(r.updated_at), r.tick) == top]
            if len({(r.label, p.annotator, p.reason, p.votes) for p, r in tied}) > 1:
                for p, r in tied:
                    out.skipped[(p.file, SAME_FINAL if final else SAME_KEY)] += 1
                    dropped.add(id(r))
    for _, rec in placed:
        if id(rec) in dropped:
            continue
        if isinstance(rec, Decision):
            out.decisions.append(rec)
        else:
            out.labels.append(rec)


def label_id(scheme: LabelScheme, name: str) -> str | None:
    """The id a file's label name is stored as: skip, a live label's name, or its id (a file
    from before a rename); None if the scheme has no such label."""
    return SKIP if name == SKIP else scheme.id_for(name)


def _stored_ids(scheme: LabelScheme, plan: ImportPlan) -> None:
    """Our own export's final labels and history name labels as the scheme that wrote them
    named them: store them by this scheme's ids (a name it does not know stays, and the
    merge counts it as not importable)."""
    def lid(name: str) -> str:
        return label_id(scheme, name) or name

    for item in plan.items:
        item.decisions = [dataclasses.replace(d, label=lid(d.label), votes=tuple((w, lid(v)) for w, v in d.votes))
                          for d in item.decisions]
        item.events = [dataclasses.replace(e, label=lid(e.label) if e.label else e.label,
                                           before=lid(e.before) if e.before else e.before,
                                           votes=tuple((w, lid(v)) for w, v in e.votes)) for e in item.events]


def check_labels(
    plan: ImportPlan, scheme: LabelScheme, stored: Callable[[str], Article | None] = lambda aid: None,
    known: Callable[[str], frozenset[tuple[int, int]]] = lambda aid: frozenset(),
) -> CheckedLabels:
    """The plan's labels (and gold final labels) that fit, and why the others do not.

    A label must fall on one of its article's sentences (as stored, when ``stored`` has the
    article: one already in the database keeps its own segmentation), use a label of
    ``scheme``, name its annotator and carry an ISO time: what ``annotator verify`` checks.
    Another tool's label name matches the scheme's regardless of case (Prodigy writes
    ``CLAIM``).  A name is stored as its label's id (a file from before a rename may name
    the label by its id).  A label of our own export may also fall on a span ``known`` says
    was a sentence once (split or joined since): the database keeps it, retired.  Rows of
    our ``sentences`` export find their article by id, in the database or in this import.
    """
    out = CheckedLabels()
    by_case = {**{d.id.casefold(): d.id for d in scheme.live}, **{d.name.casefold(): d.id for d in scheme.live},
               SKIP: SKIP}
    planned = {i.article.id: i for i in plan.items}
    cache: dict[str, Sentences | None] = {}
    names_ok: dict[str, bool] = {}
    placed: list[tuple[Proposed, Label | Decision]] = []

    def in_plan(aid: str) -> Article | None:
        item = planned.get(aid)
        return item.article if item is not None else None

    def take(aid: str, p: Proposed) -> None:
        if aid not in cache:
            article = stored(aid) or in_plan(aid)
            cache[aid] = Sentences(article, known(aid)) if article is not None else None
        sentences = cache[aid]
        at = place(p, sentences) if sentences is not None else UNKNOWN_ARTICLE
        if isinstance(at, str):
            out.skipped[(p.file, at)] += 1
            return
        lid = label_id(scheme, p.label) if p.exact else label_id(scheme, p.label) or by_case.get(p.label.casefold())
        why = _unfit(scheme, lid, p, names_ok)
        if why is not None or lid is None:
            out.skipped[(p.file, why or "")] += 1
        elif p.final:
            votes = tuple((who, label_id(scheme, v) or v) for who, v in p.votes)
            placed.append((p, Decision(aid, *at, lid, p.annotator, p.reason, p.updated_at, votes, p.tick)))
        else:
            placed.append((p, Label(aid, *at, lid, p.annotator, p.updated_at, p.tick, p.source, p.score,
                                    p.suggested)))

    for item in plan.items:
        for lab in item.labels:  # given as Labels (by a caller, not read from a file)
            take(item.article.id, _exact(lab, ""))
        for p in item.proposed:
            take(item.article.id, p)
        out.skipped.update(item.problems)
        out.notes.update(item.notes)
    for row in plan.loose:
        for p in row.labels:
            take(row.ref, p)
        out.skipped.update((row.file, why) for why in row.problems)
        out.notes.update((row.file, note) for note in row.notes)
    _drop_ties(placed, out)
    return out


def _stored(db: Database, plan: ImportPlan, added: set[str]) -> tuple[
        Callable[[str], Article | None], Callable[[str], frozenset[tuple[int, int]]]]:
    """The articles already in ``db`` as labels are placed on them: with the sentences of this
    import's segmentation where it is the later one (it wins in the merge), and every span
    that is or was a sentence of them (labels on one that is no more come in retired)."""
    incoming: dict[str, Segmentation] = {}
    spans: dict[str, set[tuple[int, int]]] = {}
    for item in plan.items:
        aid = item.article.id
        for g in item.segmentations:
            had = incoming.get(aid)
            if had is None or (instant(g.updated_at), g.tick) > (instant(had.updated_at), had.tick):
                incoming[aid] = g
        for e in item.seg_events:
            spans.setdefault(aid, set()).update((s.start, s.end) for s in (*e.removed, *e.added))

    def stored(aid: str) -> Article | None:
        if aid in added or not db.has_article(aid):
            return None
        article = db.get_article(aid)
        g, mine = incoming.get(aid), db.segmentation(aid)
        if g is not None and (mine is None or (instant(g.updated_at), g.tick) > (instant(mine.updated_at), mine.tick)):
            article = dataclasses.replace(article, sentences=g.sentences)
        return article

    def known(aid: str) -> frozenset[tuple[int, int]]:
        mine = db.known_spans(aid) if aid not in added and db.has_article(aid) else frozenset()
        return mine | spans.get(aid, set())

    return stored, known


def apply_import(db: Database, plan: ImportPlan, progress: Callable[[int], None] | None = None) -> ImportResult:
    """``progress`` gets the steps done so far, up to ``import_steps(plan)``."""
    by_id = {i.article.id: i for i in plan.items}
    articles = _Articles(db, plan)
    steps = None if progress is None else (lambda n: progress(n + articles.failed))  # a file that failed is a step
    added, present = db.add_articles([i.article for i in plan.items], progress=steps, load=articles.load,
                                     then=articles.texts(),
                                     pack=len(plan.items) + len(plan.texts) >= articlefile.PACK_MIN_ARTICLES)
    if progress is not None and articles.failed:
        progress(len(plan.items) + len(plan.texts))  # the last files may have been ones that failed
    # A text twice in one import is one article with both sources, not one already present.
    fresh = set(added)
    present = [aid for aid in dict.fromkeys(present) if aid not in fresh]
    sentences = {i.id: i.n_sentences for i in db.article_infos()}
    n_sent = sum(sentences[aid] for aid in added)
    # An article just added is placed on as planned, if the plan holds its text (else as stored).
    in_memory = {aid for aid in added if aid in by_id}
    checked = check_labels(plan, db.scheme, *_stored(db, plan, in_memory))
    labels = checked.labels
    if any(d.id != d.name for d in db.scheme.labels):
        _stored_ids(db.scheme, plan)
    first = len(plan.items) + len(plan.texts)
    on_labels = None if progress is None else (lambda n: progress(first + n))
    decisions = [d for i in plan.items for d in i.decisions] + checked.decisions
    cleared = [c for i in plan.items for c in i.cleared]
    final_cleared = [c for i in plan.items for c in i.final_cleared]
    events = [e for i in plan.items for e in i.events]
    labels += [x for i in plan.items for x in i.retired if isinstance(x, Label)]
    decisions += [x for i in plan.items for x in i.retired if isinstance(x, Decision)]
    seg_events = [e for i in plan.items for e in i.seg_events]
    segmentations = [(i.article.id, g) for i in plan.items for g in i.segmentations]
    # Notes and flags: our jsonl and json records carry them with their stamps; a sentences or
    # csv row only as they were (stamped early, as gold is: any real decision is later).
    marks = [n for i in plan.items for n in i.marks]
    marks += [Note(row.ref, s, e, who, note, flag, EARLY_STAMP if note else "", 0, EARLY_STAMP if flag else "", 0)
              for row in plan.loose for s, e, who, note, flag in row.marks]
    merged = (db.merge(labels, decisions, progress=on_labels, cleared=cleared, final_cleared=final_cleared,
                       events=events, seg_events=seg_events, segmentations=segmentations, notes=marks)
              if labels or decisions or cleared or final_cleared or events or seg_events or marks else None)
    counts = (merged.added, merged.updated, merged.unchanged, merged.skipped) if merged else (0, 0, 0, 0)
    if counts[3]:
        checked.skipped[("", NOT_A_SENTENCE)] += counts[3]
    total = (counts[0], counts[1], counts[2], sum(checked.skipped.values()))
    return ImportResult(added, present, n_sent, total, dict(checked.skipped), merged, dict(checked.notes))
