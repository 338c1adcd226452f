"""Inter-annotator agreement over sentences labeled by two or more reviewers.

A *unit* is one sentence: a mapping annotator -> label.  Only units with two or more
ratings are *items*; a sentence labeled by a single reviewer is ignored by every figure
(it is not used for chance agreement either).  Every coefficient allows a varying number
of raters per item (missing ratings) and follows Gwet, *Handbook of Inter-Rater
Reliability* (4th ed., 2014) and his irrCAC package for raw ratings, unweighted:

- percent agreement p_a: the mean over items of agreeing rater pairs / all rater pairs
  (with two reviewers: the share of items they agree on);
- Cohen's kappa for each pair of reviewers, over the items both rated;
- Fleiss' kappa as irrCAC's ``fleiss.kappa.raw``: p_e = sum_k pi_k^2 with
  pi_k = mean over items of r_ik / r_i;
- Krippendorff's alpha, nominal, from the coincidence matrix (Krippendorff 2011);
- Gwet's AC1 as irrCAC's ``gwet.ac1.raw``: p_e = sum_k pi_k (1 - pi_k) / (q - 1), where
  q is the number of categories: the project's label names (``db.scheme.names``), each
  counted whether used or not, plus any label found in the ratings outside them.

irrCAC differs in one respect: it also counts single-rated subjects in pi_k.  Here they
are left out everywhere, so that every figure is about the same items.

Per label, every rating is recoded label-vs-rest (q = 2) and the same figures are
computed.  Confusion matrices: one per pair of reviewers over the items both rated (rows:
the first of the two by name), and their sum.  A value that cannot be computed is
``None`` with a reason in words, never NaN.

Why no library: the maintained ones (irrCAC, krippendorff, statsmodels, scikit-learn)
all need numpy, and irrCAC pandas too: a heavy install and 0.1-0.5 s of imports for a
CLI that starts in 0.1 s.  NLTK's ``AnnotationTask`` is pure Python but a large install
without Gwet's AC1.  The formulas are a few sums over counts, so they are written out
here, and the tests check every figure against published worked examples.  No Textual
here: this is core, shared by the CLI and the app.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

from annotator.model import SKIP
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database

SCHEMA_VERSION = 1

NO_ITEMS = "no sentence was labeled by two or more reviewers"
FEW_SHARED = "fewer than 2 shared items"
FEW_LABELS = "the label scheme has fewer than 2 labels, so chance agreement cannot be estimated"

# JSON key -> display name, in report order.
METRICS: tuple[tuple[str, str], ...] = (
    ("percent_agreement", "Percent agreement"),
    ("fleiss_kappa", "Fleiss' kappa"),
    ("krippendorff_alpha", "Krippendorff's alpha"),
    ("gwet_ac1", "Gwet's AC1"),
)

Matrix = list[list[int]]


@dataclass(frozen=True, slots=True)
class Figure:
    """A coefficient, or ``value=None`` and why it is undefined."""

    value: float | None
    reason: str | None = None

    @classmethod
    def undefined(cls, reason: str) -> Figure:
        return cls(None, reason)


@dataclass(frozen=True, slots=True)
class PairKappa:
    """Cohen's kappa between reviewers ``a`` and ``b`` (a < b) over the ``n`` items both rated."""

    a: str
    b: str
    n: int
    kappa: Figure

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"a": self.a, "b": self.b, "n": self.n, "kappa": self.kappa.value}
        if self.kappa.value is None:
            out["reason"] = self.kappa.reason
        return out


@dataclass(frozen=True, slots=True)
class Coefficients:
    percent_agreement: Figure
    cohen_kappa: list[PairKappa]
    fleiss_kappa: Figure
    krippendorff_alpha: Figure
    gwet_ac1: Figure

    def figure(self, key: str) -> Figure:
        value: Figure = getattr(self, key)
        return value

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"percent_agreement": self.percent_agreement.value,
                               "cohen_kappa": [p.to_json() for p in self.cohen_kappa]}
        for key, _ in METRICS[1:]:
            out[key] = self.figure(key).value
        out["reasons"] = {key: self.figure(key).reason for key, _ in METRICS if self.figure(key).value is None}
        return out


@dataclass(frozen=True, slots=True)
class LabelAgreement:
    """One label against all the others."""

    label: str
    items_with_label: int
    figures: Coefficients

    def to_json(self) -> dict[str, Any]:
        return {"items_with_label": self.items_with_label, **self.figures.to_json()}


@dataclass(frozen=True, slots=True)
class PairConfusion:
    """Rows: ``a``'s label, columns: ``b``'s label, over the items both rated."""

    a: str
    b: str
    matrix: Matrix


@dataclass(frozen=True, slots=True)
class AgreementReport:
    items: int
    annotator_names: list[str]
    labels: list[str]
    overall: Coefficients
    per_label: list[LabelAgreement]
    pairs: list[PairConfusion]
    total: Matrix = field(default_factory=list)

    @property
    def annotators(self) -> int:
        return len(self.annotator_names)

    def to_json(self) -> dict[str, Any]:
        overall = self.overall.to_json()
        reasons = overall.pop("reasons")
        return {
            "schema_version": SCHEMA_VERSION,
            "items": self.items,
            "annotators": self.annotators,
            "annotator_names": list(self.annotator_names),
            **overall,
            "reasons": reasons,
            "per_label": {lab.label: lab.to_json() for lab in self.per_label},
            "confusion": {
                "labels": list(self.labels),
                "pairs": [{"a": p.a, "b": p.b, "matrix": [list(r) for r in p.matrix]} for p in self.pairs],
                "total": [list(r) for r in self.total],
            },
        }


# --------------------------------------------------------------------------- computing

# An item: annotator -> category index.
_Item = dict[str, int]


def _categories(units: Sequence[Mapping[str, str]], categories: Sequence[str]) -> list[str]:
    """The categories in scheme order, then any label found in the ratings outside them (sorted)."""
    out = list(dict.fromkeys(categories))
    known = set(out)
    extra = {lab for u in units for lab in u.values() if lab not in known}
    return out + sorted(extra)


def _counts(item: _Item, q: int) -> tuple[int, ...]:
    c = [0] * q
    for k in item.values():
        c[k] += 1
    return tuple(c)


def _one_label(metric: str, what: str) -> str:
    if metric == "alpha":
        return f"{what}, so expected disagreement is 0 and alpha is undefined"
    return f"{what}, so chance agreement is 1 and {metric} is undefined"


def _coefficients(profile: Mapping[tuple[int, ...], int], q: int, pairs: list[tuple[str, str, Matrix]],
                  describe_one: Callable[[int], str]) -> Coefficients:
    """Every figure over the items, given as ``profile``: ratings per category -> number
    of items rated so (each item with two or more ratings), with ``q`` categories.

    ``pairs`` are the per-pair confusion matrices in the same coding; ``describe_one(k)``
    says in words that only category ``k`` was used.
    """
    kappas = [PairKappa(a, b, sum(map(sum, m)), _cohen(m, describe_one)) for a, b, m in pairs]
    n = sum(profile.values())
    if n == 0:
        none = Figure.undefined(NO_ITEMS)
        return Coefficients(none, kappas, none, none, none)
    pa = 0.0
    pi = [0.0] * q
    totals = [0] * q
    observed = 0.0  # Krippendorff's sum_{c != k} o_ck
    for c, times in profile.items():
        r = sum(c)
        same = sum(x * (x - 1) for x in c)
        pa += times * same / (r * (r - 1))
        # each item's pairs weighted 1 / (m_u - 1): r^2 - sum x^2 ordered pairs that differ
        observed += times * (r * r - r - same) / (r - 1)
        for k, x in enumerate(c):
            pi[k] += times * x / r
            totals[k] += times * x
    pa /= n
    pi = [p / n for p in pi]
    used = [k for k in range(q) if totals[k]]

    if len(used) < 2:
        fleiss = Figure.undefined(_one_label("Fleiss' kappa", describe_one(used[0])))
    else:
        pe = sum(p * p for p in pi)
        fleiss = Figure((pa - pe) / (1 - pe))

    if q < 2:
        ac1 = Figure.undefined(FEW_LABELS)
    else:
        pe = sum(p * (1 - p) for p in pi) / (q - 1)
        ac1 = Figure((pa - pe) / (1 - pe))

    # Krippendorff: alpha = 1 - (N - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k, where
    # o is the coincidence matrix and N the number of pairable values (every item's).
    if len(used) < 2:
        alpha = Figure.undefined(_one_label("alpha", describe_one(used[0])))
    else:
        big_n = sum(totals)
        expected = big_n * big_n - sum(t * t for t in totals)
        alpha = Figure(1 - (big_n - 1) * observed / expected)
    return Coefficients(Figure(pa), kappas, fleiss, alpha, ac1)


def _cohen(matrix: Matrix, describe_one: Callable[[int], str]) -> Figure:
    n = sum(map(sum, matrix))
    if n < 2:
        return Figure.undefined(FEW_SHARED)
    q = len(matrix)
    agree = sum(matrix[k][k] for k in range(q))
    rows = [sum(matrix[k]) for k in range(q)]
    cols = [sum(matrix[j][k] for j in range(q)) for k in range(q)]
    chance = sum(rows[k] * cols[k] for k in range(q))  # p_e * n^2
    if chance == n * n:
        return Figure.undefined(_one_label("kappa", describe_one(rows.index(n))))
    return Figure((n * agree - chance) / (n * n - chance))


def _collapse(matrix: Matrix, j: int) -> Matrix:
    """A confusion matrix recoded label ``j`` (index 0) vs the rest (index 1)."""
    n = sum(map(sum, matrix))
    a = matrix[j][j]
    row = sum(matrix[j])
    col = sum(r[j] for r in matrix)
    return [[a, row - a], [col - a, n - row - col + a]]


def compute(units: Sequence[Mapping[str, str]], categories: Sequence[str]) -> AgreementReport:
    """Agreement over ``units`` (annotator -> label each); ``categories`` in scheme order."""
    labels = _categories(units, categories)
    index = {lab: k for k, lab in enumerate(labels)}
    q = len(labels)
    items: list[_Item] = [{a: index[lab] for a, lab in u.items()} for u in units if len(u) >= 2]
    names = sorted({a for item in items for a in item})

    shared: dict[tuple[str, str], Matrix] = {}
    for item in items:
        for a, b in combinations(sorted(item), 2):
            m = shared.get((a, b))
            if m is None:
                m = shared[(a, b)] = [[0] * q for _ in range(q)]
            m[item[a]][item[b]] += 1
    pairs = [(a, b, shared[(a, b)]) for a, b in sorted(shared)]
    total = [[sum(m[i][j] for _, _, m in pairs) for j in range(q)] for i in range(q)]

    def only(k: int) -> str:
        return f"only one label ({labels[k]}) was used"

    # Every figure depends on an item only through its ratings per category: items rated
    # alike are counted once, with their number (a few dozen kinds for thousands of items).
    profile = Counter(_counts(item, q) for item in items)
    overall = _coefficients(profile, q, pairs, only)
    per_label: list[LabelAgreement] = []
    for j, lab in enumerate(labels):
        recoded: Counter[tuple[int, ...]] = Counter()
        for c, times in profile.items():
            recoded[(c[j], sum(c) - c[j])] += times  # label j (0) against the rest (1)
        with_label = sum(times for c, times in recoded.items() if c[0])

        def one_vs_rest(k: int, lab: str = lab) -> str:
            return f"every rating was {lab}" if k == 0 else f"no reviewer used {lab} on these sentences"

        figures = _coefficients(recoded, 2, [(a, b, _collapse(m, j)) for a, b, m in pairs], one_vs_rest)
        per_label.append(LabelAgreement(lab, with_label, figures))
    return AgreementReport(
        len(items), names, labels, overall, per_label, [PairConfusion(a, b, m) for a, b, m in pairs], total
    )


def collect_units(db: Database, include_skipped: bool = False) -> tuple[list[dict[str, str]], list[str]]:
    """The sentences labeled by two or more reviewers, and the label names in scheme order.

    Only articles with two or more annotators are read (known from the label counts,
    without reading any file).  A unit is one (article, start, end), its labels named as
    the scheme names them now.  Labels outside the scheme (a scheme changed after labeling)
    are kept and listed after the scheme's names.  A skip decision is no rating, unless
    ``include_skipped`` makes skip a category of its own.
    """
    categories = [*db.scheme.names, *([SKIP] if include_skipped else [])]
    name_of = db.scheme.name_of
    units: list[dict[str, str]] = []
    for article_id, names in sorted(db.annotators_by_article().items()):
        if len(names) < 2:
            continue
        spans: dict[tuple[int, int], dict[str, str]] = {}
        for lab in db.labels(article_id):
            if lab.label == SKIP and not include_skipped:
                continue
            spans.setdefault((lab.start, lab.end), {})[lab.annotator] = name_of(lab.label)
        units.extend(unit for _, unit in sorted(spans.items()) if len(unit) >= 2)
    return units, _categories(units, categories)


# --------------------------------------------------------------------------- text

CELL = 20  # widest name or label shown in a table cell (the header lists names in full)


def shown(text: str, width: int | None = None) -> str:
    """Untrusted text (a name, a label) made safe for one line, cut to ``width``."""
    safe = sanitize_line(text)
    if width is not None and len(safe) > width:
        safe = safe[: width - 1] + "…"
    return safe


def number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def empty_lines() -> list[str]:
    return [
        f"No agreement to show: {NO_ITEMS}.",
        "Agreement compares reviewers on the same sentences. Have a second reviewer label the same",
        "articles (`annotator label --annotator NAME`, or set ANNOTATOR=NAME), or import their",
        "labels (`annotator import THEIR-EXPORT.jsonl`); then run `annotator agree` again.",
    ]


def header_lines(report: AgreementReport) -> list[str]:
    who = ", ".join(shown(n) for n in report.annotator_names)
    return [
        f"Items:      {report.items} sentence(s) labeled by two or more reviewers",
        f"Reviewers:  {report.annotators}" + (f" ({who})" if who else ""),
    ]


def overall_lines(report: AgreementReport) -> list[str]:
    rows = [["Metric", "Value"]]
    for key, name in METRICS:
        fig = report.overall.figure(key)
        rows.append([name, number(fig.value).rjust(6) if fig.value is not None else f"undefined ({shown(fig.reason or '')})"])
    return ["Overall:", *_table(rows, set())]


def _kappa_cell(p: PairKappa) -> str:
    """Numbers padded so that a minus sign keeps the decimals in line in a left-aligned column."""
    return number(p.kappa.value).rjust(6) if p.kappa.value is not None else f"undefined ({shown(p.kappa.reason or '')})"


def pair_lines(report: AgreementReport) -> list[str]:
    if not report.overall.cohen_kappa:
        return []
    rows = [["Reviewer A", "Reviewer B", "Items", "Kappa"]]
    rows += [[shown(p.a, CELL), shown(p.b, CELL), str(p.n), _kappa_cell(p)] for p in report.overall.cohen_kappa]
    return ["Cohen's kappa per pair of reviewers:", *_table(rows, {2})]


def label_lines(report: AgreementReport) -> list[str]:
    rows = [["Label", "Items", "Agreement", "Fleiss' kappa", "Krippendorff's alpha", "Gwet's AC1"]]
    notes: list[str] = []
    for lab in report.per_label:
        row = [shown(lab.label, CELL), str(lab.items_with_label)]
        for key, name in METRICS:
            fig = lab.figures.figure(key)
            row.append(number(fig.value))
            if fig.value is None and fig.reason != NO_ITEMS:
                notes.append(f"  {shown(lab.label, CELL)}: {name} undefined: {shown(fig.reason or '')}")
        rows.append(row)
    out = ["Per label (that label against all the others; Items: sentences where someone chose it):",
           *_table(rows, {1, 2, 3, 4, 5}), *notes]
    if report.overall.cohen_kappa:
        krows = [["Label", "Reviewer A", "Reviewer B", "Items", "Kappa"]]
        for lab in report.per_label:
            for p in lab.figures.cohen_kappa:
                krows.append([shown(lab.label, CELL), shown(p.a, CELL), shown(p.b, CELL), str(p.n), _kappa_cell(p)])
        out += ["Cohen's kappa per label and pair:", *_table(krows, {3})]
    return out


def _matrix_lines(labels: list[str], matrix: Matrix, row_name: str, col_name: str) -> list[str]:
    heads = [shown(lab, CELL) for lab in labels]
    rows = [[f"{row_name} \\ {col_name}", *heads]]
    rows += [[heads[i], *(str(x) for x in matrix[i])] for i in range(len(labels))]
    return _table(rows, set(range(1, len(labels) + 1)))


def confusion_lines(report: AgreementReport) -> list[str]:
    out: list[str] = []
    for p in report.pairs:
        out.append(f"Confusion matrix: rows {shown(p.a)}, columns {shown(p.b)}:")
        out += _matrix_lines(report.labels, p.matrix, shown(p.a, CELL), shown(p.b, CELL))
    if len(report.pairs) > 1:
        out.append("Confusion matrix, all pairs added up (rows: the first reviewer of each pair by name):")
        out += _matrix_lines(report.labels, report.total, "first", "second")
    return out


def format_text(report: AgreementReport) -> str:
    """The report for a terminal; every name and label passed through ``sanitize_line``."""
    if report.items == 0:
        return "\n".join(empty_lines())
    sections = [header_lines(report), overall_lines(report), pair_lines(report), label_lines(report),
                confusion_lines(report)]
    return "\n\n".join("\n".join(s) for s in sections if s)
