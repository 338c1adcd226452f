"""``annotator serve``: the labeling app in a browser, one app process per browser session.

Built on textual-serve (pinned exactly in pyproject: this module leans on its internals).
Each browser session runs ``annotator label --db DB --annotator=NAME`` as its own process,
with the reviewer's name from the page's link (``/?reviewer=ana``) or from a small form.
The name travels as one argv item, never through a shell.  Off loopback, every request needs
the access token (``?token=`` once, then an HttpOnly cookie).  Stopping the server quits every
session's app (its decisions are already saved) and waits for it to end.

Imported only by the ``serve`` command, so that aiohttp's import cost is paid there alone.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import html
import ipaddress
import logging
import os
import signal
import socket
import sys
from asyncio.subprocess import PIPE, Process
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from annotator.errors import AnnotatorError, InputError
from annotator.names import check_name
from annotator.sanitize import sanitize_line
from annotator.settings import ENV_CONFIG_DIR, config_dir

TOKEN_ENV = "ANNOTATOR_SERVE_TOKEN"  # the token without a --token on the command line (seen by `ps`)
COOKIE = "annotator_token"
QUIT_WAIT = 5.0  # seconds an app is given to quit before it is terminated, then killed
TEMPLATES = Path(__file__).with_name("serve_templates")
log = logging.getLogger("textual-serve")


class ServeError(AnnotatorError):
    """The server cannot start: the address or the port cannot be had."""

    title = "Cannot serve"
    exit_code = 1


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name, from --host or a Host header) is this machine's
    loopback only."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8"))


class Session(AppService):
    """One reviewer's app process.

    textual-serve starts its ``command`` with a shell; this runs an argv list instead (the
    reviewer's name is one argument, never parsed), in a session of its own (ctrl+c in the
    server's terminal reaches the server only, which then quits each app cleanly).
    """

    def __init__(self, argv: list[str], settings: Path | None = None, **kwargs: Any) -> None:
        super().__init__(argv[0], **kwargs)
        self.argv = argv
        self.settings = settings
        self.started = False  # the app has drawn something
        self._stderr: _KeptTail | None = None
        self._ending: asyncio.Task[None] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        environment.pop(TOKEN_ENV, None)
        if self.settings is not None:  # this reviewer's own settings (theme, list width, ...), kept for next time
            environment[ENV_CONFIG_DIR] = str(self.settings)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=PIPE, stdout=PIPE, stderr=PIPE, env=environment, start_new_session=True)
        assert process.stdin is not None and process.stderr is not None
        self._stdin = process.stdin
        process.stderr = self._stderr = _KeptTail(process.stderr)  # textual-serve reads it; we keep its end
        return process

    async def on_data(self, payload: bytes) -> None:
        self.started = True
        await super().on_data(payload)

    async def run(self) -> None:
        await super().run()
        if not self.started:  # it could not start: say why on the page ("database in use", ...)
            await self.remote_write_bytes(f"\r\n  {self.why_not()}\r\n".encode())
        # The app ended (ctrl+q, or it could not start): end the browser's session with it, so
        # the page says so instead of waiting.
        await self.remote_close()

    def why_not(self) -> str:
        said = self._stderr.tail.decode("utf-8", "replace") if self._stderr is not None else ""
        lines = [line for line in said.splitlines() if line.strip()]
        code = self._process.returncode if self._process is not None else None
        return sanitize_line(lines[-1].strip()) if lines else f"annotator: the app ended at once (exit status {code})"

    async def end(self) -> None:
        """Quit the app (as ctrl+q does) and wait for its process; terminate, then kill, its
        process group if it has not ended within ``QUIT_WAIT`` seconds each.  Safe to call
        from the session's handler and the server's shutdown at once: both wait for one end."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        await asyncio.shield(self._ending)

    async def _end(self) -> None:
        process = self._process
        try:
            await asyncio.wait_for(self.stop(), QUIT_WAIT)
        except (asyncio.TimeoutError, OSError):
            pass
        if process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                return
            try:
                os.killpg(process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                await asyncio.wait_for(process.wait(), QUIT_WAIT)
            except asyncio.TimeoutError:
                pass


class _KeptTail(asyncio.StreamReader):
    """A process's stderr as textual-serve reads it, keeping its last bytes for the page."""

    def __init__(self, source: asyncio.StreamReader) -> None:
        super().__init__()
        self.source = source
        self.tail = b""

    async def read(self, n: int = -1) -> bytes:
        data = await self.source.read(n)
        self.tail = (self.tail + data)[-4096:]
        return data


FORM = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>annotator</title>
<style>body{{background:#0c181f;color:#eee;font:16px menlo,monospace;display:flex;justify-content:center;
margin-top:20vh}}input,button{{font:inherit;padding:6px}}.error{{color:#ff8a80}}</style></head>
<body><form method="get" action="/"><h1>annotator</h1>
<p><label for="reviewer">Your name (the labels are saved under it):</label></p>
<p><input id="reviewer" name="reviewer" value="{value}" maxlength="64" required autofocus>
<button type="submit">Start labeling</button></p>{error}</form></body></html>
"""


def form_page(value: str = "", error: str = "") -> str:
    shown = f'\n<p class="error">{html.escape(error)}</p>' if error else ""
    return FORM.format(value=html.escape(value), error=shown)


class AnnotatorServer(Server):
    """textual-serve's Server with the reviewer's name per session and an access token.

    Overridden: ``handle_index`` (the form, or the app's page with the reviewer's websocket
    path), ``handle_websocket`` (the app per reviewer, as :class:`Session`), ``_make_app``
    (one more route and the guard middleware), ``on_startup``/``on_shutdown`` (no banner; every
    session ended on the way out).  ``serve`` is replaced by :meth:`run`: no access log (a
    first request's query holds the token) and errors as one line.
    """

    def __init__(self, db: Path, host: str, port: int, token: str | None) -> None:
        super().__init__("annotator label", host=host, port=port, title="annotator", templates_path=TEMPLATES)
        self.db = db
        self.token = token
        self.sessions: set[Session] = set()

    def settings_of(self, reviewer: str) -> Path:
        """Each reviewer's own settings folder, under the server account's: served sessions all
        run as that account, and one reviewer's theme must not become everybody's."""
        digest = hashlib.sha256(reviewer.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return config_dir() / "served" / digest

    def argv(self, reviewer: str) -> list[str]:
        return [sys.executable, "-m", "annotator", "label", "--db", str(self.db), f"--annotator={reviewer}"]

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        # The reviewer rides in the path: textual.js appends its own "?width=..&height=.." to the URL.
        app.router.add_get("/ws/{reviewer}", self.handle_websocket, name="reviewer-websocket")
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every request: the token (query or cookie) when there is one, else a loopback host
        name (a page elsewhere that rebinds its DNS name to 127.0.0.1 gets nothing)."""
        given = request.query.get("token")
        by_query = False
        if self.token is not None:
            by_query = _same(given, self.token)
            if not by_query and not _same(request.cookies.get(COOKIE), self.token):
                return web.Response(status=403, text="403: this server needs its access token: open the link with "
                                                     "?token=... that `annotator serve` printed\n")
        elif not is_loopback(request.url.host or ""):
            return web.Response(status=403, text=f"403: this server answers only on http://127.0.0.1:{self.port}/ "
                                                 f"(give it a --token to serve other names)\n")
        response: web.StreamResponse = await handler(request)
        if self.token is not None and by_query and not response.prepared:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        name = request.query.get("reviewer")
        if name is None:
            return web.Response(text=form_page(), content_type="text/html")
        try:
            check_name(name, "the name", "type the name you label under")
        except InputError as error:
            return web.Response(status=400, text=form_page(name, error.message), content_type="text/html")
        context = {
            "title": f"annotator: {name}",
            "static_url": "/static/",
            "websocket_path": "/ws/" + quote(name, safe=""),
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        name = request.match_info.get("reviewer")
        if name is None:  # textual-serve's own /ws, which would run its command for nobody
            raise web.HTTPNotFound(text="404: open the page with ?reviewer=NAME\n")
        try:
            check_name(name, "the name", "type the name you label under")
        except InputError as error:
            raise web.HTTPBadRequest(text=f"400: {error.message}\n")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="403: a page of another site cannot open a session here\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        session: Session | None = None
        try:
            await websocket.prepare(request)
            session = Session(self.argv(name), self.settings_of(name), write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                              close=websocket.close, download_manager=self.download_manager)
            self.sessions.add(session)
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.warning("session of %r: %s", name, error)
        finally:
            if session is not None:
                await session.end()
                self.sessions.discard(session)
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        pass  # no banner: `run` says where it listens once it does

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(session.end() for session in list(self.sessions)))

    def serve(self, debug: bool = False) -> None:
        asyncio.run(self.run())

    async def run(self, announce: Any = None) -> None:
        """Listen until SIGINT or SIGTERM; then end every session and return."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("annotator serve: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.WARNING)
        log.propagate = False
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False, shutdown_timeout=QUIT_WAIT)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except OSError as error:
                raise ServeError(bind_error(error, self.host, self.port)) from None
            if announce is not None:
                announce()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()


def bind_error(error: OSError, host: str, port: int) -> str:
    if isinstance(error, socket.gaierror):
        return f"--host {host}: no such address ({error.strerror}); give an address of this machine, such as 127.0.0.1"
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use (another server?); stop it or pick another with --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host {host} is not an address of this machine; give one of its own, such as 127.0.0.1 or 0.0.0.0"
    if error.errno == errno.EACCES:
        return f"port {port}: not allowed here (ports below 1024 need root); pick another with --port"
    return f"cannot listen on {host} port {port}: {error.strerror or error}"
