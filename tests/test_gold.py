"""`annotator export --gold`: one final label per sentence (unanimous or adjudicated), disputes left out."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.export import read_record
from annotator.export import GoldTally, gold_spans, render
from annotator.importer import apply_import, plan_import
from annotator.model import EXPORT_SCHEMA_VERSION, Decision, Label, internal_id
from annotator.storage import Database
from conftest import SAMPLES, run_cli

T1 = "2026-01-01T00:00:00.000Z"
T2 = "2026-01-02T00:00:00.000Z"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, bytes, str]:
    """Like the other CLI tests, but stdout as bytes: an export is compared byte for byte."""
    code, out, err = run_cli(capsys, *args)
    return code, out.encode("utf-8"), err


def label(db: Database, article: int, sentence: int, name: str, who: str, when: str = T1) -> Label:
    info = db.article_infos()[article]
    s = db.get_article(info.id).sentences[sentence]
    lab = Label(info.id, s.start, s.end, name, who, when)
    db.set_label(lab)
    return lab


def decide(db: Database, article: int, sentence: int, name: str, by: str, reason: str) -> Decision:
    info = db.article_infos()[article]
    s = db.get_article(info.id).sentences[sentence]
    votes = tuple(sorted((lab.annotator, lab.label) for lab in db.labels(info.id) if (lab.start, lab.end) == (s.start, s.end)))
    d = Decision(info.id, s.start, s.end, name, by, reason, T2, votes)
    db.set_decision(d)
    return d


def setup_team(db: Database) -> None:
    """Article 0: sentences 0-2 unanimous (three reviewers), 3 disputed, 4 disputed, 5 labeled by ana alone.
    Article 1: sentence 0 disputed, nothing else."""
    for s in range(3):
        for who in ("ana", "budi", "citra"):
            label(db, 0, s, "claim", who)
    label(db, 0, 3, "claim", "ana")
    label(db, 0, 3, "quote", "budi")
    label(db, 0, 4, "quote", "ana")
    label(db, 0, 4, "background", "budi")
    label(db, 0, 5, "background", "ana")
    label(db, 1, 0, "claim", "ana")
    label(db, 1, 0, "background", "citra")


def gold_records(db: Database, fmt: str = "jsonl") -> tuple[list[dict[str, object]], GoldTally]:
    tally = GoldTally()
    data = b"".join(render(db, fmt, gold=tally))
    if fmt == "json":
        return orjson.loads(data), tally
    return [read_record(line) for line in data.splitlines()], tally


def spans_by_sentence(db: Database, rec: dict[str, object]) -> dict[int, dict[str, object]]:
    art = db.get_article(internal_id(str(rec["id"])))
    index = {(s.start, s.end): i for i, s in enumerate(art.sentences)}
    spans = rec["spans"]
    assert isinstance(spans, list)
    return {index[(sp["start"], sp["end"])]: sp for sp in spans}


def test_unanimous_single_and_disputed(sample_db: Database) -> None:
    setup_team(sample_db)
    recs, tally = gold_records(sample_db)
    a0 = sample_db.article_infos()[0]
    assert [r["id"] for r in recs] == ["art_" + a0.id]  # article 1 has nothing but a dispute: left out
    got = spans_by_sentence(sample_db, recs[0])
    assert sorted(got) == [0, 1, 2, 5]  # 3 and 4 are in dispute
    for s in (0, 1, 2):
        assert got[s]["label"] == "claim" and got[s]["source"] == "unanimous"
        assert got[s]["annotators"] == ["ana", "budi", "citra"]
        # The same keys as an adjudicated span (loaders want one shape): no adjudicator, no reason,
        # and the votes are the reviewers' agreeing labels.
        assert (got[s]["by"], got[s]["reason"]) == ("", "")
        assert got[s]["votes"] == [["ana", "claim"], ["budi", "claim"], ["citra", "claim"]]
    # One reviewer alone: their label is the final one, marked unanimous, with that one annotator.
    assert got[5] == {"start": got[5]["start"], "end": got[5]["end"], "label": "background",
                      "source": "unanimous", "annotators": ["ana"], "by": "", "reason": "",
                      "votes": [["ana", "background"]]}
    assert (tally.unanimous, tally.adjudicated, tally.disputed, tally.articles_with_disputes) == (4, 0, 3, 2)


def test_adjudicated_sentences_come_in_with_who_why_and_votes(sample_db: Database) -> None:
    setup_team(sample_db)
    d = decide(sample_db, 0, 4, "quote", "dedi", "attributed to the minister")
    decide(sample_db, 1, 0, "claim", "dedi", "")
    recs, tally = gold_records(sample_db)
    assert len(recs) == 2
    got = spans_by_sentence(sample_db, recs[0])
    assert sorted(got) == [0, 1, 2, 4, 5]
    assert got[4] == {"start": d.start, "end": d.end, "label": "quote", "source": "adjudicated",
                      "annotators": ["ana", "budi"], "by": "dedi", "reason": "attributed to the minister",
                      "votes": [["ana", "quote"], ["budi", "background"]]}
    (only,) = spans_by_sentence(sample_db, recs[1]).values()
    assert only["source"] == "adjudicated" and only["label"] == "claim" and only["by"] == "dedi"
    assert (tally.unanimous, tally.adjudicated, tally.disputed, tally.articles_with_disputes) == (4, 2, 1, 1)
    # A decision stands over a unanimous vote too (someone overruled the reviewers).
    decide(sample_db, 0, 0, "background", "dedi", "boilerplate")
    recs, tally = gold_records(sample_db)
    s0 = spans_by_sentence(sample_db, recs[0])[0]
    assert (s0["label"], s0["source"], s0["annotators"]) == ("background", "adjudicated", ["ana", "budi", "citra"])
    assert (tally.unanimous, tally.adjudicated) == (3, 3)


def test_a_decision_without_votes_is_gold(sample_db: Database) -> None:
    info = sample_db.article_infos()[1]
    s = sample_db.get_article(info.id).sentences[7]
    sample_db.set_decision(Decision(info.id, s.start, s.end, "quote", "dedi", "", T2))
    recs, tally = gold_records(sample_db)
    (sp,) = spans_by_sentence(sample_db, recs[0]).values()
    assert sp["source"] == "adjudicated" and sp["annotators"] == [] and sp["votes"] == []
    assert (tally.unanimous, tally.adjudicated, tally.disputed) == (0, 1, 0)


def test_gold_spans_are_exact_sentences_in_every_format(sample_db: Database) -> None:
    setup_team(sample_db)
    decide(sample_db, 0, 4, "quote", "dedi", "why")
    arts = {i.id: sample_db.get_article(i.id) for i in sample_db.article_infos()}

    recs, _ = gold_records(sample_db, "jsonl")
    for rec in recs:
        assert rec["schema_version"] == EXPORT_SCHEMA_VERSION
        assert "final" not in rec
        art = arts[internal_id(str(rec["id"]))]
        assert rec["text"] == art.text
        assert rec["sentences"] == [{"start": s.start, "end": s.end} for s in art.sentences]
        for sp in rec["spans"]:  # type: ignore[attr-defined]
            assert {"start": sp["start"], "end": sp["end"]} in rec["sentences"]
            assert sp["source"] in ("unanimous", "adjudicated")

    rows, tally = gold_records(sample_db, "sentences")
    assert len(rows) == tally.unanimous + tally.adjudicated == 5
    for row in rows:
        assert row["schema_version"] == EXPORT_SCHEMA_VERSION
        art = arts[internal_id(str(row["article_id"]))]
        s = art.sentences[int(row["sentence"])]  # type: ignore[call-overload]
        assert (row["start"], row["end"]) == (s.start, s.end)
        assert row["text"] == art.text[s.start:s.end]
        assert row["source"] in ("unanimous", "adjudicated")
    assert [(r["sentence"], r["label"], r["source"]) for r in rows] == [
        (0, "claim", "unanimous"), (1, "claim", "unanimous"), (2, "claim", "unanimous"),
        (4, "quote", "adjudicated"), (5, "background", "unanimous")]
    adj = rows[3]
    assert (adj["by"], adj["reason"], adj["votes"]) == ("dedi", "why", [["ana", "quote"], ["budi", "background"]])

    articles, tally = gold_records(sample_db, "json")
    assert isinstance(articles, list) and len(articles) == 1
    assert articles[0]["schema_version"] == EXPORT_SCHEMA_VERSION and "final" not in articles[0]
    assert articles[0]["spans"] == recs[0]["spans"]
    assert (tally.unanimous, tally.adjudicated, tally.disputed) == (4, 1, 2)


def test_gold_of_an_unlabeled_database_is_empty(sample_db: Database) -> None:
    for fmt in ("jsonl", "sentences"):
        tally = GoldTally()
        assert b"".join(render(sample_db, fmt, gold=tally)) == b""
        assert tally == GoldTally()
    doc, _ = gold_records(sample_db, "json")
    assert doc == []


def test_gold_spans_direct(sample_db: Database) -> None:
    setup_team(sample_db)
    info = sample_db.article_infos()[1]
    tally = GoldTally()
    assert gold_spans(sample_db.get_article(info.id), sample_db.labels(info.id), [], tally) == []
    assert (tally.disputed, tally.articles_with_disputes) == (1, 1)


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def team_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    monkeypatch.setenv("ANNOTATOR", "dedi")
    path = tmp_path / "team.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
        setup_team(db)
        decide(db, 0, 4, "quote", "dedi", "why")
    return path


def test_cli_gold_export_and_report(capsys: pytest.CaptureFixture[str], team_db: Path) -> None:
    for fmt, lines in (("jsonl", 1), ("sentences", 5), ("json", None)):
        code, out, err = run(capsys, "export", "--db", str(team_db), "--gold", "--format", fmt)
        assert code == 0, err
        if lines is not None:
            assert len(out.splitlines()) == lines
        else:
            assert all(sp["source"] in ("unanimous", "adjudicated") for rec in orjson.loads(out) for sp in rec["spans"])
        assert err.splitlines() == [
            "gold: 5 sentence(s): 4 unanimous, 1 adjudicated",
            "gold: 2 sentence(s) in dispute left out (in 2 article(s)); decide them with `annotator review`",
        ]
    code, _, err = run(capsys, "export", "--db", str(team_db), "--gold", "-o", "gold.jsonl")
    assert code == 0
    size = (team_db.parent / "gold.jsonl").stat().st_size
    assert err.splitlines()[0] == f"wrote gold.jsonl ({size} bytes, format jsonl, gold)"


def test_cli_gold_without_disputes_says_nothing_about_them(capsys: pytest.CaptureFixture[str], team_db: Path) -> None:
    with Database.open(team_db) as db:
        decide(db, 0, 3, "claim", "dedi", "")
        decide(db, 1, 0, "claim", "dedi", "")
    code, _, err = run(capsys, "export", "--db", str(team_db), "--gold")
    assert code == 0
    assert err.splitlines() == ["gold: 7 sentence(s): 4 unanimous, 3 adjudicated"]


def test_cli_gold_is_deterministic(capsys: pytest.CaptureFixture[str], team_db: Path) -> None:
    for fmt in ("jsonl", "sentences", "json"):
        _, first, _ = run(capsys, "export", "--db", str(team_db), "--gold", "--format", fmt)
        _, second, _ = run(capsys, "export", "--db", str(team_db), "--gold", "--format", fmt)
        assert first == second and first


def test_cli_gold_with_only_is_refused(capsys: pytest.CaptureFixture[str], team_db: Path) -> None:
    code, out, err = run(capsys, "export", "--db", str(team_db), "--gold", "--only", "ana", "-o", "x.jsonl")
    assert code == 2, err
    assert out == b""
    assert "--gold and --only cannot be combined" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (team_db.parent / "x.jsonl").exists()


def test_jsonl_round_trip_keeps_decisions_byte_for_byte(capsys: pytest.CaptureFixture[str], team_db: Path,
                                                        tmp_path: Path) -> None:
    code, first, err = run(capsys, "export", "--db", str(team_db), "--format", "jsonl", "-o", "all.jsonl")
    assert code == 0, err
    data = (tmp_path / "all.jsonl").read_bytes()
    finals = [read_record(line)["final"] for line in data.splitlines()]
    assert [len(f) for f in finals] == [1, 0]
    assert finals[0][0] == {"start": finals[0][0]["start"], "end": finals[0][0]["end"], "label": "quote",
                            "by": "dedi", "reason": "why", "updated_at": T2, "tick": 0,
                            "votes": [["ana", "quote"], ["budi", "background"]]}
    code, out, err = run(capsys, "import", "--db", "fresh.json", "all.jsonl")
    assert code == 0, err
    assert b"final labels: 1 added" in out
    code, again, _ = run(capsys, "export", "--db", "fresh.json", "--format", "jsonl")
    assert code == 0
    assert again == data
    # And gold from the copy is the gold of the original.
    _, g1, _ = run(capsys, "export", "--db", str(team_db), "--gold")
    _, g2, _ = run(capsys, "export", "--db", "fresh.json", "--gold")
    assert g1 == g2
