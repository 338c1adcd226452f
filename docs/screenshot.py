"""Regenerate docs/main-screen.svg: the main screen on the samples after a few labels.

    python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from annotator.app import AnnotatorApp
from annotator.importer import apply_import, plan_import
from annotator.storage import Database

ROOT = Path(__file__).resolve().parent.parent


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "annotations.json")
        try:
            apply_import(db, plan_import([ROOT / "samples"]))
            app = AnnotatorApp(db, "ana")
            async with app.run_test(size=(120, 32)) as pilot:
                await pilot.press("1", "2", "3", "3", "1", "2")
                await pilot.pause()
                svg = app.export_screenshot(title="annotator")
        finally:
            db.close()
    (ROOT / "docs" / "main-screen.svg").write_text(svg, encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
