"""The note editor: a small modal for the one-line note of the cursor's sentence (key N).

It returns the text typed (``NoteScreen`` is a ``ModalScreen[str | None]``): enter keeps it
("" removes the note), escape gives None and leaves everything as it was.  What is typed or
pasted is kept one printable line as it comes (a line break becomes a space, ESC and other
controls are left out), so nothing a note holds can act on the terminal.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from annotator.model import NOTE_MAX_CHARS, note_line
from annotator.sanitize import sanitize_line

EXCERPT_CHARS = 200  # of the sentence, shown above the note


class NoteScreen(ModalScreen[str | None]):
    """Write or edit a note: enter keeps it (empty: no note), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel", tooltip="Close without changing the note")]

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    NoteScreen .note-title { text-style: bold; }
    NoteScreen .note-sentence { color: $foreground-muted; margin-bottom: 1; }
    NoteScreen .note-hint { color: $foreground-muted; margin-top: 1; }
    """

    def __init__(self, heading: str, sentence: str, value: str) -> None:
        super().__init__()
        self.heading = heading
        self.sentence = sentence
        self.value = value

    def compose(self) -> ComposeResult:
        excerpt = " ".join(self.sentence.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
        with Vertical():
            # Content(...) is text, never markup: a note or a sentence may hold "[bold]".
            yield Static(Content(sanitize_line(self.heading)), classes="note-title")
            yield Static(Content(sanitize_line(excerpt)), classes="note-sentence")
            yield Input(note_line(self.value), placeholder="a note for the lead (one line)", max_length=NOTE_MAX_CHARS,
                        id="note")
            yield Static(Content("enter saves · escape cancels · an empty note removes it"), classes="note-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        clean = note_line(event.value)
        if clean != event.value:  # pasted: a line break, a tab or a control character
            event.input.value = clean

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
