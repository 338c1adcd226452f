"""The stats screen (``S``): the figures of ``annotator stats`` and its bar charts, in a modal.

Computed on the main thread when the screen opens (the database is not thread-safe), after
"Computing…" is painted.  Every text shown is plain ``Content`` from sanitized lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from annotator import stats
from annotator.errors import AnnotatorError
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database

COMPUTING = "Computing…"


class StatsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,S", "dismiss", "Close", id="stats.close")]

    DEFAULT_CSS = """
    StatsScreen { align: center middle; }
    StatsScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1; overflow-x: auto;
    }
    StatsScreen Static { width: auto; text-wrap: nowrap; }
    StatsScreen #stats-title { text-style: bold; }
    StatsScreen #stats-text { width: 100%; text-wrap: wrap; }
    StatsScreen #stats-chart { margin-top: 1; }
    StatsScreen #stats-close { color: $foreground-muted; margin-top: 1; }
    """

    def __init__(self, db: Database, you: str = "") -> None:
        super().__init__()
        self.db = db
        self.you = you
        self.figures: stats.Stats | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Content("Project stats (as `annotator stats --chart`)"), id="stats-title")
            yield Static(Content(COMPUTING), id="stats-text")
            yield Static("", id="stats-chart")
            yield Static(Content("esc or q closes this."), id="stats-close")

    def on_mount(self) -> None:
        self.call_after_refresh(self._compute)

    def _compute(self) -> None:
        try:
            figures = stats.compute(self.db, self.you)
        except AnnotatorError as exc:
            self.query_one("#stats-text", Static).update(Content(f"{exc.title}: {sanitize_line(exc.message)}"))
            return
        self.figures = figures
        text = stats.format_text(figures, str(self.db.path)).splitlines()[1:]  # the database is on screen already
        self.query_one("#stats-text", Static).update(Content("\n".join(text)))
        width = max(10, min(stats.BAR_WIDTH, self.app.size.width - 40))
        self.query_one("#stats-chart", Static).update(Content("\n".join(stats.chart_lines(figures, width))))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
