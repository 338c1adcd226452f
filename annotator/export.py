"""Dataset export in three versioned shapes; the same database always gives the same bytes.

``jsonl``: one article per line with its sentences and labeled spans (spaCy/Prodigy span
shape); the lists of decisions are JSON strings (see ``PACKED``).  ``sentences``: one
labeled sentence per line.  ``json``: one array of the same records with those lists
nested.  All three load with ``datasets.load_dataset("json", ...)`` at any size.

The output is safe to print: orjson escapes C0 controls (ESC is ``\u001b``), and
``json_escape_unsafe`` escapes what it leaves raw that a terminal obeys or that breaks
lines: C1 controls (U+0080-U+009F, e.g. CSI U+009B), U+2028/U+2029 and the bidi controls.
Escaping changes bytes, never data: every JSON parser reads back the same strings.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from annotator import provenance
from annotator.atomicio import atomic_write_bytes
from annotator.formats import tasks as tool
from annotator.formats.spacy_docbin import docbin, textcat_docbin
from annotator.formats.tasks import Task
from annotator.formats.spreadsheet import csv_rows
from annotator.errors import ExportError
from annotator.importer import quote_path
from annotator.adjudicate import resolutions
from annotator.model import (
    EXPORT_SCHEMA_VERSION,
    PACKED,
    SKIP,
    Article,
    ArticleInfo,
    Cleared,
    Decision,
    Event,
    FinalCleared,
    Label,
    LabelScheme,
    Note,
    Span,
    export_id,
)
from annotator.resegment import Retired, RetiredNote, SegEvent

if TYPE_CHECKING:
    from annotator.storage import Database

FORMATS = ("jsonl", "sentences", "json", "csv", "spacy", "spacy-textcat", "doccano", "doccano-textcat", "prodigy",
           "prodigy-textcat", "label-studio", "label-studio-config")
# Formats written from one Task per article and reviewer (gold: per article).
TASK_FORMATS = frozenset({"spacy", "spacy-textcat", "doccano", "doccano-textcat", "prodigy", "prodigy-textcat",
                          "label-studio"})  # the keys of _tasks' writers


# UTF-8 of U+0080-U+009F, U+061C, U+200E/F, U+2028-U+202E, U+2066-U+2069: always inside a
# JSON string (JSON's own syntax is ASCII); C2, D8 and E2 are lead bytes, never inside
# another character, so a match is always one whole character.
_UNSAFE_UTF8 = re.compile(rb"\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def _escape_match(m: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % ord(m.group().decode("utf-8"))


def json_escape_unsafe(data: bytes) -> bytes:
    """JSON bytes with every character a terminal could obey written as a ``\\uXXXX`` escape."""
    return _UNSAFE_UTF8.sub(_escape_match, data)


def _span(lab: Label) -> dict[str, Any]:
    return {"start": lab.start, "end": lab.end, "label": lab.label, "annotator": lab.annotator,
            "updated_at": lab.updated_at, "tick": lab.tick, **provenance.fields(lab)}


def _final(d: Decision) -> dict[str, Any]:
    return {"start": d.start, "end": d.end, "label": d.label, "by": d.by, "reason": d.reason,
            "updated_at": d.updated_at, "tick": d.tick, "votes": [list(v) for v in d.votes]}


def history_record(e: Event) -> dict[str, Any]:
    """One decision of a sentence's history: who, what, when, from what (``--history``)."""
    return {"start": e.start, "end": e.end, "final": e.final, "who": e.who, "op": e.op, "label": e.label or "",
            "before": e.before or "", "updated_at": e.updated_at, "tick": e.tick, "undoes": e.undoes,
            "reason": e.reason, "votes": [list(v) for v in e.votes], **provenance.fields(e)}


def retired_record(r: Retired) -> dict[str, Any]:
    """A retired label or final label: the label as it was, and the segmentation decision that
    retired it (``retired_op`` "split", "join", "undo" or "redo", by whom, its stamp)."""
    rec = r.record
    final = isinstance(rec, Decision)
    return {"start": rec.start, "end": rec.end, "final": final, "label": rec.label,
            "who": rec.by if isinstance(rec, Decision) else rec.annotator, "updated_at": rec.updated_at,
            "tick": rec.tick, "reason": rec.reason if isinstance(rec, Decision) else "",
            "votes": [list(v) for v in rec.votes] if isinstance(rec, Decision) else [],
            "retired_op": r.op, "retired_by": r.by, "retired_at": r.updated_at, "retired_tick": r.tick,
            **(provenance.fields(rec) if isinstance(rec, Label) else dict(zip(provenance.PROVENANCE_KEYS,
                                                                                  provenance.NONE)))}


def _spans_list(spans: tuple[Span, ...]) -> list[dict[str, int]]:
    return [{"start": s.start, "end": s.end} for s in spans]


def segmentation_record(e: SegEvent) -> dict[str, Any]:
    """A split or join (or its undo or redo): the sentences it took out and put in, who, when."""
    return {"op": e.op, "who": e.who, "removed": _spans_list(e.removed), "added": _spans_list(e.added),
            "updated_at": e.updated_at, "tick": e.tick, "undoes": e.undoes}


def note_record(n: Note) -> dict[str, Any]:
    """A reviewer's note and flag on a sentence, each with its stamp ("" if never set); a record
    with no note and no flag is a clear, kept so that it still wins after an import."""
    return {"start": n.start, "end": n.end, "annotator": n.annotator, "note": n.note, "flag": n.flag,
            "updated_at": n.updated_at, "tick": n.tick, "flag_updated_at": n.flag_updated_at, "flag_tick": n.flag_tick}


def retired_note_record(r: RetiredNote) -> dict[str, Any]:
    """A note and flag whose sentence was split or joined: as it was, and the decision that did it."""
    return {**note_record(r.note), "retired_op": r.op, "retired_by": r.by, "retired_at": r.updated_at,
            "retired_tick": r.tick}


@dataclass(slots=True)
class GoldTally:
    """What ``--gold`` kept and left out, for the report after the export."""

    unanimous: int = 0
    adjudicated: int = 0
    disputed: int = 0  # labeled by reviewers who disagree, not decided yet: left out
    articles_with_disputes: int = 0
    stale: int = 0  # final labels chosen on votes that changed since: left out until decided again
    skipped: int = 0  # sentences whose gold is skip: left out unless --include-skipped

    def report(self) -> list[str]:
        """What the gold kept and left out, for stderr after a ``--gold`` export."""
        lines = [f"gold: {self.unanimous + self.adjudicated} sentence(s): {self.unanimous} unanimous, "
                 f"{self.adjudicated} adjudicated"]
        if self.disputed:
            lines.append(f"gold: {self.disputed} sentence(s) in dispute left out (in {self.articles_with_disputes} "
                         f"article(s)); decide them with `annotator review`")
        if self.stale:
            lines.append(self.stale_message())
        if self.skipped:
            lines.append(f"gold: {self.skipped} sentence(s) skipped as not applicable left out "
                         f"(--include-skipped keeps them)")
        return lines

    def stale_message(self) -> str:
        """The line that tells about the stale final labels left out (print it when ``stale``)."""
        return (f"gold: {self.stale} final label(s) left out: reviewers changed their labels since; "
                "run `annotator review`")


def gold_spans(article: Article, labels: list[Label], decisions: list[Decision], tally: GoldTally,
               include_skipped: bool = True) -> list[dict[str, Any]]:
    """One final label per sentence: the adjudicated one, else the reviewers' if they all agree.

    A final label chosen on other votes than today's (stale) is left out, and so is the
    sentence, even if its reviewers now agree: it must be decided again.  An adjudicated
    span carries the votes its decision was made from, the same as the plain export's
    ``final`` record.  A sentence whose gold is skip is left out and counted, unless
    ``include_skipped``.
    """
    spans: list[dict[str, Any]] = []
    disputed = 0
    for r in resolutions(article, labels, decisions):
        if r.stale:
            tally.stale += 1
            continue
        final = r.final
        if final is None:
            disputed += 1
            continue
        label, source = final
        if label == SKIP and not include_skipped:
            tally.skipped += 1
            continue
        # The same keys on every span (loaders infer one type per column): a unanimous span has
        # no adjudicator or reason (""), and its votes are the reviewers' agreeing labels.
        votes = r.decision.votes if r.decision is not None else r.votes  # the decision's: not stale
        spans.append({
            "start": r.span.start, "end": r.span.end, "label": label, "source": source,
            "annotators": sorted({a for a, _ in votes}),
            "by": r.decision.by if r.decision is not None else "",
            "reason": r.decision.reason if r.decision is not None else "",
            "votes": [list(v) for v in votes],
        })
        if r.decision is not None:
            tally.adjudicated += 1
        else:
            tally.unanimous += 1
    tally.disputed += disputed
    tally.articles_with_disputes += bool(disputed)
    return spans


def jsonl_line(rec: dict[str, Any]) -> bytes:
    """An article record as a line of the jsonl export: each list of ``PACKED`` as a JSON
    string (the record is changed), the line safe to print."""
    for key in PACKED:
        if key in rec:
            rec[key] = orjson.dumps(rec[key]).decode()
    return json_escape_unsafe(orjson.dumps(rec)) + b"\n"


def read_record(line: bytes | str) -> Any:
    """A line of a jsonl export with its lists of decisions read (schema 4 writes them as JSON
    strings; earlier schemas nest them): the same record as the json array holds."""
    rec = orjson.loads(line)
    if isinstance(rec, dict):
        for key in PACKED:
            if isinstance(rec.get(key), str):
                rec[key] = orjson.loads(rec[key])
    return rec


def article_record(
    article: Article, labels: list[Label], decisions: list[Decision] | None = None, cleared: list[Cleared] | None = None,
    final_cleared: list[FinalCleared] | None = None, history: list[Event] | None = None,
    skipped: list[Label] | None = None, retired: list[Retired] | None = None,
    segmentation: list[SegEvent] | None = None,
    notes: list[Note] | None = None, retired_notes: list[RetiredNote] | None = None,
) -> dict[str, Any]:
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "id": export_id(article.id),
        "title": article.title,
        "source": article.sources[0] if article.sources else "",
        "sources": list(article.sources),
        "text": article.text,
        "sentences": [{"start": s.start, "end": s.end} for s in article.sentences],
        "spans": [_span(lab) for lab in labels],
        "final": [_final(d) for d in decisions or ()],
        "cleared": [{"start": c.start, "end": c.end, "annotator": c.annotator, "updated_at": c.updated_at,
                     "tick": c.tick} for c in cleared or ()],
        "final_cleared": [{"start": c.start, "end": c.end, "by": c.by, "updated_at": c.updated_at, "tick": c.tick}
                          for c in final_cleared or ()],
        # Sentences marked "skip: not applicable": decided, but no label of the dataset.
        "skipped": [{"start": x.start, "end": x.end, "annotator": x.annotator, "updated_at": x.updated_at,
                     "tick": x.tick, **provenance.fields(x)} for x in skipped or ()],
        "retired": [retired_record(r) for r in retired or ()],
        "segmentation": [segmentation_record(e) for e in segmentation or ()],
        # The reviewers' notes and flags ("unsure"), and those on sentences split or joined since.
        "notes": [note_record(n) for n in notes or ()],
        "retired_notes": [retired_note_record(r) for r in retired_notes or ()],
        # A JSON string: each tool brings its own keys, and a loader needs one type per column.
        "meta": orjson.dumps(article.meta, option=orjson.OPT_SORT_KEYS).decode(),
        **({"history": [history_record(e) for e in history]} if history is not None else {}),
    }


class Names:
    """Stored label ids as the scheme names them now: exports write names, so a renamed
    label exports under its new name (ids equal names until a label is renamed)."""

    def __init__(self, scheme: LabelScheme) -> None:
        self.renamed = {d.id: d.name for d in scheme.labels if d.id != d.name}

    def labels(self, xs: list[Label]) -> list[Label]:
        m = self.renamed
        return [replace(x, label=m[x.label]) if x.label in m else x for x in xs] if m else xs

    def _votes(self, votes: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((who, self.renamed.get(v, v)) for who, v in votes)

    def decisions(self, xs: list[Decision]) -> list[Decision]:
        m = self.renamed
        return [replace(x, label=m.get(x.label, x.label), votes=self._votes(x.votes)) for x in xs] if m else xs

    def retired(self, xs: list[Retired]) -> list[Retired]:
        if not self.renamed:
            return xs
        return [replace(r, record=self.labels([r.record])[0] if isinstance(r.record, Label)
                        else self.decisions([r.record])[0]) for r in xs]

    def events(self, xs: list[Event]) -> list[Event]:
        m = self.renamed
        if not m:
            return xs
        return [replace(e, label=m.get(e.label, e.label) if e.label else e.label,
                        before=m.get(e.before, e.before) if e.before else e.before, votes=self._votes(e.votes))
                for e in xs]


@dataclass(slots=True)
class _Row:
    article: Article
    labels: list[Label]
    decisions: list[Decision]
    cleared: list[Cleared]
    final_cleared: list[FinalCleared]
    history: list[Event] | None
    skipped: list[Label]
    retired: list[Retired]
    segmentation: list[SegEvent]
    notes: list[Note]
    retired_notes: list[RetiredNote]

    def record(self) -> dict[str, Any]:
        return article_record(self.article, self.labels, self.decisions, self.cleared, self.final_cleared,
                              self.history, self.skipped, self.retired, self.segmentation, self.notes,
                              self.retired_notes)

    def notes_by_key(self) -> dict[tuple[int, int, str], Note]:
        """The notes and flags by (start, end, reviewer)."""
        return {(n.start, n.end, n.annotator): n for n in self.notes}


def _infos(db: Database, articles: set[str] | None) -> list[ArticleInfo]:
    infos = db.article_infos()
    return infos if articles is None else [i for i in infos if i.id in articles]


def _selected(db: Database, annotators: set[str] | None, labeled_only: bool, history: bool = False,
              articles: set[str] | None = None, include_skipped: bool = False) -> Iterator[_Row]:
    """Each article's decisions, labels named as the scheme names them now; skip decisions
    apart (``skipped``) unless ``include_skipped`` keeps them among the labels."""
    names = Names(db.scheme)
    for info in _infos(db, articles):
        labels = names.labels(db.labels(info.id))
        skipped = [] if include_skipped else [x for x in labels if x.label == SKIP]
        if skipped:
            labels = [x for x in labels if x.label != SKIP]
        decisions = names.decisions(db.decisions(info.id))
        cleared = db.cleared(info.id)
        final_cleared = db.final_cleared(info.id)
        events = names.events(db.history(info.id) + db.history(info.id, final=True)) if history else None
        retired = names.retired(db.retired(info.id))
        notes, retired_notes = db.notes(info.id), db.retired_notes(info.id)
        if annotators is not None:
            notes = [n for n in notes if n.annotator in annotators]
            retired_notes = [r for r in retired_notes if r.note.annotator in annotators]
            labels = [lab for lab in labels if lab.annotator in annotators]
            skipped = [lab for lab in skipped if lab.annotator in annotators]
            decisions = [d for d in decisions if d.by in annotators]
            cleared = [c for c in cleared if c.annotator in annotators]
            final_cleared = [c for c in final_cleared if c.by in annotators]
            if events is not None:
                events = [e for e in events if e.who in annotators]
            retired = [r for r in retired if retired_record(r)["who"] in annotators]
        if labeled_only and not labels and not decisions and not skipped:  # a skip is a decision too
            continue
        # The segmentation decisions are the article's, whoever made them: its sentences are everyone's.
        yield _Row(db.get_article(info.id), labels, decisions, cleared, final_cleared, events, skipped, retired,
                   db.segmentation_history(info.id), notes, retired_notes)


def _gold_rows(db: Database, tally: GoldTally, articles: set[str] | None = None,
               include_skipped: bool = False) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """Articles with at least one final label, each with its gold spans (a sentence whose
    final label is skip is left out and counted, unless ``include_skipped``)."""
    names = Names(db.scheme)
    for info in _infos(db, articles):
        labels = names.labels(db.labels(info.id))
        decisions = names.decisions(db.decisions(info.id))
        if not labels and not decisions:
            continue
        article = db.get_article(info.id)
        spans = gold_spans(article, labels, decisions, tally, include_skipped)
        if spans:
            yield article, spans


def _tasks(fmt: str, tasks: Iterable[Task], spans_key: str, labels: tuple[str, ...]) -> Iterator[bytes]:
    writers: dict[str, Callable[[], Iterable[bytes]]] = {
        "spacy": lambda: [docbin(tasks, spans_key=spans_key)],
        "spacy-textcat": lambda: [textcat_docbin(tasks, labels=labels)],
        "doccano": lambda: tool.doccano(tasks),
        "doccano-textcat": lambda: tool.doccano_textcat(tasks),
        "prodigy": lambda: tool.prodigy(tasks),
        "prodigy-textcat": lambda: tool.prodigy_textcat(tasks, labels),
        "label-studio": lambda: tool.label_studio(tasks),
    }
    yield from writers[fmt]()


def _label_names(db: Database, include_skipped: bool) -> tuple[str, ...]:
    """The categories a dataset may hold: the scheme's labels, and skip when it is kept."""
    return (*db.scheme.names, SKIP) if include_skipped else db.scheme.names


def _render_gold(db: Database, fmt: str, tally: GoldTally, articles: set[str] | None = None,
                 spans_key: str = "sc", include_skipped: bool = False) -> Iterator[bytes]:
    rows = _gold_rows(db, tally, articles, include_skipped)
    if fmt in TASK_FORMATS:
        tasks = (Task(a, tuple((sp["start"], sp["end"], sp["label"]) for sp in spans), tool.GOLD) for a, spans in rows)
        yield from _tasks(fmt, tasks, spans_key, _label_names(db, include_skipped))
        return
    if fmt in ("sentences", "csv"):
        flat = (
            {
                "schema_version": EXPORT_SCHEMA_VERSION,
                "article_id": export_id(article.id),
                "sentence": index[(sp["start"], sp["end"])],
                **{k: v for k, v in sp.items() if k in ("start", "end")},
                "text": article.text[sp["start"]:sp["end"]],
                **{k: v for k, v in sp.items() if k not in ("start", "end")},
            }
            for article, spans in rows
            for index in [{(s.start, s.end): i for i, s in enumerate(article.sentences)}]
            for sp in spans
        )
        yield from _lines(flat) if fmt == "sentences" else csv_rows(flat)
        return
    records = []
    for article, spans in rows:
        rec = article_record(article, [])
        del rec["final"], rec["cleared"], rec["final_cleared"], rec["skipped"], rec["retired"], rec["segmentation"]
        del rec["notes"], rec["retired_notes"]
        rec["spans"] = spans
        if fmt == "jsonl":
            yield jsonl_line(rec)
        else:
            records.append(rec)
    if fmt == "json":
        yield _json_array(records)


def render(db: Database, fmt: str, *, annotators: set[str] | None = None, labeled_only: bool = False,
           gold: GoldTally | None = None, history: bool = False,
           articles: set[str] | None = None, spans_key: str = "sc", include_skipped: bool = False) -> Iterator[bytes]:
    """The export as chunks of bytes (UTF-8 JSON, one trailing newline per record).

    With ``gold``, one final label per sentence (``source`` "unanimous" or "adjudicated");
    sentences still in dispute, and final labels chosen on votes that changed since (stale),
    are left out and counted in ``gold``.  With ``history``, each article record also
    carries every decision made on it (jsonl and json only), so undo travels too.  With
    ``articles``, only those articles (a split, say).  Sentences skipped as not applicable
    are no labels of a dataset: left out (the article records list them as ``skipped``, so
    they travel) unless ``include_skipped`` keeps them as the label ``skip``.
    """
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt}: unknown format; use one of {', '.join(FORMATS)}")
    if fmt == "label-studio-config":
        yield tool.label_studio_config(_label_names(db, include_skipped))
        return
    if gold is not None:
        yield from _render_gold(db, fmt, gold, articles, spans_key, include_skipped)
        return
    if history and fmt not in ("jsonl", "json"):
        raise ExportError("--history needs --format jsonl or json: a sentence row has no room for a history")
    rows = _selected(db, annotators, labeled_only or fmt not in ("jsonl", "json"), history, articles, include_skipped)
    if fmt in TASK_FORMATS:
        tasks = (
            Task(row.article, tuple((x.start, x.end, x.label) for x in mine), who,
                 tuple(provenance.of(x) for x in mine),
                 tuple((n.start, n.end, n.note, n.flag) for n in row.notes if n.annotator == who and not n.empty))
            for row in rows
            for who in sorted({x.annotator for x in row.labels})
            for mine in [[x for x in row.labels if x.annotator == who]]
        )
        yield from _tasks(fmt, tasks, spans_key, _label_names(db, include_skipped))
        return
    if fmt == "jsonl":
        for row in rows:
            yield jsonl_line(row.record())
    elif fmt in ("sentences", "csv"):
        flat = (
            {
                "schema_version": EXPORT_SCHEMA_VERSION,
                "article_id": export_id(row.article.id),
                "sentence": index[(lab.start, lab.end)],
                "start": lab.start,
                "end": lab.end,
                "text": row.article.text[lab.start:lab.end],
                "label": lab.label,
                "annotator": lab.annotator,
                "updated_at": lab.updated_at,
                "tick": lab.tick,
                # No nulls in a row: no score is NO_SCORE (-1) in sentences, an empty cell in csv.
                "source": lab.source,
                "score": lab.score if lab.score is not None else provenance.NO_SCORE if fmt == "sentences" else "",
                "suggested": lab.suggested,
                # The reviewer's note and flag on the sentence ("" and false when none).
                "note": note.note if note is not None else "",
                "flag": note.flag if note is not None else False,
            }
            for row in rows
            for index in [{(s.start, s.end): i for i, s in enumerate(row.article.sentences)}]
            for marks in [row.notes_by_key()]
            for lab in row.labels
            for note in [marks.get((lab.start, lab.end, lab.annotator))]
        )
        yield from _lines(flat) if fmt == "sentences" else csv_rows(flat)
    else:
        yield _json_array([row.record() for row in rows])


def _lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for row in rows:
        yield json_escape_unsafe(orjson.dumps(row)) + b"\n"


def _json_array(records: list[dict[str, Any]]) -> bytes:
    """``json``: the jsonl records as one JSON array, which ``pandas.read_json`` and
    ``datasets.load_dataset("json")`` read as one row per article."""
    return json_escape_unsafe(orjson.dumps(records, option=orjson.OPT_INDENT_2)) + b"\n"


def _write_error(path: Path, exc: OSError) -> ExportError:
    if exc.errno == errno.ENOSPC:
        hint = "free some space and export again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "choose a folder you can write to with -o"
    else:
        hint = "choose another -o path"
    return ExportError(f"{quote_path(path)}: cannot write ({exc.strerror or exc}); {hint}; nothing was written")


def _new_file_mode(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would give: the old file's, or 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _atomic_export(path: Path, data: bytes) -> None:
    # An export is for sharing: it gets a normal file's mode, not mkstemp's 0600.
    atomic_write_bytes(path, data, mode=_new_file_mode(path))


def write_file(path: Path, chunks: Iterable[bytes]) -> int:
    """Write atomically: the file is complete or absent (an old file stays as it was).

    The whole export is made first, so a damaged database stops it before any byte is
    written.  A link is followed (its target is replaced, the link kept); a FIFO or a
    device (``-o /dev/stdout``) is written straight into, never replaced.
    """
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise ExportError(f"{quote_path(path)}: a part of the path is a file, not a folder; choose another -o path") from None
    except OSError as exc:
        raise _write_error(path, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ExportError(f"{quote_path(path)}: is a folder; give a file name with -o")
    target = Path(os.path.realpath(path)) if st is not None and path.is_symlink() else path
    if st is None and not target.parent.is_dir():
        if target.parent.exists():
            raise ExportError(f"{quote_path(target.parent)}: not a folder; choose another -o path")
        raise ExportError(f"{quote_path(target.parent)}: no such folder; create it or choose another -o path")
    data = b"".join(chunks)
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(path, "wb") as f:  # a FIFO, a device: not ours to replace
                f.write(data)
        else:
            _atomic_export(target, data)
    except OSError as exc:
        raise _write_error(path, exc) from None
    return len(data)
