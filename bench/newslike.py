"""Seeded news-like articles, Indonesian and English, shaped like the agency copy people import.

``article(seed, n)`` is article ``n`` of corpus ``seed``: the same text on any machine, and
each article can be made alone (a test takes a sample without building a whole corpus).
What they hold is what the segmentation rules are about (``annotator/segment.py``):
headings followed by a blank line, datelines (``Jakarta (ANTARA) - ``), quotations with
their attribution (curly and straight marks mixed, several sentences inside, ``?``/``!``
before a capitalised attribution), quoted phrases, abbreviations (Dr., Tn., Jl., Jend.,
Tbk., U.S., a.m., initials), decimals and rupiah amounts, ellipses, apostrophes, scraped
junk lines (``by -14 Views``, ``Baca juga:``, ``Editor:``, ``Copyright © ANTARA 2025``),
paragraphs split by blank lines or by single line breaks, and CRLF line ends in some files.
"""

from __future__ import annotations

import random

ID_WORDS = (
    "pemerintah presiden menteri rakyat ekonomi harga minyak rupiah bank pasar saham investor kebijakan "
    "pertemuan kesepakatan damai hubungan diplomatik wilayah perbatasan anggaran daerah masyarakat warga "
    "kepolisian pengadilan kasus korupsi pemilihan umum partai politik dewan perwakilan rakyat infrastruktur "
    "jalan tol pelabuhan bandara inflasi pertumbuhan ekspor impor beras gula listrik bahan bakar subsidi "
    "pendidikan kesehatan rumah sakit vaksin bencana banjir gempa bumi letusan gunung pengungsi bantuan "
    "yang dan di ke dari untuk dengan pada dalam bahwa akan telah sudah masih belum juga tidak bisa harus "
    "secara lebih sangat sejumlah beberapa seluruh kedua pihak tersebut itu ini"
).split()
EN_WORDS = (
    "the government said on that prices would rise after talks with officials in over trade tariffs energy "
    "exports growth inflation budget election parliament court police minister president company shares "
    "market investors central bank interest rates quarter revenue profit analysts expected a of to and for "
    "was were has have been will could may also not more than about some many people city state federal "
    "agency report week month year plan deal vote bill law security forces attack ceasefire negotiations"
).split()
ID_OPENERS = ["Menurut", "Sementara itu,", "Di sisi lain,", "Pada", "Selain itu,", "Dalam", "Kepala", "Ketua",
              "Pemerintah", "Presiden", "Menteri", "Sejumlah", "Hal itu", "Namun,", "Ia", "Mereka", "Kami"]
EN_OPENERS = ["The", "A", "Officials", "In", "On", "But", "However,", "He", "She", "They", "Analysts", "Police",
              "Meanwhile,", "Shares", "It"]
PEOPLE = ["Joko Widodo", "Prabowo Subianto", "Sri Mulyani", "Perry Warjiyo", "Budi Gunadi Sadikin", "Retno Marsudi",
          "Jeremy Kuzmarov", "Donald J. Trump", "Vladimir Putin", "Marco Rubio", "Siti Nadia Tarmizi", "Ahmad Yani",
          "John F. Kennedy", "J. K. Rowling", "Anies Baswedan", "Gibran Rakabuming Raka", "Yusri Yunus"]
HONORIFICS = ["Dr.", "Tn.", "Ny.", "Prof. Dr.", "dr.", "H.", "Hj.", "Ir.", "Jend.", "Kombes.", "Sdr.", "Mr.", "Mrs.",
              "Ms.", "Sen.", "Gov.", "Rep.", "Prof."]
PLACES = ["Jakarta", "Surabaya", "Bandung", "Medan", "Makassar", "Denpasar", "Anchorage", "Washington", "Moskow",
          "Beijing", "Singapura", "Yogyakarta", "Semarang", "Palembang", "Jayapura"]
AGENCIES = [" (ANTARA) - ", " (ANTARA) – ", ", KOMPAS.com - ", " (Reuters) - ", " (AP) — ", ", CNN Indonesia -- "]
SAY_ID = ["kata", "ujar", "ucap", "ungkap", "tutur", "jelas", "tegas", "imbuh", "tambah", "sebut"]
SAY_EN = ["said", "told reporters", "added", "wrote", "explained", "warned"]
JUNK = [
    "by -{n} Views", "[keyword]{w}[/keyword]", "Baca juga: {title}", "Baca juga: {p} sebut pertemuan \"sangat produktif\"",
    "Editor: {p}", "Penerjemah: {p}", "Pewarta: {p}", "Sumber: Sputnik-Ria Novosti/OANA", "Copyright © ANTARA {y}",
    "Dilarang keras mengambil konten, melakukan crawling atau pengindeksan otomatis untuk AI di situs web ini tanpa "
    "izin tertulis dari Kantor Berita ANTARA.", "(Antara)", "Sumber: {w}.com", "Foto: ANTARA/{p}",
]
QUOTES = [("“", "”"), ('"', '"'), ("“", '"'), ('"', "”"), ("‘", "’"), ("«", "»"), ("„", "“")]


def _words(rnd: random.Random, vocab: list[str], lo: int, hi: int) -> str:
    return " ".join(rnd.choice(vocab) for _ in range(rnd.randint(lo, hi)))


def _extra(rnd: random.Random, english: bool) -> str:
    """A phrase the rules must not split at: an abbreviation, a number, a quoted phrase."""
    k = rnd.randrange(16)
    p = rnd.choice(PEOPLE)
    if k == 0:
        return f"{rnd.choice(HONORIFICS)} {p}"
    if k == 1:
        return f"di Jl. {rnd.choice(['Merdeka', 'Sudirman', 'Thamrin', 'Gatot Subroto'])} No. {rnd.randint(1, 200)}"
    if k == 2:
        return f"PT Bank {rnd.choice(['Mandiri', 'Rakyat Indonesia', 'Negara Indonesia'])} (Persero) Tbk. (BMRI)"
    if k == 3:
        return f"{rnd.randint(1, 9)},{rnd.randint(1, 9)} persen" if not english else f"{rnd.randint(1, 9)}.{rnd.randint(1, 9)}%"
    if k == 4:
        return f"Rp{rnd.randint(1, 99)}.{rnd.randint(100, 999)}" if not english else f"${rnd.randint(1, 9)}.{rnd.randint(1, 9)} billion"
    if k == 5:
        return "the U.S. Treasury" if english else "Amerika Serikat (AS)"
    if k == 6:
        return f"at {rnd.randint(1, 12)} {rnd.choice(['a.m.', 'p.m.'])} {rnd.choice(['Monday', 'ET', 'WIB', 'GMT'])}"
    if k == 7:
        o, c = rnd.choice(QUOTES[:4])
        return f"format {o}{_words(rnd, ID_WORDS, 1, 4)}{c}"
    if k == 8:
        return f"pukul {rnd.randint(7, 23)}.{rnd.randint(10, 59)} WIB"
    if k == 9:
        return f"Senin ({rnd.randint(1, 28)}/{rnd.randint(1, 12)}/2025)"
    if k == 10:
        return "e.g. the surgeon" if english else "dll."
    if k == 11:
        return f"Jum’at ({rnd.randint(1, 28)}/{rnd.randint(1, 12)})" if not english else "the company’s shares"
    if k == 12:
        return f"ke-{rnd.randint(2, 99)}"
    if k == 13:
        return f"Washington, D.C. {rnd.choice(['and', 'on'])}" if english else "Jend. TNI (Purn.)"
    if k == 14:
        return f"{rnd.randint(10, 999)}.{rnd.randint(100, 999)} orang"
    return f"Kombes Pol. {p}"


def _sentence(rnd: random.Random, english: bool) -> str:
    vocab = EN_WORDS if english else ID_WORDS
    parts = [rnd.choice(EN_OPENERS if english else ID_OPENERS), _words(rnd, vocab, 8, 18)]
    for _ in range(rnd.choice((0, 1, 1, 2))):
        parts[-1] += ","
        parts.append(_words(rnd, vocab, 4, 10))
    if rnd.random() < 0.1:
        parts += [_extra(rnd, english), _words(rnd, vocab, 2, 8)]
    end = "." if rnd.random() < 0.95 else rnd.choice("?!")
    if rnd.random() < 0.04:
        end = rnd.choice(("...", "…"))
    if rnd.random() < 0.03:
        parts.append("etc." if english else "dsb.")
        end = rnd.choice(("", " The year ended."))
    return " ".join(parts) + end


def _quotation(rnd: random.Random, english: bool) -> str:
    o, c = rnd.choice(QUOTES)
    inner = " ".join(_sentence(rnd, english) for _ in range(rnd.choice((1, 1, 2, 3))))
    who = f"{rnd.choice(HONORIFICS) + ' ' if rnd.random() < 0.3 else ''}{rnd.choice(PEOPLE).split()[-1]}"
    k = rnd.randrange(6)
    if k == 0:  # "..., kata X di Jakarta."
        inner = inner.rstrip(".?!…") + ","
        say = rnd.choice(SAY_EN if english else SAY_ID)
        return f"{o}{inner}{c} {say} {who} {_words(rnd, EN_WORDS if english else ID_WORDS, 0, 6)}".rstrip() + "."
    if k == 1:  # "...?" tanya X.  /  "...!" X menegaskan.
        inner = inner.rstrip(".?!…") + rnd.choice("?!")
        verb = rnd.choice(("asked", "said")) if english else rnd.choice(("tanya", "seru", "menegaskan"))
        return f"{o}{inner}{c} {who} {verb}." if verb == "menegaskan" else f"{o}{inner}{c} {verb} {who}."
    if k == 2:  # X said, "...".
        return f"{who} {'said' if english else 'mengatakan'}, {o}{inner}{c}"
    if k == 3:  # a quote that ends a sentence: called it “a disaster.”
        return f"{rnd.choice(EN_OPENERS if english else ID_OPENERS)} {_words(rnd, ID_WORDS, 2, 6)} {o}{_words(rnd, ID_WORDS, 1, 4)}.{c}"
    if k == 4:  # "..., demikian X menambahkan."
        inner = inner.rstrip(".?!…") + ","
        return f"{o}{inner}{c} demikian {who} menambahkan."
    return f"{o}{inner.rstrip('.?!…')},{c} {who} {rnd.choice(SAY_EN if english else SAY_ID)}."


def _junk(rnd: random.Random) -> str:
    template = rnd.choice(JUNK)
    return template.format(n=rnd.randint(1, 999), w=rnd.choice(ID_WORDS), p=rnd.choice(PEOPLE),
                           title=_words(rnd, ID_WORDS, 3, 8).capitalize(), y=rnd.choice((2024, 2025)))


def article(seed: int, n: int) -> str:
    """Article ``n`` of corpus ``seed``: 0.4 to 9 KB, about 3.6 KB on average."""
    rnd = random.Random(f"{seed}/{n}")
    english = rnd.random() < 0.3
    lines: list[str] = []
    if rnd.random() < 0.7:
        lines += [_words(rnd, EN_WORDS if english else ID_WORDS, 3, 10).title(), ""]
        if rnd.random() < 0.3:
            lines.append(_junk(rnd))
    paragraphs = []
    for k in range(rnd.randint(3, 13)):
        sentences = []
        for _ in range(rnd.randint(1, 4)):
            sentences.append(_quotation(rnd, english) if rnd.random() < 0.2 else _sentence(rnd, english))
        text = " ".join(sentences)
        if k == 0 and rnd.random() < 0.8:
            place = rnd.choice(PLACES)
            text = f"{place.upper() if rnd.random() < 0.3 else place}{rnd.choice(AGENCIES)}{text}"
        if rnd.random() < 0.01:
            text = text.replace(" ", "\u00a0", 1)  # a non-breaking space from a web page
        paragraphs.append(text)
    gap = rnd.choice(("\n\n", "\n\n", "\n"))
    lines.append(gap.join(paragraphs))
    for _ in range(rnd.choice((0, 1, 2, 3, 4))):
        lines.append(_junk(rnd))
    text = "\n".join(lines) + rnd.choice(("\n", "", "\n\n"))
    if rnd.random() < 0.15:
        text = text.replace("\n", "\r\n")
    return text
