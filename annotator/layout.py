"""Wrapping an article into display lines for a given width (pure; no Textual).

Each sentence starts on its own display line and is word-wrapped to the width; a line
break in the text between two sentences becomes a blank line, so paragraphs stay
visible.  A display line is ``(sentence_index, start, end)`` in text offsets (``-1``
for a blank line), so the view renders straight from the stored text and a click maps
back to a sentence without any search through rendered text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len

from annotator.model import Span

_LINE_BREAK = re.compile("\r\n|[\n\r\u2028\u2029\x85\x0b\x0c]")
_WORD = re.compile(r"\S+\s*")

DisplayLine = tuple[int, int, int]


@dataclass(slots=True)
class Layout:
    width: int
    lines: list[DisplayLine]
    first_line: list[int]  # per sentence: index of its first display line
    line_count: list[int]  # per sentence: how many display lines it takes

    def sentence_at(self, y: int) -> int:
        """The sentence shown on display line ``y``; a blank line maps to the sentence after it."""
        if not self.lines:
            return -1
        y = max(0, min(y, len(self.lines) - 1))
        sid = self.lines[y][0]
        while sid < 0 and y + 1 < len(self.lines):
            y += 1
            sid = self.lines[y][0]
        if sid < 0:  # trailing blank lines: the last sentence
            return len(self.first_line) - 1
        return sid


def _hard_split(text: str, start: int, end: int, width: int, out: list[tuple[int, int]]) -> None:
    """A word wider than the line: cut it by cells (wide characters never straddle a cut)."""
    if text[start:end].isascii():
        for s in range(start, end, width):
            out.append((s, min(s + width, end)))
        return
    s = start
    cells = 0
    for i in range(start, end):
        w = cell_len(text[i])
        if cells + w > width and i > s:
            out.append((s, i))
            s, cells = i, 0
        cells += w
    out.append((s, end))


def wrap_piece(text: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``text[start:end]`` (no line breaks inside) to ``width`` cells."""
    piece = text[start:end]
    if len(piece) <= width and (piece.isascii() or cell_len(piece) <= width):
        return [(start, end)]
    if (piece.isprintable() if piece.isascii() else _single_cells(piece)):  # printable ASCII: " " is its only space
        fast = _wrap_simple(text, start, end, start + len(piece.rstrip()), width)
        if fast is not None:
            return fast
    return _wrap_words(text, start, end, width)


# Characters known to take exactly one cell and not to be whitespace (" " aside): with only
# these, a character count is a cell count and words are split by " " alone.
_ONE_CELL: set[str] = {chr(c) for c in range(0x20, 0x7F)}
_NOT_ONE_CELL: set[str] = set()


def _single_cells(piece: str) -> bool:
    if _ONE_CELL.issuperset(piece):
        return True
    for ch in set(piece).difference(_ONE_CELL):
        if ch in _NOT_ONE_CELL:
            return False
        if ch.isspace() or cell_len(ch) != 1:
            _NOT_ONE_CELL.add(ch)
            return False
        if len(_ONE_CELL) < 65_536:
            _ONE_CELL.add(ch)
    return True


def _wrap_simple(text: str, start: int, end: int, stripped_end: int, width: int) -> list[tuple[int, int]] | None:
    """The common case, a line at a time instead of a word at a time: every character one
    cell wide and the only whitespace " ".  Gives exactly what ``_wrap_words`` gives; None if
    a word is wider than the line (that needs its hard split)."""
    if stripped_end == start:
        return None
    origin = start  # where the line's counted cells start: its first word
    while text[origin] == " ":
        origin += 1
    out: list[tuple[int, int]] = []
    line_start = start
    find_space = text.rfind
    while stripped_end - origin > width:
        cut = find_space(" ", origin, origin + width + 1)  # the last space within the width
        if cut < 0:
            return None  # the line's first word alone is too wide
        nxt = cut + 1
        while text[nxt] == " ":
            nxt += 1
        out.append((line_start, nxt))
        line_start = origin = nxt
    out.append((line_start, end))
    return out


def _wrap_words(text: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    """The general case: any characters, widths in cells, words wider than the line cut."""
    piece = text[start:end]
    out: list[tuple[int, int]] = []
    line_start = start
    cells = 0
    for m in _WORD.finditer(piece):
        ws, we = start + m.start(), start + m.end()
        word = m.group()
        stripped = word.rstrip()
        w_cells = len(stripped) if stripped.isascii() else cell_len(stripped)
        if cells and cells + w_cells > width:
            out.append((line_start, ws))
            line_start, cells = ws, 0
        if w_cells > width:
            if line_start < ws:  # whatever precedes the long word keeps its own line
                out.append((line_start, ws))
            _hard_split(text, ws, ws + len(stripped), width, out)
            line_start = ws + len(stripped)
            cells = 0
            if line_start < we:
                cells = we - line_start
            continue
        cells += len(word) if word.isascii() else cell_len(word)
    if line_start < end or not out:
        out.append((line_start, end))
    # A whitespace-only tail (after a hard split) is not worth a line of its own.
    return [(s, e) for s, e in out if text[s:e].strip()] or [(start, end)]


def wrap_article(
    text: str,
    sentences: Sequence[Span],
    width: int,
    display: str | None = None,
    *,
    shown_as: Callable[[str], str] | None = None,
) -> Layout:
    """``display`` is the text as shown (same length, e.g. sanitised): widths are measured
    on it, because an invisible character shown as a visible placeholder takes a cell.

    Or ``shown_as`` gives a piece of the text as shown, same length (``sanitize``): then
    only the sentences that need it are made so, not the whole text (printable ASCII, most
    of an article, is shown as it is by any such function, and takes the fast path below).
    """
    width = max(width, 1)
    shown = text if display is None else display
    assert len(shown) == len(text)
    lines: list[DisplayLine] = []
    first_line: list[int] = []
    line_count: list[int] = []
    prev_end = 0
    find_break = _LINE_BREAK.search
    rfind = text.rfind
    same = shown is text
    for sid, span in enumerate(sentences):
        start, end = span.start, span.end
        if sid and find_break(text, prev_end, start):
            lines.append((-1, prev_end, prev_end))
        first = len(lines)
        first_line.append(first)
        prev_end = end
        piece = text[start:end]
        # The common case, tested at C speed: printable ASCII holds no line break, takes one
        # cell a character and has " " as its only space.
        if piece.isascii() and piece.isprintable() and (same or shown[start:end] == piece):
            if end - start <= width:
                lines.append((sid, start, end))
                line_count.append(1)
                continue
            # _wrap_simple, inline (it runs for most sentences of an article):
            stripped_end = start + len(piece.rstrip())
            if stripped_end > start:
                origin = start  # where the line's counted cells start: its first word
                while text[origin] == " ":
                    origin += 1
                line_start = start
                while stripped_end - origin > width:
                    cut = rfind(" ", origin, origin + width + 1)  # the last space within the width
                    if cut < 0:
                        break  # the line's first word alone is too wide
                    nxt = cut + 1
                    while text[nxt] == " ":
                        nxt += 1
                    lines.append((sid, line_start, nxt))
                    line_start = origin = nxt
                else:
                    lines.append((sid, line_start, end))
                    line_count.append(len(lines) - first)
                    continue
                del lines[first:]
            lines += [(sid, s, e) for s, e in wrap_piece(shown, start, end, width)]
            line_count.append(len(lines) - first)
            continue
        if shown_as is None:
            measured, base = shown, 0
        else:  # the sentence alone, as shown: offsets in it are less ``base``
            measured, base = shown_as(piece), start
            assert len(measured) == len(piece)
        if find_break(text, start, end) is None:
            lines += [(sid, base + s, base + e) for s, e in wrap_piece(measured, start - base, end - base, width)]
            line_count.append(len(lines) - first)
            continue
        pos = start
        for m in _LINE_BREAK.finditer(text, start, end):
            if text[pos:m.start()].strip():
                lines += [(sid, base + s, base + e) for s, e in wrap_piece(measured, pos - base, m.start() - base, width)]
            pos = m.end()
        if text[pos:end].strip() or len(lines) == first:
            lines += [(sid, base + s, base + e) for s, e in wrap_piece(measured, pos - base, end - base, width)]
        line_count.append(len(lines) - first)
    return Layout(width, lines, first_line, line_count)
