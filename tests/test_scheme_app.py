"""The apps follow the project's label scheme (Pilot): an added label's digit and letter keys
label with its id, a renamed label shows its new name, a label's own colour renders, and help
lists the keys the scheme gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.color import Color
from textual.widgets import Static

from annotator import schemes
from annotator.app import AnnotatorApp, LabelScreen
from annotator.importer import apply_import, plan_import
from annotator.model import SKIP, Label, LabelScheme, Span, now_iso
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from annotator.ui.help import HelpScreen
from annotator.ui.review import ReviewApp, ReviewScreen
from conftest import SAMPLES

SIZE = (120, 40)
N0 = 19  # sentences in the first sample article


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "annotations.json")
    try:
        apply_import(database, plan_import([SAMPLES]))
        yield database
    finally:
        database.close()


def change(db: Database, edit: LabelScheme) -> None:
    db.set_scheme(edit)


def spans_of(db: Database, article: int = 0) -> tuple[str, tuple[Span, ...]]:
    info = db.article_infos()[article]
    return info.id, db.get_article(info.id).sentences


def stored(db: Database, who: str = "ana", article: int = 0) -> dict[int, str]:
    """sentence index -> stored label id, from the database."""
    aid, spans = spans_of(db, article)
    index = {(s.start, s.end): i for i, s in enumerate(spans)}
    return {index[(x.start, x.end)]: x.label for x in db.labels(aid, who)}


def view(app: AnnotatorApp | ReviewApp) -> ArticleView:
    return app.screen.query_one(ArticleView)


def line_of(app: AnnotatorApp | ReviewApp, sentence: int) -> str:
    v = view(app)
    y = v._layout.first_line[sentence] - int(v.scroll_offset.y)
    assert 0 <= y < v.scrollable_content_region.height, "sentence not in view"
    return "".join(seg.text for seg in v.render_line(y))


def margin(app: AnnotatorApp | ReviewApp, sentence: int) -> str:
    """The label name the view draws in the margin of a sentence's first line."""
    v = view(app)
    return line_of(app, sentence)[1:1 + v._marker_width].strip()


def help_rows(app: AnnotatorApp | ReviewApp) -> list[str]:
    assert isinstance(app.screen, HelpScreen)
    return "\n".join(str(w.content) for w in app.screen.query(Static)).splitlines()


def status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


# ----------------------------------------------------------------------------- an added label


async def test_an_added_label_is_bound_to_its_digit_and_letter(db: Database) -> None:
    change(db, schemes.add(db.scheme, "opinion", key="o"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        assert stored(db) == {0: "opinion"}
        assert app.session.cursor == 1
        await pilot.press("o")
        assert stored(db) == {0: "opinion", 1: "opinion"}
        await pilot.press("1", "c", "0")
        assert stored(db) == {0: "opinion", 1: "opinion", 2: "claim", 3: "claim", 4: SKIP}
        assert [margin(app, i) for i in range(5)] == ["opinion", "opinion", "claim", "claim", "skip"]
        assert status(app).startswith(f"5/{N0} labeled")


async def test_the_keys_follow_the_scheme_of_each_app_opened(db: Database) -> None:
    """The label keys are made per scheme: an app opened after a change has the new keys, and
    one opened before keeps its own."""
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "o")  # no such label yet: nothing
        assert stored(db) == {}
    change(db, schemes.add(db.scheme, "opinion", key="o", position=1))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "4", "o")
        assert stored(db) == {0: "opinion", 1: "claim", 2: "background", 3: "opinion"}


async def test_a_removed_label_loses_its_keys_and_the_digits_close_up(db: Database) -> None:
    change(db, schemes.remove(db.scheme, "quote"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q", "3")  # quote's letter and the third digit: no label any more
        assert stored(db) == {}
        await pilot.press("2")
        assert stored(db) == {0: "background"}
        await pilot.press("question_mark")
        rows = help_rows(app)
        assert not any("Quote" in r for r in rows), rows
        assert any(r.startswith("2/b") for r in rows), rows


async def test_ten_labels_the_tenth_by_its_letter_only(db: Database) -> None:
    s = db.scheme
    for n, key in zip(range(4, 11), "deoiwyz"):
        s = schemes.add(s, f"label{n}", key=key)
    change(db, s)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("9", "z", "y")
        assert stored(db) == {0: "label9", 1: "label10", 2: "label9"}


@pytest.mark.parametrize("key", [",", ".", "-", "é", "'", '"', "|", "["])
async def test_a_punctuation_or_accented_key_labels(db: Database, key: str) -> None:
    change(db, schemes.add(db.scheme, "opinion", key=key))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        assert stored(db) == {0: "opinion"}, key


async def test_a_label_named_with_quotes_and_brackets_is_stored_exactly(db: Database) -> None:
    odd = 'it\'s "odd" [b]x[/b] \\ )'
    change(db, schemes.add(db.scheme, odd, key="e"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "4")
        assert stored(db) == {0: odd, 1: odd}
        assert margin(app, 0) == odd[: view(app)._marker_width].strip()


# ----------------------------------------------------------------------------- a renamed label


async def test_a_renamed_label_shows_its_new_name_and_stores_its_id(db: Database) -> None:
    aid, spans = spans_of(db)
    db.set_label(Label(aid, spans[0].start, spans[0].end, "claim", "ana", now_iso()))  # before the rename
    change(db, schemes.rename(db.scheme, "claim", "assertion"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        assert margin(app, 0) == "assertion"
        assert app.session.cursor == 1  # opens at the first unlabeled sentence
        await pilot.press("1", "c")
        assert stored(db) == {0: "claim", 1: "claim", 2: "claim"}
        assert [margin(app, i) for i in range(3)] == ["assertion"] * 3
        assert all("claim" not in line_of(app, i)[:12] for i in range(3))
        await pilot.press("question_mark")
        rows = help_rows(app)
        row = next(r for r in rows if r.startswith("1/c"))
        assert "assertion" in row and "claim" not in row, row


async def test_a_long_new_name_is_cut_to_the_margin(db: Database) -> None:
    change(db, schemes.rename(db.scheme, "quote", "reported speech of someone"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        width = view(app)._marker_width
        assert width == 12
        assert margin(app, 0) == "reported speech of someone"[:width].strip()
        assert stored(db) == {0: "quote"}


# ----------------------------------------------------------------------------- colours


def _marker_colour(app: AnnotatorApp, sentence: int) -> Color | None:
    v = view(app)
    y = v._layout.first_line[sentence] - int(v.scroll_offset.y)
    segs = list(v.render_line(y))
    text = ""
    for seg in segs:
        text += seg.text
        if len(text) > 1 and seg.text.strip():
            return seg.style.color if seg.style is not None else None
    return None


@pytest.mark.parametrize("colour", ["red", "#00ff7f", "rgb(10,20,30)", "color(42)", "bright_blue"])
async def test_a_label_with_its_own_colour_renders_in_it(db: Database, colour: str) -> None:
    change(db, schemes.set_label(schemes.add(db.scheme, "opinion", key="o", colour=colour), "quote",
                                 colour="magenta"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", "2", "1")
        await pilot.pause()
        assert [margin(app, i) for i in range(3)] == ["opinion", "quote", "claim"]
        got = _marker_colour(app, 0)
        assert got == Color.parse(colour), (got, colour)
        quote = _marker_colour(app, 1)
        assert quote == Color.parse("magenta"), quote
        app.export_screenshot()  # the whole screen renders with the colours
    assert stored(db) == {0: "opinion", 1: "quote", 2: "claim"}


# ----------------------------------------------------------------------------- help


async def test_help_lists_the_schemes_keys(db: Database) -> None:
    s = schemes.add(db.scheme, "opinion", key="o", description="What someone thinks.")
    change(db, schemes.rename(s, "background", "context"))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        rows = help_rows(app)
        assert any(r.startswith("1/c") and "claim" in r for r in rows), rows
        assert any(r.startswith("2/q") and "quote" in r for r in rows), rows
        assert any(r.startswith("3/b") and "context" in r for r in rows), rows
        assert any(r.startswith("4/o") and "opinion" in r for r in rows), rows
        assert any(r.startswith("0 ") and "Skip" in r for r in rows), rows
        assert not any("background" in r for r in rows), rows
        await pilot.press("escape")
        assert isinstance(app.screen, LabelScreen)


# ----------------------------------------------------------------------------- review


async def test_review_decides_an_added_label_and_names_a_renamed_one(db: Database) -> None:
    change(db, schemes.add(db.scheme, "opinion", key="o"))
    aid, spans = spans_of(db)
    for who, label in (("ana", "claim"), ("budi", "opinion")):
        db.set_label(Label(aid, spans[1].start, spans[1].end, label, who, now_iso()))
    change(db, schemes.rename(db.scheme, "claim", "assertion"))
    app = ReviewApp(db, "lead")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        votes = str(app.screen.query_one("#votes", Static).content).splitlines()
        assert votes[0].split() == ["ana", "assertion"] and votes[1].split() == ["budi", "opinion"]
        assert "1/c assertion" in votes[2] and "4/o opinion" in votes[2], votes[2]
        await pilot.press("o")
        assert margin(app, 1) == "opinion"
    (d,) = db.decisions(aid)
    assert (d.label, d.by, d.votes) == ("opinion", "lead", (("ana", "claim"), ("budi", "opinion")))
