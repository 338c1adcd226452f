"""The one place that resolves paths and settings (flags, environment, defaults)."""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.errors import SettingsError

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


# ----------------------------------------------------------------------------- user settings
#
# Per user, in the platform's config folder (XDG on Linux: $XDG_CONFIG_HOME/annotator, else
# ~/.config/annotator): what the labeling app starts with.  Command-line options win over
# them, and they win over the defaults.  A damaged file is one line and the defaults; it is
# never overwritten without a copy (``settings.toml.bad``) kept first.

SETTINGS_FILE = "settings.toml"
ENV_CONFIG_DIR = "ANNOTATOR_CONFIG_DIR"  # overrides the platform's folder (tests, portable setups)
LIST_WIDTH_MIN, LIST_WIDTH_MAX = 12, 120


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError("use true or false")


def _list_width(value: object) -> str:
    text = str(value).strip().lower()
    if text in ("auto", "hidden"):
        return text
    if isinstance(value, bool):
        raise ValueError("use auto, hidden or a number of columns")
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"use auto, hidden or a number of columns ({LIST_WIDTH_MIN}-{LIST_WIDTH_MAX})") from None
    if not LIST_WIDTH_MIN <= n <= LIST_WIDTH_MAX:
        raise ValueError(f"a width from {LIST_WIDTH_MIN} to {LIST_WIDTH_MAX} columns, or auto, or hidden")
    return str(n)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() or not c.isprintable() for c in value.strip()):
        raise ValueError("a name without spaces")
    return value.strip()


def _theme(value: object) -> str:
    name = _name(value)
    try:  # Textual is installed with the app; its built-in themes are the ones a user can pick
        from textual.theme import BUILTIN_THEMES
    except ImportError:  # pragma: no cover
        return name
    if name not in BUILTIN_THEMES:
        raise ValueError("not a theme; choose one of " + ", ".join(sorted(BUILTIN_THEMES)))
    return name


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    default: str | bool
    parse: Callable[[object], str | bool]
    help: str


SPECS: dict[str, SettingSpec] = {s.key: s for s in (
    SettingSpec("theme", "textual-dark", _theme, "the app's colour theme (the palette's Change theme keeps it)"),
    SettingSpec("list_width", "auto", _list_width, "the article list: auto, hidden, or its width in columns"),
    SettingSpec("auto_next", True, _bool, "finishing an article opens the next unfinished one"),
    SettingSpec("show_others", False, _bool, "show other reviewers' labels while labeling (label --show-others)"),
    SettingSpec("suggest", "none", _name, "the suggester label starts with (label --suggest): none, rules, model, ..."),
)}


def config_dir() -> Path:
    """The folder of the user's settings ($ANNOTATOR_CONFIG_DIR, else the platform's: XDG on Linux)."""
    if os.environ.get(ENV_CONFIG_DIR):
        return Path(os.environ[ENV_CONFIG_DIR]).expanduser()
    try:
        from platformdirs import user_config_dir
    except ImportError:  # pragma: no cover - platformdirs is a dependency; XDG by hand otherwise
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "annotator"
    return Path(user_config_dir("annotator", appauthor=False))


@dataclass(slots=True)
class UserSettings:
    """The settings file's values (checked), where it is, and what was wrong with it."""

    path: Path
    values: dict[str, str | bool] = field(default_factory=dict)  # only what the file sets
    problems: list[str] = field(default_factory=list)  # one line each
    damaged: bool = False  # the file cannot be read or parsed: nothing of it is used

    def get(self, key: str) -> Any:
        return self.values.get(key, SPECS[key].default)

    def source(self, key: str) -> str:
        return str(self.path) if key in self.values else "default"

    @property
    def theme(self) -> str:
        return str(self.get("theme"))

    @property
    def list_width(self) -> str:
        return str(self.get("list_width"))

    @property
    def auto_next(self) -> bool:
        return bool(self.get("auto_next"))

    @property
    def show_others(self) -> bool:
        return bool(self.get("show_others"))

    @property
    def suggest(self) -> str | None:
        name = str(self.get("suggest"))
        return None if name == "none" else name

    def set(self, key: str, raw: object) -> None:
        """Check and set one value, then save; an unknown key or a bad value is a SettingsError.
        The file is read again first, so a change made meanwhile elsewhere (`annotator config set`
        while the app runs) is kept."""
        value = parse_value(key, raw)
        self._reread()
        self.values[spec(key).key] = value
        self.save()

    def unset(self, key: str) -> None:
        name = spec(key).key
        self._reread()
        self.values.pop(name, None)
        self.save()

    def _reread(self) -> None:
        now = load_user_settings(self.path.parent)
        self.values, self.problems, self.damaged = now.values, now.problems, now.damaged

    def save(self) -> None:
        """Write the file atomically; a file that was damaged or held bad values is kept as .bad first."""
        from annotator.atomicio import atomic_write_bytes

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.damaged or self.problems:
                try:
                    old = self.path.read_bytes()
                except OSError:
                    old = None
                if old is not None:
                    atomic_write_bytes(self.path.with_name(SETTINGS_FILE + ".bad"), old)
            atomic_write_bytes(self.path, dumps(self.values).encode())
        except OSError as exc:
            raise SettingsError(f"{self.path}: the settings cannot be saved ({exc.strerror or exc})") from None
        self.damaged = False
        self.problems = []


def spec(key: str) -> SettingSpec:
    found = SPECS.get(key.replace("-", "_"))
    if found is None:
        raise SettingsError(f"{key}: not a setting; the settings are {', '.join(SPECS)}")
    return found


def parse_value(key: str, raw: object) -> str | bool:
    s = spec(key)
    try:
        return s.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{s.key} {raw!s}: {exc}") from None


def dumps(values: dict[str, str | bool]) -> str:
    """TOML for flat string and boolean values (a JSON string is a TOML basic string)."""
    lines = ["# annotator's settings: `annotator config` shows them, `annotator config set KEY VALUE` changes them"]
    for key in SPECS:
        if key in values:
            v = values[key]
            lines.append(f"{key} = {'true' if v is True else 'false' if v is False else json.dumps(v)}")
    return "\n".join(lines) + "\n"


def load_user_settings(folder: Path | None = None) -> UserSettings:
    """The user's settings; never raises: what is wrong is in ``problems`` (one line each)."""
    try:
        path = (folder or config_dir()) / SETTINGS_FILE
    except Exception as exc:  # no home folder at all
        return UserSettings(Path(SETTINGS_FILE), problems=[f"no folder for the settings ({exc}); using the defaults"])
    found = UserSettings(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return found
    except OSError as exc:
        found.damaged = True
        found.problems.append(f"{path}: cannot be read ({exc.strerror or exc}); using the default settings")
        return found
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        found.damaged = True
        found.problems.append(f"{path}: damaged ({exc}); using the default settings (a change keeps it as "
                              f"{SETTINGS_FILE}.bad)")
        return found
    for key, raw in doc.items():
        if key not in SPECS:
            found.problems.append(f"{path}: {key} is not a setting; ignored")
            continue
        try:
            found.values[key] = SPECS[key].parse(raw)
        except ValueError as exc:
            found.problems.append(f"{path}: {key} = {raw!s}: {exc}; using the default")
    return found


def pictures_dir() -> Path:
    """Where screenshots go: $XDG_PICTURES_DIR, ~/Pictures, ~/Downloads, whichever exists first, else here."""
    candidates: list[Path] = []
    if os.environ.get("XDG_PICTURES_DIR"):
        candidates.append(Path(os.environ["XDG_PICTURES_DIR"]).expanduser())
    try:
        home = Path.home()
        candidates += [home / "Pictures", home / "Downloads"]
    except RuntimeError:
        pass
    for folder in candidates:
        if folder.is_dir() and os.access(folder, os.W_OK):
            return folder
    return Path.cwd()
