"""The layout by the terminal's size (issue 14): the list narrows, folds away, grows; the
text never loses a word; the toggle key; finishing an article moves on."""

from __future__ import annotations

import pytest

from annotator.app import AnnotatorApp, LabelScreen
from annotator.storage import Database
from annotator.ui.article_view import ArticleView

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
