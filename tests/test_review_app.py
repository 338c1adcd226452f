"""`annotator review`, driven through Textual's Pilot: what the reviewer sees and what is stored."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.widgets._toast import Toast

from annotator.errors import SaveError
from annotator.model import Decision, now_iso
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from annotator.ui.help import HelpScreen
from annotator.ui.review import ReasonScreen, ReviewApp, ReviewScreen
from conftest import run_cli
from test_review import decision, put

SIZE = (120, 40)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
HOSTILE = "[bold]x[/]\x1b[2J"
HOSTILE_SHOWN = "[bold]x[/]\u241b[2J"




def two_reviewers(db: Database, first: str = "ana", second: str = "budi") -> Database:
    """Agree on 0.0, 0.2, 0.4; disagree on 0.1 (claim/quote), 0.3 (background/claim), 1.5 (quote/background)."""
    for s, (a, b) in enumerate([("claim", "claim"), ("claim", "quote"), ("quote", "quote"),
                                ("background", "claim"), ("background", "background")]):
        put(db, 0, s, first, a)
        put(db, 0, s, second, b)
    put(db, 1, 5, first, "quote")
    put(db, 1, 5, second, "background")
    return db


@pytest.fixture
def disputed(sample_db: Database) -> Database:
    return two_reviewers(sample_db)


def screen(app: ReviewApp) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen), app.screen
    return app.screen


def text_of(app: ReviewApp, selector: str) -> str:
    return str(screen(app).query_one(selector, Static).content)


def view(app: ReviewApp) -> ArticleView:
    return screen(app).query_one(ArticleView)


def gutter(app: ReviewApp, sentence: int) -> str:
    """The label marker the article view draws on a sentence's first line."""
    v = view(app)
    line = v._layout.first_line[sentence] - int(v.scroll_offset.y)
    assert 0 <= line < v.scrollable_content_region.height, "sentence not in view"
    return "".join(seg.text for seg in v.render_line(line))[1:13].strip()


def screenshot_text(app: ReviewApp) -> str:
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    return "\n".join("".join(t for _, t in sorted(row)).replace("\xa0", " ") for _, row in sorted(rows.items()))


def toasts(app: ReviewApp) -> str:
    return "\n".join(str(t.render()) for t in app.screen.walk_children(Toast))


# ----------------------------------------------------------------------------- the flow


async def test_queue_shows_disputes_only_with_each_reviewers_label(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.session
        assert [(it.article_index, it.sentence) for it in s.items] == [(0, 1), (0, 3), (1, 5)]
        assert text_of(app, "#review-header").startswith("Review: dispute 1 of 3 · 3 left")
        assert "reviewing as citra" in text_of(app, "#review-header")
        assert text_of(app, "#article-title").startswith("article 1/2, sentence 2:  Anchorage (ANTARA)")
        votes = text_of(app, "#votes").splitlines()
        assert votes[0].split() == ["ana", "claim"] and votes[1].split() == ["budi", "quote"]
        assert votes[2].startswith("final: undecided")
        assert view(app).cursor == 1
        assert gutter(app, 1) == ""  # nothing decided yet


async def test_keys_choose_the_final_label_store_who_and_move_on(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        assert view(app).cursor == 3  # the next dispute, same article
        assert gutter(app, 1) == "quote"
        assert text_of(app, "#review-header").startswith("Review: dispute 2 of 3 · 2 left")
        await pilot.press("b")
        # Next dispute is in the other article: it is opened, cursor on the sentence.
        assert text_of(app, "#article-title").startswith("article 2/2, sentence 6:")
        assert view(app).cursor == 5
        votes = text_of(app, "#votes").splitlines()
        assert votes[0].split() == ["ana", "quote"] and votes[1].split() == ["budi", "background"]
        await pilot.press("k")
        assert view(app).cursor == 3
        assert "final: background by citra" in text_of(app, "#votes")
    d = decision(disputed, 0, 1)
    assert d is not None
    assert (d.label, d.by, d.reason, d.votes) == ("quote", "citra", "", (("ana", "claim"), ("budi", "quote")))
    assert ISO.fullmatch(d.updated_at)
    d = decision(disputed, 0, 3)
    assert d is not None and (d.label, d.by) == ("background", "citra")
    assert d.votes == (("ana", "background"), ("budi", "claim"))
    assert decision(disputed, 1, 5) is None
    for unanimous in (0, 2, 4):
        assert decision(disputed, 0, unanimous) is None


async def test_all_decided_says_how_to_export(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("1", "1", "3")
        await pilot.pause()
        assert app.session.left == 0
        message = "All 3 disputes decided; export with `annotator export --gold`"
        assert message in text_of(app, "#review-header")
        assert message in toasts(app)
        await pilot.press("n")  # nothing open: says so, stays
        assert app.is_running and view(app).cursor == 5
    # Opening again: the queue is still there to look at, and says it is done.
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE):
        assert "All 3 disputes decided" in text_of(app, "#review-header")


async def test_undo_and_ctrl_z_take_back_and_return(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("1", "2", "3")
        assert view(app).cursor == 5
        await pilot.press("u")
        assert text_of(app, "#article-title").startswith("article 2/2, sentence 6:")
        assert decision(disputed, 1, 5) is None
        await pilot.press("ctrl+z")
        assert text_of(app, "#article-title").startswith("article 1/2, sentence 4:")
        assert view(app).cursor == 3 and gutter(app, 3) == ""
        assert decision(disputed, 0, 3) is None
        assert "final: undecided" in text_of(app, "#votes")
        await pilot.press("u", "u")
        assert decision(disputed, 0, 1) is None
        assert "Nothing to undo" in toasts(app)
        assert text_of(app, "#review-header").startswith("Review: dispute 1 of 3 · 3 left")


async def test_reason_modal_saves_with_enter_and_cancels_with_escape(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        # Noted before choosing: saved with the label.
        await pilot.press("r")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"named speaker")
        await pilot.press("enter")
        assert isinstance(app.screen, ReviewScreen)
        assert "reason noted: named speaker" in text_of(app, "#votes")
        assert decision(disputed, 0, 1) is None
        await pilot.press("2")
        d = decision(disputed, 0, 1)
        assert d is not None and (d.label, d.reason, d.by) == ("quote", "named speaker", "citra")
        # Escape changes nothing; label keys typed in the box are text, not choices.
        await pilot.press("k", "r")
        assert app.screen.query_one(Input).value == "named speaker"
        await pilot.press("end", *" 1 2", "escape")
        assert isinstance(app.screen, ReviewScreen)
        assert decision(disputed, 0, 1) == d
        assert "final: quote by citra — named speaker" in text_of(app, "#votes")
        # On a decided sentence enter saves at once; undo takes it back.
        await pilot.press("r", "ctrl+u", *"[b]attribution[/b]", "enter")
        assert decision(disputed, 0, 1).reason == "[b]attribution[/b]"  # type: ignore[union-attr]
        assert "final: quote by citra — [b]attribution[/b]" in text_of(app, "#votes")
        await pilot.press("u")
        back = decision(disputed, 0, 1)
        assert back is not None and (back.label, back.reason, back.by, back.votes) == (d.label, d.reason, d.by, d.votes)


async def test_navigation_and_next_open(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("k")
        assert "first dispute" in toasts(app)
        await pilot.press("j", "down")
        assert app.session.cursor == 2 and view(app).cursor == 5
        await pilot.press("j")
        assert "last dispute" in toasts(app)
        await pilot.press("up")
        assert app.session.cursor == 1 and view(app).cursor == 3
        await pilot.press("3")  # decide 0.3: moves to the next open, 1.5
        assert app.session.cursor == 2
        await pilot.press("n")  # next open wraps to 0.1
        assert app.session.cursor == 0 and view(app).cursor == 1
        await pilot.press("pagedown", "pageup")
        assert app.is_running


async def test_click_on_a_disputed_sentence_goes_to_it(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        v = view(app)
        for sentence, expect in ((3, 1), (2, 1)):
            y = v._layout.first_line[sentence] - int(v.scroll_offset.y)
            assert await pilot.click(ArticleView, offset=(20, y))
            await pilot.pause()
            assert app.session.cursor == expect
        assert "nothing to decide" in toasts(app)


async def test_help_lists_the_review_keys(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = "\n".join(str(w.content) for w in app.screen.query(Static)).splitlines()
        assert any(r.startswith("1/c") and "final label claim" in r.lower() for r in rows)
        assert any(r.startswith("2/q") for r in rows) and any(r.startswith("3/b") for r in rows)
        assert any(r.startswith("u ctrl+z") or r.startswith("u ^z") for r in rows), rows
        assert any(r.startswith("r ") and "reason" in r.lower() for r in rows)
        assert any("Quit" in r for r in rows)
        await pilot.press("1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)
    assert decision(disputed, 0, 1) is None


async def test_ctrl_q_quits(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running


# ----------------------------------------------------------------------------- refusals


def refuse(*_: object) -> None:
    raise SaveError("could not save /home/[/]ana/labels.json: disk full")


async def test_a_refused_save_is_reported_shown_and_retried(disputed: Database,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monkeypatch.setattr(disputed, "set_decision", refuse)
        await pilot.press("2")
        await pilot.pause()
        assert app.is_running
        assert "[/]ana" in toasts(app) and "not saved" in toasts(app)
        assert view(app).cursor == 1  # not moved on
        assert gutter(app, 1).startswith("quote?")  # shown as waiting, in words
        assert "not saved: quote" in text_of(app, "#votes")
        assert text_of(app, "#review-header").startswith("Review: dispute 1 of 3 · 3 left")
        # Quitting with a refused choice asks first.
        await pilot.press("ctrl+q")
        assert app.is_running
        monkeypatch.undo()
        await pilot.press("2")
        assert view(app).cursor == 3
        assert gutter(app, 1) == "quote"
        assert "not saved" not in text_of(app, "#votes")
    d = decision(disputed, 0, 1)
    assert d is not None and d.label == "quote"


async def test_a_refused_choice_stays_marked_until_dropped(disputed: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monkeypatch.setattr(disputed, "set_decision", refuse)
        await pilot.press("2")
        monkeypatch.undo()
        await pilot.press("j", "1")  # dispute 0.3 saved; the refused one on 0.1 is still shown
        assert decision(disputed, 0, 3) is not None
        await pilot.press("k", "k")
        assert view(app).cursor == 1
        assert gutter(app, 1).startswith("quote?")
        assert "not saved: quote" in text_of(app, "#votes")
        await pilot.press("u")
        assert "Dropped the choice" in toasts(app)
        assert gutter(app, 1) == "" and "not saved" not in text_of(app, "#votes")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running
    assert decision(disputed, 0, 1) is None


async def test_label_colours_follow_the_theme(disputed: Database) -> None:
    app = ReviewApp(disputed, "citra")
    async with app.run_test(size=SIZE) as pilot:
        votes = screen(app).query_one("#votes", Static)
        assert [sp.style for sp in votes.content.spans][:2] == ["bold $warning", "bold $success"]
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert [sp.style for sp in votes.content.spans][:2] == ["bold $text-warning", "bold $text-success"]


# ----------------------------------------------------------------------------- hostile text


async def test_hostile_names_and_reasons_are_shown_literally(sample_db: Database) -> None:
    db = two_reviewers(sample_db, first=HOSTILE, second="[@click=app.quit]budi")
    info = db.article_infos()[0]
    span = db.get_article(info.id).sentences[3]
    db.set_decision(Decision(info.id, span.start, span.end, "claim", "[red]z\x07", "[/]\x9b31m why",
                             now_iso(), (("x", "claim"),)))
    app = ReviewApp(db, "[i]citra\x1b]0;t\x07")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        votes = text_of(app, "#votes")
        assert HOSTILE_SHOWN in votes and "[@click=app.quit]budi" in votes
        assert "[i]citra\u241b]0;t\u2407" in text_of(app, "#review-header")
        await pilot.press("j")
        votes = text_of(app, "#votes")
        assert "final: claim by [red]z\u2407 — [/]\ufffd31m why" in votes
        assert "changed since decided: " in votes and "x claim→(none)" in votes
        assert "[@click=app.quit]budi (none)→claim" in votes and f"{HOSTILE_SHOWN} (none)→background" in votes
        shot = screenshot_text(app)
        assert HOSTILE_SHOWN in shot
        assert not re.search("[\x00-\x1f\x7f-\x9f]", shot.replace("\n", ""))
        await pilot.press("1", "u", "r", "enter", "question_mark", "escape")
        assert app.is_running
    assert app._exception is None


# ----------------------------------------------------------------------------- empty queue


async def test_no_reviewers_yet_says_how_to_get_there(sample_db: Database) -> None:
    put(sample_db, 0, 0, "ana", "claim")
    app = ReviewApp(sample_db, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shot = screenshot_text(app)
        assert "Review: no disputes to review" in shot
        assert "Only ana has labeled anything yet" in shot
        assert "annotator assign" in shot
        await pilot.press("1", "c", "u", "r", "j", "k", "n", "pagedown")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.click(ArticleView, offset=(5, 5))
        assert app.is_running


async def test_unanimous_reviewers_mean_no_disputes(sample_db: Database) -> None:
    put(sample_db, 0, 0, "ana", "claim")
    put(sample_db, 0, 0, "budi", "claim")
    app = ReviewApp(sample_db, "citra")
    async with app.run_test(size=SIZE):
        assert "No disputes: every sentence labeled by two or more reviewers agrees" in screenshot_text(app)


# ----------------------------------------------------------------------------- snapshot


def test_review_screen_snapshot(snap_compare, disputed: Database) -> None:
    """Dispute 2 of 3 after choosing quote on the first, with a reason noted."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("2", "r", *"numbers are checkable", "enter")
        await pilot.pause()

    assert snap_compare(ReviewApp(disputed, "citra"), terminal_size=SIZE, run_before=run_before)


# ----------------------------------------------------------------------------- command line


run = run_cli


def test_cli_review_needs_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "review", "--db", str(tmp_path / "none.json"))
    assert code == 3 and "no database here" in err and "Traceback" not in err
    assert not (tmp_path / "none.json").exists()


def test_cli_review_refuses_the_same_lead_twice(capsys: pytest.CaptureFixture[str], disputed: Database) -> None:
    # (others may write meanwhile: disputed is open; the same lead's second review is refused)
    with Database.open(disputed.path, reviewer="citra", role="review"):
        code, _, err = run(capsys, "review", "--db", str(disputed.path), "--annotator", "citra")
    assert code == 4 and "in use" in err and "citra is already reviewing" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_review_opens_the_app_writable(capsys: pytest.CaptureFixture[str], disputed: Database,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = disputed.path
    disputed.close()
    seen: dict[str, object] = {}

    def fake_run(self: ReviewApp) -> None:
        seen["reviewer"] = self.session.reviewer
        seen["readonly"] = self.session.db.readonly
        seen["disputes"] = self.session.total

    monkeypatch.setattr(ReviewApp, "run", fake_run)
    code, _, err = run(capsys, "review", "--db", str(path), "--annotator", "citra")
    assert code == 0, err
    assert seen == {"reviewer": "citra", "readonly": False, "disputes": 3}
