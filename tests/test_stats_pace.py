"""Stats worth looking at: reviewers with work only, progress against each one's assignment,
pace from the decisions' stamps (per hour, median, sessions), rushed runs flagged, charts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from annotator import stats
from annotator.model import Label
from annotator.stats import RUSHING_NOTE, Stamp, pace
from annotator.storage import Database
from conftest import run_cli

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def stamps(gaps: list[float], labels: str | list[str] = "claim") -> list[Stamp]:
    """Decisions: the first at T, each next one ``gap`` seconds after the one before."""
    out, t = [], T
    names = [labels] * (len(gaps) + 1) if isinstance(labels, str) else labels
    out.append(Stamp(t, names[0], "a"))
    for gap, name in zip(gaps, names[1:]):
        t += timedelta(seconds=gap)
        out.append(Stamp(t, name, "a"))
    return out


def test_per_hour_and_median_within_sessions() -> None:
    # 4 decisions 10 s apart, a 2-hour break, 3 more 20 s apart
    p = pace(stamps([10, 10, 10, 7200, 20, 20], ["claim", "quote"] * 3 + ["claim"]))
    assert p.decisions == 7 and p.sessions == 2 and p.timed == 5
    assert p.active_seconds == 70  # the break is not time spent deciding
    assert p.median_seconds == 10
    assert p.per_hour == pytest.approx(5 * 3600 / 70)
    assert p.rushed == []


def test_no_decisions_and_one_decision() -> None:
    assert pace([]).to_json()["decisions_per_hour"] is None
    one = pace(stamps([]))
    assert one.decisions == 1 and one.sessions == 1 and one.per_hour is None and one.median_seconds is None


def test_a_rushed_run_is_flagged() -> None:
    # 20 identical labels 0.8 s apart, then a slower stretch
    p = pace(stamps([0.8] * 19 + [5, 5, 5]))
    assert len(p.rushed) == 1
    run = p.rushed[0]
    assert run.length == 20 and run.label == "claim" and run.start == "2026-03-02T09:00:00.000Z"
    assert p.to_json()["rushing"] is True


def test_short_mixed_or_slow_runs_are_not_flagged() -> None:
    assert pace(stamps([0.8] * 13)).rushed == []  # 14 in a row: under 15
    assert pace(stamps([0.8] * 30, ["claim", "quote"] * 15 + ["claim"])).rushed == []  # not identical
    assert pace(stamps([2.0] * 30)).rushed == []  # not fast
    # a different label in the middle splits one long run into two short ones
    assert pace(stamps([0.8] * 24, ["claim"] * 12 + ["quote"] + ["claim"] * 12)).rushed == []


def test_stamps_written_together_are_neither_timed_nor_rushed() -> None:
    p = pace(stamps([0.0] * 40))  # an import: 41 labels stamped at one instant
    assert p.decisions == 41 and p.timed == 0 and p.rushed == [] and p.per_hour is None


def test_order_of_stamps_does_not_matter() -> None:
    s = stamps([3, 4, 5, 600.5, 2])
    assert pace(list(reversed(s))).to_json() == pace(s).to_json()


# ----------------------------------------------------------------------------- from a database


def _label(db: Database, article: int, sentence: int, name: str, who: str, at: datetime) -> None:
    info = db.article_infos()[article]
    s = db.get_article(info.id).sentences[sentence]
    db.set_label(Label(info.id, s.start, s.end, name, who,
                       at.isoformat(timespec="milliseconds").replace("+00:00", "Z")))


def test_compute_from_a_database(sample_db: Database) -> None:
    a0, a1 = sample_db.article_infos()
    sample_db.set_assignments({a0.id: ("ana",), a1.id: ("budi",)}, {"annotators": ["ana", "budi"], "overlap": 0})
    for k in range(16):  # ana: 16 claims 1 s apart on her article: rushed
        _label(sample_db, 0, k, "claim", "ana", T + timedelta(seconds=k))
    for k in range(4):  # budi: 4 labels 30 s apart
        _label(sample_db, 1, k, "quote" if k % 2 else "claim", "budi", T + timedelta(seconds=30 * k))
    got = stats.compute(sample_db, "root")
    people = {a.name: a for a in got.annotators}
    assert set(people) == {"ana", "budi"}  # root, who asked, has no work: not listed
    assert got.you == "root"
    assert people["ana"].progress(got.sentences) == (16, a0.n_sentences)  # against her assignment
    assert people["budi"].progress(got.sentences) == (4, a1.n_sentences)
    assert people["ana"].per_label["claim"] == 16
    assert people["budi"].per_label["claim"] == 2 and people["budi"].per_label["quote"] == 2
    ana, budi = people["ana"].pace, people["budi"].pace
    assert ana is not None and budi is not None
    assert ana.decisions == 16 and ana.median_seconds == 1.0 and len(ana.rushed) == 1
    assert budi.median_seconds == 30.0 and budi.per_hour == pytest.approx(120.0) and budi.rushed == []
    data = got.to_json()
    row = {a["name"]: a for a in data["annotators"]}
    assert row["ana"]["progress"] == round(16 / a0.n_sentences, 4) and row["ana"]["progress_of"] == "assignment"
    assert row["budi"]["pace"]["decisions_per_hour"] == 120.0
    assert row["ana"]["pace"]["rushed_runs"][0]["length"] == 16
    text = stats.format_text(got, "db.json")
    assert "root" not in text.replace("(root: no labels", "")  # no reviewer row for whoever asks
    assert "nothing assigned" not in text
    assert f"16/{a0.n_sentences} of their assigned sentences labeled" in text
    assert RUSHING_NOTE in text and "120 per hour, median 30.0 s per decision" in text
    chart = "\n".join(stats.chart_lines(got))
    assert "Progress" in chart and "Decisions per hour" in chart and "Labels by ana" in chart and "█" in chart


def test_stats_cli_chart_and_json(capsys: pytest.CaptureFixture[str], sample_db: Database,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATOR", "root")
    for k in range(5):
        _label(sample_db, 0, k, "claim", "ana", T + timedelta(seconds=10 * k))
    path: Path = sample_db.path
    sample_db.close()
    code, out, err = run_cli(capsys, "stats", "--db", str(path), "--chart")
    assert code == 0, err
    assert "Pace (sessions split at gaps over 10 min):" in out and "Median seconds per decision" in out
    assert "  root" not in out
    code, out, _ = run_cli(capsys, "stats", "--db", str(path), "--json")
    data = orjson.loads(out)
    assert [a["name"] for a in data["annotators"]] == ["ana"]
    assert data["annotators"][0]["pace"]["median_seconds_per_decision"] == 10.0
    assert data["pace_settings"]["rush_run"] == 15


def test_bar() -> None:
    assert stats.bar(0, 10) == "" and stats.bar(10, 10, 8) == "█" * 8
    assert stats.bar(5, 10, 8) == "████" and len(stats.bar(1, 3, 10)) == 4
