"""The list of articles: one line each with a done mark, the title (or first words) and ``n/m``.

A Line-API widget like the article view: rows are plain tuples, and a row is rendered
only when it is on screen, so 10,000 articles cost nothing at startup and a label
repaints one row.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.sanitize import sanitize_line

DONE_MARK = "✓"
UNAVAILABLE_MARK = "⚠"
LIST_WIDTH = 34

Row = tuple[str, int, int]  # title, labeled, total


def fit(text: str, cells: int) -> str:
    """Exactly ``cells`` wide: truncated with an ellipsis, or padded."""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(text, max(cells - 1, 0)) + "…"


class ArticleList(ScrollView, can_focus=False):
    COMPONENT_CLASSES = {"article-list--highlight", "article-list--done", "article-list--count",
                         "article-list--unavailable"}

    DEFAULT_CSS = f"""
    ArticleList {{
        width: {LIST_WIDTH};
        border-right: vkey $foreground 20%;
        background: $surface-darken-1;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .article-list--highlight {{ background: $foreground 18%; text-style: bold; }}
        & > .article-list--done {{ color: $text-success; text-style: bold; }}
        & > .article-list--count {{ color: $foreground-muted; }}
        & > .article-list--unavailable {{ color: $text-error; text-style: bold; }}
    }}
    """

    class Selected(Message):
        """The reader clicked an article."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[Row] = []
        self._highlighted: int | None = None
        self._unavailable: set[int] = set()  # articles whose files cannot be read

    def set_articles(self, rows: list[Row]) -> None:
        self._rows = list(rows)
        self.virtual_size = Size(LIST_WIDTH - 1, len(self._rows))
        self.refresh()

    def update_article(self, index: int, title: str, labeled: int, total: int) -> None:
        if 0 <= index < len(self._rows):
            self._rows[index] = (title, labeled, total)
            self.refresh_line(index)  # a line of the list: ScrollView.refresh_line takes off the scroll itself

    def set_unavailable(self, index: int, unavailable: bool) -> None:
        """Mark an article whose text or labels file is missing or damaged (or clear the mark)."""
        if unavailable:
            self._unavailable.add(index)
        else:
            self._unavailable.discard(index)
        self.refresh_line(index)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def highlighted(self) -> int | None:
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        old, self._highlighted = self._highlighted, index
        for row in (old, index):
            if row is not None:
                self.refresh_line(row)
        if index is not None:
            self.scroll_to_region(Region(0, index, 1, 1), animate=False, immediate=True)

    def row_text(self, index: int) -> str:
        """The row as it reads on screen (without colours)."""
        return "".join(seg.text for seg in self._render_row(index, self.scrollable_content_region.width or LIST_WIDTH - 1))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + int(self.scroll_offset.y)
        if 0 <= index < len(self._rows):
            self.post_message(self.Selected(index))

    def _row_style(self, name: str, base: Style) -> Style:
        if name == "article-list--highlight":
            # Un-partial, so a translucent background is blended with ours as CSS would.
            full = self.get_component_rich_style(name)
            return base + Style(bgcolor=full.bgcolor, bold=full.bold)
        part = self.get_component_rich_style(name, partial=True)
        return base + Style(color=part.color, bold=part.bold)

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        if not 0 <= index < len(self._rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        return self._render_row(index, width)

    def _render_row(self, index: int, width: int) -> Strip:
        base = self.rich_style
        title, labeled, total = self._rows[index]
        if index == self._highlighted:
            base = self._row_style("article-list--highlight", base)
        done = total > 0 and labeled >= total
        count = f"{labeled}/{total}"
        if index in self._unavailable:
            mark = Segment(f"{UNAVAILABLE_MARK} ", self._row_style("article-list--unavailable", base))
            count = "unavailable"
            count_style = "article-list--unavailable"
        else:
            mark = Segment(f"{DONE_MARK} ", self._row_style("article-list--done", base)) if done else Segment("  ", base)
            count_style = "article-list--done" if done else "article-list--count"
        title_cells = max(width - 2 - len(count) - 1, 4)
        segments = [
            mark,
            Segment(fit(" ".join(sanitize_line(title).split()), title_cells) + " ", base),
            Segment(count, self._row_style(count_style, base)),
        ]
        return Strip(segments).crop_extend(0, width, base)
