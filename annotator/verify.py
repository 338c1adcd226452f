"""``annotator verify``: every problem in a database, one line each, nothing changed.

It reads without the lock (like ``export``), so it runs while the app is open: each file
is replaced atomically, so every file it reads is whole.  The checks are a superset of
what ``storage`` refuses when it reads a file, plus what storage does not check on every
read (the text hash, sentence order and edges, label names, times), so a database that
passes here opens, labels and exports without a damaged-file error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator import provenance
from annotator.atomicio import is_data_temp, leftover_temps
from annotator.errors import AnnotatorError, DatabaseError
from annotator.importer import article_id
from annotator.model import NOTE_MAX_CHARS, LabelScheme, Note, is_iso_time, note_ok
from annotator.storage import Database, DamagedFile, read_tinydb
from annotator.model import Span
from annotator.storage.labelfile import read_state
from annotator.storage.articlefile import PACK_NAME
from annotator.storage.lock import data_folder
from annotator.storage.records import (
    note_from_doc,
    retired_note_from_doc,
    cleared_from_doc,
    decision_from_doc,
    event_from_doc,
    final_cleared_from_doc,
    label_from_doc,
    retired_from_doc,
    seg_event_from_doc,
    segmentation_from_doc,
)
from annotator.storage.retiring import known_spans, partition

ERROR = "error"
WARNING = "warning"
RESTORE_HINT = "restore the damaged files from a backup or an export (annotator import data.jsonl into a new --db)"
TEMP_NOTE = "a temp file left by an interrupted save; harmless, the next `annotator label` or import removes it"
# Every table of a labels file; the index counts their rows (``records``) to tell a lost file.
LABEL_TABLES = ("labels", "cleared", "final", "final_cleared", "history", "final_history", "retired", "segmentation",
                "seg_history", "notes", "retired_notes")


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # ERROR: data is wrong or unreadable; WARNING: harmless leftovers
    path: str
    message: str

    def line(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


@dataclass(slots=True)
class Report:
    db: Path
    findings: list[Finding] = field(default_factory=list)
    articles: int = 0
    sentences: int = 0
    labels: int = 0

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def verdict(self) -> str:
        if not self.ok:
            n = self.errors
            return f"{n} problem{'s' * (n != 1)} found in {self.db}; {RESTORE_HINT}"
        n = self.warnings
        note = f" ({n} warning{'s' * (n != 1)}, harmless)" if n else ""
        return f"ok: {self.articles} articles, {self.sentences} sentences, {self.labels} labels checked{note}"

    def to_json(self) -> dict[str, Any]:
        return {
            "db": str(self.db),
            "ok": self.ok,
            "articles": self.articles,
            "sentences": self.sentences,
            "labels": self.labels,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [{"severity": f.severity, "path": f.path, "message": f.message} for f in self.findings],
            "verdict": self.verdict(),
        }

    def add(self, severity: str, path: Path | str, message: str) -> None:
        self.findings.append(Finding(severity, str(path), message))


def _short(value: object) -> str:
    """A value from a damaged file, short enough for one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


_Tables = dict[str, dict[str, dict[str, Any]]]


def _read(report: Report, path: Path) -> tuple[_Tables | None, bool]:
    """(tables, missing); tables is None, with a finding, when the file is damaged or unreadable."""
    try:
        data = read_tinydb(path)
    except DamagedFile as e:
        report.add(ERROR, e.path, e.why)
        return None, False
    except AnnotatorError as e:
        report.add(ERROR, path, e.message)
        return None, False
    return data, data is None


def _article_doc(report: Report, path: Path, aid: str, data: _Tables) -> dict[str, Any] | None:
    """The article's record in its file (its own, or a pack of many), or None with a finding."""
    docs = list(data.get("article", {}).values())
    if PACK_NAME.fullmatch(path.name):
        mine = [d for d in docs if d.get("id") == aid]
        if len(mine) != 1:
            report.add(ERROR, path, f"holds {len(mine)} records of article {aid}, not 1")
            return None
        return mine[0]
    if len(docs) != 1:
        report.add(ERROR, path, f"holds {len(docs)} article records, not 1")
        return None
    return docs[0]


def _text(report: Report, path: Path, aid: str, d: dict[str, Any]) -> str | None:
    """The article's text if its record is sound (a finding per problem)."""
    text = d.get("text")
    if d.get("id") != aid:
        report.add(ERROR, path, f"the record's id is {_short(d.get('id'))}, not {aid}")
    if not isinstance(text, str):
        report.add(ERROR, path, "the article has no text")
        return None
    if article_id(text) != aid:
        report.add(ERROR, path, f"the text does not match id {aid} (its hash is {article_id(text)}): it was changed")
    return text


def _spans(report: Report, path: Path, text: str, sentences: object,
           what: str = "the article") -> list[tuple[int, int]] | None:
    """The sentences if they are sound; otherwise None, with a finding per problem."""
    if not isinstance(sentences, list):
        report.add(ERROR, path, f"{what} has no sentence list")
        return None
    spans: list[tuple[int, int]] = []
    ok = True
    prev_end = 0
    for n, s in enumerate(sentences):
        where = f"sentence {n}"
        if not (isinstance(s, list) and len(s) == 2 and all(type(x) is int for x in s)):
            report.add(ERROR, path, f"{where} is {_short(s)}, not a [start, end] pair of integers")
            ok = False
            continue
        start, end = s
        if not 0 <= start < end <= len(text):
            report.add(ERROR, path, f"{where} ({start}-{end}) is empty or outside the text (length {len(text)})")
            ok = False
            continue
        if start < prev_end:
            report.add(ERROR, path, f"{where} ({start}-{end}) starts before the previous one ends ({prev_end})")
            ok = False
        piece = text[start:end]
        if piece != piece.strip():
            report.add(ERROR, path, f"{where} ({start}-{end}) begins or ends with whitespace")
            ok = False
        prev_end = end
        spans.append((start, end))
    return spans if ok else None


def _check_labels(
    report: Report, path: Path, aid: str, data: _Tables, spans: list[tuple[int, int]] | None,
    scheme: LabelScheme, known: set[tuple[int, int]] | None = None,
) -> None:
    """``spans`` None: the article is damaged, so offsets cannot be checked (that is reported
    already).  ``known``: every span that is or was a sentence (split or joined since)."""
    sentences = set(spans) if spans is not None else None
    known = known if known is not None or sentences is None else sentences
    seen: set[tuple[int, int, str]] = set()
    names = ", ".join((*scheme.ids, "skip"))
    for doc_id, d in (data.get("labels") or {}).items():
        report.labels += 1
        where = f"label record {doc_id}"
        before = report.errors
        start, end, name, who, at = (d.get(k) for k in ("start", "end", "label", "annotator", "updated_at"))
        if not (type(start) is int and type(end) is int):
            report.add(ERROR, path, f"{where}: start/end are {_short(start)}/{_short(end)}, not integers")
            continue
        if sentences is not None and (start, end) not in sentences:
            report.add(ERROR, path, f"{where}: {start}-{end} is not a sentence of the article")
        if not isinstance(name, str) or not scheme.takes(name):
            report.add(ERROR, path, f"{where}: label {_short(name)} is not in the label scheme ({names})")
        if not isinstance(who, str) or not who.strip():
            report.add(ERROR, path, f"{where}: the annotator is {_short(who)}, not a name")
        elif (start, end, who) in seen:
            report.add(ERROR, path, f"{where}: a second record for {start}-{end} by {_short(who)}")
        else:
            seen.add((start, end, who))
        if not isinstance(at, str) or not is_iso_time(at):
            report.add(ERROR, path, f"{where}: updated_at {_short(at)} is not an ISO time")
        _check_provenance(report, path, where, d)
        if report.errors == before:  # what storage checks besides (the tick, say)
            _parses(report, path, where, lambda: label_from_doc(path, aid, d))
    _check_final(report, path, aid, data, sentences, scheme)
    cleared: set[tuple[int, int, str]] = set()
    for doc_id, d in (data.get("cleared") or {}).items():
        where = f"cleared-label record {doc_id}"
        before = report.errors
        start, end, who, at = (d.get(k) for k in ("start", "end", "annotator", "updated_at"))
        if not (type(start) is int and type(end) is int):
            report.add(ERROR, path, f"{where}: start/end are {_short(start)}/{_short(end)}, not integers")
            continue
        if not isinstance(who, str) or not who.strip():
            report.add(ERROR, path, f"{where}: the annotator is {_short(who)}, not a name")
        elif (start, end, who) in seen:
            report.add(ERROR, path, f"{where}: {start}-{end} by {_short(who)} is both labeled and cleared")
        elif (start, end, who) in cleared:
            report.add(ERROR, path, f"{where}: a second record for {start}-{end} by {_short(who)}")
        else:
            cleared.add((start, end, who))
        if not isinstance(at, str) or not is_iso_time(at):
            report.add(ERROR, path, f"{where}: updated_at {_short(at)} is not an ISO time")
        if report.errors == before:
            _parses(report, path, where, lambda: cleared_from_doc(path, aid, d))
    for table, kind in (("history", "history"), ("final_history", "final-label history")):
        for doc_id, d in (data.get(table) or {}).items():
            _check_event(report, path, aid, f"{kind} record {doc_id}", d, table == "final_history", known, scheme)
    for doc_id, d in (data.get("retired") or {}).items():
        where = f"retired-label record {doc_id}"
        if not _parses(report, path, where, lambda: retired_from_doc(path, aid, d)):
            continue
        r = retired_from_doc(path, aid, d)
        rec = r.record
        if not r.final:
            _check_provenance(report, path, where, d)
        if known is not None and (rec.start, rec.end) not in known:
            report.add(ERROR, path, f"{where}: {rec.start}-{rec.end} never was a sentence of the article")
        if not scheme.knows(rec.label):
            report.add(ERROR, path, f"{where}: label {_short(rec.label)} is not in the label scheme ({names})")
        if not is_iso_time(rec.updated_at):
            report.add(ERROR, path, f"{where}: updated_at {_short(rec.updated_at)} is not an ISO time")
    for doc_id, d in (data.get("seg_history") or {}).items():
        _parses(report, path, f"segmentation history record {doc_id}", lambda: seg_event_from_doc(path, aid, d))
    _check_notes(report, path, aid, data, sentences, known)


def _check_notes(report: Report, path: Path, aid: str, data: _Tables, sentences: set[tuple[int, int]] | None,
                 known: set[tuple[int, int]] | None) -> None:
    """The reviewers' notes and flags: each record readable, on a sentence (a retired one on a
    span that was one), one line of printable text (else shown with placeholders: a warning)."""
    for table, spans, kind in (("notes", sentences, "note"), ("retired_notes", known, "retired-note")):
        for doc_id, d in (data.get(table) or {}).items():
            where = f"{kind} record {doc_id}"
            retired = table == "retired_notes"

            def parse(d: dict[str, Any] = d, retired: bool = retired) -> Note:
                return retired_note_from_doc(path, aid, d).note if retired else note_from_doc(path, aid, d)

            if not _parses(report, path, where, parse):
                continue
            n = parse()
            if spans is not None and (n.start, n.end) not in spans:
                report.add(ERROR, path, f"{where}: {n.start}-{n.end} is not a sentence of the article")
            for at in (n.updated_at, n.flag_updated_at):
                if at and not is_iso_time(at):
                    report.add(ERROR, path, f"{where}: {_short(at)} is not an ISO time")
            if not note_ok(n.note):
                report.add(WARNING, path, f"{where}: the note is not one line of at most {NOTE_MAX_CHARS} printable "
                                          "characters (it is shown with placeholders)")


def _segmented(report: Report, path: Path, aid: str, text: str, base: list[tuple[int, int]],
               data: _Tables) -> tuple[list[tuple[int, int]] | None, set[tuple[int, int]] | None]:
    """(the sentences a labels file's segmentation decision left, every span that is or was a
    sentence): its segmentation checked as an article's sentences are, and its labels sorted
    out as storage sorts them (a label counted on a sentence a split retired is an error)."""
    docs = list((data.get("segmentation") or {}).values())
    if len(docs) != 1 or not _parses(report, path, "segmentation record",
                                     lambda: segmentation_from_doc(path, docs[0])):
        if len(docs) != 1:
            report.add(ERROR, path, f"holds {len(docs)} segmentation records, not 1")
        return None, None
    spans = _spans(report, path, text, docs[0].get("sentences"), "the segmentation")
    if spans is None:
        return None, None
    try:
        state = read_state(path, aid, data)
    except DamagedFile as e:
        report.add(ERROR, path, e.why)
        return spans, None
    bases = tuple(Span(s, e) for s, e in base)
    if partition(state.copy(), bases).sorted() != state.sorted():
        report.add(ERROR, path, "its labels and retired labels do not match its segmentation (a label counts on a "
                                "sentence that was split or joined, or the other way round)")
    return spans, known_spans(state, bases)


def _check_provenance(report: Report, path: Path, where: str, d: dict[str, Any]) -> None:
    """A label's provenance: source "" or suggestion:<name>, score null or in 0..1, suggested
    "" or <name>:<label> (absent keys: unset)."""
    for problem in provenance.problems(d.get("source", ""), d.get("score"), d.get("suggested", "")):
        report.add(ERROR, path, f"{where}: {problem}")


def _parses(report: Report, path: Path, where: str, parse: Callable[[], object]) -> bool:
    """Run one of storage's own record readers; its refusal becomes a finding."""
    try:
        parse()
    except DamagedFile as e:
        report.add(ERROR, path, f"{where}: {e.why}")
        return False
    return True


def _check_event(
    report: Report, path: Path, aid: str, where: str, d: dict[str, Any], final: bool,
    sentences: set[tuple[int, int]] | None, scheme: LabelScheme,
) -> None:
    """A history record: storage's reader decides its shape; then its sentence, label and time."""
    if not _parses(report, path, where, lambda: event_from_doc(path, aid, d, final=final)):
        return
    start, end, label, at = d["start"], d["end"], d.get("label"), d["updated_at"]
    who = d["by" if final else "annotator"]
    if sentences is not None and (start, end) not in sentences:
        report.add(ERROR, path, f"{where}: {start}-{end} is not a sentence of the article")
    if label is not None and not scheme.knows(label):
        report.add(ERROR, path, f"{where}: label {_short(label)} is not in the label scheme ({', '.join((*scheme.ids, 'skip'))})")
    if not who.strip():
        report.add(ERROR, path, f"{where}: {'the adjudicator' if final else 'the annotator'} is {_short(who)}, not a name")
    if not is_iso_time(at):
        report.add(ERROR, path, f"{where}: updated_at {_short(at)} is not an ISO time")
    _check_provenance(report, path, where, d)


def _check_final(
    report: Report, path: Path, aid: str, data: _Tables, sentences: set[tuple[int, int]] | None,
    scheme: LabelScheme,
) -> None:
    """The adjudicated labels (table ``final``): one per sentence, with who chose it and when."""
    seen: set[tuple[int, int]] = set()
    names = ", ".join((*scheme.ids, "skip"))
    for doc_id, d in (data.get("final") or {}).items():
        where = f"final-label record {doc_id}"
        before = report.errors
        start, end, name, who, at = (d.get(k) for k in ("start", "end", "label", "by", "updated_at"))
        if not (type(start) is int and type(end) is int):
            report.add(ERROR, path, f"{where}: start/end are {_short(start)}/{_short(end)}, not integers")
            continue
        if sentences is not None and (start, end) not in sentences:
            report.add(ERROR, path, f"{where}: {start}-{end} is not a sentence of the article")
        if (start, end) in seen:
            report.add(ERROR, path, f"{where}: a second final label for {start}-{end}")
        seen.add((start, end))
        if not isinstance(name, str) or not scheme.takes(name):
            report.add(ERROR, path, f"{where}: label {_short(name)} is not in the label scheme ({names})")
        if not isinstance(who, str) or not who.strip():
            report.add(ERROR, path, f"{where}: the adjudicator is {_short(who)}, not a name")
        if not isinstance(d.get("reason", ""), str):
            report.add(ERROR, path, f"{where}: the reason is {_short(d.get('reason'))}, not text")
        votes = d.get("votes", [])
        if not (isinstance(votes, list) and all(
                isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v) for v in votes)):
            report.add(ERROR, path, f"{where}: votes are {_short(votes)}, not [annotator, label] pairs")
        if not isinstance(at, str) or not is_iso_time(at):
            report.add(ERROR, path, f"{where}: updated_at {_short(at)} is not an ISO time")
        if report.errors == before:
            _parses(report, path, where, lambda: decision_from_doc(path, aid, d))
    for doc_id, d in (data.get("final_cleared") or {}).items():
        where = f"cleared final-label record {doc_id}"
        if not _parses(report, path, where, lambda: final_cleared_from_doc(path, aid, d)):
            continue
        start, end = d["start"], d["end"]
        if (start, end) in seen:
            report.add(ERROR, path, f"{where}: {start}-{end} has a final label and a cleared one")
        seen.add((start, end))
        if not d["by"].strip():
            report.add(ERROR, path, f"{where}: the adjudicator is {_short(d['by'])}, not a name")
        if not is_iso_time(d["updated_at"]):
            report.add(ERROR, path, f"{where}: updated_at {_short(d['updated_at'])} is not an ISO time")


def _entries(report: Report, folder: Path) -> Iterator[str]:
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return
    except OSError as e:
        report.add(ERROR, folder, f"cannot be listed ({e.strerror or e}); check its permissions")
        return
    yield from names


def _check_leftovers(report: Report, folder: Path, kind: str, ids: set[str]) -> None:
    for name in _entries(report, folder):
        if is_data_temp(name):
            continue  # listed with the others, by _check_temps
        if not name.endswith(".json"):
            report.add(WARNING, folder / name, "not an annotator file; it does not belong in this folder")
        elif name[: -len(".json")] not in ids:
            report.add(WARNING, folder / name, f"{kind} file of no listed article (left by an interrupted import); "
                                               f"harmless, the next import replaces or ignores it")


def _check_temps(report: Report, db_path: Path, data_folders: tuple[Path, ...]) -> None:
    """The temp files the next writable open removes (verify only lists them)."""
    for path in leftover_temps(db_path, data_folders):
        report.add(WARNING, path, TEMP_NOTE)


def _check_records(report: Report, path: Path, data: _Tables | None, missing: bool, floor: int) -> None:
    """A labels file gone, or holding fewer records than the index counted at its last write:
    decisions were lost (deleted, or an older copy put back), which no other check can see."""
    if floor <= 0:
        return
    if missing:
        n = floor
        report.add(ERROR, path, f"missing, though the index counts {n} record{'s' * (n != 1)} in it: its {n} "
                                f"decision{'s' * (n != 1)} are gone; restore it from a backup")
        return
    if data is None:
        return  # damaged: reported already
    held = sum(len(data.get(table) or {}) for table in LABEL_TABLES)
    if held < floor:
        report.add(ERROR, path, f"holds {held} records, but the index counted {floor}: {floor - held} "
                                f"decision{'s' * (floor - held != 1)} are gone (an older copy?); restore it from "
                                f"a backup")


def verify(db_path: Path) -> Report:
    """Check the whole database read-only; never raises for damage, only reports it."""
    report = Report(db_path)
    folder = data_folder(db_path)
    _check_temps(report, db_path, (folder / "articles", folder / "labels"))
    if not db_path.is_file():
        what = "is a folder, not a database file" if db_path.is_dir() else "does not exist"
        report.add(ERROR, db_path, f"{what}; check --db")
        return report
    try:
        db = Database.open(db_path, readonly=True, create=False)
    except DamagedFile as e:
        report.add(ERROR, e.path, e.why)
        return report
    except DatabaseError as e:
        report.add(ERROR, db_path, e.message.removeprefix(f"{db_path} "))
        return report
    with db:
        floors = db.floors()
        infos = db.article_infos()
        report.articles = len(infos)
        last: tuple[Path, _Tables | None, bool] | None = None  # a pack's articles come one after another
        for info in infos:
            path = db.article_path(info.id)
            if last is not None and last[0] == path:  # a damaged one reported once, with its first article
                data, missing = last[1], last[2]
            else:
                data, missing = _read(report, path)
                last = (path, data, missing)
            spans: list[tuple[int, int]] | None = None
            text: str | None = None
            if missing:
                report.add(ERROR, path, f"missing: article {info.id} is listed in the index but its file is gone")
            elif data is not None and (doc := _article_doc(report, path, info.id, data)) is not None:
                text = _text(report, path, info.id, doc)
                if text is not None:
                    spans = _spans(report, path, text, doc.get("sentences"))
            labels_path = db.labels_path(info.id)
            labels, gone = _read(report, labels_path)  # no labels file: no labels yet, unless the index says so
            base, known = spans, None
            if labels is not None and text is not None and spans is not None and labels.get("segmentation"):
                spans, known = _segmented(report, labels_path, info.id, text, spans, labels)
            if spans is not None:
                report.sentences += len(spans)
                if len(spans) != info.n_sentences:
                    where = "its labels file's segmentation" if base is not spans else "its file"
                    report.add(ERROR, db_path, f"article {info.id}: the index counts {info.n_sentences} sentences, "
                                               f"{where} holds {len(spans)}")
            _check_records(report, labels_path, labels, gone, floors.get(info.id, 0))
            if labels is not None:
                _check_labels(report, labels_path, info.id, labels, spans, db.scheme, known)
        ids = {info.id for info in infos}
        _check_leftovers(report, db.articles_folder, "an article", {db.article_path(i).stem for i in ids})
        _check_leftovers(report, db.labels_folder, "a labels", ids)
    return report
