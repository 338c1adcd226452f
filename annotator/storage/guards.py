"""Short locks that let several processes write one database at once, each with a change counter.

Several reviewers may have one database open for writing (see ``lock``: the database lock
is shared).  What they share are files that each of them rewrites whole: an article's
labels file (every reviewer's labels, the final labels, the sentences, the notes) and the
index.  A process keeps such files in memory after reading them, so writing one back from
memory would drop what another process wrote in between.  So every write of a shared file
is a read-check-write under a short lock:

* ``<db>.d/locks/labels-NN.lock``: one of ``STRIPES`` locks; an article's labels file is
  guarded by the stripe its id hashes to (a lock file per article would cost a file per
  article, and a write rarely waits for another one in the same stripe);
* ``<db>.d/locks/index.lock``: the index.

Each lock file holds a counter (8 bytes) that a writer raises, under the lock, *before* it
replaces a guarded file.  A process remembers the counter it last saw for each lock; a
different one means another process may have changed a file it holds in memory, so it
reads those files again before it changes one.  Raising the counter before the write means
a writer killed between the two only costs the others a needless read; the files
themselves are still replaced atomically (``tinyfile``).  The counter is not fsynced: after
a crash of the machine every process starts again with nothing in memory.

A lock is held for one decision's read-check-write (about a millisecond); a writer that
cannot get one within ``WAIT_SECONDS`` (another process stopped while holding it) gets a
``DatabaseError`` naming the lock, never a hang.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import overload

from annotator.errors import DatabaseError
from annotator.storage.lock import BUSY

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer at a time there (see ``lock``)
    fcntl = None  # type: ignore[assignment]

STRIPES = 64
INDEX = "index"
WAIT_SECONDS = 15.0


def stripe_of(article_id: str) -> str:
    """The lock guarding ``article_id``'s labels file."""
    return f"labels-{zlib.crc32(article_id.encode('utf-8', 'surrogatepass')) % STRIPES:02d}"


class Busy(Exception):
    """A lock was not free and the caller asked not to wait."""


class Guards:
    """One process's handles on a database's guard locks, and the counters it last saw."""

    def __init__(self, folder: Path, *, enabled: bool = True) -> None:
        self._dir = folder / "locks"
        self.enabled = enabled and fcntl is not None
        self._fds: dict[str, int] = {}
        self._seen: dict[str, int] = {}
        self._depth: dict[str, int] = {}
        # Threads of one process share its flocks (one open file each), so they take turns here.
        self._thread_lock = threading.RLock()

    def close(self) -> None:
        with self._thread_lock:
            fds, self._fds = self._fds, {}
            for fd in fds.values():
                os.close(fd)

    def snapshot(self) -> None:
        """Remember every counter as it is now: files read after this are at least this new.
        Creates nothing (a lock file not there yet counts 0, as a new one starts)."""
        if not self.enabled:
            return
        for name in self.names():
            fd = self._fd(name, create=False)
            self._seen[name] = 0 if fd is None else self._counter(fd)

    def seen(self) -> dict[str, int]:
        return dict(self._seen)

    @staticmethod
    def names() -> list[str]:
        return [INDEX, *(f"labels-{i:02d}" for i in range(STRIPES))]

    def counter(self, name: str) -> int:
        """Lock ``name``'s counter now, read without locking (a hint: see ``hold``)."""
        if not self.enabled:
            return 0
        fd = self._fd(name, create=False)
        return 0 if fd is None else self._counter(fd)

    @contextmanager
    def hold(self, name: str, *, wait: bool | float = True) -> Iterator[bool]:
        """Hold lock ``name``; yields whether another process changed what it guards since this
        one last held it (then re-read the guarded files before changing them).  Reentrant.
        ``wait=False`` raises ``Busy`` at once if another process holds it, a number of
        seconds after that long; ``True`` waits up to ``WAIT_SECONDS``, then DatabaseError."""
        if not self.enabled:
            yield False
            return
        with self._thread_lock:
            depth = self._depth.get(name, 0)
            if depth:
                self._depth[name] = depth + 1
                try:
                    yield False
                finally:
                    self._depth[name] -= 1
                return
            fd = self._fd(name)
            self._acquire(name, fd, wait)
            self._depth[name] = 1
            try:
                now = self._counter(fd)
                changed = now != self._seen.get(name)
                self._seen[name] = now
                yield changed
            finally:
                self._depth[name] = 0
                fcntl.flock(fd, fcntl.LOCK_UN)

    def bump(self, name: str) -> tuple[int, int]:
        """Say, under lock ``name``, that a file it guards is about to be replaced: (the counter
        before, after)."""
        if not self.enabled:
            return 0, 0
        if not self._depth.get(name):
            raise RuntimeError(f"bump({name!r}) without holding it")  # a bug: the counter would race
        fd = self._fds[name]
        before = self._counter(fd)
        now = (before + 1) % (1 << 63)
        try:
            os.pwrite(fd, now.to_bytes(8, "little"), 0)
        except OSError as e:
            raise DatabaseError(f"cannot write {self._dir / (name + '.lock')}: {e.strerror or e}; "
                                f"check the folder's permissions and free space") from None
        self._seen[name] = now
        return before, now

    # ------------------------------------------------------------------ internals

    @overload
    def _fd(self, name: str) -> int: ...

    @overload
    def _fd(self, name: str, create: bool) -> int | None: ...

    def _fd(self, name: str, create: bool = True) -> int | None:
        fd = self._fds.get(name)
        if fd is None and not create:
            try:
                fd = os.open(self._dir / f"{name}.lock", os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                return None  # not made yet (or not for us): counts 0
            self._fds[name] = fd
            return fd
        if fd is None:
            path = self._dir / f"{name}.lock"
            try:
                self._dir.mkdir(parents=True, exist_ok=True)  # once per lock file a process opens
                fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as e:
                raise DatabaseError(f"cannot open {path}: {e.strerror or e}; check the folder's permissions") \
                    from None
            self._fds[name] = fd
        return fd

    @staticmethod
    def _counter(fd: int) -> int:
        try:
            raw = os.pread(fd, 8, 0)
        except OSError:
            return -1
        return int.from_bytes(raw, "little") if len(raw) == 8 else 0

    def _acquire(self, name: str, fd: int, wait: bool | float) -> None:
        deadline = None
        limit = WAIT_SECONDS if wait is True else float(wait)
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as e:
                if e.errno not in BUSY:
                    raise DatabaseError(f"cannot lock {self._dir / (name + '.lock')}: {e.strerror or e}") from None
            now = time.monotonic()
            if deadline is None:
                deadline = now + limit
            if now >= deadline:
                if wait is not True:
                    raise Busy(name)
                raise DatabaseError(
                    f"{self._dir / (name + '.lock')} has been held by another annotator for {WAIT_SECONDS:.0f} s "
                    f"(a process stopped mid-save?); find it with `fuser {self._dir / (name + '.lock')}`, "
                    f"end it, and try again")
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
