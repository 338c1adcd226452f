"""The article view on a 10,000-sentence article, driven through Textual's Pilot.

Functional, not timed (``bench/bench_view.py`` measures): the long article opens, every key
still lands where it should, a label repaints only its own sentence, the wheel and a resize
behave, and the label colours stay readable in a light theme.  One article is imported once
per module; each test works on its own copy of that database.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual.color import Color
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.widgets import Static

from annotator import layout
from annotator.app import AnnotatorApp
from annotator.importer import apply_import, plan_import
from annotator.model import Label, now_iso
from annotator.storage import Database
from annotator.ui import article_view
from annotator.ui.article_view import ArticleView

N = 10_000
SIZE = (120, 40)

_WORDS = (
    "the council said on monday that new rules for the port would take effect next month after officials "
    "met industry leaders in the capital to discuss rising costs of fuel and food prices budget minister "
    "election police report data showed percent billion company shares market investors economy growth "
    "quarter residents workers farmers school hospital court agency statement spokesman road bridge flood"
).split()
_ENDS = ["today", "this week", "last year", "in the region", "for now", "on Tuesday"]


def news_text(n_sentences: int, seed: int = 10) -> str:
    """A title, then paragraphs of 2-8 sentences of 10-35 words, some of them quotations."""
    rng = random.Random(seed)
    out = ["Council Weighs New Port Rules", ""]
    left = n_sentences - 1
    while left > 0:
        k = min(rng.randint(2, 8), left)
        para = []
        for _ in range(k):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 35))]
            words[0] = words[0].capitalize()
            if rng.random() < 0.08:
                para.append(f"\u201c{' '.join(words)},\u201d said Siti Rahma.")
            else:
                para.append(" ".join(words) + f" {rng.choice(_ENDS)}.")
        out += [" ".join(para), ""]
        left -= k
    return "\n".join(out)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale")
    src = folder / "long-article.txt"
    src.write_text(news_text(N), encoding="utf-8")
    db = Database.open(folder / "db" / "annotations.json")
    try:
        plan = plan_import([src])
        assert not plan.errors
        apply_import(db, plan)
        assert [i.n_sentences for i in db.article_infos()] == [N]
    finally:
        db.close()
    return folder / "db"


@pytest.fixture
def big_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "db"
    shutil.copytree(template, copy)
    database = Database.open(copy / "annotations.json")
    try:
        yield database
    finally:
        database.close()


# ----------------------------------------------------------------------------- helpers


def view(app: AnnotatorApp) -> ArticleView:
    return app.screen.query_one(ArticleView)


def status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


def on_screen(v: ArticleView, sentence: int) -> bool:
    """Is the sentence's first display line inside the view?"""
    top = int(v.scroll_offset.y)
    return top <= v._layout.first_line[sentence] < top + v.scrollable_content_region.height


def screen_rows(app: AnnotatorApp) -> list[str]:
    """The screen as the compositor has it (what the terminal was last sent, stale lines
    included), one string per row, one character per cell (the test text is single-width)."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def view_rows(app: AnnotatorApp) -> list[str]:
    """The rows of the screen the view's content occupies, cut to its columns."""
    v = view(app)
    region = v.content_region
    rows = screen_rows(app)[region.y : region.y + region.height]
    return [row[region.x : region.x + region.width] for row in rows]


def shown_text(v: ArticleView, line_no: int) -> str:
    _, start, end = v._layout.lines[line_no]
    return v._text[start:end].strip()


# ----------------------------------------------------------------------------- tests


async def test_long_article_opens_and_end_jumps_to_its_last_sentence(big_db: Database) -> None:
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        v = view(app)
        layout = v._layout
        assert len(layout.first_line) == N
        assert len(layout.lines) > N  # long sentences wrap, paragraphs are apart
        assert v.virtual_size.height == len(layout.lines)
        assert (app.session.cursor, v.cursor) == (0, 0)
        assert f"0/{N} labeled" in status(app)
        assert view_rows(app)[0].startswith("▌")
        assert "Council Weighs New Port Rules" in view_rows(app)[0]

        await pilot.press("end")
        last = N - 1
        assert (app.session.cursor, v.cursor) == (last, last)
        assert f"sentence {N}/{N}" in status(app)
        assert on_screen(v, last)
        row = layout.first_line[last] - int(v.scroll_offset.y)
        shown = view_rows(app)[row]
        assert shown.startswith("▌")
        assert shown_text(v, layout.first_line[last]) in shown

        await pilot.press("home")
        assert v.cursor == 0 and v.scroll_offset.y == 0


async def test_a_label_repaints_only_its_own_sentence(big_db: Database) -> None:
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        await pilot.pause()
        v = view(app)
        last = N - 1
        first, count = v._layout.first_line[last], v._layout.line_count[last]
        cached = set(v._cache.keys())
        assert any(key[0] < first for key in cached), "the screenful above should be cached"

        rendered: list[int] = []
        render = v._render_display_line

        def spy(line_no: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            rendered.append(line_no)
            return render(line_no, *args, **kwargs)  # type: ignore[arg-type]

        v._render_display_line = spy  # type: ignore[method-assign]
        await pilot.press("1")
        await pilot.pause()

        assert app.session.cursor == last  # the last sentence: labeled in place
        assert sorted(rendered) == list(range(first, first + count))
        others = {key for key in cached if not first <= key[0] < first + count}
        assert others and others <= set(v._cache.keys()), "other sentences' lines were dropped"
        row = first - int(v.scroll_offset.y)
        assert view_rows(app)[row].startswith("▌claim")
        assert f"1/{N} labeled" in status(app)
        # The article list's row shows the new count on screen too.
        assert any(f"1/{N}" in r[:34] for r in screen_rows(app)[:3])
    art = big_db.get_article(big_db.article_infos()[0].id)
    [label] = big_db.labels(art.id, "ana")
    assert (label.start, label.end, label.label) == (art.sentences[last].start, art.sentences[last].end, "claim")


async def test_a_scroll_by_the_cursor_finds_the_new_lines_rendered_ahead(big_db: Database) -> None:
    """When the cursor leaves the view, the lines the recentring scroll brings in were
    rendered after an earlier frame (``_prefetch``): the scrolling key renders only the
    lines of the two sentences the cursor left and reached."""
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        v = view(app)
        height = v.scrollable_content_region.height
        for direction in ("j", "k"):
            if direction == "k":
                await pilot.press("end")
            await pilot.pause()
            top = int(v.scroll_offset.y)
            while True:  # up to the last move before the cursor leaves the view
                nxt = v.cursor + (1 if direction == "j" else -1)
                first, count = v._layout.first_line[nxt], v._layout.line_count[nxt]
                if not (top <= first and first + count <= top + height):
                    break
                await pilot.press(direction)
            await pilot.pause()

            rendered: list[int] = []
            ahead = False
            render, prefetch = v._render_display_line, v._prefetch

            def spy(line_no: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
                if not ahead:
                    rendered.append(line_no)
                return render(line_no, *args, **kwargs)  # type: ignore[arg-type]

            def spy_prefetch() -> None:
                nonlocal ahead
                ahead = True
                try:
                    prefetch()
                finally:
                    ahead = False

            v._render_display_line = spy  # type: ignore[method-assign]
            v._prefetch = spy_prefetch  # type: ignore[method-assign]
            old = v.cursor
            await pilot.press(direction)
            await pilot.pause()
            del v._render_display_line, v._prefetch
            assert int(v.scroll_offset.y) != top, "the move should have scrolled"
            sentences = {v._layout.lines[line][0] for line in rendered}
            assert sentences <= {old, v.cursor}, f"{direction}: rendered lines of {sorted(sentences)}"
        assert len(v._cache) <= article_view.STRIPS_KEPT


async def test_cursor_moves_in_a_scrolled_view_repaint_the_right_lines(big_db: Database) -> None:
    """Regression: the view subtracted the scroll offset twice when refreshing a sentence, so
    once scrolled, a move that did not scroll left the bar on the old sentence."""
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        v = view(app)
        top = int(v.scroll_offset.y)
        await pilot.press("k", "k", "k")
        await pilot.pause()
        assert int(v.scroll_offset.y) == top, "the moves should not have scrolled"
        cursor = N - 4
        first, count = v._layout.first_line[cursor], v._layout.line_count[cursor]
        bar_rows = [i for i, row in enumerate(view_rows(app)) if row.startswith("▌")]
        assert bar_rows == list(range(first - top, first - top + count))


async def test_the_scrollbar_follows_the_view(big_db: Database) -> None:
    """The scrollbar repaints only when its thumb moves; it must never be left behind."""
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        v = view(app)
        for keys in (["pagedown"] * 2, ["j"] * 2, ["end"], ["k"] * 2, ["pageup"], ["home"]):
            await pilot.press(*keys)
            await pilot.pause()
            shown = app.export_screenshot()
            v.vertical_scrollbar.refresh()
            await pilot.pause()
            assert app.export_screenshot() == shown, f"stale scrollbar after {keys[0]!r}"


async def test_kept_strips_are_what_textual_renders(big_db: Database) -> None:
    """The view and its scrollbar hand Textual Strips kept from former frames instead of
    rendering every row again; they must be exactly what Textual's own render gives, after
    labels, moves, scrolls, a theme change and a hovered scrollbar."""
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        v = view(app)
        bar = v.vertical_scrollbar

        def check(step: str) -> None:
            for widget, base in ((v, ScrollView), (bar, ScrollBar)):
                region = Region(0, 0, *widget.size)
                kept = [list(strip) for strip in widget.render_lines(region)]
                widget.refresh()  # then Textual's render from scratch
                fresh = [list(strip) for strip in base.render_lines(widget, region)]
                assert kept == fresh, f"{type(widget).__name__} after {step}"

        steps: list[tuple[str, list[str]]] = [
            ("open", []), ("page down", ["pagedown", "pagedown"]), ("labels", ["1", "2", "3", "3"]),
            ("moves", ["j"] * 9 + ["k"] * 4), ("end", ["end"]), ("label at end", ["x", "1"]), ("home", ["home"]),
        ]
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            for step, keys in steps:
                await pilot.press(*keys)
                await pilot.pause()
                check(f"{step} ({theme})")
        bar.mouse_over = True
        await pilot.pause()
        check("hovering the scrollbar")


async def test_mouse_wheel_scrolls_the_view_not_the_cursor(big_db: Database) -> None:
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        v = view(app)
        assert v.scroll_offset.y == 0
        for _ in range(3):
            await pilot._post_mouse_events([events.MouseScrollDown], ArticleView, offset=(20, 5))
        top = int(v.scroll_offset.y)
        assert top > 0
        assert v.cursor == 0
        first_row = view_rows(app)[0]
        if v._layout.lines[top][0] >= 0:
            assert shown_text(v, top) in first_row
        await pilot._post_mouse_events([events.MouseScrollUp], ArticleView, offset=(20, 5))
        assert 0 <= int(v.scroll_offset.y) < top


async def test_resize_rewraps_and_keeps_the_cursor_in_view(big_db: Database) -> None:
    art = big_db.get_article(big_db.article_infos()[0].id)
    middle = N // 2
    big_db.put_labels(
        [Label(art.id, s.start, s.end, "background", "ana", now_iso()) for s in art.sentences[:middle]]
    )
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        v = view(app)
        assert v.cursor == middle  # resumed at the first unlabeled sentence
        assert on_screen(v, middle)
        wide = v._layout.width, len(v._layout.lines)

        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        narrow = v._layout.width, len(v._layout.lines)
        assert narrow[0] < wide[0] and narrow[1] > wide[1]
        assert narrow[0] == v.scrollable_content_region.width - v._gutter_width
        assert v.virtual_size.height == narrow[1]
        assert v.cursor == middle and on_screen(v, middle)
        row = v._layout.first_line[middle] - int(v.scroll_offset.y)
        assert view_rows(app)[row].startswith("▌")

        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert (v._layout.width, len(v._layout.lines)) == wide
        assert on_screen(v, middle)


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two colours (1 = none, 21 = black on white)."""

    def luminance(c: Color) -> float:
        def channel(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
async def test_label_colours_stay_readable_in_light_and_dark_themes(big_db: Database, theme: str) -> None:
    app = AnnotatorApp(big_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "3", "k")
        app.theme = theme
        await pilot.pause()
        v = view(app)
        background = Color.from_rich_color(v.rich_style.bgcolor)
        names = [f"label-{i}" for i in range(1, 7)] + [f"marker-{i}" for i in range(1, 7)] + ["pending", "gutter"]
        for name in names:
            fg = Color.from_rich_color(v.get_component_rich_style(f"article-view--{name}").color)
            assert fg != background
            assert contrast(fg, background) >= 3.0, f"{name} on {theme}: {fg.hex} on {background.hex}"
        # What is drawn uses them: the quote label's colour on its (non-cursor) first line.
        quote = v._label_class["quote"]
        want = v.get_component_rich_style(f"article-view--label-{quote}").color
        strip = v.render_line(v._layout.first_line[1] - int(v.scroll_offset.y))
        assert any(seg.style is not None and seg.style.color == want for seg in strip)


def test_article_view_has_no_colour_literals() -> None:
    """Every colour comes from the theme, so any theme (light, dark, high contrast) works."""
    source = Path(article_view.__file__).read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", source)
    assert not re.search(r"\b(rgba?|hsla?)\(", source)
    assert not re.search(r"\bansi_\w+", source)
    assert "$" in article_view.ArticleView.DEFAULT_CSS


# One-cell characters and " " (the fast path's domain), words short and long.
_PIECES = ["a", "bc", "Word", "sentence", " ", " ", "  ", ".", "\u00e9", "\u201c", "x" * 14]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), st.integers(min_value=1, max_value=30))
def test_the_fast_wrap_gives_what_the_general_wrap_gives(text: str, width: int) -> None:
    """layout wraps a line at a time when every character takes one cell and " " is the
    only space (what makes a 10,000-sentence article wrap in tens of milliseconds); it must
    cut exactly where the word-by-word wrap cuts."""
    if not text.strip():
        return
    assert (text.isascii() and text.isprintable()) or layout._single_cells(text)
    fast = layout._wrap_simple(text, 0, len(text), len(text.rstrip()), width)
    if fast is not None:  # None: a word wider than the line, left to the general wrap
        assert fast == layout._wrap_words(text, 0, len(text), width)
