"""The sentence segmentation as ``annotator/segment.py`` had it before issue 12 made it
faster (commit 8d96b03): its code, verbatim, under this docstring (the module docstring is
the package's, which still holds).  It is the reference the package's ``segment`` must
equal, span for span: ``tests/test_segment_reference.py`` compares the two on the whole
``bench_import`` corpus and on random texts.  Not part of the package.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import sentencex  # ships no py.typed

__all__ = ["segment"]

# Line breaks as str.splitlines sees them (it also counts \x1c-\x1e).
_LINE = re.compile(r"[^\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")

_DOUBLE_QUOTES = '"“”„‟«»〝〞〟＂'
_SINGLE_QUOTES = "‘’‚‛‹›"
# Marks that, when context does not tell, open (the rest close).
_OPENERS = frozenset("“„‟«〝‘‚‛‹")
_OPEN_BEFORE = frozenset("([{<-–—/")
_QUOTES = re.compile(f"[{re.escape(_DOUBLE_QUOTES + _SINGLE_QUOTES)}]")
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


def segment(text: str, language: str = "id") -> list[tuple[int, int]]:
    """Half-open [start, end) code-point offsets of the sentences of `text`, in order."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        offset = line.start()
        spans.extend((offset + a, offset + b) for a, b in _segment_line(line.group(), language))
    return spans


def _segment_line(line: str, language: str) -> Iterator[tuple[int, int]]:
    if line.isspace():
        return
    pieces = [p for p in (_trim(line, a, b) for a, b in _pieces(line, language)) if p]
    if not pieces:
        return
    quotes = sorted(_quotations(line))
    next_quote = 0
    reach = -1  # the furthest closing mark of the quotations opened so far
    start, end = pieces[0]
    wordy = _has_alnum(line, start, end)
    for nstart, nend in pieces[1:]:
        while next_quote < len(quotes) and quotes[next_quote][0] < end:
            reach = max(reach, quotes[next_quote][1])
            next_quote += 1
        right = line[nstart:nend]
        right_wordy = _has_alnum(line, nstart, nend)
        if not wordy or not right_wordy or reach >= nstart or _continues(line, start, end, right):
            end = nend
            wordy = wordy or right_wordy
        else:
            yield start, end
            start, end, wordy = nstart, nend, right_wordy
    yield start, end


def _pieces(line: str, language: str) -> list[tuple[int, int]]:
    """sentencex's split of `line` as a partition of range(len(line))."""
    masked = line.translate(_MASK)
    try:
        cuts = _sentencex_cuts(masked, language)
    except BaseException as exc:
        # A sentencex bug must not lose the user's import; a Rust panic arrives as
        # pyo3's PanicException, which is not an Exception.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        cuts = [m.end() for m in _FALLBACK_CUT.finditer(masked)]
    cuts = sorted({*cuts, *(m.end() for m in _FINAL_CUT.finditer(masked))})
    edges = [0]
    for cut in cuts:
        if not edges[-1] < cut < len(line):
            continue
        # Masked quote marks sat in the gap as spaces, so sentencex may have put an
        # opening mark on the left; cut after the gap's last real space instead.
        gap = cut
        while gap > edges[-1] and (line[gap - 1].isspace() or line[gap - 1] in _MARKS):
            gap -= 1
        last_space = max((i for i in range(gap, cut) if line[i].isspace()), default=-1)
        cut = last_space + 1 if last_space >= 0 else cut
        if cut > edges[-1]:
            edges.append(cut)
    edges.append(len(line))
    return list(zip(edges, edges[1:]))


def _sentencex_cuts(masked: str, language: str) -> list[int]:
    """Where sentencex starts a new sentence in `masked`, fed to it window by window.

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
            return cuts
        if kept:
            pos = trusted = kept[-1]
        else:
            pos, trusted = stop - 2 * _MARGIN, stop - _MARGIN


def _trim(line: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _quotations(line: str) -> list[tuple[int, int]]:
    """[open, close] positions of the quote pairs on `line`, double and single apart.

    Whether a mark opens or closes is read from its neighbours first (space before and
    a word after opens), so “...", "...” and „...“ all pair up.  A second opening mark
    forgets an unclosed first one, and a mark with no partner on the line pairs with
    nothing, so a stray quote cannot hold a whole paragraph together.
    """
    pairs: list[tuple[int, int]] = []
    open_at: dict[bool, int | None] = {True: None, False: None}
    for m in _QUOTES.finditer(line):
        i, mark = m.start(), m.group()
        double = mark in _DOUBLE_QUOTES
        before = line[i - 1] if i else " "
        after = line[i + 1] if i + 1 < len(line) else " "
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
        elif closes and (start := open_at[double]) is not None:
            open_at[double] = None
            if i - start <= _MAX_QUOTE:
                pairs.append((start, i))
    return pairs


def _has_alnum(line: str, start: int, end: int) -> bool:
    # A piece with no letter or digit (a lone "”", "...", an emoji) is no sentence.
    return any(line[i].isalnum() for i in range(start, end))


def _continues(line: str, start: int, end: int, right: str) -> bool:
    """Whether `right` goes on the sentence line[start:end] rather than starting one."""
    if right[0].islower():
        return True  # "...?” tanya dia", "approx. five": a sentence starts upper-case
    # Only the tail of the left side matters; slicing all of it would be quadratic on a
    # long line that merges piece after piece.
    tail = line[max(start, end - 200) : end]
    words = tail.split()
    last = words[-1].lstrip(_LEADING)
    if last.endswith("."):
        token = last[:-1]
        if token in _ABBREVIATIONS:
            return True
        if token in _FINAL_ABBREVIATIONS:
            first = _WORD.search(right)
            return first is None or first.group() not in _STARTERS
        if token in _TIME_ABBREVIATIONS:
            first = _WORD.search(right)
            return right[0] == "(" or (first is not None and first.group() in _TIME_CONTINUATIONS)
        if _is_initial(token, words[-2] if len(words) > 1 else None):
            return True
    if line[start] in _MARKS and tail[-1] in _MARKS and tail[:-1].rstrip()[-1:] in (".", "?", "!", "…"):
        # Only for a piece that is all quotation: in 'called it “a disaster.” Trump
        # said ...' the quote ends a sentence of its own.
        head = itertools.islice(_WORD.finditer(right), _ATTRIBUTION_WINDOW)
        return any(w.group().lower() in _ATTRIBUTION_VERBS for w in head)
    return False


def _is_initial(token: str, before: str | None) -> bool:
    """"J." in "Donald J. Trump" or "J. K. Rowling", not "C." in "vitamin C."."""
    if not re.fullmatch(r"(?:[^\W\d_]\.)*[^\W\d_]", token) or not token[0].isupper():
        return False
    if before is None:
        return True
    prev = before.lstrip(_LEADING)
    if re.fullmatch(r"[^\W\d_]\.", prev):
        return True  # a run of initials
    return prev[:1].isupper() and not prev.endswith((".", "?", "!", ",", ":", ";"))
