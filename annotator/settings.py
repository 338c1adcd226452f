"""The one place that resolves paths and settings (flags, environment, defaults)."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = Path("annotations") / "annotations.json"
ENV_DB = "ANNOTATOR_DB"
ENV_ANNOTATOR = "ANNOTATOR"


@dataclass(frozen=True, slots=True)
class Settings:
    db_path: Path
    annotator: str


def default_annotator() -> str:
    try:
        name = getpass.getuser()
    except Exception:  # no login name in some containers; never fail for it
        name = ""
    return name.strip() or "anonymous"


def resolve(db: str | os.PathLike[str] | None = None, annotator: str | None = None) -> Settings:
    """Flag beats environment beats default; a relative db path is relative to the current folder."""
    db_value = db if db not in (None, "") else os.environ.get(ENV_DB) or DEFAULT_DB
    name = (annotator if annotator not in (None, "") else os.environ.get(ENV_ANNOTATOR)) or default_annotator()
    return Settings(db_path=Path(db_value).expanduser(), annotator=name.strip() or default_annotator())
