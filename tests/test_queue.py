"""A reviewer's app after `annotator assign`: their queue first, blind by default, --show-others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.ui.article_list import QUEUE_MARK
from annotator.cli import main
from annotator.importer import apply_import, plan_import
from annotator.model import ArticleInfo, Label
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from conftest import SAMPLES
from test_app import screenshot_text

SIZE = (120, 40)
T1 = "2026-01-01T00:00:00.000Z"
NO_OTHERS = "others: no other reviewer has labeled this sentence"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """The two samples; article 1 dealt to budi, article 0 to ana; ana labeled budi's sentences 0 and 1."""
    database = Database.open(tmp_path / "annotations.json")
    try:
        apply_import(database, plan_import([SAMPLES]))
        a0, a1 = database.article_infos()
        database.set_assignments({a0.id: ("ana",), a1.id: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0.0})
        art = database.get_article(a1.id)
        for s, name in zip(art.sentences, ("claim", "quote")):
            database.set_label(Label(a1.id, s.start, s.end, name, "ana", T1))
        yield database
    finally:
        database.close()


def infos(db: Database) -> tuple[ArticleInfo, ArticleInfo]:
    a0, a1 = db.article_infos()
    return a0, a1


def screen(app: AnnotatorApp) -> LabelScreen:
    s = app.screen
    assert isinstance(s, LabelScreen), s
    return s


def static(app: AnnotatorApp, wid: str) -> str:
    return str(app.screen.query_one(wid, Static).content)


def view_lines(app: AnnotatorApp) -> list[str]:
    v = app.screen.query_one(ArticleView)
    return ["".join(seg.text for seg in v.render_line(y)) for y in range(v.scrollable_content_region.height)]




async def test_reviewer_opens_on_their_own_first_article(db: Database) -> None:
    a0, a1 = infos(db)
    app = AnnotatorApp(db, "budi")
    async with app.run_test(size=SIZE):
        s = app.session
        assert s.article is not None and s.article.id == a1.id
        assert (s.article_index, s.cursor) == (0, 0)
        assert static(app, "#article-title") == f"1/2  {a1.title}"
        rows = [screen(app).article_list.row_text(i) for i in range(2)]
        # Their own article first, marked as their queue's (not by colour alone); the other unmarked.
        assert rows[0].startswith(f"{QUEUE_MARK} {a1.title[:20]}") and rows[0].rstrip().endswith(f"0/{a1.n_sentences}")
        assert rows[1].startswith("  ") and rows[1].rstrip().endswith(f"0/{a0.n_sentences}")
        assert screen(app).article_list.highlighted == 0
        assert "budi" in static(app, "#status")
        assert static(app, "#status").endswith("your queue 0/1 done")
    # ana's queue is the other article, in its usual place.
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE):
        assert app.session.article is not None and app.session.article.id == a0.id
        assert static(app, "#article-title").startswith("1/2  ")
        assert "your queue 0/1 done" in static(app, "#status")


async def test_no_queue_no_queue_in_the_status(db: Database) -> None:
    app = AnnotatorApp(db, "citra")
    async with app.run_test(size=SIZE):
        assert "your queue" not in static(app, "#status")
        assert app.session.article is not None and app.session.article.id == infos(db)[0].id


async def test_blind_by_default(db: Database) -> None:
    a0, a1 = infos(db)
    app = AnnotatorApp(db, "budi")
    async with app.run_test(size=SIZE) as pilot:
        others = app.screen.query_one("#others", Static)
        assert others.display is False
        assert app.session.show_others is False and app.session.others == {}
        # ana's labels on sentences 0 and 1 are nowhere: not in the view, not in the counts, not on screen.
        assert app.session.labels[:2] == [None, None]
        lines = view_lines(app)
        assert lines and not any("claim" in line or "quote" in line for line in lines), lines
        assert f"0/{a1.n_sentences} labeled" in static(app, "#status")
        text = screenshot_text(app)
        assert "others:" not in text and "ana claim" not in text
        assert screen(app).article_list.row_text(0).rstrip().endswith(f"0/{a1.n_sentences}")
        # budi labels sentence 0 his own way: shown as his, ana's label stays hidden and untouched.
        await pilot.press("3")
        assert [lab.label if lab else None for lab in app.session.labels[:2]] == ["background", None]
        assert "background" in view_lines(app)[0]
        assert not any("claim" in line or "quote" in line for line in view_lines(app))
        assert others.display is False
    art = db.get_article(a1.id)
    first, second = art.sentences[0], art.sentences[1]
    assert sorted((lab.annotator, lab.start, lab.label) for lab in db.labels(a1.id)) == [
        ("ana", first.start, "claim"), ("ana", second.start, "quote"), ("budi", first.start, "background")]


async def test_show_others_follows_the_cursor(db: Database) -> None:
    a0, a1 = infos(db)
    app = AnnotatorApp(db, "budi", show_others=True)
    async with app.run_test(size=SIZE) as pilot:
        others = app.screen.query_one("#others", Static)
        assert others.display is True
        assert static(app, "#others") == "others: ana claim"
        assert "others: ana claim" in screenshot_text(app)
        await pilot.press("j")
        assert static(app, "#others") == "others: ana quote"
        await pilot.press("j")
        assert static(app, "#others") == NO_OTHERS
        await pilot.press("k", "k")
        assert static(app, "#others") == "others: ana claim"
        # Labeling moves the cursor on: the line follows; budi's own label is never listed as another's.
        await pilot.press("2")
        assert app.session.cursor == 1
        assert static(app, "#others") == "others: ana quote"
        await pilot.press("k")
        assert static(app, "#others") == "others: ana claim"
        # Still only budi's labels in the view.
        assert [lab.label if lab else None for lab in app.session.labels[:2]] == ["quote", None]
        # In another article with nobody else's labels (past the end of the queue: said first).
        await pilot.press("n")
        assert app.session.article_index == 0
        await pilot.press("n")
        assert app.session.article is not None and app.session.article.id == a0.id
        assert static(app, "#others") == NO_OTHERS


async def test_queue_status_counts_finished_articles(db: Database) -> None:
    a0, a1 = infos(db)
    app = AnnotatorApp(db, "budi")
    async with app.run_test(size=SIZE) as pilot:
        assert "your queue 0/1 done" in static(app, "#status")
        await pilot.press(*(["1"] * (a1.n_sentences - 1)))
        assert "your queue 0/1 done" in static(app, "#status")
        await pilot.press("2")
        assert "your queue 1/1 done" in static(app, "#status")
        assert "1/2 articles done" in static(app, "#status")
        # Work on someone else's article does not count toward budi's queue.
        await pilot.press("n", *(["1"] * a0.n_sentences))
        assert "2/2 articles done" in static(app, "#status")
        assert "your queue 1/1 done" in static(app, "#status")
        await pilot.press("u")  # undo the last label there
        await pilot.press("p", "end", "x")  # clear budi's last sentence of his own article
        assert "your queue 0/1 done" in static(app, "#status")
    assert len(db.labels(a1.id, "budi")) == a1.n_sentences - 1


def test_label_help_lists_show_others(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main(["label", "--help"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "--show-others" in out
    assert "blind" in out
