"""Exports for doccano, Prodigy and Label Studio, checked field by field against each tool's
documented import format (issue 11), with several reviewers and gold."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import orjson
import pytest

from annotator.cli import EXPORT_FORMATS
from annotator.export import FORMATS, GoldTally, render
from annotator.model import Label, internal_id
from annotator.storage import Database

from conftest import run_cli

NAMES = ("claim", "quote", "background")


@pytest.fixture
def team(sample_db: Database) -> Database:
    for who, shift in (("ana", 0), ("budi", 1)):
        for n, info in enumerate(sample_db.article_infos()):
            for k, sp in enumerate(sample_db.get_article(info.id).sentences):
                name = NAMES[(n + k + shift * (k % 4 == 0)) % 3]
                sample_db.set_label(Label(info.id, sp.start, sp.end, name, who, "2026-06-01T00:00:00.000Z"))
    return sample_db


def lines(db: Database, fmt: str, gold: bool = False) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(x) for x in b"".join(render(db, fmt, gold=GoldTally() if gold else None)).splitlines()]


def _texts(db: Database) -> dict[str, str]:
    return {i.id: db.get_article(i.id).text for i in db.article_infos()}


def test_the_cli_offers_every_format() -> None:
    assert EXPORT_FORMATS == list(FORMATS)


def test_doccano_sequence_labeling(team: Database) -> None:
    texts = _texts(team)
    rows = lines(team, "doccano")
    assert len(rows) == 4 and {r["annotator"] for r in rows} == {"ana", "budi"}
    for r in rows:
        assert set(r) == {"text", "label", "article_id", "annotator", "provenance"} and r["provenance"] == []
        assert r["text"] == texts[internal_id(r["article_id"])]
        mine = {(x.start, x.end): x.label for x in team.labels(internal_id(r["article_id"]), r["annotator"])}
        assert {(s, e): name for s, e, name in r["label"]} == mine
        assert all(isinstance(s, int) and isinstance(e, int) and name in NAMES for s, e, name in r["label"])


def test_doccano_text_classification(team: Database) -> None:
    rows = lines(team, "doccano-textcat", gold=True)
    assert rows and all(set(r) == {"text", "label", "article_id", "annotator", "start", "end"} for r in rows)
    assert all(len(r["label"]) == 1 and r["label"][0] in NAMES and r["annotator"] == "gold" for r in rows)
    texts = _texts(team)
    assert all(texts[internal_id(r["article_id"])][r["start"]:r["end"]] == r["text"] for r in rows)


def test_prodigy_spans_with_tokens(team: Database) -> None:
    texts = _texts(team)
    for r in lines(team, "prodigy"):
        assert r["answer"] == "accept" and r["_annotator_id"] == r["_session_id"] == f"annotator-{r['meta']['annotator']}"
        text = texts[internal_id(r["meta"]["article_id"])]
        assert r["text"] == text
        toks = r["tokens"]
        assert [t["id"] for t in toks] == list(range(len(toks)))
        assert all(text[t["start"]:t["end"]] == t["text"] and t["text"].strip() == t["text"] for t in toks)
        for sp in r["spans"]:
            assert set(sp) == {"start", "end", "label", "token_start", "token_end", "source", "score", "suggested"}
            assert toks[sp["token_start"]]["start"] == sp["start"] and toks[sp["token_end"]]["end"] == sp["end"]


def test_prodigy_choice_per_sentence(team: Database) -> None:
    rows = lines(team, "prodigy-textcat")
    assert len(rows) == 2 * 41
    for r in rows:
        assert [o["id"] for o in r["options"]] == list(NAMES) and len(r["accept"]) == 1 and r["answer"] == "accept"


def test_label_studio_tasks_and_config(team: Database) -> None:
    tasks = orjson.loads(b"".join(render(team, "label-studio")))
    gold = orjson.loads(b"".join(render(team, "label-studio", gold=GoldTally())))
    assert len(tasks) == 2 and len(gold) == 2
    texts = _texts(team)
    for task in tasks:
        assert set(task) == {"data", "annotations", "predictions"} and task["predictions"] == []
        text = task["data"]["text"]
        assert text == texts[internal_id(task["data"]["article_id"])]
        assert task["data"]["annotators"] == ["ana", "budi"] and len(task["annotations"]) == 2
        for ann in task["annotations"]:
            for res in ann["result"]:
                assert (res["from_name"], res["to_name"], res["type"]) == ("label", "text", "labels")
                v = res["value"]
                assert text[v["start"]:v["end"]] == v["text"] and v["labels"][0] in NAMES
    assert all(t["annotations"] == [] and t["predictions"][0]["model_version"] == "gold" for t in gold)
    config = ET.fromstring(b"".join(render(team, "label-studio-config")))
    assert [x.get("value") for x in config.iter("Label")] == list(NAMES)
    assert config.find("Text").get("value") == "$text"  # type: ignore[union-attr]


def test_cli_writes_each_format(team: Database, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    path = team.path
    team.close()
    for fmt in ("doccano", "doccano-textcat", "prodigy", "prodigy-textcat", "label-studio", "label-studio-config",
                "csv"):
        code, out, err = run_cli(capsys, "export", "--db", str(path), "--format", fmt)
        assert code == 0 and out and "Traceback" not in err, (fmt, err)
