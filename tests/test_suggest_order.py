"""label --order uncertain: the reviewer's unfinished articles, least sure first (by the
model's probability on the sentences they have not decided), finished ones after."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from annotator.app import AnnotatorApp
from annotator.importer import apply_import, plan_import
from annotator.model import Label, now_iso
from annotator.session import Session
from annotator.storage import Database
from annotator.suggest.base import Sentence
from annotator.suggest.order import project_examples, uncertain_first
from conftest import run_cli


class Sure:
    """A model whose probability for a sentence is given by a word in it."""

    def __init__(self, sureness: dict[str, float]) -> None:
        self.sureness = sureness

    def predict(self, sentences: Sequence[Sentence]) -> list[tuple[str, float]]:
        return [("claim", next((p for w, p in self.sureness.items() if w in s.text), 0.9)) for s in sentences]


def project(tmp_path: Path) -> Database:
    folder = tmp_path / "in"
    folder.mkdir()
    texts = {"a": "Alpha sure one. Alpha sure two.", "b": "Beta doubt one. Beta doubt two.",
             "c": "Gamma half one. Gamma sure two.", "d": "Delta doubt one. Delta doubt two."}
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text + "\n")
    db = Database.open(tmp_path / "a.json")
    apply_import(db, plan_import([folder]))
    return db


def test_least_sure_first_finished_last(tmp_path: Path) -> None:
    db = project(tmp_path)
    infos = db.article_infos()
    titles = {db.get_article(i.id).text[:5]: i.id for i in infos}
    d = db.get_article(titles["Delta"])
    for s in d.sentences:  # ana finished Delta: it goes last whatever the model thinks
        db.set_label(Label(d.id, s.start, s.end, "claim", "ana", now_iso()))
    model = Sure({"sure": 0.95, "doubt": 0.4, "half": 0.6})
    order = uncertain_first(db, "ana", model)  # type: ignore[arg-type]
    assert order == [titles["Beta "], titles["Gamma"], titles["Alpha"], titles["Delta"]]
    session = Session(db, "ana", order=order)
    assert [i.id for i in session.infos] == order
    assert len(project_examples(db)) == 2  # Delta's two labels
    db.close()


def test_the_queue_stays_first(tmp_path: Path) -> None:
    db = project(tmp_path)
    infos = db.article_infos()
    db.set_assignments({infos[3].id: ("ana",)}, {})
    session = Session(db, "ana", order=[i.id for i in reversed(infos)])
    assert session.infos[0].id == infos[3].id
    db.close()


def test_too_few_labels_is_one_line(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    from conftest import SAMPLES

    code, _, err = run_cli(capsys, "label", "--order", "uncertain", str(SAMPLES))
    assert code == 2 and "label a few more" in err and len(err.strip().splitlines()) == 1


async def test_the_app_opens_the_least_sure_article(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    db = project(tmp_path)
    order = uncertain_first(db, "ana", Sure({"doubt": 0.3}))  # type: ignore[arg-type]
    app = AnnotatorApp(db, "ana", order=order)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.session.article is not None and "doubt" in app.session.article.text
    db.close()
