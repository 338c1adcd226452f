"""Provenance (issue 13): where each decision came from travels with it, end to end.

A label's ``source`` ("" or ``suggestion:<name>``), ``score`` (the accepted suggestion's, or
None) and ``suggested`` (``<name>:<label>``, a suggestion the reviewer chose against) are
stored in its labels file and its history, survive undo and redo, merges in any order,
every export and the imports back, are checked by ``verify`` and counted by ``stats``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator import provenance
from annotator.cli import main
from annotator.export import FORMATS, GoldTally, read_record, render
from annotator.importer import apply_import, article_id, plan_import
from annotator.model import (
    EXPORT_SCHEMA_VERSION,
    PROVENANCE_SCHEMA,
    SCHEMA_VERSION,
    SKIP,
    Article,
    Event,
    Label,
    Span,
)
from annotator.stats import ANCHORING_NOTE, compute, format_text
from annotator.storage import Database
from annotator.storage.index import PLAIN_SCHEMA
from annotator.storage.labelfile import state_data
from annotator.storage.records import event_order, label_order
from annotator.verify import verify
from conftest import SAMPLES



def _t(n: int) -> str:
    return f"2026-03-01T10:00:{n:02d}.000Z"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "a" / "annotations.json"
    with Database.open(p) as db:
        apply_import(db, plan_import([SAMPLES]))
    return p


def _first(db: Database) -> tuple[str, tuple[Span, ...]]:
    aid = db.article_infos()[0].id
    return aid, db.get_article(aid).sentences


def _decide(db: Database, aid: str, sp: Span, label: str, who: str, n: int, source: str = "",
            score: float | None = None, suggested: str = "") -> Label:
    return db.set_label(Label(aid, sp.start, sp.end, label, who, _t(n), 0, source, score, suggested))


def _varied(db: Database) -> str:
    """Ana's labels on the first article, one of each kind of provenance, and bob's plain one."""
    aid, s = _first(db)
    _decide(db, aid, s[0], "quote", "ana", 1, "suggestion:rules", 0.875)
    _decide(db, aid, s[1], "claim", "ana", 2, suggested="cmd:tag.py:quote")
    _decide(db, aid, s[2], SKIP, "ana", 3, "suggestion:rules", 1.0)
    _decide(db, aid, s[3], "background", "ana", 4, "suggestion:model", None, "rules:quote")
    _decide(db, aid, s[4], SKIP, "ana", 5, suggested="model:claim")
    _decide(db, aid, s[5], "claim", "ana", 6)
    _decide(db, aid, s[0], "claim", "bob", 7)
    return aid


def _prov(labels: list[Label]) -> list[tuple[int, str, str, str, float | None, str]]:
    return [(x.start, x.annotator, x.label, x.source, x.score, x.suggested) for x in labels]


# ----------------------------------------------------------------------------- storage


def test_every_field_round_trips_through_the_labels_file(path: Path) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        before, history = db.labels(aid), db.history(aid)
    with Database.open(path, readonly=True) as db:
        assert db.labels(aid) == before and db.history(aid) == history
        by = {(x.start, x.annotator): x for x in db.labels(aid)}
        s = db.get_article(aid).sentences
        assert provenance.of(by[(s[0].start, "ana")]) == ("suggestion:rules", 0.875, "")
        assert provenance.of(by[(s[3].start, "ana")]) == ("suggestion:model", None, "rules:quote")
        assert provenance.of(by[(s[0].start, "bob")]) == provenance.NONE
        # The history event that made each label carries the same provenance.
        last = {(e.start, e.who): e for e in db.history(aid)}
        assert all(provenance.of(last[k]) == provenance.of(v) for k, v in by.items())
    raw = orjson.loads((path.parent / "annotations.d" / "labels" / f"{aid}.json").read_bytes())
    docs = list(raw["labels"].values())
    # Stored only when set: bob's label and ana's plain claim have no provenance keys at all.
    plain = [d for d in docs if d["annotator"] == "bob" or (d["label"] == "claim" and "suggested" not in d)]
    assert len(plain) == 2 and all(not {"source", "score", "suggested"} & set(d) for d in plain)
    assert {"source": "suggestion:rules", "score": 0.875}.items() <= docs[0].items() or any(
        d.get("score") == 0.875 and d.get("source") == "suggestion:rules" and "suggested" not in d for d in docs)


def test_a_file_without_provenance_is_written_byte_for_byte_as_before(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "claim", "ana", 1)
        _decide(db, aid, s[1], "quote", "ana", 2)
        db.clear_label(aid, s[1].start, s[1].end, "ana", _t(3))
        assert db.schema_version == PLAIN_SCHEMA  # no provenance: no schema bump
    file = path.parent / "annotations.d" / "labels" / f"{aid}.json"
    a, b = s[0], s[1]
    assert file.read_bytes() == (
        '{"labels":{"1":{"start":%d,"end":%d,"label":"claim","annotator":"ana","updated_at":"%s"}},'
        '"cleared":{"1":{"start":%d,"end":%d,"annotator":"ana","updated_at":"%s"}},'
        '"history":{"1":{"start":%d,"end":%d,"annotator":"ana","label":"claim","op":"label","updated_at":"%s"},'
        '"2":{"start":%d,"end":%d,"annotator":"ana","label":"quote","op":"label","updated_at":"%s"},'
        '"3":{"start":%d,"end":%d,"annotator":"ana","label":null,"op":"clear","updated_at":"%s","before":"quote"}}}'
        % (a.start, a.end, _t(1), b.start, b.end, _t(3), a.start, a.end, _t(1), b.start, b.end, _t(2),
           b.start, b.end, _t(3))
    ).encode()


def test_an_old_file_reads_and_is_rewritten_unchanged(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "claim", "ana", 1)
    file = path.parent / "annotations.d" / "labels" / f"{aid}.json"
    old = file.read_bytes()
    with Database.open(path) as db:
        st = db._state(aid)
        assert orjson.dumps(state_data(st)) == old  # read and written again: the same bytes
        assert provenance.of(db.labels(aid)[0]) == provenance.NONE


def test_the_schema_is_bumped_only_when_provenance_is_first_written(path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert PROVENANCE_SCHEMA == 5 and SCHEMA_VERSION >= PROVENANCE_SCHEMA
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "claim", "ana", 1)
        db.merge([Label(aid, s[1].start, s[1].end, "quote", "bob", _t(2))])
        assert db.schema_version == PLAIN_SCHEMA
        _decide(db, aid, s[2], "quote", "ana", 3, "suggestion:rules", 0.5)
        assert db.schema_version == PROVENANCE_SCHEMA
    index = orjson.loads(path.read_bytes())
    assert index["project"]["1"]["schema_version"] == PROVENANCE_SCHEMA
    # An annotator from before provenance refuses the database rather than drop it on a write.
    import annotator.storage.index as index_module

    monkeypatch.setattr(index_module, "SCHEMA_VERSION", 4)
    from annotator.errors import DatabaseError

    with pytest.raises(DatabaseError, match="newer annotator"):
        Database.open(path)


def test_a_merge_bumps_the_schema_when_it_writes_provenance(tmp_path: Path, path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        db.merge([Label(aid, s[0].start, s[0].end, "quote", "bob", _t(1), 0, "", None, "rules:claim")])
        assert db.schema_version == PROVENANCE_SCHEMA


def test_set_label_refuses_unsound_provenance_and_ignores_a_repeat(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        for bad in (dict(source="rules"), dict(score=1.5), dict(score=float("nan")), dict(suggested="quote"),
                    dict(source="suggestion:"), dict(suggested=":quote")):
            with pytest.raises(ValueError, match="provenance"):
                db.set_label(dataclasses.replace(Label(aid, s[0].start, s[0].end, "claim", "ana", _t(1)), **bad))
        assert db.labels(aid) == [] and db.schema_version == PLAIN_SCHEMA
        first = _decide(db, aid, s[0], "claim", "ana", 1, "suggestion:rules", 0.5)
        assert _decide(db, aid, s[0], "claim", "ana", 2, "suggestion:rules", 0.5) == first  # the same decision
        # The same label from another source is a new decision (its provenance changed).
        again = _decide(db, aid, s[0], "claim", "ana", 3)
        assert provenance.of(again) == provenance.NONE and len(db.history(aid)) == 2


def test_orders_break_ties_on_provenance() -> None:
    a = Label("x", 0, 1, "claim", "ana", _t(1))
    b = dataclasses.replace(a, source="suggestion:rules", score=0.5)
    c = dataclasses.replace(a, source="suggestion:rules", score=0.25)
    d = dataclasses.replace(a, suggested="rules:quote")
    orders = {label_order(x) for x in (a, b, c, d)}
    assert len(orders) == 4
    e = Event("x", 0, 1, "ana", "claim", "label", _t(1))
    assert len({event_order(e), event_order(dataclasses.replace(e, score=0.5)),
                event_order(dataclasses.replace(e, suggested="m:claim"))}) == 3


# ----------------------------------------------------------------------------- undo and redo


def test_undo_and_redo_restore_a_label_with_its_provenance(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "claim", "ana", 1, suggested="rules:quote")  # chose against the suggestion
        _decide(db, aid, s[0], "quote", "ana", 2, "suggestion:rules", 0.75)  # then accepted it
        ev = db.undo("ana")
        assert isinstance(ev, Event) and ev.label == "claim"
        assert provenance.of(db.labels(aid)[0]) == ("", None, "rules:quote") == provenance.of(ev)
    with Database.open(path) as db:  # after a restart
        ev = db.redo("ana")
        assert isinstance(ev, Event) and provenance.of(ev) == ("suggestion:rules", 0.75, "")
        assert _prov(db.labels(aid)) == [(s[0].start, "ana", "quote", "suggestion:rules", 0.75, "")]
        assert db.undo("ana") is not None and db.undo("ana") is not None
        assert db.labels(aid) == []
        assert db.redo("ana") is not None
        assert _prov(db.labels(aid)) == [(s[0].start, "ana", "claim", "", None, "rules:quote")]
        history = [r for r in map(read_record, b"".join(render(db, "jsonl", history=True)).splitlines())
                   if r["id"].endswith(aid)][0]["history"]
        assert [(h["op"], h["label"], h["source"], h["score"], h["suggested"]) for h in history] == [
            ("label", "claim", "", None, "rules:quote"), ("label", "quote", "suggestion:rules", 0.75, ""),
            ("undo", "claim", "", None, "rules:quote"), ("redo", "quote", "suggestion:rules", 0.75, ""),
            ("undo", "claim", "", None, "rules:quote"), ("undo", "", "", None, ""),
            ("redo", "claim", "", None, "rules:quote")]


def test_undo_never_gives_another_reviewer_s_provenance(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "quote", "bob", 1, "suggestion:rules", 0.5)
        _decide(db, aid, s[0], "claim", "ana", 2)
        _decide(db, aid, s[0], "quote", "ana", 3)
        db.undo("ana")
        assert {x.annotator: provenance.of(x) for x in db.labels(aid)} == {
            "ana": provenance.NONE, "bob": ("suggestion:rules", 0.5, "")}


# ----------------------------------------------------------------------------- merge


def _two(tmp_path: Path) -> tuple[Path, Path]:
    out = []
    for name in ("one", "two"):
        p = tmp_path / name / "annotations.json"
        with Database.open(p) as db:
            apply_import(db, plan_import([SAMPLES]))
        out.append(p)
    return out[0], out[1]


def _everything(db: Database) -> dict[str, Any]:
    out = {}
    for i in db.article_infos():
        out[i.id] = (db.labels(i.id), db.history(i.id), db.cleared(i.id), db.retired(i.id))
    return out


@pytest.mark.parametrize("via", ["merge", "database", "jsonl", "json"])
def test_merge_in_either_order_keeps_the_winner_s_provenance(tmp_path: Path, via: str) -> None:
    one, two = _two(tmp_path)
    with Database.open(one) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "quote", "ana", 1, "suggestion:rules", 0.9)  # older here
        _decide(db, aid, s[1], "claim", "ana", 5, suggested="model:quote")  # newer here
        _decide(db, aid, s[2], SKIP, "ana", 2, "suggestion:rules", 1.0)  # only here
    with Database.open(two) as db:
        _decide(db, aid, s[0], "claim", "ana", 3, suggested="rules:quote")  # newer: wins, with its provenance
        _decide(db, aid, s[1], "quote", "ana", 4, "suggestion:model", 0.6)  # older: loses
        _decide(db, aid, s[3], "background", "ana", 2, "suggestion:model", 0.3)  # only here
    expected = [(s[0].start, "ana", "claim", "", None, "rules:quote"),
                (s[1].start, "ana", "claim", "", None, "model:quote"),
                (s[2].start, "ana", SKIP, "suggestion:rules", 1.0, ""),
                (s[3].start, "ana", "background", "suggestion:model", 0.3, "")]

    def bring(src: Path, dst: Path, copy: Path) -> dict[str, Any]:
        import shutil

        shutil.copytree(dst.parent, copy.parent)
        if via == "database":  # `annotator merge OTHER_DB`
            from annotator.merge import merge_database

            with Database.open(copy) as b:
                merge_database(b, src)
                assert _prov(b.labels(aid)) == expected
                return _everything(b)
        with Database.open(src, readonly=True) as a, Database.open(copy) as b:
            if via == "merge":
                labels = [x for i in a.article_infos() for x in a.labels(i.id)]
                events = [e for i in a.article_infos() for e in a.history(i.id)]
                b.merge(labels, events=events)
            else:
                f = tmp_path / f"from-{src.parent.name}.{via}"
                f.write_bytes(b"".join(render(a, via, history=True)))
                apply_import(b, plan_import([f]))
            assert _prov(b.labels(aid)) == expected
            assert b.schema_version == PROVENANCE_SCHEMA
            return _everything(b)

    ab = bring(one, two, tmp_path / "ab" / "annotations.json")
    ba = bring(two, one, tmp_path / "ba" / "annotations.json")
    assert ab == ba  # any order: the same state and the same history
    with Database.open(tmp_path / "ab" / "annotations.json") as db:
        # The history from the other copy came with its provenance, and undo and redo use it.
        assert {(e.updated_at, provenance.of(e)) for e in db.history(aid) if e.start == s[1].start} == {
            (_t(4), ("suggestion:model", 0.6, "")), (_t(5), ("", None, "model:quote"))}
        assert db.undo("ana") is not None  # ana's latest decision: s[1] claim at :05
        ev = db.redo("ana")
        assert isinstance(ev, Event) and (ev.start, ev.label) == (s[1].start, "claim")
        assert provenance.of(ev) == ("", None, "model:quote") == provenance.of(db.labels(aid)[1])


def test_a_tie_on_the_stamp_is_decided_the_same_in_both_orders(tmp_path: Path) -> None:
    one, two = _two(tmp_path)
    results = []
    for p, order in ((one, (0, 1)), (two, (1, 0))):
        with Database.open(p) as db:
            aid, s = _first(db)
            a = Label(aid, s[0].start, s[0].end, "quote", "ana", _t(1), 0, "suggestion:rules", 0.4)
            pair = (a, dataclasses.replace(a, source="suggestion:model", score=0.8))
            for i in order:
                db.merge([pair[i]])
            results.append(db.labels(aid))
            db.merge([pair[order[0]]])  # idempotent: merging the loser again changes nothing
            assert db.labels(aid) == results[-1]
    assert results[0] == results[1]


def test_merge_skips_labels_and_events_with_unsound_provenance(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        bad = Label(aid, s[0].start, s[0].end, "quote", "ana", _t(1), 0, "rules", 0.4)
        r = db.merge([bad, dataclasses.replace(bad, annotator="bob", source="", score=2.0)],
                     events=[Event(aid, s[0].start, s[0].end, "cyd", "quote", "label", _t(1), suggested="x")])
        assert r.skipped == 2 and r.history_skipped == 1 and db.labels(aid) == []
        assert db.schema_version == PLAIN_SCHEMA


# ----------------------------------------------------------------------------- export and import


def _import_into_fresh(tmp_path: Path, name: str, files: list[Path], with_texts: bool) -> Database:
    db = Database.open(tmp_path / name / "annotations.json")
    if with_texts:
        apply_import(db, plan_import([SAMPLES]))
    apply_import(db, plan_import(files))
    return db


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_article_exports_carry_every_decision_s_provenance_and_import_it_back(path: Path, tmp_path: Path,
                                                                             fmt: str) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        s = db.get_article(aid).sentences
        db.split_sentence(aid, s[5].start + 5, "ana", _t(8))  # ana's plain claim on s[5] is retired
        _decide(db, aid, s[6], "quote", "ana", 9, "suggestion:rules", 0.5)
        db.split_sentence(aid, s[6].start + 5, "ana", _t(10))  # and this one, with its provenance
        f = tmp_path / f"out.{fmt}"
        f.write_bytes(b"".join(render(db, fmt, history=True)))
        want = _everything(db)
    data = f.read_bytes()
    recs = [read_record(x) for x in data.splitlines()] if fmt == "jsonl" else orjson.loads(data)
    rec = next(r for r in recs if r["id"].endswith(aid))
    assert rec["schema_version"] == EXPORT_SCHEMA_VERSION == 6
    for key in ("spans", "skipped", "retired", "history"):
        assert rec[key] and all({"source", "score", "suggested"} <= set(x) for x in rec[key]), key
        assert {type(x["score"]).__name__ for x in rec[key]} <= {"float", "NoneType"}
    assert {x["source"] for x in rec["skipped"]} == {"suggestion:rules", ""}
    assert [(x["label"], x["source"], x["score"]) for x in rec["retired"]] == [
        ("claim", "", None), ("quote", "suggestion:rules", 0.5)]
    assert all("source" not in x for x in rec["final"])  # an adjudicated label has no provenance
    with _import_into_fresh(tmp_path, "back", [f], with_texts=False) as back:
        assert _everything(back) == want
        assert back.schema_version == PROVENANCE_SCHEMA


@pytest.mark.parametrize("fmt", ["sentences", "csv"])
def test_sentence_rows_carry_provenance_and_import_it_back(path: Path, tmp_path: Path, fmt: str) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        f = tmp_path / f"out.{'csv' if fmt == 'csv' else 'jsonl'}"
        f.write_bytes(b"".join(render(db, fmt, include_skipped=True)))
        want = _prov(db.labels(aid))
    if fmt == "sentences":
        rows = [orjson.loads(x) for x in f.read_bytes().splitlines()]
        assert all(list(r)[-5:-2] == ["source", "score", "suggested"] for r in rows)  # (then note, flag)
        assert {type(r["score"]) for r in rows} == {float}  # never null: none is -1
        assert sorted(r["score"] for r in rows) == [-1.0] * 5 + [0.875, 1.0]
    else:
        head, *lines = f.read_text(encoding="utf-8-sig").splitlines()
        assert head.endswith(",source,score,suggested,note,flag")
        assert any(line.endswith(",,,,False") for line in lines)  # no provenance: empty cells
    with _import_into_fresh(tmp_path, "back", [f], with_texts=True) as back:
        assert _prov(back.labels(aid)) == want


def test_schema_5_and_older_exports_still_import(path: Path, tmp_path: Path) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        lines = b"".join(render(db, "jsonl", history=True)).splitlines()
        rows = b"".join(render(db, "sentences")).splitlines()
    old = []
    for line in lines:
        rec = read_record(line)
        rec["schema_version"] = 5
        for key in ("spans", "skipped", "retired", "history"):
            for x in rec[key]:
                for k in ("source", "score", "suggested"):
                    x.pop(k)
        old.append(orjson.dumps(rec))
    f = tmp_path / "old.jsonl"
    f.write_bytes(b"\n".join(old) + b"\n")
    g = tmp_path / "old-rows.jsonl"
    g.write_bytes(b"\n".join(orjson.dumps({k: v for k, v in orjson.loads(r).items()
                                           if k not in ("source", "score", "suggested")} | {"schema_version": 5})
                             for r in rows) + b"\n")
    with _import_into_fresh(tmp_path, "old", [f], with_texts=False) as back:
        assert [x[1:3] for x in _prov(back.labels(aid))] == [x[1:3] for x in _prov(_labels_of(path, aid))]
        assert all(provenance.of(x) == provenance.NONE for x in back.labels(aid))
        assert back.schema_version < PROVENANCE_SCHEMA
    with _import_into_fresh(tmp_path, "rows", [g], with_texts=True) as back:
        assert len(back.labels(aid)) == 5 and all(provenance.of(x) == provenance.NONE for x in back.labels(aid))


def _labels_of(path: Path, aid: str) -> list[Label]:
    with Database.open(path, readonly=True) as db:
        return db.labels(aid)


def test_a_gold_export_still_reads_as_gold(path: Path, tmp_path: Path) -> None:
    """Gold spans and rows have a ``source`` ("unanimous", "adjudicated") but no annotator; a
    schema 6 reviewer's label has both: neither is taken for the other."""
    with Database.open(path) as db:
        aid, s = _first(db)
        for who in ("ana", "bob"):
            _decide(db, aid, s[0], "quote", who, 1, "suggestion:rules", 0.5)
        f = tmp_path / "gold.jsonl"
        f.write_bytes(b"".join(render(db, "jsonl", gold=GoldTally())))
        g = tmp_path / "gold-rows.jsonl"
        g.write_bytes(b"".join(render(db, "sentences", gold=GoldTally())))
    assert read_record(f.read_bytes().splitlines()[0])["spans"][0]["source"] == "unanimous"
    for file, texts in ((f, False), (g, True)):
        with _import_into_fresh(tmp_path, file.stem, [file], with_texts=texts) as back:
            assert [(x.annotator, x.label) for x in back.labels(aid)] == [("ana", "quote"), ("bob", "quote")]


def test_bad_provenance_in_an_export_is_refused_and_named(path: Path, tmp_path: Path) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        rows = [orjson.loads(x) for x in b"".join(render(db, "sentences")).splitlines()]
        line = read_record(b"".join(render(db, "jsonl")).splitlines()[0])
    rows[0]["score"] = 7
    f = tmp_path / "rows.jsonl"
    f.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    with _import_into_fresh(tmp_path, "rows", [f], with_texts=True) as back:
        assert len(back.labels(aid)) == len(rows) - 1
    line["spans"][0]["source"] = "rules"
    g = tmp_path / "art.jsonl"
    g.write_bytes(orjson.dumps(line) + b"\n")
    plan = plan_import([g])
    assert plan.skipped and "source" in plan.skipped[0].reason


# ----------------------------------------------------------------------------- other tools


def _tool(db: Database, fmt: str, tmp_path: Path) -> Path:
    f = tmp_path / f"tool-{fmt}.{'json' if fmt == 'label-studio' else 'spacy' if 'spacy' in fmt else 'jsonl'}"
    f.write_bytes(b"".join(render(db, fmt)))
    return f


TOOLS = ["label-studio", "prodigy", "prodigy-textcat", "doccano", "doccano-textcat", "spacy", "spacy-textcat"]


@pytest.mark.parametrize("fmt", TOOLS)
def test_every_tool_format_carries_provenance_back(path: Path, tmp_path: Path, fmt: str) -> None:
    if "spacy" in fmt:
        pytest.importorskip("spacy")
    with Database.open(path) as db:
        aid = _varied(db)
        want = [x for x in _prov(db.labels(aid)) if x[2] != SKIP]
        f = _tool(db, fmt, tmp_path)
    textcat = fmt.endswith("textcat")
    with _import_into_fresh(tmp_path, "back", [f], with_texts=textcat) as back:
        assert _prov(back.labels(aid)) == want
        assert "provenance" not in back.get_article(aid).meta  # read as provenance, not kept as meta


def test_each_tool_keeps_provenance_in_its_own_place(path: Path, tmp_path: Path) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        s = db.get_article(aid).sentences
        ls = orjson.loads(_tool(db, "label-studio", tmp_path).read_bytes())
        prodigy = [orjson.loads(x) for x in _tool(db, "prodigy", tmp_path).read_bytes().splitlines()]
        doccano = [orjson.loads(x) for x in _tool(db, "doccano-textcat", tmp_path).read_bytes().splitlines()]
    task = next(t for t in ls if t["data"]["article_id"].endswith(aid))
    ana = task["annotations"][task["data"]["annotators"].index("ana")]["result"]
    by_start = {r["value"]["start"]: r for r in ana}
    # Label Studio's own fields: an accepted suggestion is a prediction, with its score.
    assert by_start[s[0].start]["origin"] == "prediction" and by_start[s[0].start]["score"] == 0.875
    assert by_start[s[3].start]["origin"] == "prediction" and "score" not in by_start[s[3].start]
    assert by_start[s[1].start]["origin"] == "manual" and "score" not in by_start[s[1].start]
    span = next(sp for t in prodigy if t["meta"]["annotator"] == "ana" for sp in t["spans"]
                if sp["start"] == s[1].start)
    assert (span["source"], span["score"], span["suggested"]) == ("", None, "cmd:tag.py:quote")
    row = next(r for r in doccano if r["annotator"] == "ana" and r["start"] == s[0].start)
    assert (row["source"], row["score"], row["suggested"]) == ("suggestion:rules", 0.875, "")


def test_label_studio_predictions_accepted_in_the_tool_become_provenance(path: Path, tmp_path: Path) -> None:
    with Database.open(path, readonly=True) as db:
        aid, s = _first(db)
        text = db.get_article(aid).text

    def result(sp: Span, origin: str, **more: Any) -> dict[str, Any]:
        return {"type": "labels", "from_name": "label", "to_name": "text", "origin": origin, **more,
                "value": {"start": sp.start, "end": sp.end, "text": text[sp.start:sp.end], "labels": ["quote"]}}

    task = {"id": 1, "data": {"text": text},
            "annotations": [{"completed_by": {"email": "citra@example.com"}, "updated_at": _t(1),
                             "result": [result(s[0], "prediction", score=0.66), result(s[1], "manual"),
                                        result(s[2], "prediction-changed", score=0.2),
                                        result(s[3], "prediction", score="high")]}],
            "predictions": [{"model_version": "ner-v2", "result": []}]}
    f = tmp_path / "ls.json"
    f.write_text(json.dumps([task]))
    with Database.open(path) as db:
        apply_import(db, plan_import([f]))
        got = {x.start: provenance.of(x) for x in db.labels(aid, "citra")}
    assert got == {s[0].start: ("suggestion:ner-v2", 0.66, ""), s[1].start: provenance.NONE,
                   s[2].start: provenance.NONE, s[3].start: ("suggestion:ner-v2", None, "")}


def test_the_readme_names_what_has_no_place(path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Provenance"):]
    section = section[:section.index("\n#", 1)]
    for fmt in FORMATS:
        assert f"`{fmt}`" in section, fmt


# ----------------------------------------------------------------------------- verify


@pytest.mark.parametrize(
    "table,change,needle",
    [
        ("labels", {"source": "rules"}, "source 'rules' is neither \"\" nor suggestion:<name>"),
        ("labels", {"source": "suggestion: x"}, "source 'suggestion: x'"),
        ("labels", {"score": 1.5}, "score 1.5 is neither null nor a number in 0..1"),
        ("labels", {"score": -0.1}, "score -0.1"),
        ("labels", {"score": "high"}, "score 'high'"),
        ("labels", {"suggested": "quote"}, "suggested 'quote' is neither \"\" nor <name>:<label>"),
        ("labels", {"suggested": 3}, "suggested 3"),
        ("history", {"score": 2}, "history record 1: score 2"),
        ("history", {"source": "model"}, "history record 1: source 'model'"),
    ],
)
def test_verify_flags_bad_provenance(path: Path, capsys: pytest.CaptureFixture[str], table: str,
                                     change: dict[str, Any], needle: str) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        _decide(db, aid, s[0], "claim", "ana", 1, "suggestion:rules", 0.5, "model:quote")
    assert verify(path).ok
    file = path.parent / "annotations.d" / "labels" / f"{aid}.json"
    data = orjson.loads(file.read_bytes())
    data[table]["1"].update(change)
    file.write_bytes(orjson.dumps(data))
    report = verify(path)
    assert not report.ok and any(needle in f.message for f in report.findings), report.findings


def test_verify_passes_every_kind_of_sound_provenance(path: Path) -> None:
    with Database.open(path) as db:
        _varied(db)
    report = verify(path)
    assert report.ok, report.findings


def test_suggested_splits_names_and_labels_that_hold_colons() -> None:
    assert provenance.split_suggested("cmd:tag.py:quote") == ("cmd:tag.py", "quote")
    assert provenance.split_suggested("rules:a:b", lambda x: x == "a:b") == ("rules", "a:b")
    assert provenance.split_suggested("rules:") is None and provenance.split_suggested("quote") is None
    assert provenance.suggester("suggestion:cmd:tag.py") == "cmd:tag.py"
    assert provenance.suggester("suggestion:") is None and provenance.suggester("rules") is None


# ----------------------------------------------------------------------------- stats


def test_stats_count_accepted_changed_and_rejected_per_suggester(path: Path, capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    with Database.open(path) as db:
        aid = _varied(db)
        s = db.get_article(aid).sentences
        _decide(db, aid, s[6], "quote", "ana", 8, suggested="rules:quote")  # typed the suggested label: none
        _decide(db, aid, s[7], SKIP, "ana", 9, suggested="rules:skip")  # skipped as suggested: none
        stats = compute(db)
        counts = db.suggestion_counts()
    assert counts == {("ana", "rules", "accepted"): 2, ("ana", "cmd:tag.py", "changed"): 1,
                      ("ana", "model", "accepted"): 1, ("ana", "rules", "changed"): 1,
                      ("ana", "model", "rejected"): 1}
    rows = {g.name: (g.accepted, g.changed, g.rejected) for g in stats.suggesters}
    assert rows == {"cmd:tag.py": (0, 1, 0), "model": (1, 0, 1), "rules": (2, 1, 0)}
    ana = next(a for a in stats.annotators if a.name == "ana")
    assert ana.suggestions == {"accepted": 3, "changed": 2, "rejected": 1} and ana.acceptance_rate == 0.5
    assert not ana.anchoring
    bob = next(a for a in stats.annotators if a.name == "bob")
    assert bob.acceptance_rate is None
    text = format_text(stats, str(path))
    assert "  rules       2 accepted, 1 changed, 0 rejected (skip)" in text
    assert "  ana  3/6 accepted (50%)" in text and ANCHORING_NOTE not in text
    data = stats.to_json()
    assert data["suggesters"][2] == {"name": "rules", "accepted": 2, "changed": 1, "rejected": 0}
    assert next(a for a in data["annotators"] if a["name"] == "ana")["suggestions"] == {
        "accepted": 3, "changed": 2, "rejected": 1, "acceptance_rate": 0.5, "anchoring": False}


def test_stats_counts_follow_each_decision_and_a_reopen(path: Path) -> None:
    with Database.open(path) as db:
        aid, s = _first(db)
        assert db.suggestion_counts() == {}
        _decide(db, aid, s[0], "quote", "ana", 1, "suggestion:rules", 0.5)
        assert db.suggestion_counts() == {("ana", "rules", "accepted"): 1}
        _decide(db, aid, s[0], "claim", "ana", 2, suggested="rules:quote")
        assert db.suggestion_counts() == {("ana", "rules", "changed"): 1}
        db.undo("ana")
        assert db.suggestion_counts() == {("ana", "rules", "accepted"): 1}
        db.clear_label(aid, s[0].start, s[0].end, "ana", _t(3))
        assert db.suggestion_counts() == {}
        db.redo("ana")  # nothing to redo after a new decision
        _decide(db, aid, s[1], SKIP, "ana", 4, suggested="rules:quote")
    with Database.open(path) as db:  # counted from the files
        assert db.suggestion_counts() == {("ana", "rules", "rejected"): 1}


def test_a_reviewer_who_accepts_nearly_everything_is_flagged(path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    with Database.open(path) as db:
        infos = db.article_infos()
        n = 0
        for info in infos:
            for sp in db.get_article(info.id).sentences:
                n += 1
                if n <= 21:
                    _decide(db, info.id, sp, "quote", "budi", n % 60, "suggestion:rules", 0.9)
                elif n == 22:
                    _decide(db, info.id, sp, "claim", "budi", 0, suggested="rules:quote")
                elif n <= 40:  # ana: accepts 18 of 19, under 20 decisions: too few to tell
                    _decide(db, info.id, sp, "quote", "ana", n % 60, "suggestion:rules", 0.9)
                elif n == 41:
                    _decide(db, info.id, sp, "claim", "ana", 0, suggested="rules:quote")
    try:
        main(["stats", "--db", str(path)])
    except SystemExit as exc:
        assert not exc.code
    out = capsys.readouterr().out
    budi = next(line for line in out.splitlines() if line.strip().startswith("budi") and "accepted (" in line)
    assert budi.endswith(f"21/22 accepted (95%)  {ANCHORING_NOTE}")
    ana = next(line for line in out.splitlines() if line.strip().startswith("ana") and "accepted (" in line)
    assert ANCHORING_NOTE not in ana
    try:
        main(["stats", "--db", str(path), "--json"])
    except SystemExit as exc:
        assert not exc.code
    data = orjson.loads(capsys.readouterr().out)
    flags = {a["name"]: a["suggestions"]["anchoring"] for a in data["annotators"]}
    assert flags["ana"] is False and flags["budi"] is True


# ----------------------------------------------------------------------------- at a realistic size

N_ARTICLES = 2_000
LATE = 1_800  # from here on, labels with provenance (past the first 10 MB of the sentence rows)


def _article(n: int) -> Article:
    text, spans = "", []
    for k in range(20):
        s = (f"Kalimat nomor {k} dari artikel {n} cukup panjang untuk terlihat seperti berita sungguhan, "
             f"dengan kutipan dan atribusi yang jelas menurut narasumber yang dikutip oleh redaksi kami hari ini.")
        if text:
            text += " "
        spans.append(Span(len(text), len(text) + len(s)))
        text += s
    return Article(article_id(text), "", text, tuple(spans), (f"feed/{n}.txt",), {})


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("provenance-big") / "annotations.json"
    db = Database.open(path)
    arts = [_article(n) for n in range(N_ARTICLES)]
    db.add_articles(arts)
    labels = []
    for n, a in enumerate(arts):
        for k, sp in enumerate(a.sentences):
            label = ("claim", "quote", "background", SKIP)[(n + k) % 4]
            lab = Label(a.id, sp.start, sp.end, label, "ana", _t(1))
            if n >= LATE:
                lab = dataclasses.replace(lab, **(
                    {"source": "suggestion:rules", "score": 0.5 + k / 40} if k % 3 == 0 else
                    {"suggested": "model:claim"} if k % 3 == 1 else {"source": "suggestion:cmd:tag.py"}))
            labels.append(lab)
    db.merge(labels)
    try:
        yield db
    finally:
        db.close()


def _written(db: Database, tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / f"big-{fmt}.{'json' if fmt == 'json' else 'jsonl'}"
    out.write_bytes(b"".join(render(db, fmt)))
    return out


def test_at_size_every_row_has_the_same_keys_and_types(big: Database, tmp_path: Path) -> None:
    assert big.schema_version == PROVENANCE_SCHEMA
    for fmt in ("sentences", "jsonl"):
        path = _written(big, tmp_path, fmt)
        data = path.read_bytes()
        if fmt == "sentences":
            assert data.index(b'"source":"suggestion:') > 10 << 20  # past the chunk a loader types from
        keys: set[tuple[str, ...]] = set()
        shapes: dict[str, set[str]] = {}
        for line in data.splitlines():
            row = orjson.loads(line)
            keys.add(tuple(row))
            for k, v in row.items():
                shapes.setdefault(k, set()).add(type(v).__name__)
        assert len(keys) == 1 and all(len(t) == 1 for t in shapes.values()), (fmt, shapes)
        assert "NoneType" not in {t for ts in shapes.values() for t in ts}
        if fmt == "jsonl":  # the spans inside: one set of keys, score a number or null
            spans = [s for line in data.splitlines()[LATE - 2:LATE + 2] for s in read_record(line)["spans"]]
            assert len({tuple(s) for s in spans}) == 1
            assert {type(s["score"]).__name__ for s in spans} == {"float", "NoneType"}


@pytest.fixture(autouse=False)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize("fmt", ["sentences", "jsonl", "json"])
def test_at_size_datasets_loads_provenance(big: Database, tmp_path: Path, fmt: str, offline: None) -> None:
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    path = _written(big, tmp_path, fmt)
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    if fmt == "sentences":
        assert str(ds.features["score"]) == "Value('float64')" and str(ds.features["source"]) == "Value('string')"
        last = ds[-1]
        assert last["source"].startswith("suggestion:") or last["suggested"] == "model:claim"
        scores = ds["score"]
        assert scores[0] == provenance.NO_SCORE and max(scores) <= 1.0
    else:
        last = ds[-1]
        spans = json.loads(last["spans"]) if fmt == "jsonl" else last["spans"]
        assert {sp["source"] for sp in spans} == {"suggestion:rules", "suggestion:cmd:tag.py", ""}
        assert {sp["score"] for sp in spans if sp["source"] == "suggestion:rules"} <= {0.5 + k / 40 for k in range(20)}
        assert {sp["suggested"] for sp in spans} == {"", "model:claim"}
        first = json.loads(ds[0]["spans"]) if fmt == "jsonl" else ds[0]["spans"]
        assert first[0]["source"] == "" and first[0]["score"] is None


def test_at_size_pandas_reads_provenance(big: Database, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.read_json(_written(big, tmp_path, "sentences"), lines=True)
    assert str(df["score"].dtype) == "float64" and df["source"].map(type).eq(str).all()
    accepted = df[df["source"] != ""]
    assert len(accepted) and accepted["source"].str.startswith("suggestion:").all()
    assert (df.loc[df["source"] == "", "score"] == provenance.NO_SCORE).all()
