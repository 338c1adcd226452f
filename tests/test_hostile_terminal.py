"""Hostile articles in a real terminal (tmux): nothing in the text reaches the terminal,
and every row of the article lines up, whatever the script."""

from __future__ import annotations

import ctypes
import ctypes.util
import locale
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_terminal import Tmux, annotator_cmd

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

WIDTH, HEIGHT = 120, 40
SGR = re.compile(r"\x1b\[([0-9;:]*)m")

HOSTILE = (
    "Hostile [/] title\n\n"
    "Clear: \x1b[2J\x1b[H and \x1b[31;5;4mRED BLINK\x1b[0m here.\n"
    "OSC title: \x1b]0;PWNED\x07 and \x1b]2;PWNED2\x1b\\ done.\n"
    "Link: \x1b]8;;http://x\x07click\x1b]8;;\x07 end.\n"
    "Bell: \x07\x07 and NUL: \x00 here.\n"
    "C1: \x9b31m and \x9d0;PWNED3\x9c end.\n"
    "RTL: \u202eevil\u202c text.\n"
    "Markup: [/] and [@click=app.quit]x[/] and [link=http://x]y[/link] and \\[b] end.\n"
)

# Each line wraps, so each script is measured across a wrap as well.
WIDE = "\n".join([
    "Lebar karakter\n",
    "CJK: 中文新闻报道，这是第一句话，" + "很长" * 40 + "。",
    "Combining: Cafe\u0301 re\u0301sume\u0301 nai\u0308ve Vie\u0323\u0302t Nam dan kata lain yang cukup panjang untuk "
    "dibungkus ke baris berikutnya.",
    "Zero width: a\u200bb\u200cc\u200dd\ufeffe\u2060f\u061cg\u00adh\u180ei\u034fj end of this line that is long "
    "enough to wrap around the view width.",
    "Emoji: \U0001f600 \U0001f44d\U0001f3fd \u2764\ufe0f \U0001f468\u200d\U0001f469\u200d\U0001f467 "
    "\U0001f1ee\U0001f1e9 1\ufe0f\u20e3 \u263a\ufe0e and more " + "\U0001f600" * 30 + ".",
    "RTL: \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u05e9\u05dc\u05d5\u05dd "
    "\u05e2\u05d5\u05dc\u05dd \u202eoverride\u202c \u2067isolate\u2069 mixed with Latin words to wrap across lines.",
    "Odd: hangul\u3164filler \uffa0 half \U0001fae8 unassigned \U000e0041tag \U0001d400 math \u3000 ideographic "
    "space \ue000 private and more words to wrap.",
]) + "\n"


class Screen(Tmux):
    def start(self, command: str) -> None:
        """``Tmux.start`` with ``os.environ`` passed explicitly: readline, once loaded in the test
        process, puts COLUMNS=80 and LINES=24 in its C environment (not in ``os.environ``), and
        the app would believe them over the pane's real size."""
        env = "ANNOTATOR=ana TERM=xterm-256color COLORTERM=truecolor"
        clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        subprocess.run(
            ["tmux", *self.socket, "new-session", "-d", "-s", self.name, "-x", str(WIDTH), "-y", str(HEIGHT),
             f"cd {shlex.quote(str(self.cwd))} && env {env} {command}; echo EXITED $?; sleep 60"],
            check=True, env=clean,
        )

    def capture(self) -> str:
        """The screen with its attributes (-e) and trailing cells (-N)."""
        return subprocess.run(["tmux", *self.socket, "capture-pane", "-e", "-N", "-p", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def pane_title(self) -> str:
        return subprocess.run(["tmux", *self.socket, "display", "-p", "-t", self.name, "#{pane_title}"],
                              capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    s = Screen(tmp_path)
    try:
        yield s
    finally:
        s.close()


def sgr_params(capture: str) -> set[str]:
    """Every SGR attribute on screen, colours (38/48;5;n, 38/48;2;r;g;b) taken whole."""
    found: set[str] = set()
    for m in SGR.finditer(capture):
        ps = m.group(1).split(";") if m.group(1) else ["0"]
        i = 0
        while i < len(ps):
            if ps[i] in ("38", "48", "58") and i + 1 < len(ps):
                n = 3 if ps[i + 1] == "5" else 5
                found.add(";".join(ps[i:i + n]))
                i += n
            else:
                found.add(ps[i])
                i += 1
    return found


def test_hostile_article_cannot_touch_the_terminal(screen: Screen, tmp_path: Path) -> None:
    (tmp_path / "hostile.txt").write_bytes(HOSTILE.encode())
    # A file whose name is an escape sequence, and that fails: its name is shown in a notification.
    (tmp_path / "evil\x1b]0;PWNED4\x07\x1b[2J.txt").write_bytes(b"caf\xe9 \xff")  # not UTF-8
    screen.start(f"{annotator_cmd()} label --encoding utf-8 hostile.txt 'evil'*")
    title_before = screen.pane_title()
    screen.wait_for("0/8 labeled")
    screen.wait_for("Markup: [/] and")  # the whole frame is drawn
    shown = screen.wait_for("evil␛]0;PWNED4␇␛[2J.txt")  # the notification, placeholders and all
    for needle in ("Clear: ␛[2J␛[H and ␛[31;5;4mRED BLINK␛[0m here.", "OSC title: ␛]0;PWNED␇ and ␛]2;PWNED2␛\\ done.",
                   "Link: ␛]8;;http://x␇click␛]8;;␇ end.", "Bell: ␇␇ and NUL: ␀ here.", "C1: �31m and �0;PWNED3� end.",
                   "RTL: �evil� text.", "Markup: [/] and [@click=app.quit]x[/] and [link=http://x]y[/link]",
                   "Hostile [/] title"):
        assert needle in shown, needle
    assert shown.splitlines()[0].startswith("  Hostile [/] title")  # the screen was not cleared: the list is there
    capture = screen.capture()
    # Only the app's own SGR attributes: no escape of another kind, no red/blink/underline from the text.
    assert "\x1b" not in SGR.sub("", capture) and "\x07" not in capture and "\x9b" not in capture
    assert not {"4", "5", "31"} & sgr_params(capture), sgr_params(capture)
    assert screen.pane_title() == title_before and "PWNED" not in title_before

    # The command palette shows the markup-like title as text (Textual's own highlight parses it: crash).
    screen.keys("C-p")
    screen.wait_for("Go to 1: Hostile [/] title")
    screen.keys("H", "o", "s")
    screen.wait_for("Go to 1: Hostile [/] title")
    screen.keys("Escape")
    screen.keys("C-q")
    screen.wait_for("EXITED 0")
    assert screen.pane_title() == title_before


def _wcwidth() -> ctypes._CFuncPtr:  # type: ignore[name-defined]
    locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.wcwidth.argtypes = [ctypes.c_wchar]
    libc.wcwidth.restype = ctypes.c_int
    return libc.wcwidth


def cells(row: str, wcwidth: ctypes._CFuncPtr) -> list[tuple[str, str | None]]:  # type: ignore[name-defined]
    """(text, background) per terminal cell, as tmux measured the characters (glibc wcwidth)."""
    out: list[list[str | None]] = []
    bg: str | None = None
    pos = 0
    for m in SGR.finditer(row + "\x1b[m"):
        for ch in row[pos:m.start()]:
            w = wcwidth(ch)
            if w <= 0 and out:
                out[-1][0] = f"{out[-1][0]}{ch}"  # a zero-width character joins the cell before it
                continue
            out.append([ch, bg])
            if w == 2:
                out.append(["", bg])
        pos = m.end()
        ps = m.group(1).split(";") if m.group(1) else ["0"]
        i = 0
        while i < len(ps):
            if ps[i] in ("0", "", "49"):
                bg = None
            elif ps[i] in ("38", "48", "58") and i + 1 < len(ps):
                n = 3 if ps[i + 1] == "5" else 5
                if ps[i] == "48":
                    bg = ";".join(ps[i:i + n])
                i += n - 1
            i += 1
    return [(str(a), b) for a, b in out]


def test_wide_combining_zero_width_emoji_and_rtl_text_line_up(screen: Screen, tmp_path: Path) -> None:
    """Every row of the article view ends with the scrollbar in the same two columns: the
    wrap width Rich measured is the width tmux drew (a miscount shifts or pushes them)."""
    (tmp_path / "wide.txt").write_bytes(WIDE.encode())
    screen.start(f"{annotator_cmd()} label wide.txt")
    screen.wait_for("0/7 labeled")
    shown = screen.wait_for("private and more")  # the whole frame is drawn
    assert "中文新闻报道" in shown and "Cafe\u0301" in shown and "😀" in shown and "مرحبا" in shown
    wcwidth = _wcwidth()
    rows = [cells(r, wcwidth) for r in screen.capture().split("\n")[:HEIGHT]]
    blank = rows[2]  # a blank line of the view: where the scrollbar is
    assert len(blank) == WIDTH
    bar = blank[WIDTH - 3][1]
    assert bar is not None and blank[WIDTH - 4][1] != bar
    text_rows = [i for i, r in enumerate(rows[1:HEIGHT - 4], 1) if "".join(c for c, _ in r).strip()]
    assert len(text_rows) >= 12
    # The start-up notification sits over the view's last rows (above the status lines): not the view's rows.
    toast = {i for i in range(1, HEIGHT - 4) if "▌" in "".join(c for c, _ in rows[i][40:WIDTH - 4])}
    misaligned = [
        (i, "".join(c for c, _ in rows[i]))
        for i in range(1, HEIGHT - 4)
        if i not in toast and (len(rows[i]) != WIDTH or rows[i][WIDTH - 3][1] != bar or rows[i][WIDTH - 2][1] != bar
                               or rows[i][WIDTH - 4][1] == bar or rows[i][34][0] != blank[34][0])
    ]
    assert misaligned == [], "\n".join(f"{i}: {r}" for i, r in misaligned)
    screen.keys("C-q")
    screen.wait_for("EXITED 0")


def test_a_big_import_shows_progress_then_the_summary(screen: Screen, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(120):
        (folder / f"{i:03d}.txt").write_text(f"Berita nomor {i}. Selesai.\n")
    os.symlink("/nonexistent", folder / "broken.txt")
    screen.start(f"{annotator_cmd()} import many")
    shown = screen.wait_for("EXITED 2")
    assert re.search(r"Reading +\[#+\] +100%", shown) and re.search(r"Importing +\[#+\] +100%", shown), shown
    assert "120 new article(s), 0 already present, 240 sentence(s) added" in shown
    assert "error: many/broken.txt: a broken link: its target does not exist" in shown
