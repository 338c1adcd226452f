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
QUEUE_MARK = "•"  # dealt to this reviewer, not done yet (so queue and state read without colour)
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
        self._queue = 0  # articles 0 .. _queue-1 are the reviewer's queue
        # The articles shown, in order (a filter); None: all.  Rows are positions in it.
        self._shown: list[int] | None = None
        self._row_of: dict[int, int] = {}

    def set_articles(self, rows: list[Row], queue: int = 0) -> None:
        self._rows = list(rows)
        self._queue = queue
        self.show_only(None)

    def add_articles(self, rows: list[Row]) -> None:
        """More articles at the end (another writer imported them), the list left where it is."""
        self._rows.extend(rows)
        if self._shown is None:
            self.virtual_size = Size(LIST_WIDTH - 1, self.shown_count)
            self.refresh()

    def show_only(self, articles: list[int] | None) -> None:
        """Show just these articles (a filter), in this order; None: all of them."""
        self._shown = articles
        self._row_of = {a: r for r, a in enumerate(articles)} if articles is not None else {}
        self.virtual_size = Size(LIST_WIDTH - 1, self.shown_count)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()
        if self._highlighted is not None:
            self.highlighted = self._highlighted

    @property
    def shown_count(self) -> int:
        return len(self._shown) if self._shown is not None else len(self._rows)

    @property
    def shown(self) -> list[int]:
        """The articles the list shows, in order."""
        return list(self._shown) if self._shown is not None else list(range(len(self._rows)))

    def _row(self, index: int) -> int | None:
        """The row showing article ``index`` (None: filtered out)."""
        if self._shown is None:
            return index if 0 <= index < len(self._rows) else None
        return self._row_of.get(index)

    def _article_at(self, row: int) -> int | None:
        if self._shown is None:
            return row if 0 <= row < len(self._rows) else None
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def update_article(self, index: int, title: str, labeled: int, total: int) -> None:
        if 0 <= index < len(self._rows):
            self._rows[index] = (title, labeled, total)
            if (row := self._row(index)) is not None:
                self.refresh_line(row)  # a line of the list: ScrollView.refresh_line takes off the scroll itself

    def set_unavailable(self, index: int, unavailable: bool) -> None:
        """Mark an article whose text or labels file is missing or damaged (or clear the mark)."""
        if unavailable:
            self._unavailable.add(index)
        else:
            self._unavailable.discard(index)
        if (row := self._row(index)) is not None:
            self.refresh_line(row)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def highlighted(self) -> int | None:
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        old, self._highlighted = self._highlighted, index
        for article in (old, index):
            if article is not None and (row := self._row(article)) is not None:
                self.refresh_line(row)
        if index is not None and (row := self._row(index)) is not None:
            self.scroll_to_region(Region(0, row, 1, 1), animate=False, immediate=True)

    def row_text(self, index: int) -> str:
        """The row as it reads on screen (without colours)."""
        return "".join(seg.text for seg in self._render_row(index, self.scrollable_content_region.width or LIST_WIDTH - 1))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self._article_at(offset.y + int(self.scroll_offset.y))
        if index is not None:
            self.post_message(self.Selected(index))

    def _row_style(self, name: str, base: Style) -> Style:
        if name == "article-list--highlight":
            # Un-partial, so a translucent background is blended with ours as CSS would.
            full = self.get_component_rich_style(name)
            return base + Style(bgcolor=full.bgcolor, bold=full.bold)
        part = self.get_component_rich_style(name, partial=True)
        return base + Style(color=part.color, bold=part.bold)

    def render_line(self, y: int) -> Strip:
        index = self._article_at(y + int(self.scroll_offset.y))
        width = self.scrollable_content_region.width
        if index is None or width <= 0:
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
            mark = (Segment(f"{DONE_MARK} ", self._row_style("article-list--done", base)) if done
                    else Segment(f"{QUEUE_MARK} ", self._row_style("article-list--count", base)) if index < self._queue
                    else Segment("  ", base))
            count_style = "article-list--done" if done else "article-list--count"
        title_cells = max(width - 2 - len(count) - 1, 4)
        segments = [
            mark,
            Segment(fit(" ".join(sanitize_line(title).split()), title_cells) + " ", base),
            Segment(count, self._row_style(count_style, base)),
        ]
        return Strip(segments).crop_extend(0, width, base)
