"""A clear is a decision too: it is recorded with its time, so merging or importing older
work never brings a label back that its reviewer took off later."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from annotator.export import read_record
from annotator.storage import tinyfile as storage_mod
from annotator.errors import DatabaseCorrupt
from annotator.export import render
from annotator.importer import apply_import, plan_import
from annotator.merge import format_report, merge_database
from annotator.model import Label
from annotator.storage import Database
from annotator.verify import verify

from conftest import SAMPLES

EARLY, LATE, LATER = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"


def _copy(src: Path, dst: Path) -> Path:
    """A reviewer's copy of the lead's database: the index file and its folder."""
    dst.mkdir()
    shutil.copy(src, dst / src.name)
    shutil.copytree(src.with_name(src.stem + ".d"), dst / (src.stem + ".d"))
    return dst / src.name


@pytest.fixture
def lead(tmp_path: Path) -> Path:
    path = tmp_path / "lead" / "annotations.json"
    with Database.open(path) as db:
        apply_import(db, plan_import([SAMPLES]))
    return path


def _first(db: Database) -> tuple[str, int, int]:
    info = db.article_infos()[0]
    sp = db.get_article(info.id).sentences[0]
    return info.id, sp.start, sp.end


def test_clear_is_recorded_in_the_same_write_and_undone_by_a_new_label(lead: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with Database.open(lead) as d:
        aid, s, e = _first(d)
        d.set_label(Label(aid, s, e, "claim", "ana", EARLY))
        writes: list[Path] = []
        real = storage_mod.atomic_write_bytes
        monkeypatch.setattr(storage_mod, "atomic_write_bytes",
                            lambda path, data, **kw: (writes.append(Path(path)), real(path, data, **kw))[1])
        assert d.clear_label(aid, s, e, "ana", LATE) is not None
        assert len(writes) == 1  # label removed and clear recorded together: one atomic write
        assert [(c.annotator, c.updated_at) for c in d.cleared(aid)] == [("ana", LATE)]
        on_disk = orjson.loads(d.labels_path(aid).read_bytes())
        assert list(on_disk["labels"].values()) == []
        assert [x["annotator"] for x in on_disk["cleared"].values()] == ["ana"]
        d.set_label(Label(aid, s, e, "quote", "ana", LATER))
        assert d.cleared(aid) == []  # a key is labeled or cleared, never both
        assert len(writes) == 2
    with Database.open(lead, readonly=True) as d:  # and so it reads back
        assert [x.label for x in d.labels(aid)] == ["quote"] and d.cleared(aid) == []
    assert verify(lead).ok


def test_merge_takes_off_a_label_its_reviewer_cleared_later_and_says_so(lead: Path, tmp_path: Path) -> None:
    with Database.open(lead) as d:
        aid, s, e = _first(d)
        d.set_label(Label(aid, s, e, "claim", "ana", EARLY))
    ana = _copy(lead, tmp_path / "ana")
    with Database.open(ana) as d:
        d.clear_label(aid, s, e, "ana", LATE)
    with Database.open(lead) as d:
        report = merge_database(d, ana)
        assert d.labels(aid) == []
        assert report.result is not None and report.result.removed == 1
        text = "\n".join(format_report(report))
        assert "1 taken off" in text and f"ana: article {aid} {s}-{e}: claim ({EARLY}) -> cleared ({LATE}) kept" in text
        again = merge_database(d, ana)  # merging twice changes nothing
        assert again.result is not None and again.result.removed == 0 and d.labels(aid) == []


def test_merge_does_not_bring_back_a_label_cleared_here_later(lead: Path, tmp_path: Path) -> None:
    with Database.open(lead) as d:
        aid, s, e = _first(d)
        d.set_label(Label(aid, s, e, "claim", "ana", EARLY))
    old_copy = _copy(lead, tmp_path / "old")  # still has the label
    with Database.open(lead) as d:
        d.clear_label(aid, s, e, "ana", LATE)
        report = merge_database(d, old_copy)
        assert d.labels(aid) == []
        assert report.result is not None and report.result.added == 0 and report.result.unchanged == 1
    # ... but a label set after the clear does come in.
    with Database.open(old_copy) as d:
        d.set_label(Label(aid, s, e, "background", "ana", LATER))
    with Database.open(lead) as d:
        merge_database(d, old_copy)
        assert [x.label for x in d.labels(aid)] == ["background"] and d.cleared(aid) == []


def test_export_and_import_carry_clears(lead: Path, tmp_path: Path) -> None:
    with Database.open(lead) as d:
        aid, s, e = _first(d)
        d.set_label(Label(aid, s, e, "claim", "ana", EARLY))
        stale = b"".join(render(d, "jsonl"))  # a backup taken while the label was there
        d.clear_label(aid, s, e, "ana", LATE)
        fresh = b"".join(render(d, "jsonl"))
    rec = read_record(fresh.splitlines()[0])
    assert rec["cleared"] == [{"start": s, "end": e, "annotator": "ana", "updated_at": LATE, "tick": 0}]
    (tmp_path / "stale.jsonl").write_bytes(stale)
    (tmp_path / "fresh.jsonl").write_bytes(fresh)
    with Database.open(tmp_path / "other" / "annotations.json") as d:
        apply_import(d, plan_import([tmp_path / "stale.jsonl"]))
        assert [x.label for x in d.labels(aid)] == ["claim"]
        result = apply_import(d, plan_import([tmp_path / "fresh.jsonl"]))
        assert d.labels(aid) == [] and result.merge is not None and result.merge.removed == 1
        assert b"".join(render(d, "jsonl")) == fresh  # lossless round trip


def test_a_key_both_labeled_and_cleared_is_damage(lead: Path) -> None:
    with Database.open(lead) as d:
        aid, s, e = _first(d)
        d.set_label(Label(aid, s, e, "claim", "ana", EARLY))
        path = d.labels_path(aid)
    data = orjson.loads(path.read_bytes())
    data["cleared"] = {"1": {"start": s, "end": e, "annotator": "ana", "updated_at": LATE}}
    path.write_bytes(orjson.dumps(data))
    with Database.open(lead, readonly=True) as d, pytest.raises(DatabaseCorrupt, match="both labeled and cleared"):
        d.labels(aid)
    report = verify(lead)
    assert not report.ok
    assert any("both labeled and cleared" in f.line() for f in report.findings)
