"""The comparison for ``bench_view.py``: the obvious widget-per-sentence article view.

``NaiveArticleView`` is a ``VerticalScroll`` holding one ``Static`` per sentence: the
cursor is a CSS class, a move calls ``scroll_visible``, a label updates the Static's
classes and content.  It has the same interface as ``annotator.ui.article_view.ArticleView``
(``show_article``, ``set_label``, ``set_cursor``, ``cursor``, ``sentence_page``), and
``NaiveAnnotatorApp`` is ``AnnotatorApp`` with only that widget swapped, so the session,
the fsynced saves, the article list, the status line and the footer are the same code in
both: the benchmark compares the two views and nothing else.

Bench-only: nothing in ``annotator`` imports this.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.model import LabelScheme, Span
from annotator.sanitize import sanitize
from annotator.ui.article_view import ArticleView

LABEL_STYLES = 6


class SentenceStatic(Static):
    DEFAULT_CSS = """
    SentenceStatic { padding: 0 0 0 1; width: 1fr; }
    SentenceStatic.-para { margin-top: 1; }
    SentenceStatic.-cursor { background: $foreground 18%; text-style: bold; border-left: outer $foreground; padding: 0; }
    SentenceStatic.-label-1 { color: $warning; }
    SentenceStatic.-label-2 { color: $success; }
    SentenceStatic.-label-3 { color: $primary; }
    SentenceStatic.-label-4 { color: $error; }
    SentenceStatic.-label-5 { color: $secondary; }
    SentenceStatic.-label-6 { color: $accent; }
    """


class NaiveArticleView(VerticalScroll, can_focus=True, inherit_bindings=False):
    DEFAULT_CSS = """
    NaiveArticleView { background: $surface; color: $foreground; padding: 0 1; height: 1fr; }
    """

    def __init__(self, scheme: LabelScheme, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scheme = scheme
        self._label_class = {name: (i % LABEL_STYLES) + 1 for i, name in enumerate(scheme.names)}
        self._gutter = min(max((len(n) for n in scheme.names), default=4), 12)
        self._display = ""
        self._sentences: Sequence[Span] = ()
        self._labels: list[str | None] = []
        self._statics: list[SentenceStatic] = []
        self._pending: set[int] = set()
        self._cursor = 0

    # -- content --------------------------------------------------------------------
    def _content(self, index: int) -> Content:
        span = self._sentences[index]
        label = self._labels[index]
        name = sanitize(label) if label else ""
        if index in self._pending:  # not on disk yet: said in words, as ArticleView does
            name = (name or "clear")[: self._gutter - 1] + "?"
        marker = name[: self._gutter].ljust(self._gutter)
        return Content(f"{marker}  {' '.join(self._display[span.start:span.end].split())}")

    def _classes_for(self, index: int, para: bool) -> str:
        out = ["-para"] if para else []
        label = self._labels[index]
        if label is not None:
            out.append(f"-label-{self._label_class.get(label, 1)}")
        if index == self._cursor:
            out.append("-cursor")
        return " ".join(out)

    def show_article(self, text: str, sentences: Sequence[Span], labels: list[str | None], cursor: int,
                     pending: set[int] | None = None, marks: dict[int, int] | None = None) -> None:
        # (marks: the margin's flag and note marks; the naive view does not show them)
        self._pending = set(pending or ())
        self._display = sanitize(text)
        self._sentences = sentences
        self._labels = list(labels)
        self._cursor = cursor
        self._statics = []
        prev_end = 0
        for i, span in enumerate(sentences):
            para = i > 0 and "\n" in text[prev_end:span.start]
            self._statics.append(SentenceStatic(self._content(i), classes=self._classes_for(i, para)))
            prev_end = span.end
        self.remove_children()
        self.mount_all(self._statics)
        if self._statics:
            target = self._statics[cursor]
            self.call_after_refresh(lambda: target.scroll_visible(animate=False, top=True))

    def ready(self) -> bool:
        """True once every sentence is mounted and laid out (what the first frame needs)."""
        return bool(self._statics) and all(s.is_mounted for s in (self._statics[0], self._statics[-1])) and bool(
            self._statics[0].size.height
        )

    # -- state changes --------------------------------------------------------------
    def set_marks(self, index: int, marks: int) -> None:
        pass  # not shown by the naive view

    def set_label(self, index: int, label: str | None, *, pending: bool = False) -> None:
        if 0 <= index < len(self._labels):
            self._labels[index] = label
            if pending:
                self._pending.add(index)
            else:
                self._pending.discard(index)
            static = self._statics[index]
            for i in range(1, LABEL_STYLES + 1):
                static.remove_class(f"-label-{i}")
            if label is not None:
                static.add_class(f"-label-{self._label_class.get(label, 1)}")
            static.update(self._content(index))

    def set_cursor(self, index: int, *, center: bool = False) -> None:
        if not self._statics:
            return
        index = max(0, min(index, len(self._statics) - 1))
        self._statics[self._cursor].remove_class("-cursor")
        self._cursor = index
        self._statics[index].add_class("-cursor")
        self._statics[index].scroll_visible(animate=False, top=center)

    @property
    def cursor(self) -> int:
        return self._cursor

    def sentence_page(self, direction: int) -> int:
        if not self._statics:
            return 0
        y = self._statics[self._cursor].virtual_region.y + direction * max(self.scrollable_content_region.height - 1, 1)
        for i, s in enumerate(self._statics):  # linear, as a naive view would
            if s.virtual_region.bottom > y:
                return i
        return len(self._statics) - 1


class NaiveLabelScreen(LabelScreen):
    def compose(self) -> ComposeResult:
        # LabelScreen's own layout, with only the article view swapped (so widgets added to
        # the app later are here too).
        for widget in super().compose():
            yield NaiveArticleView(self.session.scheme, id=widget.id) if isinstance(widget, ArticleView) else widget

    @property
    def view(self) -> NaiveArticleView:  # type: ignore[override]
        return self.query_one(NaiveArticleView)


class NaiveAnnotatorApp(AnnotatorApp):
    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # AnnotatorApp.on_mount would push the real LabelScreen too
        self.push_screen(NaiveLabelScreen(self.session))
