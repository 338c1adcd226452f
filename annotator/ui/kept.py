"""What both apps keep from the user's settings (``annotator.settings``): the theme they start
with, a theme the user picks (kept for the next start), and where screenshots go."""

from __future__ import annotations

from typing import Any

from textual.app import App, InvalidThemeError
from textual.theme import Theme

from annotator.errors import AnnotatorError
from annotator.sanitize import sanitize_line
from annotator.settings import UserSettings, pictures_dir


def start_theme(app: App[Any], theme: str | None, user: UserSettings | None) -> None:
    """Call in ``on_mount``: start with ``theme``, and keep the one the user picks in ``user``
    (through Textual's public ``theme_changed_signal``)."""
    if theme and theme != app.theme:
        try:
            app.theme = theme
        except InvalidThemeError:
            app.notify(f"Theme {sanitize_line(theme)!r} is not available; using {app.theme}",
                       severity="warning", timeout=8, markup=False)

    def keep(picked: Theme) -> None:
        if user is None or user.get("theme") == picked.name:
            return
        try:
            user.set("theme", picked.name)
        except AnnotatorError as exc:
            app.notify(sanitize_line(exc.message), title=exc.title, severity="warning", timeout=8, markup=False)

    app.theme_changed_signal.subscribe(app, keep)


def screenshot_folder(path: str | None) -> str:
    """Where a screenshot goes: ``path`` if given, else a folder that exists (pictures, downloads, here)."""
    return path or str(pictures_dir())
