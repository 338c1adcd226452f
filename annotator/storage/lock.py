"""The single-writer lock of a database, and who holds it.

A writer holds two ``flock`` locks, and a second writer needs both, so deleting,
replacing or truncating any one file or folder next to the database never lets it in:

* ``<db>.lock``: a lock file that annotator never deletes.  A lock taken on a file that
  was deleted or replaced between its ``open`` and its ``flock`` protects nothing, so
  after the ``flock`` the path must still name the locked file (same inode and device),
  or the lock is dropped and taken again.  Deleting the file while it is held does let a
  newcomer lock a new file of that name, which is why there is a second lock:
* ``<db>.d``: the database's own folder, opened read-only and locked.  It holds the
  ``articles`` and ``labels`` folders, so it cannot be removed or renamed over while in
  use, and it is checked the same way after locking.

Both are released when the holder closes the database or dies (the kernel drops the
locks of a killed process).  On a file system that cannot lock a folder (some network
file systems) only the lock file is used.  ``<db>.lock.info`` (and the lock file itself)
say who holds the lock, to explain a refusal; when both are gone the holder is found in
``/proc/locks`` (Linux).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from annotator.atomicio import atomic_write_bytes
from annotator.errors import DatabaseError, DatabaseLocked
from annotator.sanitize import sanitize_line

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; filelock (msvcrt) is used instead
    fcntl = None  # type: ignore[assignment]

_POLL_SECONDS = 0.05
# A path swapped under us this many times in a row is being fought over: give up.
_SWAPS_MAX = 50
# flock refusing because another process holds the lock.
BUSY = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})
# flock refusing because the file system cannot lock (a folder on NFS, say).
_UNSUPPORTED = frozenset({errno.EBADF, errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP})


def info_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock.info")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def data_folder(path: Path) -> Path:
    """``<db>.d``, as ``Database`` names it (``annotations.json`` -> ``annotations.d``)."""
    folder = path.with_name(path.stem + ".d")
    return path.with_name(path.name + ".d") if folder == path else folder


class WriterLock:
    """The held locks of one writer; :func:`release_lock` gives them back."""

    def __init__(self, fds: list[int], *, created: Path | None = None, fallback: Any = None,
                 shared: bool = False) -> None:
        self._fds = fds
        self.shared = shared  # one of several writers (see ``guards``), not the only one
        self._created = created  # the folder this lock made (removed again if still empty)
        self._fallback = fallback  # a filelock.FileLock where there is no fcntl

    @property
    def is_locked(self) -> bool:
        return bool(self._fds) or self._fallback is not None

    def note(self, holder: bytes) -> None:
        """Write who holds the lock into the lock file itself (the one holder only)."""
        if self._fds and not self.shared:
            try:
                os.ftruncate(self._fds[0], 0)
                os.pwrite(self._fds[0], holder, 0)
            except OSError:
                pass

    def release(self) -> None:
        if self._created is not None:
            # Before unlocking: once unlocked the folder may be a new holder's.
            try:
                os.rmdir(self._created)  # only if nothing was put in it (a failed open)
            except OSError:
                pass
            self._created = None
        fds, self._fds = self._fds, []
        if fds and not self.shared:
            try:
                os.ftruncate(fds[0], 0)  # the lock file: no holder named in it any more
            except OSError:
                pass
        for fd in fds:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:
                pass
            os.close(fd)
        if self._fallback is not None:
            self._fallback.release()
            self._fallback = None


def _flock(path: Path, *, folder: bool, shared: bool = False) -> int | None:
    """An open fd of ``path`` holding a flock (exclusive, or ``shared``), or None while another
    process holds it in a way that excludes ours.

    Raises OSError(ENOTSUP) when the file system cannot lock ``path``.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if folder else os.O_RDWR | os.O_CREAT
    for _ in range(_SWAPS_MAX):
        if folder:
            path.mkdir(exist_ok=True)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in BUSY:
                return None
            if e.errno in _UNSUPPORTED:
                raise OSError(errno.ENOTSUP, os.strerror(errno.ENOTSUP)) from None
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        # Deleted or replaced between our open and our flock: the lock guards a file nobody
        # else will ever open.  Drop it and lock what the name means now.
        os.close(fd)
    raise OSError(errno.EBUSY, "it keeps being deleted or replaced while annotator locks it")


def _try_lock(path: Path, shared: bool = False) -> WriterLock | Path:
    """Both locks, or the path that another process holds."""
    held = lock_path(path)
    fd = _flock(held, folder=False, shared=shared)
    if fd is None:
        return held
    folder = data_folder(path)
    created = None if folder.exists() else folder
    try:
        folder_fd = _flock(folder, folder=True, shared=shared)
    except OSError as e:
        if e.errno != errno.ENOTSUP:
            os.close(fd)
            raise
        return WriterLock([fd], created=created, shared=shared)  # a file system that cannot lock folders
    except BaseException:
        os.close(fd)
        raise
    if folder_fd is None:
        os.close(fd)  # closing drops our lock on the lock file too
        return folder
    return WriterLock([fd, folder_fd], created=created, shared=shared)


def acquire_lock(path: Path, timeout: float, *, shared: bool = False) -> WriterLock:
    """Lock the database at ``path`` for writing, waiting up to ``timeout`` seconds: ``shared``
    with other writers (each write then guarded on its own, see ``guards``), or alone.

    Raises DatabaseLocked (naming the holders) if another process holds it.
    """
    if fcntl is None:  # pragma: no cover - one writer at a time where there is no flock
        return _acquire_filelock(path, timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = _try_lock(path, shared)
        except OSError as e:
            raise DatabaseError(
                f"cannot lock {path} for writing ({e.filename or lock_path(path)}: {e.strerror or e}); "
                f"check the folder's permissions"
            ) from None
        if isinstance(got, WriterLock):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise DatabaseLocked(locked_message(path, got, alone=not shared))
        time.sleep(min(_POLL_SECONDS, left))
    if not shared:
        _announce(path, got)
    return got


def _acquire_filelock(path: Path, timeout: float) -> WriterLock:  # pragma: no cover - Windows
    # Windows cannot delete or replace a file another process has open, so the lock file
    # alone is enough there.
    from filelock import FileLock, Timeout

    lock = FileLock(str(lock_path(path)), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseLocked(locked_message(path)) from None
    except OSError as e:
        raise DatabaseError(
            f"cannot lock {path} for writing ({lock_path(path)}: {e.strerror or e}); check the folder's permissions"
        ) from None
    got = WriterLock([], fallback=lock)
    _announce(path, got)
    return got


def _announce(path: Path, lock: WriterLock) -> None:
    """Say who holds the lock: in ``<db>.lock.info`` and in the locked file itself."""
    info = orjson.dumps({
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        # argv holds file names that may not be UTF-8 (surrogates): orjson would refuse them.
        "command": " ".join(sys.argv).encode("utf-8", "backslashreplace").decode("utf-8"),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
    })
    # Only used to explain a refusal; the locks themselves are what protect the data.
    lock.note(info)
    try:
        atomic_write_bytes(info_path(path), info, sync=False)
    except OSError:
        pass


def release_lock(path: Path, lock: WriterLock) -> None:
    if not lock.shared:
        try:
            os.unlink(info_path(path))  # before release: once released the file may be a new holder's
        except OSError:
            pass
    lock.release()


# ----------------------------------------------------------------- who holds it


def _holder_from(source: Path) -> dict[str, Any] | None:
    try:
        info = orjson.loads(source.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or type(info.get("pid")) is not int or not isinstance(info.get("started"), str):
        return None
    if info.get("hostname") == socket.gethostname():
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return None  # left by a holder that was killed: the lock is someone else's now
        except OSError:
            pass  # alive, another user's
    return info


def _flock_pid(path: Path) -> int | None:
    """The process holding a flock on ``path``, from ``/proc/locks`` (Linux), or None."""
    try:
        st = os.stat(path)
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    found: list[tuple[bool, int]] = []
    for line in lines:
        # "3: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"; a waiter has "->" after the number.
        parts = line.split()
        if len(parts) < 6 or parts[1] != "FLOCK" or not parts[4].isdigit():
            continue
        ident = parts[5].split(":")
        if len(ident) != 3 or not ident[2].isdigit() or int(ident[2]) != st.st_ino:
            continue
        try:
            same_dev = (int(ident[0], 16), int(ident[1], 16)) == (os.major(st.st_dev), os.minor(st.st_dev))
        except ValueError:
            same_dev = False
        found.append((same_dev, int(parts[4])))
    # Some file systems (btrfs subvolumes, overlays) report another device number there.
    best = max(found, default=None)
    return best[1] if best is not None and best[1] > 0 else None


def _process_started(pid: int) -> str | None:
    """When process ``pid`` started, from ``/proc`` (Linux), as an ISO time; None if unknown."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        ticks = int(raw.rsplit(")", 1)[1].split()[19])  # field 22, counted after the command name
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        at = boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def holder(path: Path, busy: Path | None = None) -> dict[str, Any] | None:
    """Who holds the database at ``path`` (pid, hostname, started), as far as can be told."""
    for source in (info_path(path), lock_path(path)):
        info = _holder_from(source)
        if info is not None:
            return info
    pid = None
    for locked in ([busy] if busy is not None else [lock_path(path), data_folder(path)]):
        pid = _flock_pid(locked)
        if pid is not None:
            break
    if pid is None:
        return None
    return {"pid": pid, "hostname": socket.gethostname(), "started": _process_started(pid)}


def locked_message(path: Path, busy: Path | None = None, *, alone: bool = False) -> str:
    if alone:
        from annotator.storage.people import describe_sessions, in_session

        sessions = in_session(data_folder(path))
        if sessions:
            return (f"{path} is open in {len(sessions)} other annotator session(s): {describe_sessions(sessions)}; "
                    f"this command needs the database to itself: run it when they have closed")
    who = describe_holder(holder(path, busy))
    return f"{path} is open in another annotator ({who}); close it or use --db to pick another database"


def describe_holder(info: dict[str, Any] | None) -> str:
    """``pid 4242 on otherhost, started 10:02`` for a message, from a holder's record (its
    host is untrusted text from a file: made safe to show)."""
    if not info or type(info.get("pid")) is not int:
        return "pid unknown"
    host = info.get("hostname")
    where = f" on {sanitize_line(host)}" if isinstance(host, str) and host and host != socket.gethostname() else ""
    who = f"pid {info['pid']}{where}"
    try:
        started = datetime.fromisoformat(info["started"]).astimezone()
        when = started.strftime("%H:%M" if started.date() == datetime.now().date() else "%Y-%m-%d %H:%M")
        who += f", started {when}"
    except (KeyError, TypeError, ValueError):
        pass
    return who
