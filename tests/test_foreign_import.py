"""Issue 11: other tools' labels (and our own gold and sentences exports) survive an import.

Each tool's file is built as the tool documents it, at a realistic size: a few hundred
tasks whose texts are runs of one to six consecutive sentences of the two sample
articles, with spans that are a sentence (some with the space after it selected too),
part of one, several, a label outside the scheme, rejected and ignored tasks.  Every label
must be either in the database afterwards or counted in the report under its file with
the right reason; importing the file again changes nothing; the exit status is 2 unless
``--skip-bad-labels``.

Our own ``--gold`` file: its votes come back as the reviewers' labels (stamped early, so
in the database the gold came from nothing changes) and each adjudicated span as a final
label with its ``by``, ``reason`` and votes; a unanimous span gets no final label (nothing
was decided) and is counted as "unanimous gold labels: N".  Chosen over "nothing" and over
final labels by "gold" because it is the one reading under which gold exported, imported
into a fresh database and exported again is the same gold.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.importer import article_id
from annotator.model import Label
from annotator.segment import segment
from annotator.storage import Database
from conftest import SAMPLES, run_cli

DB = Path("annotations/annotations.json")
SCHEME = ("claim", "quote", "background")
EARLY = "1970-01-01T00:00:00.000Z"
PART = "covers part of a sentence"
SAME = "one of several different labels for one sentence by one reviewer; keep one"
UNKNOWN_OPINION = 'unknown label "opinion"'
LINE = re.compile(r"^(error|skipped): (.+?): (\d+) label\(s\): (.+)$")


def texts() -> list[str]:
    """Runs of 1 to 6 consecutive sentences of each sample article: 216 different texts."""
    out: dict[str, None] = {}
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sents = segment(text)
        for size in range(1, 7):
            for i in range(len(sents) - size + 1):
                out[text[sents[i][0]:sents[i + size - 1][1]]] = None
    return list(out)


TEXTS = texts()


@dataclass
class Expect:
    """What an import of one file must give: the labels kept, and the rest by reason."""

    kept: set[tuple[str, int, int, str, str]] = field(default_factory=set)  # article, start, end, label, who
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    times: dict[tuple[str, int, int, str], str] = field(default_factory=dict)  # the stamp each kept label gets

    def keep(self, text: str, span: tuple[int, int], label: str, who: str, when: str = EARLY) -> None:
        aid = article_id(text)
        self.kept.add((aid, *span, label, who))
        self.times[(aid, *span, who)] = when


@dataclass
class Span:
    start: int
    end: int
    label: str


def spans_for(text: str, rng: random.Random, exp: Expect, who: str, when: str = EARLY,
              upper: bool = False) -> list[Span]:
    """Spans over ``text``'s sentences, each with its expected fate recorded in ``exp``."""
    sents = segment(text)
    out: list[Span] = []
    for s, e in sents:
        roll = rng.random()
        name = rng.choice(SCHEME)
        if roll < 0.62:
            end = e + 1 if e < len(text) and text[e].isspace() and rng.random() < 0.3 else e  # the space after it too
            out.append(Span(s, end, name.upper() if upper else name))
            exp.keep(text, (s, e), name, who, when)
        elif roll < 0.74:
            out.append(Span(s, s + max(1, (e - s) // 2), name))
            exp.skipped[PART] += 1
        elif roll < 0.82:
            out.append(Span(s, e, "opinion"))
            exp.skipped[UNKNOWN_OPINION] += 1
    if len(sents) >= 2 and rng.random() < 0.35:
        n = rng.randint(2, len(sents))
        i = rng.randrange(len(sents) - n + 1)
        out.append(Span(sents[i][0], sents[i + n - 1][1], rng.choice(SCHEME)))
        exp.skipped[f"spans {n} sentences"] += 1
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def report(err: str) -> tuple[Counter[tuple[str, str]], str]:
    """(file, reason) -> count from the per-file lines, and the tag they carry."""
    got: Counter[tuple[str, str]] = Counter()
    tags = set()
    for line in err.splitlines():
        m = LINE.match(line)
        if m:
            tags.add(m.group(1))
            got[(m.group(2), m.group(4))] += int(m.group(3))
    assert len(tags) <= 1
    return got, tags.pop() if tags else ""


def stored(aids: set[str], path: Path = DB) -> tuple[set[tuple[str, int, int, str, str]],
                                                    dict[tuple[str, int, int, str], str]]:
    kept: set[tuple[str, int, int, str, str]] = set()
    times: dict[tuple[str, int, int, str], str] = {}
    with Database.open(path, readonly=True) as db:
        for aid in aids:
            if db.has_article(aid):
                for lab in db.labels(aid):
                    kept.add((lab.article_id, lab.start, lab.end, lab.label, lab.annotator))
                    times[(lab.article_id, lab.start, lab.end, lab.annotator)] = lab.updated_at
    return kept, times


def export_bytes(capsys: pytest.CaptureFixture[str], db: Path) -> str:
    code, out, err = run_cli(capsys, "export", "--db", str(db), "--format", "jsonl")
    assert code == 0, err
    return out


def check_import(capsys: pytest.CaptureFixture[str], exp: Expect, file: str, db: Path = DB) -> tuple[str, str]:
    """Import ``file`` (holding the labels of ``exp``) into a new database ``db``: every label
    kept or reported; then again, which changes nothing; then with --skip-bad-labels, which
    exits 0 with the same report."""
    files = ("--db", str(db), file)
    code, out, err = run_cli(capsys, "import", *files)
    n_bad = sum(exp.skipped.values())
    assert code == (2 if n_bad else 0), err
    assert f"labels: {len(exp.kept)} added, 0 updated, 0 unchanged, {n_bad} skipped" in out, out + err
    got, tag = report(err)
    assert got == Counter({(file, why): n for why, n in exp.skipped.items()}), err
    assert tag == ("error" if n_bad else "")
    for note in exp.notes:
        assert note in out.splitlines(), out
    aids = {k[0] for k in exp.kept} | {article_id(t) for t in TEXTS}
    kept, times = stored(aids, db)
    assert kept == exp.kept
    assert times == exp.times
    before = export_bytes(capsys, db)

    code, out2, err2 = run_cli(capsys, "import", *files)  # the same file again: nothing changes
    assert code == (2 if n_bad else 0)
    assert f"labels: 0 added, 0 updated, {len(exp.kept)} unchanged, {n_bad} skipped" in out2
    assert report(err2)[0] == got
    code, out3, err3 = run_cli(capsys, "import", "--skip-bad-labels", *files)
    assert code == 0, err3
    assert report(err3) == (got, "skipped" if n_bad else "")
    assert "not imported; fix them" not in err3
    assert export_bytes(capsys, db) == before
    return out, err


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ----------------------------------------------------------------------------- doccano


def test_doccano_sequence_labeling_export_keeps_every_sentence_span(in_tmp: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """doccano 1.8 JSONL (sequence labeling): ``label: [[start, end, name]]``, no reviewer, no time."""
    rng = random.Random(11)
    exp = Expect()
    rows = []
    for n, text in enumerate(TEXTS, 1):
        spans = spans_for(text, rng, exp, "ana")
        rows.append({"id": n, "text": text, "Comments": [], "label": [[s.start, s.end, s.label] for s in spans]})
    rows[3]["label"].append([0, 3])  # not a doccano label: counted, the rest of the row kept
    exp.skipped["not a doccano label ([start, end, name] or a name)"] += 1
    write_jsonl(in_tmp / "admin.jsonl", rows)
    assert len(rows) == 216 and sum(exp.skipped.values()) > 60 and len(exp.kept) > 300
    check_import(capsys, exp, "admin.jsonl")
    with Database.open(DB, readonly=True) as db:  # the tool's id kept, its label list not
        meta = db.get_article(article_id(TEXTS[0])).meta
        assert meta == {"id": 1, "Comments": []}


def test_doccano_text_classification_labels_one_sentence_texts(in_tmp: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """doccano 1.8 JSONL (text classification): ``label: ["name", ...]`` for the whole text."""
    rng = random.Random(12)
    exp = Expect()
    rows = []
    for n, text in enumerate(TEXTS, 1):
        k = len(segment(text))
        roll = rng.random()
        if roll < 0.1:
            labels: list[str] = []
        elif roll < 0.2:
            labels = ["opinion"]
            exp.skipped[UNKNOWN_OPINION if k == 1 else f"a label for a whole text of {k} sentences"] += 1
        elif roll < 0.27:
            labels = ["claim", "quote"]  # multi-label: which one is the sentence's is not for us to guess
            exp.skipped[SAME if k == 1 else f"a label for a whole text of {k} sentences"] += 2
        else:
            labels = [rng.choice(SCHEME)]
            if k == 1:
                exp.keep(text, segment(text)[0], labels[0], "ana")
            else:
                exp.skipped[f"a label for a whole text of {k} sentences"] += 1
        rows.append({"id": n, "text": text, "Comments": [], "label": labels})
    write_jsonl(in_tmp / "classified.jsonl", rows)
    assert len(exp.kept) > 20
    check_import(capsys, exp, "classified.jsonl")


# ----------------------------------------------------------------------------- Prodigy


def tokens(text: str) -> list[dict[str, Any]]:
    words = list(re.finditer(r"\S+", text))
    return [{"text": m.group(), "start": m.start(), "end": m.end(), "id": i,
             "ws": m.end() < len(text) and text[m.end()].isspace()} for i, m in enumerate(words)]


def token_span(toks: list[dict[str, Any]], s: Span) -> dict[str, Any]:
    inside = [t["id"] for t in toks if t["start"] < s.end and t["end"] > s.start]
    return {"start": s.start, "end": s.end, "token_start": inside[0], "token_end": inside[-1], "label": s.label}


def test_prodigy_spans_keep_reviewers_and_times(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``prodigy db-out`` of a spans.manual dataset: two named sessions, tokens on half the tasks,
    upper-case labels, rejected and ignored tasks; ``_timestamp`` is the label's time."""
    rng = random.Random(13)
    exp = Expect()
    rows = []
    rejected = ignored = 0
    for n, text in enumerate(TEXTS * 2):
        who = ("budi", "citra")[n // len(TEXTS)]
        ts = 1_765_000_000 + n * 7
        answer = "accept" if n % 10 not in (3, 7) else ("reject" if n % 10 == 3 else "ignore")
        throwaway = Expect()
        spans = spans_for(text, rng, exp if answer == "accept" else throwaway, who, iso(ts), upper=True)
        rejected += answer == "reject"
        ignored += answer == "ignore"
        row: dict[str, Any] = {"text": text, "_input_hash": -1000 - n % len(TEXTS), "_task_hash": 5000 + n,
                               "_view_id": "spans_manual", "answer": answer, "_timestamp": ts,
                               "_annotator_id": f"news_claims-{who}", "_session_id": f"news_claims-{who}"}
        if n % 2:
            toks = tokens(text)
            row["tokens"] = toks
            row["spans"] = [token_span(toks, s) for s in spans]
        else:
            row["spans"] = [{"start": s.start, "end": s.end, "label": s.label} for s in spans]
        rows.append(row)
    write_jsonl(in_tmp / "news_claims.jsonl", rows)
    exp.notes = [f"news_claims.jsonl: rejected in Prodigy: {rejected} task(s), no label",
                 f"news_claims.jsonl: ignored in Prodigy: {ignored} task(s), skipped"]
    assert len(rows) == 432 and rejected > 40 and ignored > 40
    check_import(capsys, exp, "news_claims.jsonl")


def test_prodigy_textcat_and_choice_label_one_sentence_texts(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Prodigy textcat (``label`` + ``answer``) and choice (``options``, ``accept``, ``answer``)."""
    rng = random.Random(14)
    cat, choice = Expect(), Expect()
    cat_rows, choice_rows = [], []
    counts = Counter[str]()
    for n, text in enumerate(TEXTS):
        k = len(segment(text))
        whole = f"a label for a whole text of {k} sentences"
        ts = 1_765_100_000 + n
        name = rng.choice(SCHEME + ("opinion",))
        answer = rng.choice(["accept"] * 7 + ["reject", "reject", "ignore"])
        counts[answer] += 1
        cat_rows.append({"text": text, "label": name.upper(), "answer": answer, "_view_id": "classification",
                         "_input_hash": n, "_task_hash": n + 1, "_timestamp": ts,
                         "_annotator_id": "news_cat-dewi", "_session_id": "news_cat-dewi"})
        if answer == "accept":
            if k > 1:
                cat.skipped[whole] += 1
            elif name == "opinion":
                cat.skipped['unknown label "OPINION"'] += 1
            else:
                cat.keep(text, segment(text)[0], name, "dewi", iso(ts))
        picked = rng.sample(SCHEME, rng.choice([0, 1, 1, 1, 1, 2]))
        choice_rows.append({"text": text, "options": [{"id": s, "text": s.title()} for s in SCHEME],
                            "accept": picked, "answer": "accept", "_view_id": "choice",
                            "config": {"choice_style": "multiple"}, "_timestamp": ts,
                            "_annotator_id": "news_choice-eko", "_session_id": "news_choice-eko"})
        if k > 1:
            choice.skipped[whole] += len(picked)
        elif len(picked) == 2:
            choice.skipped[SAME] += 2
        elif picked:
            choice.keep(text, segment(text)[0], picked[0], "eko", iso(ts))
    write_jsonl(in_tmp / "news_cat.jsonl", cat_rows)
    write_jsonl(in_tmp / "news_choice.jsonl", choice_rows)
    cat.notes = [f"news_cat.jsonl: rejected in Prodigy: {counts['reject']} task(s), no label",
                 f"news_cat.jsonl: ignored in Prodigy: {counts['ignore']} task(s), skipped"]
    check_import(capsys, cat, "news_cat.jsonl")
    check_import(capsys, choice, "news_choice.jsonl", Path("choice/annotations.json"))


def test_prodigy_names_lose_the_dataset_and_unnamed_sessions_are_the_importer(
        in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "Satu dua tiga. Empat lima enam."
    rows = [
        {"text": text, "spans": [{"start": 0, "end": 14, "label": "claim"}], "answer": "accept",
         "_annotator_id": "news-ner-ana", "_session_id": "news-ner-ana"},
        {"text": text, "spans": [{"token_start": 3, "token_end": 5, "label": "quote"}], "tokens": tokens(text),
         "answer": "accept", "_session_id": "news-2025-12-01_10-11-12"},  # no session name; tokens only
        {"text": text, "spans": [{"start": 0, "end": 14, "label": "quote"}], "_annotator_id": "news_ner-budi"},
    ]
    write_jsonl(in_tmp / "p.jsonl", rows)
    code, out, err = run_cli(capsys, "import", "--annotator", "citra", "p.jsonl")
    assert code == 0, err
    with Database.open(DB, readonly=True) as db:
        got = {(x.start, x.end, x.label, x.annotator, x.updated_at) for x in db.labels(article_id(text))}
    assert got == {(0, 14, "claim", "ana", EARLY), (15, 31, "quote", "citra", EARLY), (0, 14, "quote", "budi", EARLY)}


# ----------------------------------------------------------------------------- Label Studio


def ls_annotation(n: int, who: Any, results: list[dict[str, Any]], when: str, cancelled: bool = False) -> dict[str, Any]:
    return {"id": n, "completed_by": who, "result": results, "was_cancelled": cancelled, "ground_truth": False,
            "created_at": when, "updated_at": when, "draft_created_at": None, "lead_time": 12.5, "prediction": {},
            "result_count": 0, "unique_id": f"u-{n}", "import_id": None, "last_action": None, "task": n,
            "project": 1, "updated_by": who if isinstance(who, int) else who["id"], "parent_prediction": None,
            "parent_annotation": None, "last_created_by": None}


def ls_region(text: str, s: Span, n: int) -> dict[str, Any]:
    return {"value": {"start": s.start, "end": s.end, "text": text[s.start:s.end], "labels": [s.label]},
            "id": f"r{n}", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"}


def ls_choice(name: str, n: int) -> dict[str, Any]:
    return {"value": {"choices": [name]}, "id": f"c{n}", "from_name": "kind", "to_name": "text",
            "type": "choices", "origin": "manual"}


def test_label_studio_json_export_keeps_regions_choices_and_reviewers(in_tmp: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A Label Studio 1.x JSON export: span regions (``labels``), a whole-text ``choices`` on
    one-sentence tasks, two reviewers (``completed_by`` an id, or an object with an email),
    cancelled annotations and a model's predictions (counted, not imported)."""
    rng = random.Random(15)
    exp = Expect()
    tasks = []
    cancelled = predictions = 0
    eko = {"id": 5, "first_name": "Eko", "last_name": "", "email": "eko@example.com"}
    for n, text in enumerate(TEXTS, 1):
        when = f"2026-03-{1 + n % 28:02d}T10:11:{n % 60:02d}.123456Z"
        stamp = when[:23] + "Z"
        single = len(segment(text)) == 1
        if single:
            name = rng.choice(SCHEME + ("opinion",))
            results = [ls_choice(name, n)]
            if name == "opinion":
                exp.skipped[UNKNOWN_OPINION] += 1
            else:
                exp.keep(text, segment(text)[0], name, "ls-user-3", stamp)
        else:
            results = [ls_region(text, s, i) for i, s in enumerate(spans_for(text, rng, exp, "ls-user-3", stamp))]
        anns = [ls_annotation(n, 3, results, when)]
        if n % 3 == 0:
            if n % 7 == 0:
                cancelled += 1
                anns.append(ls_annotation(1000 + n, eko, [], when, cancelled=True))
            else:
                regions = spans_for(text, rng, exp, "eko", stamp)
                anns.append(ls_annotation(1000 + n, eko, [ls_region(text, s, i) for i, s in enumerate(regions)],
                                          when))
        preds = []
        if n % 5 == 0:
            preds = [{"id": n, "model_version": "v1", "score": 0.5, "result": [ls_choice("claim", 1)]}]
            predictions += 1
        tasks.append({"id": n, "annotations": anns, "file_upload": "news.json", "drafts": [], "predictions": preds,
                      "data": {"text": text, "url": f"https://example.com/{n}"}, "meta": {},
                      "created_at": when, "updated_at": when, "inner_id": n, "total_annotations": len(anns),
                      "cancelled_annotations": 0, "total_predictions": len(preds), "comment_count": 0,
                      "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 1,
                      "updated_by": 3, "comment_authors": []})
    tasks[0]["annotations"][0]["result"].append({"id": "rel", "type": "relation", "from_id": "r0", "to_id": "r1",
                                                 "direction": "right"})
    exp.skipped['a Label Studio "relation" result, not labels or choices'] += 1
    (in_tmp / "project-1-at-2026-03-30.json").write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    exp.notes = [f"project-1-at-2026-03-30.json: cancelled in Label Studio: {cancelled} annotation(s), skipped",
                 f"project-1-at-2026-03-30.json: Label Studio predictions: {predictions} result(s), not imported "
                 f"(a model's, not a reviewer's)"]
    assert len(tasks) == 216 and len({k[4] for k in exp.kept}) == 2
    check_import(capsys, exp, "project-1-at-2026-03-30.json")
    with Database.open(DB, readonly=True) as db:
        assert db.get_article(article_id(TEXTS[4])).meta["url"] == "https://example.com/5"


def test_label_studio_offsets_in_utf16_units_are_placed(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Label Studio counts offsets as JavaScript does; its ``value.text`` tells them apart."""
    text = "Harga naik 🚀 tajam. Pasar tenang."
    start16 = len("Harga naik 🚀 tajam. ".encode("utf-16-le")) // 2
    task = {"id": 1, "data": {"text": text}, "annotations": [ls_annotation(1, 3, [
        {"value": {"start": start16, "end": start16 + 13, "text": "Pasar tenang.", "labels": ["background"]},
         "from_name": "label", "to_name": "text", "type": "labels"}], "2026-01-01T00:00:00Z")]}
    (in_tmp / "ls.json").write_bytes(orjson.dumps([task]))
    code, out, err = run_cli(capsys, "import", "ls.json")
    assert code == 0, err
    with Database.open(DB, readonly=True) as db:
        (lab,) = db.labels(article_id(text))
    assert text[lab.start:lab.end] == "Pasar tenang." and lab.annotator == "ls-user-3"


def test_a_json_file_that_is_no_label_studio_export_is_one_error_line(in_tmp: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "in").mkdir()
    (in_tmp / "in" / "config.json").write_bytes(b'{"labels": ["claim"]}')
    (in_tmp / "in" / "rows.json").write_bytes(b'[{"text": "Satu."}]')
    (in_tmp / "in" / "a.txt").write_text("Satu dua. Tiga.\n")
    code, out, err = run_cli(capsys, "import", "in")
    assert code == 2
    assert [x for x in err.splitlines() if x.startswith("error:")] == [
        "error: in/config.json: a JSON object, not a Label Studio JSON export (a JSON array of tasks); a .json file "
        "is read only as that; import other records as .jsonl",
        "error: in/rows.json: task 1: not a Label Studio task (an object with data.text); a .json file is read only "
        "as a Label Studio export (export as JSON, not JSON-MIN) (nothing from this file was imported)",
    ]
    assert out.startswith("1 new article(s)")
    # A database folder inside what is imported (a reviewer's copy) is a note, not an error.
    run_cli(capsys, "import", "--db", "in/ana/annotations.json", "in/a.txt")
    (in_tmp / "in" / "config.json").unlink()
    (in_tmp / "in" / "rows.json").unlink()
    code, out, err = run_cli(capsys, "import", "in")
    assert code == 0, err
    assert "skipped: in/ana/annotations.json: a TinyDB database file (an annotator database?), not an import; " \
           "bring in another database with `annotator merge`" in err.splitlines()


# ----------------------------------------------------------------------------- our own exports


def labeled_db(capsys: pytest.CaptureFixture[str]) -> None:
    """The two samples, ana and budi labeling the first eight sentences of each (agreeing on
    even ones), and citra deciding the first disagreement of each article."""
    assert run_cli(capsys, "import", str(SAMPLES))[0] == 0
    with Database.open(DB) as db:
        from annotator.model import Decision

        for info in db.article_infos():
            a = db.get_article(info.id)
            for i, s in enumerate(a.sentences[:8]):
                db.set_label(Label(a.id, s.start, s.end, "claim", "ana", "2026-05-01T00:00:00.000Z"))
                db.set_label(Label(a.id, s.start, s.end, "claim" if i % 2 == 0 else "quote", "budi",
                                   "2026-05-01T00:00:00.000Z"))
            s = a.sentences[1]
            db.set_decision(Decision(a.id, s.start, s.end, "quote", "citra", "the attribution makes it one",
                                     "2026-05-02T00:00:00.000Z", (("ana", "claim"), ("budi", "quote"))))


def test_gold_export_imports_into_a_fresh_database_as_the_same_gold(in_tmp: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    labeled_db(capsys)
    assert run_cli(capsys, "export", "--gold", "-o", "gold.jsonl")[0] == 0
    gold = (in_tmp / "gold.jsonl").read_bytes()
    code, out, err = run_cli(capsys, "import", "gold.jsonl")  # into the database it came from: nothing new
    assert code == 0, err
    assert "labels: 0 added, 0 updated, 20 unchanged, 0 skipped" in out
    assert "final labels:" not in out  # both unchanged
    assert ("gold.jsonl: unanimous gold labels: 8, the reviewers' own labels (kept as theirs; no final label)"
            in out.splitlines())

    fresh = ["--db", "fresh/annotations.json"]
    code, out, err = run_cli(capsys, "import", *fresh, "gold.jsonl")
    assert code == 0, err
    assert "labels: 20 added" in out and "final labels: 2 added" in out
    assert run_cli(capsys, "export", *fresh, "--gold")[1].encode() == gold
    with Database.open(Path("fresh/annotations.json"), readonly=True) as db:
        (d,) = [d for info in db.article_infos() for d in db.decisions(info.id)][:1]
        assert (d.by, d.reason, d.votes, d.updated_at) == ("citra", "the attribution makes it one",
                                                            (("ana", "claim"), ("budi", "quote")), EARLY)
        assert len({info.id for info in db.article_infos()}) == 2


def test_sentences_export_attaches_to_its_article_never_one_of_its_own(in_tmp: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    labeled_db(capsys)
    assert run_cli(capsys, "export", "--format", "sentences", "-o", "sentences.jsonl")[0] == 0
    rows = [orjson.loads(x) for x in (in_tmp / "sentences.jsonl").read_bytes().splitlines()]
    assert len(rows) == 32
    # An older export names the article by its bare id; a later one prefixes it.
    for r in rows[::2]:
        r["article_id"] = r["article_id"][-16:]
    for r in rows[1::4]:
        r["article_id"] = "doc_" + r["article_id"][-16:]
    write_jsonl(in_tmp / "sentences.jsonl", rows)

    # Alone in an empty database: nothing to attach to, and no article made of a sentence.
    empty = ["--db", "empty/annotations.json"]
    code, out, err = run_cli(capsys, "import", *empty, "sentences.jsonl")
    assert code == 2
    assert report(err)[0] == Counter({("sentences.jsonl", "article not in this database; import its text first"): 32})
    assert out.startswith("0 new article(s), 0 already present, 0 sentence(s) added")

    # With the article texts in the same import, or in the database: attached.
    other = ["--db", "other/annotations.json"]
    code, out, err = run_cli(capsys, "import", *other, "sentences.jsonl", str(SAMPLES))
    assert code == 0, err
    assert "2 new article(s), 0 already present, 41 sentence(s) added" in out and "labels: 32 added" in out
    code, out, err = run_cli(capsys, "import", *other, "sentences.jsonl")
    assert code == 0 and "labels: 0 added, 0 updated, 32 unchanged, 0 skipped" in out
    with Database.open(Path("other/annotations.json"), readonly=True) as db, Database.open(DB, readonly=True) as src:
        assert len(db.article_infos()) == 2
        for info in src.article_infos():
            assert set(db.labels(info.id)) == set(src.labels(info.id))

    # A row whose text is not the article's (another version of it) is reported, not attached.
    rows[0]["text"] = rows[0]["text"].upper()
    write_jsonl(in_tmp / "changed.jsonl", rows[:1])
    code, out, err = run_cli(capsys, "import", *other, "changed.jsonl")
    assert code == 2
    assert report(err)[0] == Counter({("changed.jsonl", "the span's text is not the text at its offsets"): 1})


def test_gold_sentences_rows_restore_votes_and_final_labels(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labeled_db(capsys)
    assert run_cli(capsys, "export", "--gold", "--format", "sentences", "-o", "gold.jsonl")[0] == 0
    assert run_cli(capsys, "export", "--gold", "-o", "gold-articles.jsonl")[0] == 0
    other = ["--db", "other/annotations.json"]
    code, out, err = run_cli(capsys, "import", *other, str(SAMPLES), "gold.jsonl")
    assert code == 0, err
    assert "final labels: 2 added" in out
    assert run_cli(capsys, "export", *other, "--gold")[1].encode() == (in_tmp / "gold-articles.jsonl").read_bytes()


def test_label_with_paths_takes_skip_bad_labels(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "label", "--help")
    assert code == 0 and "--skip-bad-labels" in out


def test_a_plain_dataset_with_a_label_field_keeps_it_as_meta(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only an annotated Prodigy task (with ``answer``) is read as textcat: a category named
    ``label`` in a plain dataset is metadata, as before."""
    write_jsonl(in_tmp / "news.jsonl", [{"text": "Satu dua. Tiga empat.", "label": "politics", "id": 9}])
    code, out, err = run_cli(capsys, "import", "news.jsonl")
    assert code == 0 and err == ""
    with Database.open(DB, readonly=True) as db:
        (info,) = db.article_infos()
        assert db.get_article(info.id).meta == {"id": 9, "label": "politics"} and db.labels(info.id) == []


@pytest.mark.parametrize("fmt", ["doccano", "doccano-textcat", "prodigy", "prodigy-textcat", "label-studio"])
def test_our_tool_exports_import_back_with_every_label(in_tmp: Path, capsys: pytest.CaptureFixture[str],
                                                       fmt: str) -> None:
    """Export in a tool's shape, import into a fresh database: the same labels by the same
    reviewers.  A one-sentence task (the textcat layouts) names its article: it goes back to
    that sentence, once the article's text is there, and never becomes an article itself."""
    labeled_db(capsys)
    out = f"out.{'json' if fmt == 'label-studio' else 'jsonl'}"
    assert run_cli(capsys, "export", "--format", fmt, "-o", out)[0] == 0
    fresh = ["--db", "fresh/annotations.json"]
    if fmt.endswith("textcat"):
        code, _, err = run_cli(capsys, "import", *fresh, out)
        assert code == 2 and report(err)[0] == Counter({(out, "article not in this database; import its text "
                                                               "first"): 32})
    code, stdout, err = run_cli(capsys, "import", *fresh, str(SAMPLES), out)
    assert code == 0, err
    with Database.open(Path("fresh/annotations.json"), readonly=True) as db, Database.open(DB, readonly=True) as src:
        assert len(db.article_infos()) == 2
        for info in src.article_infos():
            assert {(x.start, x.end, x.label, x.annotator) for x in db.labels(info.id)} == \
                   {(x.start, x.end, x.label, x.annotator) for x in src.labels(info.id)}
