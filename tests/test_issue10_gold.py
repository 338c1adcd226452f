"""Issue 10, item 2: gold never goes stale.

A final label keeps the votes it was chosen from.  When a reviewer changes, clears or adds
a label afterwards, the final label is *stale*: `annotator review` puts the sentence back
in its queue marked as changed (also when the reviewers now agree, or fewer than two are
left), and `export --gold` leaves it out (not even the unanimous fallback) and counts it,
until it is decided again on today's votes.  The gold span and the plain export's `final`
record always carry the same votes: those the decision was made from.

The flow is the real one: ana and budi label the shared sample articles, the lead (citra)
decides in a review session, then a reviewer changes her mind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.export import read_record
from annotator.adjudicate import resolutions
from annotator.export import GoldTally, render
from annotator.model import Decision, internal_id
from annotator.review_session import ReviewSession
from annotator.storage import Database
from annotator.ui.review import ReviewApp
from conftest import run_cli
from test_review import decision, put
from test_review_app import SIZE, screenshot_text, text_of, two_reviewers

STALE_LINE = "gold: 1 final label(s) left out: reviewers changed their labels since; run `annotator review`"


def clear(db: Database, article: int, sentence: int, annotator: str) -> None:
    info = db.article_infos()[article]
    span = db.get_article(info.id).sentences[sentence]
    assert db.clear_label(info.id, span.start, span.end, annotator) is not None


@pytest.fixture
def decided(sample_db: Database) -> Database:
    """ana and budi disagree on 0.1 (claim/quote), 0.3 (background/claim) and 1.5 (quote/background);
    citra decides 0.1 (quote) and 0.3 (claim) in review; 1.5 stays in dispute."""
    db = two_reviewers(sample_db)
    s = ReviewSession(db, "citra")
    assert s.decide("quote") == "saved"  # 0.1
    assert s.decide("claim") == "saved"  # 0.3
    return db


@pytest.fixture
def ana_agrees_now(decided: Database) -> Database:
    """After the decision, ana changes her label of 0.1 from claim to quote: unanimous now."""
    put(decided, 0, 1, "ana", "quote")
    return decided


def gold(db: Database, fmt: str = "jsonl") -> tuple[list[dict[str, Any]], GoldTally]:
    tally = GoldTally()
    data = b"".join(render(db, fmt, gold=tally))
    if fmt == "json":
        return list(orjson.loads(data)), tally
    return [read_record(line) for line in data.splitlines()], tally


def gold_sentences(db: Database) -> dict[tuple[int, int], dict[str, Any]]:
    """(article index, sentence index) -> its gold span, from the `sentences` format."""
    order = {info.id: n for n, info in enumerate(db.article_infos())}
    rows, _ = gold(db, "sentences")
    return {(order[internal_id(r["article_id"])], r["sentence"]): r for r in rows}


# ----------------------------------------------------------------------------- the rule


def test_a_stale_unanimous_sentence_has_no_final_label(ana_agrees_now: Database) -> None:
    db = ana_agrees_now
    info = db.article_infos()[0]
    res = {r.sentence: r for r in resolutions(db.get_article(info.id), db.labels(info.id), db.decisions(info.id))}
    r = res[1]
    assert r.votes == (("ana", "quote"), ("budi", "quote")) and not r.disputed
    assert r.decision is not None and r.decision.votes == (("ana", "claim"), ("budi", "quote"))
    assert r.stale
    assert r.final is None  # neither the old decision nor the new unanimous label
    assert not res[3].stale and res[3].final == ("claim", "adjudicated")


# ----------------------------------------------------------------------------- the review queue


def test_a_stale_unanimous_decision_is_back_in_the_queue_marked_changed(ana_agrees_now: Database) -> None:
    s = ReviewSession(ana_agrees_now, "citra")
    assert [(it.article_index, it.sentence) for it in s.items] == [(0, 1), (0, 3), (1, 5)]
    item = s.items[0]
    assert item.stale and item.open and not item.disputed
    assert [(c.annotator, c.then, c.now) for c in item.changes] == [("ana", "claim", "quote")]
    assert not s.items[1].stale and s.items[1].changes == []
    assert (s.total, s.decided, s.stale, s.left) == (3, 1, 1, 2)
    assert s.cursor == 0  # the changed one is open: the cursor starts there


def test_a_decision_stays_in_the_queue_when_fewer_than_two_reviewers_are_left(decided: Database) -> None:
    clear(decided, 0, 1, "budi")  # budi takes his label off: ana alone
    s = ReviewSession(decided, "citra")
    assert [(it.article_index, it.sentence) for it in s.items] == [(0, 1), (0, 3), (1, 5)]
    item = s.items[0]
    assert item.votes == (("ana", "claim"),) and item.stale
    assert [(c.annotator, c.then, c.now) for c in item.changes] == [("budi", "quote", None)]
    # Nobody left on the sentence at all, and the article down to one reviewer: still there.
    clear(decided, 0, 1, "ana")
    for s3 in (3, 0, 2, 4):
        clear(decided, 0, s3, "budi")
    assert decided.annotators_by_article()[decided.article_infos()[0].id] == ["ana"]
    s = ReviewSession(decided, "citra")
    assert [(it.article_index, it.sentence) for it in s.items] == [(0, 1), (0, 3), (1, 5)]
    assert s.items[0].votes == () and s.items[0].stale
    assert s.items[1].votes == (("ana", "background"),) and s.items[1].stale
    assert gold_sentences(decided).keys().isdisjoint({(0, 1), (0, 3)})


def test_deciding_again_on_todays_votes_puts_it_back_in_gold(ana_agrees_now: Database) -> None:
    db = ana_agrees_now
    s = ReviewSession(db, "citra")
    assert s.decide("quote") == "saved"  # the same label: confirmed on today's votes
    d = decision(db, 0, 1)
    assert d is not None and d.votes == (("ana", "quote"), ("budi", "quote"))
    assert not s.items[0].stale and s.stale == 0
    _, tally = gold(db)
    assert tally.stale == 0
    row = gold_sentences(db)[(0, 1)]
    assert (row["label"], row["source"], row["votes"]) == ("quote", "adjudicated", [["ana", "quote"], ["budi", "quote"]])
    # Decided on today's votes and unanimous: nothing to review there any more.
    assert [(it.article_index, it.sentence) for it in ReviewSession(db, "citra").items] == [(0, 3), (1, 5)]


# ----------------------------------------------------------------------------- gold export


def test_gold_leaves_a_stale_final_label_out_in_every_format(ana_agrees_now: Database) -> None:
    db = ana_agrees_now
    got = gold_sentences(db)
    assert (0, 1) not in got  # not the old decision, not the unanimous quote either
    assert got[(0, 3)]["source"] == "adjudicated"
    for fmt in ("jsonl", "sentences", "json"):
        recs, tally = gold(db, fmt)
        assert (tally.unanimous, tally.adjudicated, tally.disputed, tally.stale) == (3, 1, 1, 1), fmt
        if fmt == "sentences":
            assert all((internal_id(r["article_id"]), r["sentence"]) != (db.article_infos()[0].id, 1) for r in recs)
        else:
            first = db.get_article(db.article_infos()[0].id).sentences[1]
            assert all((sp["start"], sp["end"]) != (first.start, first.end) for rec in recs for sp in rec["spans"])
    assert tally.stale_message() == STALE_LINE


def test_gold_votes_are_the_final_records_votes(decided: Database) -> None:
    """The gold span of a decided sentence and the plain export's `final` record carry the
    same votes, those the decision was made from, in the same order."""
    db = decided
    put(db, 0, 3, "budi", "quote")  # after the decision of 0.3: stale
    info = db.article_infos()[1]
    span = db.get_article(info.id).sentences[5]
    # A decision brought in from another machine, its votes not in name order.
    db.set_decision(Decision(info.id, span.start, span.end, "quote", "dina", "", "2026-01-02T03:04:05.678Z",
                             (("budi", "background"), ("ana", "quote"))))
    finals = {(internal_id(rec["id"]), f["start"]): f["votes"]
              for rec in map(read_record, b"".join(render(db, "jsonl")).splitlines()) for f in rec["final"]}
    assert len(finals) == 3
    recs, tally = gold(db)
    adjudicated = {(internal_id(rec["id"]), sp["start"]): sp["votes"]
                   for rec in recs for sp in rec["spans"] if sp["source"] == "adjudicated"}
    assert adjudicated == {k: v for k, v in finals.items() if k in adjudicated}
    assert len(adjudicated) == 2 and tally.stale == 1  # 0.1 and 1.5 in gold, 0.3 left out
    assert adjudicated[(info.id, span.start)] == [["budi", "background"], ["ana", "quote"]]


def test_cli_gold_counts_stale_final_labels_on_stderr(capsys: pytest.CaptureFixture[str], ana_agrees_now: Database,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ana_agrees_now.path
    ana_agrees_now.close()
    monkeypatch.chdir(tmp_path)
    for fmt in ("jsonl", "sentences", "json"):
        code, _, err = run_cli(capsys, "export", "--db", str(path), "--gold", "--format", fmt, "-o", f"gold.{fmt}")
        assert code == 0, err
        assert STALE_LINE in err.splitlines(), err


# ----------------------------------------------------------------------------- the review screen


async def test_review_shows_why_a_decided_sentence_is_back(ana_agrees_now: Database) -> None:
    db = ana_agrees_now
    app = ReviewApp(db, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text_of(app, "#review-header").startswith(
            "Review: dispute 1 of 3 · 2 left (1 with labels changed since decided)")
        assert text_of(app, "#article-title").startswith("article 1/2, sentence 2:")
        votes = text_of(app, "#votes").splitlines()
        assert votes[0].split() == ["ana", "quote"] and votes[1].split() == ["budi", "quote"]
        assert votes[2] == "final: quote by citra"
        assert votes[3] == ("⚠ changed since decided: ana claim→quote; the reviewers now agree; "
                            "choose again to confirm")
        assert "changed since decided: ana claim→quote" in screenshot_text(app)
        await pilot.press("2")  # confirmed on today's votes; on to the open dispute 1.5
        assert app.session.cursor == 2
        await pilot.press("k", "k")
        assert app.session.cursor == 0
        assert "changed since decided" not in text_of(app, "#votes")
        assert text_of(app, "#review-header").startswith("Review: dispute 1 of 3 · 1 left")
    d = decision(db, 0, 1)
    assert d is not None and d.votes == (("ana", "quote"), ("budi", "quote"))
    assert gold_sentences(db)[(0, 1)]["source"] == "adjudicated"


async def test_review_shows_a_decision_left_with_one_reviewer(decided: Database) -> None:
    clear(decided, 0, 1, "budi")
    app = ReviewApp(decided, "citra")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        votes = text_of(app, "#votes").splitlines()
        assert votes[0].split() == ["ana", "claim"]
        assert votes[1] == "final: quote by citra"
        assert votes[2] == ("⚠ changed since decided: budi quote→(none); one reviewer left; "
                            "choose again to confirm")
