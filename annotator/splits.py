"""Train/dev/test splits without leakage: whole articles, stratified by label, stable.

``annotator export --split train=0.8,dev=0.1,test=0.1 [--seed N] -o FOLDER`` writes one
file per split.  The assignment (``assign``) is pure: it sees only each labeled article's
id and label counts, the ratios and the seed.

How an article gets its split
-----------------------------
Every article goes to exactly one split, whole: its sentences, and every reviewer's label
of them, are never in two splits.  Articles with no label are left out.

Articles are grouped in *strata* by their label profile: (most frequent label, second
most frequent label, size class ``floor(log2(labels))``).  Within a stratum the articles
are put in the order of a per-article seeded hash, ``blake2b(seed, article id)``, and dealt
out as contiguous blocks in the ratios' proportions, starting at a seeded offset (a
systematic sample): article ``i`` of ``n`` sits at ``(i + offset) / n`` in ``[0, 1)`` and
goes to the split whose share of ``[0, 1)`` holds that point.  So each split gets its
share of every kind of article (claim-heavy, quote-heavy, long, short), which is what
keeps the label distributions of the splits alike, as far as whole articles allow.

What is guaranteed
------------------
- No article in two splits; every labeled article in exactly one.
- Deterministic: the result depends only on the seed, the ratios and each labeled
  article's id and label counts: not on import order, file names or the machine.  The
  same database and seed give the same files, byte for byte.
- Proportions: within a stratum of ``n`` articles a split of ratio ``r`` gets
  ``floor(r*n)`` or ``ceil(r*n)`` of them, so a split's article count is within one per
  stratum of ``r * total`` (and unbiased: the offsets are random).
- Stable: adding or removing one labeled article moves at most ``k - 1`` other
  articles to another split (``k`` splits), all from its own stratum (one across each
  boundary between neighbouring splits); an article that changes stratum as it is
  labeled counts as one removal and one addition.  Adding 1% to a 10,000-article project
  moves about 0.2% of the old articles.  A new seed or new ratios may move any article.

Why not a greedy deal (each article, in hash order, to the split furthest below its
targets)?  It balances labels very closely, but each choice depends on every earlier one:
adding 1% of articles to 10,000 moved a third of the old ones (as a fresh random split
would), so last month's test articles would be in this month's train set.  Any
interleaving deal does this; dealing contiguous blocks of a hash order is what keeps
articles where they were.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import ExportError, InputError
from annotator.model import SKIP
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.export import GoldTally
    from annotator.storage import Database

# File extension per export format; any other format is written as ``<split>.<format>``.
EXTENSIONS: dict[str, str] = {
    "jsonl": "jsonl", "sentences": "jsonl", "json": "json", "csv": "csv", "spacy": "spacy", "spacy-textcat": "spacy",
    "doccano": "jsonl", "doccano-textcat": "jsonl", "prodigy": "jsonl", "prodigy-textcat": "jsonl",
    "label-studio": "json",
}

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RATIO = re.compile(r"\d{1,12}(?:\.\d{0,12})?|\.\d{1,12}")
_SEED = re.compile(r"[+-]?\d{1,30}")
_EXAMPLE = "e.g. --split train=0.8,dev=0.1,test=0.1"
_ONE = 1 << 64  # hash values are 64-bit integers: offset = h / 2**64


def _shown(text: str, limit: int = 40) -> str:
    text = sanitize_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class SplitSpec:
    """The splits asked for: names in order and their ratios, normalized to sum to 1."""

    parts: tuple[tuple[str, Fraction], ...]
    given_sum: Fraction = Fraction(1)  # the ratios' sum as written

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    @property
    def normalized(self) -> bool:
        return self.given_sum != 1

    def describe(self) -> str:
        return ", ".join(f"{name} {_ratio_text(r)}" for name, r in self.parts)


def _ratio_text(r: Fraction) -> str:
    return f"{float(r):.4g}"


def make_spec(parts: Iterable[tuple[str, Fraction | float | int]]) -> SplitSpec:
    """A SplitSpec from (name, positive ratio) pairs, normalized (no name checks: see ``parse_split``)."""
    pairs = [(name, Fraction(r)) for name, r in parts]
    if not pairs or any(r <= 0 for _, r in pairs):
        raise ValueError("ratios must be positive, at least one")
    total = sum((r for _, r in pairs), Fraction(0))
    return SplitSpec(tuple((name, r / total) for name, r in pairs), total)


def parse_split(text: str) -> SplitSpec:
    """``train=0.8,dev=0.1,test=0.1`` as a SplitSpec; InputError (one line) for anything else.

    Names are letters, digits, ``-`` and ``_`` (they name files), unique even ignoring case;
    ratios are positive decimal numbers, normalized when they do not sum to 1."""
    shown = f"--split {_shown(text)}"
    parts: list[tuple[str, Fraction]] = []
    seen: dict[str, str] = {}
    for item in text.split(","):
        name, eq, ratio = (s.strip() for s in item.partition("="))
        if not item.strip():
            raise InputError(f"{shown}: an empty entry; give NAME=RATIO pairs separated by commas, {_EXAMPLE}")
        if not eq:
            raise InputError(f"{shown}: {_shown(item.strip())!r} has no ratio; give NAME=RATIO, {_EXAMPLE}")
        if not _NAME.fullmatch(name):
            raise InputError(f"{shown}: the split name {_shown(name)!r} is not usable as a file name; use 1 to 64 "
                             f"letters, digits, - and _, {_EXAMPLE}")
        if name.lower() in seen:
            raise InputError(f"{shown}: the split name {name!r} is given twice"
                             + (f" (as {seen[name.lower()]!r}: file names may ignore case)"
                                if seen[name.lower()] != name else "") + "; give each split its own name")
        if not _RATIO.fullmatch(ratio):
            raise InputError(f"{shown}: {name}'s ratio {_shown(ratio)!r} is not a number; give a positive decimal "
                             f"such as 0.8, {_EXAMPLE}")
        value = Fraction(ratio)
        if value <= 0:
            raise InputError(f"{shown}: {name}'s ratio is {ratio}; each ratio must be above 0 (leave a split out "
                             "instead)")
        seen[name.lower()] = name
        parts.append((name, value))
    return make_spec(parts)


def parse_seed(text: str | None) -> int:
    """``--seed``: a whole number (default 0); InputError (one line) for anything else."""
    if text is None:
        return 0
    if not _SEED.fullmatch(text.strip()):
        raise InputError(f"--seed {_shown(text)}: not a whole number; give one such as --seed 42")
    return int(text.strip())


def file_name(split: str, fmt: str) -> str:
    """The file a split is written to: ``train.jsonl`` (``EXTENSIONS``, else the format's name)."""
    return f"{split}.{EXTENSIONS.get(fmt, fmt)}"


# ----------------------------------------------------------------------------- assignment (pure)


def _hash64(*parts: str) -> int:
    data = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def order_key(seed: int, article_id: str) -> int:
    """An article's place in the seeded order: depends on the seed and its id alone."""
    return _hash64("article", str(seed), article_id)


def stratum(counts: Mapping[str, int]) -> tuple[str, str, int]:
    """An article's label profile: its most frequent label, its second ("" if none; ties
    by name) and its size class ``floor(log2(labels))``."""
    used = sorted((name for name, n in counts.items() if n > 0), key=lambda name: (-counts[name], name))
    total = sum(counts[name] for name in used)
    return (used[0] if used else "", used[1] if len(used) > 1 else "", total.bit_length() - 1)


def assign(counts: Mapping[str, Mapping[str, int]], spec: SplitSpec, seed: int = 0) -> dict[str, str]:
    """article id -> split name for every article with at least one label in ``counts``
    (article id -> {label: count}); the others are left out.  See the module's docstring."""
    bounds: list[tuple[str, int, int]] = []  # (split, numerator, denominator) of its upper end in [0, 1]
    upper = Fraction(0)
    for name, r in spec.parts:
        upper += r
        bounds.append((name, upper.numerator, upper.denominator))
    strata: dict[tuple[str, str, int], list[tuple[int, str]]] = {}
    for aid, c in counts.items():
        if any(n > 0 for n in c.values()):
            strata.setdefault(stratum(c), []).append((order_key(seed, aid), aid))
    out: dict[str, str] = {}
    for key, members in strata.items():
        members.sort()
        n = len(members)
        offset = _hash64("stratum", str(seed), *key[:2], str(key[2]))
        # Article i sits at (i + offset / 2**64) / n; compared exactly, in integers.
        for i, (_, aid) in enumerate(members):
            x = i * _ONE + offset
            for name, p, q in bounds:
                if x * q < p * n * _ONE:
                    break
            out[aid] = name  # the last split when rounding left nothing (it cannot: the last bound is 1)
    return out


# ----------------------------------------------------------------------------- counts and the table


@dataclass(slots=True)
class SplitCounts:
    """What one split (or all of them) holds: articles, labeled sentences, labels by name."""

    articles: int = 0
    sentences: int = 0
    labels: dict[str, int] = field(default_factory=dict)

    def add(self, sentences: int, labels: Mapping[str, int]) -> None:
        self.articles += 1
        self.sentences += sentences
        for name, n in labels.items():
            self.labels[name] = self.labels.get(name, 0) + n


def count_splits(assignment: Mapping[str, str], names: Sequence[str], sentences: Mapping[str, int],
                 labels: Mapping[str, Mapping[str, int]]) -> dict[str, SplitCounts]:
    """The counts of each split (in ``names`` order) from the assignment and each article's counts."""
    out = {name: SplitCounts() for name in names}
    for aid, split in assignment.items():
        out[split].add(sentences[aid], labels[aid])
    return out


def table(per_split: Mapping[str, SplitCounts], label_names: Sequence[str]) -> list[str]:
    """The counts as a small aligned table: one row per split and a total; each label's
    count with its share of the split's labels."""
    total = SplitCounts()
    for c in per_split.values():
        total.articles += c.articles
        total.sentences += c.sentences
        for name, n in c.labels.items():
            total.labels[name] = total.labels.get(name, 0) + n
    names = list(label_names) + sorted(set(total.labels) - set(label_names))
    header = ["split", "articles", "sentences", "labels", *names]
    rows = [header]
    for split, c in [*per_split.items(), ("total", total)]:
        n_labels = sum(c.labels.values())
        cells = [split, f"{c.articles:,}", f"{c.sentences:,}", f"{n_labels:,}"]
        for name in names:
            k = c.labels.get(name, 0)
            cells.append(f"{k:,} {100 * k / n_labels:5.1f}%" if n_labels else "0")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


# ----------------------------------------------------------------------------- the command (I/O)


def _check_folder(db_path: Path, folder: Path, targets: Sequence[str]) -> None:
    """Refuse a folder the split cannot safely be written into, before anything is read."""
    from annotator.importer import quote_path
    from annotator.outputs import check_output_path

    check_output_path(db_path, folder, "-o")
    for name in targets:
        check_output_path(db_path, folder / name, "-o")
    shown = f"-o {quote_path(folder)}"
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return  # created when the split is written
    except NotADirectoryError:
        raise InputError(f"{shown}: a part of the path is a file, not a folder; choose another -o folder") from None
    except OSError as exc:
        raise ExportError(f"{shown}: cannot read it ({exc.strerror or exc}); choose another -o folder") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{shown}: is a file; with --split, -o names a folder (one file per split is written there)")
    try:
        present = {e for e in os.listdir(folder) if not e.startswith(".")}
    except OSError as exc:
        raise ExportError(f"{shown}: cannot list it ({exc.strerror or exc}); choose another -o folder") from None
    clash = sorted(present & set(targets))
    others = sorted(present - set(targets))
    if clash and others:
        # Replacing some files and leaving others (an earlier split into other names, say)
        # would leave a folder where the same article can be in two files.
        raise InputError(f"{shown}: already holds {', '.join(map(quote_path, clash))} and other files "
                         f"({', '.join(map(quote_path, others[:3]))}{', …' if len(others) > 3 else ''}); "
                         "choose a new or empty folder, or one that holds only this split's files")


@dataclass(slots=True)
class _Read:
    """Each labeled article's counts, and what was left out."""

    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    sentences: dict[str, int] = field(default_factory=dict)
    left_out: int = 0


def _read_counts(db: Database, annotators: set[str] | None, gold: GoldTally | None,
                 include_skipped: bool = False) -> _Read:
    """Labels per article by name (as exported); skip decisions only if they are exported."""
    from annotator.export import Names, gold_spans

    read = _Read()
    names = Names(db.scheme)
    for info in db.article_infos():
        labels = names.labels(db.labels(info.id))
        if annotators is not None:
            labels = [lab for lab in labels if lab.annotator in annotators]
        counts: dict[str, int] = {}
        if gold is not None:
            decisions = names.decisions(db.decisions(info.id))
            spans = (gold_spans(db.get_article(info.id), labels, decisions, gold, include_skipped)
                     if labels or decisions else [])
            for sp in spans:
                counts[sp["label"]] = counts.get(sp["label"], 0) + 1
            n_sentences = len(spans)
        else:
            if not include_skipped:
                labels = [lab for lab in labels if lab.label != SKIP]
            for lab in labels:
                counts[lab.label] = counts.get(lab.label, 0) + 1
            n_sentences = len({(lab.start, lab.end) for lab in labels})
        if counts:
            read.labels[info.id] = counts
            read.sentences[info.id] = n_sentences
        else:
            read.left_out += 1
    return read


def export_splits(db_path: Path, split: str | None, seed_text: str | None, folder: Path | None, *, fmt: str,
                  annotators: set[str] | None, gold: bool, history: bool,
                  open_db: Callable[[], AbstractContextManager[Database]], echo: Callable[[str], None],
                  include_skipped: bool = False) -> None:
    """``annotator export --split``: check everything, read the database once, make every
    file, then write them (each atomically) and print the counts."""
    from annotator.export import GoldTally, render, write_file
    from annotator.importer import quote_path

    if split is None:
        raise InputError("--seed goes with --split: it chooses the split; add --split train=0.8,dev=0.1,test=0.1")
    if folder is None:
        raise InputError("--split needs -o FOLDER: one file per split is written there")
    spec = parse_split(split)
    seed = parse_seed(seed_text)
    targets = [file_name(name, fmt) for name in spec.names]
    _check_folder(db_path, folder, targets)
    tally = GoldTally() if gold else None
    with open_db() as db:
        read = _read_counts(db, annotators, tally, include_skipped)
        if not read.labels:
            what = "a gold label" if gold else "a label" + (f" by {', '.join(sorted(annotators))}" if annotators else "")
            raise ExportError(f"no article has {what}, so there is nothing to split; nothing was written")
        assignment = assign(read.labels, spec, seed)
        members: dict[str, set[str]] = {name: set() for name in spec.names}
        for aid, name in assignment.items():
            members[name].add(aid)
        # Every file made before any is written: a damaged database stops it with nothing out.
        data = {name: b"".join(render(db, fmt, annotators=annotators, labeled_only=True,
                                      gold=GoldTally() if gold else None, history=history, articles=members[name],
                                      include_skipped=include_skipped))
                for name in spec.names}
        label_names = [*db.scheme.names, *([SKIP] if include_skipped else [])]
    per_split = count_splits(assignment, spec.names, read.sentences, read.labels)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"-o {quote_path(folder)}: cannot create the folder ({exc.strerror or exc}); "
                          "choose another -o folder; nothing was written") from None
    sizes = {name: write_file(folder / target, [data[name]]) for name, target in zip(spec.names, targets)}
    if spec.normalized:
        echo(f"split: the ratios sum to {_ratio_text(spec.given_sum)}, not 1; normalized to {spec.describe()}")
    echo(f"split by article, seed {seed}: {spec.describe()}" + (" (gold labels)" if gold else ""))
    for line in table(per_split, label_names):
        echo(line)
    if read.left_out:
        why = "no gold label" if gold else "no label" + (f" by {', '.join(sorted(annotators))}" if annotators else "")
        echo(f"left out: {read.left_out:,} article(s) with {why}")
    for name in spec.names:
        if not per_split[name].articles:
            echo(f"split: {name} has no article: too few labeled articles for its ratio")
    echo(f"wrote {', '.join(f'{quote_path(folder / t)} ({sizes[n]:,} bytes)' for n, t in zip(spec.names, targets))}"
         f" (format {fmt}{', gold' if gold else ''})")
    for line in tally.report() if tally is not None else []:
        echo(line)
