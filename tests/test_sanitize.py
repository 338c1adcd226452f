from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotator.sanitize import sanitize


def test_escape_sequences_become_visible_placeholders() -> None:
    hostile = "a\x1b[2Jb\x1b]0;pwned\x07c\x9b31m\u202eevil\x00"
    shown = sanitize(hostile)
    assert len(shown) == len(hostile)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in shown)
    assert shown.startswith("a␛[2Jb␛]0;pwned␇c")


def test_markup_is_left_alone() -> None:
    text = "[keyword]bitcoin[/keyword] [/] [@click=app.quit]x[/]"
    assert sanitize(text) == text


@given(st.text())
def test_never_changes_length_and_leaves_no_controls(text: str) -> None:
    shown = sanitize(text)
    assert len(shown) == len(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in shown)
