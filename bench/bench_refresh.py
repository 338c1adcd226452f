"""What taking in another writer's work costs a reviewer's app, by project size.

    python bench/bench_refresh.py [--sizes 1000,10000] [--repeat 20]

Prints one JSON object (progress to stderr).  For each size a database of that many
articles (20 sentences each, in packs, as a big import writes them) is made; "ana" and
"budi" open it as two writers (two ``Database`` objects lock exactly as two processes do),
ana's counts are read (as her app does at start), then:

* ``idle_ms``: ``Database.refresh()`` when nobody wrote (the app's timer, every second);
* ``one_changed_ms``: after budi labeled one article;
* ``ten_changed_ms``: after budi labeled ten articles (ten reviewers' second, at a brisk pace);
* ``after_import_ms``: after budi imported one article (the index is read again);
* ``save_p50_ms`` / ``save_p95_ms``: ana's label saves while budi keeps labeling elsewhere
  (each of ana's saves follows one of budi's, so her guard has often moved);
* ``catch_up_calls``: after budi labeled 500 articles at once (a merge elsewhere), how many
  timer ticks ana's app needs to take it all in (each ``refresh`` works to a 25 ms budget);
  ``catch_up_max_ms`` is the longest of them.

Each figure is the median of ``--repeat`` rounds unless named p95 or max.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.importer import article_id  # noqa: E402
from annotator.model import Article, Label, Span, now_iso  # noqa: E402
from annotator.storage import Database  # noqa: E402


def article(i: int) -> Article:
    parts = [f"Kalimat {k} dari artikel nomor {i} ini." for k in range(20)]
    text = " ".join(parts)
    spans, at = [], 0
    for p in parts:
        spans.append(Span(at, at + len(p)))
        at += len(p) + 1
    return Article(article_id(text), f"Judul {i}", text, tuple(spans), ("bench",), {})


def label(db: Database, a: Article, k: int, who: str, name: str) -> float:
    s = a.sentences[k % len(a.sentences)]
    t = time.perf_counter()
    db.set_label(Label(a.id, s.start, s.end, name, who, now_iso()))
    return time.perf_counter() - t


def timed(f: Any) -> float:
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1000


def run(size: int, repeat: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    path = folder / "annotations.json"
    arts = [article(i) for i in range(size)]
    with Database.open(path) as db:
        db.add_articles(arts, pack=True)
    ana = Database.open(path, reviewer="ana")
    budi = Database.open(path, reviewer="budi")
    try:
        ana.label_counts("ana")
        out: dict[str, Any] = {}
        idle, one, ten, imported, saves = [], [], [], [], []
        for r in range(repeat):
            idle.append(timed(ana.refresh))
            label(budi, arts[r], r, "budi", "claim")
            one.append(timed(ana.refresh))
            for k in range(10):
                label(budi, arts[(r * 10 + k) % size], r, "budi", "quote")
            ten.append(timed(ana.refresh))
            budi.add_articles([article(size + r)])
            imported.append(timed(ana.refresh))
            for k in range(10):
                label(budi, arts[(r * 37 + k) % size], k, "budi", "background")
                saves.append(label(ana, arts[(r * 37 + k) % size], k, "ana", "claim") * 1000)
            ana.refresh()
        saves.sort()
        out.update(idle_ms=statistics.median(idle), one_changed_ms=statistics.median(one),
                   ten_changed_ms=statistics.median(ten), after_import_ms=statistics.median(imported),
                   save_p50_ms=saves[len(saves) // 2], save_p95_ms=saves[int(len(saves) * 0.95)])
        for a in arts[:500]:
            label(budi, a, 3, "budi", "claim")
        calls, longest = 0, 0.0
        while True:
            t = time.perf_counter()
            got = ana.refresh()
            longest = max(longest, (time.perf_counter() - t) * 1000)
            if not got:
                break
            calls += 1
        out.update(catch_up_calls=calls, catch_up_max_ms=longest)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
    finally:
        ana.close()
        budi.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    result: dict[str, Any] = {"bench": "refresh", "sizes": {}}
    for size in (int(x) for x in args.sizes.split(",")):
        print(f"{size} articles ...", file=sys.stderr)
        result["sizes"][str(size)] = run(size, args.repeat)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
