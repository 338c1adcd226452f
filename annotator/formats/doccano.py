"""doccano JSONL exports (1.x): sequence labeling, text classification, and both with relations.

Sequence labeling: ``{"id": 1, "text": "...", "label": [[start, end, "name"], ...]}``;
text classification: ``"label": ["name", ...]`` (a label for the whole text); the relation
and intent layouts: ``"entities": [{"start_offset", "end_offset", "label"}]`` and
``"cats": ["name"]``.  doccano 1.8 writes no reviewer and no time (its non-collaborative
export is one file per user, named after them, which a rename loses), so labels are the
importing reviewer's unless a ``user`` (or ``annotator``, as our own doccano export
writes it) is given, and stamped early.  Our own export's metadata gives each label's
provenance back: a ``provenance`` list of spans, or (one sentence per row) ``source``,
``score`` and ``suggested``.
"""

from __future__ import annotations

from typing import Any

from annotator.formats.base import (
    EARLY_STAMP,
    Context,
    Found,
    Proposed,
    is_int,
    marks,
    trio,
    whole_text,
    with_provenance,
)
from annotator.provenance import PROVENANCE_KEYS

KEYS = frozenset({"label", "entities", "cats", "relations", "user", "annotator"})
BAD_LABEL = "not a doccano label ([start, end, name] or a name)"
RELATION = "a doccano relation between spans, not a sentence label"


def matches(obj: dict[str, Any]) -> bool:
    """A doccano row: ``label`` a list (Prodigy's is a string), or the relation/intent layouts."""
    return "spans" not in obj and "answer" not in obj and any(
        isinstance(obj.get(k), list) for k in ("label", "entities", "cats"))


def _user(value: object, default: str) -> str:
    if isinstance(value, str) and value:
        return value
    if is_int(value):
        return f"doccano-user-{value}"
    return default


def read(obj: dict[str, Any], text: str, ctx: Context) -> Found:
    found = Found(text, consumed=KEYS)
    who = _user(obj.get("user"), _user(obj.get("annotator"), ctx.reviewer))
    items: list[Any] = [x for k in ("label", "entities", "cats") if isinstance(obj.get(k), list) for x in obj[k]]
    for x in items:
        if isinstance(x, str):
            found.labels.append(whole_text(text, x, who, EARLY_STAMP, ctx))
        elif isinstance(x, list) and len(x) == 3 and is_int(x[0]) and is_int(x[1]) and isinstance(x[2], str):
            found.labels.append(Proposed(x[0], x[1], x[2], who, EARLY_STAMP, file=ctx.file))
        elif (isinstance(x, dict) and is_int(x.get("start_offset")) and is_int(x.get("end_offset"))
              and isinstance(x.get("label"), str)):
            found.labels.append(Proposed(x["start_offset"], x["end_offset"], x["label"], _user(x.get("user"), who),
                                         EARLY_STAMP, file=ctx.file))
        else:
            found.problems.append(BAD_LABEL)
    relations = obj.get("relations")
    if isinstance(relations, list):
        found.problems.extend(RELATION for _ in relations)
    by_span, whole = marks(obj.get("provenance")), trio(obj)
    if by_span is not None:
        found.consumed = found.consumed | {"provenance"}
        found.labels = [with_provenance(p, by_span.get((p.start, p.end))) for p in found.labels]
    if whole is not None:
        found.consumed = found.consumed | set(PROVENANCE_KEYS)
        found.labels = [with_provenance(p, whole) if p.whole else p for p in found.labels]
    return found
