"""S opens the project's stats in a modal (annotator.ui.stats); escape returns to labeling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.model import Label
from annotator.storage import Database
from annotator.ui.stats import StatsScreen

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _work(db: Database) -> None:
    """Two reviewers with stamps a fixed time apart (the snapshot does not change with the clock)."""
    a0, a1 = db.article_infos()
    db.set_assignments({a0.id: ("ana",), a1.id: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0})
    for article, who, n, gap in ((0, "ana", 16, 1.0), (1, "budi", 6, 20.0)):
        info = db.article_infos()[article]
        for k, s in enumerate(db.get_article(info.id).sentences[:n]):
            at = T + timedelta(seconds=gap * k)
            name = "claim" if who == "ana" else ("quote", "claim", "background")[k % 3]
            db.set_label(Label(info.id, s.start, s.end, name, who,
                               at.isoformat(timespec="milliseconds").replace("+00:00", "Z")))


async def test_s_opens_the_stats_and_escape_returns(sample_db: Database) -> None:
    _work(sample_db)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.figures is not None
        text = str(screen.query_one("#stats-text", Static).render())
        assert "ana" in text and "budi" in text and "rushing?" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LabelScreen)


def test_stats_screen_snapshot_80x24(snap_compare, sample_db: Database) -> None:  # type: ignore[no-untyped-def]
    _work(sample_db)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("S")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(AnnotatorApp(sample_db, "ana"), terminal_size=(80, 24), run_before=run_before)


async def _stats_shown(pilot: Pilot[None]) -> None:
    await pilot.press("S")
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [(60, 15), (40, 10), (200, 60)], ids=["60x15", "40x10", "200x60"])
def test_stats_screen_at_size(snap_compare, sample_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The box fits the screen at every size (it scrolls inside on a small one)."""
    _work(sample_db)
    assert snap_compare(AnnotatorApp(sample_db, "ana"), terminal_size=size, run_before=_stats_shown)
