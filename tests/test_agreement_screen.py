"""The agreement screen (shift+a, or "Show agreement" in the palette), driven by Pilot."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from annotator import agreement
from annotator.agreement import AgreementReport, compute
from annotator.app import AnnotatorApp, LabelScreen
from annotator.importer import apply_import, plan_import
from annotator.model import Label, now_iso
from annotator.storage import Database
from annotator.ui.agreement import COMPUTING, HALF, AgreementScreen, bar, chart
from conftest import SAMPLES

SIZE = (120, 50)
PAIRS = [("claim", "claim"), ("quote", "quote"), ("background", "background"), ("background", "claim"),
         ("background", "background"), ("background", "background"), ("quote", "background")]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "annotations.json")
    try:
        apply_import(database, plan_import([SAMPLES]))
        yield database
    finally:
        database.close()


def label_pairs(db: Database, pairs: Sequence[tuple[str, str]], a: str = "ana", b: str = "budi") -> None:
    info = db.article_infos()[0]
    sentences = db.get_article(info.id).sentences
    for i, (x, y) in enumerate(pairs):
        db.set_label(Label(info.id, sentences[i].start, sentences[i].end, x, a, now_iso()))
        db.set_label(Label(info.id, sentences[i].start, sentences[i].end, y, b, now_iso()))


def text(app: AnnotatorApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_and_wait(app: AnnotatorApp, pilot: Pilot[None]) -> None:
    await pilot.press("A")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_shift_a_shows_the_figures_and_escape_closes(db: Database) -> None:
    label_pairs(db, PAIRS)
    expected = compute(*agreement.collect_units(db))
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await open_and_wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, AgreementScreen)
        assert screen.report is not None and screen.report.to_json() == expected.to_json()
        summary = text(app, "#agreement-summary")
        assert "Items:      7 sentence(s)" in summary and "Reviewers:  2 (ana, budi)" in summary
        for line in agreement.overall_lines(expected) + agreement.pair_lines(expected):
            assert line in summary
        assert not app.screen.query_one("#agreement-status").display
        chart_text = text(app, "#agreement-chart")
        assert "claim" in chart_text and "alpha" in chart_text and "AC1" in chart_text
        alpha = expected.per_label[0].figures.krippendorff_alpha.value
        assert alpha is not None and agreement.number(alpha) in chart_text
        details = text(app, "#agreement-details")
        assert "Confusion matrix: rows ana, columns budi:" in details and "Cohen's kappa per label and pair:" in details
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LabelScreen)
        await open_and_wait(app, pilot)
        assert isinstance(app.screen, AgreementScreen)
        before = db.label_counts("ana")
        await pilot.press("q")  # closes this screen; on the labeling screen q labels "quote"
        await pilot.pause()
        assert isinstance(app.screen, LabelScreen)
        assert db.label_counts("ana") == before


async def test_computing_is_shown_and_only_the_computation_leaves_the_main_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    label_pairs(db, PAIRS)
    release = threading.Event()
    threads: dict[str, bool] = {}
    real_collect, real_compute = agreement.collect_units, agreement.compute

    def collect(database: Database) -> tuple[list[dict[str, str]], list[str]]:
        threads["collect"] = threading.current_thread() is threading.main_thread()
        return real_collect(database)

    def slow_compute(units: Sequence[Mapping[str, str]], categories: Sequence[str]) -> AgreementReport:
        threads["compute"] = threading.current_thread() is threading.main_thread()
        assert release.wait(10)
        return real_compute(units, categories)

    monkeypatch.setattr(agreement, "collect_units", collect)
    monkeypatch.setattr(agreement, "compute", slow_compute)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        await pilot.pause(0.2)
        assert text(app, "#agreement-status") == COMPUTING
        assert not app.screen.query_one("#agreement-summary").display
        await pilot.press("j")  # the app keeps answering meanwhile
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Percent agreement" in text(app, "#agreement-summary")
    assert threads == {"collect": True, "compute": False}


async def test_nothing_to_compare_says_how_to_get_there(db: Database) -> None:
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2")  # ana alone
        await open_and_wait(app, pilot)
        status = text(app, "#agreement-status")
        assert status.startswith("No agreement to show: no sentence was labeled by two or more reviewers.")
        assert "--annotator NAME" in status
        assert not app.screen.query_one("#agreement-chart").display


async def test_palette_opens_it(db: Database) -> None:
    label_pairs(db, PAIRS[:3])
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"show agreement")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, AgreementScreen)
        assert "Reviewers:  2 (ana, budi)" in text(app, "#agreement-summary")


async def test_hostile_names_are_plain_text(db: Database) -> None:
    evil = "[bold red]x[/][@click=app.quit]\x1b[2J"
    label_pairs(db, PAIRS, a=evil)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await open_and_wait(app, pilot)
        summary = text(app, "#agreement-summary")
        assert "[bold red]x[/][@click=app.quit]␛[2J" in summary and "\x1b" not in summary
        assert "Confusion matrix: rows [bold red]x[/][@click=app.quit]␛[2J, columns budi:" in text(
            app, "#agreement-details")
        assert app.is_running


async def test_damaged_labels_file_is_reported_on_the_screen(db: Database, tmp_path: Path) -> None:
    label_pairs(db, PAIRS)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        aid = db.article_infos()[0].id
        db._label_files.clear()  # forget the cached copy: the next read goes to the disk
        (tmp_path / "annotations.d" / "labels" / f"{aid}.json").write_bytes(b'{"labels": tru')
        await open_and_wait(app, pilot)
        status = text(app, "#agreement-status")
        assert status.startswith("Database damaged: ") and aid in status
        assert app.is_running


def test_bar_goes_both_ways_from_the_axis() -> None:
    assert bar(0.5, "$primary").plain == " " * HALF + "│" + "█" * (HALF // 2) + " " * (HALF // 2)
    assert bar(-0.25, "$primary").plain == " " * (HALF - 5) + "█" * 5 + "│" + " " * HALF
    assert bar(-3.0, "$primary").plain == "█" * HALF + "│" + " " * HALF  # clamped
    assert bar(1.0, "$primary").plain == " " * HALF + "│" + "█" * HALF
    negative = bar(-0.5, "$primary")
    assert any(str(span.style) == "$error" for span in negative.spans)


def test_chart_shows_undefined_with_its_reason() -> None:
    report = compute([{"ana": "background", "budi": "background"}] * 3 + [{"ana": "claim", "budi": "quote"}],
                     ["claim", "quote", "background"])
    lines = chart(report).plain.splitlines()
    quote_alpha = next(line for line in lines if line.startswith("quote"))
    assert "│" in quote_alpha and "undefined: " not in quote_alpha
    claim = [line for line in lines if "undefined" in line]
    assert claim == []  # every label was used once: all defined
    report = compute([{"ana": "background", "budi": "background"}] * 3, ["claim", "quote", "background"])
    text_ = chart(report).plain
    assert "undefined: no reviewer used claim on these sentences, so expected disagreement is 0" in text_
    assert "AC1" in text_ and "1.000" in text_


async def agreement_shown(pilot: Pilot[None]) -> None:
    """A pressed, and the agreement computed and drawn."""
    await pilot.press("A")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_agreement_screen_snapshot(snap_compare, db: Database) -> None:  # type: ignore[no-untyped-def]
    """The screen over the labeling screen: two reviewers, seven shared sentences."""
    label_pairs(db, PAIRS)

    assert snap_compare(AnnotatorApp(db, "ana"), terminal_size=SIZE, run_before=agreement_shown)


@pytest.mark.parametrize("size", [(80, 24), (60, 15), (40, 10), (200, 60)], ids=["80x24", "60x15", "40x10", "200x60"])
def test_agreement_screen_at_size(snap_compare, db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The box fits the screen (it scrolls inside, both ways, on a small one)."""
    label_pairs(db, PAIRS)

    assert snap_compare(AnnotatorApp(db, "ana"), terminal_size=size, run_before=agreement_shown)
