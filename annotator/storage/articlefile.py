"""Articles' files: each article's exact text and sentences, written once, checked on reading.

A file is TinyDB's table ``article``: one document in ``<id>.json``, or, from an import of
many texts, up to ``PACK_ARTICLES`` of them in one pack, ``<first id>+<count>.json`` (the
index row then names it).  Creating a file costs the kernel more than writing its bytes
(on ext4 after many deletions, several times more than the rest of an import), so a folder
of 14,000 texts makes 220 files, not 14,000.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
_HEAD = b'{"article":{"1":'  # how article_bytes starts (orjson keeps the keys' order)

# A pack holds at most this many articles, or goes over this many bytes with its last: opening
# an article parses its whole pack (about 2 ms for 1 MB), and a damaged pack takes its
# articles with it.
PACK_ARTICLES = 64
PACK_BYTES = 1 << 20
# An import or merge of this many new articles or more writes them in packs: fewer cost little
# to write one by one, and each stays a file of its own.
PACK_MIN_ARTICLES = 256
# A pack's name: never an article's (``+`` is not in ids), so never ``<id>.json``.
PACK_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}\+[0-9]{1,6}\.json")


def pack_name(first_id: str, count: int) -> str:
    return f"{first_id}+{count}.json"


def pack_bytes(files: Sequence[bytes]) -> bytes:
    """One file holding the articles of ``files`` (each ``article_bytes``), as documents 1, 2, ..."""
    docs = []
    for n, raw in enumerate(files, 1):
        if not (raw.startswith(_HEAD) and raw.endswith(b"}}")):
            raise ValueError("not an article's file (article_bytes)")
        docs.append(b'"%d":%s' % (n, raw[len(_HEAD):-2]))
    return b'{"article":{' + b",".join(docs) + b"}}"


def article_bytes(article_id: str, text: str, sentences: Sequence[tuple[int, int]]) -> bytes:
    """An article's file: the bytes ``Table(storage, "article").insert(...)`` writes into an
    empty file, without TinyDB's per-insert work or Span objects (an import makes thousands,
    in worker processes)."""
    return tinydb_bytes({_TABLE: {_DOC_ID: {"id": article_id, "text": text, "sentences": sentences}}})


def write_article(path: Path, raw: bytes, *, sync: bool = True) -> None:
    """Write ``article_bytes`` as the file of an article the index does not list yet."""
    write_unlisted(path, raw, sync=sync)


class LastFile:
    """The documents of the last pack read: an export or ``verify`` reads a pack's articles one
    after another, and parses it once."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.docs: dict[str, Any] = {}

    def docs_of(self, path: Path) -> dict[str, Any] | None:
        """The documents of table ``article`` by id (None if the file does not exist)."""
        if path == self.path:
            return self.docs
        raw = read_bytes(path)
        if raw is None:
            return None
        docs: dict[str, Any] = {}
        for d in parse_tinydb(path, raw).get(_TABLE, {}).values():
            key = d.get("id")
            docs[key if isinstance(key, str) and key not in docs else f"\0{len(docs)}"] = d  # "\0": never an id
        if PACK_NAME.fullmatch(path.name):
            self.path, self.docs = path, docs
        return docs


def read_article(path: Path, article_id: str, last: LastFile | None = None) -> tuple[str, tuple[Span, ...]]:
    """(text, sentences); DamagedFile if the file is missing or not what annotator wrote."""
    docs = (last or LastFile()).docs_of(path)
    if docs is None:
        raise DamagedFile(
            path,
            "the file is missing",
            f"{path} is missing, so article {article_id} cannot be shown; restore it from a backup ({VERIFY_HINT})",
        )
    is_pack = PACK_NAME.fullmatch(path.name) is not None
    d = docs.get(article_id)
    if d is None or (not is_pack and len(docs) != 1):
        raise corrupt(path, f"it does not hold article {article_id}" if is_pack else "the article record is malformed")
    text, sents = d.get("text"), d.get("sentences")
    spans: tuple[Span, ...] = ()
    ok = isinstance(text, str) and isinstance(sents, list)
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
