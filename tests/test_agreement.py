"""Inter-annotator agreement: every figure against a published worked example, then
properties, the database reader, the text report and ``annotator agree``.

Sources (each example below names its own):

- [WIKI-COHEN] Wikipedia, "Cohen's kappa", section "Simple example": 50 grant proposals,
  20 yes/yes, 5 A-yes/B-no, 10 A-no/B-yes, 15 no/no: p_o = 0.7, p_e = 0.5, kappa = 0.4.
- [WIKI-FLEISS] Wikipedia, "Fleiss' kappa", section "Worked example": 10 subjects,
  14 raters, 5 categories: P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
- [KRIPP-2011] K. Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
  University of Pennsylvania, https://repository.upenn.edu/asc_papers/43, section C
  (nominal data, any number of observers, missing data): 4 observers x 12 units,
  alpha = 0.743.
- [IRRCAC] K. L. Gwet, README of the irrCAC R package (github.com/kgwet/irrCAC, also on
  CRAN as the "overview" vignette), which prints the output for the data sets of
  Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.:
  cont3x3abstractors, distrib.6raters (Fleiss 1971's 6 psychiatrists) and cac.raw4raters
  (the same data as [KRIPP-2011]).
- [IRRCAC-PY] The test suite of the irrCAC Python port (github.com/afergadis/irrCAC,
  test/unit/irrCAC/raw/test_fleiss.py, test_gwet.py, test_krippendorff.py), for Gwet's
  data sets raw_5observers (Gwet 2014, p. 125) and raw_gender, to 3 decimals.
- [AGREESTAT] AgreeStat output for 2 raters x 23 syllabi, 3 categories, published in
  "Use Gwet's AC1 instead of Cohen's Kappa for Inter-rater Reliability" (teacherrogers,
  2018-05-12), Tables 1A-1B: Gwet's AC1 = .675.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.agreement import (
    FEW_LABELS,
    FEW_SHARED,
    METRICS,
    NO_ITEMS,
    AgreementReport,
    collect_units,
    compute,
    format_text,
)
from conftest import run_cli
from annotator.model import Label, now_iso
from annotator.storage import Database

N = None

# --------------------------------------------------------------------------- data helpers


def from_columns(*columns: Sequence[object]) -> list[dict[str, str]]:
    """Raw ratings, one column per rater (None: not rated), as units."""
    return [
        {f"rater{j + 1}": str(col[i]) for j, col in enumerate(columns) if col[i] is not None}
        for i in range(len(columns[0]))
    ]


def from_distribution(rows: Sequence[Sequence[int]]) -> list[dict[str, str]]:
    """Counts of raters per category, one row per subject (Fleiss' layout), as units."""
    units = []
    for row in rows:
        unit: dict[str, str] = {}
        for k, count in enumerate(row):
            for _ in range(count):
                unit[f"rater{len(unit) + 1}"] = str(k)
        units.append(unit)
    return units


def from_table(table: Sequence[Sequence[int]], a: str = "A", b: str = "B",
               labels: Sequence[str] | None = None) -> list[dict[str, str]]:
    """A two-rater contingency table (rows: a's category, columns: b's) as units."""
    names = list(labels) if labels is not None else cats(len(table))
    return [{a: names[i], b: names[j]} for i, row in enumerate(table) for j, n in enumerate(row) for _ in range(n)]


def cats(n: int) -> list[str]:
    return [str(k) for k in range(n)]


def overall(report: AgreementReport, key: str) -> float | None:
    return report.overall.figure(key).value


# --------------------------------------------------------------------------- published examples


def test_cohen_kappa_wikipedia_simple_example() -> None:
    # [WIKI-COHEN]: rows A (yes, no), columns B (yes, no).
    report = compute(from_table([[20, 5], [10, 15]]), ["0", "1"])
    (pair,) = report.overall.cohen_kappa
    assert (pair.a, pair.b, pair.n) == ("A", "B", 50)
    assert pair.kappa.value == pytest.approx(0.4, abs=1e-12)
    assert overall(report, "percent_agreement") == pytest.approx(0.7, abs=1e-12)  # p_o
    assert report.pairs[0].matrix == [[20, 5], [10, 15]] == report.total
    # Two categories: each label against the rest is the same 2x2 table.
    for lab in report.per_label:
        assert lab.figures.cohen_kappa[0].kappa.value == pytest.approx(0.4, abs=1e-12)


def test_fleiss_kappa_wikipedia_worked_example() -> None:
    # [WIKI-FLEISS]: n_ij, 10 subjects x 5 categories, 14 raters each.
    rows = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    report = compute(from_distribution(rows), cats(5))
    assert report.items == 10 and report.annotators == 14
    assert round(overall(report, "percent_agreement") or 0, 3) == 0.378  # P-bar
    assert round(overall(report, "fleiss_kappa") or 0, 3) == 0.210


def test_cac_raw4raters_krippendorff_2011_and_irrcac() -> None:
    # [KRIPP-2011] reliability data (observers A-D = rater1-4, "." = not coded); [IRRCAC]
    # prints the same data as cac.raw4raters.  Unit 12 has one value only.
    units = from_columns(
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    )
    report = compute(units, ["1", "2", "3", "4", "5"])
    assert report.items == 11 and report.annotators == 4
    alpha = overall(report, "krippendorff_alpha")
    assert round(alpha or 0, 3) == 0.743  # [KRIPP-2011]
    assert alpha == pytest.approx(0.74342, abs=5e-6)  # [IRRCAC] krippen.alpha.raw
    pa = overall(report, "percent_agreement")
    assert pa == pytest.approx(0.8181818, abs=5e-8)  # [IRRCAC] pa.coeff.raw
    # [IRRCAC] prints Fleiss' kappa 0.76117 (p_e 0.2387153) and AC1 0.77544 (p_e 0.1903212):
    # irrCAC estimates the category shares pi_k over all 12 subjects, unit 12's lone
    # rating included.  We ignore single ratings everywhere, so pi_k is over the 11 items:
    # p_e = 0.2345041 and kappa = (0.8181818 - 0.2345041) / (1 - 0.2345041) = 0.7624831;
    # AC1: p_e = 0.1913740, AC1 = 0.7751517.
    assert overall(report, "fleiss_kappa") == pytest.approx(0.7624831, abs=5e-8)
    assert overall(report, "gwet_ac1") == pytest.approx(0.7751517, abs=5e-8)
    assert round(overall(report, "gwet_ac1") or 0, 3) == round(0.77544, 3)
    # ... and irrCAC's own figures follow from our p_a with its pi_k (all 12 subjects):
    assert pa is not None
    pi = _shares(units, ["1", "2", "3", "4", "5"])
    pe_fleiss = sum(p * p for p in pi)
    pe_ac1 = sum(p * (1 - p) for p in pi) / (len(pi) - 1)
    assert pe_fleiss == pytest.approx(0.2387153, abs=5e-8)
    assert pe_ac1 == pytest.approx(0.1903212, abs=5e-8)
    assert (pa - pe_fleiss) / (1 - pe_fleiss) == pytest.approx(0.76117, abs=5e-6)
    assert (pa - pe_ac1) / (1 - pe_ac1) == pytest.approx(0.77544, abs=5e-6)


def _shares(units: Sequence[Mapping[str, str]], categories: list[str]) -> list[float]:
    """irrCAC's pi_k: the mean over every rated subject (one rating included) of r_ik / r_i."""
    rated = [u for u in units if u]
    return [sum(list(u.values()).count(k) / len(u) for u in rated) / len(rated) for k in categories]


def test_distrib_6raters_fleiss_1971_irrcac() -> None:
    # [IRRCAC] distrib.6raters: 15 patients x 6 psychiatrists, 5 diagnoses (Fleiss 1971).
    rows = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
            [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
            [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    report = compute(from_distribution(rows), cats(5))
    assert overall(report, "percent_agreement") == pytest.approx(0.5511111, abs=5e-8)
    assert overall(report, "fleiss_kappa") == pytest.approx(0.4139265, abs=5e-8)
    assert overall(report, "krippendorff_alpha") == pytest.approx(0.4204384, abs=5e-8)
    assert overall(report, "gwet_ac1") == pytest.approx(0.4448007, abs=5e-8)


def test_cont3x3abstractors_two_raters_irrcac() -> None:
    # [IRRCAC] cont3x3abstractors: 100 women, 2 abstractors, Ectopic / AIU / NIU.
    report = compute(from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]), cats(3))
    assert report.overall.cohen_kappa[0].kappa.value == pytest.approx(0.7964094, abs=5e-8)  # kappa2.table
    assert overall(report, "gwet_ac1") == pytest.approx(0.8493305, abs=5e-8)  # gwet.ac1.table
    assert overall(report, "krippendorff_alpha") == pytest.approx(0.7972585, abs=5e-8)  # krippen2.table
    assert overall(report, "percent_agreement") == pytest.approx(0.89, abs=1e-12)  # pa2.table
    # With two raters and no missing rating Fleiss' kappa is Scott's pi (scott2.table).
    assert overall(report, "fleiss_kappa") == pytest.approx(0.7962397, abs=5e-8)


def test_raw_5observers_missing_ratings_irrcac() -> None:
    # [IRRCAC-PY] raw_5observers: 15 units, 5 observers, 4 categories, many missing ratings
    # (every unit has two or more, so irrCAC's pi_k and ours agree).
    units = from_columns(
        [1, 1, 2, N, 0, 0, 1, 1, 2, 2, N, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, N, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [N, 1, 3, N, N, N, N, 0, N, 1, 0, 0, 2, 2, N],
        [2, N, N, 0, 0, 0, 1, N, 2, N, N, N, N, 3, 1],
    )
    report = compute(units, cats(4))
    assert report.items == 15
    assert round(overall(report, "percent_agreement") or 0, 3) == 0.616
    assert round(overall(report, "fleiss_kappa") or 0, 3) == 0.458
    assert round(overall(report, "gwet_ac1") or 0, 3) == 0.497
    assert round(overall(report, "krippendorff_alpha") or 0, 3) == 0.481


def test_raw_gender_irrcac() -> None:
    # [IRRCAC-PY] raw_gender: 15 subjects, 4 raters, categories a, b, c, complete.
    units = from_columns("a a a a a b b b c a a a a a b".split(), "a a a a b a b c c a a a a b a".split(),
                         "a b b c a a b b c a b b c a a".split(), "c c c c a a b b c c c c c a a".split())
    report = compute(units, ["a", "b", "c"])
    assert round(overall(report, "percent_agreement") or 0, 3) == 0.456
    assert round(overall(report, "fleiss_kappa") or 0, 3) == 0.129
    assert round(overall(report, "gwet_ac1") or 0, 3) == 0.208
    assert round(overall(report, "krippendorff_alpha") or 0, 3) == 0.143


def test_gwet_ac1_two_raters_kappa_paradox_agreestat() -> None:
    # [AGREESTAT] Table 1A: rows rater 1 (3, 4, 5), columns rater 2 (3, 4, 5); most
    # ratings are 5, like most sentences being background: kappa is low, AC1 is not.
    report = compute(from_table([[0, 0, 0], [1, 2, 1], [4, 0, 15]], labels=["3", "4", "5"]), ["3", "4", "5"])
    ac1 = overall(report, "gwet_ac1")
    assert round(ac1 or 0, 3) == 0.675
    kappa = report.overall.cohen_kappa[0].kappa.value
    assert kappa is not None and kappa < 0.4 < (ac1 or 0)


# --------------------------------------------------------------------------- undefined values


def test_no_items() -> None:
    report = compute([{"ana": "claim"}, {}], ["claim", "quote"])
    assert report.items == 0 and report.annotator_names == []
    for key, _ in METRICS:
        assert report.overall.figure(key).value is None
        assert report.overall.figure(key).reason == NO_ITEMS
    data = report.to_json()
    assert data["reasons"] == {key: NO_ITEMS for key, _ in METRICS}
    assert data["confusion"] == {"labels": ["claim", "quote"], "pairs": [], "total": [[0, 0], [0, 0]]}
    assert "no sentence was labeled by two or more reviewers" in format_text(report)


def test_one_label_used() -> None:
    units = [{"ana": "background", "budi": "background"}] * 5
    report = compute(units, ["claim", "quote", "background"])
    data = report.to_json()
    assert data["percent_agreement"] == 1.0
    assert data["fleiss_kappa"] is None and data["krippendorff_alpha"] is None
    assert data["reasons"]["fleiss_kappa"] == (
        "only one label (background) was used, so chance agreement is 1 and Fleiss' kappa is undefined")
    assert "expected disagreement is 0" in data["reasons"]["krippendorff_alpha"]
    assert data["gwet_ac1"] == 1.0  # p_e = 0 with q = 3
    (pair,) = data["cohen_kappa"]
    assert pair == {"a": "ana", "b": "budi", "n": 5, "kappa": None,
                    "reason": "only one label (background) was used, so chance agreement is 1 and kappa is undefined"}
    # One vs rest: "claim" was never used, "background" was used by everyone everywhere.
    assert "no reviewer used claim" in data["per_label"]["claim"]["reasons"]["fleiss_kappa"]
    assert "every rating was background" in data["per_label"]["background"]["reasons"]["fleiss_kappa"]
    assert data["per_label"]["claim"]["items_with_label"] == 0
    assert data["per_label"]["background"]["items_with_label"] == 5
    assert "undefined (only one label (background) was used" in format_text(report)


def test_fewer_than_two_shared_items_and_one_label_scheme() -> None:
    report = compute([{"ana": "x", "budi": "y"}, {"ana": "x", "citra": "x"}, {"budi": "y", "citra": "y"}], ["x"])
    kappas = {(p.a, p.b): p for p in report.overall.cohen_kappa}
    assert set(kappas) == {("ana", "budi"), ("ana", "citra"), ("budi", "citra")}
    assert all(p.n == 1 and p.kappa.value is None and p.kappa.reason == FEW_SHARED for p in kappas.values())
    assert report.labels == ["x", "y"]  # a label outside the scheme is kept, after it
    one = compute([{"ana": "x", "budi": "x"}], ["x"])
    assert one.overall.gwet_ac1.value is None and one.overall.gwet_ac1.reason == FEW_LABELS


def test_never_nan_or_division_by_zero() -> None:
    for units in ([], [{"a": "x"}], [{"a": "x", "b": "x"}], [{"a": "x", "b": "y"}], [{"a": "x", "b": "x", "c": "x"}]):
        for categories in ([], ["x"], ["x", "y"]):
            data = compute(units, categories).to_json()
            _assert_finite(data)  # orjson would write NaN as null: check every float
            orjson.dumps(data)


def _assert_finite(value: object) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            _assert_finite(v)
    elif isinstance(value, list):
        for v in value:
            _assert_finite(v)


# --------------------------------------------------------------------------- properties

NAMES = ["ana", "budi", "citra", "dewi"]
LABELS = ["claim", "quote", "background"]
unit_st = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(LABELS), max_size=4)
units_st = st.lists(unit_st, max_size=25)


def figures(report: AgreementReport) -> dict[str, float | None]:
    out = {key: overall(report, key) for key, _ in METRICS}
    for lab in report.per_label:
        for key, _ in METRICS:
            out[f"{lab.label}.{key}"] = lab.figures.figure(key).value
    return out


def approx_equal(a: dict[str, float | None], b: dict[str, float | None]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        va, vb = a[k], b[k]
        assert (va is None) == (vb is None), k
        if va is not None and vb is not None:
            assert va == pytest.approx(vb, rel=1e-9, abs=1e-12), k


@settings(max_examples=150, deadline=None)
@given(units_st)
def test_bounded_and_json_clean(units: list[dict[str, str]]) -> None:
    report = compute(units, LABELS)
    data = report.to_json()
    _assert_finite(data)
    for value in figures(report).values():
        assert value is None or value <= 1 + 1e-12
    assert report.items == sum(1 for u in units if len(u) >= 2)
    assert all(data["reasons"][k] for k in data["reasons"])
    assert set(data["reasons"]) == {key for key, _ in METRICS if data[key] is None}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.integers(2, 4)), min_size=1, max_size=20))
def test_perfect_agreement_gives_one_where_defined(spec: list[tuple[str, int]]) -> None:
    units = [dict.fromkeys(NAMES[:n], label) for label, n in spec]
    report = compute(units, LABELS)
    assert overall(report, "percent_agreement") == 1.0
    assert overall(report, "gwet_ac1") == pytest.approx(1.0)
    for key in ("fleiss_kappa", "krippendorff_alpha"):
        value = overall(report, key)
        assert value is None or value == pytest.approx(1.0)
        assert (value is None) == (len({label for label, _ in spec}) == 1)
    for p in report.overall.cohen_kappa:
        assert p.kappa.value is None or p.kappa.value == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(units_st, st.permutations(NAMES))
def test_symmetric_in_annotator_order(units: list[dict[str, str]], renamed: list[str]) -> None:
    rename = dict(zip(NAMES, renamed))
    other = [{rename[a]: lab for a, lab in reversed(list(u.items()))} for u in units]
    one, two = compute(units, LABELS), compute(other, LABELS)
    approx_equal(figures(one), figures(two))

    def kappas(r: AgreementReport, names: dict[str, str]) -> dict[frozenset[str], tuple[int, float | None]]:
        return {frozenset((names[p.a], names[p.b])): (p.n, p.kappa.value) for p in r.overall.cohen_kappa}

    back = {v: k for k, v in rename.items()}
    mine, theirs = kappas(one, {n: n for n in NAMES}), kappas(two, back)
    assert mine.keys() == theirs.keys()
    for k in mine:
        assert mine[k][0] == theirs[k][0]
        assert (mine[k][1] is None) == (theirs[k][1] is None)
        if mine[k][1] is not None:
            assert mine[k][1] == pytest.approx(theirs[k][1])


@settings(max_examples=100, deadline=None)
@given(units_st, st.permutations(LABELS))
def test_invariant_to_relabeling_categories(units: list[dict[str, str]], order: list[str]) -> None:
    new_names = {old: f"label-{i}" for i, old in enumerate(order)}  # a bijection, and another scheme order
    relabeled = [{a: new_names[lab] for a, lab in u.items()} for u in units]
    one = compute(units, LABELS)
    two = compute(relabeled, [new_names[x] for x in order])
    a, b = figures(one), figures(two)
    approx_equal({k: v for k, v in a.items() if "." not in k}, {k: v for k, v in b.items() if "." not in k})
    for lab in LABELS:
        for key, _ in METRICS:
            va, vb = a[f"{lab}.{key}"], b[f"{new_names[lab]}.{key}"]
            assert (va is None) == (vb is None)
            if va is not None:
                assert va == pytest.approx(vb, rel=1e-9, abs=1e-12)
    assert sum(map(sum, one.total)) == sum(map(sum, two.total))


@settings(max_examples=100, deadline=None)
@given(units_st, st.lists(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(LABELS), max_size=1), max_size=10))
def test_units_with_one_rating_are_ignored(units: list[dict[str, str]], singles: list[dict[str, str]]) -> None:
    assert compute(units + singles, LABELS).to_json() == compute(units, LABELS).to_json()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(["yes", "no"]), min_size=2, max_size=4),
                min_size=1, max_size=20))
def test_two_categories_per_label_equals_overall(units: list[dict[str, str]]) -> None:
    report = compute(units, ["yes", "no"])
    for lab in report.per_label:
        for key, _ in METRICS:
            va, vb = lab.figures.figure(key).value, overall(report, key)
            assert (va is None) == (vb is None)
            if va is not None:
                assert va == pytest.approx(vb)


# --------------------------------------------------------------------------- JSON shape


def test_json_shape() -> None:
    units = [{"ana": "claim", "budi": "claim"}, {"ana": "quote", "budi": "background"},
             {"ana": "background", "budi": "background", "citra": "quote"}]
    data = compute(units, LABELS).to_json()
    assert list(data) == ["schema_version", "items", "annotators", "annotator_names", "percent_agreement",
                          "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "reasons",
                          "per_label", "confusion"]
    assert data["schema_version"] == 1 and data["items"] == 3 and data["annotators"] == 3
    assert data["annotator_names"] == ["ana", "budi", "citra"]
    assert [(k["a"], k["b"], k["n"]) for k in data["cohen_kappa"]] == [
        ("ana", "budi", 3), ("ana", "citra", 1), ("budi", "citra", 1)]
    assert set(data["cohen_kappa"][0]) == {"a", "b", "n", "kappa"}
    assert data["cohen_kappa"][1] == {"a": "ana", "b": "citra", "n": 1, "kappa": None, "reason": FEW_SHARED}
    assert list(data["per_label"]) == LABELS
    assert list(data["per_label"]["claim"]) == ["items_with_label", "percent_agreement", "cohen_kappa",
                                                "fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "reasons"]
    conf = data["confusion"]
    assert conf["labels"] == LABELS
    assert conf["pairs"][0] == {"a": "ana", "b": "budi", "matrix": [[1, 0, 0], [0, 0, 1], [0, 0, 1]]}
    assert conf["total"] == [[1, 0, 0], [0, 0, 1], [0, 2, 1]]
    assert isinstance(data["percent_agreement"], float)  # full precision: nothing rounded
    assert data["percent_agreement"] == pytest.approx((1 + 0 + 1 / 3) / 3)


# --------------------------------------------------------------------------- database


def _label(db: Database, article: int, sentence: int, label: str, who: str) -> None:
    info = db.article_infos()[article]
    span = db.get_article(info.id).sentences[sentence]
    db.set_label(Label(info.id, span.start, span.end, label, who, now_iso()))


def test_collect_units_and_report_from_database(sample_db: Database) -> None:
    db = sample_db
    for i, label in enumerate(["claim", "quote", "background", "background", "claim"]):
        _label(db, 0, i, label, "ana")
    for i, label in enumerate(["claim", "background", "background"]):
        _label(db, 0, i, label, "budi")
    _label(db, 1, 0, "quote", "ana")  # an article only ana labeled: not read
    units, categories = collect_units(db)
    assert categories == ["claim", "quote", "background"]
    assert units == [{"ana": "claim", "budi": "claim"}, {"ana": "quote", "budi": "background"},
                     {"ana": "background", "budi": "background"}]
    report = compute(units, categories)
    assert report.items == 3 and report.annotator_names == ["ana", "budi"]
    assert report.overall.percent_agreement.value == pytest.approx(2 / 3)
    assert report.pairs[0].matrix == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    # kappa: p_o = 2/3; ana (1, 1, 1)/3, budi (1, 0, 2)/3: p_e = (1 + 0 + 2)/9 = 1/3 -> 0.5
    assert report.overall.cohen_kappa[0].kappa.value == pytest.approx(0.5)


def test_collect_units_reads_only_shared_articles(sample_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _label(sample_db, 0, 0, "claim", "ana")
    _label(sample_db, 1, 0, "claim", "ana")
    _label(sample_db, 1, 0, "quote", "budi")
    read: list[str] = []
    original = Database.labels

    def spy(self: Database, article_id: str, annotator: str | None = None) -> list[Label]:
        read.append(article_id)
        return original(self, article_id, annotator)

    monkeypatch.setattr(Database, "labels", spy)
    units, _ = collect_units(sample_db)
    assert read == [sample_db.article_infos()[1].id]
    assert units == [{"ana": "claim", "budi": "quote"}]


# --------------------------------------------------------------------------- text


def test_format_text_sections_and_rounding() -> None:
    units = from_table([[20, 5], [10, 15]], "ana", "budi", ["yes", "no"])
    text = format_text(compute(units, ["yes", "no"]))
    lines = text.splitlines()
    assert lines[0] == "Items:      50 sentence(s) labeled by two or more reviewers"
    assert lines[1] == "Reviewers:  2 (ana, budi)"
    assert "  Percent agreement      0.700" in lines
    assert any(line.split() == ["ana", "budi", "50", "0.400"] for line in lines)
    assert "Per label" in text and "Cohen's kappa per label and pair:" in text
    assert "Confusion matrix: rows ana, columns budi:" in text
    assert any(line.split() == ["yes", "20", "5"] for line in lines)
    assert any(line.split() == ["no", "10", "15"] for line in lines)
    assert "0.4000" not in text  # 3 decimals in text


def test_format_text_sanitizes_names_and_labels() -> None:
    evil = "ev\x1b[31mil\u202e"
    units = [{evil: "cl\x07aim", "budi": "quote"}, {evil: "quote", "budi": "quote"}]
    text = format_text(compute(units, ["quote"]))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "ev␛[31mil" in text and "cl␇aim" in text


def test_long_names_are_cut_in_tables_but_listed_whole() -> None:
    long = "x" * 60
    text = format_text(compute([{long: "a", "b": "a"}, {long: "b", "b": "b"}], ["a", "b"]))
    assert f"({long}, b)" in text or f"(b, {long})" in text
    assert "x" * 19 + "…" in text


# --------------------------------------------------------------------------- CLI


run = run_cli


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    monkeypatch.setenv("ANNOTATOR", "ana")
    return tmp_path / "annotations" / "annotations.json"


def test_cli_agree_without_a_second_reviewer(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    from conftest import SAMPLES

    assert run(capsys, "import", str(SAMPLES))[0] == 0
    with Database.open(cli_db) as db:
        _label(db, 0, 0, "claim", "ana")
    code, out, err = run(capsys, "agree")
    assert code == 0 and err == ""
    assert out.startswith("No agreement to show: no sentence was labeled by two or more reviewers.")
    assert "--annotator NAME" in out
    code, out, _ = run(capsys, "agree", "--json")
    data = orjson.loads(out)
    assert code == 0 and data["items"] == 0 and data["fleiss_kappa"] is None
    assert data["reasons"]["gwet_ac1"] == NO_ITEMS


def test_cli_agree_text_and_json(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    from conftest import SAMPLES

    run(capsys, "import", str(SAMPLES))
    with Database.open(cli_db) as db:
        for i, (x, y) in enumerate([("claim", "claim"), ("quote", "quote"), ("background", "background"),
                                    ("background", "claim"), ("background", "background")]):
            _label(db, 0, i, x, "ana")
            _label(db, 0, i, y, "bu\x1bdi")
    code, out, err = run(capsys, "agree")
    assert code == 0, err
    assert "Items:      5 sentence(s)" in out and "Reviewers:  2 (ana, bu␛di)" in out
    assert "\x1b" not in out
    assert "  Percent agreement      0.800" in out
    code, out, _ = run(capsys, "agree", "--json")
    data = orjson.loads(out)
    assert data["items"] == 5 and data["annotator_names"] == ["ana", "bu\x1bdi"]
    assert "\x1b" not in out  # the JSON escapes it
    assert data["percent_agreement"] == 0.8
    assert data["cohen_kappa"][0]["n"] == 5
    assert data["confusion"]["pairs"][0]["matrix"] == [[1, 0, 0], [0, 1, 0], [1, 0, 2]]


def test_cli_agree_errors(capsys: pytest.CaptureFixture[str], cli_db: Path) -> None:
    from conftest import SAMPLES

    code, _, err = run(capsys, "agree")
    assert code == 3 and "no database here" in err and len(err.strip().splitlines()) == 1
    run(capsys, "import", str(SAMPLES))
    with Database.open(cli_db) as db:
        aid = db.article_infos()[0].id
        _label(db, 0, 0, "claim", "ana")
        _label(db, 0, 0, "quote", "budi")
    (cli_db.parent / "annotations.d" / "labels" / f"{aid}.json").write_bytes(b'{"labels": tru')
    code, out, err = run(capsys, "agree")
    assert code == 3 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and aid in err
