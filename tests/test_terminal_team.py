"""The team round end to end, in a real terminal (tmux), the way a new team meets it.

The lead imports and deals the articles out, two reviewers label their own copies
offline, the lead merges them back, measures agreement, adjudicates the disagreements in
``annotator review`` and exports the gold labels.  Every step is checked on what the
screen or the command prints, as the people doing it would see it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from annotator.export import read_record

from conftest import SAMPLES

ANNOTATOR = Path(sys.executable).parent / "annotator"  # the installed console script, as a user types it

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not ANNOTATOR.exists(), reason=f"no `annotator` script next to {sys.executable}"),
]

# The keys each reviewer presses on the first ten sentences of the ANTARA article.
ANA_KEYS = ["1", "1", "2", "2", "3", "3", "3", "1", "2", "3"]   # c c q q b b b c q b
BUDI_KEYS = ["1", "2", "2", "2", "3", "3", "3", "3", "2", "3"]  # c q q q b b b b q b
REASON = "reported speech, a quote"  # short: the toast on the right of the panel must not cover it


def clean_env() -> dict[str, str]:
    """This process's environment without anything that would pick another database or reviewer."""
    return {k: v for k, v in os.environ.items() if k not in ("ANNOTATOR", "ANNOTATOR_DB", "COLUMNS", "LINES")}


class Terminal:
    """One app in its own tmux server (a unique socket), 120x40, in ``cwd``."""

    def __init__(self, cwd: Path) -> None:
        self.name = f"annotator-team-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd
        self.socket = ["-L", self.name]
        self.socket_path: Path | None = None

    def start(self, command: str, reviewer: str) -> None:
        env = f"ANNOTATOR={shlex.quote(reviewer)} TERM=xterm-256color COLORTERM=truecolor"
        subprocess.run(
            ["tmux", "-u", *self.socket, "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40",
             f"cd {shlex.quote(str(self.cwd))} && env -u COLUMNS -u LINES -u ANNOTATOR_DB {env} {command}; "
             f"echo EXITED $?; sleep 60"],
            check=True, env=clean_env(),
        )
        self.socket_path = Path(subprocess.run(
            ["tmux", *self.socket, "display-message", "-p", "-t", self.name, "#{socket_path}"],
            capture_output=True, text=True, check=True).stdout.strip())

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", *self.socket, "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", *self.socket, "send-keys", "-t", self.name, "-l", text], check=True)

    def screen(self) -> str:
        out = subprocess.run(["tmux", *self.socket, "capture-pane", "-p", "-t", self.name],
                             capture_output=True, text=True, check=True).stdout
        return "\n".join(line.rstrip() for line in out.splitlines())

    def wait_for(self, *needles: str, timeout: float = 20.0) -> str:
        """The screen once it shows every one of ``needles``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if all(n in shown for n in needles):
                return shown
            time.sleep(0.1)
        shown = self.screen()
        missing = [n for n in needles if n not in shown]
        raise AssertionError(f"{missing!r} never appeared; screen was:\n{shown}")

    def quit(self) -> None:
        self.keys("C-q")
        self.wait_for("EXITED 0")

    def close(self) -> None:
        subprocess.run(["tmux", *self.socket, "kill-server"], capture_output=True)
        if self.socket_path is not None:  # tmux leaves the socket file behind
            self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    try:
        yield opened
    finally:
        for t in opened:
            t.close()


def open_app(terminals: list[Terminal], cwd: Path, args: str, reviewer: str) -> Terminal:
    t = Terminal(cwd)
    terminals.append(t)
    t.start(f"{shlex.quote(str(ANNOTATOR))} {args}", reviewer)
    return t


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command as the lead types it (default database under cwd), checked for success."""
    done = subprocess.run([str(ANNOTATOR), *args], cwd=cwd, capture_output=True, text=True, env=clean_env(),
                          timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, f"annotator {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def panel(screen: str) -> str:
    """The review's panel under the article (reviewers' labels, final label, reason), one row a line.

    A toast ("All 2 disputes decided") covers the right of these rows for a few seconds:
    each row is cut where the toast's edge begins.
    """
    lines = screen.splitlines()
    top = max(i for i, line in enumerate(lines) if line.startswith("────"))
    return "\n".join(line.split("▌")[0].rstrip() for line in lines[top + 1:-1])


def status_line(screen: str) -> str:
    return next(line for line in screen.splitlines() if " labeled  ·  overall " in line)


def test_team_round_import_assign_label_merge_agree_review_gold(terminals: list[Terminal], tmp_path: Path) -> None:
    lead = tmp_path

    # 1. The lead imports and deals both articles to both reviewers, who each take a copy.
    imported = run(lead, "import", str(SAMPLES) + "/")
    assert imported.stdout.startswith("2 new article(s), 0 already present, 41 sentence(s) added"), imported.stdout
    assigned = run(lead, "assign", "--annotators", "ana,budi", "--overlap", "1")
    assert "ana   2 article(s), 41 sentence(s)" in assigned.stdout, assigned.stdout
    assert "budi  2 article(s), 41 sentence(s)" in assigned.stdout, assigned.stdout
    assert "shared for agreement: ana+budi 2" in assigned.stdout, assigned.stdout
    for reviewer in ("ana", "budi"):
        shutil.copytree(lead / "annotations", lead / reviewer)

    # 2. ana labels the first ten sentences of her copy.
    ana = open_app(terminals, lead, "--db ana/annotations.json", "ana")
    screen = ana.wait_for("0/19 labeled")
    status = status_line(screen)
    assert "sentence 1/19" in status and "  ana  " in status and "your queue 0/2 done" in status, status
    assert "Anchorage (ANTARA) - Presiden Rusia" in screen  # the 19-sentence ANTARA article opens first
    assert "others:" not in screen  # blind by default
    ana.keys(*ANA_KEYS)
    status = status_line(ana.wait_for("10/19 labeled"))
    assert "sentence 11/19" in status and "overall 10/41" in status, status
    ana.quit()

    # 3. budi labels his copy, with other reviewers' labels shown: his copy was taken before ana
    #    labeled anything, so there are none to show (each labels offline on their own copy).
    budi = open_app(terminals, lead, "--db budi/annotations.json --show-others", "budi")
    screen = budi.wait_for("0/19 labeled")
    assert "\n others: no other reviewer has labeled this sentence\n" in screen, screen
    assert "  budi  " in status_line(screen) and "Anchorage (ANTARA) - Presiden Rusia" in screen
    budi.keys(*BUDI_KEYS)
    screen = budi.wait_for("10/19 labeled")
    assert "sentence 11/19" in status_line(screen) and " others: " in screen
    budi.quit()

    # 4. The lead merges both copies back into the default database (annotations/ under cwd).
    merged = run(lead, "merge", "ana/annotations.json", "budi/annotations.json")
    assert merged.stdout.splitlines() == [
        "merged ana/annotations.json: labels: 10 added, 0 updated, 0 already here; history: 10 decision(s) added",
        "merged budi/annotations.json: labels: 10 added, 0 updated, 0 already here; history: 10 decision(s) added",
    ], merged.stdout

    # 5. Agreement.  ana  = c c q q b b b c q b, budi = c q q q b b b b q b:
    #    po = 8/10 = 0.8 (they differ on sentences 2 and 8);
    #    marginals ana c3 q3 b4, budi c1 q4 b5; pe = (3*1 + 3*4 + 4*5) / 100 = 0.35;
    #    kappa = (po - pe) / (1 - pe) = 0.45 / 0.65 = 0.6923...
    #    Confusion (rows ana, columns budi): claim -> claim 1, quote 1, background 1;
    #    quote -> quote 3; background -> background 4.
    report = orjson.loads(run(lead, "agree", "--json").stdout)
    assert report["items"] == 10 and report["annotators"] == 2
    assert report["annotator_names"] == ["ana", "budi"]
    assert report["percent_agreement"] == pytest.approx(0.8)
    [pair] = report["cohen_kappa"]
    assert (pair["a"], pair["b"], pair["n"]) == ("ana", "budi", 10)
    assert pair["kappa"] == pytest.approx(0.45 / 0.65) == pytest.approx(0.6923, abs=1e-4)
    assert report["confusion"]["labels"] == ["claim", "quote", "background"]
    assert report["confusion"]["total"] == [[1, 1, 1], [0, 3, 0], [0, 0, 4]]
    [matrix] = report["confusion"]["pairs"]
    assert (matrix["a"], matrix["b"], matrix["matrix"]) == ("ana", "budi", [[1, 1, 1], [0, 3, 0], [0, 0, 4]])
    text = run(lead, "agree").stdout
    assert "Cohen's kappa" in text and "0.692" in text, text
    assert "Percent agreement      0.800" in text, text

    # 6. citra adjudicates the two disagreements.
    review = open_app(terminals, lead, "review", "citra")
    screen = review.wait_for("Review: dispute 1 of 2 · 2 left · reviewing as citra")
    assert "article 1/2, sentence 2:" in screen, screen
    assert panel(screen) == " ana   claim\n budi  quote\n final: undecided  (choose: 1/c claim · 2/q quote · 3/b background)", screen
    review.keys("r")
    review.wait_for("Reason for the final label of dispute 1 of 2", "why this label (optional)")
    review.type(REASON)
    review.wait_for(REASON)
    review.keys("Enter")
    screen = review.wait_for(f"reason noted: {REASON}  (saved with the label you choose)")
    assert "why this label" not in screen  # the reason box closed
    review.keys("2")
    screen = review.wait_for("Review: dispute 2 of 2 · 1 left")
    assert "article 1/2, sentence 8:" in screen, screen
    assert panel(screen) == " ana   claim\n budi  background\n final: undecided  (choose: 1/c claim · 2/q quote · 3/b background)", screen
    review.keys("3")
    screen = review.wait_for("Review: dispute 2 of 2 · All 2 disputes decided; export with `annotator export --gold`")
    assert panel(screen) == " ana   claim\n budi  background\n final: background by citra", screen
    review.keys("u")  # undo: the last decision is gone, back on it
    screen = review.wait_for("Review: dispute 2 of 2 · 1 left")
    assert panel(screen).startswith(" ana   claim\n budi  background\n final: undecided"), screen
    review.keys("b")
    screen = review.wait_for("Review: dispute 2 of 2 · All 2 disputes decided")
    assert panel(screen) == " ana   claim\n budi  background\n final: background by citra", screen
    review.keys("k")  # back to the first: its label and reason were saved
    screen = review.wait_for("Review: dispute 1 of 2 · All 2 disputes decided")
    assert panel(screen) == f" ana   claim\n budi  quote\n final: quote by citra — {REASON}", screen
    review.quit()

    # 7. The gold labels: one per sentence, the two decided ones marked adjudicated.
    exported = run(lead, "export", "--gold", "-o", "gold.jsonl")
    assert exported.stdout == ""
    assert "gold: 10 sentence(s): 8 unanimous, 2 adjudicated" in exported.stderr, exported.stderr
    assert "in dispute" not in exported.stderr
    [record] = [read_record(line) for line in (lead / "gold.jsonl").read_bytes().splitlines()]  # ana's other article: no labels
    assert record["text"].startswith("Anchorage (ANTARA) - Presiden Rusia")
    sentences = [(s["start"], s["end"]) for s in record["sentences"]]
    spans = record["spans"]
    assert [(s["start"], s["end"]) for s in spans] == sentences[:10]
    for s in spans:
        assert (s["start"], s["end"]) in sentences
        assert record["text"][s["start"]:s["end"]].strip()
        assert s["annotators"] == ["ana", "budi"]
    assert [s["label"] for s in spans] == ["claim", "quote", "quote", "quote", "background", "background",
                                           "background", "background", "quote", "background"]
    assert [s["source"] for s in spans] == ["unanimous"] + ["adjudicated"] + ["unanimous"] * 5 + ["adjudicated"] \
        + ["unanimous"] * 2
    first, second = spans[1], spans[7]
    assert (first["by"], first["reason"], first["votes"]) == ("citra", REASON, [["ana", "claim"], ["budi", "quote"]])
    assert (second["by"], second["votes"]) == ("citra", [["ana", "claim"], ["budi", "background"]])
    assert not second["reason"]
    assert all(s["by"] == "" for s in spans if s["source"] == "unanimous")  # same keys on every span

    # 8. The database the round leaves behind is sound.
    verdict = run(lead, "verify").stdout
    assert verdict.startswith("ok: 2 articles, 41 sentences, 20 labels checked"), verdict


def test_one_server_two_reviewers_at_once_and_the_lead_reviewing_meanwhile(
        terminals: list[Terminal], tmp_path: Path) -> None:
    """Issue 15: ana and budi label the same database at the same time, each in their own
    terminal; each sees the other's work without a restart, the lead reviews meanwhile, an
    import and the stats run beside them, and the same name twice is refused."""
    team = tmp_path / "server"
    team.mkdir()
    run(team, "import", str(SAMPLES))
    ana = open_app(terminals, team, "label --show-others", "ana")
    budi = open_app(terminals, team, "label --show-others", "budi")
    ana.wait_for("0/19 labeled")
    budi.wait_for("0/19 labeled")
    for a, b in zip(ANA_KEYS[:4], BUDI_KEYS[:4]):  # interleaved, on the same article's file
        ana.keys(a)
        budi.keys(b)
    ana.wait_for("4/19 labeled")
    budi.wait_for("4/19 labeled")
    budi.keys("k", "k", "k", "k")  # back to sentence 1: ana's label shows, within a second
    budi.wait_for("others: ana claim", timeout=10)
    again = subprocess.run([str(ANNOTATOR), "label"], cwd=team, capture_output=True, text=True,
                           env={**clean_env(), "ANNOTATOR": "ana"}, timeout=60)
    assert again.returncode == 4 and "ana is already labeling" in again.stderr, again.stderr
    assert len(again.stderr.splitlines()) == 1 and "Traceback" not in again.stderr
    stats = orjson.loads(run(team, "stats", "--json").stdout)
    who = {a["name"]: a["labeled_sentences"] for a in stats["annotators"]}
    assert stats["labels"] == 8 and who == {"ana": 4, "budi": 4}, stats
    # The lead reviews while both label (sentence 2: ana claim, budi quote).
    lead = open_app(terminals, team, "review", "lead")
    shown = lead.wait_for("Review: dispute 1 of")
    assert "reviewing as lead" in shown
    extra = team / "new.txt"
    extra.write_text("Berita baru\n\nIni kalimat pertama berita baru. Ini kalimat kedua.\n", encoding="utf-8")
    run(team, "import", str(extra))
    ana.wait_for("Berita baru", timeout=10)  # the new article at the end of her list, no restart
    for t in (ana, budi, lead):
        t.quit()
    assert "ok:" in run(team, "verify").stdout
