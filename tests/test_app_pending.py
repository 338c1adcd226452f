"""Disk full or a read-only folder while labeling: the app says so, keeps the decision, retries."""

from __future__ import annotations

import pytest

from annotator.app import AnnotatorApp
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from test_session import FlakyDisk


def status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status").render())


def gutter(app: AnnotatorApp, sentence: int) -> str:
    view = app.screen.query_one(ArticleView)
    y = view._layout.first_line[sentence] - int(view.scroll_offset.y)
    return "".join(seg.text for seg in view.render_line(y))[:14]


async def test_refused_saves_wait_visibly_and_land_when_the_disk_recovers(
    sample_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = FlakyDisk(sample_db, monkeypatch)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        assert "0/19 labeled" in status(app) and "1 not saved yet, retrying" in status(app)
        assert gutter(app, 0).startswith("!claim?")  # said in words, not only in colour
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "No space left" in errors[0].message and "retried" in errors[0].message
        # Pressing the same key again confirms the waiting decision and moves on; the next
        # decision queues behind it (order kept), with no second notice.
        await pilot.press("1", "2")
        assert app.session.cursor == 1 and "2 not saved yet" in status(app)
        assert len([n for n in app._notifications if n.severity == "error"]) == 1

        disk.full = False
        await pilot.pause(1.5)  # the retry timer runs every second
        assert "2/19 labeled" in status(app) and "not saved" not in status(app)
        assert gutter(app, 0).strip().startswith("claim") and gutter(app, 1).lstrip("▌ ").startswith("quote")
        assert [lab.label for lab in sample_db.labels(app.session.article.id, "ana")] == ["claim", "quote"]  # type: ignore[union-attr]
        assert any("Saved 2 decision(s)" in n.message for n in app._notifications)


async def test_quit_with_pending_decisions_asks_twice(sample_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyDisk(sample_db, monkeypatch)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "ctrl+q")
        assert app.is_running
        assert any("ctrl+q again" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
    assert not app.is_running

