"""Which tool wrote a record, told by its keys, and its reader."""

from __future__ import annotations

from typing import Any

from annotator.formats import doccano, label_studio, prodigy
from annotator.formats.base import Context, Found


def foreign(obj: dict[str, Any], where: str, ctx: Context) -> Found | None:
    """The text and labels of a record another tool wrote; None for our own records and a
    plain ``{"text": ...}`` line (the importer reads those)."""
    if "schema_version" in obj:
        return None
    if label_studio.matches(obj):
        return label_studio.read(obj, label_studio.text_of(obj, where), ctx)
    text = obj.get("text")
    if not isinstance(text, str):
        return None  # the importer says what is wrong with it
    if doccano.matches(obj):
        return doccano.read(obj, text, ctx)
    if prodigy.matches(obj):
        return prodigy.read(obj, text, ctx)
    return None
