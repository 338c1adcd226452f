"""The adjudication queue (annotator.review_session), without a terminal.

Every test checks the session's state *and* what reached the database: a final label
shown but not stored (or stored but not shown) is the failure that matters.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from annotator.errors import SaveError
from annotator.model import Decision, Label, now_iso
from annotator.review_session import REASON_MAX, ReviewSession
from annotator.storage import Database

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
DISK_FULL = "could not save labels: disk full; free disk space"


def put(db: Database, article: int, sentence: int, annotator: str, label: str) -> None:
    info = db.article_infos()[article]
    span = db.get_article(info.id).sentences[sentence]
    db.set_label(Label(info.id, span.start, span.end, label, annotator, now_iso()))


def decision(db: Database, article: int, sentence: int) -> Decision | None:
    info = db.article_infos()[article]
    span = db.get_article(info.id).sentences[sentence]
    found = [d for d in db.decisions(info.id) if (d.start, d.end) == (span.start, span.end)]
    return found[0] if found else None


def old_decision(db: Database, article: int, sentence: int, label: str, by: str, reason: str,
                 votes: tuple[tuple[str, str], ...]) -> Decision:
    info = db.article_infos()[article]
    span = db.get_article(info.id).sentences[sentence]
    d = Decision(info.id, span.start, span.end, label, by, reason, "2026-01-02T03:04:05.678Z", votes)
    db.set_decision(d)
    return d


@pytest.fixture
def disputed(sample_db: Database) -> Database:
    """ana and budi: agree on 0.0, 0.2, 0.4; disagree on 0.1, 0.3 and 1.0; ana alone on 0.5 and 1.1."""
    db = sample_db
    for s, (a, b) in enumerate([("claim", "claim"), ("claim", "quote"), ("quote", "quote"),
                                ("background", "claim"), ("background", "background")]):
        put(db, 0, s, "ana", a)
        put(db, 0, s, "budi", b)
    put(db, 0, 5, "ana", "claim")
    put(db, 1, 0, "budi", "quote")
    put(db, 1, 0, "ana", "background")
    put(db, 1, 1, "ana", "claim")
    return db


def where(s: ReviewSession) -> list[tuple[int, int]]:
    return [(it.article_index, it.sentence) for it in s.items]


def refuse(*_: object, **__: object) -> None:
    raise SaveError(DISK_FULL)


# ----------------------------------------------------------------------------- the queue


def test_queue_holds_only_disputes_in_article_and_sentence_order(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    assert where(s) == [(0, 1), (0, 3), (1, 0)]
    assert s.items[0].votes == (("ana", "claim"), ("budi", "quote"))
    assert s.items[2].votes == (("ana", "background"), ("budi", "quote"))
    assert (s.total, s.decided, s.left, s.stale) == (3, 0, 3, 0)
    assert s.cursor == 0 and s.current is s.items[0]
    assert [i for i, _ in s.in_article(0)] == [0, 1]


def test_cursor_starts_on_the_first_undecided_and_moves_over_the_whole_queue(disputed: Database) -> None:
    old_decision(disputed, 0, 1, "quote", "citra", "", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    assert (s.total, s.decided, s.left) == (3, 1, 2)
    assert s.cursor == 1
    assert s.move(-1) and s.cursor == 0  # decided ones can be visited
    assert not s.move(-1) and s.cursor == 0
    assert s.move(2) and s.cursor == 2
    assert not s.move(1) and s.cursor == 2
    assert s.next_open(2) == 1  # wraps around, skipping the decided one
    s.goto(99)
    assert s.cursor == 2


def test_decide_stores_label_reviewer_votes_and_time_and_moves_to_the_next_open(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    assert s.decide("quote") == "saved"
    d = decision(disputed, 0, 1)
    assert d is not None
    assert (d.label, d.by, d.reason, d.votes) == ("quote", "citra", "", (("ana", "claim"), ("budi", "quote")))
    assert ISO.fullmatch(d.updated_at)
    assert s.items[0].decision == d
    assert s.cursor == 1
    assert (s.decided, s.left) == (1, 2)
    # On disk, not only in memory.
    db2 = Database.open(disputed.path, readonly=True)
    try:
        assert decision(db2, 0, 1) == d
    finally:
        db2.close()


def test_decide_wraps_to_an_earlier_open_dispute_and_stays_when_all_are_decided(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    s.goto(2)
    assert s.decide("claim") == "saved"
    assert s.cursor == 0  # wrapped to the first open one
    assert s.decide("claim") == "saved"
    assert s.cursor == 1
    assert s.decide("background") == "saved"
    assert s.left == 0 and s.decided == 3
    assert s.cursor == 1  # nothing open: stays
    assert [decision(disputed, *p).label for p in [(0, 1), (0, 3), (1, 0)]] == ["claim", "background", "claim"]


def test_deciding_the_same_label_again_writes_nothing_and_moves_on(disputed: Database) -> None:
    first = old_decision(disputed, 0, 1, "quote", "dina", "per guideline 3", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    assert s.decide("quote") == "unchanged"
    assert decision(disputed, 0, 1) == first  # still dina's, with her reason and time
    assert s.cursor == 1
    assert s.undo_stack == []


def test_changing_someone_elses_decision_does_not_sign_their_reason(disputed: Database) -> None:
    old_decision(disputed, 0, 1, "quote", "dina", "per guideline 3", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    assert s.decide("claim") == "saved"
    d = decision(disputed, 0, 1)
    assert d is not None and (d.label, d.by, d.reason) == ("claim", "citra", "")


def test_unknown_label_is_a_caller_bug(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    with pytest.raises(ValueError):
        s.decide("opinion")
    assert decision(disputed, 0, 1) is None


# ----------------------------------------------------------------------------- undo


def test_undo_clears_a_new_decision_and_goes_back_to_it(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    s.decide("quote")
    s.decide("claim")
    assert s.cursor == 2
    r = s.undo()
    assert r.outcome == "undone" and r.change is not None and r.change.index == 1
    assert s.cursor == 1
    assert decision(disputed, 0, 3) is None and s.items[1].decision is None
    assert decision(disputed, 0, 1) is not None
    assert s.undo().outcome == "undone"
    assert s.cursor == 0 and decision(disputed, 0, 1) is None
    assert (s.decided, s.left) == (0, 3)
    assert s.undo().outcome == "nothing"


def test_undo_restores_the_replaced_decision_exactly(disputed: Database) -> None:
    first = old_decision(disputed, 0, 1, "quote", "dina", "per guideline 3", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    s.decide("claim")
    assert decision(disputed, 0, 1).label == "claim"  # type: ignore[union-attr]
    s.goto(2)
    assert s.undo().outcome == "undone"
    assert s.cursor == 0
    # The undo is citra's own decision, stamped now, that brings dina's back: label, reason, votes.
    back = decision(disputed, 0, 1)
    assert back is not None and (back.label, back.reason, back.votes) == (first.label, first.reason, first.votes)
    assert back.by == "citra" and back.updated_at > first.updated_at
    assert s.items[0].decision == back


# ----------------------------------------------------------------------------- reasons


def test_a_reason_noted_before_deciding_is_stored_with_the_label(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    assert s.note("  speaker is\nnamed ") == "noted"
    assert s.current is not None and s.current.draft == "speaker is named"
    assert decision(disputed, 0, 1) is None  # nothing stored until a label is chosen
    assert s.note("speaker is named") == "unchanged"
    s.decide("quote")
    d = decision(disputed, 0, 1)
    assert d is not None and d.reason == "speaker is named" and d.by == "citra"
    assert s.items[0].draft is None


def test_a_reason_on_a_decided_sentence_saves_it_again_and_undo_takes_it_back(disputed: Database) -> None:
    first = old_decision(disputed, 0, 1, "quote", "dina", "", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    assert s.note("attribution follows") == "saved"
    d = decision(disputed, 0, 1)
    assert d is not None
    assert (d.label, d.by, d.reason, d.votes) == ("quote", "citra", "attribution follows", first.votes)
    assert s.note("attribution follows") == "unchanged"
    assert s.undo().outcome == "undone"
    back = decision(disputed, 0, 1)
    assert back is not None and (back.label, back.reason, back.votes) == (first.label, first.reason, first.votes)
    assert s.items[0].draft is None
    assert s.note("") == "unchanged"  # blank on a decision without reason


def test_a_reason_is_cut_to_the_limit(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    s.note("x" * (REASON_MAX + 50))
    s.decide("claim")
    d = decision(disputed, 0, 1)
    assert d is not None and len(d.reason) == REASON_MAX


def test_undoing_a_decision_keeps_the_noted_reason_for_the_next_choice(disputed: Database) -> None:
    s = ReviewSession(disputed, "citra")
    s.note("why")
    s.decide("claim")
    s.undo()
    assert s.current is not None and s.current.draft == "why"
    s.decide("quote")
    d = decision(disputed, 0, 1)
    assert d is not None and (d.label, d.reason) == ("quote", "why")


# ----------------------------------------------------------------------------- stale decisions


def test_a_decision_on_changed_votes_is_stale_and_open_again(disputed: Database) -> None:
    old_decision(disputed, 0, 1, "quote", "citra", "my reason", (("ana", "claim"), ("budi", "claim")))
    old_decision(disputed, 0, 3, "claim", "citra", "", (("ana", "background"), ("budi", "claim")))
    s = ReviewSession(disputed, "citra")
    assert s.items[0].stale and s.items[0].open
    assert not s.items[1].stale
    assert (s.total, s.decided, s.left, s.stale) == (3, 1, 2, 1)
    assert s.cursor == 0  # stale first: it needs a look
    assert s.decide("quote") == "saved"  # same label: confirmed on today's votes
    d = decision(disputed, 0, 1)
    assert d is not None
    assert d.votes == (("ana", "claim"), ("budi", "quote"))
    assert d.reason == "my reason"  # your own reason for the same label stands
    assert not s.items[0].stale and s.stale == 0
    assert s.cursor == 2


# ----------------------------------------------------------------------------- refusals


def test_a_refused_decision_changes_nothing_and_can_be_retried(disputed: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    s = ReviewSession(disputed, "citra")
    monkeypatch.setattr(disputed, "set_decision", refuse)
    assert s.decide("quote") == "failed"
    assert s.save_error is not None and "disk full" in s.save_error.message
    assert s.unsaved is not None and (s.unsaved.index, s.unsaved.label) == (0, "quote")
    assert s.cursor == 0 and s.items[0].decision is None
    assert (s.decided, s.left) == (0, 3) and s.undo_stack == []
    monkeypatch.undo()
    assert decision(disputed, 0, 1) is None
    assert s.decide("quote") == "saved"
    assert s.save_error is None and s.unsaved is None
    assert decision(disputed, 0, 1).label == "quote"  # type: ignore[union-attr]
    assert s.cursor == 1


def test_undo_after_a_refused_choice_just_drops_it(disputed: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    s = ReviewSession(disputed, "citra")
    s.decide("quote")
    monkeypatch.setattr(disputed, "set_decision", refuse)
    assert s.decide("claim") == "failed"
    assert s.undo().outcome == "dropped"
    assert s.unsaved is None and s.save_error is None and s.cursor == 1
    monkeypatch.undo()
    assert decision(disputed, 0, 1).label == "quote"  # type: ignore[union-attr]
    assert s.undo().outcome == "undone"  # the saved one is next
    assert decision(disputed, 0, 1) is None


def test_a_refused_choice_stays_shown_while_others_are_saved(disputed: Database,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    s = ReviewSession(disputed, "citra")
    monkeypatch.setattr(disputed, "set_decision", refuse)
    assert s.decide("quote") == "failed"
    monkeypatch.undo()
    s.move(1)
    assert s.decide("claim") == "saved"
    assert s.unsaved is not None and s.unsaved.index == 0  # not forgotten by a save elsewhere
    assert s.save_error is None
    r = s.undo()
    assert r.outcome == "dropped" and s.cursor == 0 and s.unsaved is None
    assert decision(disputed, 0, 3) is not None  # the saved one is untouched
    assert s.undo().outcome == "undone" and decision(disputed, 0, 3) is None


def test_a_refused_undo_changes_nothing(disputed: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = old_decision(disputed, 0, 1, "quote", "dina", "", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.decide("claim")  # dispute 0.3
    s.goto(0)
    s.decide("claim")  # replaces dina's
    monkeypatch.setattr(disputed, "undo", refuse)
    assert s.undo().outcome == "failed"
    assert s.save_error is not None
    assert len(s.undo_stack) == 2 and s.items[0].decision is not None and s.items[0].decision.label == "claim"
    monkeypatch.undo()
    assert s.undo().outcome == "undone"
    back = decision(disputed, 0, 1)
    assert back is not None and (back.label, back.reason, back.votes) == (first.label, first.reason, first.votes)
    assert s.save_error is None


def test_a_refused_reason_changes_nothing(disputed: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = old_decision(disputed, 0, 1, "quote", "dina", "old", (("ana", "claim"), ("budi", "quote")))
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    monkeypatch.setattr(disputed, "set_decision", refuse)
    assert s.note("new") == "failed"
    assert s.items[0].decision == first and s.items[0].noted is None and s.undo_stack == []
    monkeypatch.undo()
    assert s.note("new") == "saved"
    assert decision(disputed, 0, 1).reason == "new"  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- empty queue


def test_empty_reasons(sample_db: Database) -> None:
    db = sample_db
    s = ReviewSession(db, "citra")
    assert s.items == [] and s.total == 0 and s.current is None
    assert "Nobody has labeled anything" in s.empty_reason()
    assert s.decide("claim") == "unchanged" and s.note("x") == "unchanged" and s.undo().outcome == "nothing"
    put(db, 0, 0, "ana\x1b[2J", "claim")
    reason = ReviewSession(db, "citra").empty_reason()
    assert "Only ana\u241b[2J has labeled" in reason and "\x1b" not in reason
    assert "annotator assign" in reason
    put(db, 1, 0, "budi", "claim")
    assert "never the same article" in ReviewSession(db, "citra").empty_reason()
    put(db, 0, 0, "budi", "claim")
    reason = ReviewSession(db, "citra").empty_reason()
    assert reason.startswith("No disputes: every sentence labeled by two or more reviewers agrees")


def test_empty_database_says_so(db: Database) -> None:
    s = ReviewSession(db, "citra")
    assert s.items == []
    assert "No articles" in s.empty_reason()


def test_review_session_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import annotator.review_session\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_review_undo_and_redo_work_after_a_restart(disputed: Database) -> None:
    """A final label's undo and redo are decisions in its history, so a new review session
    (the app restarted) can still take back and make again the last choice."""
    s = ReviewSession(disputed, "citra")
    s.goto(0)
    s.decide("quote")
    assert decision(disputed, 0, 1) is not None
    again = ReviewSession(disputed, "citra")
    again.goto(2)
    r = again.undo()
    assert r.outcome == "undone" and again.cursor == 0 and decision(disputed, 0, 1) is None
    assert again.items[0].decision is None
    r = ReviewSession(disputed, "citra").redo()
    assert r.outcome == "undone"
    d = decision(disputed, 0, 1)
    assert d is not None and (d.label, d.by) == ("quote", "citra")
    ops = [(e.op, e.label) for e in disputed.history(disputed.article_infos()[0].id, final=True)]
    assert ops == [("label", "quote"), ("undo", None), ("redo", "quote")]
    assert ReviewSession(disputed, "dina").undo().outcome == "nothing"  # each reviewer undoes their own
