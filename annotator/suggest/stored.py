"""Pre-labels kept in the database's folder as suggestions (``suggest import --as NAME``),
and the suggester that offers them (``label --suggest NAME``).

One file per name, ``<db>.d/suggestions/<name>.json``: ``{"schema_version": 1, "name": ...,
"suggestions": {article_id: [[start, end, label, score], ...]}}``, replaced whole and
atomically by each import of that name.  They are suggestions, never labels: no export,
merge or agreement reads them as a reviewer's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from annotator.atomicio import atomic_write_bytes
from annotator.model import Article, LabelScheme
from annotator.sanitize import sanitize_line
from annotator.storage.records import SAFE_ID
from annotator.suggest.base import SuggestError, Suggestion

if TYPE_CHECKING:
    from annotator.storage import Database

SCHEMA = 1


def folder(db: Database) -> Path:
    return db.articles_folder.parent / "suggestions"


def path_of(db: Database, name: str) -> Path:
    if not SAFE_ID.fullmatch(name):
        raise SuggestError(f"--as {sanitize_line(name)!r}: suggestions are kept in a file of that name; use letters, "
                           f"digits, '-', '_' and '.' (not first), e.g. --as llm")
    return folder(db) / f"{name}.json"


def names(db: Database) -> list[str]:
    """The names of the pre-labels stored with ``db``."""
    try:
        return sorted(p.stem for p in folder(db).iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except OSError:
        return []


def save(db: Database, name: str, suggestions: Sequence[Suggestion]) -> Path:
    """Keep ``suggestions`` as ``name`` (replacing what that name held): atomic, fsynced."""
    by_article: dict[str, list[list[Any]]] = {}
    for s in sorted(suggestions, key=lambda s: (s.article_id, s.start)):
        by_article.setdefault(s.article_id, []).append([s.start, s.end, s.label, s.score])
    path = path_of(db, name)
    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write_bytes(path, orjson.dumps({"schema_version": SCHEMA, "name": name, "suggestions": by_article}))
    except OSError as exc:
        raise SuggestError(f"{path}: cannot be written ({exc.strerror or exc}); check the folder and free space") \
            from None
    return path


class StoredSuggester:
    """``--suggest NAME`` for imported pre-labels: the stored ones of each article, as they are."""

    def __init__(self, db: Database, name: str) -> None:
        path = path_of(db, name)
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise SuggestError(f"--suggest {name}: no suggestions of that name; import them with "
                               f"`annotator suggest import FILE.jsonl --as {name}`") from None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise SuggestError(f"{path}: not readable suggestions ({exc}); import them again") from None
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA or not isinstance(
                data.get("suggestions"), dict):
            raise SuggestError(f"{path}: not suggestions this annotator reads; import them again")
        self._name = name
        self._rows: dict[str, list[Any]] = data["suggestions"]
        self._path = path

    @property
    def name(self) -> str:
        return self._name

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        out = []
        for row in self._rows.get(article.id, []):
            try:
                start, end, label, score = row
                ok = (type(start) is int and type(end) is int and isinstance(label, str)
                      and isinstance(score, (int, float)) and math.isfinite(score))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise SuggestError(f"{self._path}: a damaged suggestion of article {article.id}; import them again")
            if scheme.takes(label):
                out.append(Suggestion(article.id, start, end, label, float(score), self._name))
        return out
