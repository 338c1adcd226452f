"""What keeps a big project fast, checked at small sizes: previews, group commits, progress.

The figures at 10,000 articles come from ``bench/bench_scale.py``; here each mechanism is
checked to be correct, including when a write fails or the process is killed.
"""

from __future__ import annotations

import errno
import os
import pty
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.storage import tinyfile as storage_mod
from annotator.atomicio import fsync_dir
from annotator.errors import SaveError
from annotator.importer import apply_import, article_id, display_title, plan_import
from annotator.model import DEFAULT_SCHEME, PREVIEW_CHARS, Article, Label, Span, text_preview
from annotator.storage import Database
from annotator.verify import verify
from conftest import SAMPLES, full_disk_write

ROOT = Path(__file__).resolve().parents[1]
N_ARTICLES = 40  # more than storage._GROUP_COMMIT_MIN: put_labels writes them together


def make_article(n: int) -> Article:
    text, spans = "", []
    for k in range(4):
        s = f"Sentence {k} of article {n} says something."
        if text:
            text += " "
        spans.append(Span(len(text), len(text) + len(s)))
        text += s
    return Article(article_id(text), "", text, tuple(spans), (f"src{n}.txt",))


ARTICLES = [make_article(n) for n in range(N_ARTICLES)]


def labels_for(n_articles: int, who: str, at: str, name: str = "claim") -> list[Label]:
    return [Label(a.id, sp.start, sp.end, name, who, at) for a in ARTICLES[:n_articles] for sp in a.sentences[:3]]


@pytest.fixture
def dbpath(tmp_path: Path) -> Path:
    return tmp_path / "annotations" / "annotations.json"


@pytest.fixture
def db(dbpath: Path) -> Iterator[Database]:
    with Database.open(dbpath) as d:
        d.add_articles(ARTICLES)
        yield d


def labels_folder(dbpath: Path) -> Path:
    return dbpath.parent / "annotations.d" / "labels"


def on_disk(dbpath: Path) -> tuple[dict[str, list[Label]], dict[str, dict[str, int]]]:
    """Every article's labels and the counts, as a fresh reader sees them."""
    with Database.open(dbpath, readonly=True) as fresh:
        return {a.id: fresh.labels(a.id) for a in ARTICLES}, fresh.label_counts()


# ----------------------------------------------------------------------------- previews


@given(st.text(alphabet=st.sampled_from("ab \n\t\u00a0\u3000é"), max_size=600))
def test_text_preview_is_the_collapsed_start(text: str) -> None:
    assert text_preview(text) == " ".join(text.split())[:PREVIEW_CHARS].rstrip()


@given(st.text(alphabet=st.sampled_from("ab \n\u00a0é"), max_size=300), st.integers(1, PREVIEW_CHARS))
def test_a_title_from_the_preview_is_the_title_from_the_text(text: str, limit: int) -> None:
    """So the article list can title untitled articles without reading their files."""
    assert display_title("", text_preview(text), limit) == display_title("", text, limit)


def test_text_preview_does_not_split_a_long_article() -> None:
    text = "  Jakarta   (ANTARA)\n\n - " + "word " * 1_000_000
    assert text_preview(text) == ("Jakarta (ANTARA) - " + "word " * 20)[:PREVIEW_CHARS].rstrip()


def test_preview_stored_at_import_and_kept(dbpath: Path) -> None:
    with Database.open(dbpath) as d:
        apply_import(d, plan_import([SAMPLES]))
        infos = d.article_infos()
        for info in infos:
            assert info.preview == text_preview(d.get_article(info.id).text) != ""
    index = orjson.loads(dbpath.read_bytes())
    assert [doc["preview"] for doc in index["articles"].values()] == [i.preview for i in infos]
    with Database.open(dbpath, readonly=True) as d:
        assert d.article_infos() == infos


def test_index_without_previews_reads_and_is_filled_in_by_a_reimport(dbpath: Path) -> None:
    with Database.open(dbpath) as d:
        apply_import(d, plan_import([SAMPLES]))
        expected = [i.preview for i in d.article_infos()]
    index = orjson.loads(dbpath.read_bytes())
    for doc in index["articles"].values():
        del doc["preview"]  # as written before previews existed
    dbpath.write_bytes(orjson.dumps(index))
    with Database.open(dbpath) as d:
        assert [i.preview for i in d.article_infos()] == ["", ""]
        result = apply_import(d, plan_import([SAMPLES]))
        assert result.added == [] and len(result.present) == 2
        assert [i.preview for i in d.article_infos()] == expected
    with Database.open(dbpath, readonly=True) as d:
        assert [i.preview for i in d.article_infos()] == expected
    assert verify(dbpath).findings == []


# ----------------------------------------------------------------------------- group commit


def test_group_commit_gives_what_one_by_one_gives(db: Database, dbpath: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at1, at2 = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
    db.set_label(Label(ARTICLES[0].id, *_span(0, 0), "quote", "ana", at2))  # newer: stays
    syncs: list[int] = []
    fsyncs: list[int] = []
    real_sync, real_fsync = os.sync, os.fsync

    def sync() -> None:
        syncs.append(1)
        real_sync()

    def fsync(fd: int) -> None:
        fsyncs.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "fsync", fsync)
    result = db.put_labels(labels_for(N_ARTICLES, "ana", at1) + labels_for(N_ARTICLES, "ben", at2, "background"))
    assert result == (2 * 3 * N_ARTICLES - 1, 0, 1, 0)
    assert len(syncs) == 1 and len(fsyncs) <= 1  # one sync for all files, one fsync of their folder
    assert [p.name for p in labels_folder(dbpath).iterdir() if p.name.endswith(".tmp")] == []
    mine = {a.id: db.labels(a.id) for a in ARTICLES}
    assert mine[ARTICLES[0].id][0].label == "quote" and len(mine[ARTICLES[5].id]) == 6
    assert on_disk(dbpath) == (mine, db.label_counts())
    db.set_label(Label(ARTICLES[1].id, *_span(1, 3), "quote", "ana", at2))  # TinyDB's next id is right
    assert len(db.labels(ARTICLES[1].id)) == 7 and on_disk(dbpath)[0][ARTICLES[1].id] == db.labels(ARTICLES[1].id)


def _span(article: int, sentence: int) -> tuple[int, int]:
    sp = ARTICLES[article].sentences[sentence]
    return sp.start, sp.end


def _fail_at(k: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = [0]

    def fake(*a: Any, **kw: Any) -> Any:
        calls[0] += 1
        if calls[0] == k:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*a, **kw)

    return fake


@pytest.mark.parametrize("step", ["mkstemp", "write", "sync", "replace", "fsync_dir"])
def test_failed_group_commit(db: Database, dbpath: Path, step: str) -> None:
    db.put_labels(labels_for(N_ARTICLES, "ana", "2026-01-01T00:00:00.000Z"))
    before = {p.name: p.read_bytes() for p in labels_folder(dbpath).iterdir()}
    new = labels_for(N_ARTICLES, "ana", "2026-01-02T00:00:00.000Z", "quote")
    with pytest.MonkeyPatch.context() as mp:
        if step == "mkstemp":
            mp.setattr(tempfile, "mkstemp", _fail_at(17, tempfile.mkstemp))
        elif step == "write":
            real_write, calls = os.write, [0]

            def write(fd: int, data: Any) -> int:
                calls[0] += 1
                return (full_disk_write(real_write) if calls[0] == 17 else real_write)(fd, data)

            mp.setattr(os, "write", write)
        elif step == "sync":
            mp.setattr(os, "sync", _fail_at(1, os.sync))
        elif step == "replace":
            mp.setattr(os, "replace", _fail_at(17, os.replace))  # 16 files are new by then
        else:
            mp.setattr(storage_mod, "fsync_dir", _fail_at(1, fsync_dir))
        with pytest.raises(SaveError, match="No space left") as e:
            db.put_labels(new)
    assert "\n" not in str(e.value) and str(labels_folder(dbpath)) in str(e.value)
    assert [p.name for p in labels_folder(dbpath).iterdir() if p.name.endswith(".tmp")] == []
    after = {p.name: p.read_bytes() for p in labels_folder(dbpath).iterdir()}
    changed = sum(after[name] != raw for name, raw in before.items())
    assert changed == {"mkstemp": 0, "write": 0, "sync": 0, "replace": 16, "fsync_dir": N_ARTICLES}[step]
    # Whatever reached the disk, this process now sees exactly that ...
    assert on_disk(dbpath) == ({a.id: db.labels(a.id) for a in ARTICLES}, db.label_counts())
    # ... and running the import again finishes the job.
    assert db.put_labels(new)[1] == 3 * (N_ARTICLES - changed)
    assert all(lab.label == "quote" for a in ARTICLES for lab in db.labels(a.id))
    assert on_disk(dbpath) == ({a.id: db.labels(a.id) for a in ARTICLES}, db.label_counts())


IMPORTER = """
import sys
from pathlib import Path
from annotator.storage import Database
from annotator.model import Label
db = Database.open(Path(sys.argv[1]), lock_timeout=5)
labels = [Label(*row) for row in __import__("json").loads(Path(sys.argv[2]).read_text())]
print("ready", flush=True)
db.put_labels(labels)
print("done", flush=True)
"""


def test_sigkill_during_a_group_commit_leaves_each_file_old_or_new(db: Database, dbpath: Path,
                                                                   tmp_path: Path) -> None:
    db.put_labels(labels_for(N_ARTICLES, "ana", "2026-01-01T00:00:00.000Z"))
    db.close()
    new = labels_for(N_ARTICLES, "ana", "2026-01-02T00:00:00.000Z", "background")
    rows = tmp_path / "labels.json"
    rows.write_bytes(orjson.dumps([[x.article_id, x.start, x.end, x.label, x.annotator, x.updated_at] for x in new]))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rnd = random.Random(3)
    outcomes: set[str] = set()
    for r in range(6):
        copy = tmp_path / f"round{r}"
        shutil.copytree(dbpath.parent, copy)
        path = copy / dbpath.name
        child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), str(rows)], stdout=subprocess.PIPE,
                                 text=True, env=env)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        with Database.open(path, readonly=True) as d:
            for a in ARTICLES:
                names = {lab.label for lab in d.labels(a.id)}
                assert names in ({"claim"}, {"background"}), names  # never a mix, never damaged
                outcomes.add(names.pop())
        assert verify(path).ok  # leftover temp files are only warnings
    assert "claim" in outcomes


# ----------------------------------------------------------------------------- progress


def run_in_pty(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with a terminal as its stdout and stderr, as a user at a shell does."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else of pytest's may run here
        try:
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "annotator", *args],
                      {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"})
        finally:
            os._exit(127)
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_large_import_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    for n in range(60):
        (folder / f"{n:03d}.txt").write_text(f"Article {n} starts here. It goes on.\n")
    records = [
        orjson.dumps({"text": f"Line {n} of a feed. Quite short.", "meta": {"n": n}}).decode() for n in range(60)
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(records) + "\n")
    code, out = run_in_pty(["import", "feed"], tmp_path)
    assert code == 0, out
    assert "Reading" in out and "Importing" in out and "100%" in out
    assert "60 new article(s)" in out
    # An export with labels: the bar covers writing the labels too, and ends at 100%.
    subprocess.run([sys.executable, "-m", "annotator", "export", "-o", "back.jsonl"], cwd=tmp_path, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    data = [orjson.loads(line) for line in (tmp_path / "back.jsonl").read_bytes().splitlines()]
    for n, rec in enumerate(data):
        rec["spans"] = [{**s, "label": DEFAULT_SCHEME.names[n % 3], "annotator": "ana",
                         "updated_at": "2026-01-01T00:00:00.000Z"} for s in rec["sentences"]]
    (tmp_path / "back.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in data) + b"\n")
    code, out = run_in_pty(["import", "--db", "other.json", "back.jsonl"], tmp_path)
    assert code == 0 and "Importing" in out and "100%" in out and "labels: 120 added" in out, out
    piped = subprocess.run([sys.executable, "-m", "annotator", "import", "--db", "third.json", "feed", "feed.jsonl"],
                           cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert piped.returncode == 0 and "120 new article(s)" in piped.stdout
    assert "Importing" not in piped.stderr and "Reading" not in piped.stderr  # no bar in a log


# ----------------------------------------------------------------------------- the benchmark itself


def test_bench_scale_runs_at_a_small_size(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_scale.py"), "--articles", "40", "--presses", "3",
         "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = orjson.loads(out.stdout)
    steps = result["steps"]
    assert steps["import"]["output"][0] == "40 new article(s), 0 already present, 800 sentence(s) added"
    assert steps["stats"]["counts_match_source"] is True
    assert steps["export"]["roundtrip_identical_bytes"] is True
    assert steps["verify"]["verdict"] == ["ok: 40 articles, 800 sentences, 400 labels checked"]
    for name in ("app",):
        assert steps[name]["ready"] is True and steps[name]["label_press"]["key_to_frame_ms"]["n"] == 3
    assert set(result["goals_met"]) >= {"import_s < 30", "stats_s < 2", "app_first_screen_s < 1.5"}
    assert list(tmp_path.iterdir()) == []  # its work folder is removed
