"""``annotator review``: the adjudication queue, one disputed sentence at a time in its article.

The screen shows the article with the cursor on the disputed sentence, each reviewer's
label for it and the final label if one was chosen.  A final label chosen on votes that
changed since is back in the queue, shown as changed (``ana claim→quote``).  A label key
makes it the final label (saved at once) and moves on to the next open dispute.  All the
rules live in ``annotator.review_session``; this module only shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static

from annotator.errors import AnnotatorError
from annotator.importer import display_title
from annotator.review_session import REASON_MAX, Item, ReviewSession, Unsaved
from annotator.session import OTHERS_SECONDS
from annotator.model import SKIP
from annotator.sanitize import sanitize_line
from annotator.ui.article_view import LABEL_STYLES, ArticleView
from annotator.ui.help import HelpScreen, rows_from_bindings
from annotator.ui.keys import GuardedQuitApp, with_label_keys
from annotator.ui.kept import screenshot_folder, start_theme

if TYPE_CHECKING:
    from annotator.model import Decision, Note
    from annotator.settings import UserSettings
    from annotator.storage import Database

NAME_CELLS = 24  # reviewer names are padded to the longest, up to this many cells
REASON_CELLS = 300  # a reason is cut to this many characters on the panel (the modal shows it whole)
NOTE_CELLS = 300  # a reviewer's note, likewise

# The theme variables the article view colours labels with (by position in the scheme), so
# a label name on the panel has the colour of the same label in the text.  Dark themes use
# the plain hues, light ones the $text-* variants made readable on a light background.
_DARK = ("$warning", "$success", "$primary", "$text-error", "$text-secondary", "$text-accent")
_LIGHT = ("$text-warning", "$text-success", "$text-primary", "$text-error", "$text-secondary", "$text-accent")

NO_DISPUTES_TITLE = "No disputes to review"


def all_decided_message(total: int) -> str:
    return f"All {total} disputes decided; export with `annotator export --gold`"


class ReasonScreen(ModalScreen[str | None]):
    """A one-line reason for a final label: enter keeps it, escape leaves everything as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="reason.cancel", tooltip="Close without changing the reason")]

    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    ReasonScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    ReasonScreen .reason-title { text-style: bold; margin-bottom: 1; }
    ReasonScreen .reason-hint { color: $foreground-muted; margin-top: 1; }
    """

    def __init__(self, heading: str, value: str) -> None:
        super().__init__()
        self.heading = heading
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.heading), classes="reason-title")
            yield Input(self.value, placeholder="why this label (optional)", max_length=REASON_MAX, id="reason")
            yield Static(Content("enter saves · escape cancels · an empty reason clears it"), classes="reason-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewScreen(Screen[None]):
    BINDINGS = [
        Binding("u,ctrl+z", "undo", "Undo", id="undo", tooltip="Undo the last final label and go back to it"),
        Binding("U,ctrl+y", "redo", "Redo", id="redo", show=False, tooltip="Choose again the final label last undone"),
        Binding("r", "reason", "Reason", id="review.reason", tooltip="Note a reason for the final label"),
        Binding("0", "decide('skip')", "Skip", id="label.skip", show=False,
                tooltip="Final label skip: not applicable (left out of the gold dataset)"),
        Binding("j,down", "move(1)", "Next", id="cursor.down", tooltip="Next dispute"),
        Binding("k,up", "move(-1)", "Prev", id="cursor.up", tooltip="Previous dispute"),
        Binding("n", "next_open", "Next open", id="review.next_open",
                tooltip="Next dispute still to decide"),
        Binding("pagedown", "scroll_article(1)", "Scroll down", show=False, id="article.page_down",
                tooltip="Scroll the article one screen down"),
        Binding("pageup", "scroll_article(-1)", "Scroll up", show=False, id="article.page_up",
                tooltip="Scroll the article one screen up"),
        Binding("question_mark", "help", "Help", id="help", key_display="?", tooltip="Show all keys"),
    ]

    DEFAULT_CSS = """
    ReviewScreen #review-header { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    ReviewScreen #article-title { height: 1; padding: 0 1; background: $panel; color: $foreground-muted; }
    ReviewScreen #votes {
        height: auto; max-height: 14; padding: 0 1; background: $panel;
        border-top: solid $foreground 20%;
    }
    ReviewScreen #empty { padding: 2 4; color: $foreground-muted; display: none; height: 1fr; }
    """

    def __init__(self, session: ReviewSession) -> None:
        super().__init__()
        self.session = session
        self._article_index = -1  # the article the view shows
        self._title = ""  # its title, made safe to show

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="review-header")
            yield Static("", id="article-title")
            yield ArticleView(self.session.scheme, id="article")
            yield Static("", id="votes")
            yield Static("", id="empty")
        yield Footer()

    @property
    def view(self) -> ArticleView:
        return self.query_one(ArticleView)

    def on_mount(self) -> None:
        s = self.session
        self.set_interval(OTHERS_SECONDS, self.take_in_others)
        self.view.focus()
        self.app.theme_changed_signal.subscribe(self, lambda _: self._update_panel())
        if not s.items:
            self.query_one("#review-header", Static).update(Content(f"Review: {NO_DISPUTES_TITLE.lower()}"))
            self.query_one("#article-title", Static).display = False
            self.view.display = False
            self.query_one("#votes").display = False
            empty = self.query_one("#empty", Static)
            empty.update(Content(s.empty_reason()))
            empty.display = True
            return
        self._show_cursor(center=True)
        if s.left == 0:
            self.notify(all_decided_message(s.total), timeout=6, markup=False)

    def take_in_others(self) -> None:
        """The reviewers' labels saved meanwhile: the queue and the article shown, as they are now."""
        s = self.session
        had = bool(s.items)
        try:
            if not s.take_in_others():
                return
        except AnnotatorError:
            return  # a damaged file: opening that article says so
        if s.items and not had:
            self.query_one("#article-title", Static).display = True
            self.view.display = True
            self.query_one("#votes").display = True
            self.query_one("#empty").display = False
        if not s.items:
            self._update_header()
            return
        self._article_index = -1  # its labels, or its sentences, may have changed: show it again
        self._show_cursor(center=False)

    # -- showing state --------------------------------------------------------------
    def _show_cursor(self, *, center: bool = True) -> None:
        """Bring the cursor's dispute into view (opening its article if needed) and redraw around it."""
        s = self.session
        item = s.current
        if item is None:
            return
        if item.article_index != self._article_index:
            try:
                self._open_article(item)
            except AnnotatorError as exc:  # a damaged article file: say so, keep the screen as it was
                self._report(exc)
        else:
            self.view.set_cursor(item.sentence, center=center)
        self._update_header()
        self._update_panel()

    def _open_article(self, item: Item) -> None:
        s = self.session
        article = s.db.get_article(item.article_id)
        labels: list[str | None] = [None] * len(article.sentences)
        pending: set[int] = set()
        for i, it in s.in_article(item.article_index):
            labels[it.sentence], waiting = self._shown_final(i, it)
            if waiting:
                pending.add(it.sentence)
        self.view.show_article(article.text, article.sentences, labels, item.sentence, pending=pending)
        self._article_index = item.article_index
        self._title = sanitize_line(display_title(article.title, article.text, 200))

    def _shown_final(self, index: int, item: Item) -> tuple[str | None, bool]:
        """What the view's gutter shows for a dispute: its final label, or a refused choice (pending)."""
        unsaved = self.session.unsaved
        if unsaved is not None and unsaved.index == index:
            return unsaved.label, True
        return (item.decision.label if item.decision is not None else None), False

    def _redraw_item(self, index: int) -> None:
        item = self.session.items[index]
        if item.article_index == self._article_index:
            label, waiting = self._shown_final(index, item)
            self.view.set_label(item.sentence, label, pending=waiting)

    def _redraw_unsaved(self, before: Unsaved | None) -> None:
        """A refused choice shown on another sentence went away (saved over, dropped): redraw it."""
        if before is not None and before != self.session.unsaved:
            self._redraw_item(before.index)

    def _update_header(self) -> None:
        s = self.session
        text = f"Review: dispute {s.cursor + 1} of {s.total}"
        _, stale, left = s.counts()
        if left:
            text += f" · {left} left"
            if stale:
                text += f" ({stale} with labels changed since decided)"
        else:
            text += " · " + all_decided_message(s.total)
        text += f" · reviewing as {sanitize_line(s.reviewer)}"
        self.query_one("#review-header", Static).update(Content(text))
        item = s.current
        if item is not None:
            where = f"article {item.article_index + 1}/{len(s.infos)}, sentence {item.sentence + 1}:  "
            self.query_one("#article-title", Static).update(Content(where) + Content(self._title))

    def _label_style(self, label_id: str) -> str:
        scheme = self.session.scheme
        d = scheme.get(label_id)
        if d is None:
            return "italic" if label_id == SKIP else ""
        if d.color:
            return f"bold {d.color}"
        hues = _DARK if self.app.current_theme.dark else _LIGHT
        return f"bold {hues[scheme.live.index(d) % LABEL_STYLES]}"

    def _label(self, label_id: str) -> Content:
        """A stored label as the scheme names it now, in its colour."""
        return Content.styled(sanitize_line(self.session.scheme.name_of(label_id)), self._label_style(label_id))

    def _update_panel(self) -> None:
        s = self.session
        item = s.current
        if item is None:
            return
        try:
            notes = s.notes_of(item)
        except AnnotatorError:
            notes = {}  # its labels file is damaged: the votes came from it before; say nothing more
        names = [sanitize_line(a) for a, _ in item.votes]
        width = min(max((cell_len(sanitize_line(n)) for n in (*names, *notes)), default=4), NAME_CELLS)
        rows: list[Content] = []
        for name, (who, label) in zip(names, item.votes):
            if cell_len(name) > width:
                name = set_cell_size(name, width - 1) + "…"
            rows.append(Content.assemble(Content(set_cell_size(name, width) + "  "), self._label(label),
                                         *self._note_parts(notes.get(who))))
        for who, n in sorted(notes.items()):
            if who not in {a for a, _ in item.votes}:  # a note or flag with no label (yet)
                shown = sanitize_line(who)
                shown = shown if cell_len(shown) <= width else set_cell_size(shown, width - 1) + "…"
                rows.append(Content.assemble(Content(set_cell_size(shown, width) + "  "),
                                             ("(no label)", "$foreground-muted"), *self._note_parts(n)))
        rows.append(self._final_line(item))
        if item.stale:
            rows.append(self._changed_line(item))
        draft = item.draft
        if draft is not None:
            shown = sanitize_line(draft[:REASON_CELLS]) if draft else "(none)"
            rows.append(Content.assemble(
                ("reason noted: ", "$foreground-muted"), Content(shown),
                ("  (saved with the label you choose)", "$foreground-muted")))
        if s.unsaved is not None and s.unsaved.index == s.cursor:
            rows.append(Content.assemble(
                ("⚠ not saved: ", "bold $text-error"), self._label(s.unsaved.label),
                (" (the disk refused it; press its key again to retry, u to drop it)", "$text-error")))
        self.query_one("#votes", Static).update(Content("\n").join(rows))

    def _note_parts(self, note: Note | None) -> list[Content | tuple[str, str]]:
        """A reviewer's flag and note after their label: marked, shown as text (never markup)."""
        if note is None or note.empty:
            return []
        parts: list[Content | tuple[str, str]] = []
        if note.flag:
            parts.append(("  ⚑ unsure", "bold $text-warning"))
        if note.note:
            shown = note.note if len(note.note) <= NOTE_CELLS else note.note[: NOTE_CELLS - 1] + "…"
            parts += [("  ✎ ", "bold $text-warning"), Content(sanitize_line(shown))]
        return parts

    def _final_line(self, item: Item) -> Content:
        d: Decision | None = item.decision
        if d is None:
            scheme = self.session.scheme
            keys = sanitize_line(" · ".join(f"{'/'.join(scheme.keys_of(ld))} {ld.name}" for ld in scheme.live
                                            if scheme.keys_of(ld)))
            return Content.assemble(("final: ", "bold"), ("undecided", "$foreground-muted"),
                                    (f"  (choose: {keys})", "$foreground-muted"))
        parts: list[Content | tuple[str, str] | str] = [("final: ", "bold"), self._label(d.label),
                                                        f" by {sanitize_line(d.by)}"]
        if d.reason:
            parts += [" — ", Content(sanitize_line(d.reason[:REASON_CELLS]))]
        return Content.assemble(*parts)

    def _changed_line(self, item: Item) -> Content:
        """Why a decided sentence is back: each reviewer's label then → now (``ana claim→quote``)."""
        warn = "$text-warning"
        parts: list[Content | tuple[str, str] | str] = [("⚠ changed since decided: ", f"bold {warn}")]
        for n, change in enumerate(item.changes):
            if n:
                parts.append(", ")
            parts += [sanitize_line(change.annotator), " ", self._vote(change.then), "→", self._vote(change.now)]
        if not item.changes:  # the same votes twice over, say: nothing to name
            parts.append("the reviewers' labels")
        if len(item.votes) < 2:
            parts.append((f"; {'one reviewer' if item.votes else 'no reviewer'} left", warn))
        elif not item.disputed:
            parts.append(("; the reviewers now agree", warn))
        parts.append(("; choose again to confirm", warn))
        return Content.assemble(*parts)

    def _vote(self, label: str | None) -> Content:
        return self._label(label) if label is not None else Content.styled("(none)", "$foreground-muted")

    def _report(self, exc: AnnotatorError) -> None:
        self.notify(sanitize_line(exc.message), title=exc.title, severity="error", timeout=10, markup=False)

    def _has_items(self) -> bool:
        return bool(self.session.items)

    # -- actions --------------------------------------------------------------------
    def action_decide(self, name: str) -> None:
        if not self._has_items():
            return
        s = self.session
        index, left_before, unsaved = s.cursor, s.left, s.unsaved
        try:
            outcome = s.decide(name)
        except AnnotatorError as exc:
            self._report(exc)
            return
        self._redraw_item(index)
        self._redraw_unsaved(unsaved)
        if outcome == "failed":
            err = s.save_error
            message = sanitize_line(err.message) if err is not None else "the disk refused it"
            self.notify(f"{message}. Your choice ({sanitize_line(name)}) is not saved: press its key again to retry.",
                        title=err.title if err is not None else "Not saved", severity="error", timeout=10,
                        markup=False)
            self._update_panel()
            return
        self._show_cursor(center=True)
        if s.left == 0 and left_before > 0:
            self.notify(all_decided_message(s.total), timeout=4, markup=False)

    def action_undo(self) -> None:
        self._step_back(undo=True)

    def action_redo(self) -> None:
        self._step_back(undo=False)

    def _step_back(self, *, undo: bool) -> None:
        if not self._has_items():
            return
        # A toast such as "All N disputes decided" is no longer true once a decision is undone.
        self.app.clear_notifications()
        s = self.session
        unsaved = s.unsaved
        try:
            result = s.undo() if undo else s.redo()
        except AnnotatorError as exc:
            self._report(exc)
            return
        if result.outcome == "nothing":
            self.notify("Nothing to undo." if undo else "Nothing to redo.", timeout=2, markup=False)
            return
        if result.outcome == "failed":
            err = s.save_error
            if err is not None:
                self._report(err)
            return
        if result.outcome == "dropped":
            self._redraw_unsaved(unsaved)
            self.notify("Dropped the choice that was not saved.", timeout=3, markup=False)
        elif result.change is not None:
            self._redraw_item(result.change.index)
        self._show_cursor(center=True)

    def action_reason(self) -> None:
        s = self.session
        item = s.current
        if item is None:
            return
        current = item.noted if item.noted is not None else (item.decision.reason if item.decision else "")
        heading = f"Reason for the final label of dispute {s.cursor + 1} of {s.total}"
        index = s.cursor

        def noted(reason: str | None) -> None:
            if reason is None or not s.items:
                return
            s.goto(index)
            unsaved = s.unsaved
            try:
                outcome = s.note(reason)
            except AnnotatorError as exc:
                self._report(exc)
                return
            self._redraw_unsaved(unsaved)
            if outcome == "failed":
                err = s.save_error
                if err is not None:
                    self.notify(f"{sanitize_line(err.message)}. The reason is not saved: press r and enter to retry.",
                                title=err.title, severity="error", timeout=10, markup=False)
            # Saved or noted: the panel shows it (a toast would hide the panel).
            self._show_cursor(center=False)

        self.app.push_screen(ReasonScreen(heading, current), noted)

    def action_move(self, delta: int) -> None:
        if not self._has_items():
            return
        if self.session.move(delta):
            self._show_cursor(center=True)
        else:
            where = "last" if delta > 0 else "first"
            self.notify(f"This is the {where} dispute.", timeout=2, markup=False)

    def action_next_open(self) -> None:
        s = self.session
        if not s.items:
            return
        nxt = s.next_open(s.cursor)
        if nxt is None:
            self.notify(all_decided_message(s.total), timeout=4, markup=False)
            return
        if nxt == s.cursor:
            self.notify("This is the only dispute left.", timeout=2, markup=False)
        s.goto(nxt)
        self._show_cursor(center=True)

    def action_scroll_article(self, direction: int) -> None:
        if not self._has_items():
            return
        if direction > 0:
            self.view.scroll_page_down(animate=False)
        else:
            self.view.scroll_page_up(animate=False)

    def action_help(self) -> None:
        rows = rows_from_bindings([b.binding for b in self.active_bindings.values()], self.app.get_key_display)
        intro = ("Choose the final label of each sentence where reviewers disagree; a label key saves at once "
                 "and moves to the next open dispute. To give a reason, press r before the label key "
                 "(or come back with k). Click a disputed sentence to go to it.")
        self.app.push_screen(HelpScreen(rows, intro))

    def on_article_view_sentence_clicked(self, message: ArticleView.SentenceClicked) -> None:
        s = self.session
        for i, it in s.in_article(self._article_index):
            if it.sentence == message.index:
                s.goto(i)
                self._show_cursor(center=False)
                return
        self.notify("Reviewers agree on that sentence (or only one labeled it): nothing to decide.",
                    timeout=3, markup=False)


class ReviewApp(GuardedQuitApp):
    TITLE = "annotator review"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit (every final label is already saved)")]

    def __init__(self, db: Database, reviewer: str, *, theme: str | None = None,
                 user_settings: UserSettings | None = None) -> None:
        """``theme``: the one to start with; with ``user_settings``, a theme picked is kept there,
        and what is wrong with the settings file is one notification."""
        super().__init__()
        self.session = ReviewSession(db, reviewer)
        self._start_theme = theme
        self.user_settings = user_settings

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        return super().deliver_screenshot(filename, screenshot_folder(path), time_format)

    def on_mount(self) -> None:
        start_theme(self, self._start_theme, self.user_settings)
        for line in self.user_settings.problems if self.user_settings is not None else []:
            self.notify(sanitize_line(line), severity="error", timeout=8, markup=False)
        # The label keys first, so the footer starts with them; screen keys still win a clash.
        self.push_screen(with_label_keys(ReviewScreen, self.session.scheme, "decide",
                                         "Final label {name}, then the next open dispute", first=True)(self.session))

    def unsaved_warning(self) -> str | None:
        if self.session.unsaved is None:
            return None
        return ("Your last choice is not saved (the disk refused it). Press its key again to retry;"
                " press ctrl+q again to quit without it.")
