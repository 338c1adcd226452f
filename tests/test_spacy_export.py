"""``--format spacy`` / ``spacy-textcat`` loaded by real spaCy, and trained on by ``spacy train``
(issue 11).  Skipped without spaCy (``pip install '.[consumers]'``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotator.export import GoldTally, render
from annotator.model import Label
from annotator.storage import Database

from conftest import run_cli

spacy = pytest.importorskip("spacy")
from spacy.tokens import DocBin  # noqa: E402

NAMES = ("claim", "quote", "background")


def _label(db: Database, who: str, shift: int) -> None:
    for n, info in enumerate(db.article_infos()):
        for k, sp in enumerate(db.get_article(info.id).sentences):
            db.set_label(Label(info.id, sp.start, sp.end, NAMES[(n + k + shift * (k % 4 == 0)) % 3], who,
                               "2026-06-01T00:00:00.000Z"))


def _docs(data: bytes) -> list:  # type: ignore[type-arg]
    nlp = spacy.blank("xx")
    return list(DocBin().from_bytes(data).get_docs(nlp.vocab))


def test_every_labeled_sentence_is_an_exact_span(sample_db: Database) -> None:
    _label(sample_db, "ana", 0)
    _label(sample_db, "budi", 1)
    docs = _docs(b"".join(render(sample_db, "spacy")))
    assert len(docs) == 4  # two articles, two reviewers
    by_id = {i.id: sample_db.get_article(i.id) for i in sample_db.article_infos()}
    for doc in docs:
        art = by_id[doc.user_data["article_id"].removeprefix("art_")]
        assert doc.text == art.text  # to the character: CRLF, quotes, everything
        labels = {(x.start, x.end): x.label for x in sample_db.labels(art.id, doc.user_data["annotator"])}
        got = {(s.start_char, s.end_char): s.label_ for s in doc.spans["sc"]}
        assert got == labels and len(got) == len(art.sentences)
        for s in doc.spans["sc"]:
            assert doc.char_span(s.start_char, s.end_char, alignment_mode="strict") is not None
        assert [(s.start_char, s.end_char) for s in doc.sents][0][0] == 0
        starts = {s.start_char for s in doc.sents}
        assert {sp.start for sp in art.sentences} <= starts


def test_gold_and_textcat_layouts(sample_db: Database) -> None:
    _label(sample_db, "ana", 0)
    _label(sample_db, "budi", 1)
    tally = GoldTally()
    gold = _docs(b"".join(render(sample_db, "spacy", gold=tally, spans_key="gold")))
    assert [d.user_data["annotator"] for d in gold] == ["gold", "gold"]
    assert sum(len(d.spans["gold"]) for d in gold) == tally.unanimous
    cats = _docs(b"".join(render(sample_db, "spacy-textcat", gold=GoldTally())))
    assert len(cats) == tally.unanimous
    for d in cats:
        assert sorted(d.cats) == sorted(NAMES) and sum(d.cats.values()) == 1.0


def test_cli_needs_a_file_and_spacy_train_reads_it(sample_db: Database, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _label(sample_db, "ana", 0)
    path = sample_db.path
    sample_db.close()
    code, _, err = run_cli(capsys, "export", "--db", str(path), "--format", "spacy-textcat")
    assert code == 2 and "-o FILE.spacy" in err
    out = tmp_path / "train.spacy"
    code, _, err = run_cli(capsys, "export", "--db", str(path), "--format", "spacy-textcat", "-o", str(out))
    assert code == 0, err
    cfg = tmp_path / "config.cfg"
    run = [sys.executable, "-m", "spacy"]
    subprocess.run([*run, "init", "config", str(cfg), "--lang", "xx", "--pipeline", "textcat", "--force"],
                   check=True, capture_output=True, timeout=120)
    done = subprocess.run([*run, "train", str(cfg), "--paths.train", str(out), "--paths.dev", str(out),
                           "--training.max_steps", "2", "--training.eval_frequency", "1", "--output",
                           str(tmp_path / "model")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "model" / "model-last").is_dir()


# ----------------------------------------------------------------------------- import back


def _labels_of(db: Database) -> set[tuple[str, int, int, str, str]]:
    return {(x.article_id, x.start, x.end, x.label, x.annotator) for i in db.article_infos() for x in db.labels(i.id)}


def _team(db: Database) -> Database:
    _label(db, "ana", 0)
    for n, info in enumerate(db.article_infos()):  # budi labeled some sentences differently, some not at all
        for k, sp in enumerate(db.get_article(info.id).sentences):
            if k % 3:
                db.set_label(Label(info.id, sp.start, sp.end, NAMES[(n + k + 1) % 3], "budi",
                                   "2026-06-02T00:00:00.000Z"))
    return db


def test_a_spacy_file_imports_into_an_empty_database_with_its_sentences(sample_db: Database,
                                                                        tmp_path: Path) -> None:
    from annotator.importer import apply_import, plan_import

    src = tmp_path / "train.spacy"
    src.write_bytes(b"".join(render(_team(sample_db), "spacy")))
    fresh = Database.open(tmp_path / "fresh" / "annotations.json")
    try:
        report = apply_import(fresh, plan_import([src], reviewer="someone"))
        assert len(report.added) == 2
        for info in sample_db.article_infos():
            assert fresh.get_article(info.id).sentences == sample_db.get_article(info.id).sentences
        assert _labels_of(fresh) == _labels_of(sample_db)
        assert b"".join(render(fresh, "spacy")) == src.read_bytes()  # the same file again, byte for byte
    finally:
        fresh.close()


@pytest.mark.parametrize("gold", [False, True])
def test_a_textcat_file_goes_back_onto_its_sentences(sample_db: Database, tmp_path: Path, gold: bool) -> None:
    from annotator.importer import apply_import, plan_import

    from conftest import SAMPLES

    _team(sample_db)
    src = tmp_path / "cats.spacy"
    src.write_bytes(b"".join(render(sample_db, "spacy-textcat", gold=GoldTally() if gold else None)))
    fresh = Database.open(tmp_path / "fresh" / "annotations.json")
    try:
        apply_import(fresh, plan_import([SAMPLES]))
        apply_import(fresh, plan_import([src], reviewer="someone"))
        assert len(fresh.article_infos()) == 2  # no one-sentence articles
        if gold:
            again = GoldTally()
            assert b"".join(render(fresh, "spacy-textcat", gold=again)) == src.read_bytes()
            assert {x.annotator for i in fresh.article_infos() for x in fresh.labels(i.id)} == {"gold"}
        else:
            assert _labels_of(fresh) == _labels_of(sample_db)
            assert b"".join(render(fresh, "spacy-textcat")) == src.read_bytes()
    finally:
        fresh.close()


def test_another_tools_docbin_keeps_its_labels_and_reports_what_is_no_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DocBin made with spaCy itself: sentencizer boundaries, spans under two keys, no
    user_data (so the importing reviewer's name), a textcat Doc, and a negative one."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("The board chose a plan today. Shares fell 4% after the news.\n\nAnalysts said so.")
    sents = list(doc.sents)
    doc.spans["sc"] = [doc.char_span(sents[0].start_char, sents[0].end_char, label="claim")]
    doc.spans["mine"] = [doc.char_span(sents[1].start_char, sents[1].start_char + 6, label="claim")]  # "Shares"
    cat = nlp.make_doc("Harga bitcoin naik, kata analis.")
    cat.cats = {"claim": 0.1, "quote": 0.9, "background": 0.0}
    none = nlp.make_doc("Copyright 2025.")
    none.cats = {"claim": 0.0, "quote": 0.2}
    src = tmp_path / "theirs.spacy"
    DocBin(docs=[doc, cat, none]).to_disk(src)
    db_path = tmp_path / "db" / "annotations.json"
    code, out, err = run_cli(capsys, "import", "--db", str(db_path), "--annotator", "dina", str(src))
    assert code != 0 and "Traceback" not in err
    assert "1 label(s): covers part of a sentence" in err and "theirs.spacy" in err
    code, out, err = run_cli(capsys, "import", "--db", str(db_path), "--annotator", "dina", "--skip-bad-labels",
                             str(src))
    assert code == 0, err
    assert "theirs.spacy: texts with no category at 0.5 or above: 1, imported without a label" in out + err
    db = Database.open(db_path)
    try:
        got = {(db.get_article(x.article_id).text[x.start:x.end], x.label, x.annotator)
               for i in db.article_infos() for x in db.labels(i.id)}
        assert got == {("The board chose a plan today.", "claim", "dina"),
                       ("Harga bitcoin naik, kata analis.", "quote", "dina")}
        (art,) = [db.get_article(i.id) for i in db.article_infos() if "plan" in db.get_article(i.id).text]
        assert [art.text[s.start:s.end] for s in art.sentences] == [
            "The board chose a plan today.", "Shares fell 4% after the news.", "Analysts said so."]  # no whitespace
    finally:
        db.close()


def test_a_bad_spacy_file_is_one_line_and_nothing_is_written(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.spacy"
    bad.write_bytes(b"\x89PNG not a docbin at all")
    db_path = tmp_path / "db" / "annotations.json"
    code, _, err = run_cli(capsys, "import", "--db", str(db_path), str(bad))
    assert code == 2 and "Traceback" not in err
    (line,) = [x for x in err.splitlines() if "broken.spacy" in x]
    assert "not a spaCy DocBin" in line


def test_without_spacy_a_spacy_file_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "x.spacy"
    DocBin(docs=[spacy.blank("en")("One sentence.")]).to_disk(src)
    monkeypatch.setitem(sys.modules, "spacy", None)  # what an install without the extra meets
    code, _, err = run_cli(capsys, "import", "--db", str(tmp_path / "db" / "annotations.json"), str(src))
    assert code == 2 and "Traceback" not in err
    assert "x.spacy: reading a .spacy file needs spaCy" in err and "pip install 'annotator[spacy]'" in err
