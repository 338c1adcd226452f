"""Command line: ``annotator [label|import|export|stats|verify]``.

Textual is imported only by ``label``, so the other commands start fast.  Every
``AnnotatorError`` becomes one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from annotator import __version__
from annotator.errors import AnnotatorError
from annotator.sanitize import sanitize_line
from annotator.settings import ENV_ANNOTATOR, ENV_DB, Settings, resolve

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_MIN_FILES = 50


def common_options(func: F) -> F:
    @click.option("--db", "db", metavar="PATH", default=None,
                  help=f"Database file [env {ENV_DB}; default annotations/annotations.json].")
    @click.option("--annotator", "annotator", metavar="NAME", default=None,
                  help=f"Your name on the labels [env {ENV_ANNOTATOR}; default your login name].")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def settings_from(ctx: click.Context, db: str | None, annotator: str | None) -> Settings:
    parent = ctx.find_root().params
    return resolve(db or parent.get("db"), annotator or parent.get("annotator"))


@contextmanager
def open_db(settings: Settings, *, readonly: bool = False, lock_timeout: float = 0.0) -> Iterator[Any]:
    from annotator.storage import Database

    db = Database.open(settings.db_path, readonly=readonly, create=not readonly, lock_timeout=lock_timeout)
    try:
        yield db
    finally:
        db.close()


def echo_err(msg: str) -> None:
    click.echo(msg, err=True)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(__version__, prog_name="annotator")
@click.pass_context
def cli(ctx: click.Context, db: str | None, annotator: str | None) -> None:
    """Label news articles sentence by sentence: claim, quote or background.

    Run without a command to open the labeling app (same as `annotator label`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(label, paths=(), db=db, annotator=annotator)


def _run_import(db: Any, paths: tuple[Path, ...], encoding: str | None, language: str, *, dry_run: bool = False,
                quiet: bool = False) -> tuple[Any, Any]:
    from annotator.importer import apply_import, import_steps, iter_files, plan_import

    tty = sys.stderr.isatty() and not quiet
    # Listed first so that reading (sentence splitting: ~0.5 ms an article) has a bar of known length too.
    files = list(iter_files(list(paths), []))
    if tty and len(files) >= PROGRESS_MIN_FILES:
        with click.progressbar(length=len(files), label="Reading", file=sys.stderr) as bar:
            plan = plan_import(files, encoding=encoding, language=language, on_file=lambda _: bar.update(1))
    else:
        plan = plan_import(files, encoding=encoding, language=language)
    result = None
    if not dry_run:
        if tty and len(plan.items) >= PROGRESS_MIN_FILES:
            with click.progressbar(length=import_steps(plan), label="Importing", file=sys.stderr) as bar:
                result = apply_import(db, plan, progress=lambda n: bar.update(n - bar.pos))
        else:
            result = apply_import(db, plan)
    return plan, result


def import_summary(plan: Any, result: Any, dry_run: bool = False) -> list[str]:
    lines: list[str] = []
    if result is not None:
        lines.append(
            f"{len(result.added)} new article(s), {len(result.present)} already present, "
            f"{result.sentences_added} sentence(s) added"
        )
        added, updated, unchanged, skipped = result.labels
        if added or updated or unchanged or skipped:
            lines.append(f"labels: {added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped (no such sentence)")
    else:
        n_sent = sum(len(i.article.sentences) for i in plan.items)
        lines.append(f"dry run: {len(plan.items)} article(s) with {n_sent} sentence(s) would be imported")
    for s in plan.skipped:
        lines.append(f"{'error' if s.error else 'skipped'}: {s.path}: {sanitize_line(s.reason)}")
    return lines


@cli.command("label")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--encoding", default=None, help="Text encoding of the files to import (default: UTF-8).")
@click.option("--lang", "language", default="id", show_default=True, help="Language for sentence splitting.")
@common_options
@click.pass_context
def label(ctx: click.Context, paths: tuple[Path, ...], db: str | None, annotator: str | None,
          encoding: str | None = None, language: str = "id") -> None:
    """Open the labeling app; PATHS (files or folders) are imported first."""
    settings = settings_from(ctx, db, annotator)
    from annotator.storage import Database

    database = Database.open(settings.db_path)
    try:
        messages: list[tuple[str, str]] = []
        if paths:
            plan, result = _run_import(database, paths, encoding, language, quiet=True)
            for line in import_summary(plan, result):
                severity = "error" if line.startswith("error:") else "information"
                messages.append((line, severity))
        from annotator.app import AnnotatorApp  # Textual's import cost is paid only here

        app = AnnotatorApp(database, settings.annotator, startup_messages=messages)
        app.run()
        if app.return_code:
            sys.exit(app.return_code)
    finally:
        database.close()


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--encoding", default=None, help="Text encoding of the files (default: UTF-8; UTF-16 with BOM is detected).")
@click.option("--lang", "language", default="id", show_default=True, help="Language for sentence splitting (e.g. id, en).")
@click.option("--dry-run", is_flag=True, help="Read and check the files; write nothing.")
@common_options
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[Path, ...], encoding: str | None, language: str, dry_run: bool,
               db: str | None, annotator: str | None) -> None:
    """Import .txt, .md and .jsonl files (folders recursively), or an `annotator export` file."""
    settings = settings_from(ctx, db, annotator)
    with open_db(settings, readonly=dry_run, lock_timeout=3.0) as database:
        plan, result = _run_import(database, paths, encoding, language, dry_run=dry_run)
    for line in import_summary(plan, result, dry_run):
        (echo_err if line.startswith(("error:", "skipped:")) else click.echo)(line)
    if plan.errors:
        echo_err(f"{len(plan.errors)} file(s) not imported; fix them and import again (the rest was imported)"
                 if not dry_run else f"{len(plan.errors)} file(s) would not be imported")
        sys.exit(2)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "sentences", "json"]), default="jsonl", show_default=True,
              help="jsonl: one article per line; sentences: one labeled sentence per line; json: one document.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="File to write (default: stdout).")
@click.option("--labeled-only", is_flag=True, help="Leave out articles with no labels.")
@click.option("--only", "only", multiple=True, metavar="NAME",
              help="Only these annotators' labels (repeatable). Default: everyone's.")
@common_options
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, output: Path | None, labeled_only: bool, only: tuple[str, ...],
               db: str | None, annotator: str | None) -> None:
    """Export the labels as a JSON dataset (schema in the README)."""
    from annotator.export import render, write_file

    settings = settings_from(ctx, db, annotator)
    if not settings.db_path.exists():
        from annotator.errors import DatabaseError

        raise DatabaseError(f"{sanitize_line(str(settings.db_path))}: no database here; import articles first or pass --db")
    with open_db(settings, readonly=True) as database:
        chunks = render(database, fmt, annotators=set(only) or None, labeled_only=labeled_only)
        if output is None:
            out = sys.stdout.buffer
            for chunk in chunks:
                out.write(chunk)
            out.flush()
        else:
            size = write_file(output, chunks)
            echo_err(f"wrote {sanitize_line(str(output))} ({size} bytes, format {fmt})")


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@common_options
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool, db: str | None, annotator: str | None) -> None:
    """Articles, sentences, labels per label and per annotator, progress."""
    from annotator.stats import compute, format_text

    settings = settings_from(ctx, db, annotator)
    if not settings.db_path.exists():
        from annotator.errors import DatabaseError

        raise DatabaseError(f"{sanitize_line(str(settings.db_path))}: no database here; import articles first or pass --db")
    with open_db(settings, readonly=True) as database:
        stats = compute(database, settings.annotator)
    if as_json:
        import orjson

        click.echo(orjson.dumps(stats.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_text(stats, str(settings.db_path)))


@cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@common_options
@click.pass_context
def verify_cmd(ctx: click.Context, as_json: bool, db: str | None, annotator: str | None) -> None:
    """Check the whole database, read-only (works while the app is open): one line per problem.

    Exits 3 if anything is damaged; leftovers of an interrupted import or save are
    reported as warnings and exit 0.
    """
    from annotator.errors import DatabaseError
    from annotator.verify import verify

    settings = settings_from(ctx, db, annotator)
    report = verify(settings.db_path)
    if as_json:
        import orjson

        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        for finding in report.findings:
            click.echo(sanitize_line(finding.line()))
        click.echo(sanitize_line(report.verdict()))
    if not report.ok:
        sys.exit(DatabaseError.exit_code)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="annotator", standalone_mode=False)
    except AnnotatorError as exc:
        echo_err(f"annotator: {exc.title.lower()}: {sanitize_line(exc.message)}")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        echo_err("annotator: aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        # A failure the code did not foresee (e.g. a stdout pipe closed early): one line, no traceback.
        if os.environ.get("ANNOTATOR_DEBUG"):
            raise
        where = f"{sanitize_line(str(exc.filename))}: " if exc.filename else ""
        echo_err(f"annotator: {where}{exc.strerror or exc}")
        sys.exit(1)
