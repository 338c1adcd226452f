"""One display path for untrusted text: nothing in it can reach the terminal as a control.

Every character that could act on a terminal, reorder or hide text, or make the terminal
draw a different width than Rich measures is replaced by a visible placeholder, one
character for one, so that offsets into the stored text are offsets into the displayed
text too.  Markup is never interpreted because callers wrap the result in
``rich.text.Text`` / ``Content``, never a markup string.

Replaced (measured against tmux 3.3a / glibc ``wcwidth`` and Rich's ``cell_len``):

- C0 controls and DEL: their Control Pictures glyph (``␛``, ``␀``, ``␡``, ...);
- everything below with ``�`` (U+FFFD):
  - C1 controls (incl. CSI U+009B, OSC U+009D) and lone surrogates (file names that are
    not UTF-8 arrive as ``\\udcXX``; printing one raises ``UnicodeEncodeError``);
  - every format character (category Cf): bidi marks, embeddings, overrides and
    isolates, U+061C, zero-width space/joiners, U+FEFF, soft hyphen, tag characters, ...;
  - line and paragraph separators (U+2028, U+2029);
  - variation selectors and emoji skin-tone modifiers (Rich and terminals disagree on
    the width of the sequences they form: ``❤️`` is 2 cells to Rich, 1 in tmux);
  - the invisible Hangul fillers (U+115F, U+1160, U+3164, U+FFA0: Rich says 0 cells,
    terminals draw 1 or 2);
  - code points unassigned in this Python's Unicode database (Rich guesses 1 or 2
    cells, tmux draws 0).

What stays: letters of every script, combining marks (0 cells in both), wide CJK and
emoji (2 cells in both), private-use characters, and spaces.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

PLACEHOLDER = "\ufffd"

# Printable (str.isprintable) yet unsafe for width: variation selectors (Mongolian ones
# too), emoji skin-tone modifiers, Hangul fillers.
_PRINTABLE_UNSAFE_BMP = "\u115f\u1160\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0"
_PRINTABLE_UNSAFE_CLASS = _PRINTABLE_UNSAFE_BMP + "\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef"
_PRINTABLE_UNSAFE = re.compile(f"[{_PRINTABLE_UNSAFE_CLASS}]")
_ASCII_UNSAFE = re.compile("[\x00-\x1f\x7f]")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})


def _placeholder(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)  # Control Pictures: one visible, single-cell glyph per C0 control
    if cp == 0x7F:
        return "\u2421"
    return PLACEHOLDER


def _replace(match: re.Match[str]) -> str:
    ch = match.group()
    if ch >= "\U00010000" and not _astral_unsafe(ord(ch)):
        return ch  # the pattern matches every astral character; see ``_build_unsafe``
    return _placeholder(ch)


# Unsafe code points above the BMP, as sorted (first, last) ranges; filled by ``_build_unsafe``.
_ASTRAL: list[tuple[int, int]] = []


def _astral_unsafe(cp: int) -> bool:
    i = bisect.bisect_right(_ASTRAL, (cp, 0x10FFFF)) - 1
    return i >= 0 and _ASTRAL[i][0] <= cp <= _ASTRAL[i][1]


def _build_unsafe() -> re.Pattern[str]:
    """Every unsafe BMP character, and every character above the BMP, from the running
    Unicode database.

    ``re`` tests a class of BMP characters with one table lookup, but a class holding
    characters above the BMP with a walk through all its ranges (40 times slower on an
    article), so those are all matched and ``_replace`` keeps the safe ones (they are rare
    in text: emoji, historic scripts).  Planes 0-3 and 14 are scanned; planes 4-13 hold no
    assigned character in any Unicode version so far, so they are taken whole (a future
    assignment there is shown as a placeholder: safe); planes 15-16 are private use, safe
    but for their last two code points.  Built once, on first use, so commands that print
    only plain ASCII never pay for it.
    """
    category = unicodedata.category
    ranges: list[tuple[int, int]] = []

    def add(cp: int, last: int | None = None) -> None:
        last = cp if last is None else last
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((cp, last))

    for lo, hi in ((0, 0x40000), (0xE0000, 0xF0000)):
        if lo == 0xE0000:
            add(0x40000, 0xDFFFF)
        for cp in range(lo, hi):
            if category(chr(cp)) in _UNSAFE_CATEGORIES:
                add(cp)
    for cp in (0xFFFFE, 0xFFFFF, 0x10FFFE, 0x10FFFF):
        add(cp)
    for cp in (0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF, *range(0xE0100, 0xE01F0)):
        ranges.append((cp, cp))
    _ASTRAL[:] = sorted((max(a, 0x10000), b) for a, b in ranges if b >= 0x10000)

    def esc(cp: int) -> str:
        return f"\\u{cp:04x}"

    bmp = "".join(esc(a) if a == b else f"{esc(a)}-{esc(min(b, 0xFFFF))}" for a, b in ranges if a <= 0xFFFF)
    return re.compile(f"[{bmp}{_PRINTABLE_UNSAFE_BMP}\\U00010000-\\U0010ffff]")


_unsafe: re.Pattern[str] | None = None


def unsafe_pattern() -> re.Pattern[str]:
    """A regular expression matching every character ``sanitize`` replaces (and, to stay
    fast, every other character above the BMP: ``sanitize`` of a match gives the match
    back when it is safe)."""
    global _unsafe
    if _unsafe is None:
        _unsafe = _build_unsafe()
    return _unsafe


def __getattr__(name: str) -> re.Pattern[str]:
    # ``_UNSAFE`` (used by the article view) is built lazily: see ``_build_unsafe``.
    if name == "_UNSAFE":
        return unsafe_pattern()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sanitize(text: str) -> str:
    """Return ``text`` with every unsafe character replaced by a visible one; same length."""
    if text.isprintable():  # C speed; false for every C*, Z* (but " ") character
        if _PRINTABLE_UNSAFE.search(text) is None:
            return text
        return _PRINTABLE_UNSAFE.sub(PLACEHOLDER, text)  # every one of them is unsafe
    if text.isascii():
        return _ASCII_UNSAFE.sub(_replace, text)
    return unsafe_pattern().sub(_replace, text)


def sanitize_line(text: str) -> str:
    """For one-line contexts (titles, file names, messages): same as ``sanitize``."""
    return sanitize(text)


def sanitize_text(text: str) -> str:
    """For many-line contexts (guidelines): each line as ``sanitize`` makes it, the line
    breaks kept (any kind becomes ``\n``)."""
    return "\n".join(sanitize(line) for line in text.splitlines())


def is_unsafe(ch: str) -> bool:
    """True for a character ``sanitize`` replaces (for tests and callers that check one char)."""
    return sanitize(ch) != ch

