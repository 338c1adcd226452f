"""How the article view scales: open, cursor move, label, re-wrap and memory, against a naive view.

    python bench/bench_view.py [--quick] [--presses N] [--sizes 20,2000,10000]

Prints one JSON object (progress goes to stderr).  Takes 4-5 minutes; ``--quick`` skips
the naive view at 10,000 sentences (about 2.5 minutes).

Articles of 20, 2,000 and 10,000 sentences of generated news-like copy (a title, then
paragraphs of 2-8 sentences of 10-35 words, about one in twelve a quotation with its
attribution) are imported into temp databases with ``plan_import``/``apply_import``.  Each
(view, size) case then runs in a fresh child process on its own copy of the database, so
memory figures are its own and one case's garbage never slows another:

* ``annotator``: ``annotator.app.AnnotatorApp`` as shipped (Line-API ``ArticleView``);
* ``naive``: the same app with only the article view swapped for one ``Static`` per
  sentence (``bench/naive_view.py``), driven with the same keys.

How each figure is measured is in the output under ``"method"``; the goals of issue 4
are under ``"goals"``, each with ``met``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = (20, 2_000, 10_000)
SCREEN = (120, 40)
NARROW = (80, 40)
ANNOTATOR = "bench"
QUIET_S = 0.04  # no new frame for this long (and nothing pending) = the app has settled
MEMORY_PRESSES = {"annotator": 20, "naive": 10}  # per key kind, in the (slow) tracemalloc run

OPENS = 5  # fresh-process opens per size for the open goals

METHOD = {
    "process": "each (view, size) case runs in a fresh child process on its own copy of the database; "
               "the timing run and the memory run (tracemalloc on, which slows Python) are separate children",
    "open_s": "perf_counter from just before AnnotatorApp(...) is constructed (database already open) to the "
              "return of the first `await pilot.pause()` inside app.run_test(size=(120, 40)) at which the view "
              "has content (ArticleView: its layout has display lines; naive: its Statics are mounted and sized). "
              "Includes Textual start-up, CSS, the article list, reading the article from the database and "
              "pilot.pause's own idle wait (>= 20 ms)",
    "open_median_s": f"the median of {OPENS} open_s, each in a fresh child process (the timing run's and "
                     f"{OPENS - 1} open-only runs); the open goals use it",
    "first_paint_s": "same start, to the end of the first frame the app renders (compositor update turned into "
                     "terminal output) while the view has content",
    "key_ms": "per key: the Key event is posted to the app as the terminal driver would (driver.send_message), "
              "then the bench waits until the bound action has run and the app has rendered every frame it "
              f"produces in response (no frame and nothing pending for {QUIET_S * 1000:.0f} ms). The figure is "
              "the app's busy time from the post to the end of its last frame: wall time minus the time the "
              "event loop spent blocked in select() with nothing to do. It counts the binding dispatch, the "
              "action (for a label: the fsynced save), message handling, layout, the compositor and the "
              "conversion of each frame to terminal escape sequences (which a headless app skips: the bench "
              "does it in a wrapper of App._display, so both views pay what a real terminal costs); it leaves "
              "out only the wait for Textual's 60 fps frame tick. `wall_*` is the plain wall time to the last "
              "frame, tick wait included; `handler_*` is the action method alone. pilot.press is not used "
              "because it waits for idle (~85 ms) and walks every widget of the screen, which is not app work. "
              "Time the CPU spends on other processes counts as busy: see `load_average` for how quiet the "
              "machine was",
    "move": "`j` from the first sentence; at the last sentence the direction flips to `k`. `scrolling_*` are the "
            "moves after which the view's scroll offset had changed",
    "label": "`1` (claim; saves with fsync, then moves to the next sentence) from where the moves ended; at the "
             "last sentence `home` is sent (not timed) and the next label key (2, 3, 1, ...) is used so that "
             "every timed press writes",
    "resize_ms": "busy time (as key_ms) of a terminal resize to 80x40 and back to 120x40 (the Resize event "
                 "posted as pilot.resize_terminal does), to the last frame: re-wrap, layout and a full repaint. "
                 "ArticleView keeps its last 3 layouts, so the way back re-wraps nothing; `rewrap_call_ms` is "
                 "annotator.layout.wrap_article alone at the 80-column width, cold",
    "memory": "`tracemalloc_peak_mb`: Python heap peak from constructing the app to the end of the memory run "
              "(`memory_run` says what it did: open, then a few moves, labels and the resize; open only for "
              "the naive view at 10,000 sentences, where tracemalloc makes each key take seconds); "
              "`rss_delta_mb`: ru_maxrss at the end of the timing run minus ru_maxrss just before the app was "
              "constructed (the database is already open)",
    "caps": "the naive view at 10,000 sentences gets --naive-big-presses (15) presses per key kind instead of "
            "--presses (100), so the whole run stays near 5 minutes; --quick skips it",
}


# ---------------------------------------------------------------------------- articles

_WORDS = (
    "the government said on monday that new rules for the port would take effect next month after officials "
    "met with industry leaders in the capital to discuss rising costs of fuel and food as well prices inflation "
    "budget minister ministry president election council regional police report reports according data showed "
    "percent billion million company shares market investors analysts economy growth quarter year week city "
    "province district residents workers farmers school hospital court judge case trial agency statement "
    "spokesman told reporters plan project road bridge flood rain season water power electricity supply demand "
    "export import trade deal talks agreement border security military army navy village local national "
    "international foreign bank central interest rate rupiah dollar oil gas coal mining palm plantation forest "
    "fire smoke health vaccine program children families"
).split()
_NAMES = ["Budi Santoso", "Siti Rahma", "Jeremy Kuzmarov", "Maria Lopez", "Ahmad Yusuf", "Dewi Lestari"]
_ENDINGS = ["today", "this week", "last year", "in the region", "for now", "on Tuesday", "next month", "again"]
_PLACES = ["Jakarta", "Surabaya", "Medan", "Makassar", "Bandung", "Anchorage", "Geneva", "Kupang"]


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    if rng.random() < 0.5:
        words[rng.randrange(1, n)] = rng.choice(_PLACES)
    if rng.random() < 0.3:
        words[rng.randrange(1, n)] = str(rng.randint(2, 990))
    words[0] = words[0].capitalize()
    words[-1] = rng.choice(_ENDINGS)  # never an abbreviation ("in.", "Tn.") that would not end it
    if rng.random() < 0.15:
        cut = rng.randrange(3, n - 2)
        return " ".join(words[:cut]) + ", " + " ".join(words[cut:]) + "."
    return " ".join(words) + "."


def _quote(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return f"\u201c{' '.join(words)},\u201d said {rng.choice(_NAMES)}."


def news_text(n_sentences: int, seed: int = 4) -> str:
    """A title line, then paragraphs of 2-8 sentences of 10-35 words; segments into exactly n sentences."""
    rng = random.Random(seed)
    out = ["Regional Council Weighs New Port Rules After Month of Talks", ""]
    left = n_sentences - 1
    while left > 0:
        k = min(rng.randint(2, 8), left)
        para = []
        for _ in range(k):
            n = rng.randint(10, 35)
            para.append(_quote(rng, n - 2) if rng.random() < 0.08 else _sentence(rng, n))
        out += [" ".join(para), ""]
        left -= k
    return "\n".join(out)


def build_db(folder: Path, n_sentences: int) -> dict[str, Any]:
    from annotator.importer import apply_import, plan_import
    from annotator.storage import Database

    folder.mkdir(parents=True)
    src = folder / "article.txt"
    src.write_text(news_text(n_sentences), encoding="utf-8")
    db = Database.open(folder / "db" / "annotations.json")
    try:
        plan = plan_import([src])
        assert not plan.errors, plan.errors
        apply_import(db, plan)
        info = db.article_infos()[0]
        assert info.n_sentences == n_sentences, (info.n_sentences, n_sentences)
        return {"sentences": info.n_sentences, "chars": len(db.get_article(info.id).text)}
    finally:
        db.close()


# ---------------------------------------------------------------------------- child: one case


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _summary(samples: list[dict[str, float]], scrolled: list[bool] | None = None) -> dict[str, Any]:
    busy = [s["busy_ms"] for s in samples]
    out: dict[str, Any] = {
        "n": len(samples),
        "p50_ms": round(_pct(busy, 0.5), 2),
        "p95_ms": round(_pct(busy, 0.95), 2),
        "max_ms": round(max(busy), 2) if busy else None,
        "mean_ms": round(statistics.fmean(busy), 2) if busy else None,
        "wall_p50_ms": round(_pct([s["wall_ms"] for s in samples], 0.5), 2),
        "wall_p95_ms": round(_pct([s["wall_ms"] for s in samples], 0.95), 2),
        "handler_p50_ms": round(_pct([s["handler_ms"] for s in samples], 0.5), 2),
        "handler_p95_ms": round(_pct([s["handler_ms"] for s in samples], 0.95), 2),
        "frames_per_key": round(statistics.fmean(s["frames"] for s in samples), 2) if samples else None,
    }
    if scrolled is not None:
        sc = [b for b, moved in zip(busy, scrolled) if moved]
        out["scrolled"] = len(sc)
        out["scrolling_p50_ms"] = round(_pct(sc, 0.5), 2) if sc else None
        out["scrolling_p95_ms"] = round(_pct(sc, 0.95), 2) if sc else None
    return out


class Probe:
    """Hooks that see when the app is busy, when an action runs and when a frame is produced."""

    def __init__(self) -> None:
        self.idle: list[tuple[float, float]] = []
        self.frames: list[tuple[float, float]] = []
        self.actions: list[tuple[float, float]] = []
        self.first_paint: float | None = None
        self.ready: Callable[[], bool] = lambda: False
        self.recording = False

    def install_loop(self) -> None:
        selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
        select = selector.select

        def timed_select(timeout: float | None = None) -> Any:
            t = time.perf_counter()
            try:
                return select(timeout)
            finally:
                if self.recording:
                    self.idle.append((t, time.perf_counter()))

        selector.select = timed_select

    def install_app(self, app: Any) -> None:
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            t = time.perf_counter()
            display(screen, renderable)
            if renderable is not None and app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # what a real terminal driver would be sent
            end = time.perf_counter()
            if self.recording:
                self.frames.append((t, end))
            if self.first_paint is None and self.ready():
                self.first_paint = end

        app._display = timed_display

    def install_screen(self, screen: Any) -> None:
        for name in dir(type(screen)):
            if name.startswith("action_") and callable(getattr(screen, name)):
                method = getattr(screen, name)

                def make(method: Callable[..., Any]) -> Callable[..., Any]:
                    @functools.wraps(method)
                    def timed(*args: Any) -> Any:
                        t = time.perf_counter()
                        try:
                            return method(*args)
                        finally:
                            if self.recording:
                                self.actions.append((t, time.perf_counter()))

                    return timed

                setattr(screen, name, make(method))

    def reset(self) -> None:
        self.idle.clear()
        self.frames.clear()
        self.actions.clear()
        self.recording = True

    def idle_between(self, t0: float, t1: float) -> float:
        return sum(max(0.0, min(e, t1) - max(s, t0)) for s, e in self.idle)


def _pending(app: Any) -> bool:
    screen = app.screen
    return bool(
        screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._dirty_widgets
        or screen._callbacks
        or app._message_queue.qsize()
        or screen._message_queue.qsize()
    )


async def settle(app: Any, probe: Probe, t0: float, *, expect_action: bool, timeout: float = 60.0) -> dict[str, float]:
    """Wait until the posted event was handled and its frames drawn; return its timings."""
    deadline = t0 + timeout
    while True:
        await asyncio.sleep(0.004)
        now = time.perf_counter()
        if now > deadline or app._exception is not None:
            raise TimeoutError(f"the app did not settle: {app._exception!r}")
        if expect_action and not probe.actions:
            continue
        last = max([e for _, e in probe.frames] + [e for _, e in probe.actions] + [t0])
        if now - last >= QUIET_S and not _pending(app):
            break
    probe.recording = False
    end = max([e for _, e in probe.frames] + [e for _, e in probe.actions] + [t0])
    return {
        "busy_ms": (end - t0 - probe.idle_between(t0, end)) * 1000,
        "wall_ms": (end - t0) * 1000,
        "handler_ms": sum(e - s for s, e in probe.actions) * 1000,
        "frames": len(probe.frames),
    }


async def press(app: Any, probe: Probe, key: str) -> dict[str, float]:
    from textual import events

    probe.reset()
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    t0 = time.perf_counter()
    app._driver.send_message(event)
    return await settle(app, probe, t0, expect_action=True)


async def resize(app: Any, probe: Probe, width: int, height: int) -> dict[str, float]:
    from textual.events import Resize
    from textual.geometry import Size

    probe.reset()
    size = Size(width, height)
    t0 = time.perf_counter()
    app._driver._size = size
    app.post_message(Resize(size, size))
    return await settle(app, probe, t0, expect_action=False)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _view_info(view: Any, naive: bool) -> dict[str, Any]:
    """Scroll position and whether the cursor sentence's first line is on screen."""
    top = int(view.scroll_offset.y)
    height = view.scrollable_content_region.height
    if naive:
        first = view._statics[view.cursor].virtual_region.y
    else:
        first = view._layout.first_line[view.cursor]
    return {"scroll_y": top, "cursor_visible": top <= first < top + height}


async def run_case(kind: str, db_path: Path, presses: int, memory: bool, found: bool = False) -> dict[str, Any]:
    from annotator.app import AnnotatorApp
    from annotator.storage import Database

    naive = kind == "naive"
    if naive:
        from naive_view import NaiveAnnotatorApp as app_class
    else:
        app_class = AnnotatorApp

    db = Database.open(db_path)
    probe = Probe()
    probe.install_loop()
    out: dict[str, Any] = {}
    gc.collect()
    rss0 = _maxrss_mb()
    if memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    app = app_class(db, ANNOTATOR)
    probe.install_app(app)

    def ready() -> bool:
        try:
            view = app.screen.view  # type: ignore[attr-defined]
        except Exception:
            return False
        return view.ready() if naive else bool(view._layout.lines)

    probe.ready = ready
    try:
        async with app.run_test(size=SCREEN) as pilot:
            await pilot.pause()
            while not ready():
                if app._exception is not None or time.perf_counter() - t0 > 600:
                    raise RuntimeError(f"the article never showed: {app._exception!r}")
                await pilot.pause()
            out["open_s"] = round(time.perf_counter() - t0, 4)
            out["first_paint_s"] = round(probe.first_paint - t0, 4) if probe.first_paint else None
            screen = app.screen
            view = screen.view  # type: ignore[attr-defined]
            probe.install_screen(screen)
            n = app.session.article_total
            if found and not naive:  # search highlights on, as after `/WORD`: every match marked
                import collections
                import re

                from annotator.search import in_article

                article = app.session.article
                word = collections.Counter(re.findall(r"\w{4,}", article.text)).most_common(1)[0][0]
                matches = [(m.start, m.end) for m in in_article(article, word)]
                view.set_found(matches)
                await pilot.pause()
                out["found"] = {"word": word, "matches": len(matches)}
            if presses:
                await interact(app, pilot, probe, view, naive, n, presses, out)
            if memory:
                _, peak = tracemalloc.get_traced_memory()
                out["tracemalloc_peak_mb"] = round(peak / 2**20, 2)
                tracemalloc.stop()
            out["rss_delta_mb"] = round(_maxrss_mb() - rss0, 1)
            out["rss_peak_mb"] = round(_maxrss_mb(), 1)
    finally:
        db.close()
    if app._exception is not None:
        raise RuntimeError(f"the app failed: {app._exception!r}")
    return out


async def interact(app: Any, pilot: Any, probe: Probe, view: Any, naive: bool, n: int, presses: int,
                   out: dict[str, Any]) -> None:
    """The timed part: moves, labels, a resize and back."""
    # -- cursor moves
    samples, scrolled, direction = [], [], "j"
    for _ in range(presses):
        if view.cursor == n - 1:
            direction = "k"
        elif view.cursor == 0:
            direction = "j"
        before = view.scroll_offset.y
        samples.append(await press(app, probe, direction))
        scrolled.append(view.scroll_offset.y != before)
    out["move"] = _summary(samples, scrolled)
    out["move"]["cursor_visible_after"] = _view_info(view, naive)["cursor_visible"]

    # -- labels
    samples, scrolled, keys, k = [], [], ["1", "2", "3"], 0
    for _ in range(presses):
        if view.cursor == n - 1 and samples:
            await pilot.press("home")  # untimed: start over with the next label
            k += 1
        before = view.scroll_offset.y
        samples.append(await press(app, probe, keys[k % 3]))
        scrolled.append(view.scroll_offset.y != before)
    out["label"] = _summary(samples, scrolled)
    out["label"]["labeled_in_session"] = app.session.article_labeled

    # -- resize and back
    narrow = await resize(app, probe, *NARROW)
    info_narrow = _view_info(view, naive)
    wide = await resize(app, probe, *SCREEN)
    info_wide = _view_info(view, naive)
    out["resize"] = {
        "to_80_ms": round(narrow["busy_ms"], 2),
        "to_120_ms": round(wide["busy_ms"], 2),
        "max_ms": round(max(narrow["busy_ms"], wide["busy_ms"]), 2),
        "wall_to_80_ms": round(narrow["wall_ms"], 2),
        "wall_to_120_ms": round(wide["wall_ms"], 2),
        "cursor_visible": info_narrow["cursor_visible"] and info_wide["cursor_visible"],
    }
    if not naive:
        from annotator.layout import wrap_article
        from annotator.sanitize import sanitize

        t = time.perf_counter()
        wrap_article(view._text, view._sentences, view.wrap_width - 40, shown_as=sanitize)
        out["resize"]["rewrap_call_ms"] = round((time.perf_counter() - t) * 1000, 2)
        out["display_lines"] = len(view._layout.lines)


# ---------------------------------------------------------------------------- parent


def run_child(kind: str, size: int, base: Path, work: Path, presses: int, memory: bool) -> dict[str, Any]:
    copy = work / f"{kind}-{size}-{'mem' if memory else 'time'}"
    shutil.copytree(base / str(size) / "db", copy)
    cmd = [sys.executable, __file__, "--child", kind, "--db", str(copy / "annotations.json"), "--presses", str(presses)]
    if FOUND:
        cmd.append("--found")
    if memory:
        cmd.append("--memory")
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {size} failed:\n{proc.stderr[-4000:]}")
    shutil.rmtree(copy, ignore_errors=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {kind:9} {size:>6} {'memory' if memory else 'timing'}: {time.perf_counter() - t:5.1f} s", file=sys.stderr)
    return result


def goals(results: dict[str, dict[str, dict[str, Any]]], sizes: list[int]) -> list[dict[str, Any]]:
    ours = results["annotator"]
    out: list[dict[str, Any]] = []
    big, small = str(max(sizes)), str(min(sizes))

    def goal(name: str, value: Any, limit: Any, met: bool) -> None:
        out.append({"goal": name, "value": value, "limit": limit, "met": bool(met)})

    # Medians of several opens: a single start-up lands 0.1 s apart run to run (Textual's
    # footer finishes its own start-up work after the first paint, or before it).
    big_open, small_open = ours[big]["open_median_s"], ours[small]["open_median_s"]
    goal(f"open {big} sentences < 1 s (median of {OPENS})", big_open, 1.0, big_open < 1.0)
    ratio = big_open / small_open
    goal(f"open {big} sentences within 1.5x of {small}", round(ratio, 3), 1.5, ratio <= 1.5)
    for size in sizes:
        r = ours[str(size)]
        goal(f"move p95 < 16 ms at {size}", r["move"]["p95_ms"], 16, r["move"]["p95_ms"] < 16)
        goal(f"label p95 < 16 ms at {size}", r["label"]["p95_ms"], 16, r["label"]["p95_ms"] < 16)
    for size in sizes:
        r = ours[str(size)]
        goal(f"re-wrap (resize) < 200 ms at {size}", r["resize"]["max_ms"], 200, r["resize"]["max_ms"] < 200)
    for size in sizes:
        r = ours[str(size)]
        mem = max(r["tracemalloc_peak_mb"], r["rss_delta_mb"])
        goal(f"memory < 150 MB at {size} (max of tracemalloc peak, RSS delta)", mem, 150, mem < 150)
    return out


FOUND = False  # --found: the children run with search highlights on


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the naive view at 10,000 sentences")
    ap.add_argument("--presses", type=int, default=100, help="timed presses per key kind (default 100)")
    ap.add_argument("--naive-big-presses", type=int, default=15,
                    help="timed presses per key kind for the naive view at 10,000 sentences (default 15; "
                         "each takes over a second there)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--child", choices=["annotator", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--found", action="store_true",
                    help="with search highlights on: the article's most common word marked wherever it is")
    args = ap.parse_args()
    global FOUND
    FOUND = args.found

    if args.child:
        result = asyncio.run(run_case(args.child, args.db, args.presses, args.memory, args.found))
        print(json.dumps(result))
        return

    import textual

    started = time.perf_counter()
    load_start = os.getloadavg()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-view-"))
    try:
        articles = {}
        for size in sizes:
            t = time.perf_counter()
            articles[str(size)] = build_db(work / "base" / str(size), size)
            articles[str(size)]["import_s"] = round(time.perf_counter() - t, 3)
        results: dict[str, dict[str, dict[str, Any]]] = {"annotator": {}, "naive": {}}
        skipped = []
        for kind in ("annotator", "naive"):
            for size in sizes:
                if kind == "naive" and size >= 10_000 and args.quick:
                    skipped.append(f"naive {size} (--quick)")
                    continue
                big_naive = kind == "naive" and size >= 10_000
                presses = args.naive_big_presses if big_naive else args.presses
                mem_presses = 0 if big_naive else MEMORY_PRESSES[kind]
                timing = run_child(kind, size, work / "base", work, presses, memory=False)
                mem = run_child(kind, size, work / "base", work, mem_presses, memory=True)
                timing["tracemalloc_peak_mb"] = mem["tracemalloc_peak_mb"]
                timing["memory_run"] = (
                    f"open, {mem_presses} moves, {mem_presses} labels, resize and back" if mem_presses else "open only"
                )
                timing["memory_run_open_s"] = mem["open_s"]
                if kind == "annotator":
                    opens = [timing["open_s"]] + [
                        run_child(kind, size, work / "base", work, 0, memory=False)["open_s"] for _ in range(OPENS - 1)
                    ]
                    timing["open_runs_s"] = opens
                    timing["open_median_s"] = statistics.median(opens)
                results[kind][str(size)] = timing
        report = {
            "command": "python bench/bench_view.py" + (" --quick" if args.quick else ""),
            "textual": textual.__version__,
            "python": platform.python_version(),
            "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus",
            "screen": f"{SCREEN[0]}x{SCREEN[1]}",
            "load_average": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
            "method": METHOD,
            "articles": articles,
            "results": results,
            "skipped": skipped,
            "goals": goals(results, sizes),
        }
        report["all_goals_met"] = all(g["met"] for g in report["goals"])
        report["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
