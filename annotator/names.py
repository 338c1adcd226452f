"""The one rule for names people type: a reviewer's name (``--annotator``), later label names.

A name is stored on every label, shown in the status bar, in ``stats`` and in reports,
and written to every export.  So it must be something a person can read and type again:
printable characters only (no ESC, newline, tab, DEL, C1 controls, invisible format
characters), no whitespace at either end, and at most ``MAX_NAME_CHARS`` characters.
"""

from __future__ import annotations

import re

from annotator.errors import InputError
from annotator.sanitize import sanitize_line

MAX_NAME_CHARS = 64
_SHOWN_CHARS = 24  # of a refused name, in the message
_SURROGATE = re.compile("[\ud800-\udfff]")


def _shown(value: str) -> str:
    """The name for one line of a message: quoted (so spaces at the ends show), controls made
    visible, bytes that are not UTF-8 as ``\\xNN``, and cut short when long."""
    cut = value[:_SHOWN_CHARS]
    cut = _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if "\udc80" <= m.group() <= "\udcff"
                         else f"\\u{ord(m.group()):04x}", cut)
    more = "…" if len(value) > _SHOWN_CHARS else ""
    return f"\"{sanitize_line(cut)}{more}\""


def check_name(value: str, what: str, hint: str = "use another name") -> str:
    """``value`` unchanged when it is a usable name; else an InputError in one line.

    ``what`` says where the name came from (``--annotator``, ``ANNOTATOR``, ``your login
    name``), ``hint`` what to do about it.  The message begins ``<what> "<name>": ``.
    """
    if not value:
        raise InputError(f"{what} is empty; {hint}")

    def refuse(problem: str) -> InputError:
        return InputError(f"{what} {_shown(value)}: {problem}; {hint}")

    if len(value) > MAX_NAME_CHARS:
        raise refuse(f"the name is {len(value)} characters long, over the {MAX_NAME_CHARS} allowed")
    m = _SURROGATE.search(value)
    if m is not None:
        raise refuse(f"the name is not valid UTF-8 (character {m.start() + 1}), so it cannot be saved")
    if value != value.strip():
        raise refuse("the name begins or ends with whitespace")
    if not value.isprintable():
        n, ch = next((i, c) for i, c in enumerate(value) if not c.isprintable())
        raise refuse(f"the name holds a control or invisible character (U+{ord(ch):04X}, character {n + 1}); "
                     f"names must be printable")
    return value


def is_name(value: object) -> bool:
    """Whether ``value`` passes :func:`check_name` (for records read from files: skipped, and
    counted, when it does not)."""
    if not isinstance(value, str):
        return False
    try:
        check_name(value, "name")
    except InputError:
        return False
    return True
