"""Atomic file replacement: a reader sees the old file or the new one, never a mix.

The sequence is the one that survives power loss on POSIX file systems: write a temp
file in the same folder, flush and fsync it, ``os.replace`` it over the target, then
fsync the folder so the rename itself is durable.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some platforms cannot open folders; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems cannot fsync a folder at all; any other failure means the
        # rename may not survive a power cut, so the caller must not report success.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, sync: bool = True, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``; on any error the old file is untouched and the temp file removed.

    ``mode`` sets the new file's permissions (the temp file starts as 0600).
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    if sync:
        fsync_dir(folder)
