"""Our own exports read back: ``--gold`` files and ``--format sentences`` rows.

A gold span says which reviewers chose its label (``votes``; a schema 2 unanimous span
names them in ``annotators``).  Those votes come back as the reviewers' labels, and an
adjudicated span as the final label chosen on them, so a gold file imported into a fresh
database gives the same gold again (its votes still stand, so no final label is stale).
A unanimous span gets no final label: there is nothing to decide.  Gold holds no times,
so everything is stamped early: in the database it came from, every real decision is
later and nothing changes.

A ``sentences`` row names its article by id (bare, or prefixed as schema 3 writes it,
``art_<hex>``); it is never an article of its own.  Nor is a one-sentence task of our
doccano-textcat or prodigy-textcat export, which names its article and the sentence's
offsets (doccano keeps them at the top level, Prodigy in ``meta``, through a round trip in
the tool too): its labels go back to that sentence.

A gold span or row has a ``source`` ("unanimous" or "adjudicated") and no ``annotator``; a
reviewer's label of schema 6 has both, ``source`` being its provenance (see
``annotator.provenance``), which comes back with it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from annotator import provenance
from annotator.formats.base import EARLY_STAMP, Context, Found, Loose, Proposed, is_int, iso_time

UNANIMOUS = "unanimous gold labels: {n}, the reviewers' own labels (kept as theirs; no final label)"
BAD_GOLD = "not a gold span (start, end, label, source, votes)"
BAD_ROW = "not a sentences row (start, end, label, annotator, updated_at)"
BAD_PROVENANCE = "provenance not sound (source \"\" or suggestion:<name>, score in 0..1, suggested <name>:<label>)"
BAD_REF = "article_id is not an article id of annotator"
_REF = re.compile(r"(?:.*_)?([0-9a-f]{16})")


def article_ref(ref: object) -> str | None:
    """The article id an export names: the bare 16-hex id, or any ``<prefix>_<hex>``."""
    m = _REF.fullmatch(ref) if isinstance(ref, str) else None
    return m.group(1) if m else None


def is_sentence_row(obj: dict[str, Any]) -> bool:
    return "schema_version" in obj and "article_id" in obj


def _gold_shape(d: dict[str, Any]) -> bool:
    """A gold span or row: a ``source`` and no ``annotator`` (a reviewer's label of schema 6
    has a ``source`` too: its provenance)."""
    return "source" in d and "annotator" not in d


def is_gold(obj: dict[str, Any]) -> bool:
    spans = obj.get("spans")
    return "schema_version" in obj and isinstance(spans, list) and any(
        isinstance(s, dict) and _gold_shape(s) for s in spans)


def _votes(span: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    votes = span.get("votes")
    if isinstance(votes, list) and votes:
        if all(isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in votes):
            return tuple((a, b) for a, b in votes)
        return None
    names = span.get("annotators")  # schema 2: a unanimous span has no votes; all chose its label
    if isinstance(names, list) and all(isinstance(a, str) for a in names) and span.get("source") == "unanimous":
        return tuple((a, span["label"]) for a in names)
    return None


def gold_span(span: object, ctx: Context, text: str | None = None) -> tuple[list[Proposed], list[str], list[str]]:
    """(labels, problems, notes) of one gold span."""
    d: dict[str, Any] = span if isinstance(span, dict) else {}
    start, end, label, source = d.get("start"), d.get("end"), d.get("label"), d.get("source")
    votes = _votes(d) if isinstance(label, str) else None
    if not (is_int(start) and is_int(end) and isinstance(label, str) and source in ("unanimous", "adjudicated")
            and votes is not None):
        return [], [BAD_GOLD], []
    labels = [Proposed(start, end, vote, who, EARLY_STAMP, file=ctx.file, exact=True, text=text)
              for who, vote in votes]
    if source == "unanimous":
        return labels, [], [UNANIMOUS]
    by, reason = d.get("by"), d.get("reason") or ""
    when = iso_time(d.get("updated_at")) or EARLY_STAMP
    if not isinstance(by, str) or not isinstance(reason, str):
        return labels, [BAD_GOLD], []
    final = Proposed(start, end, label, by, when, file=ctx.file, exact=True, text=text, final=True,
                     reason=reason, votes=votes)
    return [*labels, final], [], []


def gold(obj: dict[str, Any], ctx: Context) -> tuple[list[Proposed], list[str], list[str]]:
    labels: list[Proposed] = []
    problems: list[str] = []
    notes: list[str] = []
    for span in obj["spans"]:
        got = gold_span(span, ctx)
        labels += got[0]
        problems += got[1]
        notes += got[2]
    return labels, problems, notes


def sentence_row(obj: dict[str, Any], ctx: Context) -> Loose:
    ref = article_ref(obj.get("article_id"))
    row = Loose(ref or "", ctx.file)
    text = obj.get("text") if isinstance(obj.get("text"), str) else None
    if _gold_shape(obj):  # a row of `--gold --format sentences`
        row.labels, row.problems, row.notes = gold_span(obj, ctx, text)
    else:
        start, end, label, who, when, tick = (obj.get(k) for k in ("start", "end", "label", "annotator",
                                                                   "updated_at", "tick"))
        tick = 0 if tick is None else tick
        prov = provenance.read(obj, row=True)
        if not (is_int(start) and is_int(end) and isinstance(label, str) and isinstance(who, str)
                and isinstance(when, str) and is_int(tick) and 0 <= tick < 2**62):
            row.problems.append(BAD_ROW)
        elif prov is None:
            row.problems.append(BAD_PROVENANCE)
        else:
            row.labels.append(Proposed(start, end, label, who, when, tick, file=ctx.file, exact=True, text=text,
                                       source=prov[0], score=prov[1], suggested=prov[2]))
            note, flag = obj.get("note", ""), obj.get("flag", False)  # schema 6: the reviewer's note and flag
            if isinstance(note, str) and isinstance(flag, bool) and (note or flag):
                row.marks.append((start, end, who, note, flag))
    if ref is None:
        row.problems += [BAD_REF] * len(row.labels)
        row.labels, row.marks = [], []
    return row


def back_to_article(obj: dict[str, Any], found: Found, ctx: Context) -> Loose | None:
    """The labels of a one-sentence task that names its article and sentence, for that
    sentence; None for any other task (an article of its own, then)."""
    meta = obj.get("meta")
    src = obj if "article_id" in obj else meta if isinstance(meta, dict) else {}
    ref = article_ref(src.get("article_id"))
    start, end = src.get("start"), src.get("end")
    if ref is None or not (is_int(start) and is_int(end)) or not all(p.whole for p in found.labels):
        return None
    labels = [dataclasses.replace(p, start=start, end=end, whole=False, exact=True, text=found.text)
              for p in found.labels]
    return Loose(ref, ctx.file, labels, found.problems, found.notes)
