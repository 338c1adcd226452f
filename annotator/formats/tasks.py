"""Exports for the labeling tools people move work to: doccano, Prodigy and Label Studio.

Each takes the same input, one :class:`Task` per article and reviewer (``--gold``: per
article, reviewer ``gold``), and writes the tool's own import shape:

- ``doccano``: sequence labeling JSONL, ``{"text", "label": [[start, end, name]]}``;
  ``doccano-textcat``: one line per labeled sentence, ``{"text", "label": [name]}``.
- ``prodigy``: a task per article and reviewer with ``tokens`` and ``spans`` (token indices
  included, so ``ner_manual``/``spans_manual`` show them), ``answer``, ``_annotator_id``
  and ``_session_id`` (``annotator-<reviewer>``); ``prodigy-textcat``: a choice task per
  labeled sentence (``options``, ``accept``).
- ``label-studio``: a JSON array of tasks, ``data.text`` and one annotation per reviewer
  whose ``result`` items are ``labels`` regions; gold goes in ``predictions``
  (``model_version: "gold"``), so a reviewer in Label Studio can accept or fix it.
  ``label-studio-config`` prints the labeling config XML that project needs.

Every offset is the article's own (code points), so ``text[start:end]`` is the sentence.
The reviewers' names and the article ids travel in each tool's metadata place, and so does
each label's provenance (``source``, ``score``, ``suggested``; see ``annotator.provenance``):
in each Prodigy span, in a textcat task's ``meta`` (doccano: its top-level metadata), in a
doccano row's ``provenance`` list; Label Studio marks a result from an accepted suggestion
``origin: "prediction"`` with its ``score`` (the others ``"manual"``), and ``data.provenance``
keeps all three per annotation.  Gold has none.

A reviewer's notes and flags ("unsure") go where each tool keeps such things, on a task
that has any: doccano's ``Comments`` (its export's list of comment texts; ``start-end:``
names the sentence, ``[unsure]`` a flag); Prodigy's ``meta`` (``notes``; a textcat task
``note`` and ``flag``) and its own ``flagged``; Label Studio per-region results of the
config's ``note`` (a ``textarea``) and ``flag`` (``choices``: ``unsure``) on the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from annotator.model import Article, export_id
from annotator.provenance import NONE, Provenance, suggester

GOLD = "gold"
# Words and single punctuation marks; a token never crosses a sentence boundary (cut there).
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Task:
    """One article's labels by one reviewer (or ``gold``): (start, end, label) per sentence."""

    article: Article
    spans: tuple[tuple[int, int, str], ...]
    who: str
    # Each span's provenance, in the same order; () for gold, which has none.
    provenance: tuple[Provenance, ...] = ()
    notes: tuple[tuple[int, int, str, bool], ...] = ()  # (start, end, note, flag) of the reviewer's notes and flags

    def marked(self) -> list[tuple[int, int, Provenance]]:
        """(start, end, provenance) of each span that has any."""
        return [(s, e, p) for (s, e, _), p in zip(self.spans, self.provenance) if p != NONE]

    def trio(self, i: int) -> dict[str, Any]:
        """Span ``i``'s provenance as three keys, for a task of one sentence; {} for gold."""
        if not self.provenance:
            return {}
        source, score, suggested = self.provenance[i]
        return {"source": source, "score": score, "suggested": suggested}

    def marks(self) -> dict[tuple[int, int], tuple[str, bool]]:
        return {(s, e): (note, flag) for s, e, note, flag in self.notes}


def _entries(task: Task) -> list[dict[str, Any]]:
    return [{"start": s, "end": e, "source": p[0], "score": p[1], "suggested": p[2]} for s, e, p in task.marked()]


NOTE_FIELD = "note"  # Label Studio: the per-region textarea of the labeling config
FLAG_FIELD = "flag"  # and the per-region choices, with one choice
FLAG_CHOICE = "unsure"


def comment(note: str, flag: bool, span: tuple[int, int] | None = None) -> str:
    """A note and flag as one comment text: ``[unsure] note``, after ``start-end: `` when the
    comment belongs to a whole text of many sentences."""
    body = " ".join(x for x in (f"[{FLAG_CHOICE}]" if flag else "", note) if x)
    return f"{span[0]}-{span[1]}: {body}" if span is not None else body


def _line(obj: Any) -> bytes:
    from annotator.export import json_escape_unsafe

    return json_escape_unsafe(orjson.dumps(obj)) + b"\n"


def _meta(task: Task, **more: Any) -> dict[str, Any]:
    return {"article_id": export_id(task.article.id), "annotator": task.who, **more}


# ----------------------------------------------------------------------------- doccano


def doccano(tasks: Iterable[Task]) -> Iterator[bytes]:
    for t in tasks:
        more = {"provenance": _entries(t)} if t.provenance else {}
        comments = {"Comments": [comment(n, f, (s, e)) for s, e, n, f in t.notes]} if t.notes else {}
        yield _line({"text": t.article.text, "label": [[s, e, name] for s, e, name in t.spans], **_meta(t, **more),
                     **comments})


def doccano_textcat(tasks: Iterable[Task]) -> Iterator[bytes]:
    for t in tasks:
        marks = t.marks()
        for i, (s, e, name) in enumerate(t.spans):
            mark = marks.get((s, e))
            comments = {"Comments": [comment(*mark)]} if mark is not None else {}
            yield _line({"text": t.article.text[s:e], "label": [name], **_meta(t, start=s, end=e, **t.trio(i)),
                         **comments})


# ----------------------------------------------------------------------------- Prodigy


def tokens(article: Article) -> list[dict[str, Any]]:
    """Prodigy's token list: ``text``, ``start``, ``end``, ``id``, ``ws``; cut at every
    sentence boundary, so every sentence starts and ends on a token."""
    cuts = sorted({c for sp in article.sentences for c in (sp.start, sp.end)})
    text = article.text
    out: list[dict[str, Any]] = []
    for m in _TOKEN.finditer(text):
        a, b = m.start(), m.end()
        inner = [c for c in cuts if a < c < b]
        for x, y in zip([a, *inner], [*inner, b]):
            out.append({"text": text[x:y], "start": x, "end": y, "id": len(out)})
    for i, tok in enumerate(out):
        nxt = out[i + 1]["start"] if i + 1 < len(out) else len(text)
        tok["ws"] = nxt > tok["end"] and text[tok["end"]].isspace()
    return out


def _session(who: str) -> str:
    return f"annotator-{who}"


def prodigy(tasks: Iterable[Task]) -> Iterator[bytes]:
    for t in tasks:
        toks = tokens(t.article)
        first = {tok["start"]: tok["id"] for tok in toks}
        last = {tok["end"]: tok["id"] for tok in toks}
        spans = [{"start": s, "end": e, "label": name, "token_start": first[s], "token_end": last[e], **t.trio(i)}
                 for i, (s, e, name) in enumerate(t.spans)]
        notes = {"notes": [{"start": s, "end": e, "note": n, "flag": f} for s, e, n, f in t.notes]} if t.notes else {}
        flagged = {"flagged": True} if any(f for *_, f in t.notes) else {}
        yield _line({
            "text": t.article.text, "tokens": toks, "spans": spans, "answer": "accept",
            "_annotator_id": _session(t.who), "_session_id": _session(t.who), "meta": _meta(t, **notes), **flagged,
        })


def prodigy_textcat(tasks: Iterable[Task], labels: tuple[str, ...]) -> Iterator[bytes]:
    options = [{"id": name, "text": name} for name in labels]
    for t in tasks:
        marks = t.marks()
        for i, (s, e, name) in enumerate(t.spans):
            note, flag = marks.get((s, e), ("", False))
            more = {"note": note, "flag": flag} if (s, e) in marks else {}
            yield _line({
                "text": t.article.text[s:e], "options": options, "accept": [name], "answer": "accept",
                "_annotator_id": _session(t.who), "_session_id": _session(t.who),
                "meta": _meta(t, start=s, end=e, **t.trio(i), **more), **({"flagged": True} if flag else {}),
            })


# ----------------------------------------------------------------------------- Label Studio


def _result(task: Task, i: int) -> dict[str, Any]:
    s, e, name = task.spans[i]
    source, score, _ = task.provenance[i] if task.provenance else NONE
    # A label from an accepted suggestion is Label Studio's "prediction" (accepted as it was),
    # with the suggestion's score; every other one the reviewer's own ("manual").
    accepted = suggester(source) is not None
    return {
        "id": f"{task.article.id[:8]}-{s}", "from_name": "label", "to_name": "text", "type": "labels",
        "origin": "prediction" if accepted else "manual",
        **({"score": score} if accepted and score is not None else {}),
        "value": {"start": s, "end": e, "text": task.article.text[s:e], "labels": [name]},
    }


def _marks(task: Task) -> list[dict[str, Any]]:
    """A reviewer's notes and flags as per-region results on their sentences (the region of the
    sentence's label, by its id)."""
    out: list[dict[str, Any]] = []
    for s, e, note, flag in task.notes:
        where = {"id": f"{task.article.id[:8]}-{s}", "to_name": "text", "origin": "manual"}
        if note:
            out.append({**where, "from_name": NOTE_FIELD, "type": "textarea",
                        "value": {"start": s, "end": e, "text": [note]}})
        if flag:
            out.append({**where, "from_name": FLAG_FIELD, "type": "choices",
                        "value": {"start": s, "end": e, "choices": [FLAG_CHOICE]}})
    return out


def label_studio(tasks: Iterable[Task]) -> Iterator[bytes]:
    """One JSON array: a task per article, an annotation per reviewer (named in
    ``data.annotators``, in the annotations' order), gold as a prediction."""
    from annotator.export import json_escape_unsafe

    by_article: dict[str, list[Task]] = {}
    for t in tasks:
        by_article.setdefault(t.article.id, []).append(t)
    out = []
    for group in by_article.values():
        art = group[0].article
        people = [t for t in group if t.who != GOLD]
        gold = [t for t in group if t.who == GOLD]
        out.append({
            # data.provenance: each annotation's labels with provenance (the suggester's name and
            # `suggested` have no place in a Label Studio result).
            "data": {"text": art.text, "article_id": export_id(art.id), "annotators": [t.who for t in people],
                     **({"provenance": [_entries(t) for t in people]} if people else {})},
            "annotations": [{"result": [*(_result(t, i) for i in range(len(t.spans))), *_marks(t)],
                             "was_cancelled": False,
                             "ground_truth": False} for t in people],
            "predictions": [{"model_version": GOLD, "result": [_result(t, i) for i in range(len(t.spans))]}
                            for t in gold],
        })
    yield json_escape_unsafe(orjson.dumps(out, option=orjson.OPT_INDENT_2)) + b"\n"


def label_studio_config(labels: tuple[str, ...]) -> bytes:
    """The labeling config a Label Studio project needs for these tasks."""
    inner = "\n".join(f"    <Label value={quoteattr(name)}/>" for name in labels)
    return (f'<View>\n  <Labels name="label" toName="text">\n{inner}\n  </Labels>\n'
            f'  <Text name="text" value="$text"/>\n'
            f'  <TextArea name="{NOTE_FIELD}" toName="text" perRegion="true" editable="true" maxSubmissions="1" '
            f'placeholder="note"/>\n'
            f'  <Choices name="{FLAG_FIELD}" toName="text" perRegion="true">\n'
            f'    <Choice value="{FLAG_CHOICE}"/>\n  </Choices>\n</View>\n').encode("utf-8")
