"""Fixing a split in place (issue 12): split a sentence, join two, undo and redo them; labels
on a changed sentence retired (kept, with why), every other label kept; offsets exact."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.export import read_record, render
from annotator.importer import apply_import, article_id, plan_import
from annotator.merge import format_report, merge_database
from annotator.model import Article, Decision, Label, Span
from annotator.resegment import join_spans, split_spans, word_starts
from annotator.storage import Database
from annotator.verify import verify

from conftest import run_cli

TEXT = "Jakarta - Rapat dimulai pagi.\n\nThe board finally chose Plan B. Shares fell 4% after the news.\nIt ended."
T = "2026-06-01T00:00:00.000Z"


def sentences_of(text: str) -> tuple[Span, ...]:
    """Each line a sentence (stripped), for texts made here."""
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            start = pos + len(line) - len(line.lstrip())
            out.append(Span(start, start + len(line.strip())))
        pos += len(line) + 1
    return tuple(out)


def add(db: Database, text: str = TEXT) -> str:
    aid = article_id(text)
    db.add_articles([Article(aid, "", text, sentences_of(text), ("t.txt",))])
    return aid


def texts(db: Database, aid: str) -> list[str]:
    art = db.get_article(aid)
    return [art.text[s.start:s.end] for s in art.sentences]


def labeled(db: Database, aid: str) -> set[tuple[int, int, str, str]]:
    return {(x.start, x.end, x.annotator, x.label) for x in db.labels(aid)}


@pytest.fixture
def team(db: Database) -> tuple[Database, str]:
    aid = add(db)
    sents = db.get_article(aid).sentences
    for who, names in (("ana", ("background", "claim", "claim")), ("budi", ("background", "quote", "claim"))):
        for sp, name in zip(sents, names):
            db.set_label(Label(aid, sp.start, sp.end, name, who, T))
    s = sents[1]
    db.set_decision(Decision(aid, s.start, s.end, "claim", "citra", "both plausible", T, (("ana", "claim"),)))
    return db, aid


def test_the_pure_arithmetic() -> None:
    sents = sentences_of(TEXT)
    s = sents[1]
    offset = TEXT.index("Shares")
    i, left, right = split_spans(TEXT, sents, offset)
    assert i == 1 and TEXT[left.start:left.end] == "The board finally chose Plan B."
    assert TEXT[right.start:right.end] == "Shares fell 4% after the news."
    # A split in the space between the words is the same split.
    assert split_spans(TEXT, sents, offset - 1)[1:] == (left, right)
    assert offset in word_starts(TEXT, s) and s.start not in word_starts(TEXT, s)
    for bad in (s.start, s.end, -1, len(TEXT) + 1, TEXT.index("\n\n") + 1):
        with pytest.raises(ValueError):
            split_spans(TEXT, sents, bad)
    assert join_spans(sents, 1) == Span(s.start, sents[2].end)
    with pytest.raises(ValueError, match="last one"):
        join_spans(sents, len(sents) - 1)


def test_split_retires_exactly_the_split_sentences_labels_and_undo_brings_them_back(
        team: tuple[Database, str], tmp_path: Path) -> None:
    db, aid = team
    before = labeled(db, aid)
    s = db.get_article(aid).sentences[1]
    ev = db.split_sentence(aid, TEXT.index("Shares"), "ana")
    assert ev.op == "split" and ev.removed == (s,) and len(ev.added) == 2
    assert texts(db, aid) == ["Jakarta - Rapat dimulai pagi.", "The board finally chose Plan B.",
                              "Shares fell 4% after the news.", "It ended."]
    assert db.article_info(aid).n_sentences == 4
    # The other sentences keep their labels; the split one's are retired, with why; the halves are unlabeled.
    assert labeled(db, aid) == {x for x in before if (x[0], x[1]) != (s.start, s.end)}
    retired = db.retired(aid)
    assert {(r.record.start, r.record.end, r.final, r.op, r.by) for r in retired} == {
        (s.start, s.end, False, "split", "ana"), (s.start, s.end, True, "split", "ana")}
    assert len(retired) == 3 and db.decisions(aid) == []
    # Saved: a fresh open sees the same, and the index counts the sentences.
    path = db.path
    db.close()
    with Database.open(path, readonly=True) as again:
        assert texts(again, aid)[2] == "Shares fell 4% after the news."
        assert again.article_info(aid).n_sentences == 4
        assert len(again.retired(aid)) == 3
        assert again.label_counts("budi")[aid] == {"background": 1, "claim": 1}
    with Database.open(path) as db2:
        undone = db2.undo("ana")
        assert undone is not None and undone.op == "undo" and undone.removed == ev.added
        assert labeled(db2, aid) == before and db2.retired(aid) == [] and len(db2.decisions(aid)) == 1
        assert db2.article_info(aid).n_sentences == 3
        redone = db2.redo("ana")
        assert redone is not None and redone.op == "redo" and len(db2.retired(aid)) == 3
        assert len(db2.segmentation_history(aid)) == 3  # split, undo, redo: all kept


def test_join_then_a_new_label_and_the_old_labels_stay_retired(team: tuple[Database, str]) -> None:
    db, aid = team
    db.split_sentence(aid, TEXT.index("Shares"), "ana")
    halves = db.get_article(aid).sentences[1:3]
    db.set_label(Label(aid, halves[1].start, halves[1].end, "quote", "budi", T))  # a clock behind: still counts
    assert ("quote" in {x.label for x in db.labels(aid, "budi") if Span(x.start, x.end) == halves[1]})
    ev = db.join_sentences(aid, 1, "budi")
    assert ev.op == "join" and db.get_article(aid).sentences[1] == Span(halves[0].start, halves[1].end)
    # The joined sentence is the one split before: its old labels stay retired, it starts unlabeled.
    assert not [x for x in db.labels(aid) if (x.start, x.end) == (halves[0].start, halves[1].end)]
    assert {(r.record.start, r.op) for r in db.retired(aid)} >= {(halves[0].start, "split"), (halves[1].start, "join")}
    # A label made now counts, whatever the clock says.
    s = db.get_article(aid).sentences[1]
    db.set_label(Label(aid, s.start, s.end, "claim", "ana", "2020-01-01T00:00:00.000Z"))
    assert (s.start, s.end, "ana", "claim") in labeled(db, aid)


def test_undo_goes_through_labels_and_splits_in_the_order_made(team: tuple[Database, str]) -> None:
    db, aid = team
    s = db.get_article(aid).sentences[2]
    db.set_label(Label(aid, s.start, s.end, "quote", "ana", "2026-06-02T00:00:00.000Z"))
    db.split_sentence(aid, TEXT.index("Shares"), "ana")
    assert db.undo("ana").op == "undo"  # the split first...
    ev = db.undo("ana")
    assert ev is not None and ev.op == "undo" and (ev.start, ev.end) == (s.start, s.end)  # ...then the label
    assert {(x.label) for x in db.labels(aid, "ana") if (x.start, x.end) == (s.start, s.end)} == {"claim"}


def test_someone_elses_split_passes_over_my_label_on_it(team: tuple[Database, str]) -> None:
    db, aid = team
    s1, s2 = db.get_article(aid).sentences[1:3]
    db.set_label(Label(aid, s2.start, s2.end, "quote", "ana", "2026-06-02T00:00:00.000Z"))
    db.set_label(Label(aid, s1.start, s1.end, "quote", "ana", "2026-06-03T00:00:00.000Z"))
    db.split_sentence(aid, TEXT.index("Shares"), "budi")
    ev = db.undo("ana")  # her label on the split sentence cannot be undone: the one before it is
    assert ev is not None and (ev.start, ev.end) == (s2.start, s2.end)


def test_bad_splits_and_joins_change_nothing(team: tuple[Database, str]) -> None:
    db, aid = team
    n = len(db.get_article(aid).sentences)
    with pytest.raises(ValueError):
        db.split_sentence(aid, 0, "ana")
    with pytest.raises(ValueError):
        db.join_sentences(aid, n - 1, "ana")
    with pytest.raises(ValueError):
        db.split_sentence("nope", 3, "ana")
    assert len(db.get_article(aid).sentences) == n and db.segmentation_history(aid) == []


# ----------------------------------------------------------------------------- property

words = st.text(alphabet="abcXYZ.,4%é", min_size=1, max_size=6)
gaps = st.sampled_from([" ", "  ", "\n", " \n\n "])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ws=st.lists(words, min_size=2, max_size=14), seps=st.lists(gaps, min_size=13, max_size=13),
       ops=st.lists(st.tuples(st.sampled_from(["split", "join", "label", "undo"]), st.integers(0, 10_000)),
                    min_size=1, max_size=8))
def test_any_splits_and_joins_keep_offsets_exact_and_retire_exactly_the_changed_sentences(
        tmp_path_factory: pytest.TempPathFactory, ws: list[str], seps: list[str],
        ops: list[tuple[str, int]]) -> None:
    text = ws[0] + "".join(sep + w for sep, w in zip(seps, ws[1:]))
    with Database.open(tmp_path_factory.mktemp("p") / "db.json") as db:
        aid = add(db, text)
        for n, sp in enumerate(db.get_article(aid).sentences):
            db.set_label(Label(aid, sp.start, sp.end, ("claim", "quote")[n % 2], "ana", T))
        for op, x in ops:
            art = db.get_article(aid)
            before = set(art.sentences)
            had = labeled(db, aid)
            retired_before = len(db.retired(aid))
            if op == "split":
                points = [p for s in art.sentences for p in word_starts(text, s)]
                if not points:
                    continue
                db.split_sentence(aid, points[x % len(points)], "ana")
            elif op == "join":
                if len(art.sentences) < 2:
                    continue
                db.join_sentences(aid, x % (len(art.sentences) - 1), "ana")
            elif op == "label":
                sp = art.sentences[x % len(art.sentences)]
                db.set_label(Label(aid, sp.start, sp.end, "background", "ana", T))
                continue
            else:
                if db.undo("ana") is None:
                    continue
            after = db.get_article(aid).sentences
            # Offsets exact: in order, no overlap, each text[start:end] with no whitespace at its ends,
            # and together they hold every word of the text.
            assert all(a.end <= b.start for a, b in zip(after, after[1:]))
            assert all(text[s.start:s.end] == text[s.start:s.end].strip() != "" for s in after)
            assert " ".join(text[s.start:s.end] for s in after).split() == text.split()
            # Every label on a sentence that did not change stays; those on a sentence that went are retired.
            gone = before - set(after)
            now = labeled(db, aid)
            if op != "undo":
                assert now == {x for x in had if Span(x[0], x[1]) not in gone}
                assert len(db.retired(aid)) - retired_before == len([x for x in had if Span(x[0], x[1]) in gone])
            assert all(Span(x[0], x[1]) in set(after) for x in now)


# ----------------------------------------------------------------------------- travel: export, import, merge

def copy_db(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    shutil.copy(src, dst / src.name)
    shutil.copytree(src.with_name(src.stem + ".d"), dst / (src.stem + ".d"))
    return dst / src.name


def export_bytes(path: Path, history: bool = True) -> bytes:
    with Database.open(path, readonly=True) as db:
        return b"".join(render(db, "jsonl", history=history))


def test_export_import_keeps_segmentation_and_retired_labels_byte_for_byte(
        team: tuple[Database, str], tmp_path: Path) -> None:
    db, aid = team
    db.split_sentence(aid, TEXT.index("Shares"), "ana")
    s = db.get_article(aid).sentences[2]
    db.set_label(Label(aid, s.start, s.end, "quote", "budi", "2026-06-02T00:00:00.000Z"))
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"".join(render(db, "jsonl")))
    rec = read_record(out.read_bytes().splitlines()[0])
    raw = orjson.loads(out.read_bytes().splitlines()[0])
    assert isinstance(raw["retired"], str) and isinstance(raw["segmentation"], str)  # packed, as datasets needs
    assert [r["retired_op"] for r in rec["retired"]] == ["split"] * 3 and sum(r["final"] for r in rec["retired"]) == 1
    assert [e["op"] for e in rec["segmentation"]] == ["split"]
    assert all(rec["text"][x["start"]:x["end"]] == rec["text"][x["start"]:x["end"]].strip() for x in rec["sentences"])
    for name, prepare in (("empty", False), ("with the text", True)):
        with Database.open(tmp_path / name / "db.json") as fresh:
            if prepare:  # the same article there already, as imported: the split comes with the file
                fresh.add_articles([Article(aid, "", TEXT, sentences_of(TEXT), ("t.txt",))])
            result = apply_import(fresh, plan_import([out]))
            assert result.labels[3] == 0, result.label_skips
            assert texts(fresh, aid) == texts(db, aid)
            assert labeled(fresh, aid) == labeled(db, aid)
            assert fresh.retired(aid) == db.retired(aid)
            assert b"".join(render(fresh, "jsonl")) == out.read_bytes()


def test_merge_retires_the_labels_a_copy_still_has_on_the_old_sentence(team: tuple[Database, str],
                                                                      tmp_path: Path) -> None:
    db, aid = team
    db.close()
    a = copy_db(db.path, tmp_path / "a")
    b = copy_db(db.path, tmp_path / "b")
    with Database.open(a) as da:
        da.split_sentence(aid, TEXT.index("Shares"), "ana")
    with Database.open(b) as dbb:  # budi, on his copy, still labels the old sentence
        s = dbb.get_article(aid).sentences[1]
        dbb.set_label(Label(aid, s.start, s.end, "background", "budi", "2026-06-03T00:00:00.000Z"))
        report = merge_database(dbb, a)
        assert report.result is not None and report.result.retired == 3
        assert "3 label(s) retired (their sentence was split or joined)" in "\n".join(format_report(report))
        assert texts(dbb, aid)[2] == "Shares fell 4% after the news."
        assert {(r.record.label, r.final) for r in dbb.retired(aid)} == {("background", False), ("claim", False),
                                                                          ("claim", True)}
    with Database.open(a) as da:
        report = merge_database(da, b)
        assert report.result is not None and report.result.retired == 1  # budi's later label, retired here too
    assert export_bytes(a) == export_bytes(b)
    assert verify(a).ok and verify(b).ok


seg_ops = st.lists(st.tuples(st.sampled_from(["label", "label", "split", "join", "undo", "redo", "sync"]),
                         st.integers(0, 2), st.integers(0, 2), st.integers(0, 50)), min_size=3, max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=seg_ops)
def test_merging_copies_with_splits_and_joins_in_any_order_gives_the_same_bytes(
        tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, int, int, int]]) -> None:
    tmp = tmp_path_factory.mktemp("seg")
    template = tmp / "t" / "db.json"
    with Database.open(template) as db:
        aid = add(db)
    copies = [copy_db(template, tmp / f"c{i}") for i in range(3)]
    names = ("ana", "budi", "citra")
    for n, (kind, ci, wi, x) in enumerate(plan):
        who = names[wi]
        with Database.open(copies[ci]) as db:
            art = db.get_article(aid)
            try:
                if kind == "label":
                    sp = art.sentences[x % len(art.sentences)]
                    db.set_label(Label(aid, sp.start, sp.end, ("claim", "quote")[x % 2], who,
                                       f"2026-06-01T00:00:{n:02d}.000Z"))
                elif kind == "split":
                    points = [p for s in art.sentences for p in word_starts(art.text, s)]
                    db.split_sentence(aid, points[x % len(points)], who)
                elif kind == "join" and len(art.sentences) > 1:
                    db.join_sentences(aid, x % (len(art.sentences) - 1), who)
                elif kind == "undo":
                    db.undo(who)
                elif kind == "redo":
                    db.redo(who)
                elif kind == "sync" and x % 3 != ci:
                    merge_database(db, copies[x % 3])
            except ValueError:
                pass
    results = set()
    for k, order in enumerate(itertools.permutations(range(3))):
        target = copy_db(template, tmp / f"m{k}")
        with Database.open(target) as db:
            for i in order:
                merge_database(db, copies[i])
        once = export_bytes(target)
        with Database.open(target) as db:
            for i in reversed(order):
                merge_database(db, copies[i])
        assert export_bytes(target) == once
        assert verify(target).ok, verify(target).findings
        results.add(once)
    assert len(results) == 1


def test_split_and_join_commands(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.txt").write_text("Rapat\n\nThe board finally chose Plan B. Shares fell 4% after the news.\n")
    assert run_cli(capsys, "import", "a.txt")[0] == 0
    with Database.open(in_tmp / "annotations" / "annotations.json", readonly=True) as db:
        aid = db.article_infos()[0].id
        assert len(db.get_article(aid).sentences) == 2  # the bug: one sentence
    text = (in_tmp / "a.txt").read_text()
    code, out, err = run_cli(capsys, "split", f"art_{aid}", str(text.index("Shares")))
    assert code == 0 and out.count("\n") == 1 and '"Shares fell 4% after the news."' in out, (out, err)
    for args, message in ((("split", f"art_{aid}", "0"), "not inside a sentence"),
                          (("split", f"art_{aid}", "x"), "not a whole number"),
                          (("split", "art_nope", "3"), "no article"),
                          (("join", aid, "2"), "the last one"),
                          (("join", aid, "1.5"), "not a whole number")):
        code, out, err = run_cli(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, (args, err)
    code, out, err = run_cli(capsys, "join", aid, "1")
    assert code == 0 and "joined" in out
    code, out, _ = run_cli(capsys, "verify")
    assert code == 0 and "ok: 1 articles, 2 sentences" in out


def test_verify_finds_a_label_counted_on_a_sentence_that_was_split(team: tuple[Database, str]) -> None:
    db, aid = team
    db.split_sentence(aid, TEXT.index("Shares"), "ana")
    path, labels_path = db.path, db.labels_path(aid)
    db.close()
    assert verify(path).ok
    data = orjson.loads(labels_path.read_bytes())
    moved = data["retired"].pop("1")
    for k in ("retired_op", "retired_by", "retired_at", "retired_tick", "final"):
        moved.pop(k, None)
    table = data["final"] if "votes" in moved else data["labels"]
    table[str(len(table) + 10)] = moved
    if not data["retired"]:
        del data["retired"]
    labels_path.write_bytes(orjson.dumps(data))
    report = verify(path)
    assert not report.ok
    assert any("not a sentence" in f.message or "do not match its segmentation" in f.message for f in report.findings)


def test_the_labels_file_is_the_truth_for_the_sentence_count(team: tuple[Database, str]) -> None:
    """A crash between the split's write and the index's: the next open counts from the labels file."""
    db, aid = team
    path = db.path
    db.close()
    index_before = path.read_bytes()
    with Database.open(path) as db2:
        db2.split_sentence(aid, TEXT.index("Shares"), "ana")
    path.write_bytes(index_before)  # the index as it was before the split
    with Database.open(path) as db3:
        assert db3.article_info(aid).n_sentences == 3  # not read yet
        db3.label_counts()
        assert db3.article_info(aid).n_sentences == 4
    assert orjson.loads(path.read_bytes())["articles"]["1"]["n_sentences"] == 4  # written back on close
    assert verify(path).ok


def test_the_schema_goes_to_3_with_the_first_split_only(team: tuple[Database, str]) -> None:
    """An annotator from before splits still opens a database that has none, and refuses one that has."""
    db, aid = team
    index = lambda: orjson.loads(db.path.read_bytes())["project"]["1"]["schema_version"]  # noqa: E731
    assert index() == 2
    db.split_sentence(aid, TEXT.index("Shares"), "ana")
    assert index() == 3
