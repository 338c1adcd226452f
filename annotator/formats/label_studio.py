"""Label Studio JSON export (1.x): a JSON array of tasks, each a text and its annotations.

A task: ``{"id", "data": {"text": ...}, "annotations": [{"completed_by", "updated_at",
"was_cancelled", "result": [...]}], "predictions": [...]}``.  A ``labels`` result is a span
(``value``: ``start``, ``end``, ``text``, ``labels``); a ``choices`` result is a label for
the whole text (or for a span, when its value has ``start`` and ``end``).  Other result
types (relations, text areas, ratings) are no sentence label and are reported.  Cancelled
annotations, drafts and a model's predictions are counted, not imported.

The reviewer: ``completed_by`` is a user id (``ls-user-3``), or an object whose email's
local part is the name; the export's ``created_username`` ("ana@example.com, 3") names
the same user when its id agrees.  Tasks from our own export have no Label Studio users:
``data.annotators`` names the reviewer of each annotation, in order.

A result whose ``origin`` is ``prediction`` was a model's prediction the reviewer accepted as
it was: its label's provenance is ``suggestion:<model>`` (the ``model_version`` of the
prediction it came from, of the task's only one, else ``label-studio``) with the result's
``score``.  Our own export's ``data.provenance`` gives each annotation's provenance whole.
"""

from __future__ import annotations

from typing import Any

from annotator.errors import InputError
from annotator.formats.base import (
    EARLY_STAMP,
    Context,
    Found,
    Proposed,
    is_int,
    iso_time,
    kind_of,
    marks,
    whole_text,
    with_provenance,
)
from annotator.model import SUGGESTION_SOURCE
from annotator.names import is_name
from annotator.provenance import Provenance, score_ok

KEYS = frozenset({"data", "annotations", "predictions", "drafts"})
CANCELLED = "cancelled in Label Studio: {n} annotation(s), skipped"
PREDICTIONS = "Label Studio predictions: {n} result(s), not imported (a model's, not a reviewer's)"
GOLD_PREDICTIONS = ("gold predictions: {n} result(s), not imported (they hold no adjudicator or votes; "
                    "import an `export --gold` jsonl file for the final labels)")
DRAFTS = "Label Studio drafts: {n}, not imported (never submitted)"
OUR_MARKS = ("notes and flags of annotator's export: {n}, not imported here (import the jsonl or json export "
             "for them)")
BAD_RESULT = "not a Label Studio labels or choices result (value with labels or choices)"


def other_type(kind: str) -> str:
    return f"a Label Studio \"{kind[:30]}\" result, not labels or choices"


def matches(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("data"), dict) and "text" not in obj


def text_of(obj: dict[str, Any], where: str) -> str:
    text = obj["data"].get("text")
    if not isinstance(text, str):
        raise InputError(f"{where}: a Label Studio task whose data.text is {kind_of(text)}; annotator reads text "
                         f"tasks with the text in data.text (a string)")
    return text


def _email_name(value: object) -> str:
    if isinstance(value, str) and "@" in value:
        return value.strip().split("@")[0]
    return ""


def reviewer(ann: dict[str, Any], default: str) -> str:
    by = ann.get("completed_by")
    if isinstance(by, dict):
        name = _email_name(by.get("email"))
        if name:
            return name
        by = by.get("id")
    email, _, uid = str(ann.get("created_username") or "").partition(",")
    name = _email_name(email)
    if name and (not is_int(by) or uid.strip() == str(by)):
        return name
    return f"ls-user-{by}" if is_int(by) else default


def _code_points(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets counted in UTF-16 units (as JavaScript counts) as code points."""
    out: list[int] = []
    units = 0
    for i, ch in enumerate(text):
        if units == start:
            out.append(i)
        if units == end:
            out.append(i)
            break
        units += 2 if ord(ch) > 0xFFFF else 1
    else:
        if units == end:
            out.append(len(text))
    return (out[0], out[-1]) if len(out) == 2 else (start, end)


UNNAMED_MODEL = "label-studio"  # the suggester of an accepted prediction whose model is not named


def _models(obj: dict[str, Any]) -> dict[object, str]:
    """The task's predictions' model names by prediction id; key None: the only model, if one."""
    out: dict[object, str] = {}
    names = set()
    for pred in obj.get("predictions") or ():
        name = pred.get("model_version") if isinstance(pred, dict) else None
        if isinstance(name, str) and is_name(name):
            names.add(name)
            if isinstance(pred.get("id"), (int, str)):
                out[pred["id"]] = name
    if len(names) == 1:
        out[None] = names.pop()
    return out


def _accepted(r: dict[str, Any], model: str) -> Provenance | None:
    """A result's provenance: a prediction accepted as it was, with its score."""
    if r.get("origin") != "prediction":
        return None
    score = r.get("score")
    return SUGGESTION_SOURCE + model, float(score) if score is not None and score_ok(score) else None, ""


def _results(found: Found, ann: dict[str, Any], text: str, who: str, when: str, ctx: Context,
             ours: dict[tuple[int, int], Provenance] | None = None, model: str = UNNAMED_MODEL) -> None:
    results = ann.get("result")
    first = len(found.labels)
    for r in results if isinstance(results, list) else ():
        kind = r.get("type") if isinstance(r, dict) else None
        value = r.get("value") if isinstance(r, dict) else None
        if isinstance(r, dict) and ((r.get("from_name"), kind) == ("note", "textarea") or (
                (r.get("from_name"), kind) == ("flag", "choices") and isinstance(value, dict)
                and value.get("choices") == ["unsure"])):
            found.notes.append(OUR_MARKS)  # a note or flag on a sentence, from our own export: no label
            continue
        if kind not in ("labels", "choices"):
            found.problems.append(other_type(kind) if isinstance(kind, str) else BAD_RESULT)
            continue
        names = value.get(kind) if isinstance(value, dict) else None
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)) or not isinstance(value, dict):
            found.problems.append(BAD_RESULT)
            continue
        start, end, said = value.get("start"), value.get("end"), value.get("text")
        prov = None if ours is not None else _accepted(r, model)
        if is_int(start) and is_int(end):
            said = said if isinstance(said, str) else None
            if said is not None and text[start:end] != said:
                start, end = _code_points(text, start, end)
            found.labels.extend(with_provenance(Proposed(start, end, n, who, when, file=ctx.file, text=said), prov)
                                for n in names)
        elif kind == "choices":
            found.labels.extend(with_provenance(whole_text(text, n, who, when, ctx), prov) for n in names)
        else:
            found.problems.extend(BAD_RESULT for _ in names)
    if ours:
        found.labels[first:] = [with_provenance(p, ours.get((p.start, p.end))) for p in found.labels[first:]]


def read(obj: dict[str, Any], text: str, ctx: Context) -> Found:
    data = obj["data"]
    named = data.get("annotators")
    names = named if isinstance(named, list) else []
    given = data.get("provenance")
    ours = [marks(x) for x in given] if isinstance(given, list) else []
    if not ours or None in ours:
        ours = []  # not our own export's: the results' origin says what it can
    mine = ("text", "annotators", "provenance") if ours or given == [] else ("text", "annotators")
    found = Found(text, consumed=KEYS, meta={k: v for k, v in data.items() if k not in mine})
    models = _models(obj)
    annotations = obj.get("annotations")
    if annotations is not None and not isinstance(annotations, list):
        found.problems.append(BAD_RESULT)
    for i, ann in enumerate(annotations if isinstance(annotations, list) else ()):
        if not isinstance(ann, dict):
            found.problems.append(BAD_RESULT)
            continue
        if ann.get("was_cancelled") is True:
            found.notes.append(CANCELLED)
            continue
        when = iso_time(ann.get("updated_at")) or iso_time(ann.get("created_at")) or EARLY_STAMP
        own = names[i] if "completed_by" not in ann and i < len(names) and isinstance(names[i], str) else None
        parent = ann.get("parent_prediction")
        model = (models.get(parent) if isinstance(parent, (int, str)) else None) or models.get(None) or UNNAMED_MODEL
        _results(found, ann, text, own or reviewer(ann, ctx.reviewer), when, ctx,
                 ours[i] if own is not None and i < len(ours) else None, model)
    predictions = obj.get("predictions")
    for pred in predictions if isinstance(predictions, list) else ():
        results = pred.get("result") if isinstance(pred, dict) else None
        note = GOLD_PREDICTIONS if isinstance(pred, dict) and pred.get("model_version") == "gold" else PREDICTIONS
        found.notes.extend(note for _ in (results if isinstance(results, list) else [None]))
    drafts = obj.get("drafts")
    found.notes.extend(DRAFTS for _ in (drafts if isinstance(drafts, list) else ()))
    return found
