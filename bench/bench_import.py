"""Importing a folder of news articles: end to end, the segmentation alone, sentencex alone.

    python bench/bench_import.py [--mb N | --files N | --quick] [--seed N] [--dir PATH] [--profile DIR]

Prints one JSON object.  The corpus is ``--mb`` MB (default 50, about 14,000 files;
``--quick``: 2 MB) of ``.txt`` articles from ``bench/newslike.py`` (seeded, so the same
bytes on any machine), in folders of 500 files, written here before anything is timed.
Each step runs in a fresh process, with its own peak RSS (``os.wait4``):

- ``import``: ``annotator import CORPUS --db X`` into a new database, timed from spawn
  (start-up, reading, decoding, segmentation, writing: what a user waits for);
- ``segment``: ``annotator.segment.segment`` over each file's decoded text, timed around
  the calls only;
- ``sentencex``: ``sentencex.get_sentence_boundaries`` over the same texts, for reference:
  the splitter the segmentation is built on, without the project's rules.

MB/s are of the files' bytes (1 MB = 10^6 bytes).  The page cache is warm (the files were
just written, then synced).  ``--profile DIR`` writes a cProfile of the import's own process
there (the timings are then not the figures to quote).

The import writes its articles in packs of 64 (214 files for the default corpus); what
creating a file costs depends on the disk's state more than on annotator: on the project's
machine (ext4) from 20 to 300 microseconds of kernel time a file, the most in the minutes
after many files were deleted nearby (ext4 passes over recently deleted inodes), as the
clean-up of every run of this benchmark does.  ``cpu_sys_s`` shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import newslike  # noqa: E402

PER_FOLDER = 500
DEFAULT_MB = 50.0
DEFAULT_SEED = 1
QUICK_MB = 2.0


def build_corpus(folder: Path, seed: int, mb: float | None, files: int | None) -> dict[str, Any]:
    """Write articles until ``files`` of them or ``mb`` MB; one at a time, so this process stays small."""
    n = size = crlf = 0
    while (files is not None and n < files) or (files is None and size < (mb or 0) * 1e6):
        text = newslike.article(seed, n)
        sub = folder / f"{n // PER_FOLDER:03d}"
        if n % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        data = text.encode("utf-8")
        (sub / f"{n:06d}.txt").write_bytes(data)
        n, size, crlf = n + 1, size + len(data), crlf + ("\r\n" in text)
    return {"files": n, "bytes": size, "mb": round(size / 1e6, 2), "crlf_files": crlf, "seed": seed}


def run(cmd: list[str], cwd: Path, name: str) -> dict[str, Any]:
    """Run to completion; wall time from spawn, the process's own peak RSS, its output."""
    out_path, err_path = cwd / f".{name}.out", cwd / f".{name}.err"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANNOTATOR": "bench", "COLUMNS": "120"}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        # This child's own rusage, not the max over every child so far (RUSAGE_CHILDREN).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    return {
        "wall_s": round(wall, 3),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        # CPU of the process and of the workers it waited for; system time is mostly the file
        # system creating files, which varies with the disk's state more than anything here.
        "cpu_user_s": round(usage.ru_utime, 2),
        "cpu_sys_s": round(usage.ru_stime, 2),
        "exit": os.waitstatus_to_exitcode(status),
        "stdout": out_path.read_text(errors="replace"),
        "stderr": err_path.read_text(errors="replace"),
    }


# Reads every file (sorted, as the import lists them) and times only the calls that split.
SPLIT_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    folder, what = sys.argv[1], sys.argv[2]
    if what == "segment":
        from annotator.segment import segment
        split = lambda text: len(segment(text))
    else:
        import sentencex
        split = lambda text: len(sentencex.get_sentence_boundaries("id", text))
    seconds = 0.0
    n_bytes = n_files = n_sentences = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            data = open(os.path.join(root, name), "rb").read()
            text = data.decode("utf-8")
            t = time.perf_counter()
            n_sentences += split(text)
            seconds += time.perf_counter() - t
            n_bytes += len(data)
            n_files += 1
    print(json.dumps({"s": seconds, "bytes": n_bytes, "files": n_files, "sentences": n_sentences}))
    """
)


def split_step(corpus: Path, work: Path, what: str) -> dict[str, Any]:
    r = run([sys.executable, "-c", SPLIT_CHILD, str(corpus), what], work, what)
    fig: dict[str, Any] = {"max_rss_mb": r["max_rss_mb"]}
    if r["exit"] != 0:
        return {**fig, "exit": r["exit"], "stderr": r["stderr"][-500:]}
    out = json.loads(r["stdout"].splitlines()[-1])
    return {"s": round(out["s"], 3), "mb_per_s": round(out["bytes"] / 1e6 / out["s"], 1),
            "sentences": out["sentences"], **fig}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=DEFAULT_MB, help=f"corpus size in MB (default {DEFAULT_MB:g})")
    ap.add_argument("--files", type=int, default=None, help="corpus size in files (instead of --mb)")
    ap.add_argument("--quick", action="store_true", help=f"a {QUICK_MB:g} MB corpus")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"corpus seed (default {DEFAULT_SEED})")
    ap.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure (default: a temp folder)")
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of the import to this folder")
    args = ap.parse_args()
    mb = QUICK_MB if args.quick else args.mb
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=args.dir))
    result: dict[str, Any] = {"disk": str(work), "python": sys.version.split()[0]}
    try:
        t = time.perf_counter()
        corpus = work / "corpus"
        result["data"] = build_corpus(corpus, args.seed, mb, args.files)
        result["data"]["build_s"] = round(time.perf_counter() - t, 2)
        os.sync()  # the corpus's writeback must not land inside the import's timing
        mbytes = result["data"]["bytes"] / 1e6

        cmd = [sys.executable, "-m", "annotator", "import", "corpus", "--db", str(work / "db" / "annotations.json")]
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            cmd[1:3] = ["-m", "cProfile", "-o", str(args.profile.resolve() / "import.prof"), "-m", "annotator"]
        r = run(cmd, work, "import")
        imp: dict[str, Any] = {"wall_s": r["wall_s"], "mb_per_s": round(mbytes / r["wall_s"], 1),
                               "max_rss_mb": r["max_rss_mb"], "cpu_user_s": r["cpu_user_s"],
                               "cpu_sys_s": r["cpu_sys_s"], "exit": r["exit"],
                               "output": r["stdout"].strip().splitlines()}
        if r["exit"] != 0:
            imp["stderr"] = r["stderr"][-500:]
        result["import"] = imp
        result["segment"] = split_step(corpus, work, "segment")
        result["sentencex"] = split_step(corpus, work, "sentencex")
        # The import's count against the segmentation's: the same texts gave the same sentences.
        n = result["segment"].get("sentences")
        result["import_sentences_match_segment"] = imp["output"][:1] == [
            f"{result['data']['files']} new article(s), 0 already present, {n} sentence(s) added"]
        # The floor under every max_rss_mb above: Linux counts the spawning process's high water in.
        result["bench_process_max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
