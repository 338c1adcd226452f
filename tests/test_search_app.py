"""Search in the app (Pilot): / searches the open article as you type (enter next, shift+enter
previous, esc closes and gives the keys back), ctrl+f searches every article and jumps."""

from __future__ import annotations

import time

from textual.widgets import Input, OptionList

from annotator.app import AnnotatorApp
from annotator.storage import Database
from annotator.ui.search import ProjectSearch, SearchBar

SIZE = (120, 40)


def kuzmarov_sentences(db: Database, article: int) -> list[int]:
    art = db.get_article(db.article_infos()[article].id)
    return [i for i, s in enumerate(art.sentences) if "kuzmarov" in art.text[s.start:s.end].lower()]


async def test_slash_finds_as_you_type_and_steps_through_matches(sample_db: Database) -> None:
    want = kuzmarov_sentences(sample_db, 0)
    assert len(want) >= 3
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        bar = app.screen.query_one(SearchBar)
        assert bar.display and isinstance(app.focused, Input)
        await pilot.press(*"kuzmarov")
        assert app.session.cursor == want[0]
        count = str(bar.query_one("#search-count").render())
        assert count.startswith("1/")
        await pilot.press("enter")
        assert app.session.cursor == want[1]
        await pilot.press("shift+enter")
        assert app.session.cursor == want[0]
        await pilot.press("1")  # typed into the search, not a label
        assert app.session.labels[want[0]] is None and bar.query_text == "kuzmarov1"
        assert str(bar.query_one("#search-count").render()) == "no match"
        await pilot.press("escape")
        assert not bar.display
        await pilot.press("2")  # the keys are the labeling keys again
        assert app.session.labels[want[0]] is not None


async def test_ctrl_f_searches_every_article_and_jumps(sample_db: Database) -> None:
    want = kuzmarov_sentences(sample_db, 1)
    assert want
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ProjectSearch)
        await pilot.press(*"kuzmarov")
        for _ in range(200):
            await pilot.pause()
            if app.screen.results:  # type: ignore[attr-defined]
                break
            time.sleep(0.01)
        results = app.screen.results  # type: ignore[attr-defined]
        ids = [i.id for i in sample_db.article_infos()]
        assert {m.article_id for m in results} == set(ids)
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(results)
        second = next(k for k, m in enumerate(results) if m.article_id == ids[1])
        await pilot.press("enter")  # to the results
        for _ in range(second):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ProjectSearch)
        assert app.session.article_index == 1 and app.session.cursor == results[second].sentence


async def test_escape_closes_the_project_search_with_nothing_changed(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f", *"zzz", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProjectSearch) and app.session.article_index == 0


async def test_jumps_to_the_next_unlabeled_and_the_next_flagged(sample_db: Database) -> None:
    aid = sample_db.article_infos()[0].id
    s = sample_db.get_article(aid).sentences
    for k in (3, 7):
        sample_db.set_flag(aid, s[k].start, s[k].end, "ana", True)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "1", "1", "home")  # sentences 0-2 labeled, cursor back on 0
        assert app.session.cursor == 0
        await pilot.press("greater_than_sign")
        assert app.session.cursor == 3
        await pilot.press("home", "F")
        assert app.session.cursor == 3
        await pilot.press("F")
        assert app.session.cursor == 7
        await pilot.press("F")
        assert app.session.cursor == 3  # round to the first


async def test_matches_are_marked_in_the_text_until_the_search_closes(sample_db: Database) -> None:
    from annotator.ui.article_view import ArticleView

    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ArticleView)
        await pilot.press("slash", *"kuzmarov")
        await pilot.pause()
        art = app.session.article
        assert art is not None
        want = [(a, b) for a, b in [(m.start, m.end) for m in app.screen._matches]]  # type: ignore[attr-defined]
        assert view._found == want and all(art.text[a:b] == "Kuzmarov" for a, b in want)
        found_style = view.get_component_rich_style("article-view--found", partial=True)
        marked = []
        for y in range(len(view._layout.lines)):
            strip = view._content_line(y, 100)
            marked += [seg.text for seg in strip if seg.style is not None and seg.style.bgcolor == found_style.bgcolor
                       and seg.text.strip()]
        assert marked and all(t == "Kuzmarov" for t in marked)
        await pilot.press("escape")
        assert view._found == []


async def test_toasts_stay_off_the_search_bar(sample_db: Database) -> None:
    from textual.widgets._toast import Toast  # (only to find where the toasts sit)

    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("slash", *"kuzmarov")
        app.notify("a toast " * 6, timeout=30)
        await pilot.pause(0.2)
        bar = app.screen.query_one(SearchBar).region
        toasts = list(app.screen.walk_children(Toast))
        assert toasts and all(t.region.bottom <= bar.y for t in toasts)  # above the bar, not over it
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.has_class("-searching")
