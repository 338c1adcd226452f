"""The command palette (ctrl+p) reaches any article by title."""

from __future__ import annotations

from annotator.app import AnnotatorApp
from annotator.storage import Database


async def test_command_palette_finds_an_article_by_title(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Tertarik")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.article_index == 1
        await pilot.press("ctrl+p", *"next unfinished")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.article_index == 0
