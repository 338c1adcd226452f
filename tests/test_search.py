"""Search (Textual-free core): case-insensitive the Unicode way, offsets in the article's own
code points (text[start:end] is the match), the sentence each match is in, and a project-wide
search that reads article by article and skips what it cannot read."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.importer import apply_import, plan_import
from annotator.model import Article, Span
from annotator.search import find, fold, in_article, in_project, snippet
from annotator.storage import Database
from conftest import SAMPLES


def test_case_is_ignored_and_offsets_are_the_texts() -> None:
    text = "Kuzmarov said. KUZMAROV again; kuzMarov."
    assert [text[a:b] for a, b in find(text, "kuzmarov")] == ["Kuzmarov", "KUZMAROV", "kuzMarov"]
    assert find(text, "") == [] and find(text, "   ") == []


def test_folding_that_changes_lengths_keeps_offsets() -> None:
    text = "Die Straße. İstanbul’da “Kuzmarov”. STRASSE"
    assert [text[a:b] for a, b in find(text, "strasse")] == ["Straße", "STRASSE"]
    assert [text[a:b] for a, b in find(text, "kuzmarov")] == ["Kuzmarov"]
    assert [text[a:b] for a, b in find(text, "stanbul")] == ["stanbul"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAbBßẞİıΣσς ’.")), max_size=40),
       st.text(alphabet=st.sampled_from(list("abßsiσ")), min_size=1, max_size=3))
def test_every_match_is_a_piece_of_the_text_that_folds_to_contain_the_query(text: str, query: str) -> None:
    matches = find(text, query)
    assert all(0 <= a < b <= len(text) for a, b in matches)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(matches, matches[1:]))  # in order, not overlapping
    assert all(query.casefold() in text[a:b].casefold() for a, b in matches)
    # Every place the query occurs (in the folded text) is inside a match.
    folded, q = fold(text), query.casefold()
    at = [i for i in range(len(folded.text)) if folded.text.startswith(q, i)]
    covered = {k for a, b in matches for k in range(a, b)}
    assert not at or any(folded.at(i) in covered for i in at)


def test_matches_know_their_sentence() -> None:
    text = "One fish.\n\nTwo fish. -- Red"
    art = Article("a", "", text, (Span(0, 9), Span(11, 20), Span(24, 27)))
    assert [(m.sentence, text[m.start:m.end]) for m in in_article(art, "FISH")] == [(0, "fish"), (1, "fish")]
    assert [m.sentence for m in in_article(art, "--")] == [-1]  # between sentences


def test_a_ten_thousand_sentence_article() -> None:
    text = " ".join(f"Sentence {i} about Kuzmarov." if i % 100 == 0 else f"Sentence {i} here." for i in range(10_000))
    spans, pos = [], 0
    for piece in text.split(" Sentence "):
        spans.append(Span(pos, pos + len(piece)))
        pos += len(piece) + 1
    art = Article("big", "", text, tuple(spans))
    found = in_article(art, "kuzmarov")
    assert len(found) == 100 and all(text[m.start:m.end] == "Kuzmarov" for m in found)


def test_the_project_search_finds_kuzmarov_in_the_samples(tmp_path: Path) -> None:
    with Database.open(tmp_path / "a.json") as db:
        apply_import(db, plan_import([SAMPLES]))
        found = list(in_project(db, "Kuzmarov"))
        assert found and {m.article_id for m in found} == {i.id for i in db.article_infos()}
        for m in found:
            art = db.get_article(m.article_id)
            assert art.text[m.start:m.end] == "Kuzmarov" and "Kuzmarov" in m.snippet and "\n" not in m.snippet
            assert art.sentences[m.sentence].start <= m.start < art.sentences[m.sentence].end
        assert list(in_project(db, "no such words anywhere")) == []
        # An article whose file is gone is passed over, not an error.
        first = db.article_infos()[0].id
        db.article_path(first).unlink()
        db._articles.clear()  # (the test reaches past the cache to the missing file)
        assert {m.article_id for m in in_project(db, "Kuzmarov")} == {db.article_infos()[1].id}


def test_a_snippet_is_one_line_with_context() -> None:
    text = "a" * 50 + " Kuzmarov\nsaid " + "b" * 50
    s = snippet(text, 51, 59)
    assert s.startswith("…") and s.endswith("…") and "Kuzmarov said" in s
