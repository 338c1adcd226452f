"""One display path for untrusted text: nothing in it can reach the terminal as a control.

Every C0/C1 control character, DEL and the bidi/format controls that can reorder or hide
text are replaced by a visible placeholder, one character for one, so that offsets into
the stored text are offsets into the displayed text too.  Markup is never interpreted
because callers wrap the result in ``rich.text.Text`` / ``Content``, never a markup string.
"""

from __future__ import annotations

import re

# Control Pictures block (U+2400..U+241F) gives each C0 control a visible, single-cell glyph.
_C0 = {i: chr(0x2400 + i) for i in range(0x20)}
_TABLE: dict[int, str] = {**_C0, 0x7F: "\u2421"}
for _cp in range(0x80, 0xA0):  # C1 controls, incl. CSI (0x9B) and OSC (0x9D)
    _TABLE[_cp] = "\ufffd"
# Bidi overrides/isolates and line/paragraph separators: shown, never obeyed.
for _cp in (0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029):
    _TABLE[_cp] = "\ufffd"

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def sanitize(text: str) -> str:
    """Return ``text`` with every unsafe character replaced by a visible one; same length."""
    if _UNSAFE.search(text) is None:
        return text
    return text.translate(_TABLE)


def sanitize_line(text: str) -> str:
    """For one-line contexts (titles, file names, messages): same as ``sanitize``."""
    return sanitize(text)
