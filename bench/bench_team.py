"""Several reviewers labeling ONE database at the same time, each in a process of their own
(issue 15: five people SSH into one server and run ``annotator label --db X --annotator NAME``).

    python bench/bench_team.py [--quick] [--crash] [--control] [--articles N] [--decisions N]
                               [--app-keys N] [--reviewers 1,5,10] [--stride N] [--kills N]
                               [--no-app] [--no-storage] [--dir PATH]

Prints one JSON object (progress goes to stderr).  A project of ``--articles`` news-like
articles (``bench/newslike.py``, seeded; 200 by default) is imported once into a temp folder;
every run below works on a fresh copy of it.  For each count of reviewers in ``--reviewers``
(1 is the lone baseline) there are two phases, each with that many reviewer processes at once,
all started on the same instant:

``storage``: each process is one reviewer (``Database.open(db, reviewer=NAME)``) making
``--decisions`` decisions (1,000 by default) through the Database, as the app makes them:
mostly labels of the next sentence (background, claim, quote, now and then skip), some clears
of the sentence before, undos, notes and flags.  Keys come at a typist's pace: 4 to 8 a
second with jitter, and now and then a burst of about 20 keys at 30 a second (a reviewer
racing through boilerplate); the schedule is absolute, so a slow save delays the keys after it
as a real keyboard buffer would.  Reviewers work in pairs: both of a pair start on the same
article (the agreement overlap, two people writing one article's labels file at once), and
each pair starts ``--stride`` articles after the one before, so the pairs' stretches overlap
as well (``--stride 0``: every reviewer on the same articles at the same time, a hot spot).
Each process calls ``db.refresh()`` once a second, as the app does to take in the others'
work.  Figures:

* ``save_ms``: the time of each Database call that writes (``set_label``, ``clear_label``,
  ``undo``, ``set_note``, ``set_flag``), fsync included, measured in the reviewer process:
  p50/p95/max over every reviewer's calls, ``by_op`` the same per call, ``worst_reviewer_p95``
  the highest p95 of any one reviewer.  Goal: p95 under 5 ms in every run.
* ``disk_floor_ms``: meanwhile, in one more process at the same pace, a 1 KB file written,
  fsynced, renamed into place and its folder fsynced: what any durable save pays on this disk
  at that moment (a shared disk's speed drifts 2-3x within minutes).
* ``refresh_ms``: the time of ``db.refresh()`` (when the storage has it), once a second.
* ``keys_per_s``: the pace each reviewer actually reached (mean over reviewers).
* ``check``: every decision a reviewer process was told was saved (acknowledged: the Database
  call returned) is written to that reviewer's log right after, flushed.  After the run the
  database is read (read-only) and, per reviewer and sentence, the label (and the note and the
  flag) found must be the last acknowledged one: ``acknowledged`` decisions, ``keys`` checked,
  ``found``, ``lost`` (each listed); also every acknowledged label and undo must be in the
  sentence's history with its stamp (``in_history``).
* ``verify``: ``annotator verify --db X`` on the database afterwards (exit 0: clean).

``app``: each process runs the REAL app (``annotator.app.AnnotatorApp``, headless with
Textual's ``run_test``, 120x40, as ``bench_suggest_keys.py`` does), opened for its reviewer on
the same pair-wise overlapping articles, and types ``--app-keys`` keys at the same pace from
another thread (Textual reads a terminal's input in one): label keys 1/2/3 (0 now and then),
``k`` then ``x`` (back one sentence and clear it), ``u`` (undo).  Each key is timed from the
moment it is sent to the first frame composed after its action (``key_to_frame_ms``:
p50/p95/max over every reviewer's keys, and each reviewer's p50/p95).  The Database calls the
app makes are timed (``save_ms``) and logged, and checked afterwards like the storage phase's;
``refresh_ms`` times the app's own ``db.refresh()`` (it takes in the others' work every second,
on its event loop).
Goal: with 5 and with 10 reviewers, the key-to-frame p95 at most 1.5 times the lone reviewer's.
The phases are apart so that each figure has one cause: the storage phase loads the disk and
the locks with exactly the decisions asked for, the app phase shows what a reviewer feels.
All processes share this machine's cores: ``machine`` says how many there were.

``--crash``: five reviewers (``--crash-reviewers``) run the storage phase, and ``--kills``
times (spread over the run) a random one is killed with SIGKILL (no chance to finish anything)
and restarted at once as the same reviewer, which goes on where its log says it was.  Then
every acknowledged decision must be in the database: per reviewer and sentence the state found is the last acknowledged one, except
where the decision in flight when the process was killed (its intent is logged before the
call, its acknowledgement after) landed without being acknowledged, which is allowed once per
kill (``in_flight_landed``); and ``verify`` clean.

``--control``: each run with more than one reviewer also runs both phases with every
reviewer on a copy of the database of their own (``storage_separate_copies``,
``app_separate_copies``): the same processes, sharing the machine's cores and disk but no
file, as before issue 15.  What a figure loses against its control is what sharing the
database costs; what the control loses against the lone reviewer is this machine's.
``cpu_s_per_reviewer``: CPU seconds each reviewer process used.

``--quick``: 150 decisions and 60 app keys per reviewer, 60 articles, reviewers 1 and 5.

``python bench/bench_team.py --worker CONFIG_JSON`` and ``--app CONFIG_JSON`` run one reviewer
process (what the phases start; ``tests/test_team_processes.py`` starts workers the same way
through :func:`spawn`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import newslike  # noqa: E402
from bench_storage import floor_once  # noqa: E402

GOAL_SAVE_P95_MS = 5.0
GOAL_KEY_RATIO = 1.5
NAMES = ("ana", "budi", "citra", "dewi", "eka", "fajar", "gita", "hadi", "indah", "joko", "kartika", "lukas")
LABEL_WEIGHTS = (("background", 0.5), ("claim", 0.25), ("quote", 0.2), ("skip", 0.05))
MIX = {"label": 0.80, "clear": 0.06, "undo": 0.05, "note": 0.05, "flag": 0.04}
Key = tuple[str, str, str, int, int]  # (kind: label|note|flag|final, who, article, start, end)


def log(msg: str) -> None:
    print(f"[bench_team {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    s = sorted(values)
    return {"p50": round(statistics.median(s), 2), "p95": round(s[min(len(s) - 1, int(0.95 * len(s)))], 2),
            "max": round(s[-1], 2), "n": len(s)}


# ----------------------------------------------------------------------------- the project


def open_as(path: Path, reviewer: str | None, *, readonly: bool = False) -> Any:
    """``Database.open(path, reviewer=...)``: a session for one reviewer (several processes with
    different reviewers write at once).  A storage from before issue 15 has no ``reviewer``:
    then the one-writer open, so a run with one reviewer still works there."""
    from annotator.storage import Database

    if readonly:
        return Database.open(path, readonly=True)
    if reviewer is None:
        return Database.open(path)
    if storage_api()["reviewer_sessions"]:
        return Database.open(path, reviewer=reviewer)  # type: ignore[call-arg, unused-ignore]
    return Database.open(path)


def storage_api() -> dict[str, bool]:
    import inspect

    from annotator.storage import Database

    return {"reviewer_sessions": "reviewer" in inspect.signature(Database.open).parameters,
            "refresh": hasattr(Database, "refresh")}


def changed_ids(refreshed: Any) -> set[str]:
    """The article ids a ``db.refresh()`` reports: a set of them, or an object whose ``articles``
    holds them."""
    if refreshed is None:
        return set()
    if isinstance(refreshed, (set, frozenset, list, tuple)):
        return set(refreshed)
    return set(getattr(refreshed, "articles", ()))


def build(folder: Path, articles: int, seed: int = 15) -> dict[str, Any]:
    """A database of ``articles`` news-like articles at ``folder/db/annotations.json``."""
    from annotator.importer import apply_import, plan_import

    texts = folder / "texts"
    texts.mkdir(parents=True)
    for n in range(articles):
        (texts / f"{n:04d}.txt").write_text(newslike.article(seed, n), encoding="utf-8")
    db_path = folder / "db" / "annotations.json"
    with open_as(db_path, None) as db:
        apply_import(db, plan_import([texts]))
        infos = db.article_infos()
        ids = [i.id for i in infos]
        sentences = sum(i.n_sentences for i in infos)
    shutil.rmtree(texts)
    return {"db": db_path, "ids": ids, "articles": len(ids), "sentences": sentences}


def copy_db(src: Path, dest_folder: Path) -> Path:
    """A fresh copy of the database at ``src`` (its folder) under ``dest_folder``."""
    shutil.copytree(src.parent, dest_folder)
    for lock in dest_folder.glob("*.lock*"):
        lock.unlink()
    return dest_folder / src.name


def orders(ids: Sequence[str], reviewers: int, stride: int) -> list[list[str]]:
    """Each reviewer's articles: pairs start on the same article, each pair ``stride`` later."""
    out = []
    for r in range(reviewers):
        k = ((r // 2) * stride) % max(1, len(ids))
        out.append(list(ids[k:]) + list(ids[:k]))
    return out


# ----------------------------------------------------------------------------- a typist


@dataclass
class Pace:
    """When the next key comes: 4-8 keys a second with jitter, and with ``burst_p`` a burst of
    15-25 keys at about 30 a second.  ``speed`` multiplies every rate (tests type faster);
    ``speed`` 0: no waiting at all."""

    rnd: random.Random
    speed: float = 1.0
    burst_p: float = 0.03
    _left: int = 0

    def gap(self) -> float:
        if self.speed <= 0:
            return 0.0
        if self._left > 0:
            self._left -= 1
            return self.rnd.uniform(0.75, 1.25) / 30.0 / self.speed
        if self.rnd.random() < self.burst_p:
            self._left = self.rnd.randint(15, 25) - 1
            return self.rnd.uniform(0.75, 1.25) / 30.0 / self.speed
        return 1.0 / self.rnd.uniform(4.0, 8.0) / self.speed


class Clock:
    """An absolute schedule: a key late because a save was slow does not push the others back."""

    def __init__(self, pace: Pace, start: float | None = None) -> None:
        self.pace = pace
        self.next = time.monotonic() if start is None else start

    def wait(self) -> None:
        self.next += self.pace.gap()
        delay = self.next - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def wait_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        time.sleep(delay)


# ----------------------------------------------------------------------------- the decision log


class DecisionLog:
    """One reviewer's log: an ``intent`` line before each Database call, an ``ack`` line once it
    returned (or ``err`` if it raised), each flushed at once, so a SIGKILL loses at most the
    one call in flight, and it shows as an intent without its acknowledgement.  A restarted
    process appends (a ``start`` line first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._f: IO[str] = open(path, "a", encoding="utf-8")
        self.write({"t": "start", "pid": os.getpid()})

    def write(self, rec: dict[str, Any]) -> None:
        self._f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a torn last line of a killed process (never seen: each line is one write)
    return out


def _key(rec: dict[str, Any]) -> Key:
    return (rec["kind"], rec["who"], rec["aid"], rec["s"], rec["e"])


@dataclass
class Resume:
    """Where a reviewer's log says it stands: steps done, place, and its acknowledged state."""

    steps: int = 0
    pos: tuple[int, int] = (0, 0)
    state: dict[Key, Any] = field(default_factory=dict)


def resume_from(records: Sequence[dict[str, Any]]) -> Resume:
    r = Resume()
    for rec in records:
        if rec["t"] == "i":
            r.steps = max(r.steps, rec["n"] + 1)
            r.pos = (rec["pos"][0], rec["pos"][1])
        elif rec["t"] == "a" and rec.get("kind"):
            r.state[_key(rec)] = rec["v"]
    return r


# ----------------------------------------------------------------------------- a reviewer process


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t) * 1000.0


def _pick_label(rnd: random.Random) -> str:
    r, acc = rnd.random(), 0.0
    for name, w in LABEL_WEIGHTS:
        acc += w
        if r < acc:
            return name
    return LABEL_WEIGHTS[0][0]


def _pick_op(rnd: random.Random, mix: dict[str, float]) -> str:
    r, acc = rnd.random() * sum(mix.values()), 0.0
    for op, w in mix.items():
        acc += w
        if r < acc:
            return op
    return next(iter(mix))


def floor_main(cfg: dict[str, Any]) -> int:
    """The disk's floor while a phase runs: a 1 KB file written, fsynced, renamed into place and
    its folder fsynced (what any durable save pays), at a typist's pace in folder ``dir``, until
    ``until`` (epoch).  Prints one JSON line: ``save_ms`` {"floor": [...]}."""
    folder = Path(cfg["dir"])
    folder.mkdir(parents=True, exist_ok=True)
    wait_until(float(cfg.get("start_at", 0)))
    clock = Clock(Pace(random.Random(5), float(cfg.get("speed", 1.0))))
    times: list[float] = []
    while time.time() < float(cfg["until"]):
        clock.wait()
        times.append(floor_once(folder) * 1000.0)
    print(json.dumps({"save_ms": {"floor": times}}))
    return 0


def worker_main(cfg: dict[str, Any]) -> int:
    """One process making decisions through the Database (see the module's ``storage`` phase).

    ``cfg``: ``db``, ``who`` (the name decisions are made under), ``session`` (the reviewer the
    database is opened for; "" opens it without one, as import and merge do), ``role``
    (``reviewer``: labels, clears, undos, notes, flags by ``mix``; ``lead``: final labels with
    ``set_decision``; ``splitter``: splits of sentences), ``order`` (article ids), ``decisions``,
    ``seed``, ``log``, ``start_at`` (epoch), ``speed`` (see ``Pace``), ``refresh_every`` (s),
    ``mix``.  Prints one JSON line with its timings at the end."""
    if cfg.get("role") == "floor":
        return floor_main(cfg)
    from annotator.errors import AnnotatorError
    from annotator.model import Decision, Label, now_iso

    db_path, who = Path(cfg["db"]), cfg["who"]
    role = cfg.get("role", "reviewer")
    mix = cfg.get("mix") or MIX
    order: list[str] = cfg["order"]
    total = int(cfg["decisions"])
    records = read_log(Path(cfg["log"]))
    res = resume_from(records)
    restarts = sum(1 for r in records if r["t"] == "start")
    t0 = time.perf_counter()
    db = open_as(db_path, cfg.get("session", who) or None)
    open_ms = (time.perf_counter() - t0) * 1000.0
    dlog = DecisionLog(Path(cfg["log"]))
    rnd = random.Random(f"{cfg.get('seed', 0)}/{who}/{restarts}")
    wait_until(float(cfg.get("start_at", 0)))
    clock = Clock(Pace(rnd, float(cfg.get("speed", 1.0))))
    refresh_every = float(cfg.get("refresh_every", 1.0))
    can_refresh = hasattr(db, "refresh")
    last_refresh = time.monotonic()
    save_ms: dict[str, list[float]] = {}
    refresh_ms: list[float] = []
    refreshed: set[str] = set()
    errors: list[str] = []
    state = res.state
    ai, si = res.pos
    n = res.steps
    started = time.monotonic()

    def refresh() -> None:
        out, ms = _timed(db.refresh)
        refresh_ms.append(ms)
        refreshed.update(changed_ids(out))

    def ack(rec: dict[str, Any]) -> None:
        dlog.write(rec)
        if rec.get("kind"):
            state[_key(rec)] = rec["v"]

    def spans_of(aid: str) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in db.get_article(aid).sentences]

    while n < total:
        clock.wait()
        if can_refresh and time.monotonic() - last_refresh >= refresh_every:
            refresh()
            last_refresh = time.monotonic()
        aid = order[ai % len(order)]
        spans = spans_of(aid)
        if si >= len(spans):  # (a join by someone else made it shorter)
            ai, si = ai + 1, 0
            aid = order[ai % len(order)]
            spans = spans_of(aid)
        if not spans:
            ai, si = ai + 1, 0
            continue
        op = {"reviewer": None, "lead": "final", "splitter": "split"}[role] or _pick_op(rnd, mix)
        prev = spans[si - 1] if si > 0 and mix.get("label") else spans[si]
        if op == "clear" and state.get(("label", who, aid, *prev)) is None:
            op = "label"
        intent: dict[str, Any] = {"t": "i", "n": n, "op": op, "pos": [ai, si], "who": who, "aid": aid}
        try:
            if op == "label":
                s, e = spans[si]
                name = _pick_label(rnd)
                dlog.write({**intent, "kind": "label", "s": s, "e": e, "v": name})
                lab, ms = _timed(db.set_label, Label(aid, s, e, name, who, now_iso()))
                ack({"t": "a", "n": n, "op": op, "kind": "label", "who": who, "aid": aid, "s": s, "e": e,
                     "v": lab.label, "at": [lab.updated_at, lab.tick]})
                si += 1
            elif op == "clear":
                s, e = prev
                dlog.write({**intent, "kind": "label", "s": s, "e": e, "v": None})
                _, ms = _timed(db.clear_label, aid, s, e, who)
                ack({"t": "a", "n": n, "op": op, "kind": "label", "who": who, "aid": aid, "s": s, "e": e,
                     "v": None})
            elif op == "undo":
                dlog.write({**intent, "kind": ""})
                ev, ms = _timed(db.undo, who)
                if ev is None or not hasattr(ev, "start"):
                    ack({"t": "a", "n": n, "op": op, "kind": ""})
                else:
                    ack({"t": "a", "n": n, "op": op, "kind": "label", "who": who, "aid": ev.article_id,
                         "s": ev.start, "e": ev.end, "v": ev.label, "at": [ev.updated_at, ev.tick]})
            elif op in ("note", "flag"):
                s, e = prev
                if op == "note":
                    old = state.get(("note", who, aid, s, e))
                    text = "" if old and rnd.random() < 0.3 else f"{who}: check the attribution ({n})"
                    dlog.write({**intent, "kind": "note", "s": s, "e": e, "v": text})
                    note, ms = _timed(db.set_note, aid, s, e, who, text)
                    v: Any = note.note
                else:
                    flag = not state.get(("flag", who, aid, s, e), False)
                    dlog.write({**intent, "kind": "flag", "s": s, "e": e, "v": flag})
                    note, ms = _timed(db.set_flag, aid, s, e, who, flag)
                    v = note.flag
                ack({"t": "a", "n": n, "op": op, "kind": op, "who": who, "aid": aid, "s": s, "e": e, "v": v})
                if not mix.get("label"):  # only notes and flags: one sentence after the other
                    si += 1
            elif op == "final":
                s, e = spans[si]
                name = _pick_label(rnd)
                votes = tuple((lab.annotator, lab.label) for lab in db.labels(aid) if (lab.start, lab.end) == (s, e))
                dlog.write({**intent, "kind": "final", "who": "", "s": s, "e": e, "v": name})
                dec, ms = _timed(db.set_decision, Decision(aid, s, e, name, who, "bench", now_iso(), votes))
                ack({"t": "a", "n": n, "op": op, "kind": "final", "who": "", "aid": aid, "s": s, "e": e,
                     "v": dec.label, "at": [dec.updated_at, dec.tick]})
                si += 1
            else:  # split: between two words near the middle of a sentence long enough
                s, e = spans[si]
                text = db.get_article(aid).text
                cut = text.find(" ", s + (e - s) // 2, e - 1)
                si += 1
                if e - s < 30 or cut < 0:
                    continue
                dlog.write({**intent, "kind": "", "s": s, "e": e, "v": cut + 1})
                ev, ms = _timed(db.split_sentence, aid, cut + 1, who)
                ack({"t": "a", "n": n, "op": op, "kind": "", "who": who, "aid": aid,
                     "added": [[x.start, x.end] for x in ev.added], "at": [ev.updated_at, ev.tick]})
            save_ms.setdefault(op, []).append(ms)
        except (ValueError, AnnotatorError) as exc:  # a sentence split meanwhile by another process, say
            dlog.write({"t": "err", "n": n, "op": op, "error": f"{type(exc).__name__}: {exc}"})
            errors.append(f"{op}: {type(exc).__name__}: {exc}"[:300])
            if can_refresh:
                refresh()
            si += 1
        n += 1
        if si >= len(spans):
            ai, si = ai + 1, 0
    elapsed = time.monotonic() - started
    if can_refresh:
        refresh()
    articles_seen = len(db.article_infos())
    db.close()
    dlog.close()
    print(json.dumps({"who": who, "pid": os.getpid(), "open_ms": round(open_ms, 2), "save_ms": save_ms,
                      "refresh_ms": refresh_ms, "refreshed": sorted(refreshed), "articles_seen": articles_seen,
                      "errors": errors, "elapsed_s": elapsed, "steps": n - res.steps}))
    return 0


# ----------------------------------------------------------------------------- the real app


def app_main(cfg: dict[str, Any]) -> int:
    """One reviewer in the real app, headless, typing ``keys`` keys (see the ``app`` phase).
    ``cfg``: ``db``, ``who``, ``order``, ``keys``, ``seed``, ``log``, ``start_at``, ``speed``.
    Prints one JSON line: each key's key-to-frame time, the app's Database calls' times."""
    import asyncio
    import threading

    from annotator import app as app_mod

    who, total = cfg["who"], int(cfg["keys"])
    db = open_as(Path(cfg["db"]), who)
    dlog = DecisionLog(Path(cfg["log"]))
    save_ms: dict[str, list[float]] = {}
    counter = [0]

    def wrap(name: str) -> None:
        real = getattr(db, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            n = counter[0]
            counter[0] += 1
            dlog.write({"t": "i", "n": n, "op": name, "pos": [0, 0]})
            t = time.perf_counter()
            out = real(*args, **kwargs)
            save_ms.setdefault(name, []).append((time.perf_counter() - t) * 1000.0)
            ack: dict[str, Any] = {"t": "a", "n": n, "op": name, "kind": ""}
            if name == "set_label":
                ack.update(kind="label", who=who, aid=out.article_id, s=out.start, e=out.end, v=out.label,
                           at=[out.updated_at, out.tick])
            elif name == "clear_label":
                ack.update(kind="label", who=who, aid=args[0], s=args[1], e=args[2], v=None)
            elif name in ("undo", "redo") and out is not None and hasattr(out, "start"):
                ack.update(kind="label", who=who, aid=out.article_id, s=out.start, e=out.end, v=out.label,
                           at=[out.updated_at, out.tick])
            dlog.write(ack)
            return out

        setattr(db, name, call)

    for name in ("set_label", "clear_label", "undo", "redo"):
        wrap(name)
    refresh_ms: list[float] = []
    if hasattr(db, "refresh"):  # the app takes in the others' work with it (every second)
        real_refresh = db.refresh

        def refresh() -> Any:
            out, ms = _timed(real_refresh)
            refresh_ms.append(ms)
            return out

        db.refresh = refresh

    screen_cls = app_mod.LabelScreen
    actions: list[tuple[float, float]] = []

    def timed_action(name: str) -> None:
        real = getattr(screen_cls, name)

        def action(self: Any, *args: Any) -> None:
            t = time.perf_counter()
            real(self, *args)
            actions.append((t, time.perf_counter()))

        setattr(screen_cls, name, action)

    for name in ("action_label", "action_clear", "action_undo", "action_move"):
        timed_action(name)

    rnd = random.Random(f"{cfg.get('seed', 0)}/{who}/app")
    keys: list[str] = []
    while len(keys) < total:
        r = rnd.random()
        if r < 0.06:
            keys += ["k", "x"]
        elif r < 0.11:
            keys.append("u")
        else:
            keys.append({"background": "3", "claim": "1", "quote": "2", "skip": "0"}[_pick_label(rnd)])
    keys = keys[:total]

    async def main() -> dict[str, Any]:
        app = app_mod.AnnotatorApp(db, who, order=cfg["order"])
        frames: list[float] = []
        real_display = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                frames.append(time.perf_counter())
            real_display(screen, renderable)

        app._display = display  # type: ignore[method-assign]
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(30):
                await pilot.pause()
            loop = asyncio.get_running_loop()
            sent: list[tuple[float, str]] = []
            done = threading.Event()

            def typist() -> None:
                wait_until(float(cfg.get("start_at", 0)))
                clock = Clock(Pace(rnd, float(cfg.get("speed", 1.0))))
                for key in keys:
                    clock.wait()
                    sent.append((time.perf_counter(), key))
                    loop.call_soon_threadsafe(app.simulate_key, key)
                done.set()

            threading.Thread(target=typist, daemon=True).start()
            while not done.is_set():
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 20
            while len(actions) < len(sent) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            times: dict[str, list[float]] = {}
            for (t, key), (_, end) in zip(sent, actions):
                drawn = next((f for f in frames if f >= end), None)
                kind = "label" if key in "0123" else {"k": "move", "x": "clear", "u": "undo"}[key]
                times.setdefault(kind, []).append(((drawn if drawn is not None else end) - t) * 1000.0)
            out["key_to_frame_ms"] = times
            out["keys_sent"], out["actions"] = len(sent), len(actions)
            out["pace_s"] = sent[-1][0] - sent[0][0] if len(sent) > 1 else 0.0
            await pilot.press("ctrl+q")
        return out

    out = asyncio.run(main())
    db.close()
    dlog.close()
    out.update(who=who, save_ms=save_ms, refresh_ms=refresh_ms)
    print(json.dumps(out))
    return 0


# ----------------------------------------------------------------------------- starting processes


def child_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def spawn(cfg: dict[str, Any], *, app: bool = False) -> subprocess.Popen[str]:
    """A reviewer process (``worker_main``, or ``app_main`` with ``app``) with ``cfg``; its
    result is the last line of its stdout."""
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--app" if app else "--worker",
                             json.dumps(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env())


def result_of(proc: subprocess.Popen[str], timeout: float = 900.0) -> dict[str, Any]:
    """The process's result (its last stdout line), or ``exit`` and ``stderr`` if it failed."""
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        return {"exit": proc.returncode, "stderr": err[-1500:]}
    try:
        return dict(json.loads(out.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"exit": proc.returncode, "stdout": out[-500:], "stderr": err[-1500:]}


def run_cli(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotator", *args], capture_output=True, text=True,
                          env=child_env(), timeout=timeout)


def verify(db_path: Path) -> dict[str, Any]:
    """``annotator verify --db X``: its exit status and its last line (and any problem lines)."""
    r = run_cli("verify", "--db", str(db_path))
    lines = r.stdout.strip().splitlines()
    return {"exit": r.returncode, "verdict": lines[-1] if lines else r.stderr.strip()[-300:],
            "problems": [ln for ln in lines[:-1] if ln.startswith("error")][:10]}


# ----------------------------------------------------------------------------- the check


def check(db_path: Path, logs: Sequence[Path]) -> dict[str, Any]:
    """Every acknowledged decision in the logs against the database as it is now (read-only).

    Per (kind, reviewer, article, sentence) the state found must be the last acknowledged one.
    A decision in flight when its process was killed (an intent with no acknowledgement) may
    have landed: it explains one difference on its sentence (an undo's: on any of its
    reviewer's sentences whose latest decision in the history is an undo).  A label on a
    sentence split or joined since counts as found when it is among the retired ones.  Every
    acknowledged label and undo must also be in its sentence's history, with its stamp.
    Returns ``acknowledged``, ``keys``, ``found``, ``in_flight_landed``, ``in_history``,
    ``lost`` (up to 20, each with what was expected and found) and ``ok``."""
    expected: dict[Key, Any] = {}
    last_ack: dict[Key, tuple[int, int]] = {}  # key -> (log, line) of its last acknowledgement
    in_flight: list[tuple[int, int, dict[str, Any]]] = []
    stamped: list[dict[str, Any]] = []
    splits: list[dict[str, Any]] = []
    acked = 0
    for li, path in enumerate(logs):
        recs = read_log(path)
        for j, rec in enumerate(recs):
            if rec["t"] == "i":
                nxt = recs[j + 1] if j + 1 < len(recs) else None
                if nxt is None or nxt["t"] not in ("a", "err") or nxt["n"] != rec["n"]:
                    in_flight.append((li, j, rec))
            elif rec["t"] == "a":
                acked += 1
                if rec.get("at") and rec.get("kind") == "label":
                    stamped.append(rec)
                if rec["op"] == "split":
                    splits.append(rec)
                if rec.get("kind"):
                    expected[_key(rec)] = rec["v"]
                    last_ack[_key(rec)] = (li, j)
    db = open_as(db_path, None, readonly=True)
    try:
        found: dict[Key, Any] = {}
        histories: dict[str, set[tuple[str, int, int, str, int, str]]] = {}
        latest_op: dict[Key, str] = {}
        articles = {k[2] for k in expected} | {r["aid"] for r in stamped}
        for aid in articles:
            spans = {(s.start, s.end) for s in db.get_article(aid).sentences}
            for lab in db.labels(aid):
                found[("label", lab.annotator, aid, lab.start, lab.end)] = lab.label
            for ret in db.retired(aid):
                rec = ret.record
                k: Key = ("final", "", aid, rec.start, rec.end) if ret.final else \
                    ("label", rec.annotator, aid, rec.start, rec.end)
                if (rec.start, rec.end) not in spans and k not in found:
                    found[k] = rec.label
            for dec in db.decisions(aid):
                found[("final", "", aid, dec.start, dec.end)] = dec.label
            for note in db.notes(aid):
                found[("note", note.annotator, aid, note.start, note.end)] = note.note
                found[("flag", note.annotator, aid, note.start, note.end)] = note.flag
            for rn in db.retired_notes(aid):
                nt = rn.note
                for kind, v in (("note", nt.note), ("flag", nt.flag)):
                    found.setdefault((kind, nt.annotator, aid, nt.start, nt.end), v)
            hist = set()
            for ev in db.history(aid):
                hist.add((ev.who, ev.start, ev.end, ev.updated_at, ev.tick, ev.op))
                latest_op[("label", ev.who, aid, ev.start, ev.end)] = ev.op  # history is in the order made
            histories[aid] = hist
        seg_found = 0
        for rec in splits:
            stamps = {(x.who, x.updated_at, x.tick) for x in db.segmentation_history(rec["aid"])}
            seg_found += (rec["who"], rec["at"][0], rec["at"][1]) in stamps
    finally:
        db.close()
    empty: dict[str, Any] = {"label": None, "final": None, "note": "", "flag": False}
    used: set[int] = set()
    lost, landed, ok_keys = [], 0, 0
    for k, v in expected.items():
        got = found.get(k, empty[k[0]])
        if got == v or (v in (None, "", False) and got in (None, "", False) and k[0] != "label"):
            ok_keys += 1
            continue
        li, j = last_ack[k]
        explained = False
        for idx, (fli, fj, rec) in enumerate(in_flight):
            if idx in used or fli != li or fj < j:
                continue
            same_key = rec.get("kind") and _key(rec) == k and rec.get("v") == got
            undo_here = rec.get("op") == "undo" and k[0] == "label" and rec.get("who") == k[1] \
                and latest_op.get(k) == "undo"
            if same_key or undo_here:
                used.add(idx)
                explained = True
                break
        if explained:
            landed += 1
            ok_keys += 1
        else:
            lost.append({"key": list(k), "acknowledged": v, "found": got})
    in_hist = sum(1 for r in stamped if (r["who"], r["s"], r["e"], r["at"][0], r["at"][1])
                  in {h[:5] for h in histories.get(r["aid"], set())})
    out: dict[str, Any] = {"acknowledged": acked, "keys": len(expected), "found": ok_keys, "in_flight": len(in_flight),
                           "in_flight_landed": landed, "in_history": f"{in_hist}/{len(stamped)}",
                           "lost": lost[:20], "lost_count": len(lost)}
    if splits:
        out["splits_in_history"] = f"{seg_found}/{len(splits)}"
    out["ok"] = not lost and in_hist == len(stamped) and seg_found == len(splits)
    return out


# ----------------------------------------------------------------------------- the phases


def _merge_ms(results: Sequence[dict[str, Any]]) -> tuple[dict[str, list[float]], list[float]]:
    by_op: dict[str, list[float]] = {}
    for r in results:
        for op, ms in r.get("save_ms", {}).items():
            by_op.setdefault(op, []).extend(ms)
    return by_op, [m for ms in by_op.values() for m in ms]


def _failures(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if "exit" in r]


def storage_phase(db_path: Path, work: Path, ids: Sequence[str], reviewers: int, decisions: int, *, stride: int,
                  speed: float = 1.0, seed: int = 1, separate: bool = False) -> dict[str, Any]:
    """The storage phase (see the module's docstring).  With ``separate``, the control: each
    reviewer on a copy of their own, as before issue 15, so the same processes share only the
    machine (its cores, its disk) and no file."""
    tag = "own-" if separate else ""
    logs = [work / f"{tag}{NAMES[r]}.log" for r in range(reviewers)]
    dbs = [copy_db(db_path, work / f"own-{NAMES[r]}") if separate else db_path for r in range(reviewers)]
    start_at = time.time() + 2.0 + 0.15 * reviewers  # every process opened and waiting
    cpu = _children_cpu()
    procs = [spawn({"db": str(dbs[r]), "who": NAMES[r], "order": o, "decisions": decisions, "seed": seed,
                    "log": str(logs[r]), "start_at": start_at, "speed": speed})
             for r, o in enumerate(orders(ids, reviewers, stride))]
    floor = spawn({"role": "floor", "dir": str(work / f"floor-{tag}storage"), "start_at": start_at,
                   "until": start_at + decisions / 8.0})
    results = [result_of(p) for p in procs]
    wall = time.time() - start_at
    by_op, every = _merge_ms(results)
    ok = [r for r in results if "exit" not in r]
    out: dict[str, Any] = {
        "reviewers": reviewers, "decisions_each": decisions, "wall_s": round(wall, 1),
        "keys_per_s": round(statistics.mean(r["steps"] / r["elapsed_s"] for r in ok), 2) if ok else None,
        "save_ms": pct(every), "by_op": {op: pct(ms) for op, ms in sorted(by_op.items())},
        "worst_reviewer_p95": max((pct([m for ms in r["save_ms"].values() for m in ms]).get("p95", 0) for r in ok),
                                  default=None),
        "open_ms": pct([r["open_ms"] for r in ok]),
        "refresh_ms": pct([m for r in ok for m in r["refresh_ms"]]),
        "disk_floor_ms": pct(result_of(floor).get("save_ms", {}).get("floor", [])),
        "cpu_s_per_reviewer": round((_children_cpu() - cpu) / max(1, reviewers), 1),
        "errors": [e for r in ok for e in r["errors"]][:10],
        "failed": _failures(results)[:3],
    }
    out.update(_checked(dbs, logs, separate))
    return out


def app_phase(db_path: Path, work: Path, ids: Sequence[str], reviewers: int, keys: int, *, stride: int,
              speed: float = 1.0, seed: int = 1, separate: bool = False) -> dict[str, Any]:
    """The app phase (see the module's docstring); ``separate`` as in ``storage_phase``."""
    tag = "own-" if separate else ""
    logs = [work / f"app-{tag}{NAMES[r]}.log" for r in range(reviewers)]
    dbs = [copy_db(db_path, work / f"app-own-{NAMES[r]}") if separate else db_path for r in range(reviewers)]
    start_at = time.time() + 6.0 + 0.8 * reviewers  # Textual's import and the first screen, on shared cores
    cpu = _children_cpu()
    procs = [spawn({"db": str(dbs[r]), "who": NAMES[r], "order": o, "keys": keys, "seed": seed,
                    "log": str(logs[r]), "start_at": start_at, "speed": speed}, app=True)
             for r, o in enumerate(orders(ids, reviewers, stride))]
    floor = spawn({"role": "floor", "dir": str(work / f"floor-{tag}app"), "start_at": start_at,
                   "until": start_at + keys / 8.0})
    results = [result_of(p) for p in procs]
    ok = [r for r in results if "exit" not in r]
    every = [t for r in ok for ts in r["key_to_frame_ms"].values() for t in ts]
    labels = [t for r in ok for t in r["key_to_frame_ms"].get("label", [])]
    _, saves = _merge_ms(ok)
    out: dict[str, Any] = {
        "reviewers": reviewers, "keys_each": keys,
        "key_to_frame_ms": pct(every), "label_key_to_frame_ms": pct(labels),
        "per_reviewer": {r["who"]: {k: v for k, v in pct([t for ts in r["key_to_frame_ms"].values() for t in ts]).items()
                                    if k in ("p50", "p95")} for r in ok},
        "keys_per_s": round(statistics.mean(r["keys_sent"] / r["pace_s"] for r in ok if r["pace_s"]), 2) if ok else None,
        "keys_without_action": sum(r["keys_sent"] - r["actions"] for r in ok),
        "cpu_s_per_reviewer": round((_children_cpu() - cpu) / max(1, reviewers), 1),
        "save_ms": pct(saves),
        "refresh_ms": pct([m for r in ok for m in r.get("refresh_ms", [])]),
        "disk_floor_ms": pct(result_of(floor).get("save_ms", {}).get("floor", [])),
        "failed": _failures(results)[:3],
    }
    out.update(_checked(dbs, logs, separate))
    return out


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _checked(dbs: Sequence[Path], logs: Sequence[Path], separate: bool) -> dict[str, Any]:
    """``check`` and ``verify``: of the one database, or (``separate``) of each reviewer's own."""
    if not separate:
        return {"check": check(dbs[0], logs), "verify": verify(dbs[0])}
    checks = [check(d, [lg]) for d, lg in zip(dbs, logs)]
    return {"check": {"keys": sum(c["keys"] for c in checks), "found": sum(c["found"] for c in checks),
                      "ok": all(c["ok"] for c in checks)},
            "verify": {"exit": max(verify(d)["exit"] for d in dbs)}}


def crash_phase(db_path: Path, work: Path, ids: Sequence[str], reviewers: int, decisions: int, kills: int, *,
                stride: int, speed: float = 1.0, seed: int = 1, rnd: random.Random | None = None,
                kill_gap: tuple[float, float] = (1.0, 3.0)) -> dict[str, Any]:
    """``reviewers`` storage workers; ``kills`` times a random live one is SIGKILLed after
    ``kill_gap`` seconds (at random in that range) and restarted as the same reviewer.  Then
    the check and verify."""
    rnd = rnd or random.Random(seed)
    logs = [work / f"crash-{NAMES[r]}.log" for r in range(reviewers)]
    cfgs = [{"db": str(db_path), "who": NAMES[r], "order": o, "decisions": decisions, "seed": seed,
             "log": str(logs[r]), "start_at": 0, "speed": speed}
            for r, o in enumerate(orders(ids, reviewers, stride))]
    procs = [spawn(c) for c in cfgs]
    killed, restarts_failed = [], []
    for _ in range(kills):
        time.sleep(rnd.uniform(*kill_gap))
        live = [i for i, p in enumerate(procs) if p.poll() is None]
        if not live:
            break
        i = rnd.choice(live)
        os.kill(procs[i].pid, signal.SIGKILL)
        procs[i].communicate()
        killed.append(NAMES[i])
        procs[i] = spawn(cfgs[i])
    results = [result_of(p) for p in procs]
    for r in results:
        if "exit" in r:
            restarts_failed.append(r)
    return {"reviewers": reviewers, "decisions_each": decisions, "kills": len(killed), "killed": killed,
            "failed": restarts_failed[:3], "errors": [e for r in results for e in r.get("errors", [])][:10],
            "check": check(db_path, logs), "verify": verify(db_path)}


# ----------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--decisions", type=int, default=1000, help="per reviewer in the storage phase")
    ap.add_argument("--app-keys", type=int, default=300, help="keys per reviewer in the app phase")
    ap.add_argument("--reviewers", default=None, help="the runs: how many reviewers at once in each (default 1,5,10)")
    ap.add_argument("--stride", type=int, default=12, help="articles between one pair's start and the next's")
    ap.add_argument("--crash", action="store_true", help="also the crash run (SIGKILLs and restarts)")
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--crash-reviewers", type=int, default=5)
    ap.add_argument("--no-app", action="store_true", help="leave out the app phase")
    ap.add_argument("--no-storage", action="store_true", help="leave out the storage phase")
    ap.add_argument("--control", action="store_true",
                    help="also each run's storage phase with every reviewer on a copy of their own (no file shared)")
    ap.add_argument("--quick", action="store_true", help="150 decisions, 60 app keys, 60 articles, reviewers 1,5")
    ap.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure (default: a temp folder)")
    args = ap.parse_args()
    if args.quick:
        args.decisions, args.app_keys, args.articles, args.kills, args.stride = 150, 60, 60, 4, 4
    runs = [int(x) for x in (args.reviewers or ("1,5" if args.quick else "1,5,10")).split(",")]
    root = Path(tempfile.mkdtemp(prefix="bench-team-", dir=args.dir))
    result: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "load_before": os.getloadavg()[0]},
                              "storage_api": storage_api(), "disk": str(root)}
    try:
        t = time.perf_counter()
        log(f"building {args.articles} articles in {root}")
        project = build(root / "project", args.articles)
        result["project"] = {"articles": project["articles"], "sentences": project["sentences"],
                             "build_s": round(time.perf_counter() - t, 1)}
        os.sync()
        ids = project["ids"]
        result["runs"] = {}
        for n in runs:
            run: dict[str, Any] = {}
            work = root / f"run-{n}"
            work.mkdir()
            phases = [(name, phase, size) for name, phase, size, skip in (
                ("storage", storage_phase, args.decisions, args.no_storage),
                ("app", app_phase, args.app_keys, args.no_app)) if not skip]
            for name, phase, size in phases:
                log(f"{n} reviewer(s): {name} phase, {size} {'decisions' if name == 'storage' else 'keys'} each")
                db = copy_db(project["db"], work / name)
                os.sync()
                run[name] = got = phase(db, work, ids, n, size, stride=args.stride)
                figure = "save_ms" if name == "storage" else "key_to_frame_ms"
                log(f"  {figure} p95 {got[figure].get('p95')} ms, check ok {got['check']['ok']}"
                    + (f", verify exit {got['verify']['exit']}" if "verify" in got else ""))
                if args.control and n > 1:
                    log(f"{n} reviewer(s): {name} control, each on a copy of their own")
                    run[f"{name}_separate_copies"] = other = phase(project["db"], work, ids, n, size,
                                                                   stride=args.stride, separate=True)
                    log(f"  {figure} p95 {other[figure].get('p95')} ms")
            result["runs"][str(n)] = run
        if args.crash:
            n = min(args.crash_reviewers, len(NAMES))
            log(f"crash run: {n} reviewers, {args.kills} SIGKILLs")
            work = root / "crash"
            work.mkdir()
            db = copy_db(project["db"], work / "db")
            # The kills spread over the run: it lasts about decisions / 7.5 s at a typist's pace.
            every = args.decisions / 7.5 / (args.kills + 1)
            result["crash"] = crash_phase(db, work, ids, n, args.decisions, args.kills, stride=args.stride,
                                          kill_gap=(0.5 * every, 1.5 * every))
            log(f"  check ok {result['crash']['check']['ok']}, verify exit {result['crash']['verify']['exit']}")
        result["goals"] = goals(result)
        result["met"] = all(g["met"] for g in result["goals"].values())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2))


def goals(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for n, run in result["runs"].items():
        if "storage" not in run:
            continue
        st = run["storage"]
        p95 = st["save_ms"].get("p95")
        out[f"save_p95_ms_under_{GOAL_SAVE_P95_MS:g}_with_{n}"] = {"value": p95, "met": p95 is not None
                                                                     and p95 < GOAL_SAVE_P95_MS}
        out[f"nothing_lost_and_verify_clean_with_{n}"] = {
            "value": f"{st['check']['found']}/{st['check']['keys']} found, verify exit {st['verify']['exit']}",
            "met": st["check"]["ok"] and st["verify"]["exit"] == 0 and not st["failed"]}
    lone = result["runs"].get("1", {}).get("app", {}).get("key_to_frame_ms", {}).get("p95")
    for n, run in result["runs"].items():
        if n == "1" or "app" not in run:
            continue
        p95 = run["app"]["key_to_frame_ms"].get("p95")
        ratio = round(p95 / lone, 2) if p95 is not None and lone else None
        out[f"key_to_frame_p95_with_{n}_at_most_{GOAL_KEY_RATIO:g}x_lone"] = {
            "value": ratio, "p95_ms": p95, "lone_p95_ms": lone, "met": ratio is not None and ratio <= GOAL_KEY_RATIO}
        out[f"app_nothing_lost_with_{n}"] = {"value": f"{run['app']['check']['found']}/{run['app']['check']['keys']}",
                                             "met": run["app"]["check"]["ok"] and run["app"]["verify"]["exit"] == 0}
    if "crash" in result:
        c = result["crash"]
        out["crash_nothing_lost_and_verify_clean"] = {
            "value": f"{c['check']['found']}/{c['check']['keys']} found after {c['kills']} kills, "
                     f"verify exit {c['verify']['exit']}",
            "met": c["check"]["ok"] and c["verify"]["exit"] == 0 and not c["failed"]}
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--worker", "--app"):
        config = json.loads(sys.argv[2])
        sys.exit(worker_main(config) if sys.argv[1] == "--worker" else app_main(config))
    main()
