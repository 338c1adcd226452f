"""Keys shared by the labeling and review apps: the label scheme's keys, and a ctrl+q that
asks twice while something is not saved."""

from __future__ import annotations

import time

from textual.app import App
from textual.binding import Binding

from annotator.model import LabelScheme

QUIT_CONFIRM_SECONDS = 5.0


def scheme_bindings(scheme: LabelScheme, action: str, tooltip: str) -> list[Binding]:
    """One binding per label with keys, running ``action('<name>')``; ids are ``label.<name>``
    in both apps, so one keymap remaps them everywhere.  ``tooltip`` may use ``{name}``."""
    return [
        Binding(",".join(d.keys), f"{action}('{d.name}')", d.name.capitalize(), id=f"label.{d.name}",
                key_display="/".join(d.keys), tooltip=tooltip.format(name=d.name))
        for d in scheme.labels
        if d.keys
    ]


class GuardedQuitApp(App[None]):
    """ctrl+q quits at once, unless ``unsaved_warning()`` says something would be lost:
    then it warns, and a second ctrl+q within a few seconds quits anyway."""

    _quit_armed_at = 0.0

    def unsaved_warning(self) -> str | None:
        return None

    async def action_quit(self) -> None:
        warning = self.unsaved_warning()
        now = time.monotonic()
        if warning is not None and now - self._quit_armed_at > QUIT_CONFIRM_SECONDS:
            self._quit_armed_at = now
            self.notify(warning, title="Not saved", severity="warning", timeout=QUIT_CONFIRM_SECONDS, markup=False)
            return
        self.exit()
