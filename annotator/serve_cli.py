"""``annotator serve``: the labeling app in a browser (``annotator.serve``, imported only here,
so that aiohttp and textual-serve cost nothing to the other commands)."""

from __future__ import annotations

import secrets
import sys

import click

from annotator.cli import _require_db, echo_err, open_db
from annotator.settings import ENV_DB, Settings, resolve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs the access token (--token, or one made and printed).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--db", "db", metavar="PATH", default=None,
              help=f"Database file [env {ENV_DB}; default annotations/annotations.json].")
@click.option("--token", default=None, metavar="TOKEN", envvar="ANNOTATOR_SERVE_TOKEN",
              help="Access token every request must carry (?token= once, then a cookie) [env ANNOTATOR_SERVE_TOKEN]. "
                   "Default: none on loopback; elsewhere one is made and printed once.")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, db: str | None, token: str | None) -> None:
    """Serve the labeling app to browsers: each opens http://HOST:PORT/?reviewer=NAME (or types
    the name in a form) and labels under that name, in an app process of its own.

    ctrl+c (or SIGTERM) stops the server and quits every session's app; every decision is
    already saved.
    """
    from annotator.serve import AnnotatorServer, is_loopback

    path = resolve(db or ctx.find_root().params.get("db")).db_path
    settings = Settings(db_path=path, annotator="")
    _require_db(settings)
    with open_db(settings, readonly=True):
        pass  # a damaged file is one line here, not in every session
    if token == "" and ctx.get_parameter_source("token") == click.core.ParameterSource.ENVIRONMENT:
        token = None  # an empty variable is unset, as shells mean it
    if token is not None and not token.strip():
        raise click.BadParameter("the token is empty; give one, or leave --token out", param_hint="--token")
    made = token is None and not is_loopback(host)
    if made:
        token = secrets.token_urlsafe(24)
    shown_host = f"[{host}]" if ":" in host else host
    link = f"http://{shown_host}:{port}/"

    def announce() -> None:
        if made:
            # Printed once, here only: the server never logs it.
            echo_err(f"annotator serve: access token made for this run; open {link}?token={token}")
        elif token is not None:
            echo_err(f"annotator serve: open {link}?token=TOKEN (the token you gave)")
        else:
            echo_err(f"annotator serve: open {link}?reviewer=NAME")
        if host in ("0.0.0.0", "::"):
            echo_err(f"annotator serve: {host} listens on every address of this machine: use its name or address")
        echo_err("annotator serve: ctrl+c stops the server and every session")

    server = AnnotatorServer(path.resolve(), host, port, token)
    import asyncio

    asyncio.run(server.run(announce))
    sys.stdout.flush()
