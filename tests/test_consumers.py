"""The exports load in the libraries people train with, at a size where rows differ (issue 11).

`datasets` infers each column's type from the first ~10 MB it reads, so a key that is
missing, null or an empty list early and holds a value later breaks the load; small files
hide it.  This builds 4,500 articles of about 2 KB of text (over 10 MB of jsonl before the
first label of budi) where adjudications, clears, meta and partly-labeled articles appear
only near the end, and loads every format with each library's default call.  The libraries are a test extra (`pip install
'.[consumers]'`); without them these tests are skipped and the core suite still runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from annotator.export import GoldTally, read_record, render
from annotator.importer import article_id
from annotator.model import PACKED, Article, Cleared, Decision, Label, Span, internal_id
from annotator.storage import Database

N_ARTICLES = 4_500
LATE = 4_300  # from here on: adjudications, clears and meta
T = "2026-06-01T00:00:00.000Z"
NAMES = ("claim", "quote", "background")


def _article(n: int) -> Article:
    text, spans = "", []
    for k in range(20):
        s = f"Kalimat nomor {k} dari artikel {n} cukup panjang untuk terlihat seperti berita sungguhan."
        if text:
            text += " "
        spans.append(Span(len(text), len(text) + len(s)))
        text += s
    meta = {"feed": "antara", "n": n} if n >= LATE else {}
    return Article(article_id(text), "", text, tuple(spans), (f"feed/{n}.txt",), meta)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("consumers") / "annotations.json"
    db = Database.open(path)
    arts = [_article(n) for n in range(N_ARTICLES)]
    db.add_articles(arts)
    labels: list[Label] = []
    decisions: list[Decision] = []
    cleared: list[Cleared] = []
    for n, a in enumerate(arts):
        sents = a.sentences if n % 7 else a.sentences[:5]  # some articles only partly labeled
        for k, sp in enumerate(sents):
            labels.append(Label(a.id, sp.start, sp.end, NAMES[(n + k) % 3], "ana", T))
            if n >= LATE:
                other = NAMES[(n + k + (k == 1)) % 3]  # budi disagrees on sentence 1
                labels.append(Label(a.id, sp.start, sp.end, other, "budi", T))
        if n >= LATE:
            sp = a.sentences[1]
            votes = (("ana", NAMES[(n + 1) % 3]), ("budi", NAMES[(n + 2) % 3]))
            decisions.append(Decision(a.id, sp.start, sp.end, "quote", "lead", "reported speech", T, votes))
            last = a.sentences[-1]
            cleared.append(Cleared(a.id, last.start, last.end, "citra", T))
    db.merge(labels, decisions, cleared=cleared)
    try:
        yield db
    finally:
        db.close()


def _write(db: Database, tmp_path: Path, fmt: str, **kw: object) -> Path:
    out = tmp_path / f"export-{fmt}{'-gold' if kw.get('gold') else ''}.{'json' if fmt == 'json' else 'jsonl'}"
    out.write_bytes(b"".join(render(db, fmt, **kw)))  # type: ignore[arg-type]
    return out


def _load_datasets(path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize("fmt,gold", [("jsonl", False), ("sentences", False), ("sentences", True), ("jsonl", True),
                                      ("json", False), ("json", True)])
def test_datasets_loads_with_default_arguments(project: Database, tmp_path: Path, fmt: str, gold: bool) -> None:
    path = _write(project, tmp_path, fmt, gold=GoldTally() if gold else None)
    assert path.stat().st_size > 1_000_000 or gold
    ds = _load_datasets(path, tmp_path)
    if fmt == "sentences":
        rows = path.read_bytes().count(b"\n")
        assert ds.num_rows == rows > 40_000
        assert set(ds.column_names) >= {"article_id", "sentence", "text", "label"}
        assert all(isinstance(x, str) and x.startswith("art_") for x in ds["article_id"][:5])
        if gold:
            late = ds[-1]
            assert late["by"] in ("", "lead") and isinstance(late["votes"], list)
    else:
        assert ds.num_rows == len(orjson.loads(path.read_bytes())) if fmt == "json" else path.read_bytes().count(b"\n")
        assert ds.num_rows >= N_ARTICLES - (N_ARTICLES if gold else 0) // 7


@pytest.mark.parametrize("only,history", [(None, False), ({"budi"}, False), (None, True)])
def test_datasets_loads_the_article_jsonl_whose_lists_fill_only_late(project: Database, tmp_path: Path,
                                                                     only: set[str] | None, history: bool) -> None:
    """The default export, one article per line, read by `datasets` with its default call.

    Final labels and clears appear only in the last 200 articles; budi labeled only those,
    so in his export every `spans` list of the first 10 MB (the chunk `datasets` types the
    columns from) is empty.  Schema 3 nested these lists and failed here ("Couldn't cast
    array of type struct<...> to null"); schema 4 writes them as JSON strings."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(render(project, "jsonl", annotators=only, history=history)))
    data = path.read_bytes()
    # Past the chunk datasets types the columns from:
    assert data.index(b'"spans":"[{' if only else b'"final":"[{') > 10 << 20
    ds = _load_datasets(path, tmp_path)
    assert ds.num_rows == data.count(b"\n") == N_ARTICLES
    assert {c: str(t) for c, t in ds.features.items() if c in PACKED} == {
        k: "Value('string')" for k in PACKED if k != "history" or history}
    last = ds[-1]
    assert json.loads(last["final"]) == ([] if only else [{**json.loads(last["final"])[0], "by": "lead"}])
    assert json.loads(last["spans"])[0]["annotator"] == ("budi" if only else "ana")
    assert json.loads(ds[0]["cleared"]) == [] and ds[0]["id"].startswith("art_")
    assert json.loads(last["cleared"]) == ([] if only else [{**json.loads(last["cleared"])[0], "annotator": "citra"}])
    # The same records as the json array, once the strings are read.
    assert read_record(data.splitlines()[-1]) == orjson.loads(b"".join(
        render(project, "json", annotators=only, history=history, articles={internal_id(last["id"])})))[0]


def test_datasets_reads_article_records_from_the_json_array(project: Database, tmp_path: Path) -> None:
    """The article records with final labels and clears only in the last articles: `datasets`
    reads a JSON array whole, so it types each column from every row (it types a jsonl
    file's columns from its first 10 MB, where these lists are still empty)."""
    path = _write(project, tmp_path, "json")
    assert path.stat().st_size > 10 << 20
    ds = _load_datasets(path, tmp_path)
    assert ds.num_rows == N_ARTICLES
    assert ds[-1]["final"][0]["by"] == "lead" and ds[-1]["cleared"][0]["annotator"] == "citra"
    assert orjson.loads(ds[-1]["meta"]) == {"feed": "antara", "n": N_ARTICLES - 1}


@pytest.mark.parametrize("fmt,gold", [("jsonl", False), ("sentences", False), ("sentences", True), ("jsonl", True)])
def test_pandas_reads_lines_and_ids_stay_strings(project: Database, tmp_path: Path, fmt: str, gold: bool) -> None:
    pd = pytest.importorskip("pandas")
    path = _write(project, tmp_path, fmt, gold=GoldTally() if gold else None)
    df = pd.read_json(path, lines=True)
    key = "article_id" if fmt == "sentences" else "id"
    assert df[key].map(type).eq(str).all() and df[key].str.startswith("art_").all()
    assert len(df) == path.read_bytes().count(b"\n")


def test_a_prefixed_id_is_what_keeps_pandas_from_reading_a_number(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    bare, ours = tmp_path / "bare.jsonl", tmp_path / "ours.jsonl"
    bare.write_bytes(b'{"id": "145e461983636947"}\n{"id": "345e461983636940"}\n')
    ours.write_bytes(b'{"id": "art_145e461983636947"}\n{"id": "art_345e461983636940"}\n')
    # What schema 2 exports met when every id in a file looked like a number: 145 x 10^461983636947.
    assert not any(isinstance(x, str) for x in pd.read_json(bare, lines=True)["id"])
    assert pd.read_json(ours, lines=True)["id"].tolist() == ["art_145e461983636947", "art_345e461983636940"]


def test_pandas_reads_the_json_array(project: Database, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = _write(project, tmp_path, "json")
    df = pd.read_json(path)
    assert len(df) == N_ARTICLES and df["id"].str.startswith("art_").all()


def test_every_row_has_the_same_keys_and_types(project: Database, tmp_path: Path) -> None:
    """Without any library: each format's rows share one set of keys, and each key one JSON type."""
    for fmt, gold in (("jsonl", False), ("sentences", False), ("sentences", True), ("jsonl", True)):
        path = _write(project, tmp_path, fmt, gold=GoldTally() if gold else None)
        shapes: dict[str, set[str]] = {}
        keys: set[tuple[str, ...]] = set()
        for line in path.read_bytes().splitlines():
            row = orjson.loads(line)
            keys.add(tuple(row))
            for k, v in row.items():
                shapes.setdefault(k, set()).add(type(v).__name__)
        assert len(keys) == 1, (fmt, gold, keys)
        assert all(len(t) == 1 for t in shapes.values()), (fmt, gold, shapes)
        assert "NoneType" not in {t for ts in shapes.values() for t in ts}
