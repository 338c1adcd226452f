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
