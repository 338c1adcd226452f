"""One article's file: its exact text and its sentences, written once, checked on reading."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from annotator.model import Span
from annotator.storage.tinyfile import (
    VERIFY_HINT,
    DamagedFile,
    corrupt,
    parse_tinydb,
    read_bytes,
    tinydb_bytes,
    write_unlisted,
)

# What an article's file holds: TinyDB's first document of table ``article``.
_TABLE, _DOC_ID = "article", "1"


def article_bytes(article_id: str, text: str, sentences: Sequence[tuple[int, int]]) -> bytes:
    """An article's file: the bytes ``Table(storage, "article").insert(...)`` writes into an
    empty file, without TinyDB's per-insert work or Span objects (an import makes thousands,
    in worker processes)."""
    return tinydb_bytes({_TABLE: {_DOC_ID: {"id": article_id, "text": text, "sentences": sentences}}})


def write_article(path: Path, raw: bytes, *, sync: bool = True) -> None:
    """Write ``article_bytes`` as the file of an article the index does not list yet."""
    write_unlisted(path, raw, sync=sync)


def read_article(path: Path, article_id: str) -> tuple[str, tuple[Span, ...]]:
    """(text, sentences); DamagedFile if the file is missing or not what annotator wrote."""
    raw = read_bytes(path)
    if raw is None:
        raise DamagedFile(
            path,
            "the file is missing",
            f"{path} is missing, so article {article_id} cannot be shown; restore it from a backup ({VERIFY_HINT})",
        )
    docs = list(parse_tinydb(path, raw).get(_TABLE, {}).values())
    d = docs[0] if len(docs) == 1 else {}
    text, sents = d.get("text"), d.get("sentences")
    spans: tuple[Span, ...] = ()
    ok = isinstance(text, str) and isinstance(sents, list) and d.get("id") == article_id
    if ok and sents is not None:
        try:
            spans = tuple(Span(s, e) for s, e in sents)
        except (TypeError, ValueError):
            ok = False
        ok = ok and all(
            type(s.start) is int and type(s.end) is int and 0 <= s.start < s.end <= len(str(text)) for s in spans
        )
    if not ok or not isinstance(text, str):
        raise corrupt(path, "the article record is malformed")
    return text, spans
