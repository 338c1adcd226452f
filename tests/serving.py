"""Helpers for the ``annotator serve`` tests: a real server in a subprocess on a free port, and
the app processes it started (found in /proc by their command line)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import SAMPLES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("ANNOTATOR", "ANNOTATOR_DB", "ANNOTATOR_SERVE_TOKEN", "COLUMNS", "LINES")}


def sample_database(folder: Path) -> Path:
    """The two sample articles imported, as a user does it: ``annotator import samples/ --db ...``."""
    path = folder / "annotations.json"
    done = subprocess.run([sys.executable, "-m", "annotator", "import", str(SAMPLES), "--db", str(path)],
                          capture_output=True, text=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return path


def app_processes(db: Path) -> list[int]:
    """The pids of the labeling apps running on ``db`` (as ``serve`` starts them)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"label" in argv and str(db.resolve()).encode() in argv:
            found.append(int(entry))
    return found


class Served:
    """``annotator serve ARGS --db DB --port PORT`` in a subprocess, its output in files."""

    def __init__(self, folder: Path, db: Path, *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.db = db
        self.out_path, self.err_path = folder / "serve.out", folder / "serve.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "annotator", "serve", "--db", str(db), "--port", str(self.port), *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=clean_env(), cwd=folder)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the port answers (the server says where it listens just before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.output()}")
            if "ctrl+c stops" in self.err_path.read_text():
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
            time.sleep(0.1)
        raise AssertionError(f"serve did not start in {timeout}s: {self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def kill(self) -> None:
        """In ``finally``: the server, then any app it left (there should be none)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in app_processes(self.db):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
