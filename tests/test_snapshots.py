"""Snapshot tests (pytest-textual-snapshot): the screens as a reviewer sees them.

Regenerate after an intended change of the look with
``pytest tests/test_snapshots.py --snapshot-update`` and check the new SVGs by eye.
Only fixed input reaches the screen: the two samples, a fixed annotator name and key
presses; timestamps, paths and the login name are never shown.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from annotator.app import AnnotatorApp
from annotator.storage import Database

SIZE = (120, 40)
ANNOTATOR = "ana"




def test_main_screen_after_three_labels(snap_compare, sample_db: Database) -> None:
    """Article 0 with claim, quote, background on its first three sentences; cursor on the fourth."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("1", "2", "3")

    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    assert [lab.label for lab in sample_db.labels(sample_db.article_infos()[0].id, ANNOTATOR)] == [
        "claim",
        "quote",
        "background",
    ]


def test_help_screen(snap_compare, sample_db: Database) -> None:
    """The help over the main screen, listing every key."""
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"])


def test_split_mode(snap_compare, sample_db: Database) -> None:
    """`s` on the fourth sentence: the caret at a word boundary ("│" and the word's first
    letter reversed), the status line and footer in split mode."""
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=SIZE, press=["j", "j", "j", "s", "right"])


def test_split_mode_at_80x24(snap_compare, sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=(80, 24), press=["j", "j", "j", "s", "right"])


def test_after_a_split(snap_compare, sample_db: Database) -> None:
    """The fourth sentence split in two: each half on its own line, unlabeled; the count is of 20."""
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=(80, 24), press=["1", "1", "1", "1", "k", "s", "enter"])


def _suggesting(sample_db: Database) -> AnnotatorApp:
    from annotator.suggest.live import LiveSuggestions
    from annotator.suggest.rules import RulesSuggester

    return AnnotatorApp(sample_db, ANNOTATOR, suggestions=LiveSuggestions(RulesSuggester(), min_score=0.5))


async def _suggestions_shown(pilot: Pilot[None]) -> None:
    for _ in range(300):
        await pilot.pause()
        if not [w for w in pilot.app.workers if w.group == "suggest" and not w.is_finished]:
            break
    await pilot.pause()


def test_suggestions_as_ghost_labels(snap_compare, sample_db: Database) -> None:
    """--suggest rules on the samples: the quotes and boilerplate suggested (~ dimmed in the margin),
    the hint line naming the suggestion under the cursor; one accepted with enter."""

    async def run_before(pilot: Pilot[None]) -> None:
        await _suggestions_shown(pilot)
        await pilot.press("enter")

    assert snap_compare(_suggesting(sample_db), terminal_size=SIZE, run_before=run_before)


def test_suggestions_at_80x24(snap_compare, sample_db: Database) -> None:
    assert snap_compare(_suggesting(sample_db), terminal_size=(80, 24), run_before=_suggestions_shown)
def test_flag_and_note_at_80x24(snap_compare, sample_db: Database) -> None:
    """A flagged sentence with a note: ⚑ and ✎ in the margin after its label, the note on the
    hint line; a note-only and a flag-only sentence below (the margin still fits at 80 columns)."""
    db = sample_db
    aid = db.article_infos()[0].id
    s = db.get_article(aid).sentences
    db.set_note(aid, s[1].start, s[1].end, ANNOTATOR, "quote or claim? the attribution is two sentences later")
    db.set_flag(aid, s[1].start, s[1].end, ANNOTATOR, True)
    db.set_note(aid, s[2].start, s[2].end, ANNOTATOR, "[bold]not markup[/]")
    db.set_flag(aid, s[3].start, s[3].end, ANNOTATOR, True)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("1", "3", "k")

    app = AnnotatorApp(db, ANNOTATOR)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# Issue 14: the layout at any terminal size (the list narrows at 80, folds away at 60 and 40,
# grows at 200; the status line keeps its essentials; no word of the text is cut).
SIZES = [(80, 24), (60, 15), (40, 10), (200, 60)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_main_screen_at_size(snap_compare, sample_db: Database, size: tuple[int, int]) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=size, press=["1", "2", "3"])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_help_at_size(snap_compare, sample_db: Database, size: tuple[int, int]) -> None:
    app = AnnotatorApp(sample_db, ANNOTATOR)
    assert snap_compare(app, terminal_size=size, press=["question_mark"])
