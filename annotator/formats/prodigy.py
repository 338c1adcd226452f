"""Prodigy JSONL (``prodigy db-out``): spans, textcat and choice tasks.

Spans: ``"spans": [{"start", "end", "label"}]`` (``tokens`` optional: a span given only by
``token_start``/``token_end`` is placed with them).  Textcat: ``"label": "name"``, a label
for the whole text.  Choice: ``"options": [{"id", "text"}]`` and ``"accept": [ids]``.
``answer``: ``accept`` (or none) keeps the labels, ``reject`` means the label does not
apply (no label; counted), ``ignore`` skips the task (counted).

The reviewer is ``_annotator_id`` (else ``_session_id``), which Prodigy writes as
``<dataset>-<session>``: the name is what follows the last hyphen, so ``news_ner-ana``
and ``news-ner-ana`` are both ``ana``, the same person in every file.  A session with no
name (a timestamp, ``2024-03-01_10-11-12``) names no one: the importing reviewer.  Our own
Prodigy export names sessions ``annotator-<reviewer>``: that prefix is taken off whole, so
a name with a hyphen comes back as it was.  Its provenance (``source``, ``score``,
``suggested``) comes back from each span, or from a choice task's ``meta``.
"""

from __future__ import annotations

import re
from typing import Any

from annotator.formats.base import (
    EARLY_STAMP,
    Context,
    Found,
    Proposed,
    epoch_time,
    is_int,
    trio,
    whole_text,
    with_provenance,
)

KEYS = frozenset({"spans", "tokens", "label", "accept", "options", "answer", "_annotator_id", "_session_id",
                  "_timestamp"})
REJECTED = "rejected in Prodigy: {n} task(s), no label"
IGNORED = "ignored in Prodigy: {n} task(s), skipped"
BAD_SPAN = "not a Prodigy span (start, end and label)"
_UNNAMED_SESSION = re.compile(r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}$")
OUR_SESSION = "annotator-"  # the dataset name `annotator export --format prodigy` writes


def matches(obj: dict[str, Any]) -> bool:
    """A Prodigy task: an answer or a session, a choice, or spans without our own keys.  A
    bare ``label`` string is not enough (a plain dataset may have a category by that name):
    Prodigy writes ``answer`` on every annotated task."""
    if any(k in obj for k in ("answer", "_annotator_id", "_session_id", "accept")):
        return True
    spans = obj.get("spans")
    # Our own spans carry annotator and updated_at; a spans file without them is Prodigy's.
    return isinstance(spans, list) and not all(
        isinstance(s, dict) and "annotator" in s and "updated_at" in s for s in spans)


def reviewer(obj: dict[str, Any], default: str) -> str:
    raw = obj.get("_annotator_id") or obj.get("_session_id")
    if not isinstance(raw, str) or not raw or _UNNAMED_SESSION.search(raw):
        return default
    if raw.startswith(OUR_SESSION) and len(raw) > len(OUR_SESSION):
        return raw[len(OUR_SESSION):]
    tail = raw.rpartition("-")[2]
    return tail if tail and not tail.isdigit() else raw


def _span(s: object, tokens: object) -> tuple[int, int, str, str | None] | None:
    if not isinstance(s, dict) or not isinstance(s.get("label"), str):
        return None
    start, end = s.get("start"), s.get("end")
    if not (is_int(start) and is_int(end)) and isinstance(tokens, list):
        ts, te = s.get("token_start"), s.get("token_end")
        if is_int(ts) and is_int(te) and 0 <= ts <= te < len(tokens):
            first, last = tokens[ts], tokens[te]
            if isinstance(first, dict) and isinstance(last, dict):
                start, end = first.get("start"), last.get("end")
    if not (is_int(start) and is_int(end)):
        return None
    text = s.get("text")
    return start, end, s["label"], text if isinstance(text, str) else None


def _choices(obj: dict[str, Any]) -> list[str]:
    """The accepted options' names: an option's id when it is a name, else its text."""
    accepted = obj.get("accept")
    if not isinstance(accepted, list):
        return []
    texts = {o.get("id"): o.get("text") for o in obj.get("options") or [] if isinstance(o, dict)}
    out = []
    for a in accepted:
        name = a if isinstance(a, str) else texts.get(a)
        out.append(name if isinstance(name, str) else str(a))
    return out


def read(obj: dict[str, Any], text: str, ctx: Context) -> Found:
    found = Found(text, consumed=KEYS)
    answer = obj.get("answer", "accept")
    if answer == "reject":
        found.notes.append(REJECTED)
        return found
    if answer == "ignore":
        found.notes.append(IGNORED)
        return found
    who = reviewer(obj, ctx.reviewer)
    when = epoch_time(obj.get("_timestamp")) or EARLY_STAMP
    spans = obj.get("spans")
    for s in spans if isinstance(spans, list) else ():
        got = _span(s, obj.get("tokens"))
        if got is None:
            found.problems.append(BAD_SPAN)
            continue
        start, end, label, said = got
        found.labels.append(with_provenance(Proposed(start, end, label, who, when, file=ctx.file, text=said),
                                            trio(s)))
    whole = trio(obj.get("meta"))
    if isinstance(obj.get("label"), str):
        found.labels.append(with_provenance(whole_text(text, obj["label"], who, when, ctx), whole))
    found.labels.extend(with_provenance(whole_text(text, name, who, when, ctx), whole) for name in _choices(obj))
    if answer != "accept":
        found.problems.extend(f"answer \"{str(answer)[:20]}\", not accept, reject or ignore" for _ in found.labels)
        found.labels.clear()
    return found
