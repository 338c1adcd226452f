"""The index (the ``--db`` file): the project record (schema version, label scheme,
assignment options) and one row per article (title, sources, sentence count, reviewers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb.table import Table

from annotator.errors import DatabaseError
from annotator.model import DEFAULT_SCHEME, SCHEMA_VERSION, LabelScheme, now_iso
from annotator.names import is_name
from annotator.sanitize import sanitize_line
from annotator.storage.articlefile import PACK_NAME
from annotator.storage.records import SAFE_ID
from annotator.storage.tinyfile import Data, OrjsonStorage, corrupt


# The schema a database is written as until its first split or join (SEGMENTATION_SCHEMA after
# it) or its first pack of articles (PACKS_SCHEMA): an annotator from before those still opens
# it, and never misreads one that has them.
PLAIN_SCHEMA = 2


def create_index(index: OrjsonStorage) -> None:
    Table(index, "project").insert(
        {"schema_version": PLAIN_SCHEMA, "scheme": DEFAULT_SCHEME.to_json(), "created_at": now_iso()}
    )


def _article_row_ok(d: dict[str, Any]) -> bool:
    return (
        isinstance(d.get("id"), str)
        and SAFE_ID.fullmatch(d["id"]) is not None
        and type(d.get("seq")) is int
        and isinstance(d.get("title"), str)
        and isinstance(d.get("sources"), list)
        and all(isinstance(s, str) for s in d["sources"])
        and isinstance(d.get("meta", {}), dict)
        and type(d.get("n_sentences")) is int
        and isinstance(d.get("preview", ""), str)
        and (d.get("file") is None or (isinstance(d["file"], str) and PACK_NAME.fullmatch(d["file"]) is not None))
        and isinstance(d.get("assigned", []), list)
        and all(isinstance(x, str) for x in d.get("assigned", []))
    )


def read_index(path: Path, data: Data, known: dict[str, Any] | None = None,
               ) -> tuple[LabelScheme, int, list[tuple[int, dict[str, Any]]]]:
    """(scheme, schema version, article rows in import order as (doc id, row)); raises
    DamagedFile naming what is wrong, DatabaseError for a newer schema.  A row equal to the
    one ``known`` (the rows as last read) holds under its doc id was checked then."""
    projects = list(data.get("project", {}).values())
    if len(projects) != 1:
        raise corrupt(path, "not an annotator database: it needs exactly one 'project' record")
    p = projects[0]
    version = p.get("schema_version")
    if type(version) is not int or version < 1:
        raise corrupt(path, "the project record has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} was written by a newer annotator (schema {version}, this one reads {SCHEMA_VERSION}); "
            f"upgrade annotator to open it"
        )
    try:
        scheme = LabelScheme.from_json(p["scheme"])
    except (KeyError, TypeError, ValueError, AttributeError):
        scheme = LabelScheme(())
    if not scheme.labels:
        raise corrupt(path, "the project record has no valid label scheme")
    for ld in scheme.labels:
        if not is_name(ld.name) or not is_name(ld.id) or not all(is_name(k) for k in ld.keys):
            raise corrupt(path, f"label {sanitize_line(ld.name[:40])!r} of the scheme has a name, id or key that is "
                                "empty, too long or not printable")
    ids = [ld.id for ld in scheme.labels]
    names = list(scheme.names)
    if len(set(ids)) != len(ids) or len(set(names)) != len(names) or not scheme.live:
        raise corrupt(path, "the label scheme names a label or id twice, or has no live label")
    rows = []
    seen: set[str] = set()
    known = known or {}
    for doc_id, d in data.get("articles", {}).items():
        if (known.get(doc_id) != d and not _article_row_ok(d)) or d["id"] in seen:
            raise corrupt(path, f"article record {doc_id} is malformed or duplicated")
        seen.add(d["id"])
        rows.append((int(doc_id), d))
    return scheme, version, sorted(rows, key=lambda r: r[1]["seq"])
