"""``annotator config``: the user's settings (``annotator.settings``): show, set, unset."""

from __future__ import annotations

import click

from annotator.cli import _json_out, echo_err
from annotator.sanitize import sanitize_line
from annotator.settings import SPECS, UserSettings, load_user_settings, parse_value, spec


def _shown(value: object) -> str:
    return "true" if value is True else "false" if value is False else sanitize_line(str(value))


def _load() -> UserSettings:
    found = load_user_settings()
    for line in found.problems:
        echo_err(f"annotator: {sanitize_line(line)}")
    return found


@click.group("config", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
def config_cmd(ctx: click.Context, as_json: bool) -> None:
    """Your settings (theme, list width, auto-next, show-others, suggestions): each value and where
    it comes from.  `config set KEY VALUE` and `config unset KEY` change them; options of `label` win."""
    if ctx.invoked_subcommand is not None:
        return
    found = _load()
    if as_json:
        _json_out({"file": str(found.path), "settings": {
            k: {"value": found.get(k), "source": found.source(k), "default": s.default, "help": s.help}
            for k, s in SPECS.items()}})
        return
    click.echo(f"Settings file: {sanitize_line(str(found.path))}" + ("" if found.path.exists() else " (not written yet)"))
    width = max(len(k) for k in SPECS)
    vwidth = max(len(_shown(found.get(k))) for k in SPECS)
    for key, s in SPECS.items():
        src = "settings file" if key in found.values else "default"
        click.echo(f"  {key:<{width}}  {_shown(found.get(key)):<{vwidth}}  ({src})  {s.help}")


@config_cmd.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Set KEY to VALUE (kept in the settings file)."""
    s = spec(key)
    checked = parse_value(s.key, value)
    found = _load()
    found.set(s.key, checked)
    click.echo(f"{s.key} = {_shown(checked)}  ({sanitize_line(str(found.path))})")


@config_cmd.command("unset")
@click.argument("key")
def config_unset(key: str) -> None:
    """Take KEY out of the settings file: its default applies again."""
    s = spec(key)
    found = _load()
    found.unset(s.key)
    click.echo(f"{s.key} = {_shown(s.default)}  (default)")
