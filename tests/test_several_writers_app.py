"""The apps take in what other reviewers save meanwhile (Pilot; the other reviewer is a second
``Database`` on the same files, which locks exactly as another process does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.importer import apply_import, plan_import
from annotator.model import Decision, Label, now_iso
from annotator.session import OTHERS_SECONDS
from annotator.storage import Database
from annotator.ui.review import ReviewApp, ReviewScreen
from conftest import SAMPLES

SIZE = (120, 40)
WAIT = OTHERS_SECONDS * 1.6


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "annotations.json"
    with Database.open(p) as db:
        apply_import(db, plan_import([SAMPLES]))
    return p


@pytest.fixture
def budi(path: Path) -> Iterator[Database]:
    db = Database.open(path, reviewer="budi")
    try:
        yield db
    finally:
        db.close()


def _screen(app: AnnotatorApp) -> LabelScreen:
    assert isinstance(app.screen, LabelScreen)
    return app.screen


def _label(db: Database, aid: str, k: int, who: str, name: str) -> None:
    s = db.get_article(aid).sentences[k]
    db.set_label(Label(aid, s.start, s.end, name, who, now_iso()))


async def test_a_reviewer_sees_the_others_labels_and_new_articles_without_a_restart(
        path: Path, budi: Database, tmp_path: Path) -> None:
    ana = Database.open(path, reviewer="ana")
    try:
        app = AnnotatorApp(ana, "ana", show_others=True)
        async with app.run_test(size=SIZE) as pilot:
            screen = _screen(app)
            aid = screen.session.infos[0].id
            await pilot.press("1")  # ana: claim on sentence 1, cursor on sentence 2
            _label(budi, aid, 1, "budi", "quote")
            _label(budi, aid, 0, "budi", "background")
            await pilot.pause(WAIT)
            others = str(screen.query_one("#others", Static).content)
            assert "budi" in others and "quote" in others, others
            assert screen.session.others[0] == [("budi", "background")]
            assert screen.session.labels[0] is not None and screen.session.labels[0].label == "claim"
            # An import by someone else: the article comes at the end of the list.
            extra = tmp_path / "new.txt"
            extra.write_text("Judul baru\n\nIni kalimat pertama. Ini kalimat kedua.\n", encoding="utf-8")
            apply_import(budi, plan_import([extra]))
            await pilot.pause(WAIT)
            assert len(screen.session.infos) == 3 and len(screen.article_list.shown) == 3
            await pilot.press("1")  # still labeling, saved as ever
    finally:
        ana.close()
    with Database.open(path, readonly=True) as db:
        aid = db.article_infos()[0].id
        assert sorted((x.annotator, x.label) for x in db.labels(aid)) == [
            ("ana", "claim"), ("ana", "claim"), ("budi", "background"), ("budi", "quote")]


async def test_a_label_on_a_sentence_split_a_moment_ago_is_refused_and_the_article_shown_again(
        path: Path, budi: Database) -> None:
    ana = Database.open(path, reviewer="ana")
    try:
        app = AnnotatorApp(ana, "ana")
        async with app.run_test(size=SIZE) as pilot:
            screen = _screen(app)
            aid = screen.session.infos[0].id
            n = screen.session.article_total
            s0 = budi.get_article(aid).sentences[0]
            budi.split_sentence(aid, s0.start + (s0.end - s0.start) // 2, "budi")
            await pilot.press("1")  # before the screen took the split in
            await pilot.pause(0.1)
            toasts = [n.message for n in app._notifications]
            assert any("not one of its sentences" in t for t in toasts), toasts
            assert screen.session.article_total == n + 1  # shown as it is now
            assert not ana.labels(aid, "ana")
            await pilot.press("1")  # on the first half now: saved
            await pilot.pause(WAIT)
            assert [x.label for x in ana.labels(aid, "ana")] == ["claim"]
    finally:
        ana.close()


async def test_the_review_queue_takes_in_new_disagreements(path: Path, budi: Database) -> None:
    with Database.open(path, reviewer="ana") as ana:
        aid = ana.article_infos()[0].id
        _label(ana, aid, 0, "ana", "claim")
        _label(ana, aid, 1, "ana", "claim")
    _label(budi, aid, 0, "budi", "quote")  # one dispute so far
    lead = Database.open(path, reviewer="lead", role="review")
    try:
        app = ReviewApp(lead, "lead")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            assert screen.session.total == 1
            await pilot.press("1")  # the lead decides it: claim
            _label(budi, aid, 1, "budi", "background")  # a new dispute
            _label(budi, aid, 0, "budi", "claim")  # and budi changes the decided one
            await pilot.pause(WAIT)
            assert screen.session.total == 2
            first, second = screen.session.items
            assert first.stale and second.decision is None
            header = str(screen.query_one("#review-header", Static).content)
            assert "dispute" in header and "of 2" in header, header
    finally:
        lead.close()
    with Database.open(path, readonly=True) as db:
        assert [d.label for d in db.decisions(aid)] == ["claim"]
        assert isinstance(db.decisions(aid)[0], Decision)
