"""Pre-labels from a JSONL file: both shapes read, every unusable line counted by reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.errors import InputError
from annotator.export import render
from annotator.model import DEFAULT_SCHEME, SKIP, Article, Label, LabelDef, LabelScheme, Span
from annotator.storage import Database
from annotator.suggest.base import SuggestError
from annotator.suggest.imported import database_lookup, read_prelabels

TEXT = "“Kami siap,” kata Budi. Harga naik.\nHarga naik.\nEditor: Sri"
ART = Article("5e9780b3dde8aaba", "", TEXT, (Span(0, 23), Span(24, 35), Span(36, 47), Span(48, 59)))


def lookup(aid: str) -> Article | None:
    return ART if aid == ART.id else None


def write(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "pre.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def test_offsets_and_export_shapes(tmp_path: Path) -> None:
    path = write(tmp_path, [
        {"article_id": ART.id, "start": 0, "end": 23, "label": "quote", "score": 0.9},
        {"article_id": "art_" + ART.id, "sentence": 3, "label": "skip"},
        {"article_id": "art_" + ART.id, "start": 24, "end": 35, "text": "Harga naik.", "label": "claim", "score": 0},
        "",
    ])
    rep = read_prelabels(path, "llm", lookup, DEFAULT_SCHEME)
    assert [(s.start, s.end, s.label, s.score, s.source) for s in rep.suggestions] == [
        (0, 23, "quote", 0.9, "llm"), (24, 35, "claim", 0.0, "llm"), (48, 59, SKIP, 1.0, "llm")]
    assert rep.lines == 3 and rep.unused == 0
    assert rep.report() == ["llm: 3 suggestions from 3 lines"]


def test_keyed_by_text(tmp_path: Path) -> None:
    path = write(tmp_path, [
        {"article_id": ART.id, "text": " “Kami siap,” kata Budi. ", "label": "quote"},
        {"article_id": ART.id, "text": "Harga naik.", "label": "claim"},  # in two sentences
        {"article_id": ART.id, "text": "Harga turun.", "label": "claim"},
    ])
    rep = read_prelabels(path, "llm", lookup, DEFAULT_SCHEME)
    assert [(s.start, s.label) for s in rep.suggestions] == [(0, "quote")]
    assert rep.problems == {"text found in several sentences": 1, "text not found": 1}


def test_every_bad_line_is_counted_with_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, [
        "{not json",                                                              # 1
        "[1, 2]",                                                                 # 2
        {"start": 0, "end": 23, "label": "quote"},                                # 3
        {"article_id": "art_ffffffffffffffff", "start": 0, "end": 23, "label": "quote"},  # 4
        {"article_id": ART.id, "start": 0, "end": 22, "label": "quote"},          # 5
        {"article_id": ART.id, "sentence": 9, "label": "quote"},                  # 6
        {"article_id": ART.id, "label": "quote"},                                 # 7
        {"article_id": ART.id, "start": 0, "end": 23, "text": "other", "label": "quote"},  # 8
        {"article_id": ART.id, "start": 0, "end": 23, "label": "opinion"},        # 9
        {"article_id": ART.id, "start": 0, "end": 23, "label": 3},                # 10
        {"article_id": ART.id, "start": 0, "end": 23, "label": "quote", "score": 2},  # 11
        {"article_id": ART.id, "start": 0, "end": 23, "label": "quote", "score": True},  # 12
        {"article_id": ART.id, "start": 0, "end": 23, "label": None},             # 13
        {"article_id": ART.id, "start": 0, "end": 23, "label": "claim", "score": 0.4},  # 14
        {"article_id": ART.id, "start": 0, "end": 23, "label": "quote", "score": 0.8},  # 15: replaces 14
        "\"just a string\"",                                                      # 16
    ])
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\n")
    rep = read_prelabels(path, "llm", lookup, DEFAULT_SCHEME)
    assert [(s.label, s.score) for s in rep.suggestions] == [("quote", 0.8)]
    assert rep.lines == 16
    assert dict(rep.problems) == {
        "not JSON": 1, "not a JSON object": 2, "no article_id": 1, "unknown article": 1, "not a sentence": 3,
        "text is not that sentence's": 1, "unknown label": 2, "bad score": 2, "no label (null)": 1,
        "replaced by a later line": 1,
    }
    assert rep.first_line["not a JSON object"] == 2 and rep.first_line["replaced by a later line"] == 14
    assert rep.unused == 15 and rep.lines - rep.unused == len(rep.suggestions)  # nothing lost
    assert rep.report()[0] == "llm: 1 suggestion from 16 lines, 15 not used"
    assert "  3 not a sentence (first: line 5)" in rep.report()
    binary = read_prelabels(tmp_path / "bin.jsonl", "llm", lookup, DEFAULT_SCHEME)
    assert binary.problems == {"not JSON": 1}


def test_label_names_after_a_rename(tmp_path: Path) -> None:
    scheme = LabelScheme((LabelDef("assertion", ("c",), id="claim"), LabelDef("speech", ("q",), id="quote")))
    path = write(tmp_path, [{"article_id": ART.id, "sentence": 0, "label": "speech"},
                            {"article_id": ART.id, "sentence": 1, "label": "claim"}])  # the old name: its id
    rep = read_prelabels(path, "llm", lookup, scheme)
    assert [s.label for s in rep.suggestions] == ["quote", "claim"]


@pytest.mark.parametrize("name", ["rules", "model", "cmd:x"])
def test_reserved_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(SuggestError, match="built-in"):
        read_prelabels(write(tmp_path, []), name, lookup, DEFAULT_SCHEME)


def test_bad_name_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_prelabels(write(tmp_path, []), " llm", lookup, DEFAULT_SCHEME)
    with pytest.raises(SuggestError, match="cannot be read"):
        read_prelabels(tmp_path / "missing.jsonl", "llm", lookup, DEFAULT_SCHEME)


def test_our_sentences_export_reads_back_from_a_database(sample_db: Database, tmp_path: Path) -> None:
    info = sample_db.article_infos()[0]
    art = sample_db.get_article(info.id)
    for s in art.sentences[:3]:
        sample_db.set_label(Label(art.id, s.start, s.end, "claim", "ana", "2026-01-01T00:00:00.000Z"))
    path = tmp_path / "sentences.jsonl"
    path.write_bytes(b"".join(render(sample_db, "sentences")))
    rep = read_prelabels(path, "gpt", database_lookup(sample_db), sample_db.scheme)
    assert [(s.article_id, s.start, s.end, s.label) for s in rep.suggestions] == [
        (art.id, s.start, s.end, "claim") for s in art.sentences[:3]]
    assert rep.unused == 0
