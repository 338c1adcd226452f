"""The app's keys for fixing a split (issue 12): `s` splits (caret by word, enter, escape),
`m` joins with the next sentence; both saved before they show, undone with `u`."""

from __future__ import annotations

from pathlib import Path

from annotator.app import AnnotatorApp, LabelScreen
from annotator.storage import Database

from test_app import SIZE, cursors, db_with_texts, label_screen, labeled, status, visible_lines

TEXT = "Rapat\n\nThe board finally chose Plan B. Shares fell 4% after the news.\n\nIt ended well.\n"


def sentences(db: Database) -> list[str]:
    art = db.get_article(db.article_infos()[0].id)
    return [art.text[s.start:s.end] for s in art.sentences]


def toasts(app: AnnotatorApp) -> str:
    return " ".join(n.message for n in app._notifications)


async def test_s_splits_where_the_caret_is_and_the_halves_start_unlabeled(tmp_path: Path) -> None:
    db = db_with_texts(tmp_path, TEXT)
    try:
        assert sentences(db)[1] == "The board finally chose Plan B. Shares fell 4% after the news."
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2", "1")  # quote on 0, claim on the sentence to split (the cursor moves on to 2)
            await pilot.press("k")
            assert cursors(app) == (1, 1)
            await pilot.press("s")
            screen = label_screen(app)
            assert screen.splitting and "SPLIT MODE" in status(app)
            # The caret starts after "Plan B.": the word "Shares", shown reversed with "│" before it.
            text = db.get_article(db.article_infos()[0].id).text
            assert screen.view.caret == text.index("Shares")
            assert any("B.│Shares" in line for line in visible_lines(app)), visible_lines(app)
            # Other keys wait while splitting: no label, no move.
            await pilot.press("3", "j")
            assert cursors(app) == (1, 1) and len(db.labels(db.article_infos()[0].id, "ana")) == 2
            await pilot.press("right", "l", "h")
            assert screen.view.caret == text.index("fell")
            await pilot.press("left", "left")
            assert screen.view.caret == text.index("B. Shares")
            await pilot.press("right")
            await pilot.press("enter")
            assert not screen.splitting and "SPLIT MODE" not in status(app)
            # Saved before it showed: the database has the two halves, the old label is retired.
            assert sentences(db)[1:3] == ["The board finally chose Plan B.", "Shares fell 4% after the news."]
            assert [r.record.label for r in db.retired(db.article_infos()[0].id)] == ["claim"]
            assert labeled(app) == "1/4" and "sentence 2/4" in status(app)
            assert "1 label(s) retired" in toasts(app)
            # The view shows the halves, each starting its own line, unlabeled.
            lines = visible_lines(app)
            assert any(line.rstrip().endswith("The board finally chose Plan B.") for line in lines)
            assert any("Shares fell 4% after the news." in line for line in lines)
            # Undo brings the sentence and its label back.
            await pilot.press("u")
            assert sentences(db)[1].endswith("after the news.") and labeled(app) == "2/3"
            assert db.retired(db.article_infos()[0].id) == []
            await pilot.press("U")
            assert len(sentences(db)) == 4 and labeled(app) == "1/4"
    finally:
        db.close()


async def test_escape_leaves_split_mode_without_splitting(tmp_path: Path) -> None:
    db = db_with_texts(tmp_path, TEXT)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("j", "s")
            assert label_screen(app).splitting
            await pilot.press("escape")
            assert not label_screen(app).splitting and len(sentences(db)) == 3
            assert not any("│" in line for line in visible_lines(app))
            await pilot.press("1")  # keys work again
            assert labeled(app) == "1/3"
    finally:
        db.close()


async def test_m_joins_with_the_next_sentence_and_refuses_at_the_last(tmp_path: Path) -> None:
    db = db_with_texts(tmp_path, TEXT)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("1", "2", "3")  # every sentence labeled; the cursor stays on the last
            await pilot.press("m")
            assert len(sentences(db)) == 3 and "last sentence" in toasts(app)
            await pilot.press("home", "m")
            assert sentences(db)[0].startswith("Rapat\n\nThe board") and len(sentences(db)) == 2
            assert labeled(app) == "1/2" and "2 label(s) retired" in toasts(app)
            assert isinstance(app.screen, LabelScreen) and cursors(app) == (0, 0)
            await pilot.press("u")
            assert len(sentences(db)) == 3 and labeled(app) == "3/3"
    finally:
        db.close()


async def test_a_one_word_sentence_cannot_be_split(tmp_path: Path) -> None:
    db = db_with_texts(tmp_path, TEXT)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")  # "Rapat"
            assert not label_screen(app).splitting and "single word" in toasts(app)
    finally:
        db.close()
