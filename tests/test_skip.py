"""Skip: the decision "not applicable" (key 0).  Stored as the label id ``skip`` on a sentence,
it counts as decided (progress, articles done), is left out of every dataset unless asked for
(``include_skipped``), travels in the article records' ``skipped`` list (export, import, merge),
is no rating in agreement unless asked, and undoes like any decision."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
import pytest
from textual.widgets import Static

from annotator import stats
from annotator.agreement import collect_units, compute
from annotator.app import AnnotatorApp
from annotator.export import FORMATS, GoldTally, read_record, render
from annotator.importer import apply_import, plan_import
from annotator.merge import merge_database
from annotator.model import SKIP, Decision, Label, Span
from annotator.session import Session
from annotator.storage import Database
from annotator.ui.article_view import ArticleView
from conftest import SAMPLES, run_cli
from format_labels import labels_in

T1 = "2026-06-01T00:00:00.000Z"
T2 = "2026-06-02T00:00:00.000Z"
NAMES = ("claim", "quote", "background")
N0, N1 = 19, 22  # sentences of the two sample articles
SIZE = (120, 40)


def spans_of(db: Database, article: int) -> tuple[str, tuple[Span, ...]]:
    info = db.article_infos()[article]
    return info.id, db.get_article(info.id).sentences


def label_of(k: int, skip_every: int) -> str:
    return SKIP if k % skip_every == 0 else NAMES[k % 3]


@pytest.fixture
def team(sample_db: Database) -> Database:
    """ana and budi label every sentence; ana skips every 4th, budi every 8th (so they agree on
    the skips of every 8th sentence and disagree on the others ana skipped)."""
    for n in range(2):
        aid, spans = spans_of(sample_db, n)
        for k, sp in enumerate(spans):
            sample_db.set_label(Label(aid, sp.start, sp.end, label_of(k, 4), "ana", T1))
            sample_db.set_label(Label(aid, sp.start, sp.end, label_of(k, 8), "budi", T1))
    return sample_db


def count_skips(db: Database, who: str | None = None) -> int:
    return sum(1 for i in db.article_infos() for lab in db.labels(i.id, who) if lab.label == SKIP)


# ----------------------------------------------------------------------------- storing and counting


def test_a_skip_is_stored_like_a_label_and_counts_as_decided(sample_db: Database) -> None:
    aid, spans = spans_of(sample_db, 0)
    stored = sample_db.set_label(Label(aid, spans[0].start, spans[0].end, SKIP, "ana", T1))
    assert stored.label == SKIP
    assert [lab.label for lab in sample_db.labels(aid, "ana")] == [SKIP]
    assert sample_db.label_counts("ana")[aid] == {SKIP: 1}
    assert sample_db.label_usage() == {SKIP: 1}
    # A name no scheme has is still refused: skip is the only label outside the scheme.
    with pytest.raises(ValueError):
        sample_db.set_label(Label(aid, spans[1].start, spans[1].end, "skipped", "ana", T1))
    path = sample_db.path
    sample_db.close()
    with Database.open(path) as again:
        assert [lab.label for lab in again.labels(aid, "ana")] == [SKIP]


def test_session_counts_a_skip_toward_done(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0)
    assert s.set_label(SKIP) == "saved"
    assert s.labels[0] is not None and s.labels[0].label == SKIP
    assert (s.article_labeled, s.total_labeled, s.cursor) == (1, 1, 0)  # the session stays; the screen moves
    assert s.first_unlabeled() == 1
    for k in range(1, N0):
        s.cursor = k
        s.set_label(SKIP if k % 2 else "claim")
    assert s.is_done(0) and s.articles_done == 1 and s.total_labeled == N0
    assert s.first_unlabeled() is None
    # After a restart the counts come from the database, the same.
    again = Session(sample_db, "ana")
    assert again.labeled[0] == N0 and again.articles_done == 1
    assert again.resume_position() == (1, 0)


def test_stats_count_skips_as_decided(team: Database) -> None:
    st = stats.compute(team).to_json()
    ana = next(a for a in st["annotators"] if a["name"] == "ana")
    assert ana["labeled_sentences"] == N0 + N1 and ana["progress"] == 1.0 and ana["articles_done"] == 2
    assert ana["per_label"][SKIP] == count_skips(team, "ana")
    assert st["per_label"][SKIP] == count_skips(team)
    assert set(st["per_label"]) == {*NAMES, SKIP}


# ----------------------------------------------------------------------------- exports


def _gold_skips(db: Database) -> int:
    """Sentences on which every reviewer skipped (their gold is skip)."""
    n = 0
    for info in db.article_infos():
        by_span: dict[tuple[int, int], set[str]] = {}
        for lab in db.labels(info.id):
            by_span.setdefault((lab.start, lab.end), set()).add(lab.label)
        n += sum(1 for labels in by_span.values() if labels == {SKIP})
    return n


@pytest.mark.parametrize("gold", [False, True], ids=["labels", "gold"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_skips_are_left_out_of_every_dataset_unless_included(team: Database, fmt: str, gold: bool) -> None:
    tally = GoldTally() if gold else None
    plain = labels_in(fmt, b"".join(render(team, fmt, gold=tally)))
    assert SKIP not in plain
    kept_tally = GoldTally() if gold else None
    kept = labels_in(fmt, b"".join(render(team, fmt, gold=kept_tally, include_skipped=True)))
    assert SKIP in kept
    if fmt == "label-studio-config":
        assert plain == list(NAMES) and kept == [*NAMES, SKIP]
        return
    assert [x for x in kept if x != SKIP] == plain  # nothing else changes
    n_skips = _gold_skips(team) if gold else count_skips(team)
    assert kept.count(SKIP) == n_skips
    if tally is not None and kept_tally is not None:
        assert tally.skipped == _gold_skips(team) > 0 and kept_tally.skipped == 0
        assert any("skipped as not applicable left out (--include-skipped keeps them)" in x for x in tally.report())
        assert (tally.disputed, tally.stale) == (kept_tally.disputed, kept_tally.stale)


def test_the_gold_report_counts_only_the_sentences_it_wrote(team: Database) -> None:
    tally = GoldTally()
    rows = b"".join(render(team, "sentences", gold=tally)).splitlines()
    assert tally.skipped > 0
    assert tally.report()[0].startswith(f"gold: {len(rows)} sentence(s)"), (len(rows), tally.report())
    assert tally.unanimous + tally.adjudicated == len(rows)


def test_article_records_list_skips_apart(team: Database) -> None:
    lines = b"".join(render(team, "jsonl")).splitlines()
    raw = [orjson.loads(x) for x in lines]
    assert all(isinstance(r["skipped"], str) for r in raw)  # jsonl: a JSON string, like every list of decisions
    records = [read_record(x) for x in lines]
    array = orjson.loads(b"".join(render(team, "json")))
    assert all(isinstance(r["skipped"], list) for r in array)  # json: nested
    for recs in (records, array):
        skipped = [(s["start"], s["annotator"]) for r in recs for s in r["skipped"]]
        assert len(skipped) == count_skips(team)
        assert set(recs[0]["skipped"][0]) == {"start", "end", "annotator", "updated_at", "tick", "source", "score",
                                              "suggested"}
        assert not any(sp["label"] == SKIP for r in recs for sp in r["spans"])
    kept = [read_record(x) for x in b"".join(render(team, "jsonl", include_skipped=True)).splitlines()]
    assert all(r["skipped"] == [] for r in kept)
    assert sum(1 for r in kept for sp in r["spans"] if sp["label"] == SKIP) == count_skips(team)
    only = [read_record(x) for x in b"".join(render(team, "jsonl", annotators={"budi"})).splitlines()]
    assert {s["annotator"] for r in only for s in r["skipped"]} == {"budi"}


def test_a_sentence_decided_as_skip_in_review_is_left_out_of_the_gold(team: Database) -> None:
    aid, spans = spans_of(team, 0)
    sp = spans[4]  # ana skipped, budi labeled: a dispute; the lead decides skip
    team.set_decision(Decision(aid, sp.start, sp.end, SKIP, "lead", "not news", T2,
                               (("ana", SKIP), ("budi", "quote"))))
    tally = GoldTally()
    rows = [orjson.loads(x) for x in b"".join(render(team, "sentences", gold=tally)).splitlines()]
    assert (aid, sp.start) not in {(r["article_id"].removeprefix("art_"), r["start"]) for r in rows}
    assert tally.skipped == _gold_skips(team) + 1
    kept = [orjson.loads(x) for x in b"".join(render(team, "sentences", gold=GoldTally(), include_skipped=True))
            .splitlines()]
    row = next(r for r in kept if (r["article_id"], r["start"]) == (f"art_{aid}", sp.start))
    assert (row["label"], row["source"], row["by"]) == (SKIP, "adjudicated", "lead")


def test_jsonl_export_import_export_is_byte_identical_with_skips(team: Database, tmp_path: Path) -> None:
    for history in (False, True):
        src = tmp_path / f"out-{history}.jsonl"
        src.write_bytes(b"".join(render(team, "jsonl", history=history)))
        fresh = Database.open(tmp_path / f"fresh-{history}" / "annotations.json")
        try:
            plan = plan_import([src])
            assert not plan.errors
            apply_import(fresh, plan)
            assert count_skips(fresh) == count_skips(team) > 0
            assert b"".join(render(fresh, "jsonl", history=history)) == src.read_bytes()
        finally:
            fresh.close()


def test_a_sentences_export_with_skips_imports_them_as_skips(team: Database, tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(b"".join(render(team, "sentences", include_skipped=True)))
    fresh = Database.open(tmp_path / "fresh" / "annotations.json")
    try:
        apply_import(fresh, plan_import([SAMPLES]))
        apply_import(fresh, plan_import([src]))
        assert count_skips(fresh) == count_skips(team)
        assert b"".join(render(fresh, "sentences", include_skipped=True)) == src.read_bytes()
    finally:
        fresh.close()


# ----------------------------------------------------------------------------- merge


def test_merge_of_two_copies_with_skips(sample_db: Database, tmp_path: Path) -> None:
    path = sample_db.path
    aid, spans = spans_of(sample_db, 0)
    sample_db.set_label(Label(aid, spans[0].start, spans[0].end, SKIP, "ana", T1))
    sample_db.set_label(Label(aid, spans[1].start, spans[1].end, "claim", "ana", T1))
    sample_db.close()
    other = tmp_path / "budi" / "annotations.json"
    other.parent.mkdir()
    shutil.copy2(path, other)
    shutil.copytree(path.with_name(path.stem + ".d"), other.with_name(other.stem + ".d"))
    with Database.open(other) as db:
        db.set_label(Label(aid, spans[0].start, spans[0].end, SKIP, "budi", T2))
        db.set_label(Label(aid, spans[1].start, spans[1].end, SKIP, "ana", T2))  # ana changed her mind there
        db.set_label(Label(aid, spans[2].start, spans[2].end, SKIP, "ana", T2))
    with Database.open(path) as db:
        report = merge_database(db, other)
        assert report.result is not None and report.result.skipped == 0 and report.notes == []
        got = {(lab.start, lab.annotator): lab.label for lab in db.labels(aid)}
        assert got == {(spans[0].start, "ana"): SKIP, (spans[0].start, "budi"): SKIP,
                       (spans[1].start, "ana"): SKIP, (spans[2].start, "ana"): SKIP}
        assert Session(db, "ana").labeled[0] == 3
        # Merging again changes nothing.
        again = merge_database(db, other)
        assert again.result is not None and again.result.added == again.result.updated == 0


# ----------------------------------------------------------------------------- agreement


def test_agreement_leaves_skips_out_unless_included(team: Database) -> None:
    units, categories = collect_units(team)
    assert categories == list(NAMES)
    assert all(SKIP not in u.values() for u in units)
    # a sentence one of them skipped has one rating left: not a unit
    assert len(units) == N0 + N1 - sum(1 for n in (N0, N1) for k in range(n) if k % 4 == 0)
    units_in, categories_in = collect_units(team, include_skipped=True)
    assert categories_in == [*NAMES, SKIP]
    assert len(units_in) == N0 + N1
    report = compute(units_in, categories_in).to_json()
    plain = compute(units, categories).to_json()
    assert report != plain
    assert SKIP in orjson.dumps(report).decode() and SKIP not in orjson.dumps(plain).decode()


def test_agree_command_with_and_without_skips(team: Database, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATOR_DB", str(team.path))
    team.close()
    code, out, err = run_cli(capsys, "agree", "--json")
    assert code == 0, err
    assert SKIP not in out
    code, out_in, err = run_cli(capsys, "agree", "--json", "--include-skipped")
    assert code == 0, err
    assert SKIP in out_in
    code, out, err = run_cli(capsys, "stats")
    assert code == 0 and re.search(r"ana\s+41/41 sentences labeled \(100%\), 2/2 articles done", out), out


# ----------------------------------------------------------------------------- undo


def test_undo_and_redo_of_a_skip(sample_db: Database) -> None:
    aid, spans = spans_of(sample_db, 0)
    sp = spans[3]
    sample_db.set_label(Label(aid, sp.start, sp.end, "quote", "ana", T1))
    sample_db.set_label(Label(aid, sp.start, sp.end, SKIP, "ana", T2))
    ev = sample_db.undo("ana")
    assert ev is not None and (ev.op, ev.label, ev.before) == ("undo", "quote", SKIP)
    assert [lab.label for lab in sample_db.labels(aid, "ana")] == ["quote"]
    ev = sample_db.undo("ana")
    assert ev is not None and ev.label is None and sample_db.labels(aid, "ana") == []
    ev = sample_db.redo("ana")
    assert ev is not None and ev.label == "quote"
    ev = sample_db.redo("ana")
    assert ev is not None and ev.label == SKIP
    assert [lab.label for lab in sample_db.labels(aid, "ana")] == [SKIP]
    assert [(e.op, e.label) for e in sample_db.history(aid)] == [
        ("label", "quote"), ("label", SKIP), ("undo", "quote"), ("undo", None), ("redo", "quote"), ("redo", SKIP)]


def test_session_undo_of_a_skip_uncounts_it(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0, 2)
    s.set_label(SKIP)
    assert s.total_labeled == 1
    change = s.undo()
    assert change is not None and (change.sentence, change.after) == (2, None)
    assert s.total_labeled == 0 and s.labels[2] is None and s.cursor == 2


# ----------------------------------------------------------------------------- the app (Pilot)


def _status(app: AnnotatorApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


def _line_of(app: AnnotatorApp, y: int) -> str:
    return "".join(seg.text for seg in app.screen.query_one(ArticleView).render_line(y))


async def test_key_0_skips_the_sentence_shows_it_counts_it_and_finishes_the_article(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, "ana", auto_next=False)  # (stays on the finished article)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ArticleView)
        await pilot.press("0")
        aid, spans = spans_of(sample_db, 0)
        assert [lab.label for lab in sample_db.labels(aid, "ana")] == [SKIP]
        assert app.session.cursor == 1 and view.cursor == 1
        assert view._labels[0] == SKIP
        first = _line_of(app, 0)
        assert first[1:].startswith("skip "), first  # the margin names it, not only a colour
        assert _status(app).startswith(f"1/{N0} labeled")
        assert f"overall 1/{N0 + N1}" in _status(app) and "0/2 articles done" in _status(app)
        # The rest labeled: the article is done, skip included.
        for _ in range(N0 - 2):
            await pilot.press("1")
        assert "0/2 articles done" in _status(app)
        await pilot.press("0")
        assert _status(app).startswith(f"{N0}/{N0} labeled") and "1/2 articles done" in _status(app)
        assert app.session.is_done(0)
        labels = [lab.label for lab in sample_db.labels(aid, "ana")]
        assert labels.count(SKIP) == 2 and len(labels) == N0
        # and undo takes the last skip back
        await pilot.press("u")
        assert _status(app).startswith(f"{N0 - 1}/{N0} labeled") and "0/2 articles done" in _status(app)
        assert view._labels[N0 - 1] is None


async def test_a_skip_by_another_reviewer_shows_by_name_with_show_others(sample_db: Database) -> None:
    aid, spans = spans_of(sample_db, 0)
    sample_db.set_label(Label(aid, spans[0].start, spans[0].end, SKIP, "budi", T1))
    app = AnnotatorApp(sample_db, "ana", show_others=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        others = str(app.screen.query_one("#others", Static).content)
        assert "budi skip" in others, others

