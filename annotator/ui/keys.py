"""Keys shared by the labeling and review apps: the label scheme's keys, and a ctrl+q that
asks twice while something is not saved."""

from __future__ import annotations

import time
import types
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from annotator.model import LabelScheme
from annotator.sanitize import sanitize_line

QUIT_CONFIRM_SECONDS = 5.0

# Textual splits a binding's keys at commas, so a comma key must be named.
_KEY_NAMES = {",": "comma"}

_S = TypeVar("_S", bound=Screen[Any])


def scheme_bindings(scheme: LabelScheme, action: str, tooltip: str) -> list[Binding]:
    """One binding per live label, its digit and letter keys running ``action(<id>)``;
    binding ids are ``label.<id>`` in both apps (the id survives a rename), so one keymap
    remaps them everywhere.  ``tooltip`` may use ``{name}``.

    The id is passed as a Python literal (``repr``), which Textual's action parser reads
    back exactly (``ast.literal_eval``), whatever quotes, backslashes or brackets it holds.
    """
    return [
        Binding(",".join(_KEY_NAMES.get(k, k) for k in keys), f"{action}({d.id!r})", d.name.capitalize(),
                id=f"label.{d.id}", key_display="/".join(keys),
                tooltip=tooltip.format(name=d.name) + (f": {sanitize_line(d.description)}" if d.description else ""))
        for d in scheme.live
        if (keys := scheme.keys_of(d))
    ]


def _by_key(bindings: Iterable[BindingType]) -> dict[str, list[Binding]]:
    keys: dict[str, list[Binding]] = {}
    for binding in Binding.make_bindings(bindings):
        keys.setdefault(binding.key, []).append(binding)
    return keys


def _declared(screen: type[Screen[Any]]) -> dict[str, list[Binding]]:
    """The screen class's bindings by key, merged over its bases from their public
    ``BINDINGS`` as Textual merges them (a class's bindings for a key replace its bases')."""
    keys: dict[str, list[Binding]] = {}
    for base in reversed(screen.__mro__):
        for key, found in _by_key(vars(base).get("BINDINGS", [])).items():
            keys[key] = found
    return keys


@cache
def with_label_keys(screen: type[_S], scheme: LabelScheme, action: str, tooltip: str, *,
                    first: bool = False) -> type[_S]:
    """``screen`` with the scheme's label keys (see :func:`scheme_bindings`) added to its
    ``BINDINGS``: a subclass made once per scheme, since the keys come from the database.

    A key the screen binds itself stays the screen's (the label binding is only tried when
    the screen's is disabled).  ``first``: the label keys come first in the footer and help.
    """
    own = _declared(screen)
    labels = _by_key(scheme_bindings(scheme, action, tooltip))
    order = dict.fromkeys([*labels, *own] if first else [*own, *labels])
    bindings: list[BindingType] = [b for k in order for b in [*own.get(k, []), *labels.get(k, [])]]

    def body(ns: dict[str, Any]) -> None:
        ns["BINDINGS"] = bindings
        ns["LABEL_KEYS"] = True  # made here: the keys are in place
        ns["__module__"] = screen.__module__
        ns["__qualname__"] = screen.__qualname__

    # The whole list is declared here, so nothing is inherited twice (or in another order).
    return types.new_class(screen.__name__, (screen,), {"inherit_bindings": False}, body)


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
