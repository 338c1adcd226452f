"""The layout by the terminal's size (issue 14): the list narrows, folds away, grows; the
text never loses a word; the toggle key; finishing an article moves on."""

from __future__ import annotations

import pytest

from annotator.app import AnnotatorApp, LabelScreen
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from textual.widgets import Static
from textual.widgets._toast import Toast

ANNOTATOR = "ana"


def screen(app: AnnotatorApp) -> LabelScreen:
    s = app.screen
    assert isinstance(s, LabelScreen)
    return s


def words_whole(app: AnnotatorApp) -> None:
    """Every display line of the article as shown holds whole words (or a piece of a word
    wider than the line), and fits the text's columns."""
    v = app.screen.query_one(ArticleView)
    text = v._text
    width = v.wrap_width
    assert width <= v.scrollable_content_region.width - v._gutter_width
    for y in range(min(len(v._layout.lines), 200)):
        sid, s, e = v._layout.lines[y]
        if sid < 0:
            continue
        assert len(text[s:e].rstrip()) <= width
        if e < len(text) and s < e and not text[e - 1].isspace() and not text[e].isspace():
            # a cut inside a word: only a word wider than the line
            start = text.rfind(" ", 0, e) + 1
            stop = min((i for i in (text.find(" ", e), len(text)) if i >= 0))
            assert stop - start > width, text[start:stop]


@pytest.mark.parametrize(("size", "list_width"), [((40, 10), 0), ((60, 15), 0), ((80, 24), 24), ((120, 40), 34),
                                                  ((200, 60), None)])
async def test_the_list_narrows_folds_and_grows_and_no_word_is_cut(sample_db: Database, size: tuple[int, int],
                                                                   list_width: int | None) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        articles = screen(app).article_list
        if list_width == 0:
            assert not articles.display
        elif list_width is None:
            assert articles.display and 34 < articles.outer_size.width <= 60
        else:
            assert articles.display and articles.outer_size.width == list_width
        v = app.screen.query_one(ArticleView)
        assert v.wrap_width >= 1 and v.scrollable_content_region.width - v._gutter_width == v.wrap_width
        words_whole(app)


async def test_backslash_shows_and_hides_the_list(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(60, 15)) as pilot:
        await pilot.pause()
        s = screen(app)
        v = app.screen.query_one(ArticleView)
        narrow = v.wrap_width
        assert not s.article_list.display
        await pilot.press("backslash")
        await pilot.pause()
        assert s.article_list.display and v.wrap_width < narrow
        words_whole(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert s.article_list.display  # the reviewer's choice holds across a resize
        await pilot.press("backslash")
        await pilot.pause()
        assert not s.article_list.display and v.wrap_width > narrow
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert not s.article_list.display
        await pilot.press("backslash")
        await pilot.pause()
        assert s.article_list.display and s.article_list.outer_size.width > 34


N0, N1 = 19, 22  # sentences in the two sample articles


def messages(app: AnnotatorApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_finishing_an_article_moves_on_and_the_last_says_all_are_done(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        s = screen(app)
        await pilot.press(*["1"] * N0)
        await pilot.pause()
        assert app.session.article_index == 1 and app.session.cursor == 0
        assert "Article done. Now 2/2." in messages(app)
        assert s.article_list.highlighted == 1
        await pilot.press(*["2"] * N1)
        await pilot.pause()
        assert app.session.article_index == 1  # nowhere left to go
        assert messages(app)[-1] == "All 2 articles are done."
        assert app.session.articles_done == 2


async def test_auto_next_off_stays_and_says_how_to_go_on(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR, auto_next=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*["1"] * N0)
        await pilot.pause()
        assert app.session.article_index == 0 and app.session.cursor == N0 - 1
        assert messages(app)[-1] == "Article done. n: next article."


async def test_n_says_where_the_queue_ends_before_it_goes_past_it(sample_db: Database) -> None:
    """ana is dealt the second sample, budi the first: ana's queue is one article long."""
    a0, a1 = sample_db.article_infos()
    sample_db.set_assignments({a1.id: ("ana",), a0.id: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0.0})
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        s = app.session
        assert s.queue_size == 1 and s.infos[0].id == a1.id and s.article_index == 0
        await pilot.press("n")
        await pilot.pause()
        assert s.article_index == 0  # not yet: first it says so
        assert messages(app)[-1].startswith("That was the last of your 1 assigned articles.")
        await pilot.press("n")
        await pilot.pause()
        assert s.article_index == 1 and s.infos[1].id == a0.id


async def test_finishing_the_queue_goes_on_to_the_others_and_says_so(sample_db: Database) -> None:
    a0, a1 = sample_db.article_infos()
    sample_db.set_assignments({a1.id: ("ana",), a0.id: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0.0})
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*["1"] * N1)  # ana's one assigned article (the second sample)
        await pilot.pause()
        assert app.session.article_index == 1
        assert messages(app)[-1] == "Article done. Now 2/2 (not in your queue)."


async def test_toasts_never_cover_the_status_line(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.notify("A long message " * 8, timeout=30)
        app.notify("another", timeout=30)
        await pilot.pause(0.2)
        status = app.screen.query_one("#status").region
        hint = app.screen.query_one("#hint").region
        toasts = list(app.screen.walk_children(Toast))
        assert toasts
        for toast in toasts:
            assert not toast.region.overlaps(status) and not toast.region.overlaps(hint)
            assert toast.region.bottom <= hint.y


async def test_correcting_a_label_in_a_finished_article_stays_there(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("j", *["1"] * (N0 - 1))  # every sentence but the first; the cursor on the last
        await pilot.pause()
        assert app.session.article_index == 0
        await pilot.press("home", "2")  # the first: that finishes it, from its top
        await pilot.pause()
        assert app.session.article_index == 1 and "Article done. Now 2/2." in messages(app)
        await pilot.press("p", "end", "3")  # a correction in the finished article
        await pilot.pause()
        assert app.session.article_index == 0 and app.session.cursor == N0 - 1
        assert [lab.label for lab in sample_db.labels(sample_db.article_infos()[0].id, ANNOTATOR)][-1] == "background"


def test_the_status_line_drops_its_least_important_parts_first() -> None:
    from annotator.app import fit_parts

    parts = [(8, "3/19 labeled"), (7, "overall 3/41 (7%)"), (1, "0/2 articles done"), (3, "sentence 4/19"),
             (9, "ana"), (5, "your queue 0/1 done")]
    wide = fit_parts(parts, 200)
    assert wide == "3/19 labeled  ·  overall 3/41 (7%)  ·  0/2 articles done  ·  sentence 4/19  ·  ana  ·  your queue 0/1 done"
    assert fit_parts(parts, 78) == "3/19 labeled · overall 3/41 (7%) · sentence 4/19 · ana · your queue 0/1 done"
    assert fit_parts(parts, 60) == "3/19 labeled · overall 3/41 (7%) · ana · your queue 0/1 done"
    assert fit_parts(parts, 59) == "3/19 labeled  ·  overall 3/41 (7%)  ·  ana"
    assert fit_parts(parts, 38) == "3/19 labeled · overall 3/41 (7%) · ana"
    assert fit_parts(parts, 20) == "3/19 labeled  ·  ana"
    assert fit_parts(parts, 18) == "3/19 labeled · ana"
    assert fit_parts(parts, 3) == "ana"
    for width in range(3, 120):
        line = fit_parts(parts, width)
        assert len(line) <= width and "ana" in line


async def test_the_reviewer_and_the_counts_show_at_80_columns(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "a-long-reviewer-name")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        assert status.startswith("0/19 labeled") and "overall 0/41" in status and status.endswith("a-long-reviewer-name")
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        assert "a-long-reviewer-name" in status and len(status) <= 38
