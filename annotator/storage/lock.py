"""The single-writer lock of a database, and who holds it."""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime
from pathlib import Path

import orjson
from filelock import FileLock, Timeout

from annotator.atomicio import atomic_write_bytes
from annotator.errors import DatabaseError, DatabaseLocked

def info_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock.info")


def acquire_lock(path: Path, timeout: float) -> FileLock:
    lock_path = str(path.with_name(path.name + ".lock"))
    try:
        # A soft (marker file) lock would outlive a killed holder; prefer failing on such file systems.
        lock = FileLock(lock_path, timeout=timeout, thread_local=False, fallback_to_soft=False)
    except TypeError:  # filelock < 4 has no fallback_to_soft and never falls back
        lock = FileLock(lock_path, timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseLocked(locked_message(path)) from None
    except OSError as e:
        raise DatabaseError(
            f"cannot lock {path} for writing ({lock_path}: {e.strerror or e}); check the folder's permissions"
        ) from None
    holder = {
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        # argv holds file names that may not be UTF-8 (surrogates): orjson would refuse them.
        "command": " ".join(sys.argv).encode("utf-8", "backslashreplace").decode("utf-8"),
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    try:
        atomic_write_bytes(info_path(path), orjson.dumps(holder), sync=False)
    except OSError:
        pass  # only used to explain a refusal; the lock itself is what protects the data
    return lock


def release_lock(path: Path, lock: FileLock) -> None:
    try:
        os.unlink(info_path(path))  # before release: once released the file may be a new holder's
    except OSError:
        pass
    lock.release()


def locked_message(path: Path) -> str:
    try:
        info = orjson.loads(info_path(path).read_bytes())
        pid = info["pid"]
        host = info.get("hostname")
        started = datetime.fromisoformat(info["started"]).astimezone()
        when = started.strftime("%H:%M" if started.date() == datetime.now().date() else "%Y-%m-%d %H:%M")
        where = f" on {host}" if host and host != socket.gethostname() else ""
        who = f"pid {pid}{where}, started {when}"
    except (OSError, ValueError, KeyError, TypeError):
        who = "pid unknown"
    return f"{path} is open in another annotator ({who}); close it or use --db to pick another database"
