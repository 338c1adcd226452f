"""One session per person: a reviewer labeling (or a lead reviewing) in two places at once is refused.

Several people may write one database at once, but one person's session keeps their undo
and redo stacks and their clock in memory, so the same person in two sessions would undo
each other's decisions out of order.  A session of ``label`` or ``review`` holds an
exclusive ``flock`` on ``<db>.d/people/<role>-<hash of the name>.lock`` (the name itself
may hold any printable character, a ``/`` too), which names the holder inside it; the
kernel drops it when the process ends, however it ends.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from annotator.errors import DatabaseError, DatabaseLocked
from annotator.sanitize import sanitize_line
from annotator.storage.lock import BUSY, describe_holder

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one writer at a time there (see ``lock``)
    fcntl = None  # type: ignore[assignment]

ROLES = ("label", "review")


def person_path(folder: Path, name: str, role: str) -> Path:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return folder / "people" / f"{role}-{digest}.lock"


@dataclass
class PersonLock:
    path: Path
    fd: int

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            os.ftruncate(self.fd, 0)  # names no holder any more
        except OSError:
            pass
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = -1


def _read_info(fd: int) -> dict[str, Any] | None:
    try:
        info = orjson.loads(os.pread(fd, 4096, 0) or b"null")
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def take(db_path: Path, folder: Path, name: str, role: str = "label") -> PersonLock | None:
    """Hold ``name``'s ``role`` session of the database, or raise DatabaseLocked naming the holder.
    None where the file system cannot lock (then nothing is checked)."""
    if fcntl is None:  # pragma: no cover
        return None
    path = person_path(folder, name, role)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as e:
        raise DatabaseError(f"cannot open {path}: {e.strerror or e}; check the folder's permissions") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in BUSY:
            info = _read_info(fd)
            os.close(fd)
            doing = "labeling" if role == "label" else "reviewing"
            raise DatabaseLocked(
                f"{sanitize_line(name)} is already {doing} {db_path} in another annotator ({describe_holder(info)}); "
                f"close that session first, or use another --annotator name") from None
        os.close(fd)
        if e.errno in (errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP):
            return None
        raise DatabaseError(f"cannot lock {path}: {e.strerror or e}") from None
    note = orjson.dumps({
        "name": name.encode("utf-8", "backslashreplace").decode("utf-8"),
        "role": role,
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        "command": " ".join(sys.argv).encode("utf-8", "backslashreplace").decode("utf-8"),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
    })
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, note, 0)
    except OSError:
        pass  # only explains a refusal; the flock is what counts
    return PersonLock(path, fd)


def in_session(folder: Path) -> list[dict[str, Any]]:
    """Everyone with a session open on the database now: their lock files' holders."""
    found: list[dict[str, Any]] = []
    people = folder / "people"
    try:
        names = sorted(os.listdir(people))
    except OSError:
        return found
    if fcntl is None:  # pragma: no cover
        return found
    for n in names:
        if not n.endswith(".lock"):
            continue
        try:
            fd = os.open(people / n, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno in BUSY:
                    info = _read_info(fd)
                    if info is not None:
                        found.append(info)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)  # free: nobody is in that session
        finally:
            os.close(fd)
    return found


def describe_sessions(sessions: list[dict[str, Any]]) -> str:
    """``ana (label, pid 12, started 10:02), budi (…)`` for a message."""
    parts = []
    for info in sessions:
        name = info.get("name")
        parts.append(f"{sanitize_line(name) if isinstance(name, str) else '?'} "
                     f"({info.get('role', '?')}, {describe_holder(info)})")
    return ", ".join(parts)
