"""The project's guidelines on ``g``: each label's definition, then the team's Markdown,
searchable with ``/``.

The Markdown is untrusted (anyone who can write the database wrote it): controls are made
visible before Textual renders it, and links do not open.  It is shown block by block (a
paragraph, a list, a fenced code block each), so a search can scroll to the block it found
and mark it.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Markdown, Static

from annotator.model import LabelScheme
from annotator.sanitize import sanitize, sanitize_text

NO_GUIDELINES = ("*No guidelines stored yet.* A project lead adds them with "
                 "`annotator scheme guidelines FILE.md`; label definitions come from "
                 "`annotator scheme set NAME --description TEXT`.")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HELP = "Guidelines · / search · n/N next/previous match · esc close"


def _escape(text: str) -> str:
    """A name or description as literal Markdown text (a label named `*x*` stays `*x*`)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", text)


def labels_markdown(scheme: LabelScheme) -> str:
    lines = ["# Labels", ""]
    for d in scheme.live:
        keys = "/".join(scheme.keys_of(d))
        lines.append(f"- **{_escape(d.name)}** ({_escape(keys)}): {_escape(d.description) or '*no description*'}")
    lines.append("- **skip** (0): not applicable; decided, but left out of datasets")
    return "\n".join(lines)


def blocks(markdown: str) -> list[str]:
    """The Markdown split at blank lines, a fenced code block kept whole."""
    out: list[str] = []
    current: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                out.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out


class GuidelinesScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,g", "close", "Close", id="guidelines.close"),
        Binding("slash", "search", "Search", id="guidelines.search", key_display="/"),
        Binding("n", "next_match(1)", "Next match", id="guidelines.next"),
        Binding("N", "next_match(-1)", "Previous match", id="guidelines.previous"),
    ]

    DEFAULT_CSS = """
    GuidelinesScreen { align: center middle; }
    GuidelinesScreen > #guidelines-box {
        width: 100%; max-width: 100; height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    GuidelinesScreen #guidelines-search { display: none; margin: 0 0 1 0; }
    GuidelinesScreen #guidelines-status { height: 1; color: $foreground-muted; }
    GuidelinesScreen Markdown { margin: 0; padding: 0; background: $panel; }
    GuidelinesScreen Markdown.match { background: $accent 25%; }
    """

    def __init__(self, scheme: LabelScheme, guidelines: str) -> None:
        super().__init__()
        text = sanitize_text(guidelines).strip() or NO_GUIDELINES
        self.sources = [labels_markdown(scheme), *blocks(text)]
        self._lowered = [s.casefold() for s in self.sources]
        self._matches: list[int] = []
        self._at = -1

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="guidelines-box"):
            yield Input(placeholder="search the guidelines; enter: next match", id="guidelines-search")
            yield Static(Content(_HELP), id="guidelines-status")
            for n, source in enumerate(self.sources):
                yield Markdown(source, id=f"block-{n}", open_links=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_search(self) -> None:
        box = self.query_one("#guidelines-search", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.find(event.value)

    def find(self, query: str) -> int:
        """Mark every block holding ``query`` (any case) and go to the next one; how many hold it."""
        needle = query.casefold().strip()
        for n in self._matches:
            self.query_one(f"#block-{n}").remove_class("match")
        self._matches = [n for n, s in enumerate(self._lowered) if needle and needle in s]
        for n in self._matches:
            self.query_one(f"#block-{n}").add_class("match")
        self._at = -1
        status = self.query_one("#guidelines-status", Static)
        if not needle:
            status.update(Content(_HELP))
        elif not self._matches:
            status.update(Content(f"no match for {sanitize(query)!r}"))
        self.action_next_match(1)
        self.query_one("#guidelines-box").focus()
        return len(self._matches)

    def action_next_match(self, step: int) -> None:
        if not self._matches:
            return
        self._at = (self._at + step) % len(self._matches)
        target = self.query_one(f"#block-{self._matches[self._at]}")
        self.query_one("#guidelines-box", VerticalScroll).scroll_to_widget(target, animate=False, top=True)
        self.query_one("#guidelines-status", Static).update(
            Content(f"match {self._at + 1} of {len(self._matches)} · n/N next/previous · / new search · esc close"))
