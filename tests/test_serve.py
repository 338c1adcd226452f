"""``annotator serve``: the name form, the access token, the loopback default, the errors, and
stopping the server with sessions open.  The HTTP rules are checked in process (aiohttp's test
server); starting, the token printed once and SIGTERM/SIGINT on a real server in a subprocess.
The real browser is in test_serve_browser.py."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from annotator.serve import COOKIE, AnnotatorServer, is_loopback
from annotator.storage import Database
from conftest import run_cli
from serving import Served, app_processes, clean_env, free_port, sample_database

TOKEN = "s3cret-Token_value"
Client = TestClient  # type: ignore[type-arg]


async def client_for(tmp_path: Path, token: str | None = None) -> Client:
    server = AnnotatorServer(tmp_path / "annotations.json", "127.0.0.1", 8000, token)
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def plain(tmp_path: Path) -> AsyncIterator[Client]:
    client = await client_for(tmp_path)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Client]:
    client = await client_for(tmp_path, TOKEN)
    try:
        yield client
    finally:
        await client.close()


# ----------------------------------------------------------------------------- the page and the name


async def test_without_a_name_the_page_is_a_form_asking_for_it(plain: Client) -> None:
    response = await plain.get("/")
    assert response.status == 200
    body = await response.text()
    assert '<form method="get" action="/">' in body
    assert 'name="reviewer"' in body
    assert "ws/" not in body  # no app is started for nobody


async def test_an_invalid_name_shows_the_form_again_with_the_error_escaped(plain: Client) -> None:
    response = await plain.get("/", params={"reviewer": "<b>x</b>\x1b"})
    assert response.status == 400
    body = await response.text()
    assert 'name="reviewer"' in body
    error = re.search(r'<p class="error">(.*)</p>', body)
    assert error is not None and "control or invisible character" in error.group(1)
    assert "<b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body  # in the message and the field, as text
    for bad in ("", " ana", "a" * 65):
        response = await plain.get("/", params={"reviewer": bad})
        assert response.status == 400, bad
        assert 'class="error"' in await response.text()


async def test_a_name_opens_the_app_page_with_the_name_in_the_websocket_path(plain: Client) -> None:
    response = await plain.get("/", params={"reviewer": 'ana/b?"<x>'})
    assert response.status == 200
    body = await response.text()
    assert 'data-websocket-path="/ws/ana%2Fb%3F%22%3Cx%3E"' in body
    assert "<title>annotator: ana/b?&#34;&lt;x&gt;</title>" in body
    assert "googleapis" not in body  # nothing from another site
    assert (await plain.get("/static/js/textual.js")).status == 200


async def test_the_websocket_refuses_a_bad_name_another_site_and_textual_serves_own_route(plain: Client) -> None:
    for path, status in (("/ws/%1b", 400), ("/ws", 404)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await plain.ws_connect(path)
        assert refused.value.status == status, path
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await plain.ws_connect("/ws/ana", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403


async def test_on_loopback_without_a_token_other_host_names_are_refused(plain: Client) -> None:
    # A page elsewhere whose DNS name is rebound to 127.0.0.1 sends its own name as Host.
    response = await plain.get("/", headers={"Host": "evil.example:8000"})
    assert response.status == 403
    assert (await plain.get("/", headers={"Host": "localhost:9000"})).status == 200  # an SSH tunnel's port


# ----------------------------------------------------------------------------- the token


async def test_with_a_token_every_request_without_it_gets_403(guarded: Client) -> None:
    for path in ("/", "/?reviewer=ana", "/static/js/textual.js", "/ws/ana", "/nothing",
                 "/?token=wrong", "/?token=s3cret-Token_valu", "/?token=%C3%A9t%C3%A9"):
        response = await guarded.get(path)
        assert response.status == 403, path
        body = await response.text()
        assert body.count("\n") == 1 and "token" in body
        assert TOKEN not in body
    guarded.session.cookie_jar.update_cookies({COOKIE: "wrong"})
    assert (await guarded.get("/")).status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await guarded.ws_connect("/ws/ana")
    assert refused.value.status == 403


async def test_the_token_in_the_link_is_200_and_sets_a_strict_httponly_cookie(guarded: Client) -> None:
    guarded.session.cookie_jar.clear()
    response = await guarded.get("/", params={"token": TOKEN})
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    # then the cookie alone: the form's submit, the static files, the websocket
    plain_jar = aiohttp.ClientSession(cookies={COOKIE: TOKEN})
    try:
        for path in ("/", "/?reviewer=ana", "/static/css/xterm.css"):
            async with plain_jar.get(guarded.make_url(path)) as r:
                assert r.status == 200, path
                assert "Set-Cookie" not in r.headers
    finally:
        await plain_jar.close()


def test_loopback_names() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", ""))


# ----------------------------------------------------------------------------- a real server


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_by_default_it_listens_on_loopback_only_and_needs_no_token(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    try:
        served.wait_ready()
        assert listening_addresses(served.port) == {"0100007F"}  # 127.0.0.1
        status, body, _ = get(served.url + "/")
        assert status == 200 and 'name="reviewer"' in body
        assert f"open http://127.0.0.1:{served.port}/?reviewer=NAME" in served.output()
        assert "token" not in served.output().lower()
        assert served.stop() == 0
    finally:
        served.kill()


def test_off_loopback_without_token_one_is_made_and_printed_once(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db, "--host", "0.0.0.0")
    try:
        served.wait_ready()
        assert listening_addresses(served.port) == {"00000000"}  # 0.0.0.0
        found = re.findall(rf"http://0\.0\.0\.0:{served.port}/\?token=([A-Za-z0-9_-]+)", served.err_path.read_text())
        assert len(found) == 1
        token = found[0]
        assert len(token) == 32  # secrets.token_urlsafe(24)
        status, body, _ = get(served.url + "/")
        assert status == 403 and body.count("\n") == 1
        status, body, headers = get(served.url + f"/?token={token}")
        assert status == 200 and 'name="reviewer"' in body
        status, _, _ = get(served.url + "/?reviewer=ana", {"Cookie": f"{COOKIE}={token}"})
        assert status == 200
        assert served.stop() == 0
        output = served.output()
        assert output.count(token) == 1, output  # the one line, never a request's log
        assert token not in served.out_path.read_text()
    finally:
        served.kill()


def test_a_given_token_is_never_printed_nor_logged(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db, "--host", "0.0.0.0", "--token", TOKEN)
    try:
        served.wait_ready()
        assert get(served.url + "/")[0] == 403
        assert get(served.url + f"/?token={TOKEN}&reviewer=ana")[0] == 200
        assert get(served.url + "/static/js/textual.js", {"Cookie": f"{COOKIE}={TOKEN}"})[0] == 200
        assert get(served.url + "/?reviewer=%1b", {"Cookie": f"{COOKIE}={TOKEN}"})[0] == 400
        assert served.stop() == 0
        assert TOKEN not in served.output()
        assert "?token=TOKEN" in served.output()
    finally:
        served.kill()


async def open_session(url: str, reviewer: str, keys: str = "") -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """A browser's websocket as textual.js opens it: wait for the app's first screen, then type ``keys``."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"{url.replace('http', 'ws')}/ws/{reviewer}?width=120&height=40",
                                  headers={"Origin": url})
    received = 0
    async with asyncio.timeout(60):
        while received < 4000:  # the app's first screen (a few kB of escape sequences)
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.BINARY, message
            received += len(message.data)
    for key in keys:
        await ws.send_str(json.dumps(["stdin", key]))
        await asyncio.sleep(0.3)
    await asyncio.sleep(1.0)
    return session, ws


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_stopping_the_server_quits_every_session_app_and_releases_the_database(
        tmp_path: Path, sig: int) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    session = None
    try:
        await asyncio.to_thread(served.wait_ready)
        session, ws = await open_session(served.url, "ana", "12")
        apps = app_processes(db)
        assert len(apps) == 1
        code = await asyncio.to_thread(served.stop, sig)
        assert code == 0, served.output()
        assert app_processes(db) == []
        async with asyncio.timeout(10):  # the screens sent before, then the close
            while (closed := await ws.receive()).type == aiohttp.WSMsgType.BINARY:
                pass
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        # Released: a writer that must be alone, and ana's own session, get it at once.
        database = Database.open(db, lock_timeout=0, alone=True, reviewer="ana")
        try:
            article = database.article_infos()[0].id
            labels = [(lab.label, lab.annotator) for lab in database.labels(article)]
        finally:
            database.close()
        assert labels == [("claim", "ana"), ("quote", "ana")]
        assert "Traceback" not in served.output()
    finally:
        if session is not None:
            await session.close()
        served.kill()


async def test_a_session_whose_browser_leaves_ends_its_app(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    try:
        await asyncio.to_thread(served.wait_ready)
        session, ws = await open_session(served.url, "ana")
        assert len(app_processes(db)) == 1
        await ws.close()
        await session.close()
        for _ in range(100):
            if not app_processes(db):
                break
            await asyncio.sleep(0.1)
        assert app_processes(db) == []
        assert served.process.poll() is None  # the server goes on
    finally:
        served.kill()


# ----------------------------------------------------------------------------- errors


def test_a_port_in_use_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = sample_database(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(capsys, "serve", "--db", str(db), "--port", str(port))
    assert code == 1
    assert err == f"annotator: cannot serve: port {port} on 127.0.0.1 is in use (another server?); stop it or pick another with --port\n"


def test_a_bad_host_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = sample_database(tmp_path)
    code, out, err = run_cli(capsys, "serve", "--db", str(db), "--host", "no-such-host.invalid", "--token", "t")
    assert code == 1
    assert err.startswith("annotator: cannot serve: --host no-such-host.invalid: no such address") and err.count("\n") == 1
    code, out, err = run_cli(capsys, "serve", "--db", str(db), "--host", "192.0.2.1", "--token", "t")  # TEST-NET: not ours
    assert code == 1
    assert err == ("annotator: cannot serve: --host 192.0.2.1 is not an address of this machine; give one of its own, "
                   "such as 127.0.0.1 or 0.0.0.0\n")


def test_a_missing_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "serve", "--db", str(tmp_path / "none.json"))
    assert code == 3
    assert err.startswith("annotator: database error: ") and "no database here" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, "serve", "--db", str(tmp_path / "none.json"), "--token", " ")
    assert code == 3  # the database first, as every command


def test_an_empty_token_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = sample_database(tmp_path)
    code, out, err = run_cli(capsys, "serve", "--db", str(db), "--token", "")
    assert code == 2 and "--token" in err and "Traceback" not in err


def test_help_imports_neither_aiohttp_nor_textual_serve() -> None:
    code = (
        "import sys\n"
        "from annotator.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'textual_serve', 'jinja2')), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=clean_env(),
                         timeout=60)
    assert out.stderr.strip().endswith("[]")
    assert "serve" in out.stdout


def test_serve_help_names_the_token_rules() -> None:
    out = subprocess.run([sys.executable, "-m", "annotator", "serve", "--help"], capture_output=True, text=True,
                         env=clean_env(), timeout=60)
    assert out.returncode == 0
    assert "--token" in out.stdout and "reviewer=NAME" in out.stdout


async def test_an_app_that_cannot_start_says_why_on_the_page_and_the_session_ends(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    try:
        await asyncio.to_thread(served.wait_ready)
        db.write_text("not a database")  # damaged after the server checked it: `label` refuses it
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{served.url.replace('http', 'ws')}/ws/ana?width=80&height=24") as ws:
                shown = b""
                async with asyncio.timeout(60):
                    async for message in ws:  # until the server closes it
                        shown += message.data
        text = shown.decode()
        assert text.startswith("\r\n  annotator: database damaged: ") and "is damaged" in text
        assert app_processes(db) == []
        assert served.process.poll() is None
    finally:
        served.kill()


def test_the_token_from_the_environment_is_used_and_an_empty_one_is_unset(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    port = free_port()
    env = {**clean_env(), "ANNOTATOR_SERVE_TOKEN": TOKEN}
    with open(tmp_path / "err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "annotator", "serve", "--db", str(db), "--port", str(port)],
                                   stderr=err, stdout=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 30
        while "ctrl+c stops" not in (tmp_path / "err").read_text() and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "err").read_text()
            time.sleep(0.1)
        assert get(f"http://127.0.0.1:{port}/")[0] == 403  # on loopback too, once given
        assert get(f"http://127.0.0.1:{port}/?token={TOKEN}")[0] == 200
    finally:
        process.terminate()
        process.wait(30)
    assert TOKEN not in (tmp_path / "err").read_text()
    done = subprocess.run([sys.executable, "-m", "annotator", "serve", "--db", str(tmp_path / "none.json")],
                          capture_output=True, text=True, env={**clean_env(), "ANNOTATOR_SERVE_TOKEN": ""}, timeout=60)
    assert done.returncode == 3 and "--token" not in done.stderr  # not "empty token": unset


async def test_two_reviewers_label_at_once_and_a_second_tab_under_one_name_says_why(tmp_path: Path) -> None:
    db = sample_database(tmp_path)
    served = Served(tmp_path, db)
    opened: list[aiohttp.ClientSession] = []
    try:
        await asyncio.to_thread(served.wait_ready)
        ana, ana_ws = await open_session(served.url, "ana", "1")
        opened.append(ana)
        budi, budi_ws = await open_session(served.url, "budi", "22")
        opened.append(budi)
        await ana_ws.send_str(json.dumps(["stdin", "3"]))
        assert len(app_processes(db)) == 2
        # Each reviewer keeps settings of their own (the apps all run as the server's account).
        folders = set()
        for pid in app_processes(db):
            env = dict(kv.split(b"=", 1) for kv in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in kv)
            folders.add(env[b"ANNOTATOR_CONFIG_DIR"].decode())
        assert len(folders) == 2 and all(Path(f).parent.name == "served" for f in folders), folders
        # ana in a second tab: her app there refuses to start, and the page says why.
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{served.url.replace('http', 'ws')}/ws/ana?width=80&height=24",
                                          headers={"Origin": served.url}) as ws:
                shown = b""
                async with asyncio.timeout(60):
                    async for message in ws:
                        shown += message.data
        text = shown.decode()
        assert "ana is already labeling" in text and "pid" in text, text
        await asyncio.sleep(1.0)
        code = await asyncio.to_thread(served.stop, signal.SIGTERM)
        assert code == 0, served.output()
        with Database.open(db, readonly=True) as database:
            article = database.article_infos()[0].id
            got = sorted((lab.annotator, lab.label) for lab in database.labels(article))
        assert got == [("ana", "background"), ("ana", "claim"), ("budi", "quote"), ("budi", "quote")]
        assert "Traceback" not in served.output()
    finally:
        for s in opened:
            await s.close()
        served.kill()
