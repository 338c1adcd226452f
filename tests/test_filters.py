"""The article list's filters (V): all, your queue, unfinished, flagged, with notes, disputed;
rows show queue and state by symbol; n and p stay in the filter."""

from __future__ import annotations

from pathlib import Path

from annotator.app import AnnotatorApp
from annotator.filters import FILTERS, matching, next_filter
from annotator.importer import apply_import, plan_import
from annotator.model import Label, now_iso
from annotator.session import Session
from annotator.storage import Database
from annotator.ui.article_list import DONE_MARK, QUEUE_MARK, ArticleList


def project(tmp_path: Path) -> Database:
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(6):
        (folder / f"{k}.txt").write_text(f"Judul {k}\n\nKalimat satu nomor {k}. Kalimat dua nomor {k}.\n")
    db = Database.open(tmp_path / "a.json")
    apply_import(db, plan_import([folder]))
    return db


def label_all(db: Database, aid: str, who: str, label: str = "claim") -> None:
    for s in db.get_article(aid).sentences:
        db.set_label(Label(aid, s.start, s.end, label, who, now_iso()))


def test_each_filter_keeps_what_it_says(tmp_path: Path) -> None:
    db = project(tmp_path)
    ids = [i.id for i in db.article_infos()]
    db.set_assignments({ids[4]: ("ana",), ids[5]: ("ana", "budi")}, {})
    label_all(db, ids[0], "ana")  # done
    first = db.get_article(ids[1]).sentences[1]
    db.set_flag(ids[1], first.start, first.end, "ana", True)
    db.set_note(ids[2], first.start, first.end, "ana", "check this")
    label_all(db, ids[3], "ana", "claim")
    label_all(db, ids[3], "budi", "quote")  # disagree
    label_all(db, ids[5], "budi", "quote")  # one reviewer only: no dispute
    s = Session(db, "ana")
    order = [i.id for i in s.infos]  # the queue first
    assert order[:2] == [ids[4], ids[5]]
    got = {name: [order[i] for i in matching(s, name)] for name in FILTERS}
    assert got["all"] == order
    assert got["queue"] == [ids[4], ids[5]]
    assert set(got["unfinished"]) == set(ids) - {ids[0], ids[3]}
    assert got["flagged"] == [ids[1]]
    assert got["notes"] == [ids[2]]
    assert got["disputed"] == [ids[3]]
    assert [next_filter(f) for f in FILTERS] == [*FILTERS[1:], FILTERS[0]]
    db.close()


async def test_v_filters_the_list_and_n_stays_in_it(tmp_path: Path) -> None:
    db = project(tmp_path)
    ids = [i.id for i in db.article_infos()]
    db.set_assignments({ids[2]: ("ana",)}, {})
    label_all(db, ids[0], "ana")
    app = AnnotatorApp(db, "ana")
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        rows = [lst.row_text(i) for i in range(lst.row_count)]
        assert rows[0].startswith(QUEUE_MARK) and any(r.startswith(DONE_MARK) for r in rows)
        await pilot.press("V")  # your queue
        assert lst.shown == [0]
        await pilot.press("V")  # unfinished: all but the done one
        done = next(i for i, info in enumerate(app.session.infos) if info.id == ids[0])
        assert lst.shown == [i for i in range(6) if i != done]
        app.screen.goto_article(lst.shown[0])
        await pilot.pause()
        seen = [app.session.article_index]
        for _ in range(6):
            await pilot.press("n")
            seen.append(app.session.article_index)
        assert done not in seen and seen[-1] == lst.shown[-1]  # n went through the filter, then stopped
        for _ in range(4):
            await pilot.press("V")  # flagged, notes, disputed, all
        assert lst.shown == list(range(6))
    db.close()
