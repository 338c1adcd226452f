"""Command line: ``annotator [label|import|export|stats|agree|verify|split|join|...]``.

Textual is imported only by ``label`` and ``review``, so the other commands start fast.  Every
``AnnotatorError`` becomes one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import functools
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from annotator import __version__
from annotator.errors import AnnotatorError, InputError
from annotator.sanitize import sanitize_line
from annotator.settings import (ENV_ANNOTATOR, ENV_DB, Settings, UserSettings, default_annotator,
                                load_user_settings, resolve)

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_MIN_FILES = 50
APP_MESSAGES = 8  # import summary lines shown as notifications when the app starts
# The same list as annotator.export.FORMATS (a test keeps them equal): not imported here, so
# `annotator --help` does not load the exporters.
EXPORT_FORMATS = ["jsonl", "sentences", "json", "csv", "spacy", "spacy-textcat", "doccano", "doccano-textcat",
                  "prodigy", "prodigy-textcat", "label-studio", "label-studio-config"]
_SURROGATE = re.compile("[\ud800-\udfff]")


def common_options(func: F) -> F:
    @click.option("--db", "db", metavar="PATH", default=None,
                  help=f"Database file [env {ENV_DB}; default annotations/annotations.json].")
    @click.option("--annotator", "annotator", metavar="NAME", default=None,
                  help=f"Your name on the labels [env {ENV_ANNOTATOR}; default your login name].")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def annotator_name(flag: str | None) -> str:
    """The reviewer's name: --annotator, else $ANNOTATOR, else the login name, checked where it
    came from (``names.check_name``).  ``--annotator ""`` is an error; an empty $ANNOTATOR is
    unset, as shells mean it."""
    from annotator.names import check_name

    if flag is not None:
        name, what, hint = flag, "--annotator", "give the name to label under, e.g. --annotator ana"
    elif os.environ.get(ENV_ANNOTATOR):
        name, what, hint = os.environ[ENV_ANNOTATOR], ENV_ANNOTATOR, f"set {ENV_ANNOTATOR} to another name or pass --annotator"
    else:
        name, what, hint = default_annotator(), "your login name", f"pass --annotator NAME (or set {ENV_ANNOTATOR})"
    if _SURROGATE.search(name):
        from annotator.importer import path_text

        raise InputError(f"--annotator {sanitize_line(path_text(name[:64]))}: the name is not valid UTF-8 "
                         f"(check --annotator or {ENV_ANNOTATOR}); labels need a name that can be saved")
    return check_name(name, what, hint)


def settings_from(ctx: click.Context, db: str | None, annotator: str | None) -> Settings:
    parent = ctx.find_root().params
    flag = annotator if annotator is not None else parent.get("annotator")
    name = annotator_name(flag)
    return Settings(db_path=resolve(db or parent.get("db"), name).db_path, annotator=name)


def check_db_file(path: Path) -> None:
    """A --db that exists must be a regular file (or a folder, which the storage explains):
    a FIFO would block the open and /dev/zero would be read forever."""
    from annotator.errors import DatabaseError
    from annotator.importer import file_kind

    try:
        st = os.stat(path)
    except OSError:
        return  # missing or unreadable: the storage says which
    kind = file_kind(st.st_mode)
    if kind is not None and kind != "a folder":
        raise DatabaseError(f"{_quote(path)} is {kind}, not a database file; use another --db")


@contextmanager
def open_db(settings: Settings, *, readonly: bool = False, lock_timeout: float = 0.0, alone: bool = False,
            role: str | None = None) -> Iterator[Any]:
    """The database, read-only, or writable beside other writers (``alone``: none other);
    with ``role`` ("label", "review") as the reviewer's one session of that kind."""
    from annotator.storage import Database

    check_db_file(settings.db_path)
    db = Database.open(settings.db_path, readonly=readonly, create=not readonly, lock_timeout=lock_timeout,
                       alone=alone, reviewer=settings.annotator if role else None, role=role or "label")
    try:
        yield db
    finally:
        db.close()


def shown(message: str) -> str:
    """A message for one output line: a file name byte that is not UTF-8 (a surrogate) as
    ``\\xNN``, as import stores it, and every control as its placeholder."""
    if _SURROGATE.search(message):
        message = _SURROGATE.sub(
            lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if "\udc80" <= m.group() <= "\udcff"
            else f"\\u{ord(m.group()):04x}", message)
    return sanitize_line(message)


def echo_err(msg: str) -> None:
    click.echo(msg, err=True)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--show-others/--blind", "show_others", default=None,
              help="With no command: show other reviewers' labels while labeling, or not (default: the "
                   "show_others setting, else blind).")
@click.version_option(__version__, prog_name="annotator")
@click.pass_context
def cli(ctx: click.Context, db: str | None, annotator: str | None, show_others: bool | None) -> None:
    """Label news articles sentence by sentence: claim, quote or background.

    Run without a command to open the labeling app (same as `annotator label`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(label, paths=(), db=db, annotator=annotator, show_others=show_others)
    elif show_others is not None:
        raise click.UsageError("--show-others goes with labeling: `annotator --show-others` or "
                               "`annotator label --show-others`")


def skip_bad_labels_option(func: F) -> F:
    return click.option(
        "--skip-bad-labels", is_flag=True,
        help="Import the labels that fit and report the rest (how many, why, from which file) without "
             "failing; by default labels that cannot be imported make the exit status 2.",
    )(func)


def max_size_option(func: F) -> F:
    return click.option(
        "--max-size", "max_size", metavar="SIZE", default="10MB", show_default=True,
        help="Largest article to import (file size; text size for .jsonl); 0 for no limit.",
    )(func)


def _import_args(encoding: str | None, max_size: str) -> int:
    """Check the import options before anything is opened; the size limit in bytes (0: none)."""
    from annotator.importer import check_encoding, parse_size

    check_encoding(encoding)
    return parse_size(max_size)


def _list(paths: tuple[Path, ...]) -> Any:
    """The files to read; a path that does not exist stops here, before any database is opened."""
    from annotator.importer import list_files

    return list_files(list(paths))


def _plan(listed: Any, encoding: str | None, language: str, max_bytes: int, *, progress: bool,
          reviewer: str = "") -> Any:
    from annotator.importer import plan_import

    # Listed first so that reading has a bar of known length too.  Text files are read when
    # written (split into sentences then, in worker processes), so an import holds a few
    # texts at a time and reads each once.
    if progress and sys.stderr.isatty() and len(listed.files) >= PROGRESS_MIN_FILES:
        with click.progressbar(length=len(listed.files), label="Reading", file=sys.stderr) as bar:
            return plan_import(listed, encoding=encoding, language=language, max_bytes=max_bytes,
                               on_file=lambda _: bar.update(1), reviewer=reviewer, keep_texts=False)
    return plan_import(listed, encoding=encoding, language=language, max_bytes=max_bytes, reviewer=reviewer,
                       keep_texts=False)


def _apply(db: Any, plan: Any, *, progress: bool) -> Any:
    from annotator.importer import apply_import, import_steps

    if progress and sys.stderr.isatty() and len(plan.items) + len(plan.texts) >= PROGRESS_MIN_FILES:
        with click.progressbar(length=import_steps(plan), label="Importing", file=sys.stderr) as bar:
            return apply_import(db, plan, progress=lambda n: bar.update(n - bar.pos))
    return apply_import(db, plan)


def _dry_labels(settings: Settings, plan: Any) -> Any:
    """The labels that would be imported and why others would not (a ``CheckedLabels``),
    checked against the database when there is one."""
    from annotator.importer import check_labels
    from annotator.model import DEFAULT_SCHEME

    if not settings.db_path.is_file():
        return check_labels(plan, DEFAULT_SCHEME)
    with open_db(settings, readonly=True) as db:
        return check_labels(plan, db.scheme, lambda aid: db.get_article(aid) if db.has_article(aid) else None)


def _skip_reasons(why: dict[str, int]) -> str:
    return ", ".join(f"{n} {sanitize_line(reason)}" for reason, n in sorted(why.items(), key=lambda kv: (-kv[1], kv[0])))


def label_lines(skips: dict[tuple[str, str], int], notes: dict[tuple[str, str], int], *, dry_run: bool = False,
                skip_bad_labels: bool = False) -> list[str]:
    """The labels an import left out, one line per file and reason with its count, after a
    line with the total; then what the files' tools set aside (rejected, cancelled), per file.
    Without ``skip_bad_labels`` the left-out labels are errors (the import exits 2)."""
    lines = []
    if skips:
        n, would = sum(skips.values()), "would be " if dry_run else ""
        tag = "skipped:" if skip_bad_labels else "error:"
        lines.append(f"skipped: {n} label(s) {would}left out (--skip-bad-labels):" if skip_bad_labels else
                     f"error: {n} label(s) {would}skipped; fix them in the file and import it again, or pass "
                     f"--skip-bad-labels to leave them out:")
        order = {f: i for i, f in enumerate(dict.fromkeys(f for f, _ in skips))}  # files in the order read
        for (file, why), count in sorted(skips.items(), key=lambda kv: (order[kv[0][0]], -kv[1], kv[0][1])):
            lines.append(f"{tag} {file + ': ' if file else ''}{count} label(s): {sanitize_line(why)}")
    for (file, note), count in notes.items():
        lines.append(f"{file + ': ' if file else ''}{sanitize_line(note.replace('{n}', str(count)))}")
    return lines


def _sources(paths: tuple[Path, ...]) -> str:
    """The paths an import was given, for a line that must name where something came from."""
    from annotator.importer import quote_path

    named = ", ".join(quote_path(p) for p in paths[:3])
    return named + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def import_summary(plan: Any, result: Any, dry_run: bool = False, checked: Any = None,
                   notes_shown: int | None = None, source: str = "the imported files",
                   skip_bad_labels: bool = False) -> list[str]:
    """The import's report, one line each: counts, then every error, then notes.

    Lines starting ``error:`` or ``skipped:`` belong on stderr; every name and reason in
    them has been made safe to print.  More than ``notes_shown`` notes are summed up.
    ``checked`` is what a dry run's ``check_labels`` found (a real import's result has it).
    """
    from annotator.importer import NOTES_SHOWN, dry_run_counts

    lines: list[str] = []
    if result is not None:
        lines.append(
            f"{len(result.added)} new article(s), {len(result.present)} already present, "
            f"{result.sentences_added} sentence(s) added"
        )
        added, updated, unchanged, skipped = result.labels
        if added or updated or unchanged or skipped:
            lines.append(f"labels: {added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped")
        if result.merge is not None:
            from annotator.merge import ahead_lines, conflict_lines

            m = result.merge
            if m.removed:
                lines.append(f"labels: {m.removed} taken off (the reviewer cleared them later, in the file)")
            if m.decisions_added or m.decisions_updated or m.decisions_skipped:
                lines.append(f"final labels: {m.decisions_added} added, {m.decisions_updated} updated, "
                             f"{m.decisions_unchanged} unchanged, {m.decisions_skipped} skipped")
            if m.history_added or m.history_skipped:
                lines.append(f"history: {m.history_added} decision(s) added"
                             + (f", {m.history_skipped} skipped (sentence or label not in this database)"
                                if m.history_skipped else ""))
            if m.notes_added or m.notes_updated or m.notes_skipped:
                lines.append(f"notes and flags: {m.notes_added} added, {m.notes_updated} updated"
                             + (f", {m.notes_skipped} skipped (not a sentence here, or not one line of at most "
                                f"500 printable characters)" if m.notes_skipped else ""))
            lines.extend(shown(x) for x in conflict_lines(m))
            lines.extend(shown(x) for x in ahead_lines(m, source))
        skips, notes = result.label_skips, result.label_notes
    else:
        n_art, n_sent = dry_run_counts(plan)
        n_labels = len(checked.labels) + len(checked.decisions) if checked is not None else 0
        more = f" and {n_labels} label(s)" if n_labels else ""
        lines.append(f"dry run: {n_art} article(s) with {n_sent} sentence(s){more} would be imported")
        skips, notes = (checked.skipped, checked.notes) if checked is not None else ({}, {})
    lines.extend(label_lines(skips, notes, dry_run=dry_run, skip_bad_labels=skip_bad_labels))
    for s in plan.skipped:
        if s.error:
            lines.append(f"error: {s.path}: {shown(s.reason)}")
    notes = [s for s in plan.skipped if not s.error]
    limit = NOTES_SHOWN if notes_shown is None else notes_shown
    for s in notes[:limit]:
        lines.append(f"skipped: {s.path}: {shown(s.reason)}")
    if len(notes) > limit:
        rest: dict[str, int] = {}
        for s in notes[limit:]:
            rest[s.reason] = rest.get(s.reason, 0) + 1
        lines.append(f"skipped: {len(notes) - limit} more file(s): {_skip_reasons(rest)}")
    return lines


@cli.command("label")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--encoding", default=None, help="Text encoding of the files to import (default: UTF-8).")
@click.option("--lang", "language", default="id", show_default=True, help="Language for sentence splitting.")
@click.option("--show-others/--blind", "show_others", default=None,
              help="Show other reviewers' labels of the current sentence, or only your own (default: the "
                   "show_others setting, else blind).")
@click.option("--suggest", "suggest", metavar="NAME", default=None,
              help="Suggest labels as you go: rules (quotations with attribution, boilerplate lines) or model "
                   "(learns from the project's labels; needs annotator[suggest]); none for no suggestions. "
                   "enter accepts one, a a screen. Default: the suggest setting (annotator config).")
@click.option("--suggest-cmd", metavar="CMD", default=None,
              help="Suggest with a command of your own that speaks JSON Lines (docs/suggest-protocol.md).")
@click.option("--min-score", type=float, default=0.5, show_default=True,
              help="Show only suggestions this sure or surer (0 to 1).")
@click.option("--suggest-timeout", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="With --suggest-cmd: the longest one article's suggestions may take.")
@click.option("--order", type=click.Choice(["file", "uncertain"]), default="file", show_default=True,
              help="file: the articles in import order; uncertain: those the model (trained on the project's labels "
                   "now) is least sure of first.")
@click.option("--suggest-everywhere", is_flag=True,
              help="Suggest on articles shared for agreement (assign --overlap) too; by default they get none, "
                   "so agreement measures people.")
@max_size_option
@skip_bad_labels_option
@common_options
@click.pass_context
def label(ctx: click.Context, paths: tuple[Path, ...], db: str | None, annotator: str | None,
          encoding: str | None = None, language: str = "id", max_size: str = "10MB",
          show_others: bool | None = None, skip_bad_labels: bool = False, suggest: str | None = None,
          suggest_cmd: str | None = None, min_score: float = 0.5, suggest_timeout: float = 30.0,
          suggest_everywhere: bool = False, order: str = "file") -> None:
    """Open the labeling app; PATHS (files or folders) are imported first.

    Your settings (`annotator config`) are the defaults; the options here win over them."""
    settings = settings_from(ctx, db, annotator)
    user = load_user_settings()
    show_others, suggest = label_choices(user, show_others, suggest, suggest_cmd)
    max_bytes = _import_args(encoding, max_size)
    from annotator.suggest.choose import BUILT_IN, choose

    stored = suggest if suggest is not None and suggest not in BUILT_IN and suggest_cmd is None else None
    # Checked before anything opens (pre-labels kept with the database are read once it is open).
    suggester = None if stored else choose(suggest, suggest_cmd, min_score=min_score, timeout=suggest_timeout)
    if order == "uncertain":
        from annotator.suggest.model import require_sklearn

        require_sklearn()
    listed = _list(paths) if paths else None
    from annotator.storage import Database

    check_db_file(settings.db_path)
    database = Database.open(settings.db_path, reviewer=settings.annotator)  # beside other reviewers, not twice
    try:
        messages: list[tuple[str, str]] = [(line, "error") for line in user.problems]
        if listed is not None:
            plan = _plan(listed, encoding, language, max_bytes, progress=True, reviewer=settings.annotator)
            result = _apply(database, plan, progress=True)
            lines = import_summary(plan, result, notes_shown=3, source=_sources(paths),
                                   skip_bad_labels=skip_bad_labels)
            if len(lines) > APP_MESSAGES:
                hidden = len(lines) - APP_MESSAGES + 1
                lines = lines[: APP_MESSAGES - 1] + [
                    f"error: {hidden} more line(s) of the import report; `annotator import --dry-run PATH...` lists them"
                ]
            for line in lines:
                messages.append((line, "error" if line.startswith("error:") else "information"))
        from annotator.app import AnnotatorApp  # Textual's import cost is paid only here

        live = None
        if stored is not None:
            from annotator.suggest.stored import StoredSuggester

            suggester = StoredSuggester(database, stored)
        if suggester is not None:
            from annotator.suggest.live import LiveSuggestions

            live = LiveSuggestions(suggester, everywhere=suggest_everywhere, min_score=min_score)
        ids = _uncertain_order(database, settings.annotator) if order == "uncertain" else None
        app = AnnotatorApp(database, settings.annotator, startup_messages=messages, show_others=show_others,
                           suggestions=live, order=ids, auto_next=user.auto_next, theme=user.theme,
                           list_width=user.list_width, user_settings=user)
        try:
            app.run()
        finally:
            if live is not None:
                live.close()
            import gc

            gc.enable()  # the app turns collection off until its first screen; it may not have got there
        if app.return_code:
            sys.exit(app.return_code)
    finally:
        database.close()


def label_choices(user: UserSettings, show_others: bool | None, suggest: str | None,
                  suggest_cmd: str | None) -> tuple[bool, str | None]:
    """``label``'s show-others and suggester: the option, else the user's setting, else the default
    (blind, no suggestions); ``--suggest none`` turns a suggest setting off, ``--suggest-cmd`` replaces it."""
    if show_others is None:
        show_others = user.show_others
    if suggest is None and suggest_cmd is None:
        suggest = user.suggest
    if suggest == "none":
        suggest = None
    return show_others, suggest


def _uncertain_order(database: Any, annotator: str) -> list[str]:
    """The article ids for ``label --order uncertain``, a model trained on the project's labels first."""
    from annotator.suggest.model import train
    from annotator.suggest.order import project_examples, uncertain_first

    model = train(project_examples(database))  # NotEnoughLabels: one line, exit 2
    n = len(database.article_infos())
    if sys.stderr.isatty() and n >= PROGRESS_MIN_FILES:
        with click.progressbar(length=n, label="Ordering by uncertainty", file=sys.stderr) as bar:
            return uncertain_first(database, annotator, model, progress=lambda k: bar.update(k - bar.pos))
    return uncertain_first(database, annotator, model)


@cli.command("review")
@common_options
@click.pass_context
def review_cmd(ctx: click.Context, db: str | None, annotator: str | None) -> None:
    """Adjudicate: choose the final label where reviewers disagree (unanimous labels stand).

    Opens a queue of the disputed sentences, each in its article with every reviewer's
    label; the final label, who chose it (--annotator) and why are saved at once.
    """
    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    with open_db(settings, role="review") as database:  # beside reviewers; the same lead twice is refused
        from annotator.ui.review import ReviewApp  # Textual's import cost is paid only here

        user = load_user_settings()
        app = ReviewApp(database, settings.annotator, theme=user.theme, user_settings=user)
        app.run()
    if app.return_code:
        sys.exit(app.return_code)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--encoding", default=None, help="Text encoding of the files (default: UTF-8; UTF-16 with BOM is detected).")
@click.option("--lang", "language", default="id", show_default=True, help="Language for sentence splitting (e.g. id, en).")
@click.option("--dry-run", is_flag=True, help="Read and check the files; write nothing.")
@click.option("--skip-pattern", "skip_patterns", multiple=True, metavar="REGEX",
              help="Mark sentences this regular expression finds as skip (not applicable) for you, e.g. "
                   "'^Editor:' or 'Copyright'; repeatable.  Your own decisions always win.")
@max_size_option
@skip_bad_labels_option
@common_options
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[Path, ...], encoding: str | None, language: str, dry_run: bool,
               max_size: str, skip_bad_labels: bool, db: str | None, annotator: str | None,
               skip_patterns: tuple[str, ...] = ()) -> None:
    """Import .txt, .md, .jsonl, .json, .csv and .spacy files (folders recursively), or an `annotator export` file.

    .jsonl: plain {"text"} lines, `annotator export` files (also --gold and --format
    sentences), doccano exports and Prodigy tasks; .json: a Label Studio export; .csv: our
    csv export; .spacy: a spaCy DocBin (spaCy needed).  Other tools' labels are kept where
    they fall on a sentence; the rest are reported.

    Every file is read and checked first; a bad file is reported (with the line, for
    .jsonl) and left out, the rest is imported.  Exit status 2 if anything was left out
    (labels too, unless --skip-bad-labels).
    """
    settings = settings_from(ctx, db, annotator)
    max_bytes = _import_args(encoding, max_size)
    from annotator.skip_rules import compile_patterns, skip_marks

    patterns = compile_patterns(skip_patterns)  # before anything is read: a typo costs nothing
    listed = _list(paths)
    checked = None
    marked = 0
    if dry_run:
        plan, result = _plan(listed, encoding, language, max_bytes, progress=True, reviewer=settings.annotator), None
        checked = _dry_labels(settings, plan)
        label_skips = checked.skipped
    else:
        # Opened before reading: a database in use or damaged is reported at once, not after the files.
        with open_db(settings, lock_timeout=3.0) as database:
            plan = _plan(listed, encoding, language, max_bytes, progress=True, reviewer=settings.annotator)
            result = _apply(database, plan, progress=True)
            label_skips = result.label_skips
            if patterns:
                marks = skip_marks(database, [*result.added, *result.present], patterns, settings.annotator)
                marked = database.merge(marks).added if marks else 0
    for line in import_summary(plan, result, dry_run, checked, source=_sources(paths),
                               skip_bad_labels=skip_bad_labels):
        (echo_err if line.startswith(("error:", "skipped:")) else click.echo)(line)
    if patterns and not dry_run:
        click.echo(f"--skip-pattern: {marked} sentence(s) marked skip for {sanitize_line(settings.annotator)}")
    failed = []
    if plan.errors:
        failed.append(f"{len(plan.errors)} file(s)")
    if label_skips and not skip_bad_labels:
        failed.append(f"{sum(label_skips.values())} label(s)")
    if failed:
        what = " and ".join(failed)
        rest = " (the rest was imported)" if result is not None and (result.added or result.present) else ""
        echo_err(f"{what} not imported; fix them and import again{rest}" if not dry_run else f"{what} would not be imported")
        sys.exit(2)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True,
              help="jsonl: one article per line; sentences: one labeled sentence per line; json: the jsonl "
                   "records as one array; csv: the sentence rows for spreadsheets; spacy: a DocBin with the "
                   "labels as doc.spans; spacy-textcat: a DocBin of sentences with doc.cats; doccano, prodigy, "
                   "label-studio: those tools' import files (-textcat: a task per sentence); "
                   "label-studio-config: the labeling config for the label-studio tasks.")
@click.option("--spans-key", default="sc", show_default=True, metavar="KEY",
              help="With --format spacy: the doc.spans key the labels go under (spancat reads sc).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="File to write (default: stdout).")
@click.option("--labeled-only", is_flag=True, help="Leave out articles with no labels.")
@click.option("--only", "only", multiple=True, metavar="NAME",
              help="Only these annotators' labels (repeatable). Default: everyone's.")
@click.option("--gold", is_flag=True,
              help="One final label per sentence: unanimous or adjudicated (`annotator review`); "
                   "sentences still in dispute are left out and counted.")
@click.option("--history", is_flag=True,
              help="Add each article's history: every decision (label, clear, undo, redo, final label) with "
                   "who, what, when and from what; imports back with it (jsonl, json).")
@click.option("--split", "split", metavar="NAME=RATIO,...", default=None,
              help="Split by article into one file per split in the -o FOLDER, e.g. train=0.8,dev=0.1,test=0.1: "
                   "no article in two splits, stratified by label; only labeled articles; counts printed.")
@click.option("--seed", metavar="N", default=None,
              help="With --split: the seed (a whole number) that chooses the split [default 0].")
@click.option("--include-skipped", is_flag=True,
              help="Keep sentences skipped as not applicable (key 0), as the label skip; left out by default.")
@common_options
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, output: Path | None, labeled_only: bool, only: tuple[str, ...],
               gold: bool, history: bool, split: str | None, seed: str | None, db: str | None,
               annotator: str | None, spans_key: str = "sc", include_skipped: bool = False) -> None:
    """Export the labels as a JSON dataset (schema in the README)."""
    from annotator.export import GoldTally, render, write_file

    settings = settings_from(ctx, db, annotator)
    if output is not None:
        from annotator.outputs import check_output_path

        check_output_path(settings.db_path, output, "-o")  # before anything is read: nothing half-done
    if gold and only:
        raise InputError("--gold and --only cannot be combined: gold labels come from every reviewer; "
                         "drop --only, or export one reviewer's labels without --gold")
    if history and fmt not in ("jsonl", "json"):
        raise InputError("--history needs --format jsonl or json: a sentence row has no room for a history")
    if fmt.startswith("spacy") and output is None and split is None:
        raise InputError(f"--format {fmt} writes a binary .spacy file; give it with -o FILE.spacy")
    if gold and history:
        raise InputError("--gold and --history cannot be combined: gold has one final label per sentence; "
                         "export the history without --gold")
    _require_db(settings)
    if split is not None or seed is not None:
        from annotator.splits import export_splits

        export_splits(settings.db_path, split, seed, output, fmt=fmt, annotators=set(only) or None, gold=gold,
                      history=history, open_db=lambda: open_db(settings, readonly=True), echo=echo_err,
                      include_skipped=include_skipped)
        return
    tally = GoldTally() if gold else None
    with open_db(settings, readonly=True) as database:
        # Made whole before a byte is written: a damaged file stops the export with nothing out.
        data = b"".join(render(database, fmt, annotators=set(only) or None, labeled_only=labeled_only, gold=tally,
                                  history=history, spans_key=spans_key, include_skipped=include_skipped))
    if output is None:
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
    else:
        size = write_file(output, [data])
        echo_err(f"wrote {_quote(output)} ({size} bytes, format {fmt}{', gold' if gold else ''})")
    for line in tally.report() if tally is not None else []:
        echo_err(line)


def _quote(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    from annotator.importer import quote_path

    return quote_path(path)


def _require_db(settings: Settings) -> None:
    if not settings.db_path.exists():
        from annotator.errors import DatabaseError

        raise DatabaseError(f"{_quote(settings.db_path)}: no database here; import articles first or pass --db")


def _json_out(value: Any) -> None:
    """Print JSON that is safe on a terminal: names that are not UTF-8 escaped as stored, C1 escaped."""
    import orjson

    from annotator.export import json_escape_unsafe
    from annotator.importer import path_text

    def safe(v: Any) -> Any:
        if isinstance(v, str):
            return path_text(v) if _SURROGATE.search(v) else v
        if isinstance(v, dict):
            return {safe(k): safe(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [safe(x) for x in v]
        return v

    click.echo(json_escape_unsafe(orjson.dumps(safe(value), option=orjson.OPT_INDENT_2)).decode())


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (every figure, pace included).")
@click.option("--chart", is_flag=True, help="Also draw bar charts: progress, labels, decisions per hour, "
                                           "seconds per decision.")
@common_options
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool, db: str | None, annotator: str | None, chart: bool = False) -> None:
    """Reviewers with work: progress against their assignment, labels per label, decisions per hour,
    median time per decision, runs that look rushed; suggestions, flags and notes."""
    from annotator.stats import chart_lines, compute, format_text

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    with open_db(settings, readonly=True) as database:
        stats = compute(database, settings.annotator)
    if as_json:
        _json_out(stats.to_json())
    else:
        from annotator.importer import path_text

        click.echo(format_text(stats, path_text(settings.db_path)))
        if chart:
            click.echo("")
            click.echo("\n".join(chart_lines(stats)))


@cli.command("agree")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--include-skipped", is_flag=True,
              help="Count skip (not applicable) as a category of its own; by default a skip is no rating.")
@click.option("--suggester", metavar="NAME", default=None,
              help="Also rate a suggester (rules, or suggestions imported with `suggest import`) against each "
                   "reviewer and against gold, like another rater; for the model, see `annotator evaluate`.")
@click.option("--suggest-cmd", metavar="CMD", default=None, help="Also rate this suggestion command.")
@common_options
@click.pass_context
def agree_cmd(ctx: click.Context, as_json: bool, db: str | None, annotator: str | None,
              include_skipped: bool = False, suggester: str | None = None, suggest_cmd: str | None = None) -> None:
    """Agreement between reviewers on the sentences two or more of them labeled.

    Percent agreement, Cohen's kappa per pair, Fleiss' kappa, Krippendorff's alpha and
    Gwet's AC1, overall and per label, and the confusion matrices.
    """
    from annotator.agreement import collect_units, compute, format_text

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    if suggester == "model":
        raise InputError("--suggester model: a model rated on the labels it learned from says nothing; "
                         "`annotator evaluate --suggester model` rates it k-fold")
    with open_db(settings, readonly=True) as database:
        units, categories = collect_units(database, include_skipped)
        rater = None
        if suggester is not None or suggest_cmd is not None:
            from annotator.suggest.choose import choose
            from annotator.suggest.project import rate
            from annotator.suggest.stored import StoredSuggester

            chosen = (StoredSuggester(database, suggester) if suggester not in (None, "rules")
                      else choose(suggester, suggest_cmd, min_score=0.0, timeout=30.0))
            assert chosen is not None
            rater = rate(database, chosen, include_skipped)
    report = compute(units, categories)
    if as_json:
        _json_out({**report.to_json(), **({"suggester": rater.to_json()} if rater is not None else {})})
    else:
        click.echo(format_text(report))
        if rater is not None:
            click.echo("")
            for line in rater.lines():
                click.echo(line)


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
    check_db_file(settings.db_path)
    report = verify(settings.db_path)
    if as_json:
        _json_out(report.to_json())
    else:
        for finding in report.findings:
            click.echo(shown(finding.line()))
        click.echo(shown(report.verdict()))
    if not report.ok:
        sys.exit(DatabaseError.exit_code)


@cli.command("assign")
@click.option("--annotators", "names", required=True, metavar="NAMES",
              help="The reviewers, separated by commas: --annotators ana,budi,citra.")
@click.option("--overlap", type=float, default=0.0, show_default=True, metavar="SHARE",
              help="Share of articles (0-1) dealt to two reviewers, for agreement: 0.2 is 20%.")
@click.option("--redo", is_flag=True, help="Deal every article again (default: articles already assigned keep theirs).")
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
@common_options
@click.pass_context
def assign_cmd(ctx: click.Context, names: str, overlap: float, redo: bool, dry_run: bool,
               db: str | None, annotator: str | None) -> None:
    """Deal the articles out to reviewers: one each, a share to two.

    The same database and options always give the same plan.  Each reviewer's app then
    opens on their own articles first; `annotator stats` shows each one's progress.
    """
    from annotator.assign import check_overlap, format_plan, parse_annotators, plan

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    who = parse_annotators(names)
    check_overlap(overlap, who)  # before the database is opened: a bad option changes nothing
    with open_db(settings, readonly=dry_run, lock_timeout=3.0) as database:
        infos = database.article_infos()
        p = plan(infos, who, overlap, redo=redo)
        if not dry_run and p.assigned:
            database.set_assignments(p.assigned, p.record())
    for line in format_plan(p, len(infos), dry_run):
        click.echo(shown(line))


@cli.command("merge")
@click.argument("others", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="OTHER_DB...")
@common_options
@click.pass_context
def merge_cmd(ctx: click.Context, others: tuple[Path, ...], db: str | None, annotator: str | None) -> None:
    """Bring in other reviewers' databases (their annotations.json files); they are only read.

    Nothing here is overwritten: each reviewer's labels are kept apart.  If the same
    reviewer labeled a sentence differently in two places, the later decision wins and
    is listed.  Safe to run again: merging twice changes nothing.
    """
    from annotator.merge import format_report, merge_database

    settings = settings_from(ctx, db, annotator)
    failed = 0
    with open_db(settings, lock_timeout=3.0) as database:
        for other in others:
            try:
                report = merge_database(database, other)
            except AnnotatorError as e:
                # One unreadable database must not stop the others from coming in.
                echo_err(shown(f"error: {e.message}"))
                failed += 1
                continue
            for line in format_report(report):
                click.echo(shown(line))
    if failed:
        echo_err(f"{failed} database(s) not merged; fix them and run merge again (merging twice changes nothing)")
        sys.exit(InputError.exit_code)


@cli.command("split")
@click.argument("article", metavar="ARTICLE_ID")
@click.argument("offset", metavar="OFFSET")
@common_options
@click.pass_context
def split_cmd(ctx: click.Context, article: str, offset: str, db: str | None, annotator: str | None) -> None:
    """Split the sentence of ARTICLE_ID (as exports write it, art_...) that holds OFFSET.

    OFFSET is a code point of the article's text; each half is stripped of whitespace.  The
    labels on the sentence are retired (kept, in the export's `retired`), for every reviewer;
    undo it in the app (u).  The same as `s` in the app.
    """
    from annotator.resegment import resegment_line

    n = _whole_number(offset, "OFFSET", "a code point of the article's text, e.g. 120")
    _resegment(ctx, db, annotator, article,
               lambda database, aid, who: resegment_line(database, aid, database.split_sentence(aid, n, who)))


@cli.command("join")
@click.argument("article", metavar="ARTICLE_ID")
@click.argument("sentence", metavar="SENTENCE")
@common_options
@click.pass_context
def join_cmd(ctx: click.Context, article: str, sentence: str, db: str | None, annotator: str | None) -> None:
    """Join sentence SENTENCE of ARTICLE_ID (numbered from 0, as `export --format sentences`
    numbers them) with the next one.

    The labels on both are retired (kept, in the export's `retired`), for every reviewer;
    undo it in the app (u).  The same as `m` in the app.
    """
    from annotator.resegment import resegment_line

    n = _whole_number(sentence, "SENTENCE", "a sentence's number, from 0")
    _resegment(ctx, db, annotator, article,
               lambda database, aid, who: resegment_line(database, aid, database.join_sentences(aid, n, who)))


def _whole_number(value: str, name: str, what: str) -> int:
    if not re.fullmatch(r"[0-9]{1,12}", value.strip()):
        raise InputError(f"{name} {sanitize_line(value[:40])!r} is not a whole number; give {what}")
    return int(value)


def _resegment(ctx: click.Context, db: str | None, annotator: str | None, article: str,
               change: Callable[[Any, str, str], str]) -> None:
    from annotator.model import internal_id

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    aid = internal_id(article.strip())
    with open_db(settings, lock_timeout=3.0) as database:
        if not database.has_article(aid):
            raise InputError(f"no article {sanitize_line(article[:80])!r} in {_quote(settings.db_path)}; "
                             "`annotator export --format sentences` lists the ids")
        try:
            line = change(database, aid, settings.annotator)
        except ValueError as exc:
            raise InputError(f"article {sanitize_line(article[:80])}: {exc}; nothing changed") from None
    click.echo(shown(line))


def _safe_streams() -> None:
    """Nothing printed can fail to encode (a terminal set to a legacy charset): escape instead."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _show_click_error(exc: click.ClickException, argv: list[str]) -> None:
    """Click's own message (usage errors quote what was typed), made safe line by line."""
    buf = io.StringIO()
    exc.show(file=buf)
    text = buf.getvalue()
    if isinstance(exc, click.exceptions.NoSuchOption):
        # Click reads a file name such as "-dash.txt" as options ("-d ..."): say how to pass it.
        named = [a for a in argv if a.startswith("-") and len(a) > 1 and os.path.lexists(a)]
        if named:
            text = text.rstrip("\n") + f"\n(to import a file whose name starts with '-', write ./{named[0]} or put -- before it)"
    for line in text.splitlines():
        echo_err(sanitize_line(line))


def main(argv: list[str] | None = None) -> None:
    _safe_streams()
    try:
        cli.main(args=argv, prog_name="annotator", standalone_mode=False)
    except AnnotatorError as exc:
        echo_err(f"annotator: {exc.title.lower()}: {shown(exc.message)}")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        echo_err("annotator: aborted")
        sys.exit(130)
    except click.ClickException as exc:
        _show_click_error(exc, sys.argv[1:] if argv is None else argv)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`annotator export | head`): not an error of ours, nothing to say.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so that the exit's own flush cannot complain
        except (OSError, ValueError, AttributeError):
            pass
        sys.exit(1)
    except OSError as exc:
        # A failure the code did not foresee: one line, no traceback.
        if os.environ.get("ANNOTATOR_DEBUG"):
            raise
        where = f"{_quote(exc.filename)}: " if isinstance(exc.filename, (str, bytes, os.PathLike)) else ""
        echo_err(f"annotator: {where}{sanitize_line(exc.strerror or str(exc))}")
        sys.exit(1)


# Its own module (the edits are in annotator.schemes); registered here, after the helpers it uses.
from annotator.scheme_cli import scheme_cmd  # noqa: E402

cli.add_command(scheme_cmd)

from annotator.suggest_cli import evaluate_cmd, suggest_cmd  # noqa: E402

cli.add_command(suggest_cmd)
cli.add_command(evaluate_cmd)

from annotator.config_cli import config_cmd  # noqa: E402

cli.add_command(config_cmd)

from annotator.serve_cli import serve_cmd  # noqa: E402

cli.add_command(serve_cmd)
