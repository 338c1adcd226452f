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
    assert back.label == "claim" and back.updated_at == first_time
    s.undo()
    assert sample_db.labels(art.id, "ana") == [] and s.total_labeled == 0
    assert s.undo() is None


def test_clear_and_undo_of_clear(sample_db: Database) -> None:
    s = Session(sample_db, "ana")
    s.open_article(1, cursor=3)
    s.set_label("background")
    assert s.clear_label() is True
    assert s.labels[3] is None and s.article_labeled == 0
    assert s.clear_label() is False  # nothing to clear: no change, nothing on the undo stack
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


def test_failed_save_changes_nothing(sample_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Session(sample_db, "ana")
    s.open_article(0)

    def fail(*args: object) -> None:
        raise SaveError("annotations.json: disk full")

    monkeypatch.setattr(sample_db, "set_label", fail)
    with pytest.raises(SaveError):
        s.set_label("claim")
    assert s.labels[0] is None and s.total_labeled == 0 and s.undo_stack == []
