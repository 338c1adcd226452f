"""Notes and flags (issue 13): a one-line note and an "unsure" flag per sentence and reviewer,
each a stamped decision stored in the article's labels file; through merge (latest wins, a
clear included), split and join (retired, kept), export and import, review and stats; and
untrusted note text shown verbatim, never as markup or a terminal control."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import orjson
import pytest

from annotator import export
from annotator.importer import apply_import, plan_import
from annotator.model import NOTE_MAX_CHARS, NOTES_SCHEMA, Label, Note, clean_note, note_ok
from annotator.storage import Database
from annotator.storage.records import join_notes

from conftest import SAMPLES

HOSTILE = ["\x1b]0;PWNED\x07", "[bold]x[/]", "[@click=app.quit]"]
T0 = "2026-01-01T10:00:00.000Z"
T1 = "2026-01-01T11:00:00.000Z"
T2 = "2026-01-01T12:00:00.000Z"


def first(db: Database) -> tuple[str, int, int]:
    """(article id, start, end) of the first sample article's first sentence."""
    aid = db.article_infos()[0].id
    s = db.get_article(aid).sentences[0]
    return aid, s.start, s.end


def sentence(db: Database, i: int, article: int = 0) -> tuple[str, int, int]:
    aid = db.article_infos()[article].id
    s = db.get_article(aid).sentences[i]
    return aid, s.start, s.end


def schema(db: Database) -> int:
    return int(orjson.loads(db.path.read_bytes())["project"]["1"]["schema_version"])


def shown(notes: list[Note]) -> list[tuple[int, str, str, bool]]:
    return [(n.start, n.annotator, n.note, n.flag) for n in notes]


# ----------------------------------------------------------------------------- the text of a note


def test_clean_note_makes_one_printable_line() -> None:
    assert clean_note("  quote or claim?\nthe attribution\tis later  ") == "quote or claim? the attribution is later"
    assert clean_note("\x1b]0;PWNED\x07") == "]0;PWNED"
    assert clean_note("a\u202eb\u200bc\x9bd\x7f") == "abcd"
    for text in ("[bold]x[/]", "[@click=app.quit]", "kata “Menteri” ✎ 日本"):
        assert clean_note(text) == text and note_ok(text)
    assert note_ok("x" * NOTE_MAX_CHARS) and not note_ok("x" * (NOTE_MAX_CHARS + 1))
    assert not note_ok(" padded") and not note_ok("a\nb") and not note_ok(HOSTILE[0])


# ----------------------------------------------------------------------------- storage


def test_set_note_and_flag_are_stored_stamped_and_read_back(sample_db: Database) -> None:
    db = sample_db
    aid, s, e = first(db)
    assert db.notes(aid) == []
    n = db.set_note(aid, s, e, "ana", "quote or claim? the attribution is two sentences later")
    assert (n.note, n.flag, n.flag_updated_at) == ("quote or claim? the attribution is two sentences later", False, "")
    f = db.set_flag(aid, s, e, "ana", True)
    assert f.note == n.note and f.flag and f.updated_at == n.updated_at and f.flag_updated_at
    db.set_flag(aid, s, e, "budi", True)
    assert shown(db.notes(aid)) == [(s, "ana", n.note, True), (s, "budi", "", True)]
    assert shown(db.notes(aid, "budi")) == [(s, "budi", "", True)]
    # On disk, in the labels file's own table: a fresh open reads the same.
    raw = orjson.loads(db.labels_path(aid).read_bytes())
    assert sorted(d["annotator"] for d in raw["notes"].values()) == ["ana", "budi"]
    path = db.path
    db.close()
    with Database.open(path, readonly=True) as again:
        assert again.notes(aid) == [f, again.notes(aid)[1]] and again.notes(aid)[1].flag


def test_the_same_decision_again_changes_nothing(sample_db: Database) -> None:
    db = sample_db
    aid, s, e = first(db)
    n = db.set_note(aid, s, e, "ana", "x")
    assert db.set_note(aid, s, e, "ana", "x") == n
    f = db.set_flag(aid, s, e, "ana", False)  # never flagged: off already
    assert f == n


def test_stamps_are_a_hybrid_clock_per_key(sample_db: Database) -> None:
    """A decision made at a clock behind the last one seen still comes after it."""
    db = sample_db
    aid, s, e = first(db)
    a = db.set_note(aid, s, e, "ana", "first", updated_at=T2)
    b = db.set_note(aid, s, e, "ana", "second", updated_at=T0)  # the clock went back
    assert (b.updated_at, b.tick) == (T2, a.tick + 1)
    c = db.set_flag(aid, s, e, "ana", True, updated_at=T1)  # after the note too: one clock per key
    assert (c.flag_updated_at, c.flag_tick) == (T2, b.tick + 1)


def test_bad_input_is_refused(sample_db: Database) -> None:
    db = sample_db
    aid, s, e = first(db)
    for text in [*HOSTILE[:1], "two\nlines", "x" * (NOTE_MAX_CHARS + 1), " padded"]:
        with pytest.raises(ValueError):
            db.set_note(aid, s, e, "ana", text)
    with pytest.raises(ValueError):
        db.set_note(aid, s, e + 1, "ana", "not a sentence")
    with pytest.raises(ValueError):
        db.set_flag("0" * 16, s, e, "ana", True)
    with pytest.raises(ValueError):
        db.set_flag(aid, s, e, "bad\x1bname", True)
    assert db.notes(aid) == []


def test_markup_is_stored_as_text(sample_db: Database) -> None:
    db = sample_db
    aid, s, e = first(db)
    for i, text in enumerate(HOSTILE[1:]):
        db.set_note(aid, s, e, f"r{i}", text)
    assert [n.note for n in db.notes(aid)] == HOSTILE[1:]


def test_schema_goes_up_only_when_notes_are_used(sample_db: Database, tmp_path: Path) -> None:
    db = sample_db
    aid, s, e = first(db)
    before = schema(db)
    assert before < NOTES_SCHEMA
    db.set_label(Label(aid, s, e, "claim", "ana", T0))
    assert schema(db) == before  # labels alone: an older annotator still opens it
    db.set_flag(aid, s, e, "ana", True)
    assert schema(db) == NOTES_SCHEMA


# ----------------------------------------------------------------------------- merge


def other_copy(tmp_path: Path, name: str) -> Database:
    other = Database.open(tmp_path / name / "annotations.json")
    apply_import(other, plan_import([SAMPLES]))
    return other


def merged_notes(into: Database, *others: Database) -> list[Note]:
    from annotator.merge import merge_database

    for o in others:
        path = o.path
        o.close()
        merge_database(into, path)
    return [n for info in into.article_infos() for n in into.notes(info.id)]


def test_join_notes_is_a_join() -> None:
    a = Note("a", 0, 1, "ana", "one", False, T0, 0, "", 0)
    b = Note("a", 0, 1, "ana", "", False, T1, 0, "", 0)  # cleared later
    c = Note("a", 0, 1, "ana", "one", True, T0, 0, T2, 0)  # flagged later elsewhere
    for x, y in itertools.permutations([a, b, c], 2):
        assert join_notes(x, y) == join_notes(y, x)
    for x, y, z in itertools.permutations([a, b, c]):
        assert join_notes(join_notes(x, y), z) == join_notes(x, join_notes(y, z))
    assert join_notes(a, a) == a
    got = join_notes(join_notes(a, b), c)
    assert (got.note, got.updated_at, got.flag, got.flag_updated_at) == ("", T1, True, T2)


@pytest.mark.parametrize("order", ["here-first", "there-first"])
def test_merge_brings_notes_and_a_later_clear_wins(tmp_path: Path, order: str) -> None:
    here, there = other_copy(tmp_path, "here"), other_copy(tmp_path, "there")
    aid, s, e = first(here)
    # ana writes a note on her laptop (there), flags the sentence on the desktop (here), then
    # clears the note there: both later decisions win, in any order of merging.
    there.set_note(aid, s, e, "ana", "quote or claim?", updated_at=T0)
    here.set_flag(aid, s, e, "ana", True, updated_at=T1)
    there.set_note(aid, s, e, "ana", "", updated_at=T2)
    there.set_note(*sentence(there, 1), "budi", "budi's own", updated_at=T0)
    if order == "here-first":
        got = merged_notes(here, there)
        db = here
    else:
        got = merged_notes(there, here)
        db = there
    assert shown(got) == [(s, "ana", "", True), (sentence(db, 1)[1], "budi", "budi's own", False)]
    assert schema(db) == NOTES_SCHEMA
    db.close()


def test_merge_is_idempotent_and_an_unflag_wins(tmp_path: Path) -> None:
    a, b = other_copy(tmp_path, "a"), other_copy(tmp_path, "b")
    aid, s, e = first(a)
    a.set_flag(aid, s, e, "ana", True, updated_at=T0)
    b.set_flag(aid, s, e, "ana", True, updated_at=T0)
    b.set_flag(aid, s, e, "ana", False, updated_at=T1)
    from annotator.merge import merge_database

    b_path = b.path
    b.close()
    for _ in range(2):
        r = merge_database(a, b_path).result
        assert r is not None
    assert [n.flag for n in a.notes(aid)] == [False]
    assert r.notes_updated == 0 and r.notes_added == 0  # the second merge changed nothing
    a.close()


# ----------------------------------------------------------------------------- split and join


def test_a_split_retires_the_notes_of_its_sentence_and_keeps_them(sample_db: Database) -> None:
    db = sample_db
    aid, s, e = sentence(db, 1)
    _, s2, e2 = sentence(db, 2)
    db.set_note(aid, s, e, "ana", "on the sentence split")
    db.set_flag(aid, s2, e2, "ana", True)
    text = db.get_article(aid).text
    cut = text.index(" ", s) + 1
    db.split_sentence(aid, cut, "ana")
    assert shown(db.notes(aid)) == [(s2, "ana", "", True)]  # the other sentence keeps its flag
    retired = db.retired_notes(aid)
    assert [(r.note.note, r.op, r.by) for r in retired] == [("on the sentence split", "split", "ana")]
    # A note on a half counts on it; undo brings the old sentence and its note back.
    half = db.get_article(aid).sentences[1]
    db.set_note(aid, half.start, half.end, "ana", "on the half")
    db.undo("ana")
    assert ("on the sentence split", s) in [(n.note, n.start) for n in db.notes(aid)]
    assert [r.note.note for r in db.retired_notes(aid)] == ["on the half"]
    # Joining retires the notes of both sentences.
    db.join_sentences(aid, 1, "ana")
    assert {r.note.note for r in db.retired_notes(aid)} >= {"on the sentence split", "on the half"}
    assert all((n.start, n.end) != (s2, e2) for n in db.notes(aid))


def test_retired_notes_travel_through_merge(tmp_path: Path) -> None:
    a, b = other_copy(tmp_path, "a"), other_copy(tmp_path, "b")
    aid, s, e = sentence(a, 1)
    a.set_note(aid, s, e, "ana", "kept")
    a.split_sentence(aid, a.get_article(aid).text.index(" ", s) + 1, "ana")
    got = merged_notes(b, a)
    assert got == [] and [r.note.note for r in b.retired_notes(aid)] == ["kept"]
    b.close()


# ----------------------------------------------------------------------------- export and import


def noted(db: Database) -> Database:
    """The samples with ana's and budi's labels, notes and flags, a cleared note among them."""
    for i in range(4):
        aid, s, e = sentence(db, i)
        db.set_label(Label(aid, s, e, "claim", "ana", T0))
        db.set_label(Label(aid, s, e, "quote", "budi", T0))
    aid, s, e = sentence(db, 0)
    db.set_note(aid, s, e, "ana", "quote or claim? the attribution is two sentences later", updated_at=T0)
    db.set_flag(aid, s, e, "ana", True, updated_at=T1)
    _, s1, e1 = sentence(db, 1)
    db.set_note(aid, s1, e1, "budi", HOSTILE[1], updated_at=T0)
    db.set_note(aid, s1, e1, "ana", "said, then cleared", updated_at=T0)
    db.set_note(aid, s1, e1, "ana", "", updated_at=T1)
    _, s5, e5 = sentence(db, 5)
    db.set_flag(aid, s5, e5, "ana", True, updated_at=T0)  # on a sentence with no label
    return db


def state_of(db: Database) -> list[Note]:
    return sorted((n for info in db.article_infos() for n in db.notes(info.id)),
                  key=lambda n: (n.article_id, n.start, n.annotator))


def test_jsonl_and_json_records_carry_every_note_and_flag(sample_db: Database) -> None:
    db = noted(sample_db)
    aid = db.article_infos()[0].id
    for fmt in ("jsonl", "json"):
        data = b"".join(export.render(db, fmt))
        recs = [export.read_record(x) for x in data.splitlines()] if fmt == "jsonl" else orjson.loads(data)
        rec = next(r for r in recs if r["id"] == "art_" + aid)
        assert rec["schema_version"] == 6 and rec["retired_notes"] == []
        got = {(n["start"], n["annotator"]): (n["note"], n["flag"]) for n in rec["notes"]}
        assert got[(sentence(db, 0)[1], "ana")] == ("quote or claim? the attribution is two sentences later", True)
        assert got[(sentence(db, 1)[1], "ana")] == ("", False)  # the clear travels too
        assert got[(sentence(db, 1)[1], "budi")] == (HOSTILE[1], False)
        assert got[(sentence(db, 5)[1], "ana")] == ("", True)
        assert set(rec["notes"][0]) == {"start", "end", "annotator", "note", "flag", "updated_at", "tick",
                                        "flag_updated_at", "flag_tick"}
    jsonl = b"".join(export.render(db, "jsonl"))
    first_line = orjson.loads(jsonl.splitlines()[0])
    assert isinstance(first_line["notes"], str)  # packed as a JSON string, as the other lists


def test_sentence_rows_and_csv_have_note_and_flag_of_their_reviewer(sample_db: Database) -> None:
    import csv
    import io

    db = noted(sample_db)
    rows = [orjson.loads(x) for x in b"".join(export.render(db, "sentences")).splitlines()]
    assert all("note" in r and "flag" in r for r in rows)
    by = {(r["sentence"], r["annotator"]): (r["note"], r["flag"]) for r in rows}
    assert by[(0, "ana")] == ("quote or claim? the attribution is two sentences later", True)
    assert by[(0, "budi")] == ("", False) and by[(1, "budi")] == (HOSTILE[1], False)
    text = b"".join(export.render(db, "csv")).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert {(r["sentence"], r["annotator"]): (r["note"], r["flag"]) for r in table}[("0", "ana")] == (
        "quote or claim? the attribution is two sentences later", "True")


@pytest.mark.parametrize("fmt,suffix", [("jsonl", ".jsonl"), ("json", ".json")])
def test_export_then_import_gives_the_same_notes(sample_db: Database, tmp_path: Path, fmt: str, suffix: str) -> None:
    db = noted(sample_db)
    out = tmp_path / f"export{suffix}"
    out.write_bytes(b"".join(export.render(db, fmt)))
    with Database.open(tmp_path / "fresh" / "annotations.json") as fresh:
        result = apply_import(fresh, plan_import([out]))
        assert result.merge is not None and result.merge.notes_skipped == 0
        assert [n for n in state_of(fresh)] == state_of(db)
        assert schema(fresh) == NOTES_SCHEMA


@pytest.mark.parametrize("fmt", ["sentences", "csv"])
def test_sentence_rows_import_back_their_notes_and_flags(sample_db: Database, tmp_path: Path, fmt: str) -> None:
    db = noted(sample_db)
    articles, rows = tmp_path / "articles.jsonl", tmp_path / f"rows.{'csv' if fmt == 'csv' else 'jsonl'}"
    articles.write_bytes(b"".join(export.render(db, "jsonl", annotators={"nobody"})))  # texts, no decisions
    rows.write_bytes(b"".join(export.render(db, fmt)))
    with Database.open(tmp_path / "fresh" / "annotations.json") as fresh:
        apply_import(fresh, plan_import([articles]))
        apply_import(fresh, plan_import([rows]))
        want = {(n.start, n.annotator, n.note, n.flag) for n in state_of(db) if not n.empty
                and any((lab.start, lab.annotator) == (n.start, n.annotator) for lab in db.labels(n.article_id))}
        assert {(n.start, n.annotator, n.note, n.flag) for n in state_of(fresh)} == want
        # Stamped early: merged with the database they came from, its own decisions stand.
        path = fresh.path
    with Database.open(path) as fresh_again:
        db_path = db.path
        db.close()
        from annotator.merge import merge_database

        merge_database(fresh_again, db_path)
        with Database.open(db_path, readonly=True) as original:
            assert [(n.start, n.annotator, n.note, n.flag) for n in state_of(fresh_again) if not n.empty] == \
                [(n.start, n.annotator, n.note, n.flag) for n in state_of(original) if not n.empty]


def test_any_order_of_merge_and_export_import_gives_the_same(tmp_path: Path) -> None:
    """ana's laptop and desktop, and the lead's copy: merged directly or through an export, in
    any order, every copy ends with the same notes and flags."""
    copies = {name: other_copy(tmp_path, name) for name in ("laptop", "desktop")}
    aid, s, e = first(copies["laptop"])
    copies["laptop"].set_note(aid, s, e, "ana", "quote or claim?", updated_at=T0)
    copies["desktop"].set_flag(aid, s, e, "ana", True, updated_at=T1)
    copies["laptop"].set_note(aid, s, e, "ana", "", updated_at=T2)  # cleared after all
    copies["laptop"].set_flag(*sentence(copies["laptop"], 3), "ana", True, updated_at=T2)
    exports = {}
    for name, db in copies.items():
        exports[name] = tmp_path / f"{name}.jsonl"
        exports[name].write_bytes(b"".join(export.render(db, "jsonl")))
    paths = {name: db.path for name, db in copies.items()}
    for db in copies.values():
        db.close()
    from annotator.merge import merge_database

    results = []
    for n, order in enumerate(itertools.permutations(["laptop", "desktop"])):
        for via in ("merge", "export"):
            with Database.open(tmp_path / f"lead-{n}-{via}" / "annotations.json") as lead:
                for name in order:
                    if via == "merge":
                        merge_database(lead, paths[name])
                    else:
                        apply_import(lead, plan_import([exports[name]]))
                # And once more, the other way: nothing changes.
                apply_import(lead, plan_import([exports[order[0]]]))
                results.append(state_of(lead))
    assert all(r == results[0] for r in results)
    assert [(n.note, n.flag) for n in results[0]] == [("", True), ("", True)]


def test_older_exports_still_import(tmp_path: Path, sample_db: Database) -> None:
    db = noted(sample_db)
    out = tmp_path / "old.jsonl"
    lines = []
    for line in b"".join(export.render(db, "jsonl")).splitlines():
        rec = orjson.loads(line)
        del rec["notes"], rec["retired_notes"]
        rec["schema_version"] = 5
        lines.append(orjson.dumps(rec))
    out.write_bytes(b"\n".join(lines) + b"\n")
    with Database.open(tmp_path / "fresh" / "annotations.json") as fresh:
        apply_import(fresh, plan_import([out]))
        assert state_of(fresh) == [] and len(fresh.labels(db.article_infos()[0].id)) == 8
        assert schema(fresh) < NOTES_SCHEMA


def test_tool_exports_put_notes_where_each_tool_keeps_them(sample_db: Database) -> None:
    import xml.etree.ElementTree as ET

    db = noted(sample_db)
    aid, s, e = sentence(db, 0)
    ana = [orjson.loads(x) for x in b"".join(export.render(db, "doccano")).splitlines()
           if orjson.loads(x)["annotator"] == "ana"]
    assert f"{s}-{e}: [unsure] quote or claim? the attribution is two sentences later" in ana[0]["Comments"]
    rows = [orjson.loads(x) for x in b"".join(export.render(db, "doccano-textcat")).splitlines()]
    assert any(r.get("Comments") == ["[unsure] quote or claim? the attribution is two sentences later"]
               for r in rows)
    prodigy = [orjson.loads(x) for x in b"".join(export.render(db, "prodigy")).splitlines()]
    mine = next(p for p in prodigy if p["meta"]["annotator"] == "ana" and p["meta"]["article_id"] == "art_" + aid)
    assert mine["flagged"] is True and {"start": s, "end": e, "note": mine["meta"]["notes"][0]["note"],
                                        "flag": True} in mine["meta"]["notes"]
    textcat = [orjson.loads(x) for x in b"".join(export.render(db, "prodigy-textcat")).splitlines()]
    assert any(t["meta"].get("flag") is True and t.get("flagged") is True for t in textcat)
    tasks = orjson.loads(b"".join(export.render(db, "label-studio")))
    task = next(t for t in tasks if t["data"]["article_id"] == "art_" + aid)
    results = task["annotations"][task["data"]["annotators"].index("ana")]["result"]
    region = next(r for r in results if r["type"] == "labels" and r["value"]["start"] == s)
    note = next(r for r in results if r["type"] == "textarea")
    flag = next(r for r in results if r["type"] == "choices")
    assert note["id"] == flag["id"] == region["id"] and note["value"]["text"] == [
        "quote or claim? the attribution is two sentences later"] and flag["value"]["choices"] == ["unsure"]
    config = ET.fromstring(b"".join(export.render(db, "label-studio-config")))
    assert config.find("TextArea").get("perRegion") == "true"  # type: ignore[union-attr]
    assert [c.get("value") for c in config.iter("Choice")] == ["unsure"]


def test_our_label_studio_export_imports_its_labels_and_names_the_notes_it_leaves(sample_db: Database,
                                                                                   tmp_path: Path) -> None:
    db = noted(sample_db)
    out = tmp_path / "ls.json"
    out.write_bytes(b"".join(export.render(db, "label-studio")))
    with Database.open(tmp_path / "fresh" / "annotations.json") as fresh:
        result = apply_import(fresh, plan_import([out]))
        assert not result.label_skips
        assert any("notes and flags" in note for _, note in result.label_notes)
        assert len(fresh.labels(db.article_infos()[0].id)) == 8


# ----------------------------------------------------------------------------- the app


def _app_helpers():  # type: ignore[no-untyped-def]
    from test_app import SIZE, label_screen, visible_lines

    return SIZE, label_screen, visible_lines


def hint(app) -> str:  # type: ignore[no-untyped-def]
    from textual.widgets import Static

    return str(app.screen.query_one("#hint", Static).content)


async def test_f_toggles_the_flag_saved_before_it_shows(sample_db: Database) -> None:
    from annotator.app import AnnotatorApp

    SIZE, label_screen, visible_lines = _app_helpers()
    db = sample_db
    aid, s, e = first(db)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        assert [(n.start, n.flag) for n in db.notes(aid, "ana")] == [(s, True)]
        assert "⚑" in visible_lines(app)[0] and "⚑ unsure" in hint(app)
        await pilot.press("j")
        assert "⚑ unsure" not in hint(app)  # the hint follows the cursor
        await pilot.press("k", "f")
        assert [n.flag for n in db.notes(aid, "ana")] == [False]  # unflagging is a decision, kept
        assert "⚑" not in visible_lines(app)[0] and "unsure" not in hint(app)
        assert app.session.cursor == 0  # f does not move on


async def test_shift_n_writes_edits_and_removes_a_note(sample_db: Database) -> None:
    from textual.widgets import Input

    from annotator.app import AnnotatorApp
    from annotator.ui.notes import NoteScreen

    SIZE, label_screen, visible_lines = _app_helpers()
    db = sample_db
    aid, s, e = first(db)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("N")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"quote or claim?")
        await pilot.press("enter")
        assert not isinstance(app.screen, NoteScreen)
        assert [n.note for n in db.notes(aid, "ana")] == ["quote or claim?"]
        assert "✎" in visible_lines(app)[0] and "✎ quote or claim?" in hint(app)
        # n (next article) and N (note) are different keys.
        await pilot.press("N")
        assert isinstance(app.screen, NoteScreen)
        assert app.screen.query_one(Input).value == "quote or claim?"
        await pilot.press("escape")  # cancel: nothing changes
        assert [n.note for n in db.notes(aid, "ana")] == ["quote or claim?"]
        await pilot.press("N")
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        assert [n.note for n in db.notes(aid, "ana")] == [""]  # removed, as a decision
        assert "✎" not in visible_lines(app)[0]
        await pilot.press("n")
        assert app.session.article_index == 1  # n still goes to the next article


async def test_hostile_note_text_is_shown_verbatim_without_markup_or_escapes(sample_db: Database) -> None:
    from textual.widgets import Input

    from annotator.app import AnnotatorApp

    SIZE, label_screen, visible_lines = _app_helpers()
    db = sample_db
    aid, s, e = first(db)
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        for text, stored in (("\x1b]0;PWNED\x07", "]0;PWNED"), ("[bold]x[/]", "[bold]x[/]"),
                             ("[@click=app.quit]", "[@click=app.quit]")):
            await pilot.press("N")
            app.screen.query_one(Input).value = text  # as a paste would put it there
            await pilot.pause()
            assert "\x1b" not in app.screen.query_one(Input).value
            await pilot.press("enter")
            assert [n.note for n in db.notes(aid, "ana")] == [stored]
            assert f"✎ {stored}" in hint(app)  # the brackets are there: not read as markup
        assert app.is_running  # [@click=app.quit] ran nothing
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\x07" not in screen
    # A note written into the file by hand, ESC and all, is shown with the control made visible.
    raw = orjson.loads(db.labels_path(aid).read_bytes())
    next(iter(raw["notes"].values()))["note"] = "\x1b]0;PWNED\x07[bold]x[/]"
    db.close()
    db.labels_path(aid).write_bytes(orjson.dumps(raw))
    with Database.open(db.path) as again:
        app = AnnotatorApp(again, "ana")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "␛]0;PWNED␇[bold]x[/]" in hint(app)


async def test_a_note_the_disk_refuses_is_not_shown_and_is_offered_again(sample_db: Database,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input

    from annotator.app import AnnotatorApp
    from annotator.errors import SaveError

    SIZE, label_screen, visible_lines = _app_helpers()
    db = sample_db
    aid, s, e = first(db)
    app = AnnotatorApp(db, "ana")
    real = Database.set_note

    def refuse(*args, **kw):  # type: ignore[no-untyped-def]
        raise SaveError("the disk is full")

    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(Database, "set_note", refuse)
        await pilot.press("N", *"keep me", "enter")
        assert db.notes(aid) == [] and "✎" not in visible_lines(app)[0]
        monkeypatch.setattr(Database, "set_note", real)
        await pilot.press("N")
        assert app.screen.query_one(Input).value == "keep me"
        await pilot.press("enter")
        assert [n.note for n in db.notes(aid)] == ["keep me"]


async def test_help_lists_the_note_and_flag_keys(sample_db: Database) -> None:
    from annotator.app import AnnotatorApp
    from annotator.ui.help import HelpScreen

    SIZE, label_screen, visible_lines = _app_helpers()
    app = AnnotatorApp(sample_db, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.rows)
        assert any("note" in desc for keys, desc in rows.items() if "N" in keys.split())
        assert any("unsure" in desc for keys, desc in rows.items() if "f" in keys.split())


# ----------------------------------------------------------------------------- review


async def test_review_shows_each_reviewers_note_and_flag_next_to_their_label(sample_db: Database) -> None:
    from textual.widgets import Static

    from annotator.ui.review import ReviewApp
    from test_review_app import two_reviewers

    db = two_reviewers(sample_db)
    aid, s, e = sentence(db, 1)  # the first dispute: ana claim, budi quote
    db.set_note(aid, s, e, "ana", "quote or claim? the attribution is two sentences later")
    db.set_flag(aid, s, e, "ana", True)
    db.set_note(aid, s, e, "budi", "[@click=app.quit]\u241b")
    db.set_flag(aid, s, e, "citra", True)  # no label, but unsure: shown too
    app = ReviewApp(db, "lead")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        votes = str(app.screen.query_one("#votes", Static).content).splitlines()
        assert votes[0].split()[:2] == ["ana", "claim"]
        assert "⚑ unsure  ✎ quote or claim? the attribution is two sentences later" in votes[0]
        assert votes[1].split()[:2] == ["budi", "quote"] and "✎ [@click=app.quit]␛" in votes[1]
        assert "⚑" not in votes[1]
        assert votes[2].split()[:4] == ["citra", "(no", "label)", "⚑"]
        await pilot.press("j")  # the next dispute has no notes
        votes = str(app.screen.query_one("#votes", Static).content)
        assert "✎" not in votes and "⚑" not in votes
        assert app.is_running


# ----------------------------------------------------------------------------- stats


def test_stats_count_flagged_sentences_and_notes_per_reviewer(sample_db: Database,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from annotator import stats
    from conftest import run_cli

    db = noted(sample_db)  # ana: 2 flagged, 1 note (1 cleared); budi: 1 note
    aid, s, e = sentence(db, 7)
    db.set_flag(aid, s, e, "citra", True)
    db.set_flag(aid, s, e, "citra", False)  # unflagged: not counted
    got = {a.name: (a.flagged, a.noted) for a in stats.compute(db).annotators}
    assert got == {"ana": (2, 1), "budi": (0, 1)}  # citra unflagged: nothing to count
    path = db.path
    db.close()
    code, out, _ = run_cli(capsys, "stats", "--db", str(path))
    assert code == 0 and "2 flagged unsure, 1 with a note" in out
    code, out, _ = run_cli(capsys, "stats", "--db", str(path), "--json")
    people = {a["name"]: (a["flagged"], a["notes"]) for a in json.loads(out)["annotators"]}
    assert people["ana"] == (2, 1) and people["budi"] == (0, 1)
    # The counts are kept current after a change in the same session, without a reread.
    with Database.open(path) as again:
        assert again.note_counts()["ana"] == (1, 2)
        again.set_flag(*sentence(again, 0), "ana", False)
        assert again.note_counts()["ana"] == (1, 1)


# ----------------------------------------------------------------------------- at a realistic size


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """2,000 articles of 20 sentences labeled by ana; notes and flags only in the last 300
    (so the first rows a loader types its columns from have none)."""
    from test_consumers import T, _article

    db = Database.open(tmp_path_factory.mktemp("notes-big") / "annotations.json")
    arts = [_article(n) for n in range(2_000)]
    db.add_articles(arts)
    labels, notes = [], []
    for n, a in enumerate(arts):
        for k, sp in enumerate(a.sentences):
            labels.append(Label(a.id, sp.start, sp.end, ("claim", "quote", "background")[(n + k) % 3], "ana", T))
            if n >= 1_700 and k in (1, 4):
                notes.append(Note(a.id, sp.start, sp.end, "ana", f"unsure {n}.{k}: {HOSTILE[1]}", k == 1, T, 0,
                                  T if k == 1 else "", 0))
    result = db.merge(labels, notes=notes)
    assert result.notes_added == 600
    try:
        yield db
    finally:
        db.close()


def test_at_2000_articles_exports_load_in_pandas_and_datasets(big: Database, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pd = pytest.importorskip("pandas")
    from annotator.stats import compute

    stats = compute(big)
    assert [(a.name, a.flagged, a.noted) for a in stats.annotators] == [("ana", 300, 600)]
    jsonl, rows = tmp_path / "export.jsonl", tmp_path / "sentences.jsonl"
    jsonl.write_bytes(b"".join(export.render(big, "jsonl")))
    rows.write_bytes(b"".join(export.render(big, "sentences")))
    df = pd.read_json(jsonl, lines=True)
    assert len(df) == 2_000 and df["notes"].map(type).eq(str).all()
    last = json.loads(df["notes"].iloc[-1])
    assert [(n["note"].startswith("unsure 1999.1"), n["flag"]) for n in last][:1] == [(True, True)]
    sf = pd.read_json(rows, lines=True)
    assert len(sf) == 40_000 and sf["flag"].dtype == bool and sf["flag"].sum() == 300
    assert (sf["note"] != "").sum() == 600 and sf["note"].iloc[0] == ""
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets.disable_progress_bars()
    for path in (jsonl, rows):
        ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
        assert ds.num_rows == (2_000 if path == jsonl else 40_000)
    assert str(ds.features["flag"]) == "Value('bool')" and ds[-1]["note"] == ""
    # And back: a fresh database from the jsonl export has every note and flag.
    with Database.open(tmp_path / "fresh" / "annotations.json") as fresh:
        apply_import(fresh, plan_import([jsonl]))
        assert fresh.note_counts() == {"ana": (600, 300)}


# ----------------------------------------------------------------------------- verify


def test_verify_reads_notes_and_warns_of_a_note_edited_by_hand(sample_db: Database) -> None:
    from annotator.verify import verify

    db = noted(sample_db)
    aid, s, e = sentence(db, 1)
    db.split_sentence(aid, db.get_article(aid).text.index(" ", s) + 1, "ana")  # a retired note too
    assert db.retired_notes(aid)
    path = db.path
    db.close()
    report = verify(path)
    assert report.ok and not report.warnings, [f.line() for f in report.findings]
    raw = orjson.loads((path.parent / "annotations.d" / "labels" / f"{aid}.json").read_bytes())
    next(iter(raw["notes"].values()))["note"] = "\x1b]0;PWNED\x07"
    (path.parent / "annotations.d" / "labels" / f"{aid}.json").write_bytes(orjson.dumps(raw))
    report = verify(path)
    assert report.ok and report.warnings == 1
    assert "\x1b" not in "\n".join(f.line() for f in report.findings)
