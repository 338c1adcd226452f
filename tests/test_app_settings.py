"""The app keeps the user's settings: a theme picked is there after a restart, the list width
applies, a damaged settings file is one notification, screenshots go to a folder that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.app import AnnotatorApp
from annotator.settings import SETTINGS_FILE, load_user_settings
from annotator.storage import Database
from annotator.ui.article_list import ArticleList

SIZE = (100, 30)


def _app(db: Database, folder: Path) -> AnnotatorApp:
    user = load_user_settings(folder)
    return AnnotatorApp(db, "ana", theme=user.theme, list_width=user.list_width, auto_next=user.auto_next,
                        user_settings=user)


async def test_theme_is_kept_across_a_restart(sample_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "config"
    app = _app(sample_db, folder)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        app.theme = "nord"  # what the palette's "Change theme" does
        await pilot.pause()
        await pilot.pause()
    assert load_user_settings(folder).theme == "nord"
    again = _app(sample_db, folder)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_without_user_settings_nothing_is_written(sample_db: Database, own_settings: Path) -> None:
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause()
    assert not (own_settings / SETTINGS_FILE).exists()
    assert app.auto_next is True


@pytest.mark.parametrize("width", ["hidden", "20"])
async def test_list_width_setting(sample_db: Database, tmp_path: Path, width: str) -> None:
    load_user_settings(tmp_path).set("list_width", width)
    app = _app(sample_db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        articles = app.screen.query_one(ArticleList)
        if width == "hidden":
            assert not articles.display
        else:
            assert articles.outer_size.width == 20


async def test_unavailable_theme_is_one_notification(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "ana", theme="gone-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert [n.message for n in app._notifications if "gone-theme" in n.message]


async def test_screenshot_goes_to_a_folder_that_exists(sample_db: Database, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/Downloads, no ~/Pictures
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        app.deliver_screenshot()  # what the palette's "Screenshot" runs
        for _ in range(20):
            await pilot.pause(0.05)
            if list(tmp_path.glob("*.svg")):
                break
        await pilot.pause(0.1)
        assert list(tmp_path.glob("*.svg"))
        assert any("Saved screenshot to" in n.message and str(tmp_path) in n.message for n in app._notifications)


async def test_review_app_starts_with_and_keeps_the_theme(sample_db: Database, tmp_path: Path) -> None:
    from annotator.ui.review import ReviewApp

    load_user_settings(tmp_path).set("theme", "nord")
    user = load_user_settings(tmp_path)
    app = ReviewApp(sample_db, "lead", theme=user.theme, user_settings=user)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.pause()
        await pilot.pause()
    assert load_user_settings(tmp_path).theme == "gruvbox"
