"""Atomic TinyDB files: read, validate, and replace with fsync.

Every file of a database is plain TinyDB JSON, so ``TinyDB(path)`` can query any of them.
Every write is an atomic replace with fsync (see ``atomicio``): after a crash each file is
either the old or the new version, never a mix, and a file annotator did not write itself
is reported, never overwritten.  Only regular files are read: a FIFO or a device given as a
database would hang or read forever.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from annotator.atomicio import atomic_write_bytes, fsync_dir, write_all
from annotator.errors import DatabaseCorrupt, DatabaseError, SaveError

Data = dict[str, dict[str, dict[str, Any]]]

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


def corrupt(path: Path, why: str) -> DamagedFile:
    return DamagedFile(path, why)


# (inode, size, modification time in ns) of a file as read, None if it did not exist: another
# process that replaces the file (always by a rename) changes it.
Sig = tuple[int, int, int] | None


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None if it does not exist."""
    return read_with_sig(path)[0]


def sig_of(path: Path) -> Sig:
    """The file's ``Sig`` now (None if it does not exist)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return (-1, -1, -1)  # unreadable: differs from any file read, so it is read (and refused) again
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_with_sig(path: Path) -> tuple[bytes | None, Sig]:
    """The file's bytes and the ``Sig`` of the very file they came from ((None, None) if none)."""
    # os.read rather than open(): half the cost, and the app's start reads every labels file.
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    parts: list[bytes] = []
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                raise DatabaseError(
                    f"{path} is not a regular file (a pipe, socket or device); give a database file"
                )
            while chunk := os.read(fd, 1 << 16):
                parts.append(chunk)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a folder, not a database file; move it away or use another --db") from None
    except OSError as e:
        raise DatabaseError(f"cannot read {path}: {e.strerror or e}; check the file's permissions") from None
    return b"".join(parts), (st.st_ino, st.st_size, st.st_mtime_ns)




def parse_tinydb(path: Path, raw: bytes) -> Data:
    """Decode a TinyDB file, refusing anything that is not ``{table: {"<int>": {doc}}}``."""
    if not raw.strip():
        raise corrupt(path, "the file is empty")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise corrupt(path, f"not valid JSON: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise corrupt(path, "not a TinyDB file: the top level is not an object")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise corrupt(path, f"table {name!r} is not an object")
        for doc_id, doc in table.items():
            # TinyDB calls int() on every key; a bad one would crash deep inside it.
            if not doc_id.isdigit() or not isinstance(doc, dict):
                raise corrupt(path, f"table {name!r} has a malformed document {doc_id!r}")
    return data


def read_tinydb(path: Path) -> Data | None:
    """A file's validated TinyDB tables, or None if it does not exist.

    Raises DamagedFile when it is not a TinyDB file, DatabaseError when it cannot be read.
    """
    raw = read_bytes(path)
    return None if raw is None else parse_tinydb(path, raw)


def tinydb_bytes(data: Data) -> bytes:
    """A file's bytes for these tables, as ``OrjsonStorage`` writes them."""
    return orjson.dumps(data)


def write_unlisted(path: Path, raw: bytes, *, sync: bool = True) -> None:
    """Write a file that nothing names yet (an import's new article file, until the index lists
    it), keeping no copy (see ``atomic_write_bytes``)."""
    try:
        atomic_write_bytes(path, raw, sync=sync, unlisted=True)
    except OSError as e:
        raise _save_error(path, e) from e


class OrjsonStorage(Storage):
    """TinyDB storage: orjson, an in-memory copy, and atomic fsynced writes.

    Usable directly: ``TinyDB(path, storage=OrjsonStorage)``.  The in-memory copy is the
    last bytes read from or written to disk, so it can never drift from this process's
    writes; another process's writes are found by the database's guards (``guards``), which
    then read the file again.  ``sig`` is the file's ``Sig`` as last read or written.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, fresh: bool = False, sync: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.readonly = readonly
        self.sync = sync
        self._raw: bytes | None = None
        self.sig: Sig = None
        if not fresh:
            self._raw, self.sig = read_with_sig(self.path)
        # The validated decode serves the first read, so opening a file parses it once.
        self._first = None if self._raw is None else parse_tinydb(self.path, self._raw)
        self._batching = False
        self._pending: Data | None = None

    @property
    def exists(self) -> bool:
        return self._raw is not None

    @property
    def raw(self) -> bytes | None:
        """The bytes last read from or written to the file."""
        return self._raw

    def read(self) -> Data | None:
        if self._pending is not None:
            return self._pending
        if self._first is not None:
            data, self._first = self._first, None
            return data
        # A fresh decode each time: TinyDB mutates what it reads, and a failed write must
        # leave nothing changed in memory.
        return None if self._raw is None else orjson.loads(self._raw)

    def write(self, data: Data) -> None:
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

    def _commit(self, data: Data) -> None:
        raw = orjson.dumps(data)
        try:
            self._first = None
            atomic_write_bytes(self.path, raw, sync=self.sync)
        except OSError as e:
            raise _save_error(self.path, e) from e
        self._raw = raw
        self.sig = sig_of(self.path)  # writers hold the file's guard, so this is the file just written

    @staticmethod
    def write_together(items: Sequence[tuple[OrjsonStorage, Data]]) -> None:
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
                try:
                    write_all(fd, raw)
                    if not hasattr(os, "sync"):
                        os.fsync(fd)
                finally:
                    os.close(fd)
            if hasattr(os, "sync"):
                path = None
                os.sync()
            for st, raw in raws:
                path = st.path
                os.replace(tmps[renamed], path)
                renamed += 1
                st._raw, st._first = raw, None
                st.sig = sig_of(path)
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
