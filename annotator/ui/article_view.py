"""The article view: one Line-API widget (``ScrollView`` + ``render_line``).

Only the visible display lines are ever rendered.  The article is wrapped once per width
into an index of ``(sentence, start, end)`` lines (``annotator.layout``); rendered
``Strip``s are kept in an LRU cache keyed by everything that changes their look, so a
label or cursor move re-renders just the lines of the sentences involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from typing import Self

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from annotator.layout import Layout, wrap_article
from annotator.model import LabelScheme, Span
from annotator.sanitize import _UNSAFE, sanitize

LABEL_STYLES = 6  # label colours cycle through this many component classes
# Rendered lines kept: several screens.  Each Strip drags a few more (Textual caches its
# crops and filters in it), all tracked by the garbage collector, whose full passes grow
# with them: a bigger cache made the occasional key slower, not the usual one faster.
STRIPS_KEPT = 256
LAYOUTS_KEPT = 3  # wrapped layouts kept per article, by width (a resize and back re-wraps nothing)


def display_text(text: str) -> str:
    """``sanitize(text)``, made by replacing only the unsafe characters (an article holds few:
    its line breaks, mostly) instead of looking up every character as ``str.translate`` does;
    a tenth of the time on a 10,000-sentence article (13 ms instead of 130 ms)."""
    return _UNSAFE.sub(lambda m: sanitize(m.group()), text)


class QuietScrollBar(ScrollBar):
    """A vertical scrollbar that repaints only when its thumb moves on screen.

    Textual's ScrollBar repaints (a Rich render of every cell, ~2 ms) on any change of its
    ``position``, but scrolling a 30,000-line article by one sentence moves the thumb by
    less than its smallest step (1/8 of a cell) nearly every time.  The thumb is placed
    with ``ScrollBarRender.render_bar``'s own arithmetic.
    """

    position: Reactive[float] = Reactive(0.0, repaint=False)
    _shown: tuple[int, int] | None = None

    def _thumb(self) -> tuple[int, int] | None:
        size = self.size.height
        virtual_size = ceil(self.window_virtual_size)
        window_size = ceil(self.window_size if self.window_size < self.window_virtual_size else 0)
        if not (window_size and size and virtual_size and size != virtual_size):
            return None
        thumb_size = max(1, window_size / (virtual_size / size))
        start = int((size - thumb_size) * (self.position / (virtual_size - window_size)) * 8)
        return start, start + ceil(thumb_size * 8)

    def watch_position(self) -> None:
        if self._thumb() != self._shown:
            self.refresh()

    def render(self) -> RenderableType:
        self._shown = self._thumb()
        return super().render()


class ArticleView(ScrollView, can_focus=True, inherit_bindings=False):
    """Navigation keys belong to the screen, so they move the sentence cursor, not the scroll."""

    COMPONENT_CLASSES = {
        "article-view--cursor",
        "article-view--cursor-bar",
        "article-view--gutter",
        "article-view--pending",
        *(f"article-view--label-{i}" for i in range(1, LABEL_STYLES + 1)),
        *(f"article-view--marker-{i}" for i in range(1, LABEL_STYLES + 1)),
    }

    DEFAULT_CSS = """
    ArticleView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
        padding: 0 1;
        & > .article-view--cursor { background: $foreground 18%; text-style: bold; }
        & > .article-view--cursor-bar { color: $foreground; text-style: bold; }
        & > .article-view--gutter { color: $foreground-muted; }
        & > .article-view--pending { color: $error; text-style: italic; }
        & > .article-view--label-1 { color: $warning; }
        & > .article-view--label-2 { color: $success; }
        & > .article-view--label-3 { color: $primary; }
        & > .article-view--label-4 { color: $text-error; }
        & > .article-view--label-5 { color: $text-secondary; }
        & > .article-view--label-6 { color: $text-accent; }
        & > .article-view--marker-1 { color: $warning; text-style: bold; }
        & > .article-view--marker-2 { color: $success; text-style: bold; }
        & > .article-view--marker-3 { color: $primary; text-style: bold; }
        & > .article-view--marker-4 { color: $text-error; text-style: bold; }
        & > .article-view--marker-5 { color: $text-secondary; text-style: bold; }
        & > .article-view--marker-6 { color: $text-accent; text-style: bold; }
        /* The $text-* colours are the theme's hues made readable as text on its background
           (the plain ones can be too pale on light themes, too dark for $secondary on dark
           ones).  Labels 1-3 keep the plain hues on dark themes, where they read well. */
        &:light > .article-view--label-1, &:light > .article-view--marker-1 { color: $text-warning; }
        &:light > .article-view--label-2, &:light > .article-view--marker-2 { color: $text-success; }
        &:light > .article-view--label-3, &:light > .article-view--marker-3 { color: $text-primary; }
        &:light > .article-view--pending { color: $text-error; }
    }
    """

    class SentenceClicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, scheme: LabelScheme, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scheme = scheme
        self._label_class = {name: (i % LABEL_STYLES) + 1 for i, name in enumerate(scheme.names)}
        self._marker_width = min(max((len(n) for n in scheme.names), default=4), 12)
        self._gutter_width = 1 + self._marker_width + 2  # cursor bar, label marker, two spaces
        self._text = ""
        self._display = ""
        self._sentences: Sequence[Span] = ()
        self._labels: list[str | None] = []
        self._pending: set[int] = set()  # sentences whose decision the disk has not taken yet
        self._cursor = 0
        self._layout = Layout(0, [], [], [])
        self._layouts: dict[int, Layout] = {}  # this article's recent layouts by width
        self._cache: LRUCache[tuple[int, bool, str | None, bool], Strip] = LRUCache(STRIPS_KEPT)
        # (base style, line width, scroll line) for render_line: the base style walks every
        # ancestor (~30 us), too much to repeat for each line of a frame.  Dropped on every
        # refresh (a scroll, a resize) and style update, as Textual drops its own style cache.
        self._frame: tuple[Style, int, int] | None = None
        self._scrollbars_for = Size(-1, -1)  # the virtual size the scrollbars were last set for

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Widget.vertical_scrollbar, with a QuietScrollBar."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = bar = QuietScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    # -- content --------------------------------------------------------------------
    def show_article(self, text: str, sentences: Sequence[Span], labels: list[str | None], cursor: int,
                     pending: set[int] | None = None) -> None:
        self._pending = set(pending or ())
        self._text = text
        self._display = display_text(text)  # same length as text: offsets index both
        self._sentences = sentences
        self._labels = list(labels)
        self._cursor = cursor
        self._layout = Layout(0, [], [], [])
        self._layouts.clear()
        self._cache.clear()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._rewrap()
        self.refresh()
        self.scroll_to_sentence(cursor, center=True)

    @property
    def wrap_width(self) -> int:
        return max(self.scrollable_content_region.width - self._gutter_width, 10)

    def _rewrap(self) -> None:
        width = self.wrap_width
        if width == self._layout.width or not self.size.width:
            return
        layout = self._layouts.pop(width, None)
        if layout is None:
            layout = wrap_article(self._text, self._sentences, width, self._display)
        self._layouts[width] = self._layout = layout  # most recent last
        while len(self._layouts) > LAYOUTS_KEPT:
            del self._layouts[next(iter(self._layouts))]
        self._cache.clear()
        self.virtual_size = Size(width + self._gutter_width, len(self._layout.lines))

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual's compositor hands a ScrollView its viewport as ``virtual_size``, which never
        # equals ours (the article's display lines), so ScrollView took every screen layout (a
        # status-line update on each key) for a new virtual size and refreshed the scrollbar: a
        # second frame per key.  Report a change only when our virtual size really changed.
        self._frame = None  # a new size may mean a new line width
        changed = self.virtual_size != self._scrollbars_for
        self._scrollbars_for = self.virtual_size
        return super()._size_updated(size, virtual_size if changed else self.virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap_width != self._layout.width:
            self._rewrap()
            self.scroll_to_sentence(self._cursor)
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._frame = None
        self._cache.clear()  # theme change: every colour may differ

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        self._frame = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    # -- state changes (refresh only the sentences involved) ---------------------------
    def set_label(self, index: int, label: str | None, *, pending: bool = False) -> None:
        if 0 <= index < len(self._labels):
            self._labels[index] = label
            if pending:
                self._pending.add(index)
            else:
                self._pending.discard(index)
            self._refresh_sentence(index)

    def set_cursor(self, index: int, *, center: bool = False) -> None:
        if not self._sentences:
            return
        index = max(0, min(index, len(self._sentences) - 1))
        old, self._cursor = self._cursor, index
        self._refresh_sentence(old)
        self._refresh_sentence(index)
        self.scroll_to_sentence(index, center=center)

    @property
    def cursor(self) -> int:
        return self._cursor

    def _refresh_sentence(self, index: int) -> None:
        if 0 <= index < len(self._layout.first_line):
            # refresh_lines takes virtual lines: it subtracts the scroll offset itself.
            self.refresh_lines(self._layout.first_line[index], self._layout.line_count[index])

    def scroll_to_sentence(self, index: int, *, center: bool = False) -> None:
        if not (0 <= index < len(self._layout.first_line)):
            return
        first = self._layout.first_line[index]
        height = self._layout.line_count[index]
        top = int(self.scroll_offset.y)
        if not center and top <= first and first + height <= top + self.scrollable_content_region.height:
            return  # already in view: no scroll, so only the changed lines repaint
        # Out of view: bring it to the middle, not the edge, so the reader sees what comes
        # next and the following moves need no scroll (a scroll repaints the whole view).
        self.scroll_to_region(
            Region(0, first, 1, height), animate=False, center=True, immediate=True, force=True
        )

    def sentence_page(self, direction: int) -> int:
        """The sentence one screen up (-1) or down (+1) from the cursor."""
        if not self._layout.first_line:
            return 0
        y = self._layout.first_line[self._cursor] + direction * max(self.scrollable_content_region.height - 1, 1)
        return self._layout.sentence_at(y)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._layout.lines:
            return
        y = offset.y + int(self.scroll_offset.y)
        if 0 <= y < len(self._layout.lines) and self._layout.lines[y][0] >= 0:
            self.post_message(self.SentenceClicked(self._layout.lines[y][0]))

    # -- rendering ------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        if self._frame is None:
            self._frame = (self.rich_style, self.scrollable_content_region.width, int(self.scroll_offset.y))
        base, width, top = self._frame
        line_no = top + y
        if line_no >= len(self._layout.lines) or width <= 0:
            return Strip.blank(width, base)
        sid = self._layout.lines[line_no][0]
        if sid < 0:
            return Strip.blank(width, base).apply_offsets(0, line_no)
        label = self._labels[sid] if sid < len(self._labels) else None
        key = (line_no, sid == self._cursor, label, sid in self._pending)
        strip = self._cache.get(key)
        if strip is None or strip.cell_length != width:
            # Cached with its offsets applied (the key holds line_no): one Strip per entry, not two.
            strip = self._render_display_line(line_no, sid, label, width, base, sid in self._pending)
            strip = strip.apply_offsets(0, line_no)
            self._cache[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _cursor_style(self) -> Style:
        # Taken un-partial so a translucent background is blended with ours, as CSS would.
        full = self.get_component_rich_style("article-view--cursor")
        return Style(bgcolor=full.bgcolor, bold=full.bold)

    def _render_display_line(self, line_no: int, sid: int, label: str | None, width: int, base: Style,
                             pending: bool = False) -> Strip:
        _, start, end = self._layout.lines[line_no]
        is_cursor = sid == self._cursor
        is_first = self._layout.first_line[sid] == line_no
        m = self._marker_width
        text_style = base
        if label is not None:
            text_style += self._style(f"article-view--label-{self._label_class.get(label, 1)}")
        if is_cursor:
            text_style += self._cursor_style()
        bar = Segment("▌" if is_cursor else " ", base + self._style("article-view--cursor-bar") if is_cursor else base)
        if is_first and pending:
            # Not on disk yet: say so in words, not only by style.
            shown = (sanitize(label) if label is not None else "clear")[: m - 1]
            bar = Segment("!", base + self._style("article-view--pending"))
            marker = Segment((shown + "?").ljust(m), base + self._style("article-view--pending"))
        elif is_first and label is not None:
            # The label's name in the gutter: a text marker, so the label never rests on colour alone.
            name = sanitize(label)[:m].ljust(m)
            marker = Segment(name, base + self._style(f"article-view--marker-{self._label_class.get(label, 1)}"))
        else:
            marker = Segment(" " * m, base + self._style("article-view--gutter"))
        body = self._display[start:end].rstrip()
        segments = [bar, marker, Segment("  ", base), Segment(body, text_style)]
        return Strip(segments).crop_extend(0, width, text_style if is_cursor else base)
