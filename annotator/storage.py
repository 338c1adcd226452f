"""The label database: the only module that imports tinydb.

Layout for ``--db annotations/annotations.json``::

    annotations/annotations.json            TinyDB index: tables ``project`` and ``articles``
    annotations/annotations.json.lock       flock held by the one writer
    annotations/annotations.json.lock.info  who holds it (pid, host, command, start time)
    annotations/annotations.d/articles/<id>.json   TinyDB, table ``article``: exact text + sentences
    annotations/annotations.d/labels/<id>.json     TinyDB, table ``labels``: one doc per (start, end, annotator);
                                                   table ``final``: one adjudicated decision per (start, end);
                                                   table ``cleared``: when a reviewer took a label off

Every file is plain TinyDB JSON, so ``TinyDB(path)`` can query any of them.  A label save
rewrites only its article's small labels file, so its cost does not grow with the
project.  Every write is an atomic replace with fsync (see ``atomicio``): after a crash
each file is either the old or the new version, never a mix, and a file annotator did
not write itself is reported, never overwritten.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

import orjson
from filelock import FileLock, Timeout
from tinydb.storages import Storage
from tinydb.table import Table

from annotator.atomicio import atomic_write_bytes, fsync_dir
from annotator.errors import DatabaseCorrupt, DatabaseError, DatabaseLocked, SaveError
from annotator.model import (
    DEFAULT_SCHEME,
    SCHEMA_VERSION,
    Article,
    ArticleInfo,
    Cleared,
    Decision,
    Label,
    LabelScheme,
    Span,
    now_iso,
    text_preview,
)

__all__ = ["Database", "DamagedFile", "MergeResult", "OrjsonStorage", "read_tinydb"]

_Data = dict[str, dict[str, dict[str, Any]]]
_Key = tuple[int, int, str]  # (start, end, annotator)
_SpanKey = tuple[int, int]

# No separators and no leading dot, so an id can never leave its folder or hide a file.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")

_ARTICLE_CACHE = 16
_LABEL_FILE_CACHE = 64
# From this many labels files on, put_labels writes them with one sync for all, not one each.
_GROUP_COMMIT_MIN = 32


def _check_id(article_id: object) -> str:
    if not isinstance(article_id, str) or not _SAFE_ID.fullmatch(article_id):
        raise ValueError(f"article id {article_id!r} cannot be used as a file name")
    return article_id


VERIFY_HINT = "`annotator verify` lists every damaged file"


class DamagedFile(DatabaseCorrupt):
    """A database file that is missing or not what annotator wrote.

    ``path`` and ``why`` are kept apart so that ``annotator verify`` can list it in one line.
    """

    def __init__(self, path: Path, why: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"{path} is damaged ({why}); annotator will not overwrite it: restore it from a backup, "
            f"or move it away and re-import your articles and latest export ({VERIFY_HINT})"
        )
        self.path = path
        self.why = why


def _corrupt(path: Path, why: str) -> DamagedFile:
    return DamagedFile(path, why)


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None if it does not exist."""
    # os.read rather than open(): half the cost, and the app's start reads every labels file.
    parts: list[bytes] = []
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            while chunk := os.read(fd, 1 << 16):  # a folder opens, and fails here
                parts.append(chunk)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a folder, not a database file; move it away or use another --db") from None
    except OSError as e:
        raise DatabaseError(f"cannot read {path}: {e.strerror or e}; check the file's permissions") from None
    return b"".join(parts)


def _parse(path: Path, raw: bytes) -> _Data:
    """Decode a TinyDB file, refusing anything that is not ``{table: {"<int>": {doc}}}``."""
    if not raw.strip():
        raise _corrupt(path, "the file is empty")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise _corrupt(path, f"not valid JSON: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise _corrupt(path, "not a TinyDB file: the top level is not an object")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise _corrupt(path, f"table {name!r} is not an object")
        for doc_id, doc in table.items():
            # TinyDB calls int() on every key; a bad one would crash deep inside it.
            if not doc_id.isdigit() or not isinstance(doc, dict):
                raise _corrupt(path, f"table {name!r} has a malformed document {doc_id!r}")
    return data


def read_tinydb(path: Path) -> _Data | None:
    """A file's validated TinyDB tables, or None if it does not exist.

    Raises DamagedFile when it is not a TinyDB file, DatabaseError when it cannot be read.
    """
    raw = _read_bytes(path)
    return None if raw is None else _parse(path, raw)


class OrjsonStorage(Storage):
    """TinyDB storage: orjson, an in-memory copy, and atomic fsynced writes.

    Usable directly: ``TinyDB(path, storage=OrjsonStorage)``.  The in-memory copy is the
    last bytes read from or written to disk, so it can never drift from the file; this
    process is the only writer (the database lock guarantees it), so it never goes stale.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, fresh: bool = False, sync: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.readonly = readonly
        self.sync = sync
        self._raw: bytes | None = None if fresh else _read_bytes(self.path)
        # The validated decode serves the first read, so opening a file parses it once.
        self._first = None if self._raw is None else _parse(self.path, self._raw)
        self._batching = False
        self._pending: _Data | None = None

    @property
    def exists(self) -> bool:
        return self._raw is not None

    def read(self) -> _Data | None:
        if self._pending is not None:
            return self._pending
        if self._first is not None:
            data, self._first = self._first, None
            return data
        # A fresh decode each time: TinyDB mutates what it reads, and a failed write must
        # leave nothing changed in memory.
        return None if self._raw is None else orjson.loads(self._raw)

    def write(self, data: _Data) -> None:
        if self.readonly:
            raise DatabaseError(f"{self.path} is open read-only; it cannot be changed")
        if self._batching:
            self._pending = data
        else:
            self._commit(data)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Turn the writes of several TinyDB calls into one file write at the end."""
        self._batching = True
        try:
            yield
            if self._pending is not None:
                self._commit(self._pending)
        finally:
            self._batching = False
            self._pending = None

    def _commit(self, data: _Data) -> None:
        raw = orjson.dumps(data)
        try:
            self._first = None
            atomic_write_bytes(self.path, raw, sync=self.sync)
        except OSError as e:
            raise _save_error(self.path, e) from e
        self._raw = raw

    @staticmethod
    def write_together(items: Sequence[tuple[OrjsonStorage, _Data]]) -> None:
        """Replace several files, each atomically, with one sync for all of them.

        Every temp file is made durable (one ``os.sync``) before the first is renamed into
        place, so after a crash each file is wholly old or wholly new, as with ``write``.
        One fsync per file (and one per rename) cost 6.5 s of an 11 s import of 10,000
        articles' labels on an SSD, and far more on slow disks.  After an error some files
        may be new and the rest old, and no temp file is left behind.
        """
        if not items:
            return
        raws = [(st, orjson.dumps(data)) for st, data in items]
        tmps: list[str] = []
        renamed = 0
        path: Path | None = None
        try:
            for st, raw in raws:
                if st.readonly:
                    raise DatabaseError(f"{st.path} is open read-only; it cannot be changed")
                path = st.path
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                tmps.append(tmp)
                with os.fdopen(fd, "wb") as f:
                    f.write(raw)
                    if not hasattr(os, "sync"):
                        f.flush()
                        os.fsync(f.fileno())
            if hasattr(os, "sync"):
                path = None
                os.sync()
            for st, raw in raws:
                path = st.path
                os.replace(tmps[renamed], path)
                renamed += 1
                st._raw, st._first = raw, None
            for folder in dict.fromkeys(st.path.parent for st, _ in raws):
                path = folder
                fsync_dir(folder)
        except OSError as e:
            raise _save_error(path or raws[0][0].path.parent, e) from e
        finally:
            for tmp in tmps[renamed:]:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _save_error(path: Path, e: OSError) -> SaveError:
    return SaveError(
        f"could not save {path}: {e.strerror or e}; free disk space or make the folder writable "
        f"(everything saved before is intact)"
    )


_K = TypeVar("_K")
_V = TypeVar("_V")


class _LRU(Generic[_K, _V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._d.get(key)
        if value is not None:
            self._d.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def pop(self, key: _K) -> None:
        self._d.pop(key, None)

    def clear(self) -> None:
        self._d.clear()


@dataclass(slots=True)
class MergeResult:
    """What :meth:`Database.merge` did; ``conflicts`` pairs are (older, newer): the newer won."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    decisions_added: int = 0
    decisions_updated: int = 0
    decisions_unchanged: int = 0
    decisions_skipped: int = 0
    removed: int = 0  # labels taken off because the reviewer cleared them later elsewhere
    conflicts: list[tuple[Label, Label | Cleared]] = field(default_factory=list)
    decision_conflicts: list[tuple[Decision, Decision]] = field(default_factory=list)


@dataclass(slots=True)
class _LabelFile:
    """One article's labels file; ``labels``/``doc_ids`` mirror what is on disk."""

    article_id: str
    storage: OrjsonStorage
    table: Table
    labels: dict[_Key, Label]
    doc_ids: dict[_Key, int]
    final: Table
    decisions: dict[_SpanKey, Decision]
    decision_ids: dict[_SpanKey, int]
    # A key is in ``labels`` or in ``cleared``, never both: a clear is a decision with a time.
    cleared_table: Table
    cleared: dict[_Key, Cleared]
    cleared_ids: dict[_Key, int]


def _check_label_doc(path: Path, doc: dict[str, Any]) -> None:
    if not (
        type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and isinstance(doc.get("label"), str)
        and isinstance(doc.get("annotator"), str)
        and isinstance(doc.get("updated_at"), str)
    ):
        raise _bad_label(path, doc)


def _bad_label(path: Path, doc: dict[str, Any]) -> DamagedFile:
    return _corrupt(path, f"a label record is malformed: {orjson.dumps(doc).decode()[:80]}")


def _count_key(path: Path, doc: dict[str, Any]) -> tuple[str, str]:
    """(annotator, label) of a label record, checked as ``_check_label_doc`` does, in one pass."""
    who, label = doc.get("annotator"), doc.get("label")
    if (
        type(who) is str
        and type(label) is str
        and type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and type(doc.get("updated_at")) is str
    ):
        return who, label
    raise _bad_label(path, doc)


def _label_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Label:
    _check_label_doc(path, doc)
    return Label(article_id, doc["start"], doc["end"], doc["label"], doc["annotator"], doc["updated_at"])


def _label_doc(label: Label) -> dict[str, Any]:
    return {
        "start": label.start,
        "end": label.end,
        "label": label.label,
        "annotator": label.annotator,
        "updated_at": label.updated_at,
    }


def _decision_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Decision:
    votes = doc.get("votes", [])
    if not (
        type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and isinstance(doc.get("label"), str)
        and isinstance(doc.get("by"), str)
        and isinstance(doc.get("reason", ""), str)
        and isinstance(doc.get("updated_at"), str)
        and isinstance(votes, list)
        and all(isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in votes)
    ):
        raise _corrupt(path, f"a final-label record is malformed: {orjson.dumps(doc).decode()[:80]}")
    return Decision(
        article_id, doc["start"], doc["end"], doc["label"], doc["by"], doc.get("reason", ""), doc["updated_at"],
        tuple((a, b) for a, b in votes),
    )


def _cleared_from_doc(path: Path, article_id: str, doc: dict[str, Any]) -> Cleared:
    if not (
        type(doc.get("start")) is int
        and type(doc.get("end")) is int
        and isinstance(doc.get("annotator"), str)
        and isinstance(doc.get("updated_at"), str)
    ):
        raise _corrupt(path, f"a cleared-label record is malformed: {orjson.dumps(doc).decode()[:80]}")
    return Cleared(article_id, doc["start"], doc["end"], doc["annotator"], doc["updated_at"])


def _cleared_doc(c: Cleared) -> dict[str, Any]:
    return {"start": c.start, "end": c.end, "annotator": c.annotator, "updated_at": c.updated_at}


def _decision_doc(d: Decision) -> dict[str, Any]:
    return {
        "start": d.start,
        "end": d.end,
        "label": d.label,
        "by": d.by,
        "reason": d.reason,
        "updated_at": d.updated_at,
        "votes": [list(v) for v in d.votes],
    }


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _when(updated_at: str) -> tuple[datetime, str]:
    """``updated_at`` as an instant to compare by: ISO times in any offset or precision compare as
    times (naive ones as UTC), not as text; text that is no ISO time counts as earliest.  The text
    breaks ties, so which of two records is later never depends on the order they are merged in."""
    try:
        t = datetime.fromisoformat(updated_at)
    except (TypeError, ValueError):
        return _EARLIEST, updated_at
    return (t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)), updated_at


def _sort_key(label: Label) -> _Key:
    return (label.start, label.end, label.annotator)


def _labels_data(
    lf: _LabelFile, new: dict[_Key, Label], final: dict[_SpanKey, Decision], cleared: dict[_Key, Cleared]
) -> _Data:
    """The labels file holding ``new``, ``final`` and ``cleared`` in order, as TinyDB numbers
    a table it refills: 1, 2, ..."""
    data = lf.storage.read() or {}
    data["labels"] = {str(i): _label_doc(lab) for i, lab in enumerate(new.values(), 1)}
    if final or "final" in data:
        data["final"] = {str(i): _decision_doc(d) for i, d in enumerate(final.values(), 1)}
    if cleared or "cleared" in data:
        data["cleared"] = {str(i): _cleared_doc(c) for i, c in enumerate(cleared.values(), 1)}
    return data


class Database:
    """A project's articles and labels.  Open with :meth:`Database.open`."""

    path: Path

    def __init__(self, path: Path, index: OrjsonStorage, *, readonly: bool, lock: FileLock | None) -> None:
        self.path = path
        self.readonly = readonly
        self._lock = lock
        self._closed = False
        self._index = index
        self._articles_table = Table(index, "articles")
        self._folder = path.with_name(path.stem + ".d")
        if self._folder == path:  # --db x.d
            self._folder = path.with_name(path.name + ".d")
        self._infos: dict[str, ArticleInfo] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._index_ids: dict[str, int] = {}
        self._scheme = self._load_index()
        self._articles: _LRU[str, tuple[Article, frozenset[tuple[int, int]]]] = _LRU(_ARTICLE_CACHE)
        self._label_files: _LRU[str, _LabelFile] = _LRU(_LABEL_FILE_CACHE)
        # article -> annotator -> label -> count (no zeros); built on first use, then kept current.
        self._counts: dict[str, dict[str, dict[str, int]]] | None = None

    # ----------------------------------------------------------------- open / close

    @classmethod
    def open(
        cls, path: Path, *, readonly: bool = False, create: bool = True, lock_timeout: float = 0.0
    ) -> Database:
        path = Path(path)
        if path.is_dir():
            raise DatabaseError(f"{path} is a folder; give a database file, e.g. --db {path / 'annotations.json'}")
        parent = path.parent
        if not parent.is_dir():
            if parent.exists():
                raise DatabaseError(f"{parent} is not a folder, so {path} cannot be a database; use another --db")
            if readonly or not create:
                raise DatabaseError(f"no database at {path}: folder {parent} does not exist; check --db")
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DatabaseError(f"cannot create folder {parent}: {e.strerror or e}; use another --db") from None
        lock = None if readonly else _acquire_lock(path, lock_timeout)
        try:
            index = OrjsonStorage(path, readonly=readonly)
            new = not index.exists
            if new:
                if readonly or not create:
                    raise DatabaseError(f"no database at {path}; import articles first or check --db")
                _create_index(index)
            db = cls(path, index, readonly=readonly, lock=lock)
            if not readonly:
                for sub in ("articles", "labels"):
                    try:
                        (db._folder / sub).mkdir(parents=True, exist_ok=True)
                    except OSError as e:
                        raise DatabaseError(
                            f"cannot create folder {db._folder / sub}: {e.strerror or e}; check --db and permissions"
                        ) from None
                if new:  # make the new folders' own names durable, not only the files later put in them
                    for folder in (db._folder, path.parent):
                        fsync_dir(folder)
            return db
        except BaseException:
            if lock is not None:
                _release_lock(path, lock)
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._articles.clear()
        self._label_files.clear()
        self._counts = None
        if self._lock is not None:
            _release_lock(self.path, self._lock)
            self._lock = None

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "closed" if self._closed else "read-only" if self.readonly else "writable"
        return f"<Database {self.path} {mode}, {len(self._infos)} articles>"

    # ----------------------------------------------------------------- articles

    @property
    def scheme(self) -> LabelScheme:
        return self._scheme

    @property
    def articles_folder(self) -> Path:
        return self._folder / "articles"

    @property
    def labels_folder(self) -> Path:
        return self._folder / "labels"

    def article_path(self, article_id: str) -> Path:
        return self._article_path(article_id)

    def labels_path(self, article_id: str) -> Path:
        return self._labels_path(article_id)

    def article_infos(self) -> list[ArticleInfo]:
        self._check_open()
        return list(self._infos.values())

    def has_article(self, article_id: str) -> bool:
        self._check_open()
        return article_id in self._infos

    def get_article(self, article_id: str) -> Article:
        """Raises KeyError for an unknown id, DatabaseCorrupt if its file is missing or damaged."""
        return self._article(article_id)[0]

    def add_articles(
        self, articles: Sequence[Article], progress: Callable[[int], None] | None = None
    ) -> tuple[list[str], list[str]]:
        self._check_writable()
        for a in articles:
            _check_id(a.id)
            for sp in a.sentences:
                if not 0 <= sp.start < sp.end <= len(a.text):
                    raise ValueError(f"article {a.id}: sentence {sp.start}-{sp.end} is outside its text")
        added: list[str] = []
        present: list[str] = []
        new_docs: dict[str, dict[str, Any]] = {}
        merged: dict[str, dict[str, Any]] = {}  # existing article -> the index fields that change
        seq = max((i.seq for i in self._infos.values()), default=0)
        for n, a in enumerate(articles, 1):
            if a.id in self._infos or a.id in new_docs:
                present.append(a.id)
                doc = new_docs.get(a.id)
                if doc is None:
                    doc = merged.get(a.id) or {"sources": list(self._infos[a.id].sources)}
                    if not self._infos[a.id].preview and text_preview(a.text):
                        doc["preview"] = text_preview(a.text)  # an index written before previews: fill it in
                extra = [s for s in dict.fromkeys(a.sources) if s not in doc["sources"]]
                if extra:
                    doc["sources"] = doc["sources"] + extra
                if a.id not in new_docs and (extra or "preview" in doc):
                    merged[a.id] = doc
            else:
                # Article files go without fsync here; one os.sync() below makes them durable
                # together, before the index that points at them is written.
                st = OrjsonStorage(self._article_path(a.id), fresh=True, sync=not hasattr(os, "sync"))
                Table(st, "article").insert(
                    {"id": a.id, "text": a.text, "sentences": [[s.start, s.end] for s in a.sentences]}
                )
                seq += 1
                new_docs[a.id] = {
                    "id": a.id,
                    "seq": seq,
                    "title": a.title,
                    "sources": list(dict.fromkeys(a.sources)),
                    "meta": dict(a.meta),
                    "n_sentences": len(a.sentences),
                    "preview": text_preview(a.text),
                }
                added.append(a.id)
            if progress is not None:
                progress(n)
        if not new_docs and not merged:
            return added, present
        if new_docs and hasattr(os, "sync"):
            os.sync()
        try:
            with self._index.batch():
                for aid, fields in merged.items():
                    self._articles_table.update(fields, doc_ids=[self._index_ids[aid]])
                new_ids = self._articles_table.insert_multiple(list(new_docs.values()))
        except BaseException:
            self._articles_table = Table(self._index, "articles")  # drop TinyDB's now-wrong next id
            raise
        for aid, fields in merged.items():
            i = self._infos[aid]
            self._infos[aid] = ArticleInfo(
                i.id, i.seq, i.title, i.n_sentences, tuple(fields["sources"]), fields.get("preview", i.preview),
                i.assigned,
            )
            self._articles.pop(aid)  # its cached Article has the old sources
        for doc_id, doc in zip(new_ids, new_docs.values()):
            self._add_info(doc_id, doc)
            if self._counts is not None:
                self._counts[doc["id"]] = {}
        return added, present

    # ----------------------------------------------------------------- labels

    def labels(self, article_id: str, annotator: str | None = None) -> list[Label]:
        self._check_open()
        if article_id not in self._infos:
            raise KeyError(article_id)
        found = self._label_file(article_id).labels.values()
        return sorted((x for x in found if annotator is None or x.annotator == annotator), key=_sort_key)

    def set_label(self, label: Label) -> None:
        """Insert or replace one label; it is fsynced when this returns.

        Raises ValueError for an unknown article, label name or sentence (a caller bug),
        SaveError if the disk refused the write (nothing changes then, in memory or on disk).
        """
        self._check_writable()
        self._check_label(label)
        lf = self._label_file(label.article_id)
        key = _sort_key(label)
        old = lf.labels.get(key)
        try:
            with lf.storage.batch():  # label and its cleared record change in one write
                if old is not None:
                    lf.table.update(_label_doc(label), doc_ids=[lf.doc_ids[key]])
                else:
                    lf.doc_ids[key] = lf.table.insert(_label_doc(label))
                if key in lf.cleared:
                    lf.cleared_table.remove(doc_ids=[lf.cleared_ids[key]])
        except BaseException:
            self._label_files.pop(label.article_id)  # reload from disk, the only truth, next time
            raise
        lf.cleared.pop(key, None)
        lf.cleared_ids.pop(key, None)
        lf.labels[key] = label
        if old is not None:
            self._count(old, -1)
        self._count(label, +1)

    def clear_label(
        self, article_id: str, start: int, end: int, annotator: str, updated_at: str | None = None
    ) -> Label | None:
        """Take the annotator's label off a sentence; the clear is recorded with its time
        (``updated_at``, default now), so merging older work does not bring the label back."""
        self._check_writable()
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        lf = self._label_file(article_id)
        key = (start, end, annotator)
        old = lf.labels.get(key)
        if old is None:
            return None
        cleared = Cleared(article_id, start, end, annotator, updated_at or now_iso())
        try:
            with lf.storage.batch():
                lf.table.remove(doc_ids=[lf.doc_ids[key]])
                lf.cleared_ids[key] = lf.cleared_table.insert(_cleared_doc(cleared))
        except BaseException:
            self._label_files.pop(article_id)
            raise
        del lf.labels[key], lf.doc_ids[key]
        lf.cleared[key] = cleared
        self._count(old, -1)
        return old

    def cleared(self, article_id: str) -> list[Cleared]:
        """The article's cleared labels (who took a label off which sentence, and when)."""
        self._check_open()
        if article_id not in self._infos:
            raise KeyError(article_id)
        found = self._label_file(article_id).cleared
        return [found[k] for k in sorted(found)]

    # ----------------------------------------------------------------- adjudication

    def decisions(self, article_id: str) -> list[Decision]:
        """The article's final (adjudicated) labels, in sentence order."""
        self._check_open()
        if article_id not in self._infos:
            raise KeyError(article_id)
        found = self._label_file(article_id).decisions
        return [found[k] for k in sorted(found)]

    def set_decision(self, decision: Decision) -> None:
        """Insert or replace the final label of one sentence; fsynced when this returns."""
        self._check_writable()
        if decision.article_id not in self._infos:
            raise ValueError(f"no article {decision.article_id!r} in {self.path}")
        if not self._decision_ok(decision, self._article(decision.article_id)[1]):
            raise ValueError(
                f"invalid final label for article {decision.article_id}: {decision.label!r} by {decision.by!r} "
                f"on {decision.start}-{decision.end}"
            )
        lf = self._label_file(decision.article_id)
        key = (decision.start, decision.end)
        try:
            if key in lf.decisions:
                lf.final.update(_decision_doc(decision), doc_ids=[lf.decision_ids[key]])
            else:
                lf.decision_ids[key] = lf.final.insert(_decision_doc(decision))
        except BaseException:
            self._label_files.pop(decision.article_id)
            raise
        lf.decisions[key] = decision

    def clear_decision(self, article_id: str, start: int, end: int) -> Decision | None:
        self._check_writable()
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        lf = self._label_file(article_id)
        key = (start, end)
        old = lf.decisions.get(key)
        if old is None:
            return None
        try:
            lf.final.remove(doc_ids=[lf.decision_ids[key]])
        except BaseException:
            self._label_files.pop(article_id)
            raise
        del lf.decisions[key], lf.decision_ids[key]
        return old

    # ----------------------------------------------------------------- assignment

    def set_assignments(self, plan: dict[str, tuple[str, ...]], record: dict[str, Any]) -> None:
        """Give each article in ``plan`` its reviewers, in one write of the index.

        ``record`` (the options the plan was made with) is kept on the project record so
        ``stats`` can tell how the work was dealt.
        """
        self._check_writable()
        for aid in plan:
            if aid not in self._infos:
                raise ValueError(f"no article {aid!r} in {self.path}")
        changed = {aid: who for aid, who in plan.items() if self._infos[aid].assigned != tuple(who)}
        project = Table(self._index, "project")
        try:
            with self._index.batch():
                for aid, who in changed.items():
                    self._articles_table.update({"assigned": list(who)}, doc_ids=[self._index_ids[aid]])
                project.update({"assignment": record})
        except BaseException:
            self._articles_table = Table(self._index, "articles")
            raise
        for aid, who in changed.items():
            i = self._infos[aid]
            self._infos[aid] = ArticleInfo(i.id, i.seq, i.title, i.n_sentences, i.sources, i.preview, tuple(who))

    def assignment_record(self) -> dict[str, Any] | None:
        """The options of the last ``annotator assign``, or None if the work was never dealt."""
        self._check_open()
        for doc in Table(self._index, "project").all():
            rec = doc.get("assignment")
            return rec if isinstance(rec, dict) else None
        return None

    def put_labels(
        self, labels: Iterable[Label], progress: Callable[[int], None] | None = None
    ) -> tuple[int, int, int, int]:
        """Merge labels from an export: per key the later ``updated_at`` wins (see :meth:`merge`).

        Returns (added, updated, unchanged, skipped).
        """
        r = self.merge(labels, (), progress)
        return r.added, r.updated, r.unchanged, r.skipped

    def merge(
        self,
        labels: Iterable[Label],
        decisions: Iterable[Decision] = (),
        progress: Callable[[int], None] | None = None,
        cleared: Iterable[Cleared] = (),
    ) -> MergeResult:
        """Bring in labels and final decisions made elsewhere: per key the later ``updated_at`` wins.

        A label's key is (sentence, annotator) and a decision's is its sentence, so another
        reviewer's work is only ever added.  When the same key holds a different label in
        both places, the later decision wins and the pair is listed in ``conflicts``.
        Skipped are records for an unknown article, a span that is not one of its sentences,
        or a label name outside the scheme.  Every touched file is read before anything is
        written, so a damaged one stops the merge with nothing changed; after that one write
        per touched article (many are written together, see ``OrjsonStorage.write_together``).
        ``progress`` gets the number of articles checked so far.  Re-running after a
        SaveError is safe (the merge is idempotent).
        """
        self._check_writable()
        result = MergeResult()
        groups: dict[str, tuple[list[Label], list[Decision], list[Cleared]]] = {}
        for lab in labels:
            if lab.article_id in self._infos:
                groups.setdefault(lab.article_id, ([], [], []))[0].append(lab)
            else:
                result.skipped += 1
        for dec in decisions:
            if dec.article_id in self._infos:
                groups.setdefault(dec.article_id, ([], [], []))[1].append(dec)
            else:
                result.decisions_skipped += 1
        for c in cleared:
            if c.article_id in self._infos:  # a clear of an unknown article has nothing to take off
                groups.setdefault(c.article_id, ([], [], []))[2].append(c)
        plans: list[tuple[_LabelFile, list[Label], list[Decision], list[Cleared]]] = []
        for n, (aid, (labs, decs, clrs)) in enumerate(groups.items(), 1):
            sentences = self._article(aid)[1]
            valid = [x for x in labs if self._label_ok(x, sentences)]
            valid_decs = [d for d in decs if self._decision_ok(d, sentences)]
            valid_clrs = [c for c in clrs if (c.start, c.end) in sentences and c.annotator]
            result.skipped += len(labs) - len(valid)
            result.decisions_skipped += len(decs) - len(valid_decs)
            if valid or valid_decs or valid_clrs:
                plans.append((self._label_file(aid), valid, valid_decs, valid_clrs))
            if progress is not None:
                progress(n)
        writes: list[tuple[_LabelFile, dict[_Key, Label], dict[_SpanKey, Decision], dict[_Key, Cleared]]] = []
        for lf, labs, decs, clrs in plans:
            merged = dict(lf.labels)
            tombs = dict(lf.cleared)
            for lab in labs:
                key = _sort_key(lab)
                cur = merged.get(key)
                tomb = tombs.get(key)
                if tomb is not None and _when(tomb.updated_at) >= _when(lab.updated_at):
                    result.unchanged += 1  # the reviewer took this label off later
                    continue
                if cur is not None and cur.label != lab.label:
                    result.conflicts.append((cur, lab) if _when(cur.updated_at) < _when(lab.updated_at) else (lab, cur))
                if cur is None:
                    result.added += 1
                elif _when(lab.updated_at) > _when(cur.updated_at):
                    result.updated += 1
                else:
                    result.unchanged += 1
                    continue
                merged[key] = lab
                tombs.pop(key, None)
            for c in clrs:
                key = (c.start, c.end, c.annotator)
                cur = merged.get(key)
                if cur is not None:
                    if _when(c.updated_at) > _when(cur.updated_at):
                        result.conflicts.append((cur, c))
                        result.removed += 1
                        del merged[key]
                        tombs[key] = c
                    continue
                had_clear = tombs.get(key)
                if had_clear is None or _when(c.updated_at) > _when(had_clear.updated_at):
                    tombs[key] = c
            final = dict(lf.decisions)
            for dec in decs:
                skey = (dec.start, dec.end)
                had = final.get(skey)
                if had is not None and (had.label, had.by) != (dec.label, dec.by):
                    pair = (had, dec) if _when(had.updated_at) < _when(dec.updated_at) else (dec, had)
                    result.decision_conflicts.append(pair)
                if had is None:
                    result.decisions_added += 1
                elif _when(dec.updated_at) > _when(had.updated_at):
                    result.decisions_updated += 1
                else:
                    result.decisions_unchanged += 1
                    continue
                final[skey] = dec
            if merged != lf.labels or final != lf.decisions or tombs != lf.cleared:
                writes.append((lf, {k: merged[k] for k in sorted(merged)}, {k: final[k] for k in sorted(final)},
                               {k: tombs[k] for k in sorted(tombs)}))
        if len(writes) < _GROUP_COMMIT_MIN:
            for lf, new, fin, clr in writes:
                try:
                    lf.storage.write(_labels_data(lf, new, fin, clr))
                except BaseException:
                    self._label_files.pop(lf.article_id)  # reload from disk, the only truth, next time
                    raise
                self._replace_labels(lf, new, fin, clr)
        else:
            try:
                OrjsonStorage.write_together(
                    [(lf.storage, _labels_data(lf, new, fin, clr)) for lf, new, fin, clr in writes]
                )
            except BaseException:
                # Some files may be new and some old now: the disk decides, for each of them.
                for lf, _, _, _ in writes:
                    self._label_files.pop(lf.article_id)
                self._counts = None
                raise
            for lf, new, fin, clr in writes:
                self._replace_labels(lf, new, fin, clr)
        return result

    def _replace_labels(
        self, lf: _LabelFile, new: dict[_Key, Label], final: dict[_SpanKey, Decision], cleared: dict[_Key, Cleared]
    ) -> None:
        """Make the in-memory copy match a labels file just rewritten (see ``_labels_data``)."""
        for lab in lf.labels.values():
            self._count(lab, -1)
        lf.labels, lf.doc_ids = new, {k: i for i, k in enumerate(new, 1)}
        lf.decisions, lf.decision_ids = final, {k: i for i, k in enumerate(final, 1)}
        lf.cleared, lf.cleared_ids = cleared, {k: i for i, k in enumerate(cleared, 1)}
        # TinyDB caches a table's next doc id; the file was rewritten under it.
        lf.table = Table(lf.storage, "labels")
        lf.final = Table(lf.storage, "final")
        lf.cleared_table = Table(lf.storage, "cleared")
        for lab in lf.labels.values():
            self._count(lab, +1)

    def label_counts(self, annotator: str | None = None) -> dict[str, dict[str, int]]:
        """article id -> {label name: count} for every article (empty dict if unlabelled)."""
        counts = self._all_counts()
        if annotator is not None:
            return {aid: dict(per.get(annotator, {})) for aid, per in counts.items()}
        out: dict[str, dict[str, int]] = {}
        for aid, per in counts.items():
            if len(per) <= 1:  # the common case: one annotator per project
                out[aid] = dict(next(iter(per.values()), {}))
                continue
            total: dict[str, int] = {}
            for c in per.values():
                for name, n in c.items():
                    total[name] = total.get(name, 0) + n
            out[aid] = total
        return out

    def annotators(self) -> list[str]:
        return sorted({a for per in self._all_counts().values() for a in per})

    def annotators_by_article(self) -> dict[str, list[str]]:
        """article id -> the annotators with at least one label on it (sorted); from the counts, no file reads."""
        return {aid: sorted(per) for aid, per in self._all_counts().items()}

    # ----------------------------------------------------------------- internals

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"{self.path} was closed")

    def _check_writable(self) -> None:
        self._check_open()
        if self.readonly:
            raise DatabaseError(f"{self.path} is open read-only; it cannot be changed")

    def _article_path(self, article_id: str) -> Path:
        return self._folder / "articles" / f"{_check_id(article_id)}.json"

    def _labels_path(self, article_id: str) -> Path:
        return self._folder / "labels" / f"{_check_id(article_id)}.json"

    def _load_index(self) -> LabelScheme:
        path = self.path
        data = self._index.read() or {}
        projects = list(data.get("project", {}).values())
        if len(projects) != 1:
            raise _corrupt(path, "not an annotator database: it needs exactly one 'project' record")
        p = projects[0]
        version = p.get("schema_version")
        if type(version) is not int or version < 1:
            raise _corrupt(path, "the project record has no valid schema_version")
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
            raise _corrupt(path, "the project record has no valid label scheme")
        rows = []
        seen: set[str] = set()
        for doc_id, d in data.get("articles", {}).items():
            ok = (
                isinstance(d.get("id"), str)
                and _SAFE_ID.fullmatch(d["id"]) is not None
                and type(d.get("seq")) is int
                and isinstance(d.get("title"), str)
                and isinstance(d.get("sources"), list)
                and all(isinstance(s, str) for s in d["sources"])
                and isinstance(d.get("meta", {}), dict)
                and type(d.get("n_sentences")) is int
                and isinstance(d.get("preview", ""), str)
                and isinstance(d.get("assigned", []), list)
                and all(isinstance(x, str) for x in d.get("assigned", []))
            )
            if not ok or d["id"] in seen:
                raise _corrupt(path, f"article record {doc_id} is malformed or duplicated")
            seen.add(d["id"])
            rows.append((int(doc_id), d))
        for num, d in sorted(rows, key=lambda r: r[1]["seq"]):
            self._add_info(num, d)
        return scheme

    def _add_info(self, doc_id: int, d: dict[str, Any]) -> None:
        aid = d["id"]
        self._infos[aid] = ArticleInfo(
            aid, d["seq"], d["title"], d["n_sentences"], tuple(d["sources"]), d.get("preview", ""),
            tuple(d.get("assigned", ())),
        )
        self._meta[aid] = d.get("meta", {})
        self._index_ids[aid] = doc_id

    def _article(self, article_id: str) -> tuple[Article, frozenset[tuple[int, int]]]:
        self._check_open()
        info = self._infos.get(article_id)
        if info is None:
            raise KeyError(article_id)
        hit = self._articles.get(article_id)
        if hit is not None:
            return hit
        path = self._article_path(article_id)
        raw = _read_bytes(path)
        if raw is None:
            raise DamagedFile(
                path,
                "the file is missing",
                f"{path} is missing, so article {article_id} cannot be shown; restore it from a backup ({VERIFY_HINT})",
            )
        docs = list(_parse(path, raw).get("article", {}).values())
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
        if not ok:
            raise _corrupt(path, "the article record is malformed")
        assert isinstance(text, str)
        article = Article(article_id, info.title, text, spans, info.sources, dict(self._meta[article_id]))
        hit = (article, frozenset((s.start, s.end) for s in spans))
        self._articles.put(article_id, hit)
        return hit

    def _label_file(self, article_id: str) -> _LabelFile:
        lf = self._label_files.get(article_id)
        if lf is not None:
            return lf
        storage = OrjsonStorage(self._labels_path(article_id), readonly=self.readonly)
        table = Table(storage, "labels")
        labels: dict[_Key, Label] = {}
        doc_ids: dict[_Key, int] = {}
        data = storage.read() or {}
        for doc_id, doc in (data.get("labels") or {}).items():
            lab = _label_from_doc(storage.path, article_id, doc)
            key = _sort_key(lab)
            if key in labels:
                raise _corrupt(storage.path, f"two records for sentence {lab.start}-{lab.end} by {lab.annotator}")
            labels[key], doc_ids[key] = lab, int(doc_id)
        decisions: dict[_SpanKey, Decision] = {}
        decision_ids: dict[_SpanKey, int] = {}
        for doc_id, doc in (data.get("final") or {}).items():
            dec = _decision_from_doc(storage.path, article_id, doc)
            skey = (dec.start, dec.end)
            if skey in decisions:
                raise _corrupt(storage.path, f"two final labels for sentence {dec.start}-{dec.end}")
            decisions[skey], decision_ids[skey] = dec, int(doc_id)
        cleared: dict[_Key, Cleared] = {}
        cleared_ids: dict[_Key, int] = {}
        for doc_id, doc in (data.get("cleared") or {}).items():
            c = _cleared_from_doc(storage.path, article_id, doc)
            key = (c.start, c.end, c.annotator)
            if key in labels or key in cleared:
                raise _corrupt(storage.path, f"sentence {c.start}-{c.end} by {c.annotator} is both labeled and cleared")
            cleared[key], cleared_ids[key] = c, int(doc_id)
        lf = _LabelFile(article_id, storage, table, labels, doc_ids, Table(storage, "final"), decisions, decision_ids,
                        Table(storage, "cleared"), cleared, cleared_ids)
        self._label_files.put(article_id, lf)
        return lf

    def _label_ok(self, label: Label, sentences: frozenset[tuple[int, int]]) -> bool:
        return (
            (label.start, label.end) in sentences
            and self._scheme.get(label.label) is not None
            and isinstance(label.annotator, str)
            and bool(label.annotator)
            and isinstance(label.updated_at, str)
        )

    def _decision_ok(self, d: Decision, sentences: frozenset[tuple[int, int]]) -> bool:
        return (d.start, d.end) in sentences and self._scheme.get(d.label) is not None and bool(d.by)

    def _check_label(self, label: Label) -> None:
        if label.article_id not in self._infos:
            raise ValueError(f"no article {label.article_id!r} in {self.path}")
        if not self._label_ok(label, self._article(label.article_id)[1]):
            raise ValueError(
                f"invalid label for article {label.article_id}: {label.label!r} by {label.annotator!r} "
                f"on {label.start}-{label.end} (the label must be in the scheme and the span one of its sentences)"
            )

    def _all_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        self._check_open()
        if self._counts is None:
            counts: dict[str, dict[str, dict[str, int]]] = {aid: {} for aid in self._infos}
            folder = self._folder / "labels"
            try:
                present = set(os.listdir(folder))
            except FileNotFoundError:
                present = set()
            except OSError as e:
                raise DatabaseError(f"cannot list {folder}: {e.strerror or e}; check its permissions") from None
            for aid, per in counts.items():
                # Read each file once without keeping it: 10,000 TinyDB objects would cost more than they save.
                # This loop is most of the app's start and of `annotator stats` on a big project.
                lf = self._label_files.get(aid)
                if lf is not None:
                    pairs: Iterable[tuple[str, str]] = [(x.annotator, x.label) for x in lf.labels.values()]
                elif (name := f"{aid}.json") in present:
                    path = folder / name  # no _labels_path: the ids were checked when the index was read
                    raw = _read_bytes(path)
                    docs = ((_parse(path, raw).get("labels") or {}) if raw is not None else {}).values()
                    pairs = [_count_key(path, d) for d in docs]
                else:
                    continue
                for who, label in pairs:
                    c = per.get(who)
                    if c is None:
                        c = per[who] = {}
                    c[label] = c.get(label, 0) + 1
            self._counts = counts
        return self._counts

    def _count(self, label: Label, delta: int) -> None:
        if self._counts is None:
            return
        per = self._counts.setdefault(label.article_id, {})
        c = per.setdefault(label.annotator, {})
        n = c.get(label.label, 0) + delta
        if n:
            c[label.label] = n
        else:
            del c[label.label]
            if not c:
                del per[label.annotator]


# --------------------------------------------------------------------- creation and locking


def _create_index(index: OrjsonStorage) -> None:
    Table(index, "project").insert(
        {"schema_version": SCHEMA_VERSION, "scheme": DEFAULT_SCHEME.to_json(), "created_at": now_iso()}
    )


def _info_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock.info")


def _acquire_lock(path: Path, timeout: float) -> FileLock:
    lock_path = str(path.with_name(path.name + ".lock"))
    try:
        # A soft (marker file) lock would outlive a killed holder; prefer failing on such file systems.
        lock = FileLock(lock_path, timeout=timeout, thread_local=False, fallback_to_soft=False)
    except TypeError:  # filelock < 4 has no fallback_to_soft and never falls back
        lock = FileLock(lock_path, timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseLocked(_locked_message(path)) from None
    except OSError as e:
        raise DatabaseError(
            f"cannot lock {path} for writing ({lock_path}: {e.strerror or e}); check the folder's permissions"
        ) from None
    info = {
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        # argv holds file names that may not be UTF-8 (surrogates): orjson would refuse them.
        "command": " ".join(sys.argv).encode("utf-8", "backslashreplace").decode("utf-8"),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    try:
        atomic_write_bytes(_info_path(path), orjson.dumps(info), sync=False)
    except OSError:
        pass  # only used to explain a refusal; the lock itself is what protects the data
    return lock


def _release_lock(path: Path, lock: FileLock) -> None:
    try:
        os.unlink(_info_path(path))  # before release: once released the file may be a new holder's
    except OSError:
        pass
    lock.release()


def _locked_message(path: Path) -> str:
    try:
        info = orjson.loads(_info_path(path).read_bytes())
        pid = info["pid"]
        host = info.get("hostname")
        started = datetime.fromisoformat(info["started"]).astimezone()
        when = started.strftime("%H:%M" if started.date() == datetime.now().date() else "%Y-%m-%d %H:%M")
        where = f" on {host}" if host and host != socket.gethostname() else ""
        who = f"pid {pid}{where}, started {when}"
    except (OSError, ValueError, KeyError, TypeError):
        who = "pid unknown"
    return f"{path} is open in another annotator ({who}); close it or use --db to pick another database"
