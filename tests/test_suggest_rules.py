"""The rules suggester: quotations with attribution, reported speech, boilerplate, in
Indonesian and English, on the samples and on hand-made cases (and what is no quote)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.model import DEFAULT_SCHEME, SKIP, Article, LabelDef, LabelScheme, Span
from annotator.segment import segment
from annotator.suggest.base import Sentence, sentences_of
from annotator.suggest.rules import (
    SCORE_ATTRIBUTED,
    SCORE_BOILERPLATE,
    SCORE_INDIRECT,
    SCORE_NEIGHBOUR,
    SCORE_SPANNING,
    RulesSuggester,
    classify,
    has_quotation,
    is_boilerplate,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def article(text: str, aid: str = "a1") -> Article:
    return Article(aid, "", text, tuple(Span(a, b) for a, b in segment(text)))


def verdicts(text: str) -> list[tuple[str, str | None, float]]:
    """(sentence, kind, score) for each sentence of ``text``."""
    a = article(text)
    return [(s.text, None if h is None else h.kind, 0.0 if h is None else h.score)
            for s, h in zip(sentences_of(a), classify(sentences_of(a)))]


def one(text: str) -> tuple[str | None, float]:
    """The verdict on ``text`` as one sentence alone."""
    hit = classify([Sentence("a", 0, 0, len(text), text)])[0]
    return (None, 0.0) if hit is None else (hit.kind, hit.score)


def sample(name: str) -> dict[str, tuple[str | None, float]]:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return {t: (k, sc) for t, k, sc in verdicts(text)}


# --- the samples -----------------------------------------------------------------------


def test_antara_sample_quotes_and_junk_lines() -> None:
    got = sample("putin-us-relations-antara-original.txt")
    quotes = {
        # a quotation over two sentences, curly open and straight close, attributed after it
        "“Trump dan Putin meninggalkan kesan bahwa ada kemajuan menuju perjanjian damai. Namun, tidak ada "
        "kesepakatan gencatan senjata yang secara resmi dicapai,\" kata Kuzmarov menanggapi hasil Konferensi "
        "Tingkat Tinggi (KTT) di Alaska itu.": SCORE_ATTRIBUTED,
        # straight open, curly close, "demikian X menambahkan"
        "\"Jika ia mencoba melakukannya, ia akan menghadapi banyak penolakan di dalam negeri,” demikian "
        "Kuzmarov menambahkan.": SCORE_ATTRIBUTED,
        # a partial quotation inside reported speech
        "Kuzmarov juga mengatakan masih belum jelas apakah Ukraina dan AS akan menerima “keuntungan teritorial "
        "besar” Rusia di Ukraina timur serta berjanji untuk tidak mengizinkan ekspansi Pakta Pertahanan Atlantik "
        "Utara (NATO) ke Ukraina.": SCORE_ATTRIBUTED,
        "Menurut Kuzmarov, Trump juga mengakui bahwa dalam sejumlah isu mereka belum berada dalam posisi yang "
        "sama.": SCORE_INDIRECT,
        # attributed by the sentence after it ("Hal itu disampaikan ..."), and that sentence too
        "Hal itu disampaikan Jeremy Kuzmarov, Pemimpin Redaksi Covert Action Magazine, kepada RIA Novosti.":
            SCORE_INDIRECT,
    }
    for text, score in quotes.items():
        assert got[text] == ("quote", score), text
    assert got[next(t for t in got if t.startswith("Anchorage (ANTARA)"))][0] == "quote"
    junk = ["Sumber: Sputnik-Ria Novosti/OANA",
            "Baca juga: Trump sebut pertemuan dengan Putin di Alaska \"sangat produktif\"",
            "Penerjemah: Yoanita Hastryka Djohan", "Editor: Primayanti", "Copyright © ANTARA 2025"]
    for text in junk:
        assert got[text] == (SKIP, SCORE_BOILERPLATE), text
    assert got[next(t for t in got if t.startswith("Dilarang keras"))] == (SKIP, SCORE_BOILERPLATE)
    # scare quotes without attribution: no quote
    assert got["Pertemuan itu digelar dalam format “tiga lawan tiga”."] == (None, 0.0)
    assert got["Kedua hal itu disebut sebagai prasyarat penting bagi terwujudnya perjanjian damai yang "
               "berkelanjutan."] == (None, 0.0)
    assert sum(1 for k, _ in got.values() if k == "quote") == 6
    assert sum(1 for k, _ in got.values() if k == SKIP) == 6


def test_rewrite_sample_junk_lines_and_reported_speech() -> None:
    got = sample("putin-us-relations-scraped-rewrite.txt")
    assert got["by -14 Views"] == (SKIP, SCORE_BOILERPLATE)
    assert got["[keyword]bitcoin[/keyword]"] == (SKIP, SCORE_BOILERPLATE)
    assert got["Ia juga menyebut bahwa Trump mengakui adanya isu-isu di mana kedua pihak masih belum berada pada "
               "posisi yang sama."][0] == "quote"
    assert got[next(t for t in got if t.startswith("Hal ini diungkapkan oleh Jeremy Kuzmarov"))][0] == "quote"
    # the title, and a quoted phrase with no one saying it
    assert got["Putin Tertarik Pulihkan Hubungan dengan AS, Tapi Tantangan Masih Ada"] == (None, 0.0)
    assert got[next(t for t in got if t.startswith("Format pembicaraan yang digunakan adalah “tiga lawan tiga”"))] \
        == (None, 0.0)
    assert got[next(t for t in got if t.startswith("Di samping itu, masih menjadi tanda tanya"))] == (None, 0.0)


# --- hand cases: quotations ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "“Kami akan membangun kembali pasar ini,” kata Bupati Ratna.",
    "„Kami tidak akan mundur,“ ujar Budi.",
    "«Ini bukan akhir,» ucap Siti di Jakarta.",
    "‘Kami siap,’ tutur pelatih itu.",
    "'Kami siap bertanding,' ungkap kapten tim.",
    "\"Saya tidak tahu,\" katanya.",
    "“Harga naik terus,\" tegas Jamilah, seorang pedagang.",
    "\"Jalan ini rusak parah,” jelas Kepala Dinas.",
    "Menurut dia, “pembangunan harus dilanjutkan.”",
    "Bupati menegaskan, “Tidak ada pungutan liar.”",
    "“We will rebuild,” the mayor said.",
    "\"It was a disaster,\" said Maria Gonzalez, 54.",
    "'The nurses were wonderful,' she told reporters.",
    "“Prices keep rising,” according to one trader.",
    "He added: “The plan is ready.”",
    "“Why now?” she asked.",
    "Council member Greg Halvorsen called the plan \"a short-term fix that robs the roads.\"",
])
def test_attributed_quotation_is_a_quote(text: str) -> None:
    assert one(text) == ("quote", SCORE_ATTRIBUTED)


def test_quotation_over_several_sentences_every_sentence() -> None:
    text = ("In a brief speech, Hale said: “The people have spoken.\n"
            "“I will make the transition smooth.\n"
            "“This city is bigger than any one of us.”\n"
            "Turnout was 43 percent.")
    got = verdicts(text)
    assert [k for _, k, _ in got] == ["quote", "quote", "quote", None]
    assert got[1][2] == SCORE_SPANNING and got[2][2] == SCORE_SPANNING


def test_quotation_closed_with_attribution_in_the_later_sentence() -> None:
    # straight single quotes are not paired by the segmentation: two sentences, one quotation
    text = "Linda Morris waited 15 hours. 'The nurses were wonderful. There were just not enough of them,' she said."
    got = verdicts(text)
    assert [t for t, _, _ in got][1:] == ["'The nurses were wonderful.", "There were just not enough of them,' she said."]
    assert [k for _, k, _ in got] == [None, "quote", "quote"]


def test_quotation_going_on_after_an_attributed_one() -> None:
    got = verdicts("“It is a disaster,” she said. “Nobody warned us. We lost everything.” The council met on Monday.")
    assert [(k, s) for _, k, s in got] == [("quote", SCORE_ATTRIBUTED), ("quote", SCORE_NEIGHBOUR), (None, 0.0)]


def test_quotation_attributed_by_the_next_sentence() -> None:
    got = verdicts("“Trump dan Putin meninggalkan kesan yang baik bagi kedua negara.”\n"
                   "Hal itu disampaikan Kuzmarov kepada wartawan.")
    assert [(k, s) for _, k, s in got] == [("quote", SCORE_NEIGHBOUR), ("quote", SCORE_INDIRECT)]


@pytest.mark.parametrize("text", [
    "Kepala BPBD Sukamaju, Hendra Wiratama, mengatakan pihaknya telah mendirikan dua dapur umum.",
    "Ia mengaku omzetnya turun hampir separuh.",
    "Pengamat pendidikan menilai bahwa sekolah negeri tidak tersebar merata.",
    "Menurut Hendra, debit sungai meningkat tiga kali lipat.",
    "Transit director Paul Whitaker told the council the freeze would force cuts.",
    "She said engineers would need at least two weeks.",
    "According to analyst Raj Patel, the price increases should restore margins.",
    "The company noted that sales fell in the third quarter.",
])
def test_reported_speech_is_a_quote(text: str) -> None:
    assert one(text) == ("quote", SCORE_INDIRECT)


# --- hand cases: no quote --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Pertemuan itu digelar dalam format “tiga lawan tiga”.",
    "Festival budaya bertajuk “Sangga Bersatu” resmi dibuka pada Jumat malam.",
    "The festival's opening film, \"The Long Winter,\" sold out all three screenings.",
    "A new section called \"First Frames\" is devoted to debut films.",
    "The battery, called the \"Homestead 10,\" stores 10 kilowatt-hours.",
    "The so-called 'reform' cut pensions by a tenth.",
    "Its main award, the “Golden Anchor,” has gone to several directors.",
    "Menurut data BPS, harga beras naik 3,8 persen dalam sebulan.",
    "Teenagers sleep less, according to a study published on Monday.",
    "Polisi ungkap kasus penipuan daring dengan 230 korban.",
    "Dengan kata lain, harga cabai naik dua kali lipat.",
    "Putin jelas berminat memulihkan hubungan ekonomi dengan AS.",
    "The leaders' meeting lasted two hours.",
    "Jum'at pagi, hujan turun di Sukamaju.",
    "The United States confirmed cases rose by 4 percent.",
    "Shares fell 9 percent in early trading.",
])
def test_not_a_quote(text: str) -> None:
    assert one(text) == (None, 0.0)


# --- boilerplate ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Editor: Primayanti", "Pewarta: Dedi Gunawan", "Penerjemah: Yoanita Hastryka Djohan", "Sumber: Reuters",
    "Baca juga: Harga beras stabil", "BACA JUGA: Banjir rendam 600 rumah", "Copyright © ANTARA 2025",
    "© 2025 Westfield Gazette", "by -14 Views", "Dibaca 1.234 kali", "[keyword]bitcoin[/keyword]",
    "Tags: sleep, education", "Oleh: Anisa Rahmawati", "By Laura Mitchell", "By Kevin Osei, Technology Reporter",
    "Reporting by Laura Mitchell; Editing by Sam Porter", "Penulis: Yoga Pratama",
    "Reporter: Nadia Putri | Editor: Agung Santoso", "Photo: Bayview Marathon", "Related Posts:", "Share this:",
    "Advertisement", "(ant/ara)", "Jakarta (ANTARA) -", "All rights reserved.",
    "Dilarang keras mengambil konten, melakukan crawling atau pengindeksan otomatis untuk AI di situs web ini.",
])
def test_boilerplate(text: str) -> None:
    assert is_boilerplate(text)
    assert one(text) == (SKIP, SCORE_BOILERPLATE)


@pytest.mark.parametrize("text", [
    "Editor senior itu mengundurkan diri pada Senin.",
    "By the end of the year, prices had doubled.",
    "Sumber air di desa itu mengering sejak Agustus.",
    "Jakarta (ANTARA) - Presiden meresmikan bendungan baru di Jawa Barat pada Senin.",
    "The editor of the newspaper, Jane Doe, resigned.",
    "Copy" + "right" + " law was changed in 2019, and the new rules apply to every newspaper and broadcaster " * 5,
])
def test_not_boilerplate(text: str) -> None:
    assert not is_boilerplate(text)


def test_apostrophes_are_no_quotation() -> None:
    assert not has_quotation("Jum’at pagi Putin's aides don't say.")
    assert has_quotation("He said “yes”.")


# --- the suggester -----------------------------------------------------------------------


def test_suggester_gives_label_ids_offsets_and_source() -> None:
    text = (SAMPLES / "putin-us-relations-antara-original.txt").read_text(encoding="utf-8")
    a = article(text, "antara")
    got = RulesSuggester().suggest(a, DEFAULT_SCHEME)
    assert all(s.source == "rules" and s.article_id == "antara" for s in got)
    assert all((s.start, s.end) in {(x.start, x.end) for x in a.sentences} for s in got)
    assert sorted({s.label for s in got}) == ["quote", SKIP]
    assert [s.start for s in got] == sorted(s.start for s in got)
    assert len(got) == 12


def test_suggester_follows_a_renamed_quote_label_and_a_scheme_without_one() -> None:
    a = article("“Kami siap,” kata Budi.\nEditor: Primayanti")
    renamed = LabelScheme((LabelDef("claim", ("c",)), LabelDef("speech", ("q",), id="quote")))
    assert [(s.label, s.score) for s in RulesSuggester().suggest(a, renamed)] == [("quote", 0.9), (SKIP, 0.95)]
    no_quote = LabelScheme((LabelDef("claim", ("c",)), LabelDef("background", ("b",))))
    assert [s.label for s in RulesSuggester().suggest(a, no_quote)] == [SKIP]
    assert [s.label for s in RulesSuggester(skip=False).suggest(a, no_quote)] == []
