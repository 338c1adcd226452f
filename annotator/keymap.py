"""The apps' own keys, in one place (Textual-free), so a label scheme cannot take one.

A label's letter key must not be any of these; its digit comes from its place in the
scheme.  ``tests/test_keymap.py`` checks that every key the labeling and review screens
bind is listed here, so a new binding cannot clash with a project's label keys unseen.
Keys reserved for what is coming (split and merge, guidelines, suggestions, search) are
listed too, so a scheme made today does not break when they arrive.
"""

from __future__ import annotations

# key -> what it does (for the refusal message)
APP_KEYS: dict[str, str] = {
    "0": "skip",
    "x": "clear",
    "u": "undo",
    "U": "redo",
    "j": "next sentence",
    "k": "previous sentence",
    "n": "next article",
    "p": "previous article",
    "A": "agreement",
    "S": "stats",
    "?": "help",
    "r": "reason (review)",
    "s": "split a sentence",
    "m": "merge with the next sentence",
    "g": "guidelines",
    "h": "caret left (split mode)",
    "l": "caret right (split mode)",
    "a": "accept the suggestions on screen",
    "N": "note on the sentence",
    "f": "flag the sentence as unsure",
    "/": "search",
    ">": "next unlabeled sentence",
    "F": "next flagged sentence",
    "V": "filter the article list",
    "\\": "show or hide the article list",
}


def clash(key: str) -> str | None:
    """What the app does with ``key`` (None if a label may take it)."""
    return APP_KEYS.get(key)
