"""Help built from the real bindings, so it is right after any key remap."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 1 2;
    }
    /* A small terminal: the box takes it all, its text wraps inside, it scrolls. */
    HelpScreen.-narrow > VerticalScroll { padding: 0 1; }
    HelpScreen .help-title { text-style: bold; margin-bottom: 1; }
    """

    def __init__(self, rows: list[tuple[str, str]], intro: str) -> None:
        super().__init__()
        self.rows = rows
        self.intro = intro

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < 70 or event.size.height < 20, "-narrow")

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.width < 70 or self.app.size.height < 20, "-narrow")
        width = max((len(k) for k, _ in self.rows), default=4) + 2
        body = Content("\n").join(
            Content.assemble(Content.styled(keys.ljust(width), "bold $accent"), Content(desc)) for keys, desc in self.rows
        )
        with VerticalScroll():
            yield Static(Content("annotator: keys"), classes="help-title")
            yield Static(Content(self.intro))
            yield Static(body)
            yield Static(Content("\nesc closes this help."))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def rows_from_bindings(bindings: Iterable[Binding], key_display: Callable[[Binding], str]) -> list[tuple[str, str]]:
    """One row per action: every key bound to it, and its description."""
    by_action: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        if not binding.description and not binding.tooltip:
            continue
        keys, desc = by_action.setdefault(binding.action, ([], binding.tooltip or binding.description))
        shown = key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return [(" ".join(keys), desc) for keys, desc in by_action.values()]


def live_rows(screen: Screen[Any]) -> list[tuple[str, str]]:
    """The help rows of what each key does on ``screen`` right now (the key that wins, after
    any keymap), from Textual's public ``active_bindings``."""
    return rows_from_bindings((active.binding for active in screen.active_bindings.values()),
                              screen.app.get_key_display)
