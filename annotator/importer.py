"""Reading articles from files: .txt, .md and .jsonl (Prodigy/doccano style or our own export).

Nothing here writes: ``plan_import`` reads and checks every file first, so a bad file is
reported before the database is touched, and ``apply_import`` writes what was planned.
The stored text is exactly the decoded file text (a UTF-8 BOM dropped, CRLF kept), so
offsets hold against the source file.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from annotator.errors import InputError
from annotator.model import Article, Label, Span
from annotator.sanitize import sanitize_line
from annotator.segment import segment

if TYPE_CHECKING:
    from annotator.storage import Database

TEXT_SUFFIXES = {".txt", ".md"}
JSONL_SUFFIXES = {".jsonl"}
TITLE_MAX_CHARS = 160
TITLE_MAX_WORDS = 25
_FINAL_PUNCT = tuple(".,;:!?…")


def article_id(text: str) -> str:
    """Stable content hash: the same text always gets the same id, on any machine."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def detect_title(text: str) -> str:
    """The first line when it is a heading: short, no final punctuation, followed by a blank line."""
    lines = text.splitlines()
    if len(lines) < 2 or lines[1].strip():
        return ""
    first = lines[0].strip()
    if first.startswith("#"):
        first = first.lstrip("#").strip()
    if not first or len(first) > TITLE_MAX_CHARS or len(first.split()) > TITLE_MAX_WORDS:
        return ""
    if first.endswith(_FINAL_PUNCT):
        return ""
    return first


def display_title(title: str, text: str, limit: int = 80) -> str:
    """Title, or the article's first words when it has none."""
    base = title or " ".join(text.split())
    if len(base) > limit:
        base = base[: limit - 1].rstrip() + "…"
    return base


def quote_path(path: Path | str) -> str:
    """A file name as it can be shown safely in one line of a message."""
    return sanitize_line(str(path))


@dataclass(slots=True)
class ImportItem:
    article: Article
    labels: list[Label] = field(default_factory=list)


@dataclass(slots=True)
class Skipped:
    path: str
    reason: str
    error: bool  # True: the file is broken (non-zero exit); False: merely not importable (a note)


@dataclass(slots=True)
class ImportPlan:
    items: list[ImportItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files_read: int = 0

    @property
    def errors(self) -> list[Skipped]:
        return [s for s in self.skipped if s.error]


@dataclass(slots=True)
class ImportResult:
    added: list[str]
    present: list[str]
    sentences_added: int
    labels: tuple[int, int, int, int] = (0, 0, 0, 0)  # added, updated, unchanged, skipped


def iter_files(paths: Sequence[Path], skipped: list[Skipped]) -> Iterator[Path]:
    """Files in the order given; folders recursively in sorted order, hidden entries left out."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{quote_path(path)}: no such file or folder; check the path and try again")
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def guess_encoding(data: bytes) -> str:
    """A hint only, never applied silently: cp1252 (Windows) when it decodes, else latin-1."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def decode(path: Path, data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(f"--encoding {encoding}: unknown encoding; use a name such as utf-8, latin-1 or cp1252") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{quote_path(path)}: not valid {encoding} at byte {exc.start}; try another --encoding") from None
        return text.removeprefix("\ufeff")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise InputError(f"{quote_path(path)}: looks like a binary file (it holds NUL bytes); import text files only")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{quote_path(path)}: not UTF-8 (line {line}); convert it, or re-run with --encoding {guess_encoding(data)}"
            " (or the file's own encoding)"
        ) from None
    return text.removeprefix("\ufeff")


def _sentences_from_export(obj: dict[str, Any], text: str, where: str) -> tuple[Span, ...] | None:
    """Our own export carries its segmentation; keep it so labels and split fixes survive a round trip."""
    raw = obj.get("sentences")
    if raw is None:
        return None
    spans: list[Span] = []
    prev_end = 0
    try:
        for s in raw:
            start, end = int(s["start"]), int(s["end"])
            if not (prev_end <= start < end <= len(text)):
                raise ValueError
            spans.append(Span(start, end))
            prev_end = end
    except (TypeError, KeyError, ValueError):
        raise InputError(f"{where}: `sentences` must be ordered {{start, end}} offsets inside `text`; fix or remove them") from None
    return tuple(spans)


def _labels_from_export(obj: dict[str, Any], aid: str, where: str) -> list[Label]:
    labels: list[Label] = []
    try:
        for s in obj.get("spans") or ():
            labels.append(
                Label(aid, int(s["start"]), int(s["end"]), str(s["label"]), str(s["annotator"]), str(s["updated_at"]))
            )
    except (TypeError, KeyError, ValueError):
        raise InputError(
            f"{where}: every entry of `spans` needs start, end, label, annotator and updated_at; fix or remove them"
        ) from None
    return labels


def _article_from_text(text: str, sources: tuple[str, ...], language: str, title: str | None = None,
                       meta: dict[str, Any] | None = None, sentences: tuple[Span, ...] | None = None) -> Article:
    spans = sentences if sentences is not None else tuple(Span(s, e) for s, e in segment(text, language))
    return Article(
        id=article_id(text),
        title=title if title is not None else detect_title(text),
        text=text,
        sentences=spans,
        sources=sources,
        meta=meta or {},
    )


def read_jsonl(path: Path, text: str, language: str) -> list[ImportItem]:
    items: list[ImportItem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{quote_path(path)} line {lineno}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg}); fix that line and import again") from None
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a JSON object with a \"text\" field")
        body = obj.get("text")
        if not isinstance(body, str):
            raise InputError(f"{where}: missing \"text\" (a string); every line needs one")
        raw_meta = obj.get("meta")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if "id" in obj and "schema_version" not in obj and "id" not in meta:
            meta = {**meta, "id": obj["id"]}  # another tool's id, kept; our own id is the content hash
        title = obj.get("title") if isinstance(obj.get("title"), str) else None
        sources: tuple[str, ...] = (f"{path}:{lineno}",)
        if "schema_version" in obj and isinstance(obj.get("sources"), list) and obj["sources"]:
            sources = tuple(str(x) for x in obj["sources"])  # our own export: restore it as it was
        art = _article_from_text(
            body, sources, language, title=title, meta=meta,
            sentences=_sentences_from_export(obj, body, where),
        )
        items.append(ImportItem(art, _labels_from_export(obj, art.id, where)))
    return items


def plan_import(
    paths: Sequence[Path],
    *,
    encoding: str | None = None,
    language: str = "id",
    on_file: Callable[[Path], None] | None = None,
) -> ImportPlan:
    """Read and check every file; the database is not touched."""
    plan = ImportPlan()
    by_id: dict[str, ImportItem] = {}
    for path in iter_files(paths, plan.skipped):
        if on_file is not None:
            on_file(path)
        suffix = path.suffix.lower()
        if suffix not in TEXT_SUFFIXES | JSONL_SUFFIXES:
            plan.skipped.append(Skipped(quote_path(path), "not a .txt, .md or .jsonl file", error=False))
            continue
        plan.files_read += 1
        try:
            data = path.read_bytes()
        except OSError as exc:
            plan.skipped.append(Skipped(quote_path(path), f"cannot be read ({exc.strerror}); check its permissions", error=True))
            continue
        try:
            text = decode(path, data, encoding)
            if not text.strip():
                plan.skipped.append(Skipped(quote_path(path), "empty file, nothing to import", error=False))
                continue
            if suffix in JSONL_SUFFIXES:
                new_items = read_jsonl(path, text, language)
            else:
                new_items = [ImportItem(_article_from_text(text, (str(path),), language))]
        except InputError as exc:
            # The message names the file already; the report puts the name first once.
            reason = exc.message.removeprefix(f"{quote_path(path)}: ").removeprefix(f"{quote_path(path)} ")
            plan.skipped.append(Skipped(quote_path(path), reason, error=True))
            continue
        for item in new_items:
            seen = by_id.get(item.article.id)
            if seen is None:
                by_id[item.article.id] = item
                plan.items.append(item)
            else:  # same text twice in one import: one article, both sources
                a = seen.article
                seen.article = Article(a.id, a.title, a.text, a.sentences, a.sources + item.article.sources, a.meta)
                seen.labels.extend(item.labels)
    return plan


def import_steps(plan: ImportPlan) -> int:
    """How many times ``apply_import`` calls ``progress``: per article, then per article with labels."""
    return len(plan.items) + len({i.article.id for i in plan.items if i.labels})


def apply_import(db: Database, plan: ImportPlan, progress: Callable[[int], None] | None = None) -> ImportResult:
    """``progress`` gets the steps done so far, up to ``import_steps(plan)``."""
    added, present = db.add_articles([i.article for i in plan.items], progress=progress)
    added_set = set(added)
    n_sent = sum(len(i.article.sentences) for i in plan.items if i.article.id in added_set)
    labels = [lab for i in plan.items for lab in i.labels]
    first = len(plan.items)
    on_labels = None if progress is None else (lambda n: progress(first + n))
    counts = db.put_labels(labels, progress=on_labels) if labels else (0, 0, 0, 0)
    return ImportResult(added, present, n_sent, counts)
