"""The article view: one Line-API widget (``ScrollView`` + ``render_line``).

Only the visible display lines (and, between keys, the next half screen) are ever
rendered.  The article is wrapped once per width into an index of ``(sentence, start,
end)`` lines (``annotator.layout``).  Each display line's finished ``Strip`` (what Textual
makes of ``render_line``'s: padding, line filters) is kept in an LRU cache keyed by the
line and everything that changes its look, so a label or cursor move re-renders just the
lines of the sentences involved, and a scroll none at all: the lines it brings into view
were rendered after the previous frame (``_prefetch``).  Handing Textual the same
``Strip`` objects again also lets it reuse what it cached in them: the compositor's cuts
and the terminal escape codes.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from math import ceil
from typing import NamedTuple, Self

from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment, Segments
from rich.style import Style
from textual import events
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget

from annotator.layout import Layout, wrap_article
from annotator.model import SKIP, LabelScheme, Span
from annotator.sanitize import sanitize

LABEL_STYLES = 6  # label colours cycle through this many component classes
# Rendered lines kept: several screens.  Each Strip drags a few more (Textual caches its
# cuts, crops and filters in it), all tracked by the garbage collector, whose full passes
# grow with them: a bigger cache made the occasional key slower, not the usual one faster.
# (An OrderedDict, not textual.cache.LRUCache: that one links its entries in a ring, so
# clearing it, as a resize or a theme change does, left every kept Strip to wait for a full
# pass of the collector, ~20 ms in the middle of a later key.)
STRIPS_KEPT = 256
# display line, cursor on it, label, pending, the split caret's offset on it (-1: none), note/flag marks
LineKey = tuple[int, bool, str | None, bool, int, int, tuple[tuple[int, int], ...]]
# A sentence's marks in the margin (its first line), as bits: the reviewer's flag and note.
FLAGGED, NOTED = 1, 2
FLAG_MARK, NOTE_MARK = "⚑", "✎"  # one cell each, in Rich and in terminals (East Asian width: neutral)
# Lines rendered ahead, after a frame, beyond the half screen a recentring scroll brings in.
PREFETCH_EXTRA = 8
GUTTER_EXTRA = 5  # the margin besides the label: cursor bar, a space, flag and note marks, a space
NARROW_TEXT = 30  # text narrower than this with whole label names: the margin shows their first letters
COMPACT_MARKER = 3
LAYOUTS_KEPT = 3  # wrapped layouts kept per article, by width (a resize and back re-wraps nothing)


class QuietScrollBar(ScrollBar):
    """A vertical scrollbar that repaints only when its thumb moves on screen, and cheaply.

    Textual's ScrollBar repaints on any change of its ``position``, but scrolling a
    30,000-line article by one sentence moves the thumb by less than its smallest step
    (1/8 of a cell) nearly every time.  The thumb is placed with
    ``ScrollBarRender.render_bar``'s own arithmetic.

    And a repaint goes through Rich (the renderable, then every cell's Strip through the
    styles cache: 1-3 ms for a column of 40 cells), though a bar has only a few kinds of
    cell: track above, thumb, track below, and the thumb's two ends in eighths.  So each
    kind's finished Strip, as Textual rendered it, is kept and reused for every cell that
    shows that same segment; only a bar with a kind not seen yet is rendered by Textual.
    """

    position: Reactive[float] = Reactive(0.0, repaint=False)
    _shown: tuple[int, int] | None = None
    _cells: dict[Segment, Strip] | None = None  # finished Strip by the segment render_bar gives
    _cells_for: tuple[object, ...] = ()  # what those Strips were rendered under
    _last: tuple[tuple[object, ...], list[Strip]] | None = None  # the bar's state and rows as last drawn

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

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cells = None
        self._last = None

    def _bar_cells(self, renderable: ScrollBarRender) -> list[Segment] | None:
        """The segment of each cell (one a row), as Textual's render would lay them out."""
        if not self.vertical:
            return None
        width, height = self.size
        options = self.app.console_options.update(highlight=False, width=width, height=height)
        out = list(renderable.__rich_console__(self.app.console, options))
        if len(out) != 1 or not isinstance(out[0], Segments) or not out[0].new_lines:
            return None
        cells = list(out[0].segments)
        if len(cells) != height or any(seg.control or cell_len(seg.text) != width for seg in cells):
            return None
        return cells

    def render_lines(self, crop: Region) -> list[Strip]:
        renderable = self.render()
        if not isinstance(renderable, ScrollBarRender):
            return super().render_lines(crop)
        r = renderable
        state = (type(r), r.virtual_size, r.window_size, r.position, r.thickness, r.vertical, r.style, self.size)
        if self._last is not None and self._last[0] == state:
            drawn = self._last[1]  # the bar as last drawn: nothing on it moved
        else:
            made = self._bar_rows(r)
            if made is None:
                return super().render_lines(crop)
            self._last = (state, drawn := made)
        rows = drawn[crop.y : crop.bottom]
        if crop.column_span != (0, self.size.width):
            rows = [strip.crop(crop.x, crop.right) for strip in rows]
        return rows

    def _bar_rows(self, renderable: ScrollBarRender) -> list[Strip] | None:
        """Every row of the bar, from the kept Strips of its kinds of cell (None: let Textual render it)."""
        cells = self._bar_cells(renderable) if _rows_alike(self) and not self.styles.gutter else None
        if cells is None or self.region.size != self.size:
            return None
        # (A change of terminal theme replaces the app's line filters, so it shows here too.)
        context = (self.size, self.visual_style, self.background_colors, tuple(self.get_line_filters()))
        if self._cells is None or context != self._cells_for:
            self._cells, self._cells_for = {}, context
        known = self._cells
        if not all(seg in known for seg in cells):
            strips = super().render_lines(self.size.region)
            if len(strips) != len(cells):
                return None
            known.update(zip(cells, strips))
        return [known[seg] for seg in cells]


class _Box(NamedTuple):
    """What Textual's styles cache does to a row of a plain widget's content (see ArticleView._box)."""

    width: int  # the widget's
    content_width: int  # the row is cut or extended to this...
    pad_left: int  # ...then padded with this many cells left and right...
    pad_right: int
    inner: Style  # ...in the widget's background...
    filters: tuple[LineFilter, ...]  # ...and run through the app's line filters
    background: Color


def _rows_alike(widget: Widget) -> bool:
    """True when Textual draws every row of ``widget`` the same way around its content: no
    border, outline or padding above or below (which would make a row's look depend on
    where it is, not only on what it shows)."""
    styles = widget.styles
    (outline_top, _), _, (outline_bottom, _), _ = styles.outline
    gutter = styles.gutter
    return not (gutter.top or gutter.bottom or outline_top or outline_bottom)


class ArticleView(ScrollView, can_focus=True, inherit_bindings=False):
    """Navigation keys belong to the screen, so they move the sentence cursor, not the scroll."""

    COMPONENT_CLASSES = {
        "article-view--cursor",
        "article-view--cursor-bar",
        "article-view--gutter",
        "article-view--pending",
        "article-view--ghost",
        "article-view--found",
        "article-view--skip",
        "article-view--caret",
        "article-view--mark",
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
        & > .article-view--skip { color: $foreground-muted; text-style: italic; }
        & > .article-view--ghost { color: $foreground-muted; text-style: italic; }
        & > .article-view--found { background: $warning 45%; text-style: bold; }
        & > .article-view--caret { text-style: reverse bold; }
        & > .article-view--mark { color: $text-warning; text-style: bold; }
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
        # Stored label ids -> component class, by place; a label given its own colour in the
        # scheme takes it instead of the theme's.
        self._label_class = {d.id: (i % LABEL_STYLES) + 1 for i, d in enumerate(scheme.live)}
        self._own_colour = {d.id: Style(color=d.color) for d in scheme.live if d.color}
        self._full_marker = min(max((len(n) for n in (*scheme.names, SKIP)), default=4), 12)
        self._marker_width = self._full_marker  # COMPACT_MARKER on a narrow view (see _gutter_for)
        # cursor bar, label marker, a space, the flag and note marks, a space
        self._gutter_width = 1 + self._marker_width + 1 + 2 + 1
        self._text = ""
        self._sentences: Sequence[Span] = ()
        self._labels: list[str | None] = []
        self._pending: set[int] = set()  # sentences whose decision the disk has not taken yet
        self._ghosts: dict[int, str] = {}  # sentence -> the label suggested there (shown where none is)
        self._found: list[tuple[int, int]] = []  # the search's matches, [start, end) in the text, in order
        self._found_starts: list[int] = []
        self._marks: dict[int, int] = {}  # sentence -> its FLAGGED / NOTED bits (none: not there)
        self._cursor = 0
        self._caret: tuple[int, int] | None = None  # split mode: (sentence, offset in the text) of the caret
        self._layout = Layout(0, [], [], [])
        self._layouts: dict[int, Layout] = {}  # this article's recent layouts by width
        # Finished Strips (render_line's, as Textual's styles cache would finish them) by display
        # line and look; valid for one way of finishing them (_cache_box) and look of the theme.
        self._cache: OrderedDict[LineKey, Strip] = OrderedDict()  # least recently used first
        self._cache_box: _Box | None = None  # how the kept Strips were finished
        self._box_for = (0, 0)  # for which widget and content width
        self._prefetch_due = False
        self._heading = 1  # which way the cursor last moved: the side to render ahead
        # (line width, scroll line) for render_line, dropped on every refresh (a scroll, a resize).
        self._frame: tuple[int, int] | None = None
        # The base style and the component styles by name.  Each walks the widget's ancestors
        # (30-60 us), and Textual drops its own copies on every refresh, so a label (which
        # refreshes some lines) looked them all up again.  These are kept until a style update
        # or a repaint of the whole widget, as the kept Strips are.
        self._looks: dict[str, Style] = {}
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
                     pending: set[int] | None = None, marks: dict[int, int] | None = None) -> None:
        self._caret = None
        self._pending = set(pending or ())
        self._ghosts = {}
        self._marks = dict(marks or {})
        self._found, self._found_starts = [], []
        self._text = text
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
        self._prefetch_soon()

    def _marker_for(self, content_width: int) -> int:
        """The margin's label width for a view ``content_width`` cells wide: the whole names,
        unless that leaves the text fewer than NARROW_TEXT cells, then their first letters."""
        if content_width - (GUTTER_EXTRA + self._full_marker) < NARROW_TEXT:
            return min(self._full_marker, COMPACT_MARKER)
        return self._full_marker

    @property
    def wrap_width(self) -> int:
        """The cells the text has on screen: every one of them, never more (no word is cut)."""
        content = self.scrollable_content_region.width
        return max(content - GUTTER_EXTRA - self._marker_for(content), 1)

    def _rewrap(self) -> None:
        width = self.wrap_width
        if width == self._layout.width or not self.size.width:
            return
        self._marker_width = self._marker_for(self.scrollable_content_region.width)
        self._gutter_width = GUTTER_EXTRA + self._marker_width
        layout = self._layouts.pop(width, None)
        if layout is None:
            # Widths as shown: sanitize() of each sentence that is not plain printable ASCII
            # (same length, so offsets index both), not of the whole text up front.
            layout = wrap_article(self._text, self._sentences, width, shown_as=sanitize)
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
            self._prefetch_soon()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_looks()  # theme change: every colour may differ

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        self._frame = None
        if repaint and not regions:
            # A repaint of the whole widget (a new article, a re-wrap, a change of the theme's
            # component styles): what the kept Strips show may be out of date.
            self._forget_looks()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _forget_looks(self) -> None:
        self._looks.clear()
        self._cache.clear()
        self._cache_box = None

    def resegment(self, sentences: Sequence[Span], labels: list[str | None], cursor: int, changed: int,
                  pending: set[int] | None = None, marks: dict[int, int] | None = None) -> None:
        """The same article with its sentences changed from sentence ``changed`` on (a split or a
        join): re-wrapped at this width, the view where it was; the kept lines above the change
        stay, so only the lines from the change down are drawn again."""
        first = self._layout.first_line[changed] if changed < len(self._layout.first_line) else len(self._layout.lines)
        self._caret = None
        self._sentences, self._labels, self._cursor = sentences, list(labels), cursor
        self._pending = set(pending or ())
        self._ghosts = {}  # (suggestions are for sentences as they were)
        self._marks = dict(marks or {})
        self._layouts.clear()
        width = self.wrap_width
        self._layout = self._layouts[width] = wrap_article(self._text, sentences, width, shown_as=sanitize)
        for key in [k for k in self._cache if k[0] >= first or k[0] < 0]:
            del self._cache[key]
        self.virtual_size = Size(width + self._gutter_width, len(self._layout.lines))
        self.refresh_lines(first, max(len(self._layout.lines) - first, 1))
        self.scroll_to_sentence(cursor)
        self._prefetch_soon()

    def set_caret(self, index: int, offset: int | None) -> None:
        """Split mode: show the caret in sentence ``index`` at ``offset`` (None: no caret)."""
        old, self._caret = self._caret, (index, offset) if offset is not None else None
        for was in {old[0] if old is not None else -1, index}:
            self._refresh_sentence(was)

    @property
    def caret(self) -> int | None:
        return self._caret[1] if self._caret is not None else None

    # -- state changes (refresh only the sentences involved) ---------------------------
    def set_label(self, index: int, label: str | None, *, pending: bool = False) -> None:
        if 0 <= index < len(self._labels):
            self._labels[index] = label
            if pending:
                self._pending.add(index)
            else:
                self._pending.discard(index)
            self._refresh_sentence(index)

    def set_found(self, matches: list[tuple[int, int]]) -> None:
        """Mark the search's matches in the text ([] when the search closes): one repaint."""
        if matches == self._found:
            return
        self._found = sorted(matches)
        self._found_starts = [a for a, _ in self._found]
        self.refresh()

    def _found_in(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """The matches on the text ``[start, end)``, relative to ``start`` and cut to it."""
        if not self._found:
            return ()
        k = max(bisect.bisect_right(self._found_starts, start) - 1, 0)
        out = []
        for a, b in self._found[k:]:
            if a >= end:
                break
            if b > start:
                out.append((max(a, start) - start, min(b, end) - start))
        return tuple(out)

    def set_ghosts(self, ghosts: dict[int, str | None]) -> None:
        """Suggested labels (None: no longer), shown dimmed and marked ``~`` where no label is."""
        for index, label in ghosts.items():
            if label is None:
                if self._ghosts.pop(index, None) is None:
                    continue
            elif self._ghosts.get(index) == label:
                continue
            else:
                self._ghosts[index] = label
            self._refresh_sentence(index)

    def last_seen_sentence(self) -> int:
        """The last sentence wholly on screen (at least the cursor's)."""
        if not self._layout.first_line:
            return 0
        bottom = int(self.scroll_offset.y) + max(self.scrollable_content_region.height, 1) - 1
        last = self._layout.sentence_at(min(bottom, len(self._layout.lines) - 1))
        while last > self._cursor and self._layout.first_line[last] + self._layout.line_count[last] - 1 > bottom:
            last -= 1
        return max(last, self._cursor)
    def set_marks(self, index: int, marks: int) -> None:
        """The sentence's flag and note marks changed (``FLAGGED | NOTED`` bits): only its first
        display line is drawn again."""
        if 0 <= index < len(self._layout.first_line) and self._marks.get(index, 0) != marks:
            if marks:
                self._marks[index] = marks
            else:
                self._marks.pop(index, None)
            self.refresh_lines(self._layout.first_line[index], 1)

    def marks(self, index: int) -> int:
        return self._marks.get(index, 0)

    def set_cursor(self, index: int, *, center: bool = False) -> None:
        if not self._sentences:
            return
        index = max(0, min(index, len(self._sentences) - 1))
        old, self._cursor = self._cursor, index
        if index != old:
            self._heading = 1 if index > old else -1
        self._refresh_sentence(old)
        self._refresh_sentence(index)
        self.scroll_to_sentence(index, center=center)
        self._prefetch_soon()  # (a turn of the cursor changes the side to render ahead)

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
    def _line_key(self, line_no: int) -> LineKey:
        """What a display line's look depends on (with the width and the theme's styles)."""
        lines = self._layout.lines
        if line_no >= len(lines):
            return (-1, False, None, False, -1, 0, ())  # below the article: every such row is alike
        sid, start, end = lines[line_no]
        if sid < 0:
            return (line_no, False, None, False, -1, 0, ())  # a blank line between paragraphs
        label = self._labels[sid] if sid < len(self._labels) else None
        if label is None and (ghost := self._ghosts.get(sid)) is not None:
            label = "\0" + ghost  # (never a label id)
        caret = self._caret[1] if self._caret is not None and self._caret[0] == sid else -1
        marks = self._marks.get(sid, 0) if self._layout.first_line[sid] == line_no else 0
        return (line_no, sid == self._cursor, label, sid in self._pending, caret if start <= caret < end else -1, marks,
                self._found_in(start, end))

    def _box(self) -> _Box | None:
        """How Textual's styles cache finishes each row of this widget's content, when that is
        all it does: pad it left and right, then run the app's line filters.  None when the
        widget's styles ask for more (a border, an outline, padding above or below, tint,
        opacity, hatching): then Textual renders every row itself."""
        size = (self.region.width, self.content_region.width)
        if self._cache_box is not None and size == self._box_for:
            return self._cache_box  # (dropped with the kept Strips on a style update or a full repaint)
        styles = self.styles
        if (
            not self.region.width
            or not _rows_alike(self)
            or any(edge for edge, _ in styles.border)
            or any(edge for edge, _ in styles.outline)
            or styles.text_opacity != 1
            or styles.tint.a
            or (styles.has_rule("hatch") and styles.hatch != "none")
            or self.opacity != 1
        ):
            return None
        base_background, background = self.background_colors
        padding = styles.padding
        box = _Box(
            self.region.width, self.content_region.width, padding.left, padding.right,
            VisualStyle(background=base_background + background).rich_style,
            tuple(self.get_line_filters()), background,
        )
        if box != self._cache_box:
            self._cache.clear()
            self._cache_box = box
        self._box_for = size
        return box

    def render_lines(self, crop: Region) -> list[Strip]:
        """Widget.render_lines, with each display line's finished Strip kept by its key.

        Textual's styles cache keeps finished rows by screen row, so a scroll (which moves
        every line to another row) had it rebuild every row: render_line, then padding and
        line filters into new Strips, whose cuts and escape codes the compositor then worked
        out afresh.  Here a row is finished as Textual would (``_box``), once per look of its
        line; every other row is the very Strip of a former frame.
        """
        box = self._box()
        if box is None:
            return super().render_lines(crop)
        top = int(self.scroll_offset.y)
        text_width = self.scrollable_content_region.width
        strips = [self._finished(top + y, box, text_width) for y in crop.line_range]
        if crop.column_span != (0, box.width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def _finished(self, line_no: int, box: _Box, text_width: int, *, ahead: bool = False) -> Strip:
        """A display line as it goes on screen: kept, or rendered and finished (and, ``ahead``
        of being shown, turned into escape codes once, which leaves each of its styles with
        its codes, so the frame that shows it does not work them out)."""
        key = self._line_key(line_no)
        cache = self._cache
        strip = cache.get(key)
        if strip is not None:
            cache.move_to_end(key)
        else:
            line = self._content_line(line_no, text_width).adjust_cell_length(box.content_width, box.inner)
            if box.pad_left or box.pad_right:
                segments = [
                    *([Segment(" " * box.pad_left, box.inner)] if box.pad_left else []),
                    *line,
                    *([Segment(" " * box.pad_right, box.inner)] if box.pad_right else []),
                ]
                line = Strip(segments, box.width)
            elif line.cell_length != box.width:
                line = Strip(list(line), box.width)
            for line_filter in box.filters:
                line = line.apply_filter(line_filter, box.background)
            strip = cache[key] = line
            if len(cache) > STRIPS_KEPT:
                cache.popitem(last=False)
            if ahead:
                strip.render(self.app.console)
        return strip

    def render_line(self, y: int) -> Strip:
        if self._frame is None:
            self._frame = (self.scrollable_content_region.width, int(self.scroll_offset.y))
        width, top = self._frame
        return self._content_line(top + y, width)

    def _content_line(self, line_no: int, width: int) -> Strip:
        """What ``render_line`` gives for a display line (with its offsets, for Textual's text selection)."""
        base = self._style("")
        if line_no >= len(self._layout.lines) or width <= 0:
            return Strip.blank(width, base)
        sid = self._layout.lines[line_no][0]
        if sid < 0:
            return Strip.blank(width, base).apply_offsets(0, line_no)
        label = self._labels[sid] if sid < len(self._labels) else None
        ghost = self._ghosts.get(sid) if label is None else None
        strip = self._render_display_line(line_no, sid, label, width, base, sid in self._pending, ghost)
        return strip.apply_offsets(0, line_no)

    # -- rendering ahead ---------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._prefetch_soon()

    def _prefetch_soon(self) -> None:
        if not self._prefetch_due and self.is_mounted:
            self._prefetch_due = True
            self.call_after_refresh(self._prefetch)

    def _prefetch(self) -> None:
        """Finish, after the frame, the lines a scroll by the cursor would bring into view.

        A cursor leaving the view recentres it, which brings half a screen of new lines into
        view at once: rendering them made that key's frame the slowest.  They are rendered
        here instead, once the frame is out and the app is idle (until the next key): about
        half a screen past the edge the cursor is heading for, each kept as it looks now.
        (Only that side: every kept Strip is a dozen objects for the garbage collector to
        walk, and its full passes, which grow with them, were the slowest keys.)
        """
        self._prefetch_due = False
        box = self._box()
        lines = len(self._layout.lines)
        if box is None or not lines:
            return
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        reach = height // 2 + PREFETCH_EXTRA
        text_width = self.scrollable_content_region.width
        if self._heading > 0:
            ahead = range(top + height, min(top + height + reach, lines))
        else:
            ahead = range(max(top - reach, 0), top)
        for line_no in ahead:
            self._finished(line_no, box, text_width, ahead=True)


    def _label_style(self, label: str, *, marker: bool = False) -> Style:
        if label == SKIP:
            return self._style("article-view--skip")
        own = self._own_colour.get(label)
        if own is not None:
            return own + Style(bold=True) if marker else own
        return self._style(f"article-view--{'marker' if marker else 'label'}-{self._label_class.get(label, 1)}")

    def _body(self, body: str, start: int, style: Style, base: Style) -> list[Segment]:
        """The line's text; in split mode, with the caret where the split goes: the space before
        the word shown as "│" and the word's first character reversed (seen without colour)."""
        # (Sentences never overlap, so an offset inside this line's text is this sentence's caret.)
        caret = self._caret[1] - start if self._caret is not None else -1
        if not 0 <= caret < len(body):
            found = self._found_in(start, start + len(body))
            if not found:
                return [Segment(body, style)]
            mark, out, at = style + self._style("article-view--found"), [], 0
            for a, b in found:  # the search's matches, marked (one code point is one cell here: sanitized)
                out += [Segment(body[at:a], style), Segment(body[a:b], mark)]
                at = b
            return [*out, Segment(body[at:], style)]
        mark = base + self._style("article-view--caret")
        before, after = body[:caret], body[caret:]
        out = [Segment(before[:-1], style), Segment("│", mark)] if before.endswith(" ") else [Segment(before, style)]
        return [*out, Segment(after[:1], style + mark), Segment(after[1:], style)]

    def _style(self, name: str) -> Style:
        """The widget's own style (``""``), or a component's (partial: just what it sets)."""
        style = self._looks.get(name)
        if style is None:
            style = self.rich_style if not name else self.get_component_rich_style(name, partial=True)
            self._looks[name] = style
        return style

    def _cursor_style(self) -> Style:
        style = self._looks.get("cursor")
        if style is None:
            # Taken un-partial so a translucent background is blended with ours, as CSS would.
            full = self.get_component_rich_style("article-view--cursor")
            style = self._looks["cursor"] = Style(bgcolor=full.bgcolor, bold=full.bold)
        return style

    def _render_display_line(self, line_no: int, sid: int, label: str | None, width: int, base: Style,
                             pending: bool = False, ghost: str | None = None) -> Strip:
        _, start, end = self._layout.lines[line_no]
        is_cursor = sid == self._cursor
        is_first = self._layout.first_line[sid] == line_no
        m = self._marker_width
        text_style = base
        if label is not None:
            text_style += self._label_style(label)
        if is_cursor:
            text_style += self._cursor_style()
        bar = Segment("▌" if is_cursor else " ", base + self._style("article-view--cursor-bar") if is_cursor else base)
        if is_first and pending:
            # Not on disk yet: say so in words, not only by style.
            shown = (sanitize(self.scheme.name_of(label)) if label is not None else "clear")[: m - 1]
            bar = Segment("!", base + self._style("article-view--pending"))
            marker = Segment((shown + "?").ljust(m), base + self._style("article-view--pending"))
        elif is_first and label is not None:
            # The label's name in the gutter: a text marker, so the label never rests on colour alone.
            name = sanitize(self.scheme.name_of(label))[:m].ljust(m)
            marker = Segment(name, base + self._label_style(label, marker=True))
        elif is_first and ghost is not None and not pending:
            # A suggestion, not a decision: dimmed, and marked "~" so it reads as one without colour.
            name = ("~" + sanitize(self.scheme.name_of(ghost)))[:m].ljust(m)
            marker = Segment(name, base + self._style("article-view--ghost"))
        else:
            marker = Segment(" " * m, base + self._style("article-view--gutter"))
        marks = self._marks.get(sid, 0) if is_first else 0
        if marks:
            shown_marks = (FLAG_MARK if marks & FLAGGED else " ") + (NOTE_MARK if marks & NOTED else " ")
            mark = Segment(shown_marks, base + self._style("article-view--mark"))
        else:
            mark = Segment("  ", base)
        body = sanitize(self._text[start:end]).rstrip()
        segments = [bar, marker, Segment(" ", base), mark, Segment(" ", base), *self._body(body, start, text_style, base)]
        return Strip(segments).crop_extend(0, width, text_style if is_cursor else base)
