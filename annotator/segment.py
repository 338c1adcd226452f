"""Split article text into sentences, as half-open code-point spans.

The splitting itself is sentencex's; this module adds the project's policy on top:

* every line break ends a segment, so sentencex runs line by line (a title or a
  scraped ``Editor: ...`` line never merges into its neighbour);
* a quotation with its attribution is one segment, even if it holds several
  sentences.  Agency copy mixes curly and straight marks in one quotation, which
  sentencex's own pairing does not understand, and its pairing has no length limit
  (one stray pair can swallow a whole line).  So quote marks are hidden from
  sentencex and paired here, by context, and only within one line and a length cap;
* known abbreviations, name initials and lower-case continuations do not end a
  sentence.

Language: sentencex has no Indonesian rules, ``"id"`` resolves to its English
fallback, so ``"id"`` and ``"en"`` split identically (checked on both samples and the
test texts).  The default ``"id"`` therefore serves English copy just as well, and the
abbreviation list below is bilingual and applied whatever the language; other codes
switch sentencex to that language's own rules.

Speed: the rules run on offsets into the whole text (no line or piece is sliced out to be
looked at), the text is masked once, and its quote marks found once.  The slower code it
replaced is kept in ``bench/segment_reference.py``; tests hold this one to its spans.
"""

from __future__ import annotations

import itertools
import operator
import re

import sentencex  # ships no py.typed

__all__ = ["segment"]

# Line breaks as str.splitlines sees them (it also counts \x1c-\x1e); "\r\n" is one.
_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

_DOUBLE_QUOTES = '"“”„‟«»〝〞〟＂'
_SINGLE_QUOTES = "‘’‚‛‹›"
# Marks that, when context does not tell, open (the rest close).
_OPENERS = frozenset("“„‟«〝‘‚‛‹")
_OPEN_BEFORE = frozenset("([{<-–—/")
_QUOTES = frozenset(_DOUBLE_QUOTES + _SINGLE_QUOTES)
_MARKS = frozenset(_DOUBLE_QUOTES + _SINGLE_QUOTES + "'")
_LEADING = _DOUBLE_QUOTES + _SINGLE_QUOTES + "'([{"

# What sentencex sees instead of the text, one code point for one so offsets hold:
# quote marks (and the straight apostrophe, which it would pair across sentences)
# become spaces; "…" becomes "." so that it splits like "..." does; lone surrogates,
# which cannot cross into Rust, become U+FFFD; and non-ASCII whitespace becomes a
# space, because sentencex 1.0.32 panics on "A\u00a0." (a byte-slicing bug).
_MASK: dict[int, str] = {ord(c): " " for c in _DOUBLE_QUOTES + _SINGLE_QUOTES + "'"}
_MASK[ord("…")] = "."
_MASK.update({cp: "\ufffd" for cp in range(0xD800, 0xE000)})
_MASK.update({cp: " " for cp in range(0x80, 0x3001) if chr(cp).isspace()})
# The same, by character: the ASCII ones, and the rest (few of which occur in one text).
_MASK_ASCII = {chr(cp): c for cp, c in _MASK.items() if cp < 0x80}
_MASK_OTHER = {chr(cp): c for cp, c in _MASK.items() if cp >= 0x80}
_ASCII = bytes(range(0x80))

# Languages in which sentencex cuts after no ASCII character but . ? and ! (tested); Greek
# ends a question with ";" and Armenian a sentence with ":".
_ASCII_STOPS_ONLY = frozenset({"id", "en"})

# Where to cut if sentencex fails: after terminal punctuation and space.
_FALLBACK_CUT = re.compile(r"[.?!。！？]+\s+(?=\S)")

# Windows that sentencex sees at a time; see _sentencex_cuts.
_WINDOW = 4000
_MARGIN = 200

# A quotation longer than this is taken for a mis-pairing (stray marks), not a quote.
_MAX_QUOTE = 1000

# Tokens (without their final ".") after which a full stop never ends a sentence.
# Case matters: "No." and "no." differ.  Left out on purpose: endings that often do
# close a sentence before a capital (dll., dsb., dkk., Inc., Ltd., Co., Jr.); before a
# lower-case word any full stop is merged anyway.
_ABBREVIATIONS = frozenset(
    """
    Mr Mrs Ms Mx Messrs Dr dr drg Prof St Sen Rep Gov Gen Lt Col Capt Sgt Cpl Maj Adm
    Cmdr Rev Hon Pres Supt Det Fr Mt Ft Ave Blvd Rd No Nos Nr vs e.g i.e cf approx
    Jan Feb Aug Sep Sept Oct Nov Dec Ph.D
    Tn Ny Nn Sdr Sdri Bpk Bp Yth H Hj KH Drs Dra Ir Jl Jln Gg Kp Ds Kel Kec Kab Prov
    Tbk Rp Jend Letjen Mayjen Brigjen Kol Letkol Mayor Kapt Komjen Irjen Kombes AKBP
    AKP Laksma Laksda Laksdya Marsma Marsda Marsdya Pol
    S.H S.E S.T S.Pd S.Sos S.Kom S.Ag S.IP S.Psi M.Si M.M M.A M.Sc M.Hum M.Pd M.Kes
    hlm Hlm Vol
    """.split()
)
# These hold on too, except before a word that only starts a sentence ("moved to the
# U.S. The next year"); sentencex never cuts after them, so those cuts are added here.
_FINAL_ABBREVIATIONS = frozenset({"U.S", "U.K", "U.N", "D.C", "etc"})
_STARTERS = frozenset(
    """
    The A An He She It They We I You His Her Its Their Our This That These Those There
    But And Yet So However Meanwhile In On At For If When While After Before Since
    """.split()
)
_FINAL_CUT = re.compile(r"(?<![\w.])(?:U\.S|U\.K|U\.N|D\.C|etc)\.\s+(?=(?:%s)\b)" % "|".join(_STARTERS))

# "a.m."/"p.m." end sentences as often as not ("at 9 a.m. Police said"), so they only
# hold on before a word that continues a time.
_TIME_ABBREVIATIONS = frozenset({"a.m", "p.m", "A.M", "P.M"})
_TIME_CONTINUATIONS = frozenset(
    """
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April May June July August September October November December Jan Feb Mar Apr
    Jun Jul Aug Sep Sept Oct Nov Dec ET EST EDT CT CST CDT MT MST MDT PT PST PDT GMT
    UTC BST CET WIB WITA WIT
    """.split()
)
# A capitalised sentence right after a quote that ends in . ? or ! is still its
# attribution when one of these comes within its first few words ("Why?" Trump asked).
_ATTRIBUTION_VERBS = frozenset(
    """
    said says asked asks added adds told tells wrote writes replied explained noted
    stated insisted declared continued recalled warned argued tweeted posted shouted
    kata katanya ujar ujarnya ucap ucapnya ungkap ungkapnya tutur tuturnya jelas
    jelasnya tegas tegasnya imbuh imbuhnya tambah tambahnya sebut sebutnya papar
    paparnya terang terangnya tanya tanyanya tulis tulisnya pungkas pungkasnya kilah
    seru demikian mengatakan menegaskan menambahkan menjelaskan mengungkapkan
    menuturkan menyatakan bertanya
    """.split()
)
_ATTRIBUTION_WINDOW = 4
_WORD = re.compile(r"\w+")
# In re, [^\W_] is str.isalnum and \s is str.isspace, character for character (tested).
_ALNUM = re.compile(r"[^\W_]")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
_INITIAL = re.compile(r"[^\W\d_]\.")
_START = operator.itemgetter("start_index")


def segment(text: str, language: str = "id") -> list[tuple[int, int]]:
    """Half-open [start, end) code-point offsets of the sentences of `text`, in order."""
    masked, marks = _mask(text)
    quote_at = _quote_marks(text, marks)
    cued = _cued(masked)
    spans: list[tuple[int, int]] = []
    next_quote = 0
    end = 0
    # Offsets into the whole text throughout: slicing each line out (and each piece out of
    # it) cost more than the rules themselves.
    for line in text.splitlines(True):
        start, end = end, end + len(line)
        if line.isspace():  # blank, or spaces only: a line break is a space too
            continue
        stop = end - (2 if line.endswith("\r\n") else 1 if line[-1] in _BREAKS else 0)
        quotes: list[tuple[int, int]] = []
        if next_quote < len(quote_at) and quote_at[next_quote] < stop:
            first_quote = next_quote
            while next_quote < len(quote_at) and quote_at[next_quote] < stop:
                next_quote += 1
            quotes = _quotations(text, start, stop, quote_at[first_quote:next_quote])
        _split_line(text, masked[start:stop], start, stop, language, cued, quotes, spans)
    return spans


def _cued(masked: str) -> bool:
    """Whether _FINAL_CUT can match in `masked`."""
    return "U." in masked or "D.C" in masked or "etc." in masked


def _mask(text: str) -> tuple[str, frozenset[str]]:
    """``text.translate(_MASK)``, and which of the marks in _QUOTES it holds.

    str.translate looks each character up in turn, about 30 MB/s on non-ASCII text; the
    few non-ASCII characters a text holds are found in its UTF-8 instead, and replaced
    one by one.
    """
    masked = text
    other: set[str] = set()
    if not text.isascii():
        other = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII).decode("utf-8", "surrogatepass"))
        for c in other:
            if (to := _MASK_OTHER.get(c)) is not None:
                masked = masked.replace(c, to)
    marks = other & _QUOTES
    for c, to in _MASK_ASCII.items():
        if c in masked:
            masked = masked.replace(c, to)
            if c in _QUOTES:
                marks.add(c)
    return masked, frozenset(marks)


def _quote_marks(text: str, marks: frozenset[str]) -> list[int]:
    """Where the marks of _QUOTES are in `text`, in order."""
    at: list[int] = []
    for mark in marks:
        i = text.find(mark)
        while i >= 0:
            at.append(i)
            i = text.find(mark, i + 1)
    at.sort()
    return at


def _split_line(text: str, masked: str, start: int, stop: int, language: str, cued: bool,
                quotes: list[tuple[int, int]], out: list[tuple[int, int]]) -> None:
    """Append to `out` the sentences of the line text[start:stop] (`masked` is its masked
    copy, `quotes` its quotations): sentencex's pieces, each without the spaces at its
    ends, a piece joined to the one before when either has no letter or digit, when it is
    inside a quotation opened before it, or when it continues that sentence (_continues)."""
    try:
        if (language in _ASCII_STOPS_ONLY and masked.isascii() and "." not in masked and "?" not in masked
                and "!" not in masked):
            cuts = []  # the only ASCII characters after which sentencex cuts (tested): a fifth of lines
        elif len(masked) <= _WINDOW:  # most lines: one window, whose cuts all count
            n = len(masked)
            cuts = sorted({c for c in map(_START, sentencex.get_sentence_boundaries(language, masked)) if 0 < c < n})
        else:
            cuts = _sentencex_cuts(masked, language)
    except BaseException as exc:
        # A sentencex bug must not lose the user's import; a Rust panic arrives as
        # pyo3's PanicException, which is not an Exception.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        cuts = [m.end() for m in _FALLBACK_CUT.finditer(masked)]
    if cued and _cued(masked):
        cuts = sorted({*cuts, *(m.end() for m in _FINAL_CUT.finditer(masked))})
    # Otherwise they are in order, each once, already (the fallback's matches too).
    edges = [start]
    last = start
    for cut in cuts:
        cut += start
        if not last < cut < stop:
            continue
        if not text[cut - 1].isspace():
            # Masked quote marks sat in the gap as spaces, so sentencex may have put an
            # opening mark on the left; cut after the gap's last real space instead.
            gap = cut
            while gap > last and (text[gap - 1].isspace() or text[gap - 1] in _MARKS):
                gap -= 1
            last_space = max((i for i in range(gap, cut) if text[i].isspace()), default=-1)
            cut = last_space + 1 if last_space >= 0 else cut
            if cut <= last:
                continue
        edges.append(cut)
        last = cut
    edges.append(stop)
    next_quote = 0
    reach = -1  # the furthest closing mark of the quotations opened so far
    first = end = -1  # the sentence so far, text[first:end]; -1: none yet
    wordy = False  # whether it has a letter or digit
    for a, b in zip(edges, edges[1:]):
        while a < b and text[a].isspace():
            a += 1
        if a == b:
            continue  # spaces only
        while text[b - 1].isspace():
            b -= 1
        # A piece with no letter or digit (a lone "”", "...", an emoji) is no sentence.
        right_wordy = text[a].isalnum() or _ALNUM.search(text, a, b) is not None
        if first < 0:
            first, end, wordy = a, b, right_wordy
            continue
        while next_quote < len(quotes) and quotes[next_quote][0] < end:
            reach = max(reach, quotes[next_quote][1])
            next_quote += 1
        if not wordy or not right_wordy or reach >= a or _continues(text, first, end, a, b):
            end = b
            wordy = wordy or right_wordy
        else:
            out.append((first, end))
            first, end, wordy = a, b, right_wordy
    if first >= 0:
        out.append((first, end))


def _sentencex_cuts(masked: str, language: str) -> list[int]:
    """Where sentencex starts a new sentence in `masked`, in order, fed to it window by window.

    sentencex is quadratic on some long lines (CJK full stops with no space after),
    so it never sees more than _WINDOW characters.  A window keeps the cuts that have
    _MARGIN characters of context on both sides and the next one starts at the last
    of them, or, if there was none, _MARGIN before the first unjudged character.
    """
    cuts: list[int] = []
    pos = trusted = 0
    while True:
        stop = min(len(masked), pos + _WINDOW)
        final = stop == len(masked)
        bounds = sentencex.get_sentence_boundaries(language, masked[pos:stop])
        kept = sorted(
            c
            for c in (pos + int(b["start_index"]) for b in bounds)
            if trusted < c < stop and (final or c <= stop - _MARGIN)
        )
        cuts.extend(kept)
        if final:
            return sorted(set(cuts))
        if kept:
            pos = trusted = kept[-1]
        else:
            pos, trusted = stop - 2 * _MARGIN, stop - _MARGIN


def _quotations(text: str, start: int, stop: int, marks: list[int]) -> list[tuple[int, int]]:
    """[open, close] positions of the quote pairs on the line text[start:stop] (whose
    quote marks are at `marks`), double and single apart, in order.

    Whether a mark opens or closes is read from its neighbours first (space before and
    a word after opens), so “...", "...” and „...“ all pair up.  A second opening mark
    forgets an unclosed first one, and a mark with no partner on the line pairs with
    nothing, so a stray quote cannot hold a whole paragraph together.
    """
    pairs: list[tuple[int, int]] = []
    open_at: dict[bool, int | None] = {True: None, False: None}
    for i in marks:
        mark = text[i]
        double = mark in _DOUBLE_QUOTES
        before = text[i - 1] if i > start else " "
        after = text[i + 1] if i + 1 < stop else " "
        if before.isalnum() and after.isalnum():
            continue  # an apostrophe (Jum’at, don’t), not a quote
        opens = (before.isspace() or before in _OPEN_BEFORE or before in _MARKS) and not after.isspace()
        closes = not before.isspace() and not after.isalnum()
        if opens == closes:  # no clue, or both: go by the mark, then by the state
            if mark in ('"', "＂"):
                opens = open_at[double] is None
            else:
                opens = mark in _OPENERS
            closes = not opens
        if opens:
            open_at[double] = i
        elif closes and (begin := open_at[double]) is not None:
            open_at[double] = None
            if i - begin <= _MAX_QUOTE:
                pairs.append((begin, i))
    return sorted(pairs)


def _continues(text: str, start: int, end: int, rstart: int, rend: int) -> bool:
    """Whether text[rstart:rend] goes on the sentence text[start:end] rather than starting one."""
    first = text[rstart]
    if first.islower():
        return True  # "...?” tanya dia", "approx. five": a sentence starts upper-case
    # Only the tail of the left side matters; slicing all of it would be quadratic on a
    # long line that merges piece after piece.
    lo = max(start, end - 200)
    if text[end - 1] == ".":
        words = text[lo:end].rsplit(None, 2)  # its last two words, as split() has them
        token = words[-1].lstrip(_LEADING)[:-1]
        if token in _ABBREVIATIONS:
            return True
        if token in _FINAL_ABBREVIATIONS:
            word = _WORD.search(text, rstart, rend)
            return word is None or word.group() not in _STARTERS
        if token in _TIME_ABBREVIATIONS:
            word = _WORD.search(text, rstart, rend)
            return first == "(" or (word is not None and word.group() in _TIME_CONTINUATIONS)
        return _is_initial(token, words[-2] if len(words) > 1 else None)
    if text[start] in _MARKS and text[end - 1] in _MARKS and text[lo : end - 1].rstrip()[-1:] in (".", "?", "!", "…"):
        # Only for a piece that is all quotation: in 'called it “a disaster.” Trump
        # said ...' the quote ends a sentence of its own.
        head = itertools.islice(_WORD.finditer(text, rstart, rend), _ATTRIBUTION_WINDOW)
        return any(w.group().lower() in _ATTRIBUTION_VERBS for w in head)
    return False


def _is_initial(token: str, before: str | None) -> bool:
    """"J." in "Donald J. Trump" or "J. K. Rowling", not "C." in "vitamin C."."""
    if len(token) > 1 and token[1] != ".":
        return False  # what _INITIALS matches has a full stop second
    if not _INITIALS.fullmatch(token) or not token[0].isupper():
        return False
    if before is None:
        return True
    prev = before.lstrip(_LEADING)
    if _INITIAL.fullmatch(prev):
        return True  # a run of initials
    return prev[:1].isupper() and not prev.endswith((".", "?", "!", ",", ":", ";"))
