"""`annotator export --split`: whole articles per split, stratified by label, stable, and the
files, counts and refusals of the command."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.export import read_record
from annotator.errors import InputError
from annotator.importer import article_id
from annotator.model import Article, Decision, Label, Span
from annotator.splits import (
    SplitCounts,
    assign,
    file_name,
    make_spec,
    order_key,
    parse_split,
    stratum,
    table,
)
from annotator.storage import Database
from conftest import SAMPLES, run_cli

NAMES = ("claim", "quote", "background")
SPEC = make_spec([("train", Fraction(8, 10)), ("dev", Fraction(1, 10)), ("test", Fraction(1, 10))])

# ----------------------------------------------------------------------------- generated data

# Article kinds, as news comes: ordinary reports, interviews (quotes), wire boilerplate.
KINDS = ((0.6, (0.35, 0.15, 0.50)), (0.25, (0.10, 0.60, 0.30)), (0.15, (0.03, 0.02, 0.95)))


def label_counts(n: int, rnd: random.Random, sizes: tuple[int, int] = (3, 30)) -> dict[str, dict[str, int]]:
    """n articles' label counts: a kind per article, a size, labels drawn from the kind's mix."""
    out: dict[str, dict[str, int]] = {}
    for i in range(n):
        weights = rnd.choices([w for _, w in KINDS], [p for p, _ in KINDS])[0]
        drawn = Counter(rnd.choices(NAMES, weights, k=rnd.randint(*sizes)))
        out[f"{rnd.getrandbits(64):016x}{i}"] = dict(drawn)
    return out


def random_grouped(counts: dict[str, dict[str, int]], seed: int) -> dict[str, str]:
    """The baseline: each article to a split by its own hash alone (grouped, not stratified)."""
    out = {}
    for aid in counts:
        u = Fraction(order_key(seed + 10_000, aid), 1 << 64)
        upper = Fraction(0)
        for name, r in SPEC.parts:
            upper += r
            if u < upper:
                out[aid] = name
                break
    return out


def label_error(counts: dict[str, dict[str, int]], assignment: dict[str, str]) -> float:
    """How far the splits' label counts are from their shares of each label's total, as a
    fraction of all labels (0: every split holds exactly its ratio of every label)."""
    per: dict[tuple[str, str], int] = Counter()
    totals: Counter[str] = Counter()
    for aid, c in counts.items():
        for name, n in c.items():
            per[assignment[aid], name] += n
            totals[name] += n
    err = sum(abs(per[s, name] - float(r) * totals[name]) for s, r in SPEC.parts for name in NAMES)
    return err / sum(totals.values())


article_ids = st.text("0123456789abcdef", min_size=1, max_size=6)
counts_of = st.dictionaries(st.sampled_from(NAMES), st.integers(0, 40), max_size=3)
projects = st.dictionaries(article_ids, counts_of, max_size=60)
specs = st.lists(st.integers(1, 20), min_size=1, max_size=4).map(
    lambda rs: make_spec([(f"s{i}", r) for i, r in enumerate(rs)]))
seeds = st.integers(-(2**40), 2**40)


def labeled(counts: dict[str, dict[str, int]]) -> set[str]:
    return {aid for aid, c in counts.items() if any(c.values())}


# ----------------------------------------------------------------------------- the assignment (pure)


@given(projects, specs, seeds)
def test_every_labeled_article_in_exactly_one_split_and_no_other(counts: dict[str, dict[str, int]], spec: Any,
                                                                 seed: int) -> None:
    got = assign(counts, spec, seed)
    assert set(got) == labeled(counts)  # a dict: one split per article, so no article in two
    assert set(got.values()) <= set(spec.names)


@given(projects, specs, seeds, st.randoms(use_true_random=False))
def test_the_same_input_in_any_order_gives_the_same_split(counts: dict[str, dict[str, int]], spec: Any, seed: int,
                                                          rnd: random.Random) -> None:
    items = list(counts.items())
    rnd.shuffle(items)
    assert assign(dict(items), spec, seed) == assign(counts, spec, seed)


@given(projects, specs, seeds)
def test_each_stratum_is_dealt_in_proportion(counts: dict[str, dict[str, int]], spec: Any, seed: int) -> None:
    """Within a stratum of n articles a split of ratio r gets floor(r*n) or ceil(r*n)."""
    got = assign(counts, spec, seed)
    strata: dict[tuple[str, str, int], list[str]] = {}
    for aid in got:
        strata.setdefault(stratum(counts[aid]), []).append(aid)
    for members in strata.values():
        dealt = Counter(got[aid] for aid in members)
        for name, r in spec.parts:
            share = r * len(members)
            assert math.floor(share) <= dealt[name] <= math.ceil(share)


@given(projects, specs, seeds, article_ids, counts_of.filter(lambda c: any(c.values())))
def test_adding_an_article_moves_at_most_one_other_per_boundary(counts: dict[str, dict[str, int]], spec: Any,
                                                                 seed: int, new: str, new_counts: dict[str, int]) -> None:
    """The stability guarantee: k splits, at most k - 1 old articles change split, all of the
    new article's stratum."""
    new = "new" + new
    before = assign(counts, spec, seed)
    after = assign({**counts, new: new_counts}, spec, seed)
    moved = [aid for aid in before if before[aid] != after[aid]]
    assert len(moved) <= len(spec.parts) - 1
    assert all(stratum(counts[aid]) == stratum(new_counts) for aid in moved)


@given(st.integers(0, 2**32), specs, seeds)
@settings(max_examples=25, deadline=None)
def test_split_sizes_are_close_to_the_ratios_for_many_articles(gen: int, spec: Any, seed: int) -> None:
    counts = label_counts(3000, random.Random(gen))
    got = assign(counts, spec, seed)
    n_strata = len({stratum(c) for c in counts.values()})
    sizes = Counter(got.values())
    sentences = Counter[str]()
    for aid, s in got.items():
        sentences[s] += sum(counts[aid].values())
    total = sum(sentences.values())
    for name, r in spec.parts:
        assert abs(sizes[name] - float(r) * len(counts)) <= n_strata  # one article per stratum at most
        assert abs(sizes[name] / len(counts) - float(r)) <= 0.02
        assert abs(sentences[name] / total - float(r)) <= 0.02


@given(st.integers(0, 2**32), st.sampled_from([200, 1000, 3000]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_stratification_beats_a_random_grouped_split_on_labels(gen: int, n: int) -> None:
    counts = label_counts(n, random.Random(gen))
    seeds = range(16)
    stratified = sum(label_error(counts, assign(counts, SPEC, s)) for s in seeds) / len(seeds)
    baseline = sum(label_error(counts, random_grouped(counts, s)) for s in seeds) / len(seeds)
    assert stratified < 0.8 * baseline


def test_stratified_label_shares_at_ten_thousand_articles() -> None:
    counts = label_counts(10_000, random.Random(5))
    got = assign(counts, SPEC, 0)
    assert label_error(counts, got) < 0.01


def test_adding_one_percent_moves_few_articles() -> None:
    """Measured at 10,000 articles: +1% moves well under 1% of the old ones (a fresh random
    split, or a greedy deal, would move about a third)."""
    rnd = random.Random(9)
    old = label_counts(10_000, rnd)
    new = {"added" + k: v for k, v in label_counts(100, rnd).items()}
    before, after = assign(old, SPEC, 1), assign({**old, **new}, SPEC, 1)
    moved = sum(before[aid] != after[aid] for aid in old)
    assert moved <= 2 * len(new)
    assert moved < 0.005 * len(old)


def test_the_seed_chooses_the_split() -> None:
    counts = label_counts(500, random.Random(2))
    assert assign(counts, SPEC, 1) == assign(counts, SPEC, 1)
    assert assign(counts, SPEC, 1) != assign(counts, SPEC, 2)


def test_articles_without_labels_are_left_out() -> None:
    got = assign({"a": {"claim": 2}, "b": {}, "c": {"quote": 0}}, SPEC, 0)
    assert set(got) == {"a"}


def test_stratum_is_the_label_profile() -> None:
    assert stratum({"claim": 5, "quote": 2, "background": 9}) == ("background", "claim", 4)
    assert stratum({"quote": 3, "claim": 3}) == ("claim", "quote", 2)  # ties by name
    assert stratum({"quote": 1, "claim": 0}) == ("quote", "", 0)


# ----------------------------------------------------------------------------- parsing and the table


def test_parse_split() -> None:
    spec = parse_split("train=0.8,dev=0.1,test=0.1")
    assert spec.parts == (("train", Fraction(4, 5)), ("dev", Fraction(1, 10)), ("test", Fraction(1, 10)))
    assert not spec.normalized
    spec = parse_split(" train = 8 , test = 2 ")
    assert spec.parts == (("train", Fraction(4, 5)), ("test", Fraction(1, 5)))
    assert spec.normalized and spec.given_sum == 10
    assert parse_split("a-1=.5,B_2=0.5").names == ("a-1", "B_2")


@pytest.mark.parametrize("text, said", [
    ("", "an empty entry"),
    ("train=0.8,,test=0.2", "an empty entry"),
    ("train", "has no ratio"),
    ("train=0.8,../x=0.2", "not usable as a file name"),
    ("tr ain=1", "not usable as a file name"),
    ("=1", "not usable as a file name"),
    ("x" * 65 + "=1", "not usable as a file name"),
    ("train=0.5,train=0.5", "given twice"),
    ("Train=0.5,train=0.5", "file names may ignore case"),
    ("train=abc", "not a number"),
    ("train=-0.5,test=1", "not a number"),
    ("train=1e9999999", "not a number"),
    ("train=nan", "not a number"),
    ("train=inf", "not a number"),
    ("train=0.8,test=0", "must be above 0"),
    ("train=0.8,test=0.0", "must be above 0"),
])
def test_bad_split_values(text: str, said: str) -> None:
    with pytest.raises(InputError, match=said) as info:
        parse_split(text)
    assert "\n" not in info.value.message


def test_file_names() -> None:
    assert [file_name("train", f) for f in ("jsonl", "sentences", "json", "csv")] == [
        "train.jsonl", "train.jsonl", "train.json", "train.csv"]


def test_table_lines_up() -> None:
    lines = table({"train": SplitCounts(8, 80, {"claim": 60, "quote": 20}), "test": SplitCounts(2, 20, {"claim": 20})},
                  NAMES)
    assert [line.split() for line in lines] == [
        ["split", "articles", "sentences", "labels", "claim", "quote", "background"],
        ["train", "8", "80", "80", "60", "75.0%", "20", "25.0%", "0", "0.0%"],
        ["test", "2", "20", "20", "20", "100.0%", "0", "0.0%", "0", "0.0%"],
        ["total", "10", "100", "100", "80", "80.0%", "20", "20.0%", "0", "0.0%"],
    ]
    assert len({len(line) for line in lines}) == 1


# ----------------------------------------------------------------------------- a realistic project

REVIEWERS = ("ana", "budi", "citra", "dewi")
N_PROJECT = 3000


def build_project(path: Path, n: int, seed: int = 7, unlabeled: float = 0.05, slip: float = 0.08) -> dict[str, Any]:
    """n short articles (2-8 sentences), most labeled by 1 to 3 of 4 reviewers who now and then
    disagree; half the disagreements adjudicated.  Every sentence's text is unique."""
    rnd = random.Random(seed)
    arts, labels, decisions = [], [], []
    unlabeled_ids = []
    for i in range(n):
        text, spans = "", []
        for j in range(rnd.randint(2, 8)):
            s = f"Article {i} sentence {j} says {rnd.choice(('rates', 'prices', 'talks', 'votes'))} moved."
            text += " " if text else ""
            spans.append(Span(len(text), len(text) + len(s)))
            text += s
        art = Article(article_id(text), "", text, tuple(spans), (f"feed/{i:05d}.txt",))
        arts.append(art)
        if rnd.random() < unlabeled:
            unlabeled_ids.append(art.id)
            continue
        weights = rnd.choices([w for _, w in KINDS], [p for p, _ in KINDS])[0]
        who = rnd.sample(REVIEWERS, rnd.randint(1, 3))
        for j, sp in enumerate(spans):
            truth = rnd.choices(NAMES, weights)[0]
            votes = []
            for r in who:
                lab = truth if rnd.random() > slip else rnd.choice(NAMES)
                labels.append(Label(art.id, sp.start, sp.end, lab, r, f"2026-01-01T00:{j:02d}:00.000Z"))
                votes.append((r, lab))
            if len({v for _, v in votes}) > 1 and rnd.random() < 0.5:
                decisions.append(Decision(art.id, sp.start, sp.end, truth, "lead", "checked",
                                          "2026-01-02T00:00:00.000Z", tuple(sorted(votes))))
    with Database.open(path) as db:
        db.add_articles(arts)
        db.merge(labels, decisions)
    return {"articles": arts, "labels": labels, "decisions": decisions, "unlabeled": unlabeled_ids}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    path = tmp_path_factory.mktemp("project") / "annotations.json"
    yield path, build_project(path, N_PROJECT)


def rows(path: Path) -> list[dict[str, Any]]:
    return [read_record(line) for line in path.read_bytes().splitlines()]


def records(path: Path) -> list[dict[str, Any]]:
    """The articles of a json file (one document or an array of the jsonl records)."""
    doc = orjson.loads(path.read_bytes())
    return list(doc["articles"] if isinstance(doc, dict) else doc)


def printed_table(err: str) -> dict[str, list[int]]:
    """split -> [articles, sentences, labels, claim, quote, background] as printed."""
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["split", "articles"])
    assert lines[start].split()[4:] == list(NAMES)
    out = {}
    for line in lines[start + 1:]:
        cells = line.split()
        out[cells[0]] = [int(c.replace(",", "")) for c in cells[1:] if not c.endswith("%")]
        if cells[0] == "total":
            return out
    raise AssertionError(err)


def split_cli(capsys: pytest.CaptureFixture[str], db: Path, out: Path, *args: str) -> tuple[int, str]:
    code, stdout, err = run_cli(capsys, "export", "--db", str(db), "-o", str(out), *args)
    assert stdout == ""
    return code, err


def test_sentences_split_of_a_project_has_no_leakage_and_prints_its_counts(
        in_tmp: Path, project: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    db, built = project
    code, err = split_cli(capsys, db, in_tmp / "splits", "--split", "train=0.8,dev=0.1,test=0.1", "--format",
                          "sentences", "--seed", "3")
    assert code == 0, err
    assert sorted(p.name for p in (in_tmp / "splits").iterdir()) == ["dev.jsonl", "test.jsonl", "train.jsonl"]
    files = {name: rows(in_tmp / "splits" / f"{name}.jsonl") for name in ("train", "dev", "test")}
    ids = {name: {r["article_id"] for r in rs} for name, rs in files.items()}
    texts = {name: {r["text"] for r in rs} for name, rs in files.items()}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        assert not ids[a] & ids[b]
        assert not texts[a] & texts[b]
    # Every label of every labeled article, each exactly once, in one file.
    assert sum(len(rs) for rs in files.values()) == len(built["labels"])
    assert sum(len(i) for i in ids.values()) == N_PROJECT - len(built["unlabeled"])
    # The printed table is what the files hold.
    shown = printed_table(err)
    for name, rs in files.items():
        by_label = Counter(r["label"] for r in rs)
        sentences = {(r["article_id"], r["start"]) for r in rs}
        assert shown[name] == [len(ids[name]), len(sentences), len(rs), *(by_label[x] for x in NAMES)]
    assert shown["total"] == [sum(col) for col in zip(*(shown[n] for n in files))]
    assert f"left out: {len(built['unlabeled'])} article(s) with no label" in err
    assert "seed 3" in err
    # Proportions and label shares follow the ratios at this size.
    total = shown["total"]
    for name, r in (("train", 0.8), ("dev", 0.1), ("test", 0.1)):
        assert abs(shown[name][0] / total[0] - r) < 0.01
        assert abs(shown[name][2] / total[2] - r) < 0.02
        for k in range(3, 6):
            assert abs(shown[name][k] / shown[name][2] - total[k] / total[2]) < 0.02


def test_same_seed_same_bytes_and_another_seed_another_split(
        in_tmp: Path, project: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = project
    for out, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        code, err = split_cli(capsys, db, in_tmp / out, "--split", "train=0.9,test=0.1", "--seed", seed)
        assert code == 0, err
    for name in ("train.jsonl", "test.jsonl"):
        assert (in_tmp / "a" / name).read_bytes() == (in_tmp / "b" / name).read_bytes()
        assert (in_tmp / "a" / name).read_bytes() != (in_tmp / "c" / name).read_bytes()
    # The same again into the same folder: the files are replaced by the same bytes.
    before = {p.name: p.read_bytes() for p in (in_tmp / "a").iterdir()}
    code, err = split_cli(capsys, db, in_tmp / "a", "--split", "train=0.9,test=0.1", "--seed", "5")
    assert code == 0, err
    assert {p.name: p.read_bytes() for p in (in_tmp / "a").iterdir()} == before


@pytest.mark.parametrize("fmt, ext", [("jsonl", "jsonl"), ("json", "json")])
def test_article_formats_split_by_article(in_tmp: Path, project: tuple[Path, dict[str, Any]],
                                          capsys: pytest.CaptureFixture[str], fmt: str, ext: str) -> None:
    db, built = project
    code, err = split_cli(capsys, db, in_tmp / "out", "--split", "train=0.7,dev=0.15,test=0.15", "--format", fmt)
    assert code == 0, err
    got = {name: (records(in_tmp / "out" / f"{name}.{ext}") if fmt == "json" else rows(in_tmp / "out" / f"{name}.{ext}"))
           for name in ("train", "dev", "test")}
    ids = {name: [r["id"] for r in rs] for name, rs in got.items()}
    texts = {name: {r["text"] for r in rs} for name, rs in got.items()}
    every = [i for v in ids.values() for i in v]
    assert len(every) == len(set(every)) == N_PROJECT - len(built["unlabeled"])
    assert sum(len(t) for t in texts.values()) == len(set().union(*texts.values()))
    shown = printed_table(err)
    for name, rs in got.items():
        assert shown[name][0] == len(rs)
        assert shown[name][2] == sum(len(r["spans"]) for r in rs)


def test_gold_split_counts_the_gold_labels_and_leaves_out_the_undecided(
        in_tmp: Path, project: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    db, built = project
    code, err = split_cli(capsys, db, in_tmp / "gold", "--split", "train=0.8,dev=0.1,test=0.1", "--gold",
                          "--format", "sentences")
    assert code == 0, err
    files = {name: rows(in_tmp / "gold" / f"{name}.jsonl") for name in ("train", "dev", "test")}
    shown = printed_table(err)
    seen: set[tuple[str, int]] = set()
    for name, rs in files.items():
        keys = {(r["article_id"], r["start"]) for r in rs}
        assert len(keys) == len(rs)  # one gold label per sentence
        assert not keys & seen
        seen |= keys
        by_label = Counter(r["label"] for r in rs)
        assert shown[name] == [len({r["article_id"] for r in rs}), len(rs), len(rs), *(by_label[x] for x in NAMES)]
    assert "(gold labels)" in err and "in dispute left out" in err
    assert f"{len(built['decisions'])} adjudicated" in err
    left = int(err.split("left out: ")[1].split()[0].replace(",", ""))
    assert left >= len(built["unlabeled"]) and "with no gold label" in err
    assert shown["total"][0] + left == N_PROJECT


def test_only_one_reviewer(in_tmp: Path, project: tuple[Path, dict[str, Any]],
                           capsys: pytest.CaptureFixture[str]) -> None:
    db, built = project
    code, err = split_cli(capsys, db, in_tmp / "ana", "--split", "train=0.5,test=0.5", "--only", "ana",
                          "--format", "sentences")
    assert code == 0, err
    got = rows(in_tmp / "ana" / "train.jsonl") + rows(in_tmp / "ana" / "test.jsonl")
    assert {r["annotator"] for r in got} == {"ana"}
    assert len(got) == sum(lab.annotator == "ana" for lab in built["labels"])
    assert "with no label by ana" in err


# ----------------------------------------------------------------------------- the samples and the refusals


@pytest.fixture
def samples_db(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The sample articles, every sentence of each labeled by ana."""
    code, _, err = run_cli(capsys, "import", str(SAMPLES))
    assert code == 0, err
    path = in_tmp / "annotations" / "annotations.json"
    with Database.open(path) as db:
        labels = [Label(info.id, sp.start, sp.end, NAMES[k % 3], "ana", "2026-01-01T00:00:00.000Z")
                  for info in db.article_infos() for k, sp in enumerate(db.get_article(info.id).sentences)]
        db.merge(labels)
    return path


def test_samples_split(samples_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "export", "--split", "train=1,test=1", "-o", "out/v1")
    assert code == 0, err
    assert "the ratios sum to 2, not 1; normalized to train 0.5, test 0.5" in err
    train, test = rows(in_tmp / "out/v1/train.jsonl"), rows(in_tmp / "out/v1/test.jsonl")
    assert len(train) + len(test) == 2
    assert {r["id"] for r in train}.isdisjoint(r["id"] for r in test)
    shown = printed_table(err)
    assert shown["train"][0] == len(train) and shown["test"][0] == len(test)
    assert shown["total"][2] == sum(len(r["spans"]) for r in train + test)
    assert "wrote out/v1/train.jsonl (" in err


def test_a_split_too_small_for_any_article_is_written_empty_and_said(
        samples_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "export", "--split", "train=0.98,dev=0.01,test=0.01", "-o", "out")
    assert code == 0, err
    assert (in_tmp / "out/dev.jsonl").read_bytes() == b""
    assert "split: dev has no article: too few labeled articles for its ratio" in err


@pytest.mark.parametrize("args, said", [
    (["--split", "train=0.8,test=x", "-o", "out"], "test's ratio 'x' is not a number"),
    (["--split", "a/b=1", "-o", "out"], "not usable as a file name"),
    (["--split", "train=0.8,test=0.2"], "--split needs -o FOLDER"),
    (["--seed", "4", "-o", "out"], "--seed goes with --split"),
    (["--split", "train=1", "--seed", "x", "-o", "out"], "--seed x: not a whole number"),
    (["--split", "train=1", "--seed", "1.5", "-o", "out"], "--seed 1.5: not a whole number"),
])
def test_bad_values_are_one_line_and_exit_2(samples_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str],
                                            args: list[str], said: str) -> None:
    code, out, err = run_cli(capsys, "export", *args)
    assert code == 2
    assert said in err and len(err.strip().splitlines()) == 1
    assert not (in_tmp / "out").exists()


def test_no_labels_no_split(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "import", str(SAMPLES))
    code, _, err = run_cli(capsys, "export", "--split", "train=0.5,test=0.5", "-o", "out")
    assert code == 1 and "nothing to split" in err
    assert not (in_tmp / "out").exists()


def test_output_folder_rules(samples_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    split = ["export", "--split", "train=0.5,test=0.5"]
    (in_tmp / "file").write_text("x")
    code, _, err = run_cli(capsys, *split, "-o", "file")
    assert code == 2 and "is a file" in err
    # Inside the database's folder: refused, nothing created there.
    code, _, err = run_cli(capsys, *split, "-o", "annotations/annotations.d/splits")
    assert code == 2 and "inside the database's folder" in err
    assert not (in_tmp / "annotations/annotations.d/splits").exists()
    # A folder of other files: written beside them.
    (in_tmp / "mixed").mkdir()
    (in_tmp / "mixed/notes.txt").write_text("mine")
    assert run_cli(capsys, *split, "-o", "mixed")[0] == 0
    assert (in_tmp / "mixed/notes.txt").read_text() == "mine"
    # ... but never again: that would replace the split's files and keep other files beside them.
    code, _, err = run_cli(capsys, *split, "-o", "mixed")
    assert code == 2 and "already holds" in err and "notes.txt" in err
    # An earlier split into other names: refused (val.jsonl would stay beside the new dev.jsonl).
    assert run_cli(capsys, "export", "--split", "train=0.8,val=0.2", "-o", "v")[0] == 0
    code, _, err = run_cli(capsys, "export", "--split", "train=0.8,dev=0.2", "-o", "v")
    assert code == 2 and "val.jsonl" in err
    assert sorted(p.name for p in (in_tmp / "v").iterdir()) == ["train.jsonl", "val.jsonl"]
    # A folder holding only (some of) this split's files: they are replaced.
    (in_tmp / "w").mkdir()
    (in_tmp / "w/train.jsonl").write_text("old")
    (in_tmp / "w/.DS_Store").write_text("")
    assert run_cli(capsys, *split, "-o", "w")[0] == 0
    assert (in_tmp / "w/train.jsonl").read_text() != "old"
