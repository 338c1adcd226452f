"""``annotator scheme``: show and change the project's labels (the edits are in ``schemes``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from annotator.cli import _json_out, _require_db, common_options, echo_err, open_db, settings_from
from annotator.errors import InputError
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.model import LabelScheme
    from annotator.storage import Database


def _show(scheme: LabelScheme, used: dict[str, int] | None = None) -> list[str]:
    rows = [("keys", "label", "colour", "in use", "description")]
    for d in scheme.live:
        rows.append(("/".join(scheme.keys_of(d)) or "-", d.name + ("" if d.id == d.name else f" (id {d.id})"),
                     d.color or "theme", "" if used is None else f"{used.get(d.id, 0):,}", d.description))
    rows.append(("0", "skip", "", "" if used is None else f"{used.get('skip', 0):,}",
                 "not applicable: decided, left out of datasets"))
    widths = [max(len(sanitize_line(r[i])) for r in rows) for i in range(4)]
    lines = ["  ".join(sanitize_line(c).ljust(w) for c, w in zip(r[:4], widths)) + "  " + sanitize_line(r[4])
             for r in rows]
    retired = [d.name for d in scheme.labels if d.retired]
    if retired:
        lines.append("removed (kept for the history): " + ", ".join(sanitize_line(n) for n in retired))
    return [line.rstrip() for line in lines]


def _change(ctx: click.Context, db: str | None, annotator: str | None, edit: Any, done: str) -> None:
    """Open the database for writing, make the new scheme from the old, store it, say so."""
    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    # Alone: a label retired while someone labels with it, or a running app on the old scheme, would be wrong.
    with open_db(settings, alone=True, lock_timeout=3.0) as database:
        new = edit(database)
        database.set_scheme(new)
        click.echo(done)
        for line in _show(new):
            click.echo("  " + line)


@click.group("scheme", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the scheme as JSON.")
@common_options
@click.pass_context
def scheme_cmd(ctx: click.Context, as_json: bool, db: str | None, annotator: str | None) -> None:
    """Show the label scheme (keys, colours, descriptions, how many sentences hold each), or change it.

    Digits 1-9 follow the scheme's order and 0 is skip; each label may have a letter key.
    Labels are stored by id, so a rename is instant and keeps every label.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    with open_db(settings, readonly=True) as database:
        scheme, used = database.scheme, database.label_usage()
    if as_json:
        _json_out({"labels": [{**d, "digit": str(n) if n <= 9 else "", "in_use": used.get(d["id"], 0)}
                              for n, d in enumerate((x for x in scheme.to_json() if not x.get("retired")), 1)],
                   "retired": [d for d in scheme.to_json() if d.get("retired")]})
        return
    for line in _show(scheme, used):
        click.echo(line)


@scheme_cmd.command("add")
@click.argument("name")
@click.option("--key", default="", metavar="K", help="Its letter key (its digit comes from its place).")
@click.option("--color", "colour", default="", metavar="C", help="A colour (red, #rrggbb); default: the theme's.")
@click.option("--description", default="", metavar="TEXT", help="What the label means, shown in help and hints.")
@click.option("--position", type=int, default=None, metavar="N", help="Its place, 1 first (default: last).")
@common_options
@click.pass_context
def scheme_add(ctx: click.Context, name: str, key: str, colour: str, description: str, position: int | None,
               db: str | None, annotator: str | None) -> None:
    """Add a label NAME."""
    from annotator import schemes

    _change(ctx, db, annotator, lambda d: schemes.add(d.scheme, name, key=key, colour=colour,
                                                      description=description, position=position),
            f"added {sanitize_line(name)}")


@scheme_cmd.command("set")
@click.argument("name")
@click.option("--key", default=None, metavar="K", help="Its letter key (\"\" for none).")
@click.option("--color", "colour", default=None, metavar="C", help="A colour (\"\" for the theme's).")
@click.option("--description", default=None, metavar="TEXT", help="What the label means.")
@click.option("--position", type=int, default=None, metavar="N", help="Its place, 1 first.")
@common_options
@click.pass_context
def scheme_set(ctx: click.Context, name: str, key: str | None, colour: str | None, description: str | None,
               position: int | None, db: str | None, annotator: str | None) -> None:
    """Change label NAME's key, colour, description or place."""
    from annotator import schemes

    _change(ctx, db, annotator, lambda d: schemes.set_label(d.scheme, name, key=key, colour=colour,
                                                            description=description, position=position),
            f"changed {sanitize_line(name)}")


@scheme_cmd.command("rename")
@click.argument("old")
@click.argument("new")
@common_options
@click.pass_context
def scheme_rename(ctx: click.Context, old: str, new: str, db: str | None, annotator: str | None) -> None:
    """Rename label OLD to NEW: instant, every label follows (they are stored by id)."""
    from annotator import schemes

    _change(ctx, db, annotator, lambda d: schemes.rename(d.scheme, old, new),
            f"renamed {sanitize_line(old)} to {sanitize_line(new)}")


def _after(updated_at: str, tick: int, now: str) -> tuple[str, int]:
    """A stamp later than (``updated_at``, ``tick``): now, or just after it if its clock was ahead."""
    from annotator.formats.base import instant

    return (now, 0) if instant(now) > instant(updated_at) else (updated_at, tick + 1)


def _relabel(database: Database, old_id: str, new_id: str) -> tuple[int, int]:
    """Every label and final label ``old_id`` becomes ``new_id``, in one merge: a new decision
    of each label's own reviewer (a final label's own adjudicator), stamped after the one it
    replaces and kept in the history; the votes of final labels follow, so none turns stale."""
    import dataclasses

    from annotator.model import Event, now_iso

    now = now_iso()
    labels, decisions, events = [], [], []
    for info in database.article_infos():
        for lab in database.labels(info.id):
            if lab.label == old_id:
                at, tick = _after(lab.updated_at, lab.tick, now)
                labels.append(dataclasses.replace(lab, label=new_id, updated_at=at, tick=tick))
                events.append(Event(lab.article_id, lab.start, lab.end, lab.annotator, new_id, "label", at, tick,
                                    before=old_id, source=lab.source, score=lab.score, suggested=lab.suggested))
        for d in database.decisions(info.id):
            votes = tuple((w, new_id if v == old_id else v) for w, v in d.votes)
            if d.label == old_id or votes != d.votes:
                at, tick = _after(d.updated_at, d.tick, now)
                label = new_id if d.label == old_id else d.label
                decisions.append(dataclasses.replace(d, label=label, votes=votes, updated_at=at, tick=tick))
                events.append(Event(d.article_id, d.start, d.end, d.by, label, "label", at, tick, before=d.label,
                                    final=True, reason=d.reason, votes=votes))
    if labels or decisions:
        database.merge(labels, decisions, events=events)
    return len(labels), len(decisions)


@scheme_cmd.command("remove")
@click.argument("name")
@click.option("--relabel-to", "relabel_to", default=None, metavar="OTHER",
              help="First turn every NAME label (and final label) into OTHER.")
@common_options
@click.pass_context
def scheme_remove(ctx: click.Context, name: str, relabel_to: str | None, db: str | None,
                  annotator: str | None) -> None:
    """Remove label NAME: refused while sentences hold it, unless --relabel-to OTHER."""
    from annotator import schemes

    def edit(database: Database) -> LabelScheme:
        scheme = database.scheme
        d = scheme.by_name(name)
        new = schemes.remove(scheme, name)  # refuses an unknown or last label first
        assert d is not None
        used = database.label_usage().get(d.id, 0)
        if used and relabel_to is None:
            raise InputError(f"{used:,} sentence label(s) are {sanitize_line(name)}; relabel them first with "
                             f"--relabel-to OTHER (e.g. annotator scheme remove {sanitize_line(name)} "
                             f"--relabel-to {sanitize_line(next(n for n in scheme.names if n != name))})")
        if relabel_to is not None:
            target = scheme.by_name(relabel_to)
            if target is None or target.id == d.id:
                raise InputError(f"--relabel-to {sanitize_line(relabel_to)}: not another label of the scheme "
                                 f"({', '.join(scheme.names)})")
            n_labels, n_final = _relabel(database, d.id, target.id)
            echo_err(f"relabeled {n_labels:,} label(s) and {n_final:,} final label(s) from {sanitize_line(name)} "
                     f"to {sanitize_line(relabel_to)}")
        return new

    _change(ctx, db, annotator, edit, f"removed {sanitize_line(name)}")


@scheme_cmd.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@common_options
@click.pass_context
def scheme_export(ctx: click.Context, file: Path, db: str | None, annotator: str | None) -> None:
    """Write the scheme to FILE.toml (name, key, color, description, order, id per label)."""
    from annotator import schemes
    from annotator.export import write_file
    from annotator.outputs import check_output_path

    settings = settings_from(ctx, db, annotator)
    check_output_path(settings.db_path, file, "FILE")
    _require_db(settings)
    with open_db(settings, readonly=True) as database:
        text = schemes.to_toml(database.scheme)
    write_file(file, [text.encode("utf-8")])
    click.echo(f"wrote {sanitize_line(str(file))} ({len(database.scheme.live)} labels)")


@scheme_cmd.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@common_options
@click.pass_context
def scheme_import(ctx: click.Context, file: Path, db: str | None, annotator: str | None) -> None:
    """Make the scheme FILE.toml describes: labels matched by id (else name); a label left out
    is removed, refused while sentences hold it."""
    from annotator import schemes
    from annotator.importer import quote_path, read_text_file, stat_given

    where = quote_path(file)
    stat_given(file, "no such file; write one with `annotator scheme export FILE.toml`")
    try:
        text = read_text_file(file, 1 << 20).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8; save it as UTF-8 and import again") from None

    def edit(database: Database) -> LabelScheme:
        new = schemes.from_toml(database.scheme, text, where)
        used = database.label_usage()
        dropped = [d for d in database.scheme.live if new.get(d.id) is None and used.get(d.id)]
        if dropped:
            raise InputError(f"{where}: leaves out {', '.join(sanitize_line(d.name) for d in dropped)}, which "
                             f"sentences hold; add it back, or remove it first with `annotator scheme remove NAME "
                             f"--relabel-to OTHER`")
        return new

    _change(ctx, db, annotator, edit, f"imported the scheme from {where}")


GUIDELINES_MAX = 1 << 20


@scheme_cmd.command("guidelines")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--clear", is_flag=True, help="Remove the stored guidelines.")
@common_options
@click.pass_context
def scheme_guidelines(ctx: click.Context, file: Path | None, clear: bool, db: str | None,
                      annotator: str | None) -> None:
    """Store FILE.md as the project's guidelines (the app shows them on g), or print them."""
    from annotator.importer import quote_path, read_text_file, stat_given
    from annotator.sanitize import sanitize_text

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    if file is None and not clear:
        with open_db(settings, readonly=True) as database:
            text = database.guidelines()
        click.echo(sanitize_text(text) if text else "no guidelines stored; add them with "
                                               "`annotator scheme guidelines FILE.md`")
        return
    text = ""
    if file is not None:
        where = quote_path(file)
        stat_given(file, "no such file; give the guidelines' Markdown file")
        try:
            text = read_text_file(file, GUIDELINES_MAX).decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise InputError(f"{where}: not UTF-8; save it as UTF-8 and store it again") from None
        if not text.strip():
            raise InputError(f"{where}: the file is empty; write the guidelines in it (Markdown), or use --clear")
    with open_db(settings) as database:
        database.set_guidelines(text)
    click.echo(f"stored {len(text.splitlines())} line(s) of guidelines; press g in the app to read them"
               if text else "guidelines removed")
