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
