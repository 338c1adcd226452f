"""Finding text in the app: ``/`` searches the open article as you type (a bar above the
status line; enter and shift+enter go to the next and previous match, escape closes it),
``ctrl+f`` searches every article (a list of matches by article and sentence; enter jumps).

The project-wide search reads article after article, so it runs in a worker thread, on a
read-only database of its own (the app's is not shared between threads), and a new query
stops the old one; matching is ``annotator.search`` (casefolded, exact offsets).
Article text in the results is untrusted: shown as plain text, never as markup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from annotator.errors import AnnotatorError
from annotator.sanitize import sanitize_line
from annotator.search import ProjectMatch, in_project

if TYPE_CHECKING:
    from annotator.storage import Database

# The project-wide list stops here (a search that common is better narrowed).
MAX_RESULTS = 500


class SearchBar(Horizontal):
    """``/``: the query, and where the cursor's match stands among them."""

    DEFAULT_CSS = """
    SearchBar { height: 1; display: none; background: $panel; }
    SearchBar > Input, SearchBar > Input:focus { border: none; height: 1; padding: 0 1; width: 1fr;
                                                 background: $panel; }
    SearchBar #search-count { width: auto; padding: 0 1; color: $foreground-muted; }
    """
    BINDINGS = [
        Binding("shift+enter", "previous", "Previous match", id="search.previous", show=False),
        Binding("escape", "close", "Close search", id="search.close", show=False),
    ]

    class Changed(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Step(Message):
        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    class Closed(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search this article (enter next, shift+enter previous, esc close)", id="search-input")
        yield Static("", id="search-count")

    def open(self) -> None:
        self.display = True
        self.query_one(Input).focus()

    @property
    def query_text(self) -> str:
        return self.query_one(Input).value

    def show_count(self, text: str) -> None:
        self.query_one("#search-count", Static).update(Content(text))

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(1))

    def action_previous(self) -> None:
        self.post_message(self.Step(-1))

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())


class ProjectSearch(ModalScreen["ProjectMatch | None"]):
    """``ctrl+f``: every match in every article; enter jumps to one, escape returns."""

    DEFAULT_CSS = """
    ProjectSearch { align: center middle; }
    ProjectSearch > Vertical { width: 100; max-width: 100%; height: 80%; max-height: 100%;
                               background: $surface; border: round $primary; padding: 0 1; }
    ProjectSearch Input { margin: 0 0 1 0; }
    ProjectSearch #project-count { height: 1; color: $foreground-muted; }
    ProjectSearch OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="project_search.close")]

    def __init__(self, db_path: Path, titles: dict[str, str]) -> None:
        super().__init__()
        self.db_path = db_path
        self._db: Database | None = None  # opened by the first search, in its thread
        self.titles = titles  # article id -> the title the list shows
        self.results: list[ProjectMatch] = []
        self._generation = 0
        self._gone = False
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="search every article", id="project-input")
            yield Static("type to search every article; enter on a result opens it there", id="project-count")
            yield OptionList(id="project-results")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#project-input")
    def _changed(self, event: Input.Changed) -> None:
        self._generation += 1
        generation, query = self._generation, event.value
        self.results = []
        self.query_one(OptionList).clear_options()
        if not query.strip():
            self.query_one("#project-count", Static).update(Content("type to search every article"))
            return
        self.query_one("#project-count", Static).update(Content("searching…"))

        def run() -> None:
            found: list[ProjectMatch] = []
            with self._lock:  # one search reads the database at a time
                if self._db is None:
                    from annotator.storage import Database

                    try:
                        self._db = Database.open(self.db_path, readonly=True, create=False)
                    except AnnotatorError as exc:
                        self._call(self._failed, generation, exc.message)
                        return
                if generation != self._generation:
                    self._close_if_gone()
                    return  # a newer query, or the screen closed: this one is forgotten
                for m in in_project(self._db, query, stop=lambda: generation != self._generation):
                    found.append(m)
                    if len(found) >= MAX_RESULTS:
                        break
                if generation != self._generation:
                    self._close_if_gone()
                    return
            self._call(self._show, generation, found)

        self.run_worker(run, thread=True, group="project-search", exit_on_error=False)

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app has quit meanwhile

    def _failed(self, generation: int, why: str) -> None:
        if generation == self._generation:
            self.query_one("#project-count", Static).update(Content(f"cannot search: {sanitize_line(why)}"))

    def on_unmount(self) -> None:
        self._generation += 1  # a search under way stops at its next article
        self._gone = True
        if self._lock.acquire(blocking=False):  # else the search closes it as it stops
            try:
                self._close_if_gone()
            finally:
                self._lock.release()

    def _close_if_gone(self) -> None:
        """(With the lock held.)  The database of a closed screen, closed."""
        if self._gone and self._db is not None:
            self._db.close()
            self._db = None

    def _show(self, generation: int, found: list[ProjectMatch]) -> None:
        if generation != self._generation:
            return
        self.results = found
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Content(f"{sanitize_line(self.titles.get(m.article_id, m.title))[:40]}  "
                                            f"·  {m.sentence + 1 if m.sentence >= 0 else '-'}  ·  "
                                            f"{sanitize_line(m.snippet)}"), id=str(i))
                             for i, m in enumerate(found)])
        more = " (the first; narrow the search)" if len(found) >= MAX_RESULTS else ""
        articles = len({m.article_id for m in found})
        self.query_one("#project-count", Static).update(
            Content(f"{len(found)} match(es) in {articles} article(s){more}" if found else "no match"))

    @on(Input.Submitted, "#project-input")
    def _to_results(self, event: Input.Submitted) -> None:
        if self.results:
            self.query_one(OptionList).focus()
            self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#project-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self.results[index] if 0 <= index < len(self.results) else None)
