"""Guidelines in view (issue 12): stored with `annotator scheme guidelines FILE.md`, shown on
`g` with each label's definition, searchable, safe with hostile text; the definition of the
cursor's label in the hint line; descriptions in the help."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Markdown, Static

from annotator import schemes
from annotator.app import AnnotatorApp
from annotator.storage import Database
from annotator.ui.guidelines import GuidelinesScreen, blocks, labels_markdown

from conftest import run_cli

GUIDE = """# Claim or background?

A **claim** can be checked: a number, a date, an event that happened.

Background sets the scene: history, context.

## Quotes

A quote has an attribution: *kata*, *ujar*, **menurut**.

```
"Trump dan Putin ...," kata Kuzmarov.

(the blank line above stays in the block)
```
"""


def test_blocks_keep_a_fenced_block_whole() -> None:
    got = blocks(GUIDE)
    assert got[0] == "# Claim or background?"
    assert got[-1].startswith("```") and got[-1].endswith("```") and "\n\n" in got[-1]
    assert len(got) == 6


def test_label_names_and_descriptions_are_literal_markdown(sample_db: Database) -> None:
    scheme = schemes.add(sample_db.scheme, "*bold*", key="o", description="[red]not markup[/red] # no heading")
    text = labels_markdown(scheme)
    assert "\\*bold\\*" in text and "4/o" in text and "\\[red\\]not markup\\[/red\\] \\# no heading" in text


def test_cli_stores_prints_and_clears(sample_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(sample_db.path)
    sample_db.close()
    guide = tmp_path / "g.md"
    guide.write_text(GUIDE, encoding="utf-8")
    code, out, _ = run_cli(capsys, "scheme", "guidelines", str(guide), "--db", path)
    assert code == 0 and f"stored {len(GUIDE.splitlines())} line(s)" in out
    code, out, _ = run_cli(capsys, "scheme", "guidelines", "--db", path)
    assert code == 0 and out.startswith("# Claim or background?\n") and "kata Kuzmarov" in out
    for bad, why in ((tmp_path / "none.md", "no such file"), (tmp_path, "a folder")):
        code, _, err = run_cli(capsys, "scheme", "guidelines", str(bad), "--db", path)
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    code, _, err = run_cli(capsys, "scheme", "guidelines", str(empty), "--db", path)
    assert code == 2 and "the file is empty" in err
    code, out, _ = run_cli(capsys, "scheme", "guidelines", "--clear", "--db", path)
    assert code == 0 and "removed" in out
    code, out, _ = run_cli(capsys, "scheme", "guidelines", "--db", path)
    assert "no guidelines stored" in out


async def test_g_opens_the_guidelines_and_search_finds_a_block(sample_db: Database) -> None:
    sample_db.set_guidelines(GUIDE)
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GuidelinesScreen)
        assert "claim" in screen.sources[0] and "An assertion of fact" in screen.sources[0]
        await pilot.press("slash", *"ujar", "enter")
        status = str(screen.query_one("#guidelines-status", Static).render())
        assert "match 1 of 1" in status
        assert screen.query_one("#block-5", Markdown).has_class("match")  # the quote paragraph
        assert screen.find("kata") == 2 and screen.find("nothing like this") == 0
        await pilot.press("escape")
        assert not isinstance(app.screen, GuidelinesScreen)


async def test_hostile_guidelines_are_shown_as_text(sample_db: Database) -> None:
    sample_db.set_guidelines("Evil \x1b[2J\x1b]0;title\x07 [bold red]markup[/] \x9b31m end\u202e.")
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        source = app.screen.sources[1]  # type: ignore[attr-defined]
        assert "\x1b" not in source and "\x07" not in source and "\x9b" not in source and "\u202e" not in source
        assert "[bold red]markup[/]" in source


async def test_hint_line_defines_the_cursors_label_and_help_lists_descriptions(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        hint = app.screen.query_one("#hint", Static)
        assert "g: the labels' definitions" in str(hint.render())
        await pilot.press("1", "k")  # label claim, go back to it
        assert "claim: An assertion of fact or opinion that could be checked." in str(hint.render())
        await pilot.press("0", "k")
        assert "skip: not applicable" in str(hint.render())
        await pilot.press("question_mark")
        text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Reported speech: a direct or indirect quotation" in text


def test_guidelines_screen_snapshot(snap_compare, sample_db: Database) -> None:  # type: ignore[no-untyped-def]
    sample_db.set_guidelines(GUIDE)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("g", "slash", *"ujar", "enter")

    assert snap_compare(AnnotatorApp(sample_db, "ana"), terminal_size=(120, 40), run_before=run_before)


def test_guidelines_screen_snapshot_80x24(snap_compare, sample_db: Database) -> None:  # type: ignore[no-untyped-def]
    sample_db.set_guidelines(GUIDE)
    assert snap_compare(AnnotatorApp(sample_db, "ana"), terminal_size=(80, 24), press=["g"])
