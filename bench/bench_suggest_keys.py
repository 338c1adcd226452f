"""What a learning suggester costs a key: label presses with ``--suggest model`` retraining in
the background against the same presses with no suggester.

    python bench/bench_suggest_keys.py [--presses N] [--articles N] [--labeled N] [--quick]

Prints one JSON object.  A project of ``--articles`` news-like articles (``bench/newslike.py``,
seeded) with ``--labeled`` sentences already labeled by another reviewer (what the model
starts from) is made in a temp folder; then the app runs headless (Textual's ``run_test``)
twice, each time in a fresh process, and presses label keys (1, 2, 3 in turn) ``--presses``
times.  Each press is timed from the key to the first frame composed after the action
(the method of ``bench_scale.py``).  With the model, it retrains every 5 labels in a worker
thread, so presses land while it trains; the figures say how many trainings ran and how long
they took.  Goal: the model adds at most 5 ms to the p95.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import newslike  # noqa: E402

GOAL_ADDED_P95_MS = 5.0

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, threading, time
    from pathlib import Path
    from annotator import app as app_mod
    from annotator.storage import Database

    db_path, presses, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    Screen = app_mod.LabelScreen
    actions = []
    original = Screen.action_label

    def action_label(self, name):
        t = time.perf_counter()
        original(self, name)
        actions.append((t, time.perf_counter()))

    Screen.action_label = action_label
    trainings = []
    live = None
    if mode == "model":
        from annotator.suggest.live import LiveSuggestions
        from annotator.suggest.remote import RemoteModelSuggester

        class Timed(RemoteModelSuggester):  # as label --suggest model runs it
            def update(self, examples):
                t = time.perf_counter()
                super().update(examples)
                trainings.append(((time.perf_counter() - t) * 1000.0, len(examples)))

        live = LiveSuggestions(Timed(min_score=0.5))

    async def main():
        db = Database.open(db_path)
        app = app_mod.AnnotatorApp(db, "ana", suggestions=live)
        frames = []
        real_display = app._display

        def display(screen, renderable):
            if renderable is not None:
                frames.append(time.perf_counter())
            real_display(screen, renderable)

        app._display = display
        out = {}
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause()
            await asyncio.sleep(1.5)  # the learner reads the project and trains once, as after a start
            for _ in range(10):
                await pilot.pause()
            session = app.screen.session
            # Keys come as a terminal sends them: from another thread (Textual's driver reads
            # input in one), at a typist's pace whatever the app is doing, each timed from the
            # moment it is sent; a loop held up by the training shows as a late frame.
            sent = []
            done = threading.Event()
            loop = asyncio.get_running_loop()

            def typist():
                k = 0
                while k < presses:
                    time.sleep(0.12)
                    if session.article_labeled >= session.article_total:
                        loop.call_soon_threadsafe(app.simulate_key, "n")  # on to the next article: not timed
                        continue
                    key = "123"[k % 3]
                    k += 1
                    suggesting = app.screen.suggesting
                    busy = suggesting is not None and suggesting.training
                    sent.append((time.perf_counter(), busy))
                    loop.call_soon_threadsafe(app.simulate_key, key)
                done.set()

            threading.Thread(target=typist, daemon=True).start()
            while not done.is_set() or len(actions) < presses:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            times = []
            for (t, _), (start, end) in zip(sent, actions):
                drawn = next((f for f in frames if f >= end), None)
                times.append(((drawn if drawn is not None else end) - t) * 1000.0)
            busy = sum(b for _, b in sent)
            out["key_to_frame_ms"] = times
            out["presses_while_training"] = busy
            out["trainings"] = trainings
            ghosts = sum(1 for i in range(session.article_total) if session.ghost(i) is not None)
            out["ghosts_on_last_article"] = ghosts
            await pilot.press("ctrl+q")
        db.close()
        print(json.dumps(out))

    asyncio.run(main())
    """
)


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    s = sorted(values)
    return {"p50": round(statistics.median(s), 2), "p95": round(s[min(len(s) - 1, int(0.95 * len(s)))], 2),
            "max": round(s[-1], 2), "n": len(s)}


def build(folder: Path, articles: int, labeled: int) -> dict[str, Any]:
    from annotator.importer import apply_import, plan_import
    from annotator.model import Label, now_iso
    from annotator.storage import Database
    from annotator.suggest.rules import RulesSuggester

    texts = folder / "texts"
    texts.mkdir(parents=True)
    for n in range(articles):
        (texts / f"{n:04d}.txt").write_text(newslike.article(11, n), encoding="utf-8")
    db_path = folder / "db" / "annotations.json"
    with Database.open(db_path) as db:
        apply_import(db, plan_import([texts]))
        rules = RulesSuggester()
        done = 0
        # The lead labeled the last articles: quote where the rules say so, else claim / background.
        for info in reversed(db.article_infos()):
            if done >= labeled:
                break
            art = db.get_article(info.id)
            hits = {(s.start, s.end): s.label for s in rules.suggest(art, db.scheme)}
            labels = [Label(info.id, s.start, s.end, hits.get((s.start, s.end), "claim" if i % 3 else "background"),
                            "lead", now_iso()) for i, s in enumerate(art.sentences)]
            db.put_labels(labels)
            done += len(labels)
        sentences = sum(i.n_sentences for i in db.article_infos())
    return {"db": db_path, "articles": articles, "sentences": sentences, "labeled_before": done}


def run(db: Path, presses: int, mode: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", CHILD, str(db), str(presses), mode], capture_output=True, text=True,
                       env=env, timeout=900)
    if r.returncode != 0:
        return {"exit": r.returncode, "stderr": r.stderr[-800:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--articles", type=int, default=80)
    ap.add_argument("--labeled", type=int, default=300, help="sentences labeled before the run (by another reviewer)")
    ap.add_argument("--quick", action="store_true", help="60 presses, 30 articles, 100 labeled")
    args = ap.parse_args()
    if args.quick:
        args.presses, args.articles, args.labeled = 60, 30, 100
    if importlib.util.find_spec("sklearn") is None:
        print(json.dumps({"error": "scikit-learn is not installed: pip install -e '.[suggest]'"}))
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="bench-suggest-keys-") as tmp:
        t = time.perf_counter()
        project = build(Path(tmp), args.articles, args.labeled)
        result: dict[str, Any] = {"project": {k: v for k, v in project.items() if k != "db"},
                                  "build_s": round(time.perf_counter() - t, 2)}
        for mode in ("none", "model"):
            out = run(project["db"], args.presses, mode)
            if "key_to_frame_ms" not in out:
                result[mode] = out
                continue
            fig: dict[str, Any] = {"key_to_frame_ms": pct(out["key_to_frame_ms"])}
            if mode == "model":
                fig["presses_while_training"] = out["presses_while_training"]
                fig["trainings"] = len(out["trainings"])
                fig["train_ms"] = pct([ms for ms, _ in out["trainings"]])
                fig["examples_at_last_training"] = out["trainings"][-1][1] if out["trainings"] else 0
                fig["ghosts_on_last_article"] = out["ghosts_on_last_article"]
            result[mode] = fig
        if "key_to_frame_ms" in result.get("none", {}) and "key_to_frame_ms" in result.get("model", {}):
            added = result["model"]["key_to_frame_ms"]["p95"] - result["none"]["key_to_frame_ms"]["p95"]
            result["added_p95_ms"] = round(added, 2)
            result["goal_added_p95_ms"] = GOAL_ADDED_P95_MS
            result["met"] = added <= GOAL_ADDED_P95_MS
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
