"""The fast segmentation splits exactly as the one it replaced (``bench/segment_reference.py``):
the same spans on the whole ``bench_import`` corpus and on random texts, on every path (one
sentencex window or many, sentencex failing).  Also the facts the rewrite rests on."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator import segment as fast

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_import  # noqa: E402
import newslike  # noqa: E402
import segment_reference as reference  # noqa: E402


def _corpus() -> Iterator[str]:
    """Every article ``bench_import`` writes at its default size, in order."""
    n = size = 0
    while size < bench_import.DEFAULT_MB * 1e6:
        text = newslike.article(bench_import.DEFAULT_SEED, n)
        yield text
        n, size = n + 1, size + len(text.encode("utf-8"))


def test_same_spans_on_the_whole_bench_corpus() -> None:
    differ = [n for n, text in enumerate(_corpus()) if fast.segment(text) != reference.segment(text)]
    assert differ == []


def test_the_corpus_has_what_the_rules_are_about() -> None:
    text = "".join(newslike.article(bench_import.DEFAULT_SEED, n) for n in range(300))
    for what in ("\r\n", "\n\n", "“", "”", '"', "’", "…", "(ANTARA) - ", "Dr.", "Tn.", "Jl.", "U.S.", "a.m.",
                 "Baca juga: ", "Editor: ", "Copyright © ANTARA", "by -", " kata ", " said"):
        assert what in text, what


# Pieces that exercise the rules far more often than uniform random text does.
TOKENS = [
    " ", "  ", "\t", "\u00a0", "\u3000", "\u2009", "\n", "\r\n", "\r", "\u2028", "\x85", "\x0b", "\x1c",
    ".", ". ", "? ", "! ", "?! ", "...", "…", "。", "？", ",", ";", ":", "(", ")", "-", " - ", "—",
    '"', "“", "”", "„", "‟", "«", "»", "‘", "’", "‚", "'", "＂", "〝",
    "Dr.", "dr.", "Tn.", "Jl.", "No.", "Prof.", "Ph.D.", "S.H.", "vs.", "approx.", "e.g.", "Tbk.",
    "U.S.", "U.S. The", "D.C.", "etc.", "etc…", "a.m.", "p.m.", "Monday", "GMT", "J.", "K.", "J. K.", "C.",
    "3.5", "Rp1.500", "17.30", "Budi", "Kuzmarov", "kata", "ujar", "said", "asked", "Trump", "Namun", "The",
    "But", "he", "Ia", "x", "A", "I", "😀", "中文", "עברית", "\u200b", "\x00", "\ufeff", "\ud800",
    # whole turns of phrase the rules look for
    " at 9 a.m. Monday", " 8 p.m. (0300 GMT)", "?” Trump asked reporters.", '!" he said.', ",” kata Budi.",
    "“Kami datang. ", "to the U.S. The ", "Donald J. Trump", "Jl. Merdeka No. 5", "Jakarta (ANTARA) - ",
]
token_text = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
languages = st.sampled_from(["id", "en"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), languages)
def test_same_spans_on_arbitrary_text(text: str, language: str) -> None:
    assert fast.segment(text, language) == reference.segment(text, language)


@settings(max_examples=1500, deadline=None)
@given(token_text, languages)
def test_same_spans_on_news_like_tokens(text: str, language: str) -> None:
    assert fast.segment(text, language) == reference.segment(text, language)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=50, max_size=300).map("".join), st.integers(40, 120),
       st.integers(1, 15))
def test_same_spans_when_sentencex_sees_a_line_in_windows(text: str, window: int, margin: int) -> None:
    # Lines over _WINDOW characters go to sentencex in overlapping windows; made small here,
    # so that short random lines take that path in both.
    with pytest.MonkeyPatch.context() as mp:
        for module in (fast, reference):
            mp.setattr(module, "_WINDOW", window)
            mp.setattr(module, "_MARGIN", margin)
        assert fast.segment(text) == reference.segment(text)


@settings(max_examples=200, deadline=None)
@given(token_text)
def test_same_spans_when_sentencex_panics(text: str) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(language: str, line: str) -> list[dict[str, int]]:
        raise PanicException("byte index is not a char boundary")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast.sentencex, "get_sentence_boundaries", panic)
        assert reference.sentencex is fast.sentencex  # one module: patched for both
        assert fast.segment(text) == reference.segment(text)


def test_the_regexes_mean_what_the_str_methods_do() -> None:
    # The rewrite finds letters, digits and spaces with re where the old code called
    # str.isalnum and str.isspace (and str.split): the same, code point for code point.
    alnum, space = re.compile(r"[^\W_]"), re.compile(r"\s")
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        assert (alnum.match(c) is not None) == c.isalnum(), hex(cp)
        assert (space.match(c) is not None) == c.isspace(), hex(cp)
        assert (len(f"a{c}b".split()) == 2) == c.isspace(), hex(cp)


def test_sentencex_cuts_after_no_ascii_character_but_full_stop_question_and_exclamation_marks() -> None:
    # segment() does not ask sentencex about an ASCII line without . ? or !: it would not cut.
    contexts = ("Abc def{c} Ghi jkl", "Abc def{c}Ghi jkl", "abc {c} def", "1{c}2 x", "Abc{c}{c} Def ghi",
                "Dr{c} Smith{c} The end")
    cutting = set()
    for cp in range(0x80):
        c = chr(cp)
        if c in fast._BREAKS or c == "\r":
            continue  # never inside a line
        for language in sorted(fast._ASCII_STOPS_ONLY):
            for context in contexts:
                if len(fast.sentencex.get_sentence_boundaries(language, context.replace("{c}", c))) > 1:
                    cutting.add(c)
    assert cutting == {".", "?", "!"}
