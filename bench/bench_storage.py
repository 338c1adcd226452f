"""Save latency of annotator.storage against stock TinyDB and the disk's own floor.

    python bench/bench_storage.py [--quick] [--samples N] [--dir PATH]

Prints one JSON object.  Every save is timed end to end, fsync included, on an
article picked at random (so the per-article caches are mostly cold for big projects).
Datasets are written directly in the storage's file format, then synced, so that
building 100,000 labels takes seconds and does not disturb the measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from tinydb import Query, TinyDB
from tinydb.storages import JSONStorage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.model import DEFAULT_SCHEME, SCHEMA_VERSION, Label  # noqa: E402
from annotator.storage import Database  # noqa: E402

LABELS_PER_ARTICLE = 10
SENTENCES = 12  # sentences 10 and 11 stay free for timing new labels
STAMP = "2026-01-01T00:00:00.000Z"
NAMES = DEFAULT_SCHEME.names


def article_text(n: int) -> tuple[str, list[list[int]]]:
    text, spans = "", []
    for k in range(SENTENCES):
        s = f"This is sentence {k} of article {n}, long enough to look like news copy."
        if text:
            text += " "
        spans.append([len(text), len(text) + len(s)])
        text += s
    return text, spans


def aid(n: int) -> str:
    return f"{n:016x}"


def label_doc(n: int, k: int, spans: list[list[int]]) -> dict[str, Any]:
    return {"start": spans[k][0], "end": spans[k][1], "label": NAMES[(n + k) % 3], "annotator": "ann", "updated_at": STAMP}


def build_ours(path: Path, n_articles: int) -> None:
    """The layout annotator.storage writes, made directly (no per-file fsync)."""
    folder = path.with_name(path.stem + ".d")
    (folder / "articles").mkdir(parents=True)
    (folder / "labels").mkdir()
    index: dict[str, Any] = {
        "project": {"1": {"schema_version": SCHEMA_VERSION, "scheme": DEFAULT_SCHEME.to_json(), "created_at": STAMP}},
        "articles": {},
    }
    for n in range(n_articles):
        text, spans = article_text(n)
        (folder / "articles" / f"{aid(n)}.json").write_bytes(
            orjson.dumps({"article": {"1": {"id": aid(n), "text": text, "sentences": spans}}})
        )
        labels = {str(k + 1): label_doc(n, k, spans) for k in range(LABELS_PER_ARTICLE)}
        (folder / "labels" / f"{aid(n)}.json").write_bytes(orjson.dumps({"labels": labels}))
        index["articles"][str(n + 1)] = {
            "id": aid(n), "seq": n + 1, "title": f"Article {n}", "sources": [f"feed-{n}.txt"], "meta": {},
            "n_sentences": SENTENCES,
        }
    path.write_bytes(orjson.dumps(index))


def build_stock(path: Path, n_articles: int) -> None:
    """Stock TinyDB's natural layout: every label in one table of one file."""
    docs, i = {}, 0
    for n in range(n_articles):
        spans = article_text(n)[1]
        for k in range(LABELS_PER_ARTICLE):
            i += 1
            docs[str(i)] = {"article_id": aid(n), **label_doc(n, k, spans)}
    path.write_text(json.dumps({"labels": docs}))


def pct(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "p50": round(statistics.median(ms), 3),
        "p95": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 3),
        "n": len(ms),
    }


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_ours(path: Path, n_articles: int, samples: int, rnd: random.Random) -> dict[str, Any]:
    t = time.perf_counter()
    db = Database.open(path)
    open_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    counts = db.label_counts()
    counts_ms = (time.perf_counter() - t) * 1000
    assert sum(sum(c.values()) for c in counts.values()) == n_articles * LABELS_PER_ARTICLE
    new, relabel, clear = [], [], []
    for i in range(samples):
        n = rnd.randrange(n_articles)
        spans = article_text(n)[1]
        k = rnd.randrange(LABELS_PER_ARTICLE)
        s, e = spans[k]
        # A different name each time, so every re-label really changes the file.
        relabel.append(timed(lambda: db.set_label(Label(aid(n), s, e, NAMES[i % 3], "ann", STAMP))))
        s, e = spans[LABELS_PER_ARTICLE + i % 2]
        new.append(timed(lambda: db.set_label(Label(aid(n), s, e, "claim", "ann", STAMP))))
        clear.append(timed(lambda: db.clear_label(aid(n), s, e, "ann")))  # keeps the data set the same size
    db.close()
    return {
        "label": pct(new), "relabel": pct(relabel), "clear": pct(clear),
        "open_ms": round(open_ms, 1), "label_counts_first_call_ms": round(counts_ms, 1),
    }


def bench_stock(path: Path, n_articles: int, samples: int, rnd: random.Random) -> dict[str, Any]:
    db = TinyDB(path, storage=JSONStorage)  # fsyncs each write since tinydb 4.8
    table = db.table("labels")
    q = Query()
    new, relabel = [], []
    for i in range(samples):
        n = rnd.randrange(n_articles)
        spans = article_text(n)[1]
        k = rnd.randrange(LABELS_PER_ARTICLE)
        s, e = spans[k]

        def key(s: int = s, e: int = e) -> Any:
            return (q.article_id == aid(n)) & (q.start == s) & (q.end == e) & (q.annotator == "ann")

        doc = {"article_id": aid(n), "start": s, "end": e, "annotator": "ann", "updated_at": STAMP}
        relabel.append(timed(lambda: table.upsert({**doc, "label": NAMES[i % 3]}, key())))
        s, e = spans[LABELS_PER_ARTICLE]
        doc.update(start=s, end=e)
        new.append(timed(lambda: table.upsert({**doc, "label": "claim"}, key(s, e))))
        table.remove(key(s, e))
    db.close()
    return {"label": pct(new), "relabel": pct(relabel)}


def bench_floor(folder: Path, samples: int) -> dict[str, float]:
    """write + fsync + rename + fsync(folder) of 1 KB: what any durable save must pay."""
    target, tmp, data = folder / "floor.json", folder / ".floor.tmp", os.urandom(1024)
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, target)
        dfd = os.open(folder, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        out.append(time.perf_counter() - t)
    return pct(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip stock TinyDB at 100,000 labels (about 1 s per save)")
    ap.add_argument("--samples", type=int, default=300, help="saves timed per size (default 300)")
    ap.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure (default: a temp folder)")
    args = ap.parse_args()
    rnd = random.Random(7)
    root = Path(tempfile.mkdtemp(prefix="bench-storage-", dir=args.dir))
    result: dict[str, Any] = {"disk": str(root), "labels_per_article": LABELS_PER_ARTICLE}
    try:
        result["floor_1kb_atomic_write_ms"] = bench_floor(root, args.samples)
        ours: dict[str, Any] = {}
        stock: dict[str, Any] = {}
        for n_labels in (100, 10_000, 100_000):
            n_articles = n_labels // LABELS_PER_ARTICLE
            case = root / str(n_labels)
            case.mkdir()
            t = time.perf_counter()
            build_ours(case / "annotations.json", n_articles)
            build_stock(case / "stock.json", n_articles)
            os.sync()  # the writeback of the fresh data set must not land inside the timings
            build_s = time.perf_counter() - t
            ours[str(n_labels)] = {**bench_ours(case / "annotations.json", n_articles, args.samples, rnd),
                                   "build_s": round(build_s, 1)}
            if n_labels == 100_000 and args.quick:
                stock[str(n_labels)] = "skipped (--quick)"
            else:
                stock_samples = {100: args.samples, 10_000: 40, 100_000: 5}[n_labels]
                stock[str(n_labels)] = bench_stock(case / "stock.json", n_articles, stock_samples, rnd)
            shutil.rmtree(case)
        result["annotator"] = ours
        result["stock_tinydb_jsonstorage"] = stock
        p95_small, p95_big = ours["100"]["label"]["p95"], ours["100000"]["label"]["p95"]
        rp95_small, rp95_big = ours["100"]["relabel"]["p95"], ours["100000"]["relabel"]["p95"]
        result["goals"] = {
            "p95_at_100k_under_2ms": p95_big < 2 and rp95_big < 2,
            "label_p95_ratio_100k_vs_100": round(p95_big / p95_small, 2),
            "relabel_p95_ratio_100k_vs_100": round(rp95_big / rp95_small, 2),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
