"""``annotator suggest`` (pre-labels kept as suggestions) and ``annotator evaluate`` (a
suggester judged k-fold on the project's labels); the work is in ``annotator.suggest``."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import _json_out, _require_db, common_options, echo_err, open_db, settings_from
from annotator.errors import InputError
from annotator.sanitize import sanitize_line


@click.group("suggest")
def suggest_cmd() -> None:
    """Suggestions kept with the database: pre-labels imported from a file (say, an LLM run),
    offered in the app with `annotator label --suggest NAME`, never counted as anyone's labels."""


@suggest_cmd.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as", "name", required=True, metavar="NAME", help="The suggestions' name (their source).")
@common_options
@click.pass_context
def suggest_import(ctx: click.Context, file: Path, name: str, db: str | None, annotator: str | None) -> None:
    """Store the pre-labels of FILE.jsonl as suggestions named NAME (replacing any of that name).

    One sentence a line: {"article_id", "start", "end", "label", "score"} or our
    `export --format sentences` rows; every line that cannot be used is counted by reason.
    """
    from annotator.importer import stat_given
    from annotator.suggest.imported import database_lookup, read_prelabels
    from annotator.suggest.stored import path_of, save

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    stat_given(file, "give the JSON Lines file of pre-labels to import")
    with open_db(settings) as database:
        path_of(database, name)  # a name that cannot be a file name: refused before reading
        report = read_prelabels(file, name, database_lookup(database), database.scheme)
        if not report.suggestions:
            raise InputError(f"{sanitize_line(str(file))}: no usable suggestion in it ({report.unused} line(s) not "
                             f"used); see the format in `annotator suggest import --help`")
        where = save(database, name, report.suggestions)
    first, *rest = report.report()
    click.echo(sanitize_line(first) + f"; kept in {sanitize_line(str(where))}")
    for line in rest:
        echo_err("skipped: " + sanitize_line(line.strip()))
    click.echo(f"offer them with: annotator label --suggest {name}")


@suggest_cmd.command("list")
@common_options
@click.pass_context
def suggest_list(ctx: click.Context, db: str | None, annotator: str | None) -> None:
    """The suggestion names this database keeps, besides the built-in rules and model."""
    from annotator.suggest.stored import names

    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    with open_db(settings, readonly=True) as database:
        kept = names(database)
    click.echo("built in: rules, model")
    click.echo("imported: " + (", ".join(sanitize_line(n) for n in kept) if kept else "none"))


@click.command("evaluate")
@click.option("--suggester", "name", default="rules", show_default=True, metavar="NAME",
              help="rules, model, or majority (the most common label: a floor to beat).")
@click.option("--folds", "k", type=int, default=5, show_default=True, help="k of the k-fold, by article.")
@click.option("--min-score", type=float, default=0.5, show_default=True,
              help="Suggestions below this score are not shown (they count as none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Which articles go to which fold.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@common_options
@click.pass_context
def evaluate_cmd(ctx: click.Context, name: str, k: int, min_score: float, seed: int, as_json: bool,
                 db: str | None, annotator: str | None) -> None:
    """A suggester judged k-fold by article on the project's labels (gold where there is one):
    accuracy, coverage, per-label precision / recall / F1, and the keys per sentence a reviewer
    would press (1 per screen of correct suggestions accepted with a, 1 per wrong or missing
    one; labeling by hand is 1.0)."""
    from annotator.suggest.evaluate import evaluate
    from annotator.suggest.project import labeled_articles

    if name not in ("rules", "model", "majority"):
        raise InputError(f"--suggester {sanitize_line(name)}: choose rules, model or majority")
    if name == "model":
        from annotator.suggest.model import require_sklearn

        require_sklearn()
    settings = settings_from(ctx, db, annotator)
    _require_db(settings)
    with open_db(settings, readonly=True) as database:
        articles = labeled_articles(database)
    if len(articles) < max(k, 2):
        raise InputError(f"{len(articles)} labeled article(s): --folds {k} needs at least {max(k, 2)}; "
                         f"label more articles or give fewer --folds")
    report = evaluate(articles, name, k=k, seed=seed, min_score=min_score)
    if as_json:
        _json_out(report.to_json())
        return
    click.echo(f"{name}: {k}-fold by article over {report.sentences} labeled sentence(s) in {len(articles)} "
               f"article(s)" + (f", trained on {report.train_sentences} a fold" if name == "model" else ""))
    click.echo(f"accuracy {report.accuracy:.3f}  coverage {report.coverage:.3f}  precision {report.precision:.3f}")
    click.echo(f"keys per sentence {report.keys_per_sentence:.2f} (accepting a screen at a time; by hand 1.00), "
               f"{report.keys_per_sentence_strict:.2f} going top to bottom")
    for label, s in sorted(report.per_label.items()):
        if not s.support and not s.suggested:
            continue
        click.echo(f"  {sanitize_line(label):<16} precision {s.precision:.3f}  recall {s.recall:.3f}  "
                   f"F1 {s.f1:.3f}  ({s.support} sentence(s))")
