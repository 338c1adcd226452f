"""The ``rules`` suggester: built in, no training, Indonesian and English news copy.

Two things are suggested, each with a fixed confidence (the score):

``quote`` (when the scheme has the label ``quote``):

====  =======================================================================================
0.90  a quotation (any marks: “ ” „ ‟ « » ‘ ’ ‚ ‛ ‹ › " ', curly and straight mixed in one
      quotation) with an attribution in the same sentence, outside the quotation: a speech
      verb or pattern (kata, katanya, ujar, ucap, ungkap, tutur, tegas, jelas, menurut,
      menambahkan, mengatakan, menegaskan, said, says, told, according to, added, asked, ...)
0.85  every sentence of a quotation that spans several sentences (opened in one, closed in
      a later one, each paragraph of it reopened), when one of them, or the sentence just
      before it (``... said:``) or just after it, carries the attribution
0.75  a sentence that is mostly quotation (it opens with a quote mark, or quotes six words
      or more) whose attribution is the sentence before or after (``Hal itu disampaikan
      Kuzmarov``; ``He said:``)
0.70  reported speech without quote marks: a speech verb with ``bahwa`` / ``that``, or
      ``menurut X,`` / ``according to X``; and a sentence that is only the attribution of its
      neighbour's quotation (``Hal itu disampaikan ...``, ``... told reporters.``)
====  =======================================================================================

A quotation without any attribution (a title, a name, scare quotes: ``format “tiga lawan
tiga”``, ``the so-called "reform"``) is no quote, and nothing is suggested for it.  Verbs
that are also common words (``jelas`` clear, ``tegas`` firm, ``kata`` word, ``tambah``
more, ``sebut``) count only right after a closing quote mark (``,” jelas Budi``) or right
before an opening one.

``skip`` (0.95): boilerplate lines, short and alone on their line: bylines (``By ...``,
``Oleh: ...``, ``Pewarta:``, ``Reporter:``, ``Penulis:``), ``Editor:``, ``Penerjemah:``,
``Sumber:``/``Source:``, ``Baca juga:``/``Read also:`` and the like, ``Copyright``/``©``/
``Hak cipta``, ``Dilarang keras mengambil konten ...``, view counters (``by -14 Views``,
``Dibaca 1.234 kali``), tag lines (``[keyword]bitcoin[/keyword]``, ``Tags: ...``), editors'
initials (``(ant/ara)``), a bare URL or e-mail, and an agency dateline standing alone
(``Jakarta (ANTARA) -``).  Skip is a decision every project has
(:data:`annotator.model.SKIP`), so it is always on unless ``skip=False``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from annotator.model import SKIP, Article, LabelScheme
from annotator.suggest.base import Sentence, Suggestion, sentences_of

__all__ = [
    "QUOTE", "SCORE_ATTRIBUTED", "SCORE_BOILERPLATE", "SCORE_INDIRECT", "SCORE_NEIGHBOUR", "SCORE_SPANNING",
    "RuleHit", "RulesSuggester", "classify", "has_quotation", "has_speech_verb", "is_boilerplate",
]

QUOTE = "quote"  # the default scheme's label id for reported speech

SCORE_ATTRIBUTED = 0.90
SCORE_SPANNING = 0.85
SCORE_NEIGHBOUR = 0.75
SCORE_INDIRECT = 0.70
SCORE_BOILERPLATE = 0.95

# --- quote marks ---------------------------------------------------------------------

_DOUBLE = '"“”„‟«»〝〞〟＂'
_SINGLE = "'‘’‚‛‹›"
_OPEN_GLYPHS = frozenset("“„‟«〝‘‚‛‹")  # open when context does not tell (the rest close)
_STRAIGHT = frozenset('"\'＂')
_MARK_AT = re.compile("[" + re.escape(_DOUBLE + _SINGLE) + "]")
_OPEN_BEFORE = frozenset("([{<-–—/:")
# A quotation with this many words or more is speech, whatever surrounds it.
_SPEECH_WORDS = 6
_WORDS = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")

# --- attribution -----------------------------------------------------------------------

# Speech verbs and patterns that mean attribution wherever they stand (outside quotation),
# and alone make a sentence reported speech ("The minister said the plan ...").
_SPEECH = r"""
    katanya ujar ujarnya ucapnya ungkapnya tuturnya tegasnya jelasnya imbuhnya tambahnya paparnya
    terangnya pungkasnya pungkas sebutnya tanyanya tulisnya kilahnya menurut menambahkan mengatakan
    menegaskan menjelaskan mengungkapkan menuturkan menyatakan menyampaikan memaparkan berkata
    bertanya disampaikan diungkapkan dikatakan dijelaskan ditegaskan dituturkan dinyatakan
    dipaparkan diutarakan dikemukakan mengutarakan mengemukakan mengaku mengakui menyebut menilai
    meminta mengimbau berharap berjanji menduga memperkirakan
    said says told added asked stated explained insisted argued warned wrote replied declared
    recalled tweeted remarked responded urged spoke
""".split()
_SPEECH_PHRASES = (
    r"according\s+to", r"in\s+a\s+statement", r"dalam\s+keterangan(?:\s+tertulis(?:nya)?)?",
    r"dalam\s+pernyataan(?:nya)?", r"kepada\s+(?:para\s+)?(?:wartawan|jurnalis|awak\s+media)",
    r"told\s+reporters", r"a\s+spokes(?:person|man|woman)\s+(?:for|said)",
)
# Verbs of saying that are other things too ("confirmed cases", "mencatat rekor"): attribution
# of a quotation outside it, reported speech only with "bahwa" / "that".
_THAT = r"""
    menyebutkan menerangkan mengingatkan menanggapi mengklaim menggarisbawahi mencatat mengutip
    berpendapat memperingatkan
    noted announced confirmed claimed acknowledged admitted denied believes believed suggested
    conceded estimated predicted cautioned
""".split()
# Verbs that are common words too: attribution only next to a quote mark.
_WEAK = "kata ujar ucap jelas tegas tambah imbuh sebut terang papar tanya tulis kilah seru tutur ungkap lanjut".split()
_PASSIVE_SPEECH = ("disampaikan diungkapkan dikatakan dijelaskan ditegaskan dituturkan dinyatakan dipaparkan "
                   "diutarakan dikemukakan disebutkan").split()
# "Hal itu disampaikan X": a sentence that attributes the one before it.
_ATTRIBUTION_ONLY = re.compile(
    r"^(?:hal\s+(?:itu|ini|tersebut)|pernyataan\s+(?:itu|ini|tersebut)|hal\s+senada)\s+(?:juga\s+)?(?:"
    + "|".join(_PASSIVE_SPEECH) + r")\b"
    r"|^(?:this|that|the\s+remarks?|the\s+comments?)\s+(?:was|were)\s+(?:said|made|stated|told|conveyed)\b",
    re.IGNORECASE,
)
# "called the plan “a fix”", "called it “a disaster”" attribute; "a section called “First
# Frames”", "the battery, called the “Homestead”" name.
_CALLED = re.compile(r"\bcalled\s+(?!(?:the|a|an)\s+[" + re.escape(_DOUBLE + _SINGLE) + r"])"
                     r"(?:(?:the|a|an|his|her|their|its|our)\s+)?\w+\s+[" + re.escape(_DOUBLE + _SINGLE) + "]",
                     re.IGNORECASE)
# "Menurut data BPS", "according to a study": a document, not a speaker (a claim, not a quote).
_DOCUMENT = re.compile(
    r"\b(?:menurut|according\s+to)\s+(?:(?:a|an|the|new|latest|official)\s+)*(?:data|laporan|survei|hasil|catatan|"
    r"studi|penelitian|riset|study|studies|report|reports|survey|data|figures|estimates|research|records|statistics)\b",
    re.IGNORECASE,
)
_SPEECH_RE_ = re.compile(r"\b(?:" + "|".join(_SPEECH + list(_SPEECH_PHRASES)) + r")\b", re.IGNORECASE)
_ANY_VERB_RE_ = re.compile(r"\b(?:" + "|".join(_SPEECH + _THAT + list(_SPEECH_PHRASES)) + r")\b", re.IGNORECASE)
_INDIRECT_ = re.compile(
    r"\b(?:" + "|".join(_SPEECH + _THAT) + r")\s+(?:[\w,]+\s+){0,3}?(?:bahwa|that)\b"
    r"|\b(?:" + "|".join(_SPEECH + _THAT) + r")\s*:",
    re.IGNORECASE,
)
# A sentence without one of these words cannot match the three patterns above: a set lookup
# per word is far cheaper than trying a long alternation at every position.
_TRIGGERS = frozenset(w.lower() for w in _SPEECH + _THAT) | frozenset(
    "according statement keterangan pernyataan wartawan jurnalis awak reporters spokesperson spokesman "
    "spokeswoman".split())
_WORD_RUN = re.compile(r"\w+")


class _Guarded:
    """A pattern searched only in text holding one of the trigger words."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        if _TRIGGERS.isdisjoint(_WORD_RUN.findall(text.lower())):
            return None
        return self.pattern.search(text)


_SPEECH_RE = _Guarded(_SPEECH_RE_)
_ANY_VERB_RE = _Guarded(_ANY_VERB_RE_)
_INDIRECT = _Guarded(_INDIRECT_)
_WEAK_AFTER_CLOSE = re.compile(r"[\s,.;:!?…-]*(?:(?:demikian|lanjut|sambung)\s+)?(?:" + "|".join(_WEAK)
                               + r")(?:nya)?\b", re.IGNORECASE)
_WEAK_BEFORE_OPEN = re.compile(r"\b(?:" + "|".join(_WEAK) + r")(?:nya)?\s+[\w .]{0,40}[,:]\s*$", re.IGNORECASE)
_ENDS_WITH_COLON = re.compile(r":\s*$")

# --- boilerplate -----------------------------------------------------------------------

_BOILERPLATE_MAX = 300  # a longer line is copy, whatever it starts with
# Lines that start like boilerplate (matched at the start only: most sentences fail at once).
_BOILERPLATE_START = re.compile(
    "|".join([
        # credit and navigation lines: "Editor: Primayanti", "Baca juga: ..."
        r"\W{0,3}(?:editor|editing|photo|photos|pewarta|penerjemah|penulis|reporter|redaktur|kontributor|fotografer"
        r"|foto|sumber|source|baca\s+juga|baca|lihat\s+juga|simak\s+juga|read\s+(?:also|more)|also\s+read"
        r"|related(?:\s+\w+)?|tags?|topik|kata\s+kunci|keywords?|oleh|written\s+by|reporting\s+by|editing\s+by"
        r"|writing\s+by|additional\s+reporting(?:\s+by)?|copyright|hak\s+cipta|ikuti|follow\s+us|share)\s*:",
        # a byline: "By Jane Doe, Staff Writer", "Oleh Budi Santoso" (names capitalised)
        r"(?:by|oleh)\s+(?-i:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4})(?:,\s*[\w ]{2,40})?$",
        r"(?:additional\s+)?(?:reporting|editing|writing)\s+by\b",  # wire credits
        r"by\s+-?\d[\d.,]*\s*views?$|dibaca\s+[\d.,]+\s*kali$",
        r"\[(\w+)\].*\[/\1\]$",  # [keyword]bitcoin[/keyword]
        r"\((?:[a-z]{2,6}/){1,3}[a-z]{2,6}\)$",  # editors' initials: (ant/ara), (mdk/rhm)
        r"(?:https?://|www\.)\S+$|\S+@\S+\.\w+$",
        r"[\w .,/-]{0,60}\((?:antara|ant|reuters|ap|afp)\)\s*[-–—]?$",  # a dateline alone
        r"(?:advertisement|iklan|scroll\s+to\s+continue.*|gabung\s+.*(?:whatsapp|telegram).*|klik\s+di\s+sini.*"
        r"|share\s+this.*|bagikan.*)$",
    ]),
    re.IGNORECASE,
)
# ... or hold it anywhere: a counter at the end, a copyright notice.
_BOILERPLATE_ANYWHERE = re.compile(
    r"(?:^|\s)(?:by\s+)?-?\d[\d.,]*\s*(?:views?|kali\s+dibaca|dibaca|dilihat|shares?|komentar|comments?)$"
    r"|copyright|©|\(c\)\s*\d{4}|hak\s+cipta|all\s+rights\s+reserved"
    r"|dilarang\s+(?:keras\s+)?(?:mengambil|mengutip|menyalin|memperbanyak)",
    re.IGNORECASE,
)


def is_boilerplate(text: str) -> bool:
    """Whether ``text`` (one sentence) is a credit, navigation, counter or copyright line."""
    t = text.strip()
    return 0 < len(t) <= _BOILERPLATE_MAX and (
        _BOILERPLATE_START.match(t) is not None or _BOILERPLATE_ANYWHERE.search(t) is not None)


# --- quotations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Marks:
    """The quotations of one sentence: closed pairs inside it, and what is left open."""

    pairs: tuple[tuple[int, int], ...]  # [open, close] positions
    opens_at: int  # an opening mark not closed in the sentence (-1: none)
    closes_at: int  # a closing mark opened before the sentence (-1: none)

    @property
    def any(self) -> bool:
        return bool(self.pairs) or self.opens_at >= 0 or self.closes_at >= 0


def _marks(text: str) -> _Marks:
    pairs: list[tuple[int, int]] = []
    open_at: dict[bool, int | None] = {True: None, False: None}
    closes_at = -1
    n = len(text)
    for m in _MARK_AT.finditer(text):
        i = m.start()
        mark = text[i]
        double = mark in _DOUBLE
        before = text[i - 1] if i > 0 else " "
        after = text[i + 1] if i + 1 < n else " "
        if before.isalnum() and after.isalnum():
            continue  # an apostrophe: Jum'at, don’t, Putin's
        if mark in _SINGLE and before.isalnum() and after.isspace() and open_at[False] is None:
            continue  # a plural possessive: the leaders' meeting
        opens = (before.isspace() or before in _OPEN_BEFORE or before in _DOUBLE + _SINGLE) and not after.isspace()
        closes = not before.isspace() and not after.isalnum()
        if opens == closes:
            if mark in _STRAIGHT:
                opens = open_at[double] is None
            else:
                opens = mark in _OPEN_GLYPHS
            closes = not opens
        if opens:
            if open_at[double] is None:
                open_at[double] = i
        elif (begin := open_at[double]) is not None:
            open_at[double] = None
            pairs.append((begin, i))
        elif closes_at < 0 and (double or before in ",.!?;…"):
            closes_at = i  # a single mark after punctuation closes a quotation, never a possessive
    left = [i for i in open_at.values() if i is not None]
    return _Marks(tuple(sorted(pairs)), min(left) if left else -1, closes_at)


def _quoted(text: str, marks: _Marks) -> list[tuple[int, int]]:
    """The quoted stretches of ``text`` (marks included)."""
    out = [(a, b + 1) for a, b in marks.pairs]
    if marks.closes_at >= 0:
        out.append((0, marks.closes_at + 1))
    if marks.opens_at >= 0:
        out.append((marks.opens_at, len(text)))
    return out


def _outside(text: str, quoted: list[tuple[int, int]]) -> str:
    """``text`` with its quoted stretches blanked (same length)."""
    chars = list(text)
    for a, b in quoted:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _quoted_words(text: str, quoted: list[tuple[int, int]]) -> int:
    return max((len(_WORDS.findall(text, a, b)) for a, b in quoted), default=0)


def has_quotation(text: str) -> bool:
    """Whether ``text`` holds a quote mark that opens or closes a quotation (no apostrophe)."""
    return _marks(text).any


def _attributed(text: str, marks: _Marks) -> bool:
    """Whether ``text`` attributes its quotation: a speech verb outside it, or a weak one
    right after a closing mark or right before an opening one."""
    quoted = _quoted(text, marks)
    outside = _outside(text, quoted)
    if _ANY_VERB_RE.search(outside) or _CALLED.search(text):
        return True
    closes = [b for _, b in marks.pairs] + ([marks.closes_at] if marks.closes_at >= 0 else [])
    if any(_WEAK_AFTER_CLOSE.match(text, b + 1) for b in closes):
        return True
    opens = [a for a, _ in marks.pairs] + ([marks.opens_at] if marks.opens_at >= 0 else [])
    return any(_WEAK_BEFORE_OPEN.search(text, 0, a) for a in opens)


def has_speech_verb(text: str) -> bool:
    """Whether ``text`` holds a speech verb or attribution pattern (outside its quotations)."""
    marks = _marks(text)
    return _attributed(text, marks) if marks.any else _ANY_VERB_RE.search(text) is not None


def _reported(text: str) -> bool:
    """Reported speech without quote marks: "X said ...", "X menilai bahwa ...", "Menurut X, ..."
    (not "menurut data ...", "according to a study": a document is no speaker)."""
    text = _DOCUMENT.sub(" ", text)
    return _SPEECH_RE.search(text) is not None or _INDIRECT.search(text) is not None


def _short_attribution(text: str) -> bool:
    """A sentence that only attributes: "Hal itu disampaikan X", "She told reporters on Monday."."""
    t = text.strip()
    if _ATTRIBUTION_ONLY.search(t):
        return True
    return len(_WORDS.findall(t)) <= 8 and _SPEECH_RE.search(t) is not None and not _marks(t).any


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleHit:
    """What the rules say about one sentence: ``quote`` or ``skip``, its score, and why."""

    kind: str  # QUOTE or SKIP
    score: float
    why: str


# The longest run of sentences one quotation may span: a stray mark must not make a page quote.
_MAX_SPAN = 8
_LEADING_MARKS = _DOUBLE + _SINGLE


def _spanning(texts: list[str], marks: list[_Marks], boiler: list[bool], i: int) -> int:
    """The last sentence of a quotation opened in sentence ``i`` and closed in a later one
    (the sentences between have no marks, or reopen a paragraph of it); -1 if none."""
    j = i + 1
    while j < len(texts) and j - i < _MAX_SPAN and not boiler[j]:
        mj = marks[j]
        if mj.closes_at >= 0:
            return j
        leading = texts[j][:1] in _LEADING_MARKS
        if mj.opens_at >= 0 and not mj.pairs and leading:
            j += 1  # a new paragraph of the same quotation, reopened
            continue
        if leading and mj.pairs and mj.pairs[0][0] == 0 and mj.opens_at < 0:
            return j  # its last paragraph, reopened and closed
        if mj.any:
            return -1
        j += 1
    return -1


def classify(sentences: Sequence[Sentence]) -> list[RuleHit | None]:
    """The rules' verdict on each sentence of one article, in order (None: nothing to say)."""
    n = len(sentences)
    texts = [s.text for s in sentences]
    marks = [_marks(t) for t in texts]
    boiler = [is_boilerplate(t) for t in texts]
    attributed = [m.any and _attributed(t, m) for t, m in zip(texts, marks)]
    out: list[RuleHit | None] = [
        RuleHit(SKIP, SCORE_BOILERPLATE, "boilerplate line") if b else None for b in boiler
    ]

    def introduces(k: int) -> bool:  # "He said:" before a quotation
        return 0 <= k < n and not boiler[k] and texts[k].rstrip().endswith(":") and _ANY_VERB_RE.search(texts[k]) is not None

    def attributes(k: int) -> bool:  # "Hal itu disampaikan X" / "she told reporters." after one
        return 0 <= k < n and not boiler[k] and _short_attribution(texts[k])

    def reports(k: int) -> bool:  # "Hale said he had called Brooks." before "“The people ...”"
        return 0 <= k < n and not boiler[k] and (out[k] is not None or _reported(texts[k]))

    # Quotations over several sentences: every sentence of one that is attributed.
    i = 0
    while i < n:
        end = _spanning(texts, marks, boiler, i) if not boiler[i] and marks[i].opens_at >= 0 else -1
        if end < 0:
            i += 1
            continue
        if any(attributed[k] for k in range(i, end + 1)) or introduces(i - 1) or attributes(end + 1):
            for k in range(i, end + 1):
                out[k] = RuleHit(QUOTE, SCORE_SPANNING, "quotation over several sentences, attributed")
        elif texts[i][:1] in _LEADING_MARKS and reports(i - 1):
            for k in range(i, end + 1):
                out[k] = RuleHit(QUOTE, SCORE_NEIGHBOUR, "quotation over several sentences after reported speech")
        i = end + 1

    for i in range(n):
        if out[i] is not None:
            continue
        t, m = texts[i], marks[i]
        outside = _outside(t, _quoted(t, m)) if m.any else t
        if attributed[i]:
            out[i] = RuleHit(QUOTE, SCORE_ATTRIBUTED, "quotation with attribution")
        elif m.any and (t.lstrip()[:1] in _LEADING_MARKS or _quoted_words(t, _quoted(t, m)) >= _SPEECH_WORDS) \
                and (introduces(i - 1) or attributes(i + 1)):
            out[i] = RuleHit(QUOTE, SCORE_NEIGHBOUR, "quotation attributed next to it")
        elif t[:1] in _LEADING_MARKS and m.any and (m.opens_at < 0 or m.closes_at >= 0) and i > 0 and (
                (hit := out[i - 1]) is not None and hit.kind == QUOTE):
            # "“It is a disaster,” she said. “Nobody warned us.”": the same speaker goes on.
            out[i] = RuleHit(QUOTE, SCORE_NEIGHBOUR, "quotation going on after an attributed one")
        elif _ATTRIBUTION_ONLY.search(t.strip()) and i > 0 and not boiler[i - 1]:
            out[i] = RuleHit(QUOTE, SCORE_INDIRECT, "attribution of the sentence before")
        elif _reported(outside):
            out[i] = RuleHit(QUOTE, SCORE_INDIRECT, "reported speech")
        elif i + 1 < n and _ATTRIBUTION_ONLY.search(texts[i + 1].strip()):
            out[i] = RuleHit(QUOTE, SCORE_INDIRECT, "attributed by the sentence after")
    return out


class RulesSuggester:
    """``--suggest rules``: :func:`classify` as suggestions for the labels the scheme has."""

    def __init__(self, *, quote_label: str = QUOTE, skip: bool = True) -> None:
        self._quote = quote_label
        self._skip = skip

    @property
    def name(self) -> str:
        return "rules"

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        quote = self._quote if scheme.get(self._quote) is not None else scheme.id_for(self._quote)
        out: list[Suggestion] = []
        for s, hit in zip(sentences_of(article), classify(sentences_of(article))):
            if hit is None:
                continue
            if hit.kind == SKIP and self._skip and scheme.takes(SKIP):
                out.append(Suggestion(article.id, s.start, s.end, SKIP, hit.score, "rules"))
            elif hit.kind == QUOTE and quote is not None:
                out.append(Suggestion(article.id, s.start, s.end, quote, hit.score, "rules"))
        return out
