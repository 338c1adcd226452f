"""Several writers on one database, in one process (two ``Database`` objects hold their own
locks exactly as two processes do: ``flock`` is per open file).  The real-process tests,
with SIGKILLs, are in ``test_team_processes.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotator.errors import DatabaseLocked, Outdated
from annotator.importer import article_id
from annotator.model import Article, Decision, Label, Span, now_iso
from annotator.storage import Database
from annotator.storage.guards import stripe_of
from annotator.verify import verify


def _text(name: str) -> str:
    return " ".join(f"Kalimat nomor {i} dari artikel {name} ini." for i in range(6))


def A(name: str) -> str:
    """The id of the test article called ``name`` (ids are hashes of the text; verify checks)."""
    return article_id(_text(name))


def _article(name: str) -> Article:
    text = _text(name)
    sentences, at = [], 0
    for p in text.split(" Kalimat"):
        n = len(p) if at == 0 else len(p) + len("Kalimat")
        sentences.append(Span(at, at + n))
        at += n + 1
    assert all(text[s.start:s.end].endswith("ini.") for s in sentences)
    return Article(A(name), f"Judul {name}", text, tuple(sentences), ("test",), {})


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "annotations.json"
    with Database.open(p) as db:
        db.add_articles([_article(f"a{i}") for i in range(5)])
    return p


def _label(db: Database, aid: str, k: int, who: str, label: str) -> Label:
    s = db.get_article(aid).sentences[k]
    return db.set_label(Label(aid, s.start, s.end, label, who, now_iso()))


def _mine(db: Database, aid: str, who: str) -> dict[int, str]:
    starts = {s.start: i for i, s in enumerate(db.get_article(aid).sentences)}
    return {starts[x.start]: x.label for x in db.labels(aid, who)}


def test_two_reviewers_on_one_article_keep_every_decision(path: Path) -> None:
    ana = Database.open(path, reviewer="ana")
    budi = Database.open(path, reviewer="budi")
    try:
        for k in range(6):  # interleaved on the same labels file, each with it cached
            _label(ana, A("a0"), k, "ana", "claim")
            _label(budi, A("a0"), k, "budi", "quote")
        _label(ana, A("a0"), 0, "ana", "background")
        budi.refresh()  # (reads come from memory until then)
        assert _mine(ana, A("a0"), "budi") == {k: "quote" for k in range(6)}
        assert _mine(budi, A("a0"), "ana") == {0: "background", **{k: "claim" for k in range(1, 6)}}
        # The counts each keeps are right after a refresh.
        assert budi.label_counts("ana")[A("a0")] == {"background": 1, "claim": 5}
    finally:
        ana.close()
        budi.close()
    with Database.open(path, readonly=True) as db:
        assert _mine(db, A("a0"), "ana") == {0: "background", **{k: "claim" for k in range(1, 6)}}
        assert _mine(db, A("a0"), "budi") == {k: "quote" for k in range(6)}
        assert len(db.history(A("a0"))) == 13
    assert verify(path).ok


def test_refresh_reports_what_another_writer_changed(path: Path) -> None:
    ana = Database.open(path, reviewer="ana")
    budi = Database.open(path, reviewer="budi")
    try:
        assert budi.label_counts("ana")[A("a1")] == {}  # counted before ana's label
        assert not budi.refresh()
        _label(ana, A("a1"), 2, "ana", "claim")
        got = budi.refresh()
        assert got.articles == {A("a1")} and not got.index
        assert budi.label_counts("ana")[A("a1")] == {"claim": 1}
        assert not budi.refresh()  # reported once
        _label(budi, A("a2"), 0, "budi", "quote")
        assert not budi.refresh()  # one's own decision is no news
        ana.add_articles([_article("new")])
        got = budi.refresh()
        assert got.index and budi.has_article(A("new")) and budi.label_counts()[A("new")] == {}
        _label(budi, A("new"), 1, "budi", "claim")
    finally:
        ana.close()
        budi.close()
    assert verify(path).ok


def test_the_same_reviewer_twice_is_refused_naming_the_holder(path: Path) -> None:
    with Database.open(path, reviewer="ana"):
        with pytest.raises(DatabaseLocked) as e:
            Database.open(path, reviewer="ana")
        assert "ana is already labeling" in e.value.message and f"pid {os.getpid()}" in e.value.message
        with Database.open(path, reviewer="ana", role="review"):  # her review is another session
            pass
        with Database.open(path, reviewer="budi"):
            pass
    with Database.open(path, reviewer="ana"):  # free again once closed
        pass


def test_a_scheme_change_needs_the_database_alone(path: Path) -> None:
    with Database.open(path, reviewer="ana"):
        with pytest.raises(DatabaseLocked) as e:
            Database.open(path, alone=True)
        assert "1 other annotator session(s): ana (label, pid" in e.value.message
    with Database.open(path, alone=True):
        with pytest.raises(DatabaseLocked):
            Database.open(path, reviewer="budi")


def test_shared_index_writes_keep_each_other(path: Path) -> None:
    one = Database.open(path)
    two = Database.open(path)
    try:
        one.add_articles([_article("x1")])
        two.add_articles([_article("x2")])  # two had the index in memory without x1
        two.set_assignments({A("a0"): ("ana",)}, {"by": "test"})
        one.set_assignments({A("a1"): ("budi",)}, {"by": "test"})
    finally:
        one.close()
        two.close()
    with Database.open(path, readonly=True) as db:
        ids = {i.id for i in db.article_infos()}
        assert {A("x1"), A("x2")} <= ids
        assert db.article_info(A("a0")).assigned == ("ana",) and db.article_info(A("a1")).assigned == ("budi",)
        assert len({i.seq for i in db.article_infos()}) == len(ids)  # no seq given twice
    assert verify(path).ok


def test_notes_final_labels_and_a_split_meanwhile(path: Path) -> None:
    ana = Database.open(path, reviewer="ana")
    lead = Database.open(path, reviewer="lead", role="review")
    try:
        sents = ana.get_article(A("a3")).sentences
        lead.get_article(A("a3"))  # cached, with the sentences as imported
        _label(ana, A("a3"), 1, "ana", "claim")
        s1 = sents[1]
        lead.set_decision(Decision(A("a3"), s1.start, s1.end, "quote", "lead", "", now_iso(), (("ana", "claim"),)))
        ana.set_note(A("a3"), s1.start, s1.end, "ana", "unsure")
        lead.set_note(A("a3"), s1.start, s1.end, "lead", "see guidelines")
        # ana splits sentence 4; lead, who has not seen it, puts a final label on it.
        s4 = sents[4]
        ana.split_sentence(A("a3"), s4.start + 10, "ana")
        with pytest.raises(Outdated) as e:
            lead.set_decision(Decision(A("a3"), s4.start, s4.end, "claim", "lead", "", now_iso(), ()))
        assert "not one of its sentences" in e.value.message
        assert len(lead.get_article(A("a3")).sentences) == 7  # it now sees the split
    finally:
        ana.close()
        lead.close()
    with Database.open(path, readonly=True) as db:
        assert [d.label for d in db.decisions(A("a3"))] == ["quote"]
        assert {n.annotator: n.note for n in db.notes(A("a3"))} == {"ana": "unsure", "lead": "see guidelines"}
        assert _mine(db, A("a3"), "ana") == {1: "claim"}
    assert verify(path).ok


def test_a_merge_meanwhile_keeps_the_reviewers_decisions(path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "annotations.json"
    with Database.open(other) as db:
        db.add_articles([_article(f"a{i}") for i in range(5)])
        for i in range(5):
            _label(db, A(f"a{i}"), 0, "citra", "background")
    ana = Database.open(path, reviewer="ana")
    merger = Database.open(path)
    try:
        for i in range(5):
            _label(ana, A(f"a{i}"), 0, "ana", "claim")  # ana's files cached in the merger? no: it reads them now
        with Database.open(other, readonly=True) as src:
            labels = [x for i in range(5) for x in src.labels(A(f"a{i}"))]
        merger.get_article(A("a0"))
        merger.merge(labels)
        for i in range(5):
            _label(ana, A(f"a{i}"), 1, "ana", "quote")  # after the merge: ana's copies were older
    finally:
        ana.close()
        merger.close()
    with Database.open(path, readonly=True) as db:
        for i in range(5):
            assert _mine(db, A(f"a{i}"), "ana") == {0: "claim", 1: "quote"}
            assert _mine(db, A(f"a{i}"), "citra") == {0: "background"}
    assert verify(path).ok


def test_guards_spread_articles_over_the_stripes() -> None:
    stripes = {stripe_of(f"{n:016x}") for n in range(2000)}
    assert len(stripes) == 64
