from __future__ import annotations

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
