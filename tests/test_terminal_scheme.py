"""Issue 12 as a new user meets it, in a real terminal (tmux): a label added to the scheme and
used with its digit and its letter, a label renamed, the samples' junk lines skipped with
`0` until both articles are done, then the export and `verify`."""

from __future__ import annotations

from pathlib import Path

import orjson

from annotator.export import read_record

from conftest import SAMPLES
import test_terminal_team as team
from test_terminal_team import Terminal, open_app, run

pytestmark = team.pytestmark  # skipped without tmux, as the team round is
terminals = team.terminals  # the fixture that closes every tmux server it opened

# Article 1 (ANTARA, 19 sentences): 13 of news, then Sumber, Baca juga, Penerjemah, Editor,
# Copyright, Dilarang keras.  Article 2 (22): its title, "by -14 Views", "[keyword]...", 19 of news.
ARTICLE_1 = ["4", "o", "1", *["3"] * 10, *["0"] * 6]
ARTICLE_2 = ["3", "0", "0", *["1"] * 19]


def test_add_a_label_use_it_rename_one_skip_the_junk_and_export(tmp_path: Path, terminals: list[Terminal]) -> None:
    run(tmp_path, "import", str(SAMPLES), "--annotator", "ana")
    added = run(tmp_path, "scheme", "add", "opinion", "--key", "o", "--description", "A view held by someone",
                "--annotator", "ana")
    assert "4/o   opinion" in added.stdout
    app = open_app(terminals, tmp_path, "label", "ana")
    app.wait_for("0/19 labeled", "g: the labels' definitions")
    app.keys(*ARTICLE_1[:2])
    shown = app.wait_for("2/19 labeled")
    assert shown.count("opinion") >= 2  # both sentences named in the margin
    app.keys(*ARTICLE_1[2:])
    app.wait_for("0/22 labeled", "1/2 articles done")  # the finished article moved on to the next
    app.keys(*ARTICLE_2)
    shown = app.wait_for("22/22 labeled", "2/2 articles done")
    assert "skip" in shown  # the margin names the skipped junk lines
    app.quit()

    run(tmp_path, "scheme", "rename", "claim", "assertion", "--annotator", "ana")
    out = run(tmp_path, "export", "--annotator", "ana").stdout
    labels = [s["label"] for line in out.splitlines() for s in read_record(line)["spans"]]
    assert labels.count("opinion") == 2 and labels.count("assertion") == 20 and "claim" not in labels
    assert labels.count("background") == 11 and "skip" not in labels and len(labels) == 33
    skipped = [s for line in out.splitlines() for s in read_record(line)["skipped"]]
    assert len(skipped) == 8
    rows = [orjson.loads(x) for x in run(tmp_path, "export", "--format", "sentences", "--include-skipped",
                                         "--annotator", "ana").stdout.splitlines()]
    junk = sorted(r["text"] for r in rows if r["label"] == "skip")
    assert junk[0] == "Baca juga: Trump sebut pertemuan dengan Putin di Alaska \"sangat produktif\"" and len(junk) == 8
    assert "ok: 2 articles, 41 sentences, 41 labels checked" in run(tmp_path, "verify", "--annotator", "ana").stdout
    stats = orjson.loads(run(tmp_path, "stats", "--json", "--annotator", "ana").stdout)
    assert stats["per_label"] == {"assertion": 20, "quote": 0, "background": 11, "opinion": 2, "skip": 8}

    # Reopened after the rename: the margin and the hint line use the new name.
    app = open_app(terminals, tmp_path, "label", "ana")
    shown = app.wait_for("19/19 labeled", "2/2 articles done")
    assert "assertion     Putin dan Presiden AS" in shown and "claim" not in shown
    app.keys("g")
    shown = app.wait_for("assertion (1/c)", "opinion (4/o): A view held by someone")
    app.keys("Escape")
    app.quit()
