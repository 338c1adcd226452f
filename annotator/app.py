"""The full-screen labeling app (the only module, with ``annotator.ui``, that imports Textual)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from annotator.errors import AnnotatorError
from annotator.importer import display_title
from annotator.model import SKIP, Note
from annotator.resegment import word_starts
from annotator.sanitize import sanitize_line
from annotator.filters import SHOWN, matching, next_filter
from annotator.search import Folded, Match, ProjectMatch, fold, in_article
from annotator.session import OTHERS_SECONDS, Resegmented, Session
from annotator.settings import UserSettings
from annotator.ui.article_list import ArticleList
from annotator.ui.article_view import FLAG_MARK, FLAGGED, NOTE_MARK, NOTED, ArticleView
from annotator.ui.commands import ArticleCommands
from annotator.storage import DamagedFile
from annotator.ui.help import HelpScreen, live_rows
from annotator.ui.kept import screenshot_folder, start_theme
from annotator.ui.keys import GuardedQuitApp, with_label_keys
from annotator.ui.search import ProjectSearch, SearchBar
from annotator.ui.suggesting import Suggesting

if TYPE_CHECKING:
    from annotator.storage import Database
    from annotator.suggest.live import LiveSuggestions


RETRY_SECONDS = 1.0
# After the first screen and the first keys: reading every labels file must not slow them.
UNDO_WARMUP_SECONDS = 1.0

EMPTY_HELP = (
    "No articles in this database yet.\n\n"
    "Quit with ctrl+q and open some, for example:\n\n"
    "    annotator label samples/\n\n"
    "(.txt, .md and .jsonl files; folders are read recursively)"
)


def settle_gc() -> None:
    """After the first screen: what is loaded stays out of the collector's walks, which resume."""
    gc.freeze()
    gc.enable()


class LabelScreen(Screen[None]):
    COMMANDS = {ArticleCommands}
    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False, id="cursor.down", tooltip="Next sentence"),
        Binding("k,up", "move(-1)", "Up", show=False, id="cursor.up", tooltip="Previous sentence"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="cursor.page_down", tooltip="One screen down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="cursor.page_up", tooltip="One screen up"),
        Binding("home", "jump(0)", "First", show=False, id="cursor.first", tooltip="First sentence"),
        Binding("end", "jump(-1)", "Last", show=False, id="cursor.last", tooltip="Last sentence"),
        Binding("0", "label('skip')", "Skip", id="label.skip",
                tooltip="Skip: not applicable (counts as decided; left out of datasets)"),
        Binding("x,backspace", "clear", "Clear", id="label.clear", show=False, tooltip="Clear the sentence's label"),
        Binding("u,ctrl+z", "undo", "Undo", id="undo", tooltip="Undo the last change and go back to it"),
        Binding("U,ctrl+y", "redo", "Redo", id="redo", show=False, tooltip="Make the last undone change again and go to it"),
        Binding("n", "article(1)", "Next article", id="article.next", tooltip="Next article"),
        Binding("p", "article(-1)", "Prev article", id="article.previous", show=False, tooltip="Previous article"),
        Binding("backslash", "toggle_list", "Articles", id="articles.toggle", key_display="\\", show=False,
                tooltip="Show or hide the article list (it folds away by itself on a narrow terminal)"),
        Binding("question_mark", "help", "Help", id="help", key_display="?", tooltip="Show all keys"),
        Binding("S", "stats", "Stats", id="stats", show=False, key_display="S",
                tooltip="Project stats: progress, labels, pace (annotator stats)"),
        Binding("g", "guidelines", "Guidelines", id="guidelines", show=False,
                tooltip="The labels' definitions and the project's guidelines"),
        Binding("A", "agreement", "Agreement", id="agreement", show=False,
                tooltip="Agreement between reviewers (kappa, AC1)"),
        Binding("s", "split_mode", "Split", id="segment.split", show=False,
                tooltip="Split the sentence in two: choose where with left/right, enter splits"),
        Binding("m", "join", "Join next", id="segment.join", show=False,
                tooltip="Join the sentence with the next one (its labels are retired)"),
        Binding("N", "note", "Note", id="note.edit", show=False, key_display="N",
                tooltip="Write or edit your note on the sentence (shift+n; an empty note removes it)"),
        Binding("f", "flag", "Flag", id="note.flag", show=False,
                tooltip="Flag the sentence as unsure, or take the flag off"),
        # Split mode only (see check_action): the caret moves by word, enter splits there.
        Binding("left,h", "caret(-1)", "Word left", id="split.left", key_display="←/h",
                tooltip="Split mode: move the split point one word left"),
        Binding("right,l", "caret(1)", "Word right", id="split.right", key_display="→/l",
                tooltip="Split mode: move the split point one word right"),
        Binding("enter", "split_here", "Split here", id="split.do",
                tooltip="Split mode: split the sentence here (its labels are retired)"),
        Binding("escape", "split_cancel", "Cancel", id="split.cancel", tooltip="Split mode: leave without splitting"),
        Binding("slash", "search", "Search", id="search.article", key_display="/", show=False,
                tooltip="Search this article as you type: enter next match, shift+enter previous, esc close"),
        Binding("greater_than_sign", "next_unlabeled", "Next unlabeled", id="jump.unlabeled", key_display=">",
                show=False, tooltip="Jump to the next sentence you have not decided (then to the next article's)"),
        Binding("V", "next_filter", "Filter list", id="list.filter", show=False,
                tooltip="The list shows: all, your queue, unfinished, flagged, with notes, disputed (n/p follow it)"),
        Binding("F", "next_flagged", "Next flagged", id="jump.flagged", show=False,
                tooltip="Jump to the next sentence you flagged unsure (in this article, from the cursor)"),
        Binding("ctrl+f", "project_search", "Search all", id="search.project", show=False,
                tooltip="Search every article; enter on a match opens it there"),
        Binding("enter", "accept", "Accept", id="suggest.accept",
                tooltip="Accept the sentence's suggestion (shown ~dimmed in the margin) and move on"),
        Binding("a", "accept_screen", "Accept screen", id="suggest.accept_screen",
                tooltip="Accept every suggestion from the cursor to the bottom of the screen, and move past them"),
    ]
    # The actions that work in split mode; every other key waits until it is left.
    SPLIT_MODE_ACTIONS = frozenset({"caret", "split_here", "split_cancel", "help"})

    DEFAULT_CSS = """
    LabelScreen #article-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    LabelScreen #status { height: 1; padding: 0 1; background: $panel; color: $foreground; }
    LabelScreen #others { height: 1; padding: 0 1; background: $panel; color: $foreground-muted; display: none; }
    LabelScreen #hint { height: 1; padding: 0 1; background: $panel; color: $foreground-muted; }
    LabelScreen #empty { padding: 2 4; color: $foreground-muted; display: none; height: 1fr; }
    /* Toasts sit above the hint, status and footer lines, never over them. */
    LabelScreen > ToastRack { margin-bottom: 3; }
    LabelScreen.-searching > ToastRack, LabelScreen.-others > ToastRack { margin-bottom: 4; }
    LabelScreen.-searching.-others > ToastRack { margin-bottom: 5; }
    LabelScreen #unavailable { padding: 1 2; color: $text-error; display: none; height: 1fr; }
    """

    # The article list's width by the terminal's: the text gets the room.
    LIST_HIDDEN_BELOW = 70  # columns: the list folds away (\\ shows it)
    LIST_NARROW_BELOW = 100  # columns: the list narrows to about a third of the screen
    LIST_WIDE_FROM = 140  # columns: the list grows to show whole titles
    LIST_WIDTH = 34
    LIST_MAX_WIDTH = 60
    HINT_HIDDEN_BELOW = 12  # rows: the hint line (the label's definition) gives its row to the text

    def __new__(cls, session: Session, *, auto_next: bool = True) -> LabelScreen:
        # The label keys come from the database's scheme, so they are declared in the BINDINGS
        # of a subclass made for that scheme (Textual's public way to bind keys).
        if not cls.__dict__.get("LABEL_KEYS"):
            cls = with_label_keys(cls, session.scheme, "label", "Label the sentence {name} and move on",
                                  first=True)  # the label keys first in the footer
        return super().__new__(cls)

    def __init__(self, session: Session, *, auto_next: bool = True) -> None:
        super().__init__()
        self.session = session
        self.auto_next = auto_next  # finishing an article opens the next unfinished one
        self._queue_end_told = False  # n at the end of the reviewer's queue said so once
        self._status_text = ""
        self._others_text = ""
        self._hint_text = ""
        self._shown = -1  # the article on screen (the session's, unless that one could not be read)
        self._unavailable: dict[int, str] = {}  # article -> why its files cannot be read
        self._split_points: list[int] = []  # split mode: where the cursor's sentence can be split
        self._split_at = -1  # split mode: which of them the caret is on (-1: not in split mode)
        self.suggesting = Suggesting(self, session.live) if session.live is not None else None
        self._filter = "all"  # which articles the list shows (``annotator.filters``)
        self._matches: list[Match] = []  # the open article's matches of the search bar's query
        self._folded: tuple[str, Folded] | None = None  # (article id, its text folded for search)
        self._match = -1  # which of them the cursor went to
        self._unsaved_note: dict[tuple[str, int, int], str] = {}  # a note the disk refused, offered again on N
        self.list_shown: bool | None = None  # the reviewer's choice with \\ (None: by the terminal's width)
        self._longest_title = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield ArticleList(id="articles")
            with Vertical():
                yield Static("", id="article-title")
                yield ArticleView(self.session.scheme, id="article")
                yield Static(Content(EMPTY_HELP), id="empty")
                yield Static("", id="unavailable")
        yield SearchBar(id="search")
        yield Static("", id="others")
        yield Static("", id="hint")
        yield Static("", id="status")
        yield Footer()

    @property
    def view(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    def on_mount(self) -> None:
        s = self.session
        self._retry_timer = self.set_interval(RETRY_SECONDS, self.retry_pending, pause=True)
        self.set_interval(OTHERS_SECONDS, self.take_in_others)
        rows = [(self._title(i), s.labeled[i], info.n_sentences) for i, info in enumerate(s.infos)]
        self.article_list.set_articles(rows, queue=s.queue_size)
        # (titles are cut at 60 characters: short strings, measured at C speed when ASCII)
        self._longest_title = max((len(t) if t.isascii() else cell_len(t) for t, _, _ in rows), default=0)
        self.fit_list(self.app.size.width)
        self.view.focus()
        self.query_one("#others").display = s.show_others
        self.set_class(s.show_others, "-others")  # (one more status row: toasts go above it too)
        # Everything loaded until the first screen lives for the whole session: keep the
        # collector from walking it again and again (full collections otherwise stall keys at
        # 10,000 articles), and from walking it while it is built (the app turns it off).
        self.call_after_refresh(settle_gc)
        self.set_timer(UNDO_WARMUP_SECONDS, self._prepare_undo)
        if self.suggesting is not None:
            self.set_timer(UNDO_WARMUP_SECONDS, self.suggesting.read_project)
        if not s.infos:
            self.query_one("#article-title", Static).update(Content("No articles yet"))
            self.view.display = False
            self.query_one("#empty").display = True
            self._update_status()
            return
        try:
            article, sentence = s.resume_position()
        except AnnotatorError:
            article, sentence = -1, 0  # its file is missing or damaged: resume at the next one
        if article >= 0 and self.open_article(article, sentence, tell=False):
            return
        self._resume_elsewhere()
        if self._unavailable:  # one notification for them all, however many there are
            first = min(self._unavailable)
            more = len(self._unavailable) - 1
            self._tell(self._unavailable[first] + (f" ({more} more article(s) cannot be read either)" if more else ""))

    # -- the layout by the terminal's size ------------------------------------------
    def list_width_for(self, columns: int) -> int:
        """The article list's width on a terminal ``columns`` wide (0: folded away): the user's
        setting (``annotator config set list_width``) if there is one, else by the size."""
        chosen = getattr(self.app, "list_width", "auto")
        if chosen == "hidden" or columns < self.LIST_HIDDEN_BELOW:
            return 0
        if chosen != "auto":
            return min(int(chosen), columns - 30)  # the text keeps 30 columns whatever was set
        if columns < self.LIST_NARROW_BELOW:
            return max(20, columns * 3 // 10)
        if columns < self.LIST_WIDE_FROM:
            return self.LIST_WIDTH
        # mark, title, count "nn/nn", border and scrollbar
        wanted = max(self.LIST_WIDTH, self._longest_title + 12)
        return min(wanted, self.LIST_MAX_WIDTH, columns - 100)

    def fit_list(self, columns: int) -> None:
        width = self.list_width_for(columns)
        shown = self.list_shown if self.list_shown is not None else width > 0
        articles = self.article_list
        if shown:
            articles.styles.width = width or min(self.LIST_WIDTH, max(columns // 2, 16))
        if articles.display != shown:
            articles.display = shown

    def on_resize(self, event: events.Resize) -> None:
        self.fit_list(event.size.width)
        footer = self.query_one(Footer)
        if footer.show_command_palette != (event.size.width >= self.LIST_NARROW_BELOW):
            # narrow: the row goes to the keys (ctrl+p still opens the palette; help lists it)
            footer.show_command_palette = event.size.width >= self.LIST_NARROW_BELOW
        hint = self.query_one("#hint")
        if hint.display != (event.size.height >= self.HINT_HIDDEN_BELOW):
            hint.display = event.size.height >= self.HINT_HIDDEN_BELOW  # a short screen: the rows go to the text
        self.call_after_refresh(self._update_status)  # the status line's parts by its new width

    def action_toggle_list(self) -> None:
        self.list_shown = not self.article_list.display
        self.fit_list(self.size.width or self.app.size.width)

    def _prepare_undo(self) -> None:
        """Replay this reviewer's history in a thread, so the first undo after a restart does
        not wait for every labels file to be read (0.3-0.8 s at 100,000 decisions)."""
        try:
            work = self.session.db.prepare_undo(self.session.annotator)
        except AnnotatorError:
            return

        def run() -> None:
            try:
                install = work()
            except AnnotatorError:
                return  # the first undo replays it then, and names the damaged file
            try:
                self.app.call_from_thread(install)
            except RuntimeError:
                pass  # the app has quit meanwhile: nothing to install into

        self.run_worker(run, thread=True, group="undo-history", exit_on_error=False)

    def _resume_elsewhere(self) -> None:
        """The article to resume at cannot be read: open the next unfinished one that can
        (those that cannot are marked in the list), else any article that can."""
        s = self.session
        n = len(s.infos)
        unfinished = [i for i in range(n) if s.labeled[i] < s.infos[i].n_sentences]
        rest = sorted(set(range(n)).difference(unfinished))
        for i in [*unfinished, *rest]:
            if i not in self._unavailable and self._open_at_first_unlabeled(i, tell=False):
                return

    def _title(self, index: int) -> str:
        info = self.session.infos[index]
        if info.title:
            return info.title
        if info.preview:  # stored at import, so startup never reads thousands of article files
            return display_title("", info.preview, 60)
        if not info.n_sentences:
            return "(empty)"
        try:
            return display_title("", self.session.db.get_article(info.id).text, 60)
        except AnnotatorError:
            return "(unavailable)"

    # -- showing state --------------------------------------------------------------
    def open_article(self, index: int, cursor: int = 0, *, tell: bool = True) -> bool:
        """Show article ``index`` with the cursor on ``cursor``.  If its text or labels file is
        missing or damaged it is shown as unavailable (and, with ``tell``, named in a
        notification) and False is returned; every other article keeps working."""
        s = self.session
        self._leave_split_mode()  # the caret belongs to the article on screen
        try:
            s.open_article(index, cursor)
        except AnnotatorError as exc:
            self._show_unavailable(index, exc, tell=tell)
            return False
        assert s.article is not None
        self._shown = index
        if self._unavailable.pop(index, None) is not None:  # restored since: show it again
            self.article_list.set_unavailable(index, False)
        if not self.view.display:  # the article before could not be shown
            self.query_one("#unavailable").display = False
            self.view.display = True
            self.view.focus()
        shown = [s.shown_label(i) for i in range(s.article_total)]
        self.view.show_article(
            s.article.text, s.article.sentences, [lab.label if lab else None for lab, _ in shown], s.cursor,
            pending={i for i, (_, waiting) in enumerate(shown) if waiting}, marks=self._marks(),
        )
        title = display_title(s.article.title, s.article.text, 200)
        self.query_one("#article-title", Static).update(
            Content(f"{index + 1}/{len(s.infos)}  ") + Content(sanitize_line(title))
        )
        self.article_list.highlighted = index
        self._update_status()
        if self.suggesting is not None:
            self.suggesting.article_opened()
        bar = self.query_one(SearchBar)
        if bar.display and bar.query_text.strip():  # the search goes on in the article opened
            self._search(bar.query_text)
        return True

    def _show_unavailable(self, index: int, exc: AnnotatorError, *, tell: bool) -> None:
        why = unavailable_text(exc)
        self._shown = index
        self._unavailable[index] = why
        self.article_list.set_unavailable(index, True)
        self.view.display = False
        note = self.query_one("#unavailable", Static)
        note.update(Content(why))
        note.display = True
        self.query_one("#article-title", Static).update(
            Content(f"{index + 1}/{len(self.session.infos)}  ")
            + Content(sanitize_line(self._title(index)))
            + Content("  (unavailable)")
        )
        self.article_list.highlighted = index
        self._update_status()
        if tell:
            self._tell(why)

    def _tell(self, why: str) -> None:
        self.notify(why, title="Article unavailable", severity="error", timeout=10, markup=False)

    def _update_status(self) -> None:
        s = self.session
        if self.splitting:
            text = (f"SPLIT MODE: ←/→ where, enter splits, esc cancels  ·  sentence {s.cursor + 1}/{s.article_total}"
                    f"  ·  {sanitize_line(s.annotator)}")
            if text != self._status_text:
                self._status_text = text
                self.query_one("#status", Static).update(Content(text), layout=False)
            return
        done = s.articles_done
        pct = 100 * s.total_labeled / s.total_sentences if s.total_sentences else 0
        here = self._shown not in self._unavailable
        # (priority, text): the lowest go first when the line is too narrow for them all.
        parts: list[tuple[int, str]] = [
            (8, f"{s.article_labeled}/{s.article_total} labeled" if here else "article unavailable"),
            (7, f"overall {s.total_labeled}/{s.total_sentences} ({pct:.0f}%)"),
            (1, f"{done}/{len(s.infos)} articles done"),
        ]
        if here:
            parts.append((3, f"sentence {s.cursor + 1 if s.article_total else 0}/{s.article_total}"))
        parts.append((9, sanitize_line(s.annotator)))
        if s.queue_size:
            parts.append((5, f"your queue {s.queue_done}/{s.queue_size} done"))
        if s.pending:
            parts.append((10, f"⚠ {len(s.pending)} not saved yet, retrying"))
        text = fit_parts(parts, self._status_width())
        if s.show_others:
            self._update_others()
        self._update_hint()
        if text != self._status_text:
            self._status_text = text
            # One row of fixed height: a repaint is enough, a layout of the whole screen is not needed.
            self.query_one("#status", Static).update(Content(text), layout=False)

    def _status_width(self) -> int:
        """The status line's columns (the screen's less its padding): from the app's size, which
        costs nothing (a widget's region is looked up in the screen's map, rebuilt after a change)."""
        return max(self.app.size.width - 2, 1)

    def refresh_status(self) -> None:
        self._update_status()
    def _marks(self) -> dict[int, int]:
        """The margin's flag and note marks of the open article's sentences (this reviewer's)."""
        return {i: _mark_bits(n) for i, n in self.session.notes.items() if _mark_bits(n)}

    def _update_hint(self) -> None:
        """The reviewer's note and flag on the cursor's sentence, then the definition of its
        label (the scheme's description), so a reviewer unsure of a label reads it where they
        look; else where the definitions are."""
        s = self.session
        here = s.article_total and self._shown not in self._unavailable
        note = s.note() if here else None
        lab = s.shown_label(s.cursor)[0] if here else None
        d = s.scheme.get(lab.label) if lab is not None else None
        ghost = s.ghost(s.cursor) if here else None
        if ghost is not None:
            # Where the reviewer looks, whole: what is suggested, by whom, how sure.
            text = (f"suggested: {sanitize_line(s.scheme.name_of(ghost.label))} by {sanitize_line(ghost.source)} "
                    f"({ghost.score:.2f})  ·  enter accepts, a accepts the screen, a label key overrides")
        elif lab is not None and lab.label == SKIP:
            text = "skip: not applicable (decided; left out of datasets)  ·  g guidelines"
        elif d is not None and d.description:
            text = f"{sanitize_line(d.name)}: {sanitize_line(d.description)}  ·  g guidelines"
        else:
            text = "g: the labels' definitions and the guidelines"
        if note is not None and not note.empty:
            text = note_text(note) + "  ·  " + text
        if text != self._hint_text:
            self._hint_text = text
            self.query_one("#hint", Static).update(Content(text), layout=False)

    def _update_others(self) -> None:
        """With --show-others: the other reviewers' labels of the cursor's sentence."""
        s = self.session
        votes = s.others.get(s.cursor, []) if s.article_total else []
        name_of = s.scheme.name_of
        text = ("others: " + "  ·  ".join(f"{sanitize_line(who)} {sanitize_line(name_of(label))}"
                                          for who, label in votes)) if votes \
            else "others: no other reviewer has labeled this sentence"
        if text != self._others_text:
            self._others_text = text
            self.query_one("#others", Static).update(Content(text), layout=False)

    def _after_change(self, article_index: int, sentence: int) -> None:
        s = self.session
        if article_index == s.article_index == self._shown:
            lab, pending = s.shown_label(sentence)
            self.view.set_label(sentence, lab.label if lab else None, pending=pending)
        self.article_list.update_article(
            article_index, self._title(article_index), s.labeled[article_index], s.infos[article_index].n_sentences
        )
        self._update_status()

    def _went_pending(self, had_pending: bool) -> None:
        """A decision the disk refused: shown as pending, retried every second, never counted early."""
        s = self.session
        self._after_change(s.article_index, s.cursor)
        if not had_pending and s.save_error is not None:
            self.notify(
                f"{sanitize_line(s.save_error.message)}. Your decision is kept and retried every second.",
                title=s.save_error.title, severity="error", timeout=10, markup=False,
            )
        self._retry_timer.resume()

    def retry_pending(self) -> None:
        s = self.session
        if not s.pending:
            self._retry_timer.pause()
            return
        s.outdated = None
        s.retry_pending()
        n = self._redraw_drained()
        if not s.pending:
            self._retry_timer.pause()
            self.notify(f"Saved {n} decision(s) that were waiting.", timeout=4, markup=False)
        if s.outdated is not None:  # one was on a sentence split or joined meanwhile: dropped, said
            self._outdated()

    def take_in_others(self) -> None:
        """What other reviewers (an import, a merge, an assignment) saved meanwhile: their rows in
        the list, new articles at its end, and the open article as it is now."""
        if self._split_at >= 0:
            return  # the sentences must not move under the caret: next time
        s = self.session
        try:
            got = s.take_in_others()
        except AnnotatorError:
            return  # a file another writer is replacing, or damaged: opening that article says so
        if got.added:
            first = len(s.infos) - got.added
            self.article_list.add_articles(
                [(self._title(i), s.labeled[i], s.infos[i].n_sentences) for i in range(first, len(s.infos))])
            self._longest_title = max(self._longest_title, *(cell_len(self._title(i)) for i in range(first, len(s.infos))))
        for i in got.changed:
            self.article_list.update_article(i, self._title(i), s.labeled[i], s.infos[i].n_sentences)
        if got.reopened and self._shown == s.article_index:
            self._show_resegmented(s.article_index, 0)
            if s.show_others:
                self._update_others()
            return
        if self._shown == s.article_index and s.article_index in got.changed:
            for i in got.relabeled:  # (a merge elsewhere may bring this reviewer's own decisions)
                lab, pending = s.shown_label(i)
                self.view.set_label(i, lab.label if lab else None, pending=pending)
                self.view.set_marks(i, _mark_bits(s.notes.get(i)))
            if s.show_others:
                self._update_others()
        if got.changed or got.added:
            self._update_status()

    def _guard(self) -> bool:
        s = self.session
        return s.article is not None and s.article_total > 0 and self._shown == s.article_index \
            and self._shown not in self._unavailable

    def _move_to(self, index: int, *, center: bool = False) -> None:
        s = self.session
        s.cursor = max(0, min(index, s.article_total - 1))
        self.view.set_cursor(s.cursor, center=center)
        self._update_status()

    def _report(self, exc: AnnotatorError) -> None:
        self.notify(sanitize_line(exc.message), title=exc.title, severity="error", timeout=10, markup=False)

    # -- actions --------------------------------------------------------------------
    def action_label(self, label_id: str) -> None:
        if not self._guard():
            return
        s = self.session
        sentence, had_pending, was_done = s.cursor, bool(s.pending), s.article_labeled >= s.article_total
        outcome = s.set_label(label_id)
        if outcome == "pending":
            self._went_pending(had_pending)
            return
        if outcome == "outdated":
            self._outdated()
            return
        self._decided(sentence)
        self._move_on(was_done)

    def _decided(self, sentence: int) -> None:
        """A decision saved on ``sentence`` of the open article: shown, counted, learned from."""
        s = self.session
        self._redraw_drained()
        self._after_change(s.article_index, sentence)
        if self.suggesting is not None and s.article is not None:
            lab = s.labels[sentence] if 0 <= sentence < s.article_total else None
            self.suggesting.decided(s.article, sentence, lab.label if lab is not None else None)

    def _move_on(self, was_done: bool) -> None:
        """After a decision: the next sentence; or, if it finished the article (a decision in a
        finished article, a correction, does not), the next unfinished article."""
        s = self.session
        finished = not was_done and s.article_labeled >= s.article_total
        if finished and self.auto_next and self.next_unfinished() is not None:
            self.article_finished()
            return
        if s.cursor < s.article_total - 1:
            self._move_to(s.cursor + 1)
        if finished:
            self.article_finished()

    def next_unfinished(self) -> int | None:
        """The next unfinished article (that can be read) after the one shown: in the
        reviewer's queue first, then any; None if every article is done."""
        s = self.session
        n, q = len(s.infos), s.queue_size
        after = [*range(self._shown + 1, n), *range(0, self._shown)]
        order: list[int] = [i for i in after if i < q] + [i for i in after if i >= q]
        for i in order:
            if s.infos[i].n_sentences and not s.is_done(i) and i not in self._unavailable:
                return i
        return None

    def article_finished(self) -> None:
        """The last sentence of the article is decided and every one is: move on (or say so)."""
        s = self.session
        n = len(s.infos)
        target = self.next_unfinished()
        if target is None:
            self.notify(f"All {n} articles are done." if n > 1 else "The article is done.", timeout=4, markup=False)
            return
        if not self.auto_next:
            self.notify("Article done. n: next article.", timeout=3, markup=False)
            return
        if self._open_at_first_unlabeled(target):
            where = "" if target < s.queue_size or not s.queue_size else " (not in your queue)"
            self.notify(f"Article done. Now {target + 1}/{n}{where}.", timeout=3, markup=False)

    def action_accept(self) -> None:
        if not self._guard():
            return
        s = self.session
        sentence, had_pending, was_done = s.cursor, bool(s.pending), s.article_labeled >= s.article_total
        if s.ghost(sentence) is None:
            self.notify("No suggestion on this sentence (a ~dimmed label in the margin is one).", timeout=2,
                        markup=False)
            return
        outcome = s.accept()
        if outcome == "pending":
            self._went_pending(had_pending)
            return
        if outcome == "outdated":
            self._outdated()
            return
        self._decided(sentence)
        self._move_on(was_done)

    def action_accept_screen(self) -> None:
        """Every suggestion the reviewer can see, from the cursor down, each its own decision."""
        if not self._guard():
            return
        s = self.session
        last = self.view.last_seen_sentence()
        first = s.cursor
        accepted, was_done = 0, s.article_labeled >= s.article_total
        for i in range(s.cursor, last + 1):
            if s.ghost(i) is None:
                continue
            s.cursor = i
            had_pending = bool(s.pending)
            outcome = s.accept()
            if outcome == "pending":
                self._went_pending(had_pending)
                self._move_to(i)
                return
            if outcome == "outdated":
                self._outdated()
                return
            accepted += 1
            self._decided(i)
        if not accepted:
            self.notify("No suggestions on screen from here down.", timeout=2, markup=False)
        # On to what still needs the reviewer: the first undecided sentence from where they were.
        todo = s.first_unlabeled(first)
        self._move_to(todo if todo is not None else min(last + 1, s.article_total - 1), center=todo is None)
        if not was_done and s.article_labeled >= s.article_total:
            self.article_finished()

    def action_clear(self) -> None:
        if not self._guard():
            return
        s = self.session
        had_pending = bool(s.pending)
        outcome = s.clear_label()
        if outcome == "pending":
            self._went_pending(had_pending)
        elif outcome == "outdated":
            self._outdated()
        elif outcome == "saved":
            self._decided(s.cursor)

    def _outdated(self) -> None:
        """A decision on a sentence another reviewer split or joined a moment ago: say so, show
        the article as it is now (nothing was saved)."""
        exc = self.session.outdated
        if exc is not None:
            self.notify(sanitize_line(exc.message), title=exc.title, severity="warning", timeout=6, markup=False)
        self.take_in_others()

    def _redraw_drained(self) -> int:
        drained = self.session.take_drained()
        for p in drained:
            self._after_change(p.article_index, p.sentence)
        return len(drained)

    def action_undo(self) -> None:
        self._step_back(undo=True)

    def action_redo(self) -> None:
        self._step_back(undo=False)

    def _step_back(self, *, undo: bool) -> None:
        s = self.session
        before = self._shown
        try:
            change = s.undo() if undo else s.redo()
        except AnnotatorError as exc:
            self._report(exc)
            return
        if change is None:
            self.notify("Nothing to undo." if undo else "Nothing to redo.", timeout=2, markup=False)
            return
        if change.resegmented and change.article_index == before == self._shown:
            self._show_resegmented(change.article_index, change.sentence)
            self._move_to(change.sentence)
            return
        if change.article_index != before or change.resegmented:
            self.open_article(change.article_index, change.sentence)
        self._after_change(change.article_index, change.sentence)
        if self.suggesting is not None and s.article is not None and change.article_index == s.article_index:
            lab = s.labels[change.sentence] if 0 <= change.sentence < s.article_total else None
            self.suggesting.decided(s.article, change.sentence, lab.label if lab is not None else None)
        self._move_to(change.sentence, center=change.article_index != before)

    def action_move(self, delta: int) -> None:
        if self._guard():
            self._move_to(self.session.cursor + delta)

    def action_page(self, direction: int) -> None:
        if self._guard():
            self._move_to(self.view.sentence_page(direction))

    def action_jump(self, index: int) -> None:
        if self._guard():
            self._move_to(index if index >= 0 else self.session.article_total - 1, center=True)

    def action_article(self, delta: int) -> None:
        s = self.session
        if not s.infos:
            return
        shown = self.article_list.shown  # (the list's filter, if one is chosen)
        if self._filter != "all":
            after = [i for i in shown if (i > self._shown if delta > 0 else i < self._shown)]
            if not after:
                self.notify(f"No more articles that way in {SHOWN[self._filter]} (V: the next filter).", timeout=3,
                            markup=False)
                return
            self._open_at_first_unlabeled(after[0] if delta > 0 else after[-1])
            return
        target = self._shown + delta
        if not 0 <= target < len(s.infos):
            self.notify("No more articles that way.", timeout=2, markup=False)
            return
        if delta > 0 and s.queue_size and target == s.queue_size and not self._queue_end_told:
            # The last assigned article: the next ones are someone else's (or no one's); say so first.
            self._queue_end_told = True
            self.notify(f"That was the last of your {s.queue_size} assigned articles. "
                        "n again: the articles not assigned to you.", timeout=5, markup=False)
            return
        self._queue_end_told = False
        self._open_at_first_unlabeled(target)

    # -- filters --------------------------------------------------------------------
    def action_next_filter(self) -> None:
        """V: the list shows the next filter's articles (all, your queue, unfinished, flagged,
        with notes, disputed); n and p go through them."""
        s = self.session
        self._filter = next_filter(self._filter)
        shown = matching(s, self._filter)
        self.article_list.show_only(None if self._filter == "all" else shown)
        if not self.article_list.display:
            self.list_shown = True
            self.fit_list(self.app.size.width)
        self.notify(f"List: {SHOWN[self._filter]} ({len(shown)} of {len(s.infos)}). V: next filter.", timeout=3,
                    markup=False)

    # -- notes and flags ------------------------------------------------------------
    def action_note(self) -> None:
        """N: write or edit the cursor's sentence's note in a small modal (escape: no change)."""
        if not self._guard():
            return
        from annotator.ui.notes import NoteScreen

        s = self.session
        assert s.article is not None
        index, sentence, span = s.article_index, s.cursor, s.article.sentences[s.cursor]
        key = (s.article.id, span.start, span.end)
        had = s.note()
        current = self._unsaved_note.get(key, had.note if had is not None else "")
        heading = f"Your note on sentence {sentence + 1} of {s.article_total} ({s.annotator})"

        def done(text: str | None) -> None:
            if text is None or not (self._guard() and s.article_index == index):
                return
            s.cursor = sentence  # (a modal keeps the keys: the cursor is still there)
            try:
                note = s.set_note(text)
            except AnnotatorError as exc:
                self._unsaved_note[key] = text
                self._report(exc)
                self.notify("The note is not saved; press N again to retry (it is kept there).", timeout=6,
                            markup=False)
                return
            self._unsaved_note.pop(key, None)
            self._note_changed(sentence, note)

        self.app.push_screen(NoteScreen(heading, s.article.text[span.start:span.end], current), done)

    def action_flag(self) -> None:
        """f: flag the cursor's sentence as unsure, or take the flag off (saved before it shows)."""
        if not self._guard():
            return
        s = self.session
        try:
            note = s.toggle_flag()
        except AnnotatorError as exc:
            self._report(exc)
            return
        self._note_changed(s.cursor, note)

    def _note_changed(self, sentence: int, note: Note | None) -> None:
        """A note or flag was saved: redraw that sentence's first line and the hint line only."""
        self.view.set_marks(sentence, _mark_bits(note))
        self._update_hint()

    # -- fixing the split -----------------------------------------------------------
    @property
    def splitting(self) -> bool:
        return self._split_at >= 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In split mode only its keys work (and are shown); out of it, not those."""
        if action in ("caret", "split_here", "split_cancel"):
            return self.splitting
        if action in ("accept", "accept_screen") and self.suggesting is None:
            return False  # no suggester this session: the keys do nothing and are not shown
        if self.splitting and action not in self.SPLIT_MODE_ACTIONS:
            return False
        return True

    def action_split_mode(self) -> None:
        if not self._guard():
            return
        s = self.session
        assert s.article is not None
        points = word_starts(s.article.text, s.article.sentences[s.cursor])
        if not points:
            self.notify("This sentence is a single word: there is nowhere to split it.", timeout=3, markup=False)
            return
        self._split_points = points
        self._split_at = first_split_point(s.article.text, points)
        self.view.set_caret(s.cursor, points[self._split_at])
        self._split_mode_changed()

    def action_caret(self, delta: int) -> None:
        if self.splitting:
            self._split_at = max(0, min(self._split_at + delta, len(self._split_points) - 1))
            self.view.set_caret(self.session.cursor, self._split_points[self._split_at])

    def action_split_cancel(self) -> None:
        self._leave_split_mode()

    def _leave_split_mode(self) -> None:
        if self.splitting:
            self._split_at = -1
            self.view.set_caret(self.session.cursor, None)
            self._split_mode_changed()

    def _split_mode_changed(self) -> None:
        self.refresh_bindings()
        self._update_status()

    def action_split_here(self) -> None:
        if not self.splitting:
            return
        offset = self._split_points[self._split_at]
        self._leave_split_mode()
        self._resegment(lambda: self.session.split(offset), "Split in two")

    def action_join(self) -> None:
        if not self._guard():
            return
        s = self.session
        if s.cursor >= s.article_total - 1:
            self.notify("This is the last sentence: there is no next one to join it with.", severity="warning",
                        timeout=3, markup=False)
            return
        self._resegment(s.join, "Joined with the next sentence")

    def _resegment(self, change: Callable[[], Resegmented], done: str) -> None:
        """Make a split or join (saved before anything on screen changes), then show it."""
        try:
            result = change()
        except ValueError as exc:
            self.notify(sanitize_line(str(exc)), severity="warning", timeout=5, markup=False)
            return
        except AnnotatorError as exc:
            self._report(exc)
            return
        self._show_resegmented(result.article_index, result.sentence)
        retired = f"; {result.retired} label(s) retired (kept in the history and the export)" if result.retired else ""
        self.notify(f"{done}{retired}. Undo with u.", timeout=4, markup=False)

    def _show_resegmented(self, index: int, changed: int) -> None:
        """The open article's sentences changed from ``changed`` on: redraw from there down."""
        s = self.session
        assert s.article is not None
        shown = [s.shown_label(i) for i in range(s.article_total)]
        self.view.resegment(s.article.sentences, [lab.label if lab else None for lab, _ in shown], s.cursor, changed,
                            pending={i for i, (_, waiting) in enumerate(shown) if waiting}, marks=self._marks())
        self.article_list.update_article(index, self._title(index), s.labeled[index], s.infos[index].n_sentences)
        self._update_status()
        if self.suggesting is not None:
            self.suggesting.article_opened()  # the suggestions were for the sentences as they were

    # -- jumps ----------------------------------------------------------------------
    def action_next_unlabeled(self) -> None:
        if not self._guard():
            return
        s = self.session
        here = s.first_unlabeled(s.cursor + 1)
        if here is None:
            here = s.first_unlabeled(0)
        if here is not None and here != s.cursor:
            self._move_to(here, center=True)
        elif s.labels[s.cursor] is None:
            self.notify("This is the article's only undecided sentence.", timeout=2, markup=False)
        else:
            self.goto_next_unfinished()

    def action_next_flagged(self) -> None:
        if not self._guard():
            return
        s = self.session
        flagged = sorted(i for i, n in s.notes.items() if n.flag)
        after = [i for i in flagged if i > s.cursor] or flagged
        if after and after[0] != s.cursor:
            self._move_to(after[0], center=True)
        else:
            self.notify("No other sentence flagged unsure in this article (f flags one).", timeout=2, markup=False)

    # -- search ---------------------------------------------------------------------
    def action_search(self) -> None:
        if self._guard():
            self.add_class("-searching")  # toasts move up a row, off the bar
            self.query_one(SearchBar).open()

    def on_search_bar_changed(self, message: SearchBar.Changed) -> None:
        self._search(message.query)

    def _search(self, query: str) -> None:
        s = self.session
        if s.article is None:
            return
        if self._folded is None or self._folded[0] != s.article.id:
            # Folded once per article: a text with a character that folds to two ("ß") takes
            # a third of a second at 10,000 sentences, and the query is searched at every key.
            self._folded = (s.article.id, fold(s.article.text))
        self._matches = in_article(s.article, query, self._folded[1])
        self.view.set_found([(m.start, m.end) for m in self._matches])
        here = s.article.sentences[s.cursor].start if s.article_total else 0
        self._match = next((k for k, m in enumerate(self._matches) if m.start >= here), 0) - 1
        self._step_match(1)

    def on_search_bar_step(self, message: SearchBar.Step) -> None:
        self._step_match(message.direction)

    def _step_match(self, direction: int) -> None:
        bar = self.query_one(SearchBar)
        if not self._matches:
            bar.show_count("no match" if bar.query_text.strip() else "")
            return
        self._match = (self._match + direction) % len(self._matches)
        m = self._matches[self._match]
        bar.show_count(f"{self._match + 1}/{len(self._matches)}")
        if m.sentence >= 0:
            self._move_to(m.sentence)

    def on_search_bar_closed(self, message: SearchBar.Closed) -> None:
        self._matches, self._match = [], -1
        self.remove_class("-searching")
        self.view.set_found([])
        self.view.focus()

    def action_project_search(self) -> None:
        s = self.session
        titles = {info.id: self._title(i) for i, info in enumerate(s.infos)}

        def go(found: ProjectMatch | None) -> None:
            index = next((i for i, info in enumerate(s.infos) if found is not None and info.id == found.article_id),
                         None)
            if found is None or index is None:
                return
            if self.open_article(index, max(found.sentence, 0)):
                self._move_to(max(found.sentence, 0), center=True)

        self.app.push_screen(ProjectSearch(s.db.path, titles), go)

    # -- command palette ------------------------------------------------------------
    def article_title(self, index: int) -> str:
        return self._title(index)

    def goto_article(self, index: int) -> None:
        self._open_at_first_unlabeled(index)

    def goto_next_unfinished(self) -> None:
        s = self.session
        n = len(s.infos)
        for step in range(1, n + 1):
            i = (self._shown + step) % n
            if not s.is_done(i) and i not in self._unavailable:
                self._open_at_first_unlabeled(i)
                return
        self.notify("Every article is done.", timeout=3, markup=False)

    def goto_first_unlabeled(self) -> None:
        if not self._guard():
            return
        first = self.session.first_unlabeled()
        if first is None:
            self.notify("Every sentence of this article is labeled.", timeout=3, markup=False)
        else:
            self._move_to(first, center=True)

    def _open_at_first_unlabeled(self, index: int, *, tell: bool = True) -> bool:
        if not self.open_article(index, tell=tell):
            return False
        first = self.session.first_unlabeled()
        if first:
            self._move_to(first, center=True)
        return True

    def action_agreement(self) -> None:
        from annotator.ui.agreement import AgreementScreen

        self.app.push_screen(AgreementScreen(self.session.db))

    def action_stats(self) -> None:
        from annotator.ui.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.session.db, self.session.annotator))

    def action_guidelines(self) -> None:
        from annotator.ui.guidelines import GuidelinesScreen

        try:
            text = self.session.db.guidelines()
        except AnnotatorError as exc:
            self._report(exc)
            return
        self.app.push_screen(GuidelinesScreen(self.session.scheme, text))

    def action_help(self) -> None:
        rows = live_rows(self)
        intro = "Label every sentence; each key saves at once. Click a sentence to select it."
        self.app.push_screen(HelpScreen(rows, intro))

    def on_article_view_sentence_clicked(self, message: ArticleView.SentenceClicked) -> None:
        if message.index != self.session.cursor:
            self._leave_split_mode()
        if self._guard() and not self.splitting:
            self._move_to(message.index)

    def on_article_list_selected(self, message: ArticleList.Selected) -> None:
        if message.index != self._shown:
            self._open_at_first_unlabeled(message.index)
        self.view.focus()


STATUS_SEPARATOR = "  ·  "


def fit_parts(parts: Sequence[tuple[int, str]], width: int) -> str:
    """The parts, in their order, joined by a separator; those of the lowest priority left out
    first until the line fits ``width`` cells (a narrower separator is tried before a part goes;
    the highest part is kept even if it does not fit)."""
    kept = list(parts)
    while True:
        for sep in (STATUS_SEPARATOR, " · "):
            line = sep.join(t for _, t in kept)
            if cell_len(line) <= width or len(kept) == 1:
                return line
        del kept[min(range(len(kept)), key=lambda i: kept[i][0])]


NOTE_SHOWN_CHARS = 120  # of a note on the hint line (the whole note: N)


def _mark_bits(note: Note | None) -> int:
    if note is None:
        return 0
    return (FLAGGED if note.flag else 0) | (NOTED if note.note else 0)


def note_text(note: Note) -> str:
    """A note and flag for the hint line: marked, made safe to show, cut short."""
    parts = [f"{FLAG_MARK} unsure"] if note.flag else []
    if note.note:
        shown = note.note if len(note.note) <= NOTE_SHOWN_CHARS else note.note[: NOTE_SHOWN_CHARS - 1] + "…"
        parts.append(f"{NOTE_MARK} {sanitize_line(shown)}")
    return "  ".join(parts)


def first_split_point(text: str, points: list[int]) -> int:
    """Where the caret starts: after the first word that ends a sentence ("Plan B. Shares"), else
    in the middle."""
    for i, p in enumerate(points):
        before = text[:p].rstrip().rstrip("\"'”’)]")
        if before.endswith((".", "!", "?")):
            return i
    return len(points) // 2


def unavailable_text(exc: AnnotatorError) -> str:
    """One line for an article whose file cannot be read: the file, why, and where to look."""
    if isinstance(exc, DamagedFile):
        why = f"{exc.path}: {exc.why}"
    else:
        why = exc.message
    return sanitize_line(f"This article cannot be shown ({why}); `annotator verify` lists every damaged file")


class AnnotatorApp(GuardedQuitApp):
    TITLE = "annotator"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit (every label is already saved)")]

    def __init__(self, db: Database, annotator: str, startup_messages: list[tuple[str, str]] | None = None,
                 *, show_others: bool = False, suggestions: LiveSuggestions | None = None,
                 order: Sequence[str] | None = None, auto_next: bool = True, theme: str | None = None,
                 list_width: str = "auto", user_settings: UserSettings | None = None) -> None:
        """``theme`` and ``list_width`` are what the app starts with (see ``annotator.settings``);
        with ``user_settings``, a theme the user picks is kept there for the next start."""
        # Start-up builds tens of thousands of objects (10,000 sentences and their display
        # lines) that live all session; collecting while they are made cost about 30 ms of
        # the open. Turned back on by settle_gc after the first screen, or on exit.
        gc.disable()
        super().__init__()
        self.session = Session(db, annotator, show_others=show_others, order=order)
        self.session.live = suggestions
        self.startup_messages = startup_messages or []
        self.auto_next = auto_next  # finishing an article opens the next unfinished one
        self.list_width = list_width
        self.user_settings = user_settings
        self._start_theme = theme

    def on_mount(self) -> None:
        start_theme(self, self._start_theme, self.user_settings)
        self.push_screen(LabelScreen(self.session, auto_next=self.auto_next))
        for text, severity in self.startup_messages:
            self.notify(sanitize_line(text), severity="error" if severity == "error" else "information", timeout=8,
                        markup=False)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Screenshots go to a folder that exists (pictures, downloads, else the current folder);
        Textual's notification says where."""
        return super().deliver_screenshot(filename, screenshot_folder(path), time_format)

    def unsaved_warning(self) -> str | None:
        pending = len(self.session.pending)
        if not pending:
            return None
        return (f"{pending} decision(s) are not saved yet (the disk refuses them). Free space or fix the folder;"
                " press ctrl+q again to quit without them.")
