"""The label names an export file carries, read the way each format's consumers read it
(never a search of the bytes: an article's text may hold any word).  Shared by the tests
of label schemes and of skip."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson
import pytest

from annotator.export import read_record


def _task_lines(fmt: str, data: bytes, *, options: bool = False) -> list[str]:
    """doccano and Prodigy lines (with ``options``: a choice task's options too)."""
    out: list[str] = []
    for line in data.splitlines():
        rec = orjson.loads(line)
        if fmt == "doccano":
            out += [name for _, _, name in rec["label"]]
        elif fmt == "doccano-textcat":
            out += rec["label"]
        elif fmt == "prodigy":
            out += [sp["label"] for sp in rec["spans"]]
        elif fmt == "prodigy-textcat":
            out += rec["accept"]
            if options:
                out += [o["id"] for o in rec["options"]] + [o["text"] for o in rec["options"]]
    return out


def _label_studio(data: bytes) -> list[str]:
    return [x for t in orjson.loads(data) for g in (*t["annotations"], *t["predictions"]) for r in g["result"]
            for x in r["value"]["labels"]]


def _docs(data: bytes) -> list[Any]:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    return list(DocBin().from_bytes(data).get_docs(spacy.blank("xx").vocab))


def _record_labels(rec: dict[str, Any]) -> list[str]:
    out = [sp["label"] for sp in rec["spans"]]
    for d in rec.get("final", ()):
        out.append(d["label"])
        out += [v for _, v in d["votes"]]
    for sp in rec["spans"]:
        out += [v for _, v in sp.get("votes", ())]
    for e in rec.get("history", ()):
        out += [x for x in (e["label"], e["before"]) if x]
        out += [v for _, v in e["votes"]]
    return out


def _common(fmt: str, data: bytes) -> list[str] | None:
    if fmt == "sentences":
        return [orjson.loads(line)["label"] for line in data.splitlines()]
    if fmt == "csv":
        return [row["label"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    if fmt == "label-studio-config":
        return re.findall(r'<Label value="([^"]*)"/>', data.decode())
    if fmt == "label-studio":
        return _label_studio(data)
    return None


def labels_in(fmt: str, data: bytes) -> list[str]:
    """The labels the dataset's rows hold (a textcat Doc: its category at 1.0)."""
    common = _common(fmt, data)
    if common is not None:
        return common
    if fmt in ("jsonl", "json"):
        records = [read_record(x) for x in data.splitlines()] if fmt == "jsonl" else orjson.loads(data)
        return [sp["label"] for r in records for sp in r["spans"]]
    if fmt == "spacy":
        return [s.label_ for doc in _docs(data) for g in doc.spans.values() for s in g]
    if fmt == "spacy-textcat":
        return [c for doc in _docs(data) for c, v in doc.cats.items() if v == 1.0]
    return _task_lines(fmt, data)


def every_label(fmt: str, data: bytes) -> list[str]:
    """Every label name the file carries: labels, final labels, votes, history, and every
    category or option a textcat or choice task offers."""
    common = _common(fmt, data)
    if common is not None:
        return common
    if fmt == "jsonl":
        return [x for line in data.splitlines() for x in _record_labels(read_record(line))]
    if fmt == "json":
        return [x for rec in orjson.loads(data) for x in _record_labels(rec)]
    if fmt == "spacy":
        return [s.label_ for doc in _docs(data) for g in doc.spans.values() for s in g]
    if fmt == "spacy-textcat":
        return [c for doc in _docs(data) for c in doc.cats]
    return _task_lines(fmt, data, options=True)
