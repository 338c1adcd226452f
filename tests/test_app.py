"""The Textual app, driven through Textual's Pilot.

Every test checks the state the user sees (cursor, status line, title, article list,
rendered lines) *and* what reached the database, since a label that is shown but not
saved (or saved but not shown) is the failure that matters most.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._toast import Toast

from annotator.app import AnnotatorApp, LabelScreen
from annotator.errors import SaveError
from annotator.importer import apply_import, plan_import
from annotator.model import Article, Label, now_iso
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from annotator.ui.help import HelpScreen
from conftest import SAMPLES

SIZE = (120, 40)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
N0, N1 = 19, 22  # sentences in article 0 (antara-original) and article 1 (scraped-rewrite)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "annotations.json"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """A database in tmp_path holding the two sample articles; closed after the test."""
    database = Database.open(db_path)
    try:
        apply_import(database, plan_import([SAMPLES]))
        assert [i.n_sentences for i in database.article_infos()] == [N0, N1]
        yield database
    finally:
        database.close()


def db_with_texts(folder: Path, *texts: str) -> Database:
    """A fresh database in `folder` holding one article per text (imported from .txt files)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        p = folder / f"{i:02d}.txt"
        p.write_bytes(text.encode("utf-8"))
        paths.append(p)
    database = Database.open(folder / "annotations.json")
    plan = plan_import(paths)
    assert not plan.errors
    apply_import(database, plan)
    return database


# ----------------------------------------------------------------------------- helpers


def label_screen(app: AnnotatorApp) -> LabelScreen:
    screen = app.screen
    assert isinstance(screen, LabelScreen), screen
    return screen


def status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


def labeled(app: AnnotatorApp) -> str:
    """The status line's "<labeled>/<total> labeled" count for the open article, e.g. "2/19"."""
    found = re.findall(r"(?<![\d/])(\d+)/(\d+) labeled", status(app))
    assert len(found) == 1, status(app)
    return "/".join(found[0])


def title(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#article-title", Static).content)


def view(app: AnnotatorApp) -> ArticleView:
    return app.screen.query_one(ArticleView)


def cursors(app: AnnotatorApp) -> tuple[int, int]:
    """(session cursor, view cursor): the two must always agree."""
    return app.session.cursor, view(app).cursor


def visible_lines(app: AnnotatorApp) -> list[str]:
    """The article view's rendered lines (the Line API's own output), as plain text."""
    v = view(app)
    return ["".join(seg.text for seg in v.render_line(y)) for y in range(v.scrollable_content_region.height)]


def screenshot_text(app: AnnotatorApp) -> str:
    """The whole screen as plain text, one line per terminal row (from Textual's SVG export)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    return "\n".join("".join(t for _, t in sorted(row)).replace("\xa0", " ") for _, row in sorted(rows.items()))


def article(db: Database, index: int) -> Article:
    return db.get_article(db.article_infos()[index].id)


def db_labels(db: Database, index: int, annotator: str = "ana") -> dict[int, Label]:
    """sentence index -> label, for one article, straight from the database."""
    art = article(db, index)
    by_span = {(s.start, s.end): i for i, s in enumerate(art.sentences)}
    out: dict[int, Label] = {}
    for lab in db.labels(art.id, annotator):
        assert (lab.start, lab.end) in by_span, f"label on a span that is no sentence: {lab}"
        out[by_span[(lab.start, lab.end)]] = lab
    return out


def assert_saved(db: Database, index: int, sentence: int, name: str, annotator: str = "ana") -> Label:
    art = article(db, index)
    lab = db_labels(db, index, annotator).get(sentence)
    assert lab is not None, f"sentence {sentence} of article {index} has no label in the database"
    span = art.sentences[sentence]
    assert (lab.article_id, lab.start, lab.end) == (art.id, span.start, span.end)
    assert lab.label == name
    assert lab.annotator == annotator
    assert ISO.fullmatch(lab.updated_at), lab.updated_at
    return lab


def reopened(db: Database) -> Database:
    """Close `db` and open the same files again: what is found now is what is on disk."""
    db.close()
    return Database.open(db.path)


# ----------------------------------------------------------------------------- labeling


async def test_label_keys_save_and_move_on(db: Database) -> None:
    names = ["claim", "quote", "background", "claim", "quote", "background"]
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        assert cursors(app) == (0, 0)
        assert labeled(app) == f"0/{N0}"
        await pilot.press("1")
        assert cursors(app) == (1, 1)
        assert labeled(app) == f"1/{N0}"
        assert status(app).startswith("1/19 labeled")
        assert_saved(db, 0, 0, "claim")  # saved the moment the key is handled
        await pilot.press("2", "3", "c", "q", "b")
        assert cursors(app) == (6, 6)
        assert labeled(app) == f"6/{N0}"
        assert "sentence 7/19" in status(app)
        assert f"overall 6/{N0 + N1}" in status(app)
        assert [lab.label if lab else None for lab in app.session.labels[:7]] == [*names, None]
        assert label_screen(app).article_list.row_text(0).rstrip().endswith(f"6/{N0}")
    assert sorted(db_labels(db, 0)) == list(range(6))
    for i, name in enumerate(names):
        assert_saved(db, 0, i, name)
    # Durable: a fresh open of the same files finds the same labels.
    db2 = reopened(db)
    try:
        assert {i: lab.label for i, lab in db_labels(db2, 0).items()} == dict(enumerate(names))
    finally:
        db2.close()


async def test_labeling_the_last_sentence_keeps_the_cursor_there(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        assert cursors(app) == (N0 - 1, N0 - 1)
        await pilot.press("3")
        assert cursors(app) == (N0 - 1, N0 - 1)
        assert labeled(app) == f"1/{N0}"
        assert f"sentence {N0}/{N0}" in status(app)
        await pilot.press("1")  # relabel in place, still no move
        assert cursors(app) == (N0 - 1, N0 - 1)
        assert labeled(app) == f"1/{N0}"
    assert_saved(db, 0, N0 - 1, "claim")
    assert set(db_labels(db, 0)) == {N0 - 1}


# ----------------------------------------------------------------------------- moving


async def test_cursor_keys(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        v = view(app)
        height = v.scrollable_content_region.height
        first = v._layout.first_line
        assert first[-1] > height, "the sample must be taller than the view for this test"

        def on_screen(sentence: int) -> bool:
            top = int(v.scroll_offset.y)
            return top <= first[sentence] < top + height

        await pilot.press("j")
        assert cursors(app) == (1, 1)
        await pilot.press("down", "down")
        assert cursors(app) == (3, 3)
        assert "sentence 4/19" in status(app)
        await pilot.press("k")
        assert cursors(app) == (2, 2)
        await pilot.press("up", "up", "up")  # past the top: stays on 0
        assert cursors(app) == (0, 0)

        await pilot.press("end")
        assert cursors(app) == (N0 - 1, N0 - 1)
        assert f"sentence {N0}/{N0}" in status(app)
        assert on_screen(N0 - 1) and v.scroll_offset.y > 0
        await pilot.press("j")  # past the bottom: stays on the last
        assert cursors(app) == (N0 - 1, N0 - 1)
        await pilot.press("home")
        assert cursors(app) == (0, 0)
        assert v.scroll_offset.y == 0

        await pilot.press("pagedown")
        down = app.session.cursor
        assert v.cursor == down
        # About a screen: at least half a screen of lines further, and no more than one.
        assert height // 2 <= first[down] - first[0] <= height
        assert on_screen(down)
        await pilot.press("pageup")
        assert cursors(app) == (0, 0)

        await pilot.press("end", "pageup")
        up = app.session.cursor
        assert v.cursor == up
        assert height // 2 <= first[N0 - 1] - first[up] <= height
        assert on_screen(up)
        await pilot.press("pagedown", "pagedown")
        assert cursors(app) == (N0 - 1, N0 - 1)
    assert db_labels(db, 0) == {}  # moving never writes


# ----------------------------------------------------------------------------- clearing


async def test_clear_keys_remove_the_label_from_the_database(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "3", "k")
        assert cursors(app) == (2, 2)
        assert_saved(db, 0, 2, "background")
        await pilot.press("x")
        assert cursors(app) == (2, 2)  # clearing does not move
        assert app.session.labels[2] is None
        assert set(db_labels(db, 0)) == {0, 1}
        assert labeled(app) == f"2/{N0}"
        await pilot.press("k", "backspace")
        assert cursors(app) == (1, 1)
        assert set(db_labels(db, 0)) == {0}
        assert labeled(app) == f"1/{N0}"
        await pilot.press("x")  # clearing an unlabeled sentence: nothing happens
        assert labeled(app) == f"1/{N0}"
        assert db.undo_depth("ana") == (5, 0)
    db2 = reopened(db)
    try:
        assert set(db_labels(db2, 0)) == {0}
    finally:
        db2.close()


# ----------------------------------------------------------------------------- undo


async def test_undo_removes_a_new_label_and_returns_to_it(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "1", "2", "j")
        assert cursors(app) == (5, 5)
        assert labeled(app) == f"2/{N0}"
        await pilot.press("u")
        assert cursors(app) == (3, 3)
        assert app.session.labels[3] is None
        assert set(db_labels(db, 0)) == {2}
        assert labeled(app) == f"1/{N0}"
        await pilot.press("ctrl+z")
        assert cursors(app) == (2, 2)
        assert db_labels(db, 0) == {}
        assert labeled(app) == f"0/{N0}"
        await pilot.press("u")  # nothing left to undo
        assert cursors(app) == (2, 2)
        assert any("Nothing to undo" in n.message for n in app._notifications)
    assert db_labels(db, 0) == {}


async def test_undo_restores_a_changed_or_cleared_label_as_a_new_decision(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        original = assert_saved(db, 0, 0, "claim")
        await pilot.press("k", "2")  # change claim -> quote
        assert_saved(db, 0, 0, "quote")
        assert labeled(app) == f"1/{N0}"
        await pilot.press("j", "j", "u")
        assert cursors(app) == (0, 0)
        restored = app.session.labels[0]
        assert restored is not None and restored.label == original.label
        assert labeled(app) == f"1/{N0}"
        # A new decision, stamped after the one it takes back, so it wins every later merge.
        assert (restored.updated_at, restored.tick) > (original.updated_at, original.tick)
        assert db_labels(db, 0) == {0: restored}

        await pilot.press("k", "x")  # clear, then undo from elsewhere
        assert db_labels(db, 0) == {}
        assert labeled(app) == f"0/{N0}"
        await pilot.press("end", "ctrl+z")
        assert cursors(app) == (0, 0)
        assert labeled(app) == f"1/{N0}"
        again = app.session.labels[0]
        assert again is not None and again.label == "claim"
    assert db_labels(db, 0) == {0: again}


async def test_undo_across_articles_goes_back_to_the_article_and_sentence(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "2", "n")
        screen = label_screen(app)
        assert app.session.article_index == 1
        assert title(app).startswith("2/2")
        assert screen.article_list.highlighted == 1
        await pilot.press("u")
        assert app.session.article_index == 0
        assert title(app).startswith("1/2")
        assert screen.article_list.highlighted == 0
        assert cursors(app) == (3, 3)
        assert labeled(app) == f"0/{N0}"
        assert "sentence 4/19" in status(app)
        v = view(app)
        top = int(v.scroll_offset.y)
        assert top <= v._layout.first_line[3] < top + v.scrollable_content_region.height
        assert v._text == article(db, 0).text
    assert db_labels(db, 0) == {}
    assert db_labels(db, 1) == {}


# ----------------------------------------------------------------------------- articles


async def test_next_and_previous_article(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        screen = label_screen(app)
        assert title(app).startswith("1/2")
        assert screen.article_list.highlighted == 0
        await pilot.press("1")
        await pilot.press("n")
        assert app.session.article_index == 1
        assert title(app) == "2/2  Putin Tertarik Pulihkan Hubungan dengan AS, Tapi Tantangan Masih Ada"
        assert screen.article_list.highlighted == 1
        assert labeled(app) == f"0/{N1}"
        assert f"overall 1/{N0 + N1}" in status(app)
        assert cursors(app) == (0, 0)
        assert view(app)._text == article(db, 1).text
        await pilot.press("2", "2", "n")  # no article after the last: stays
        assert app.session.article_index == 1
        assert any("No more articles" in n.message for n in app._notifications)
        assert cursors(app) == (2, 2)
        assert labeled(app) == f"2/{N1}"

        await pilot.press("p")
        assert app.session.article_index == 0
        assert title(app).startswith("1/2  Anchorage (ANTARA)")
        assert screen.article_list.highlighted == 0
        assert labeled(app) == f"1/{N0}"
        assert cursors(app) == (1, 1)  # at the first unlabeled sentence
        await pilot.press("p")
        assert app.session.article_index == 0

        await pilot.press("n")  # back again: first unlabeled of article 1
        assert app.session.article_index == 1
        assert cursors(app) == (2, 2)
    assert set(db_labels(db, 0)) == {0}
    assert set(db_labels(db, 1)) == {0, 1}
    assert_saved(db, 1, 1, "quote")


# ----------------------------------------------------------------------------- help, quit


async def test_help_lists_the_real_bindings(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(w.content) for w in app.screen.query(Static))
        rows = text.splitlines()
        claim = [r for r in rows if "claim" in r.lower()]
        assert claim and claim[0].startswith("1/c"), claim
        assert any(r.startswith("2/q") and "quote" in r for r in rows)
        assert any(r.startswith("3/b") and "background" in r for r in rows)
        undo = [r for r in rows if "Undo" in r]
        assert undo and undo[0].split()[0] == "u", undo
        assert any(r.startswith("x") and "Clear" in r for r in rows)
        assert any(r.startswith("n ") and "Next article" in r for r in rows)
        assert any(r.startswith("?") for r in rows)
        assert any("Quit" in r for r in rows)
        # Label keys do nothing while help is open.
        await pilot.press("1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, LabelScreen)
        assert cursors(app) == (0, 0)
    assert db_labels(db, 0) == {}


async def test_ctrl_q_quits(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0
    assert_saved(db, 0, 0, "claim")


# ----------------------------------------------------------------------------- resume


async def test_resume_at_first_unlabeled_sentence_per_annotator(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "1", "2", "ctrl+q")
        await pilot.pause()
    assert not app.is_running

    db = reopened(db)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE):
            assert app.session.article_index == 0
            assert cursors(app) == (3, 3)
            assert labeled(app) == f"3/{N0}"
            assert "sentence 4/19" in status(app)

        # Article 0 done (straight through the database), article 1 partly.
        art0, art1 = article(db, 0), article(db, 1)
        for s in art0.sentences:
            db.set_label(Label(art0.id, s.start, s.end, "background", "ana", now_iso()))
        for i in (0, 1, 3):
            s = art1.sentences[i]
            db.set_label(Label(art1.id, s.start, s.end, "claim", "ana", now_iso()))
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE):
            screen = label_screen(app)
            assert app.session.article_index == 1
            assert screen.article_list.highlighted == 1
            assert title(app).startswith("2/2")
            assert cursors(app) == (2, 2)
            assert labeled(app) == f"3/{N1}"
            assert "1/2 articles done" in status(app)

        # Another annotator starts from the beginning.
        app = AnnotatorApp(db, "budi")
        async with app.run_test(size=SIZE) as pilot:
            assert app.session.article_index == 0
            assert cursors(app) == (0, 0)
            assert labeled(app) == f"0/{N0}"
            assert status(app).endswith("budi")
            await pilot.press("3")
        assert_saved(db, 0, 0, "background", annotator="budi")
        assert len(db_labels(db, 0, "ana")) == N0  # ana's labels untouched
    finally:
        db.close()


# ----------------------------------------------------------------------------- mouse


async def test_click_selects_the_sentence(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        v = view(app)
        pad_left = v.styles.padding.left
        pad_top = v.styles.padding.top
        x = pad_left + v._gutter_width + 3  # inside the sentence's text

        def y_of(sentence: int, line: int = 0) -> int:
            return pad_top + v._layout.first_line[sentence] + line - int(v.scroll_offset.y)

        assert v._layout.line_count[5] >= 1
        assert await pilot.click(ArticleView, offset=(x, y_of(5)))
        await pilot.pause()
        assert cursors(app) == (5, 5)
        assert "sentence 6/19" in status(app)

        # The second display line of a wrapped sentence selects that sentence too.
        wrapped = next(i for i, n in enumerate(v._layout.line_count) if n > 1 and i != 5)
        assert await pilot.click(ArticleView, offset=(x, y_of(wrapped, 1)))
        await pilot.pause()
        assert cursors(app) == (wrapped, wrapped)

        # Scrolled: the last sentences are on screen only after `end`.
        await pilot.press("end")
        assert v.scroll_offset.y > 0
        target = N0 - 3
        assert await pilot.click(ArticleView, offset=(x, y_of(target)))
        await pilot.pause()
        assert cursors(app) == (target, target)

        # A click then a key labels the clicked sentence.
        await pilot.press("2")
        assert cursors(app) == (target + 1, target + 1)
    assert db_labels(db, 0).keys() == {target}
    assert_saved(db, 0, target, "quote")


# ----------------------------------------------------------------------------- burst


async def queue_keys(pilot: Pilot[None], keys: list[str]) -> None:
    """Put every key event on the app's queue before any is handled, as a terminal does when
    keys arrive faster than the app handles them (pilot.press waits after each key)."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()


async def test_a_burst_of_label_keys_labels_consecutive_sentences_once_each(tmp_path: Path) -> None:
    text = "\n".join(f"Kalimat nomor {i} berisi fakta yang berbeda." for i in range(60)) + "\n"
    db = db_with_texts(tmp_path / "burst", text)
    try:
        assert db.article_infos()[0].n_sentences == 60
        app = AnnotatorApp(db, "ana")
        cycle = ["1", "q", "3", "c", "2", "b"]
        names = {"1": "claim", "c": "claim", "2": "quote", "q": "quote", "3": "background", "b": "background"}
        keys = [cycle[i % len(cycle)] for i in range(40)]
        more = [cycle[i % len(cycle)] for i in range(40, 52)]
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("j", "j")
            await pilot.press(*keys)
            assert cursors(app) == (42, 42)
            assert labeled(app) == "40/60"
            assert db.undo_depth("ana") == (40, 0)

            await queue_keys(pilot, more)
            for _ in range(100):  # bounded wait for the queue to drain; no timing is asserted
                if app.session.cursor == 54:
                    break
                await pilot.pause()
            assert cursors(app) == (54, 54)
            assert labeled(app) == "52/60"
            assert db.undo_depth("ana") == (52, 0)
        saved = db_labels(db, 0)
        assert sorted(saved) == list(range(2, 54))
        for i, key in enumerate(keys + more):
            assert_saved(db, 0, 2 + i, names[key])
        # One record per sentence in the file itself, and nothing from another annotator.
        assert len(db.labels(db.article_infos()[0].id)) == 52
    finally:
        db.close()


# ----------------------------------------------------------------------------- untrusted text


async def test_article_text_is_shown_verbatim_not_as_markup(db: Database) -> None:
    art = article(db, 1)
    keyword = "[keyword]bitcoin[/keyword]"
    idx = next(i for i, s in enumerate(art.sentences) if keyword in art.text[s.start:s.end])
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.press(*["j"] * idx)
        assert cursors(app) == (idx, idx)
        lines = visible_lines(app)
        assert any(keyword in line for line in lines), lines
        # Every sentence on screen is its stored text, character for character.
        v = view(app)
        top = int(v.scroll_offset.y)
        for y, line in enumerate(lines):
            if top + y >= len(v._layout.lines):
                break
            sid, start, end = v._layout.lines[top + y]
            if sid >= 0:
                assert line[v._gutter_width:].rstrip() == art.text[start:end].rstrip()
        assert keyword in screenshot_text(app)


CONTROL_TEXT = (
    "Judul berita hari ini\n"
    "\n"
    "Layar \x1b[2J dibersihkan [/] di sini. Tautan [@click=app.quit]x[/] ada di sini.\n"
    "Bel \x07 berbunyi [bold]tebal[/bold] sekali. Kalimat \x9b31m terakhir.\n"
)


async def test_control_characters_and_markup_in_text_are_harmless(tmp_path: Path) -> None:
    db = db_with_texts(tmp_path / "ctl", CONTROL_TEXT)
    try:
        art = article(db, 0)
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.is_running
            lines = visible_lines(app)
            shown = "\n".join(lines)
            assert "\u241b[2J" in shown  # ESC shown as ␛
            assert "[/]" in shown
            assert "[@click=app.quit]x[/]" in shown
            assert "\u2407" in shown  # BEL shown as ␇
            assert "[bold]tebal[/bold]" in shown
            # Nothing that could reach the terminal as a control, in any strip.
            v = view(app)
            for y in range(v.scrollable_content_region.height):
                for seg in v.render_line(y):
                    assert not re.search("[\x00-\x1f\x7f-\x9f]", seg.text), repr(seg.text)
            assert "\x1b" not in title(app) and "\x07" not in title(app)
            # Keys and a click on the would-be link work as usual; the app does not quit.
            link = next(i for i, s in enumerate(art.sentences) if "@click" in art.text[s.start:s.end])
            y = v._layout.first_line[link] - int(v.scroll_offset.y)
            text_x = v.styles.padding.left + v._gutter_width + art.text[art.sentences[link].start:].index("[@click")
            assert await pilot.click(ArticleView, offset=(text_x + 2, y))
            await pilot.pause()
            assert app.is_running
            assert cursors(app) == (link, link)
            await pilot.press("1", "2", "3", "4")
            assert app.is_running
            screenshot = app.export_screenshot()
            assert "\x1b" not in screenshot and "\x07" not in screenshot
        assert db_labels(db, 0)[link].label == "claim"
    finally:
        db.close()


async def test_wrapped_lines_with_invisible_format_characters_lose_no_text(tmp_path: Path) -> None:
    """Bidi marks (U+200E, common in scraped copy) are shown as a one-cell placeholder,
    so the wrapper must count them as one cell; otherwise the ends of lines are cut off.

    Regression: layout measured the raw text with rich's cell_len (0 cells for U+200E)."""
    words = [f"kata{i:02d}\u200e" for i in range(40)]
    db = db_with_texts(tmp_path / "bidi", " ".join(words) + " Akhir.\n")
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = " ".join(visible_lines(app))
            missing = [w[:6] for w in words if w[:6] not in shown]
            assert missing == [], f"cut off at the right edge: {missing}"
    finally:
        db.close()


# ----------------------------------------------------------------------------- failures


async def test_save_failure_is_reported_and_changes_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        assert labeled(app) == f"1/{N0}"

        def refuse(label: Label) -> None:
            raise SaveError("could not save labels: disk full; free disk space")

        monkeypatch.setattr(db, "set_label", refuse)
        await pilot.press("2")
        assert app.is_running
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1
        assert "disk full" in errors[0].message and errors[0].title == "Not saved"
        assert labeled(app) == f"1/{N0}"
        assert app.session.labels[1] is None
        assert cursors(app) == (1, 1)  # not moved on: the label did not happen
        assert db.undo_depth("ana") == (1, 0)

        monkeypatch.undo()
        await pilot.press("2")
        assert labeled(app) == f"2/{N0}"
        assert cursors(app) == (2, 2)
    assert set(db_labels(db, 0)) == {0, 1}
    assert_saved(db, 0, 1, "quote")


async def test_failed_undo_leaves_session_and_screen_in_step(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """If undo cannot be saved, the app must keep showing where the session is.

    Regression: Session.undo used to switch article and cursor *before* the write; when
    the write failed the screen still showed the other article, and the next key labeled
    a sentence of an article the reviewer was not looking at.
    """
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "1", "n")
        assert app.session.article_index == 1

        def refuse(*args: object, **kwargs: object) -> None:
            raise SaveError("could not save labels: disk full")

        monkeypatch.setattr(db, "undo", refuse)
        await pilot.press("u")
        assert any(n.severity == "error" for n in app._notifications)
        shown_article = 1 if title(app).startswith("2/2") else 0
        shown_cursor = view(app).cursor
        assert app.session.article_index == shown_article
        assert view(app)._text == app.session.article.text
        assert app.session.cursor == shown_cursor

        monkeypatch.undo()
        await pilot.press("2")  # must label what is on screen
    assert_saved(db, shown_article, shown_cursor, "quote")
    if (shown_article, shown_cursor) != (0, 2):
        assert_saved(db, 0, 2, "claim")


async def test_failed_undo_in_same_article_keeps_the_cursor(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j", "j")
        assert cursors(app) == (3, 3)

        def refuse(*args: object, **kwargs: object) -> None:
            raise SaveError("could not save labels: disk full")

        monkeypatch.setattr(db, "undo", refuse)
        await pilot.press("u")
        assert any(n.severity == "error" for n in app._notifications)
        visible = view(app).cursor
        assert app.session.cursor == visible
        monkeypatch.undo()
        await pilot.press("3")  # must label the sentence under the visible cursor
    assert_saved(db, 0, visible, "background")


BRACKET_MESSAGES = [
    "skipped: /data/[draft] notes.pdf: not a .txt, .md or .jsonl file",
    "error: /data/[@click=app.quit]x[/].txt: not UTF-8",
    "error: /data/odd[/].txt: not UTF-8",
]


async def test_startup_messages_with_brackets_are_shown_literally(db: Database) -> None:
    """File names go into notifications; they must be shown as text, never read as Textual markup
    (which drops "[draft]", turns "[@click=app.quit]" into a quit link, and crashes on "[/]").

    Regression: notify() was called with Textual's default markup=True."""
    app = AnnotatorApp(db, "ana", startup_messages=[(m, "error") for m in BRACKET_MESSAGES])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.is_running
        rendered = "\n".join(str(t.render()) for t in app.screen.walk_children(Toast))
        for message in BRACKET_MESSAGES:
            assert message in rendered
    assert app._exception is None


async def test_save_error_message_with_brackets_does_not_crash(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(label: Label) -> None:
        raise SaveError("could not save /home/ana/[/]projects/labels.json: disk full")

    monkeypatch.setattr(db, "set_label", refuse)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("1")
        await pilot.pause()
        assert app.is_running
        assert labeled(app) == f"0/{N0}"
        rendered = "\n".join(str(t.render()) for t in app.screen.walk_children(Toast))
        assert "[/]projects" in rendered
    assert app._exception is None


# ----------------------------------------------------------------------------- empty database


async def test_empty_database_shows_a_message_and_keys_are_harmless(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.is_running
            assert "No articles" in title(app)
            assert labeled(app) == "0/0"
            await pilot.press("1", "c", "x", "u", "j", "k", "pagedown", "end", "n", "p")
            await pilot.click(ArticleView, offset=(10, 2))
            await pilot.pause()
            assert app.is_running
            assert isinstance(app.screen, LabelScreen)
            assert labeled(app) == "0/0"
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, LabelScreen)
        assert db.article_infos() == []
        assert db.annotators() == []
    finally:
        db.close()


async def test_empty_database_body_explains_what_to_do(db_path: Path) -> None:
    """The empty state says what to do, in the body, not just the title.

    Regression: the text used to go to ArticleView.show_article with no sentences, so the
    layout had no lines and nothing was drawn."""
    db = Database.open(db_path)
    try:
        app = AnnotatorApp(db, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = screenshot_text(app)
            assert "No articles in this database yet." in shown
            assert "annotator label" in shown
    finally:
        db.close()


async def test_article_list_row_updates_on_screen_when_the_list_is_scrolled(tmp_path: Path) -> None:
    """A label changes its article's count in the list even far down a scrolled list
    (the row, not a row one scroll-height away, is repainted)."""
    database = db_with_texts(tmp_path / "many", *(f"Article number {i}. It has two sentences." for i in range(80)))
    try:
        app = AnnotatorApp(database, "ana")
        async with app.run_test(size=(120, 30)) as pilot:
            screen = label_screen(app)
            screen.goto_article(70)
            await pilot.pause()
            articles = screen.article_list
            assert articles.scroll_offset.y > 0
            await pilot.press("1")
            await pilot.pause()
            assert articles.row_text(70).split()[-1] == "1/2"
            # What the compositor paints: Textual's line cache, stale unless the right row was refreshed.
            lines = [strip.text for strip in articles.render_lines(articles.scrollable_content_region)]
            assert sum(line.rstrip().endswith("1/2") for line in lines) == 1
    finally:
        database.close()
