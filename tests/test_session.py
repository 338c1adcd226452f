from __future__ import annotations

import pytest

from annotator.errors import SaveError
from annotator.session import Session
from annotator.storage import Database


def test_label_saves_before_counting_and_undo_restores(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0)
    s.set_label("claim")
    art = s.article
    assert art is not None
    (saved,) = sample_db.labels(art.id, "ana")
    assert (saved.start, saved.end, saved.label) == (art.sentences[0].start, art.sentences[0].end, "claim")
    assert s.article_labeled == 1 and s.total_labeled == 1

    first_time = saved.updated_at
    s.set_label("quote")  # change of mind on the same sentence
    assert [lab.label for lab in sample_db.labels(art.id, "ana")] == ["quote"]
    assert s.article_labeled == 1

    s.cursor = 5
    change = s.undo()
    assert change is not None and s.cursor == 0
    (back,) = sample_db.labels(art.id, "ana")
    # The undo is a decision of its own, stamped after the one it takes back.
    assert back.label == "claim" and (back.updated_at, back.tick) > (first_time, 0)
    s.undo()
    assert sample_db.labels(art.id, "ana") == [] and s.total_labeled == 0
    assert s.undo() is None


def test_clear_and_undo_of_clear(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(1, cursor=3)
    s.set_label("background")
    assert s.clear_label() == "saved"
    assert s.labels[3] is None and s.article_labeled == 0
    assert s.clear_label() == "unchanged"  # nothing to clear: no change, nothing on the undo stack
    s.undo()
    assert s.labels[3] is not None and s.labels[3].label == "background"


def test_undo_across_articles(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0, cursor=4)
    s.set_label("claim")
    s.open_article(1)
    change = s.undo()
    assert change is not None and s.article_index == 0 and s.cursor == 4
    assert s.labels[4] is None


def test_resume_is_per_annotator(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    assert s.resume_position() == (0, 0)
    s.open_article(0)
    for i in range(3):
        s.cursor = i
        s.set_label("claim")
    assert Session(sample_db, "ana").resume_position() == (0, 3)
    assert Session(sample_db, "budi").resume_position() == (0, 0)
    for i in range(3, s.article_total):
        s.cursor = i
        s.set_label("background")
    assert Session(sample_db, "ana").resume_position() == (1, 0)


class FlakyDisk:
    """Stands in for the database's writes: refuses while `full`, like a full disk."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = True
        self.db = db
        real_set, real_clear = db.set_label, db.clear_label

        def set_label(label: object) -> None:
            if self.full:
                raise SaveError("annotations.d/labels/x.json: cannot write (No space left on device)")
            real_set(label)  # type: ignore[arg-type]

        def clear_label(*args: object) -> object:
            if self.full:
                raise SaveError("annotations.d/labels/x.json: cannot write (No space left on device)")
            return real_clear(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(db, "set_label", set_label)
        monkeypatch.setattr(db, "clear_label", clear_label)


def test_refused_save_is_pending_not_counted_then_saved_in_order(sample_db: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    disk = FlakyDisk(sample_db, monkeypatch)
    s = Session(sample_db, "ana")
    s.open_article(0)
    assert s.set_label("claim") == "pending"
    assert s.labels[0] is None and s.total_labeled == 0 and sample_db.undo_depth("ana") == (0, 0)
    assert s.shown_label(0)[0] is not None and s.shown_label(0)[1] is True
    assert s.save_error is not None and "No space" in s.save_error.message
    s.cursor = 1
    assert s.set_label("quote") == "pending"
    assert s.set_label("background") == "pending"  # replaces the waiting decision on the same sentence
    assert [p.target.label for p in s.pending if p.target] == ["claim", "background"]
    assert s.retry_pending() == [] and len(s.pending) == 2  # still full

    disk.full = False
    saved = s.retry_pending()
    assert [p.sentence for p in saved] == [0, 1] and s.pending == [] and s.save_error is None
    assert s.total_labeled == 2 and [lab.label for lab in sample_db.labels(s.article.id, "ana")] == ["claim", "background"]  # type: ignore[union-attr]
    assert [p.sentence for p in s.take_drained()] == [0, 1] and s.take_drained() == []


def test_undo_drops_a_pending_decision_without_writing(sample_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = FlakyDisk(sample_db, monkeypatch)
    s = Session(sample_db, "ana")
    s.open_article(0, cursor=2)
    s.set_label("claim")
    s.cursor = 7
    change = s.undo()
    assert change is not None and change.sentence == 2 and s.cursor == 2
    assert s.pending == [] and s.save_error is None
    disk.full = False
    assert s.retry_pending() == [] and sample_db.labels(s.article.id) == []  # type: ignore[union-attr]


def test_a_new_key_first_drains_the_queue(sample_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = FlakyDisk(sample_db, monkeypatch)
    s = Session(sample_db, "ana")
    s.open_article(0)
    s.set_label("claim")
    disk.full = False
    s.cursor = 1
    assert s.set_label("quote") == "saved"
    assert s.total_labeled == 2 and s.pending == []
    assert [lab.label for lab in s.labels[:2] if lab] == ["claim", "quote"]


def test_finished_articles_are_counted_as_they_change(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0)
    for i in range(s.article_total):
        s.cursor = i
        s.set_label("background")
    assert s.articles_done == 1
    s.undo()
    assert s.articles_done == 0
    assert Session(sample_db, "ana").articles_done == 0
