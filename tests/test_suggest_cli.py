"""The suggestion commands as a user runs them: pre-labels imported as suggestions (every
unusable line counted), offered with label --suggest NAME, rated by agree --suggester, and
a suggester judged k-fold by evaluate; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from annotator.app import AnnotatorApp
from annotator.model import Label, now_iso
from annotator.storage import Database
from annotator.suggest.live import LiveSuggestions
from annotator.suggest.stored import StoredSuggester
from conftest import SAMPLES, run_cli

DB = Path("annotations/annotations.json")


def sentences(db: Database) -> list[tuple[str, int, int, int]]:
    return [(info.id, i, s.start, s.end) for info in db.article_infos()
            for i, s in enumerate(db.get_article(info.id).sentences)]


@pytest.fixture
def project(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run_cli(capsys, "import", str(SAMPLES))[0] == 0
    rows = []
    with Database.open(DB) as db:
        for aid, i, start, end in sentences(db):
            rows.append({"article_id": aid, "start": start, "end": end, "label": "quote" if i % 2 else "claim",
                         "score": 0.75})
            if i < 12:  # two reviewers, agreeing on the first six of each article
                for who in ("ana", "budi"):
                    label = "claim" if i < 6 or who == "ana" else "background"
                    db.set_label(Label(aid, start, end, label, who, now_iso()))
    lines = [json.dumps(r) for r in rows] + ["{not json", json.dumps({"article_id": "nope", "start": 0, "end": 2,
                                                                      "label": "claim"}),
                                             json.dumps({**rows[0], "label": "opinion"})]
    (in_tmp / "pre.jsonl").write_text("\n".join(lines) + "\n")
    return in_tmp


def test_pre_labels_are_kept_as_suggestions_and_every_unused_line_counted(project: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "suggest", "import", "pre.jsonl", "--as", "llm")
    assert code == 0
    assert out.splitlines()[0].startswith("llm: 41 suggestions from 44 lines, 3 not used; kept in ")
    assert sorted(err.splitlines()) == ["skipped: 1 not JSON (first: line 42)",
                                        "skipped: 1 unknown article (first: line 43)",
                                        "skipped: 1 unknown label (first: line 44)"]
    stored = orjson.loads((project / "annotations" / "annotations.d" / "suggestions" / "llm.json").read_bytes())
    assert stored["schema_version"] == 1 and sum(len(v) for v in stored["suggestions"].values()) == 41
    assert run_cli(capsys, "suggest", "list")[1].splitlines() == ["built in: rules, model", "imported: llm"]
    with Database.open(DB, readonly=True) as db:  # they are nobody's labels
        assert {lab.annotator for info in db.article_infos() for lab in db.labels(info.id)} == {"ana", "budi"}
    assert run_cli(capsys, "verify")[0] == 0


@pytest.mark.parametrize("args, says", [
    (["suggest", "import", "pre.jsonl", "--as", "../x"], "suggestions are kept in a file of that name"),
    (["suggest", "import", "pre.jsonl", "--as", "rules"], "built-in suggester's name"),
    (["suggest", "import", "missing.jsonl", "--as", "llm"], "missing.jsonl"),
    (["label", "--suggest", "nosuch"], "no suggestions of that name"),
    (["label", "--suggest", "rules", "--suggest-cmd", "x"], "cannot be combined"),
    (["label", "--suggest", "rules", "--min-score", "2"], "give a number from 0 to 1"),
    (["agree", "--suggester", "model"], "annotator evaluate --suggester model"),
    (["evaluate", "--suggester", "oracle"], "choose rules, model or majority"),
    (["evaluate", "--folds", "5"], "--folds 5 needs at least 5"),
])
def test_bad_input_is_one_line_and_exit_2(project: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                          says: str) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


async def test_label_offers_the_imported_suggestions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "suggest", "import", "pre.jsonl", "--as", "llm")[0] == 0
    with Database.open(DB) as db:
        app = AnnotatorApp(db, "cici", suggestions=LiveSuggestions(StoredSuggester(db, "llm")))
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                await pilot.pause()
                if app.session.suggestions:
                    break
            assert app.session.ghost(0) is not None and app.session.ghost(0).source == "llm"  # type: ignore[union-attr]
            await pilot.press("enter", "enter")
        labs = sorted(db.labels(db.article_infos()[0].id, "cici"), key=lambda lab: lab.start)
        assert [lab.label for lab in labs] == ["claim", "quote"]


def test_agree_rates_a_suggester_against_each_reviewer_and_gold(project: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "suggest", "import", "pre.jsonl", "--as", "llm")[0] == 0
    code, out, _ = run_cli(capsys, "agree", "--suggester", "llm", "--json")
    assert code == 0
    rater = json.loads(out)["suggester"]
    assert rater["suggester"] == "llm" and set(rater["reviewers"]) == {"ana", "budi"}
    ana = rater["reviewers"]["ana"]
    assert ana["n"] == 24 and ana["covered"] == 1.0
    assert ana["agreement"] == pytest.approx(12 / 24)  # claim on the even sentences, quote suggested on the odd
    assert rater["gold"]["n"] == 12  # the six of each article both reviewers agree on
    code, out, _ = run_cli(capsys, "agree", "--suggester", "rules")
    assert code == 0 and "suggester rules as a rater" in out and "vs gold:" in out


def test_evaluate_prints_accuracy_f1_and_keys(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "evaluate", "--suggester", "majority", "--folds", "2", "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["sentences"] == 12  # the gold ones; the disputed (6 an article) are no one's label
    assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["keys_per_sentence"] <= 1.0
    code, out, _ = run_cli(capsys, "evaluate", "--suggester", "rules", "--folds", "2")
    assert code == 0 and "keys per sentence" in out and "by hand 1.00" in out
