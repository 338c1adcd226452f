from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from annotator.layout import wrap_article, wrap_piece
from annotator.model import Span
from annotator.sanitize import sanitize
from annotator.segment import segment


def spans(text: str) -> list[Span]:
    return [Span(s, e) for s, e in segment(text)]


def test_each_sentence_starts_a_line_and_paragraphs_get_blank_lines() -> None:
    text = "First one. Second one.\n\nNew paragraph here."
    layout = wrap_article(text, spans(text), 80)
    assert [(sid, text[s:e]) for sid, s, e in layout.lines] == [
        (0, "First one."), (1, "Second one."), (-1, ""), (2, "New paragraph here."),
    ]
    assert layout.first_line == [0, 1, 3] and layout.line_count == [1, 1, 1]
    assert layout.sentence_at(2) == 2


def test_wrap_respects_width_in_cells_including_wide_characters() -> None:
    text = "这是一个很长的中文句子没有空格" * 3 + " and then some english words to wrap around"
    for s, e in wrap_piece(text, 0, len(text), 12):
        assert cell_len(text[s:e].rstrip()) <= 12


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=400), st.integers(min_value=1, max_value=50))
def test_wrapping_covers_every_character_of_every_sentence(text: str, width: int) -> None:
    sents = spans(text)
    layout = wrap_article(text, sents, width)
    covered: dict[int, list[tuple[int, int]]] = {}
    for sid, s, e in layout.lines:
        if sid >= 0:
            covered.setdefault(sid, []).append((s, e))
            assert cell_len(text[s:e].rstrip()) <= width or e - s == 1
    for sid, span in enumerate(sents):
        pieces = covered[sid]
        joined = "".join(text[s:e] for s, e in pieces)
        assert "".join(joined.split()) == "".join(text[span.start:span.end].split())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "cd ", ". ", "\n", "\r\n", "\u2028", "\x0b", "\u201c", "\u4e2d", "\x00", "\x1b",
                              "\u200b", "\ufe0f", "e\u0301", "  ", "Word", "x" * 14]), max_size=80).map("".join),
    st.integers(min_value=1, max_value=40),
)
def test_measuring_each_sentence_as_shown_gives_what_the_whole_shown_text_gives(text: str, width: int) -> None:
    """The view has ``shown_as=sanitize`` make only the sentences that are not printable ASCII
    as shown, instead of sanitising the whole article first: the layout must be the same."""
    sents = spans(text)
    whole = wrap_article(text, sents, width, sanitize(text))
    each = wrap_article(text, sents, width, shown_as=sanitize)
    assert (each.lines, each.first_line, each.line_count) == (whole.lines, whole.first_line, whole.line_count)


_WORDS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=20, max_size=260),  # may be longer than the line
    st.text(alphabet="中文字句子東京", min_size=1, max_size=120),  # two cells a character
    st.sampled_from(["é", "naïve", "Ünïcödé", "—", "«quote»"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_WORDS, st.sampled_from([" ", " ", "  ", ". ", ".\n", "\n\n"])), min_size=1, max_size=60),
       st.integers(min_value=20, max_value=200))
def test_no_word_is_cut_at_any_width(words: list[tuple[str, str]], width: int) -> None:
    """Every display line fits the width (in cells); the lines' pieces give back each sentence
    (no character lost or added); a word is split across lines only when it is wider than the line."""
    text = "".join(w + sep for w, sep in words)
    sents = spans(text)
    layout = wrap_article(text, sents, width, shown_as=sanitize)
    pieces: dict[int, list[tuple[int, int]]] = {}
    for sid, s, e in layout.lines:
        if sid >= 0:
            assert cell_len(text[s:e].rstrip()) <= width, (text[s:e], width)
            pieces.setdefault(sid, []).append((s, e))
    cuts: set[int] = set()
    for sid, span in enumerate(sents):
        got = pieces[sid]
        assert got[0][0] >= span.start and got[-1][1] <= span.end
        for (_, e1), (s2, _) in zip(got, got[1:]):
            assert text[e1:s2].strip() == ""  # only the line breaks' whitespace between pieces
            if e1 == s2 and not text[e1 - 1].isspace() and not text[s2].isspace():
                cuts.add(e1)
        joined = "".join(text[s:e] for s, e in got)
        assert "".join(joined.split()) == "".join(text[span.start:span.end].split())
    # A cut inside a word: only in a word wider than the line.
    for m in re.finditer(r"\S+", text):
        inside = {c for c in cuts if m.start() < c < m.end()}
        if inside:
            assert cell_len(m.group()) > width, (m.group(), width)
