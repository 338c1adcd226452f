"""Properties over arbitrary Unicode: sanitising keeps offsets, names are stored losslessly,
and import -> label -> export -> import -> export gives the same bytes."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from annotator.export import read_record
from annotator.export import render
from annotator.importer import apply_import, path_from_text, path_text, plan_import
from annotator.model import Label, internal_id
from annotator.sanitize import PLACEHOLDER, sanitize, unsafe_pattern
from annotator.segment import segment
from annotator.storage import Database
from test_segment import check_invariants

# Every code point, lone surrogates included (file names that are not UTF-8 arrive as \udcXX).
ANY_CHAR = st.integers(0, 0x10FFFF).map(chr)
ANY_TEXT = st.lists(ANY_CHAR, max_size=60).map("".join)
# Text biased towards the characters that cause trouble, mixed with ordinary words.
TRICKY = st.sampled_from(
    list("\x00\x07\x1b\x7f\x85\x9b\x9d\r\n\t\x0b\x0c\u00ad\u061c\u200b\u200c\u200d\u200e\u2028\u2029\u202e\u2066"
         "\u2069\ufeff\ufe0f\u0301\u3164\uffa0\u4e2d\u05d0\u0627[]\\/\"'.!?“”")
    + ["\U0001f600", "\U0001f3fd", "\U0001f1ee", "\U000e0041", "\U0001fae8", "\ud800", "\udcff", "Dr.", " ", ". ",
       "kata", "Berita", "\r\n", "\n\n"]
)
MIXED = st.lists(st.one_of(TRICKY, ANY_CHAR), max_size=80).map("".join)
STORABLE = st.one_of(st.text(max_size=300), MIXED.map(lambda t: "".join(c for c in t if not 0xD800 <= ord(c) <= 0xDFFF)))


def is_c(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Cn", "Zl", "Zp")


@given(st.one_of(ANY_TEXT, MIXED))
@example("a\x1b[2Jb\udcff\u200d\u2764\ufe0f\U0001f44d\U0001f3fdx")
def test_sanitize_keeps_length_removes_every_control_and_is_printable(text: str) -> None:
    shown = sanitize(text)
    assert len(shown) == len(text)
    assert not any(is_c(ch) for ch in shown)
    shown.encode("utf-8")  # never a lone surrogate: printing cannot raise
    assert sanitize(shown) == shown
    for a, b in zip(text, shown):
        assert a == b or b == PLACEHOLDER or 0x2400 <= ord(b) <= 0x2421


@given(st.one_of(ANY_TEXT, MIXED))
def test_width_after_sanitizing_is_the_sum_of_the_characters(text: str) -> None:
    """No sequence whose width depends on its neighbours survives (VS16, ZWJ, skin tones):
    what Rich measures for a line is what a terminal adds up, character by character."""
    shown = sanitize(text)
    assert cell_len(shown) == sum(cell_len(ch) for ch in shown)


@given(st.one_of(ANY_TEXT, MIXED))
def test_the_views_fast_path_gives_the_same_text(text: str) -> None:
    """The article view replaces only the matches of ``_UNSAFE``: the same result as ``sanitize``."""
    assert unsafe_pattern().sub(lambda m: sanitize(m.group()), text) == sanitize(text)


@given(st.one_of(ANY_TEXT, MIXED, st.lists(st.sampled_from(["\\", "x", "f", "F", "8", "u", "d", "\udcff", "\ud800",
                                                             "a", "0"]), max_size=20).map("".join)))
def test_path_text_is_lossless_and_json_safe(name: str) -> None:
    stored = path_text(name)
    orjson.dumps(stored)  # never refused
    assert path_from_text(stored) == name
    if "\\" not in name and not any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        assert stored == name


def _label_some(db: Database, choices: list[int]) -> None:
    names = list(db.scheme.names)
    for n, info in enumerate(db.article_infos()):
        art = db.get_article(info.id)
        for i, s in enumerate(art.sentences):
            pick = choices[(n + i) % len(choices)] if choices else 0
            if pick:
                db.set_label(Label(art.id, s.start, s.end, names[pick % 3], ["ana", "bob"][pick % 2],
                                   f"2026-01-0{1 + pick % 9}T00:00:00.000Z"))


def _export(db: Database, fmt: str = "jsonl") -> bytes:
    return b"".join(render(db, fmt))


def _round_trip(folder: Path, source: Path, choices: list[int], encoding: str | None = None) -> tuple[bytes, Database]:
    first = Database.open(folder / "one" / "db.json")
    try:
        plan = plan_import([source], encoding=encoding)
        assert not plan.errors, plan.errors
        apply_import(first, plan)
        _label_some(first, choices)
        exported = _export(first)
        for line in _export(first, "sentences").splitlines():  # every span's text is its slice
            row = read_record(line)
            art = first.get_article(internal_id(row["article_id"]))
            assert row["text"] == art.text[row["start"]:row["end"]]
    finally:
        first.close()
    dump = folder / "dump.jsonl"
    dump.write_bytes(exported)
    second = Database.open(folder / "two" / "db.json")
    plan = plan_import([dump])
    assert not plan.errors, plan.errors
    result = apply_import(second, plan)
    assert result.label_skips == {}
    assert _export(second) == exported  # the same bytes back
    return exported, second


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STORABLE, st.lists(st.integers(0, 5), max_size=8))
@example("\ufeffBOM first. \x00 NUL. \x1b[2J\r\nCR\rLS\u2028NEL\x85end.", [1, 2, 3])
def test_txt_import_label_export_import_round_trips(text: str, choices: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "article.txt"
        source.write_bytes(text.encode("utf-8"))
        if not text.removeprefix("\ufeff").strip():  # a BOM is not text
            assert plan_import([source], encoding="utf-8").items == []  # noted as empty, nothing imported
            return
        # --encoding utf-8: a NUL in the text is text (without it the file is taken for binary).
        exported, second = _round_trip(folder, source, choices, encoding="utf-8")
        try:
            (info,) = second.article_infos()
            art = second.get_article(info.id)
            assert art.text == text.removeprefix("\ufeff")  # exactly the file's text (a BOM is not text)
            for s in art.sentences:
                piece = art.text[s.start:s.end]
                assert piece and piece == piece.strip()
            record = read_record(exported)
            for span in record["spans"]:
                assert (span["start"], span["end"]) in {(s["start"], s["end"]) for s in record["sentences"]}
        finally:
            second.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STORABLE, min_size=1, max_size=4), st.lists(st.integers(0, 5), max_size=8))
@example(["Satu\u2028Dua\x85Tiga.", "\x1b]0;PWNED\x07 [/] [@click=app.quit]x[/]"], [1, 2])
def test_jsonl_import_label_export_import_round_trips(bodies: list[str], choices: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "in.jsonl"
        source.write_bytes(b"".join(orjson.dumps({"text": b, "meta": {"n": i}}) + b"\n" for i, b in enumerate(bodies)))
        _, second = _round_trip(folder, source, choices)
        try:
            stored = {second.get_article(i.id).text for i in second.article_infos()}
            assert stored == set(bodies)  # every text exactly, duplicates merged
        finally:
            second.close()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 255), min_size=1, max_size=12).map(bytes))
def test_any_file_name_imports_and_exports(name: bytes) -> None:
    if name in (b".", b"..") or b"/" in name or name.startswith(b"."):
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = os.fsencode(folder) + b"/" + name + b".txt"
        with open(raw, "wb") as f:
            f.write(b"Satu kalimat. Dua kalimat.\n")
        with Database.open(folder / "db" / "db.json") as db:
            apply_import(db, plan_import([folder]))
            (info,) = db.article_infos()
            assert os.fsencode(path_from_text(info.sources[0])) == raw
            record = read_record(_export(db))
            assert record["sources"] == [path_text(raw)]


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_segmentation_covers_hostile_text_exactly_once(text: str) -> None:
    check_invariants(text, segment(text))
