"""Dataset export in three versioned shapes; the same database always gives the same bytes.

``jsonl``: one article per line with its sentences and labeled spans (spaCy/Prodigy span
shape).  ``sentences``: one labeled sentence per line, ready for
``datasets.load_dataset("json", ...)``.  ``json``: one document holding every article.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from annotator.atomicio import atomic_write_bytes
from annotator.errors import ExportError
from annotator.importer import quote_path
from annotator.model import SCHEMA_VERSION, Article, Label

if TYPE_CHECKING:
    from annotator.storage import Database

FORMATS = ("jsonl", "sentences", "json")


def _span(lab: Label) -> dict[str, Any]:
    return {"start": lab.start, "end": lab.end, "label": lab.label, "annotator": lab.annotator, "updated_at": lab.updated_at}


def article_record(article: Article, labels: list[Label]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": article.id,
        "title": article.title,
        "source": article.sources[0] if article.sources else None,
        "sources": list(article.sources),
        "text": article.text,
        "sentences": [{"start": s.start, "end": s.end} for s in article.sentences],
        "spans": [_span(lab) for lab in labels],
        "meta": article.meta,
    }


def _selected(db: Database, annotators: set[str] | None, labeled_only: bool) -> Iterator[tuple[Article, list[Label]]]:
    for info in db.article_infos():
        labels = db.labels(info.id)
        if annotators is not None:
            labels = [lab for lab in labels if lab.annotator in annotators]
        if labeled_only and not labels:
            continue
        yield db.get_article(info.id), labels


def render(db: Database, fmt: str, *, annotators: set[str] | None = None, labeled_only: bool = False) -> Iterator[bytes]:
    """The export as chunks of bytes (UTF-8 JSON, one trailing newline per record)."""
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt}: unknown format; use one of {', '.join(FORMATS)}")
    rows = _selected(db, annotators, labeled_only or fmt == "sentences")
    if fmt == "jsonl":
        for article, labels in rows:
            yield orjson.dumps(article_record(article, labels)) + b"\n"
    elif fmt == "sentences":
        for article, labels in rows:
            index = {(s.start, s.end): i for i, s in enumerate(article.sentences)}
            for lab in labels:
                yield orjson.dumps({
                    "schema_version": SCHEMA_VERSION,
                    "article_id": article.id,
                    "sentence": index.get((lab.start, lab.end)),
                    "start": lab.start,
                    "end": lab.end,
                    "text": article.text[lab.start:lab.end],
                    "label": lab.label,
                    "annotator": lab.annotator,
                    "updated_at": lab.updated_at,
                }) + b"\n"
    else:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "labels": list(db.scheme.names),
            "articles": [
                {k: v for k, v in article_record(a, labs).items() if k != "schema_version"} for a, labs in rows
            ],
        }
        yield orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def write_file(path: Path, chunks: Iterable[bytes]) -> int:
    """Write atomically: the file is complete or absent (an old file stays as it was)."""
    if path.is_dir():
        raise ExportError(f"{quote_path(path)}: is a folder; give a file name with -o")
    if not path.parent.exists():
        raise ExportError(f"{quote_path(path.parent)}: no such folder; create it or choose another -o path")
    data = b"".join(chunks)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        hint = "free some space" if exc.errno == errno.ENOSPC else "choose a folder you can write to"
        raise ExportError(f"{quote_path(path)}: cannot write ({exc.strerror}); {hint}") from None
    return len(data)
