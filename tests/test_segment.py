"""Tests for annotator.segment: the hand-checked gold, invariants, and policy cases."""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator import segment as segment_module
from annotator.segment import segment

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "gold-seeds-sentences.json"
SAMPLES = ROOT / "samples"
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def sentences(text: str, language: str = "id") -> list[str]:
    return [text[a:b] for a, b in segment(text, language)]


def check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    covered = [0] * len(text)
    previous_end = 0
    for start, end in spans:
        assert isinstance(start, int) and isinstance(end, int)
        assert previous_end <= start < end <= len(text), (spans, text)
        piece = text[start:end]
        assert not piece[0].isspace() and not piece[-1].isspace(), repr(piece)
        assert not any(c in LINE_BREAKS for c in piece), repr(piece)
        for i in range(start, end):
            covered[i] += 1
        previous_end = end
    for i, c in enumerate(text):
        assert covered[i] == 1 or (c.isspace() and covered[i] == 0), (i, repr(c), spans)


# --- gold --------------------------------------------------------------------------


def _merge_across(spans: list[tuple[int, int]], optional: list[int]) -> list[tuple[int, int]]:
    """`spans` with every split that falls on an optional boundary undone."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and any(merged[-1][1] <= b <= start for b in optional):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _gold_cases() -> list[tuple[str, str, dict[str, object]]]:
    by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in SAMPLES.iterdir() if p.is_file()}
    cases = []
    for entry in json.loads(GOLD.read_text(encoding="utf-8")):
        path = by_hash[entry["sha256"]]  # the files were renamed; the hash is the key
        cases.append((path.name, path.read_bytes().decode("utf-8"), entry))
    return cases


@pytest.mark.parametrize(("name", "text", "entry"), _gold_cases(), ids=lambda v: v if isinstance(v, str) and v.endswith(".txt") else "")
def test_gold(name: str, text: str, entry: dict[str, object]) -> None:
    assert len(text) == entry["chars"]
    gold = [(a, b) for a, b in entry["spans"]]  # type: ignore[attr-defined]
    optional = list(entry["optional_boundaries"])  # type: ignore[call-overload]
    got = segment(text)
    check_invariants(text, got)
    assert _merge_across(got, optional) == _merge_across(gold, optional), name
    assert got == gold, f"{name}: matches only modulo optional boundaries"


def test_gold_roles_are_single_segments() -> None:
    for _name, text, entry in _gold_cases():
        got = set(segment(text))
        for spans in entry["span_roles"].values():  # type: ignore[attr-defined]
            for a, b in spans:
                assert (a, b) in got, text[a:b]


# --- invariants --------------------------------------------------------------------

# Pieces that exercise the rules far more often than uniform random text does.
TOKENS = [
    " ", "  ", "\t", "\u00a0", "\u3000", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c",
    ".", ". ", "? ", "! ", "...", "…", "。", "？", ",", ";", "(", ")", "-",
    '"', "“", "”", "„", "«", "»", "‘", "’", "'", "Dr.", "a.m.", "U.S.", "J.", "Tn.", "No.", "3.5", "Rp1.500",
    "Budi", "kata", "said", "Namun", "the", "Ia", "x", "A", "😀", "中文", "עברית", "مرحبا", "\u200b", "\x00", "\x07", "\ufeff",
]
token_text = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_invariants_on_arbitrary_text(text: str) -> None:
    check_invariants(text, segment(text))


@settings(max_examples=500, deadline=None)
@given(token_text)
def test_invariants_on_news_like_tokens(text: str) -> None:
    check_invariants(text, segment(text))
    check_invariants(text, segment(text, "en"))


@settings(max_examples=200, deadline=None)
@given(token_text, st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\n\n"]), token_text)
def test_lines_are_independent(first: str, brk: str, second: str) -> None:
    # Rule 1: a line break ends a segment, so a line splits the same wherever it is.
    text = first + brk + second
    offset = len(first) + len(brk)
    assert segment(text) == segment(first) + [(a + offset, b + offset) for a, b in segment(second)]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=200))
def test_never_raises_on_control_and_odd_characters(text: str) -> None:
    check_invariants(text, segment(text))


def test_lone_surrogates_do_not_raise() -> None:
    text = "Ini \ud800 kalimat. Lalu \udfff lagi."
    check_invariants(text, segment(text))
    assert sentences(text) == ["Ini \ud800 kalimat.", "Lalu \udfff lagi."]


def test_unicode_spaces_do_not_crash_sentencex() -> None:
    # sentencex 1.0.32 panics on a capital, a non-ASCII space and a full stop.
    text = "Harga naik\u3000. Ia di Grup A\u00a0. Selesai\u2009! Ya\u202f?"
    check_invariants(text, segment(text))
    got = sentences(text)
    assert got[0] == "Harga naik\u3000." and got[-1] == "Ya\u202f?"


def test_a_sentencex_panic_falls_back_to_punctuation(monkeypatch: pytest.MonkeyPatch) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(language: str, text: str) -> list[dict[str, int]]:
        raise PanicException("byte index is not a char boundary")

    monkeypatch.setattr(segment_module.sentencex, "get_sentence_boundaries", panic)
    text = "“Satu. Dua,” kata Tn. Budi. Tiga? Empat!\nLima"
    assert sentences(text) == ["“Satu. Dua,” kata Tn. Budi.", "Tiga?", "Empat!", "Lima"]


def test_interrupts_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(language: str, text: str) -> list[dict[str, int]]:
        raise KeyboardInterrupt

    monkeypatch.setattr(segment_module.sentencex, "get_sentence_boundaries", interrupt)
    with pytest.raises(KeyboardInterrupt):
        segment("Satu. Dua.")


# --- whitespace, lines, offsets ----------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\r\n \u3000\u2028\x0c\x0b\x85 "])
def test_only_whitespace_gives_nothing(text: str) -> None:
    assert segment(text) == []


def test_crlf_offsets_hold_against_the_original_text() -> None:
    text = "Judul Berita\r\n\r\nKalimat pertama. Kalimat kedua.\r\n   \r\nEditor: Budi\r\n"
    spans = segment(text)
    check_invariants(text, spans)
    assert [text[a:b] for a, b in spans] == [
        "Judul Berita",
        "Kalimat pertama.",
        "Kalimat kedua.",
        "Editor: Budi",
    ]


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_every_line_break_ends_a_segment(brk: str) -> None:
    text = f"Satu dua{brk}tiga empat. Lima{brk}{brk}  {brk}enam"
    assert sentences(text) == ["Satu dua", "tiga empat.", "Lima", "enam"]


def test_boilerplate_lines_are_their_own_segments() -> None:
    text = (
        "Putin Tertarik Pulihkan Hubungan\n\nby -14 Views\n[keyword]bitcoin[/keyword]\n"
        "Isi berita di sini. Kalimat kedua.\nSumber: Sputnik-Ria Novosti/OANA\n"
        'Baca juga: Trump sebut pertemuan "sangat produktif"\nPenerjemah: Yoanita\n'
        "Editor: Primayanti\nCopyright © ANTARA 2025"
    )
    assert sentences(text) == [
        "Putin Tertarik Pulihkan Hubungan",
        "by -14 Views",
        "[keyword]bitcoin[/keyword]",
        "Isi berita di sini.",
        "Kalimat kedua.",
        "Sumber: Sputnik-Ria Novosti/OANA",
        'Baca juga: Trump sebut pertemuan "sangat produktif"',
        "Penerjemah: Yoanita",
        "Editor: Primayanti",
        "Copyright © ANTARA 2025",
    ]


def test_very_long_line_without_punctuation_is_one_segment() -> None:
    text = "  " + " ".join(["kata"] * 200_000) + "  "
    start = time.perf_counter()
    assert segment(text) == [(2, len(text) - 2)]
    assert time.perf_counter() - start < 2


# --- abbreviations, numbers, punctuation ------------------------------------------


def test_indonesian_abbreviations_and_titles() -> None:
    text = (
        "Tn. Budi tinggal di Jl. Merdeka No. 5, Jakarta. Ny. Siti adalah istri Prof. Dr. H. Ahmad. "
        "Hj. Aminah dan dr. Terawan hadir. PT Bank Mandiri (Persero) Tbk. (BMRI) naik. "
        "Jend. Sudirman datang. Harga Rp. 5.000 per kilogram. Sdr. Ali ditangkap Kombes. Yusri."
    )
    assert sentences(text) == [
        "Tn. Budi tinggal di Jl. Merdeka No. 5, Jakarta.",
        "Ny. Siti adalah istri Prof. Dr. H. Ahmad.",
        "Hj. Aminah dan dr. Terawan hadir.",
        "PT Bank Mandiri (Persero) Tbk. (BMRI) naik.",
        "Jend. Sudirman datang.",
        "Harga Rp. 5.000 per kilogram.",
        "Sdr. Ali ditangkap Kombes. Yusri.",
    ]


def test_english_abbreviations() -> None:
    text = (
        "Mr. Smith met Mrs. Jones and Ms. Lee at St. Mary's on Jan. 5. "
        "Dr. Brown, e.g. the surgeon, i.e. not the dentist, left. "
        "The U.S. Senate voted 51-49. Sen. Warren and Gov. Newsom disagreed. "
        "Apples, pears, etc. are sold. No. 5 won."
    )
    assert sentences(text, "en") == [
        "Mr. Smith met Mrs. Jones and Ms. Lee at St. Mary's on Jan. 5.",
        "Dr. Brown, e.g. the surgeon, i.e. not the dentist, left.",
        "The U.S. Senate voted 51-49.",
        "Sen. Warren and Gov. Newsom disagreed.",
        "Apples, pears, etc. are sold.",
        "No. 5 won.",
    ]


def test_us_and_etc_end_a_sentence_only_before_a_sentence_opener() -> None:
    text = "He moved to the U.S. The next year he left. The U.S. Army and U.N. Security Council met in Washington, D.C. It rained. Apples, pears, etc. But no plums."
    assert sentences(text, "en") == [
        "He moved to the U.S.",
        "The next year he left.",
        "The U.S. Army and U.N. Security Council met in Washington, D.C.",
        "It rained.",
        "Apples, pears, etc.",
        "But no plums.",
    ]


def test_am_pm_hold_on_only_before_a_time_word() -> None:
    text = "The vote opens at 9 a.m. Monday. It closed at 8 p.m. Officials began counting at 10 p.m. (0300 GMT)."
    assert sentences(text, "en") == [
        "The vote opens at 9 a.m. Monday.",
        "It closed at 8 p.m.",
        "Officials began counting at 10 p.m. (0300 GMT).",
    ]


def test_initials_in_names() -> None:
    text = "Donald J. Trump bertemu Joko S. Widodo. J. K. Rowling menulis buku. John F. Kennedy tewas."
    assert sentences(text, "en") == [
        "Donald J. Trump bertemu Joko S. Widodo.",
        "J. K. Rowling menulis buku.",
        "John F. Kennedy tewas.",
    ]


def test_decimals_and_thousands() -> None:
    text = "Inflasi naik 3.5 persen atau 3,5 persen. Harga Rp1.500 per liter, total Rp1.500.000. Pukul 17.30 WIB selesai."
    assert sentences(text) == [
        "Inflasi naik 3.5 persen atau 3,5 persen.",
        "Harga Rp1.500 per liter, total Rp1.500.000.",
        "Pukul 17.30 WIB selesai.",
    ]


def test_question_exclamation_and_ellipsis() -> None:
    text = "Apa? Ya! Benarkah?! Dia berkata... lalu pergi. Tunggu... Siapa itu? Tunggu… Siapa itu?"
    assert sentences(text) == [
        "Apa?",
        "Ya!",
        "Benarkah?!",
        "Dia berkata... lalu pergi.",
        "Tunggu...",
        "Siapa itu?",
        "Tunggu…",
        "Siapa itu?",
    ]


def test_dateline_stays_in_first_sentence() -> None:
    text = "Anchorage (ANTARA) - Presiden Rusia Vladimir Putin tiba. Ia disambut Trump."
    assert sentences(text) == ["Anchorage (ANTARA) - Presiden Rusia Vladimir Putin tiba.", "Ia disambut Trump."]


# --- quotations ---------------------------------------------------------------------


@pytest.mark.parametrize(("open_", "close"), [("“", "”"), ('"', '"'), ("“", '"'), ('"', "”"), ("„", "“"), ("«", "»")])
def test_quotation_with_attribution_is_one_segment(open_: str, close: str) -> None:
    text = f"{open_}Kami ingin damai. Namun, belum ada kesepakatan,{close} kata Kuzmarov kepada wartawan. Ia lalu pergi."
    assert sentences(text) == [
        f"{open_}Kami ingin damai. Namun, belum ada kesepakatan,{close} kata Kuzmarov kepada wartawan.",
        "Ia lalu pergi.",
    ]


def test_quoted_phrase_never_splits_and_full_stop_after_it_ends() -> None:
    text = "Pertemuan digelar dalam format “tiga lawan tiga”. Dari pihak Rusia hadir Lavrov. Ia menyebutnya 'hebat'. Selesai."
    assert sentences(text) == [
        "Pertemuan digelar dalam format “tiga lawan tiga”.",
        "Dari pihak Rusia hadir Lavrov.",
        "Ia menyebutnya 'hebat'.",
        "Selesai.",
    ]


def test_quote_that_ends_a_sentence_then_a_new_sentence() -> None:
    text = "Officials called it “a disaster.” Trump said he disagreed. He said, “I am here.” Then he left."
    assert sentences(text, "en") == [
        "Officials called it “a disaster.”",
        "Trump said he disagreed.",
        "He said, “I am here.”",
        "Then he left.",
    ]


def test_capitalised_attribution_after_question_or_exclamation() -> None:
    text = "“Why now?” Trump asked reporters. “We will win!” he said. \"Kenapa?\" tanya Budi. “Siap!” Kapolri menegaskan."
    assert sentences(text) == [
        "“Why now?” Trump asked reporters.",
        "“We will win!” he said.",
        '"Kenapa?" tanya Budi.',
        "“Siap!” Kapolri menegaskan.",
    ]


def test_single_quotes_and_apostrophes() -> None:
    text = "‘Saya ke masjid Jum’at. Lalu pulang,’ katanya. The students’ books were lost. It’s late."
    assert sentences(text, "en") == [
        "‘Saya ke masjid Jum’at. Lalu pulang,’ katanya.",
        "The students’ books were lost.",
        "It’s late.",
    ]


def test_unclosed_quote_does_not_swallow_the_line() -> None:
    text = 'He said "I am here. You are there. Then he left. ' + "More news came. " * 20
    got = sentences(text, "en")
    assert got[:4] == ['He said "I am here.', "You are there.", "Then he left.", "More news came."]
    assert len(got) == 23


def test_stray_quote_pair_far_apart_does_not_swallow_the_line() -> None:
    text = "Ia menyebut “aneh. " + "Kalimat berita biasa di sini. " * 60 + "Akhirnya” selesai. Lalu."
    got = sentences(text)
    assert len(got) == 63
    check_invariants(text, segment(text))


def test_quote_spanning_a_line_break_is_not_paired() -> None:
    text = "“Kami datang. Kami pergi.\nIa berkata. Lalu,” kata Budi."
    assert sentences(text) == ["“Kami datang.", "Kami pergi.", "Ia berkata.", "Lalu,” kata Budi."]


def test_lone_marks_attach_to_a_sentence() -> None:
    text = "Selesai. ” Lalu pergi. ... Habis."
    got = sentences(text)
    assert all(any(c.isalnum() for c in s) for s in got)
    check_invariants(text, segment(text))


# --- realistic news -----------------------------------------------------------------

ENGLISH_NEWS = (
    "WASHINGTON (Reuters) - U.S. President Joe Biden said on Tuesday the economy was "
    "\"on the right track.\" The remarks came hours before Federal Reserve Chair Jerome Powell "
    "testified before the Senate Banking Committee.\n\n"
    "\"We are not going to back down. We will fight this in court,\" said Gov. Gavin Newsom, a "
    "Democrat. \"Why now?\" asked Sen. Elizabeth Warren.\n\n"
    "“It’s a disaster,” Mr. Smith told reporters at the U.S. Capitol at 11 a.m. Wednesday. "
    "“We need answers.” The committee, chaired by Rep. Maxine Waters, will meet again on Feb. 12.\n\n"
    "Acme Corp. reported revenue of $3.5 billion, up 2.1% from a year earlier. Shares rose 4% in "
    "after-hours trading. The suspect was arrested at 11:30 p.m. Police said he was unarmed."
)


def test_english_news_paragraphs() -> None:
    for language in ("id", "en"):
        assert sentences(ENGLISH_NEWS, language) == [
            'WASHINGTON (Reuters) - U.S. President Joe Biden said on Tuesday the economy was "on the right track."',
            "The remarks came hours before Federal Reserve Chair Jerome Powell testified before the Senate Banking Committee.",
            '"We are not going to back down. We will fight this in court," said Gov. Gavin Newsom, a Democrat.',
            '"Why now?" asked Sen. Elizabeth Warren.',
            "“It’s a disaster,” Mr. Smith told reporters at the U.S. Capitol at 11 a.m. Wednesday.",
            "“We need answers.”",
            "The committee, chaired by Rep. Maxine Waters, will meet again on Feb. 12.",
            "Acme Corp. reported revenue of $3.5 billion, up 2.1% from a year earlier.",
            "Shares rose 4% in after-hours trading.",
            "The suspect was arrested at 11:30 p.m.",
            "Police said he was unarmed.",
        ]


INDONESIAN_NEWS = (
    "JAKARTA, KOMPAS.com - Presiden Joko Widodo meminta para menteri bekerja lebih cepat. "
    "\"Saya minta semua menteri fokus. Jangan ada ego sektoral,” ujar Jokowi di Istana Merdeka, "
    "Jakarta, Senin (12/8/2024).\n"
    "Menurut Gubernur BI Perry Warjiyo, inflasi tahunan tercatat 3,5 persen. Harga beras naik "
    "menjadi Rp12.500 per kilogram, kata dia.\n"
    "“Apakah ini cukup?” tanya wartawan. Kepala Dinas Kesehatan dr. Siti Nadia Tarmizi, M.Epid. "
    "mengatakan stok obat aman.\n"
    "Baca juga: Jokowi minta menteri fokus\n"
    "(Antara)"
)


def test_indonesian_news_paragraphs() -> None:
    assert sentences(INDONESIAN_NEWS) == [
        "JAKARTA, KOMPAS.com - Presiden Joko Widodo meminta para menteri bekerja lebih cepat.",
        "\"Saya minta semua menteri fokus. Jangan ada ego sektoral,” ujar Jokowi di Istana Merdeka, Jakarta, Senin (12/8/2024).",
        "Menurut Gubernur BI Perry Warjiyo, inflasi tahunan tercatat 3,5 persen.",
        "Harga beras naik menjadi Rp12.500 per kilogram, kata dia.",
        "“Apakah ini cukup?” tanya wartawan.",
        "Kepala Dinas Kesehatan dr. Siti Nadia Tarmizi, M.Epid. mengatakan stok obat aman.",
        "Baca juga: Jokowi minta menteri fokus",
        "(Antara)",
    ]


def test_id_and_en_agree_on_the_samples() -> None:
    # The module docstring's reason for the "id" default: sentencex has no Indonesian
    # rules and falls back to English ones.
    for _name, text, _entry in _gold_cases():
        assert segment(text, "id") == segment(text, "en")


# --- scale --------------------------------------------------------------------------


def _news_like_text(n_sentences: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    words = (
        "presiden rusia amerika serikat kesepakatan damai pertemuan menteri luar negeri "
        "the president said on monday that talks would continue 3,5 persen Rp1.500"
    ).split()
    heads = ["Presiden", "Menurut", "The", "Dr.", "Mr.", "Tn.", "Kuzmarov", "Jakarta"]
    out = []
    for _ in range(n_sentences):
        s = rng.choice(heads) + " " + " ".join(rng.choice(words) for _ in range(rng.randint(12, 30)))
        if rng.random() < 0.1:
            s = "“" + s + ". Namun " + " ".join(rng.choice(words) for _ in range(5)) + ',\" kata Budi'
        out.append(s + rng.choice([".", ".", ".", "?", "!"]))
    paragraphs = []
    i = 0
    while i < len(out):
        k = rng.randint(1, 6)
        paragraphs.append(" ".join(out[i : i + k]))
        i += k
    return "\n\n".join(paragraphs)


def test_ten_thousand_sentences_are_fast() -> None:
    text = _news_like_text(10_000)
    assert len(text.encode("utf-8")) > 1_400_000
    start = time.perf_counter()
    spans = segment(text)
    elapsed = time.perf_counter() - start
    assert len(spans) == 10_000
    assert elapsed < 2.0, f"{elapsed:.2f}s"


def test_long_cjk_line_is_not_quadratic() -> None:
    # sentencex alone takes minutes on this; windows keep it linear.
    text = "这是第一句。" * 50_000
    start = time.perf_counter()
    spans = segment(text)
    assert len(spans) == 50_000
    assert time.perf_counter() - start < 3.0


def test_windows_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _news_like_text(3_000, seed=7).replace("\n\n", " ")
    assert len(line) > 20 * segment_module._WINDOW
    windowed = segment(line)
    monkeypatch.setattr(segment_module, "_WINDOW", 10**9)
    assert segment(line) == windowed
