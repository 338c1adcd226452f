"""``annotator serve`` in a real browser: Debian's chromium, headless, driven over the DevTools
protocol (CDP) with aiohttp's websocket client (no selenium, no chromedriver).

The page draws the terminal with xterm.js on a canvas, so the text is not in the DOM.  The
terminal object is not global either (textual.js keeps it in a closure); a script given to
the page before its own (``Page.addScriptToEvaluateOnNewDocument``, the test's only, the page
is served unchanged) catches it as textual.js assigns ``this.terminal``, and the test reads the
rows the reviewer sees from its buffer.  Keys go in as the keyboard's would:
``Input.dispatchKeyEvent`` to the focused terminal.  .ci/run installs chromium; without
/usr/bin/chromium these tests are skipped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from annotator.storage import Database
from serving import Served, app_processes, sample_database

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", "--remote-debugging-port=0"]

# Catches the xterm.js Terminal as textual.js stores it (`this.terminal = new Terminal(...)`):
# a setter on Object.prototype, which then puts the value back as the object's own property.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active && !window.__annotatorTerminal) {
      window.__annotatorTerminal = value;
    }
  },
});
"""
SCREEN = """(() => {
  const t = window.__annotatorTerminal;
  if (!t || !document.body.classList.contains("-first-byte")) return null;  // the page shows it from there
  const buffer = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()"""


class Browser:
    """One headless chromium with a fresh profile, and one page of it over CDP."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.log = profile.parent / f"{profile.name}.log"
        with open(self.log, "wb") as log:  # a file, not a pipe: a full pipe would stall chromium
            self.process = subprocess.Popen([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 0

    async def connect(self, timeout: float = 60.0) -> None:
        # --remote-debugging-port=0: chromium picks a free port and writes it to the profile's
        # DevToolsActivePort (first line) once its DevTools listen.
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (active.exists() and active.read_text().split("\n")[0].strip().isdigit()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chromium's DevTools did not start: {self.log.read_text(errors='replace')[-2000:]}")
            await asyncio.sleep(0.1)
        port = int(active.read_text().split("\n")[0])
        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.enable")
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.ws is not None
        self.next_id += 1
        ask = self.next_id
        await self.ws.send_str(json.dumps({"id": ask, "method": method, "params": params}))
        async with asyncio.timeout(30):
            while True:
                message = await self.ws.receive()
                assert message.type == aiohttp.WSMsgType.TEXT, message
                data = json.loads(message.data)
                if data.get("id") == ask:  # events in between are not needed
                    assert "error" not in data, data
                    result: dict[str, Any] = data["result"]
                    return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def screen(self) -> str:
        return await self.evaluate(SCREEN) or ""

    async def wait_for(self, *needles: str, timeout: float = 60.0) -> str:
        """The screen once every one of ``needles`` is on it (the app paints in pieces)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen()
            if all(needle in text for needle in needles):
                return text
            await asyncio.sleep(0.25)
        raise AssertionError(f"{needles!r} not on the page after {timeout}s; it shows:\n{text}")

    async def press(self, key: str) -> None:
        code = f"Digit{key}" if key.isdigit() else f"Key{key.upper()}"
        common = {"key": key, "code": code, "windowsVirtualKeyCode": ord(key.upper())}
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=key, **common)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **common)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        for sig in (signal.SIGTERM, signal.SIGKILL):  # chromium and its helpers: one process group
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(10)
                break
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # a helper that outlived the main process
        except ProcessLookupError:
            pass


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    with tempfile.TemporaryDirectory(prefix="annotator-chromium-") as folder:
        chromium = Browser(Path(folder) / "profile")
        try:
            await chromium.connect()
            yield chromium
        finally:
            await chromium.close()


async def test_a_reviewer_labels_in_the_browser_and_the_labels_are_in_the_database(
        tmp_path: Path, browser: Browser) -> None:
    db = sample_database(tmp_path)  # annotator import samples/ --db tmp/annotations.json
    served = Served(tmp_path, db)
    try:
        await asyncio.to_thread(served.wait_ready)
        await browser.call("Page.navigate", url=f"{served.url}/?reviewer=ana")
        screen = await browser.wait_for("Anchorage (ANTARA) - Presiden Rusia Vladimir Putin", "0/19 labeled")
        status = next(line for line in screen.splitlines() if "0/19 labeled" in line)
        assert status.rstrip().endswith("·  ana"), status  # the reviewer's name, in the status line
        assert await browser.evaluate("getComputedStyle(document.getElementById('terminal')).opacity") == "1"
        await browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        for key in "123":
            await browser.press(key)
        screen = await browser.wait_for("3/19 labeled", "background")
        assert re.search(r"claim\s+Anchorage \(ANTARA\)", screen), screen
        assert re.search(r"quote\s+Hal itu disampaikan", screen), screen
        shot = await browser.call("Page.captureScreenshot", format="png")
        (tmp_path / "browser.png").write_bytes(base64.b64decode(shot["data"]))  # for a person who looks

        assert await asyncio.to_thread(served.stop, signal.SIGTERM) == 0
        assert app_processes(db) == []
        assert "Session ended" in await browser.evaluate("document.body.innerText")  # the page says so
        database = Database.open(db, readonly=True)
        try:
            article = next(info for info in database.article_infos() if "ANTARA" in info.preview)
            labels = sorted((lab.start, lab.label, lab.annotator) for lab in database.labels(article.id))
        finally:
            database.close()
        assert [(label, who) for _, label, who in labels] == [("claim", "ana"), ("quote", "ana"), ("background", "ana")]
        assert [start for start, _, _ in labels] == [0, 148, 246]  # the article's first three sentences
    finally:
        served.kill()


def urlopen_status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def test_off_loopback_the_token_is_needed_by_urllib_and_by_the_browser(
        tmp_path: Path, browser: Browser) -> None:
    """Served on every address (0.0.0.0) with a token; asked over 127.0.0.1 (this machine's own
    traffic only)."""
    db = sample_database(tmp_path)
    token = "browser-test-token"
    served = Served(tmp_path, db, "--host", "0.0.0.0", "--token", token)
    try:
        await asyncio.to_thread(served.wait_ready)
        status, body = await asyncio.to_thread(urlopen_status, f"{served.url}/?reviewer=ana")
        assert status == 403 and body.startswith("403: this server needs its access token")

        await browser.call("Page.navigate", url=f"{served.url}/?reviewer=ana")
        await asyncio.sleep(1.0)
        assert (await browser.evaluate("document.body.innerText")).startswith("403: ")
        assert app_processes(db) == []  # nothing was started for a visitor without the token

        # with it once in the link, then the cookie: the app opens, and a reload needs no token
        await browser.call("Page.navigate", url=f"{served.url}/?token={token}&reviewer=ana")
        await browser.wait_for("Anchorage (ANTARA)")
        cookies = (await browser.call("Network.getCookies", urls=[served.url]))["cookies"]
        assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [("annotator_token", True, "Strict")]
        assert await browser.evaluate("document.cookie") == ""  # HttpOnly: no script reads it
        assert await asyncio.to_thread(served.stop) == 0
        assert token not in served.output()
        assert app_processes(db) == []
    finally:
        served.kill()


async def test_a_session_that_cannot_start_shows_why_above_the_banner(tmp_path: Path, browser: Browser) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    try:
        await asyncio.to_thread(served.wait_ready)
        db.write_text("not a database")  # damaged after the server started: the app refuses it
        await browser.call("Page.navigate", url=f"{served.url}/?reviewer=ana")
        await browser.wait_for("annotator: database damaged:")
        for _ in range(40):
            if "Session ended" in await browser.evaluate("document.body.innerText"):
                break
            await asyncio.sleep(0.25)
        assert "Session ended" in await browser.evaluate("document.body.innerText")
        # the banner sits at the bottom, and the terminal's rows with the reason stay visible
        top = await browser.evaluate("document.querySelector('.closed-dialog').getBoundingClientRect().top")
        assert top > 450  # of a 900-pixel window
    finally:
        served.kill()
