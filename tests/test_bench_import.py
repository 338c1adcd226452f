"""``bench/bench_import.py`` runs, at a tiny size: its figures are the benchmark's, not the tests'."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]


def test_bench_import_runs_at_a_small_size(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_import.py"), "--files", "30", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = orjson.loads(out.stdout)
    assert result["data"]["files"] == 30 and result["data"]["bytes"] > 30_000
    assert result["import"]["exit"] == 0 and result["import"]["output"][0].startswith("30 new article(s)")
    assert result["import_sentences_match_segment"] is True
    for step in ("import", "segment", "sentencex"):
        assert result[step]["mb_per_s"] > 0 and result[step]["max_rss_mb"] > 0
    assert result["segment"]["sentences"] > 30
    assert list(tmp_path.iterdir()) == []  # its work folder is removed
