"""Where a command may write: never over the database's own files.

``annotator export -o annotations/annotations.json`` would replace the database's index
with an export and lose every article; a file written into ``annotations/annotations.d/``
would sit among the database's own files.  ``check_output_path`` refuses both before
anything is read or written.  Paths are compared as the file system sees them: links and
``..`` resolved (also when the target does not exist yet), and, for what exists, by
device and inode, so a hard link or another spelling of the same file is caught too.
"""

from __future__ import annotations

import os
from pathlib import Path

from annotator.errors import InputError
from annotator.importer import quote_path


def database_folder(db_path: Path) -> Path:
    """The folder holding the database's article and label files (``annotations.d`` next to
    ``annotations.json``), named as the storage names it."""
    folder = db_path.with_name(db_path.stem + ".d")
    if folder == db_path:  # --db x.d
        folder = db_path.with_name(db_path.name + ".d")
    return folder


def _real(path: Path) -> str:
    # Not abspath first: it drops ``x/..`` as text, where the file system follows the link x.
    return os.path.realpath(path)


def _stat_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_path(db_path: Path, out: Path, option: str = "-o") -> None:
    """Refuse ``out`` when it is the database's index file, one of its lock files, its folder
    or anything inside that folder.  Raises InputError (one line, naming the file)."""
    # The storage names the lock files and the folder after the path as given (a link
    # included), and writes through to the link's target: guard both.
    bases = [Path.cwd() / db_path]  # as given (``..`` kept: only the file system can resolve it)
    if _real(db_path) != str(bases[0]):
        bases.append(Path(_real(db_path)))
    files: list[tuple[str, str]] = []  # (real path, what it is)
    folders: list[str] = []
    for base in bases:
        files.append((_real(base), "the database's index file"))
        files.append((_real(base.with_name(base.name + ".lock")), "the database's lock file"))
        files.append((_real(base.with_name(base.name + ".lock.info")), "the database's lock file"))
        folders.append(_real(database_folder(base)))
    target = _real(out)
    shown = f"{option} {quote_path(out)}"
    fix = "choose a file outside the database"
    target_id = _stat_id(target)
    for real, what in files:
        if target == real or (target_id is not None and target_id == _stat_id(real)):
            raise InputError(f"{shown}: that is {what} ({quote_path(db_path)}); writing there would destroy "
                             f"the database; {fix}")
    folder_ids = {i for i in map(_stat_id, folders) if i is not None}
    for folder in folders:
        inside = _within(target, folder)
        if not inside and folder_ids:
            # Another spelling of the folder (a bind mount, a case-insensitive file system):
            # compare each existing folder on the way up by device and inode.
            up = Path(target)
            for parent in (up, *up.parents):
                pid = _stat_id(str(parent))
                if pid is not None and pid in folder_ids:
                    inside = True
                    break
        if inside:
            raise InputError(f"{shown}: that is inside the database's folder {quote_path(database_folder(db_path))}, "
                             f"where only the database's own files belong; {fix}")
