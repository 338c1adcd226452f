"""annotator.schemes: the pure edits of a label scheme (add, set, rename, remove), its TOML in
and out, the union a merge makes; and the key registry (annotator.keymap) that keeps label
keys off the apps' own keys."""

from __future__ import annotations

import dataclasses
import re

import pytest
from textual.binding import Binding

from annotator import keymap, schemes
from annotator.errors import InputError
from annotator.model import DEFAULT_SCHEME, MAX_DIGIT_LABELS, SKIP, LabelDef, LabelScheme
from annotator.storage import Database

D = DEFAULT_SCHEME


def refused(match: str) -> pytest.RaisesExc[InputError]:
    return pytest.raises(InputError, match=match)


def names_ids(s: LabelScheme) -> list[tuple[str, str, bool]]:
    return [(d.name, d.id, d.retired) for d in s.labels]


# ----------------------------------------------------------------------------- add


def test_add_appends_with_the_next_digit_and_its_letter() -> None:
    s = schemes.add(D, "opinion", key="o", colour="red", description="What someone thinks.")
    d = s.live[-1]
    assert (d.name, d.id, d.keys, d.color, d.description, d.retired) == (
        "opinion", "opinion", ("o",), "red", "What someone thinks.", False)
    assert s.names == ("claim", "quote", "background", "opinion")
    assert s.keys_of(d) == ("4", "o")
    assert [s.keys_of(x) for x in s.live[:3]] == [("1", "c"), ("2", "q"), ("3", "b")]
    assert D.names == ("claim", "quote", "background")  # pure: the old scheme is unchanged


def test_add_without_a_key_has_only_its_digit() -> None:
    s = schemes.add(D, "opinion")
    assert s.live[-1].keys == () and s.keys_of(s.live[-1]) == ("4",)


@pytest.mark.parametrize(("position", "order"), [
    (1, ["opinion", "claim", "quote", "background"]),
    (2, ["claim", "opinion", "quote", "background"]),
    (4, ["claim", "quote", "background", "opinion"]),
])
def test_add_at_a_position_moves_the_digits(position: int, order: list[str]) -> None:
    s = schemes.add(D, "opinion", key="o", position=position)
    assert list(s.names) == order
    for n, d in enumerate(s.live, 1):
        assert s.keys_of(d)[0] == str(n)
    assert s.keys_of(s.by_name("opinion")) == (str(position), "o")  # type: ignore[arg-type]


@pytest.mark.parametrize("position", [0, -1, 5, 100])
def test_add_at_a_position_out_of_range_is_refused(position: int) -> None:
    with refused(r"--position .*give 1 to 4"):
        schemes.add(D, "opinion", position=position)


def test_only_nine_labels_have_digits() -> None:
    s = D
    for n in range(4, 12):
        s = schemes.add(s, f"label{n}")
    assert len(s.live) == 11
    assert s.keys_of(s.live[MAX_DIGIT_LABELS - 1]) == ("9",)
    assert s.keys_of(s.live[9]) == () and s.keys_of(s.live[10]) == ()


@pytest.mark.parametrize("name", ["", " padded", "padded ", "a" * 65, "new\nline", "esc\x1b[31m", "tab\tname",
                                  "del\x7f", "zero\u200bwidth"])
def test_add_refuses_a_bad_name(name: str) -> None:
    with refused("label name .* choose another"):
        schemes.add(D, name)


def test_a_name_of_64_characters_is_fine() -> None:
    assert schemes.add(D, "a" * 64).live[-1].name == "a" * 64


def test_add_refuses_skip_as_a_name() -> None:
    with refused("skip is the decision 'not applicable'"):
        schemes.add(D, SKIP)


def test_add_refuses_a_name_the_scheme_has() -> None:
    with refused("the scheme has a label 'claim' already"):
        schemes.add(D, "claim")


@pytest.mark.parametrize("key", [str(n) for n in range(10)] + ["٣", "²"])
def test_add_refuses_a_digit_key(key: str) -> None:
    with refused(f"--key {key}: digits follow the scheme's order"):
        schemes.add(D, "opinion", key=key)


@pytest.mark.parametrize("key", sorted(k for k in keymap.APP_KEYS if not k.isdigit()))
def test_add_refuses_every_app_key(key: str) -> None:
    with refused(re.escape(f"--key {key} is the app's key for {keymap.APP_KEYS[key]}")):
        schemes.add(D, "opinion", key=key)


@pytest.mark.parametrize(("key", "owner"), [("c", "claim"), ("q", "quote"), ("b", "background")])
def test_add_refuses_another_labels_key(key: str, owner: str) -> None:
    with refused(f"--key {key} is the key of the label '{owner}'.*scheme set {owner} --key"):
        schemes.add(D, "opinion", key=key)


@pytest.mark.parametrize("key", ["oo", " ", "\t", "\x1b", "\n", "\u200b"])
def test_add_refuses_a_key_that_is_not_one_printable_character(key: str) -> None:
    with refused("a key is one character"):
        schemes.add(D, "opinion", key=key)


@pytest.mark.parametrize("key", ["o", "O", "C", "é", ",", ".", "-", "'", '"', "|", "[", "#"])
def test_add_takes_any_other_printable_key(key: str) -> None:
    s = schemes.add(D, "opinion", key=key)
    assert s.keys_of(s.live[-1]) == ("4", key)


@pytest.mark.parametrize("colour", ["notacolour", "#12345", "#1234567", "#gggggg", "rgb(300,0,0)", "rgb(1,2)",
                                    "color(300)", "red on blue", "bold red", "[red]", "Red"])
def test_add_refuses_a_bad_colour(colour: str) -> None:
    with refused("is no colour"):
        schemes.add(D, "opinion", colour=colour)


@pytest.mark.parametrize("colour", ["", "red", "bright_blue", "#00ff7f", "#00FF7F", "rgb(10, 20, 30)", "color(42)"])
def test_add_takes_a_colour_rich_reads(colour: str) -> None:
    assert schemes.add(D, "opinion", colour=colour).live[-1].color == colour


@pytest.mark.parametrize("description", ["x" * (schemes.DESCRIPTION_MAX + 1), "two\nlines", "tab\there", "\x1b[2J"])
def test_add_refuses_a_bad_description(description: str) -> None:
    with refused("--description: at most"):
        schemes.add(D, "opinion", description=description)


def test_a_description_at_the_limit_with_unicode_is_fine() -> None:
    text = ("Pendapat «opini» — ✓ " * 40)[: schemes.DESCRIPTION_MAX]
    assert schemes.add(D, "opinion", description=text).live[-1].description == text


# ----------------------------------------------------------------------------- set


def test_set_changes_only_what_is_given() -> None:
    s = schemes.set_label(D, "quote", key="e")
    q = s.by_name("quote")
    assert q is not None and q.keys == ("e",) and q.description == D.live[1].description and q.id == "quote"
    s = schemes.set_label(s, "quote", colour="green", description="Said by someone.")
    q = s.by_name("quote")
    assert q is not None and (q.keys, q.color, q.description) == (("e",), "green", "Said by someone.")
    s = schemes.set_label(s, "quote", key="", colour="")
    q = s.by_name("quote")
    assert q is not None and (q.keys, q.color) == ((), "")
    assert s.keys_of(q) == ("2",)


def test_set_keeps_its_own_key_and_frees_it_for_another() -> None:
    assert schemes.set_label(D, "claim", key="c") == D
    with refused("--key q is the key of the label 'quote'"):
        schemes.set_label(D, "claim", key="q")
    s = schemes.set_label(D, "quote", key="e")
    s = schemes.set_label(s, "claim", key="q")  # q is free now
    assert [d.keys for d in s.live] == [("q",), ("e",), ("b",)]


@pytest.mark.parametrize(("kw", "match"), [
    ({"key": "1"}, "digits follow"), ({"key": "x"}, "app's key for clear"), ({"colour": "nope"}, "is no colour"),
    ({"description": "y" * 501}, "--description"), ({"position": 4}, "give 1 to 3"),
])
def test_set_refuses_what_add_refuses(kw: dict[str, object], match: str) -> None:
    with refused(match):
        schemes.set_label(D, "claim", **kw)  # type: ignore[arg-type]


def test_set_position_moves_the_label_and_its_digit() -> None:
    s = schemes.set_label(D, "background", position=1)
    assert s.names == ("background", "claim", "quote")
    assert [s.keys_of(d) for d in s.live] == [("1", "b"), ("2", "c"), ("3", "q")]
    assert schemes.set_label(s, "background", position=3) == D


def test_set_an_unknown_label_is_refused_naming_the_labels() -> None:
    with refused("no label 'opinion' in the scheme \\(it has claim, quote, background\\)"):
        schemes.set_label(D, "opinion", key="o")


# ----------------------------------------------------------------------------- rename


def test_rename_keeps_id_keys_place_and_everything_else() -> None:
    s = schemes.rename(D, "claim", "assertion")
    d = s.live[0]
    assert (d.name, d.id, d.keys, d.description) == ("assertion", "claim", ("c",), D.live[0].description)
    assert s.ids == D.ids and s.names == ("assertion", "quote", "background")
    assert s.get("claim") is d and s.by_name("claim") is None and s.by_name("assertion") is d
    assert s.id_for("assertion") == "claim" and s.id_for("claim") == "claim"  # a file from before the rename
    assert s.name_of("claim") == "assertion"
    assert schemes.rename(s, "assertion", "claim") == D  # and back


def test_rename_refusals() -> None:
    with refused("the scheme has a label 'quote' already"):
        schemes.rename(D, "claim", "quote")
    with refused("skip is the decision"):
        schemes.rename(D, "claim", SKIP)
    with refused("label name"):
        schemes.rename(D, "claim", " spaced")
    with refused("no label 'nope'"):
        schemes.rename(D, "nope", "x")
    assert schemes.rename(D, "claim", "claim") == D


def test_a_new_label_may_take_a_renamed_labels_old_name_under_a_new_id() -> None:
    s = schemes.add(schemes.rename(D, "claim", "assertion"), "claim", key="e")
    new = s.by_name("claim")
    assert new is not None and new.id not in D.ids and new.id != SKIP
    assert s.name_of("claim") == "assertion" and s.name_of(new.id) == "claim"
    assert s.id_for("claim") == new.id  # a live name wins over an old id


# ----------------------------------------------------------------------------- remove


def test_remove_retires_and_a_re_add_revives_the_same_id() -> None:
    s = schemes.remove(D, "claim")
    assert s.names == ("quote", "background")
    assert names_ids(s)[-1] == ("claim", "claim", True)
    assert s.get("claim") is None and s.known("claim") and s.knows("claim") and not s.takes("claim")
    assert s.name_of("claim") == "claim"
    assert [s.keys_of(d) for d in s.live] == [("1", "q"), ("2", "b")]
    with refused("no label 'claim'"):
        schemes.remove(s, "claim")
    back = schemes.add(s, "claim", key="c")
    d = back.by_name("claim")
    assert d is not None and d.id == "claim" and not d.retired and d.keys == ("c",)
    assert [x.id for x in back.labels] == ["quote", "background", "claim"]  # revived, not duplicated
    assert schemes.add(s, "claim", key="c", position=1).ids == ("claim", "quote", "background")


def test_remove_a_renamed_label_then_add_its_old_name_is_a_new_label() -> None:
    s = schemes.remove(schemes.rename(D, "claim", "assertion"), "assertion")
    s = schemes.add(s, "claim")
    assert s.by_name("claim") is not None and s.by_name("claim").id != "claim"  # type: ignore[union-attr]
    assert s.name_of("claim") == "assertion"  # the retired label keeps its last name
    s = schemes.add(s, "assertion")
    assert s.by_name("assertion").id == "claim"  # type: ignore[union-attr]


def test_remove_the_last_live_label_is_refused() -> None:
    s = schemes.remove(schemes.remove(D, "claim"), "quote")
    with refused("the scheme's only label; add another first"):
        schemes.remove(s, "background")


def test_skip_is_taken_by_every_scheme_and_never_a_label() -> None:
    for s in (D, schemes.remove(D, "claim"), schemes.rename(D, "quote", "said")):
        assert s.takes(SKIP) and s.knows(SKIP) and s.get(SKIP) is None and SKIP not in s.names + s.ids
        assert s.name_of(SKIP) == SKIP
    s = schemes.add(D, "skip-ish")
    assert s.live[-1].id == "skip-ish"


# ----------------------------------------------------------------------------- TOML


def _odd_scheme() -> LabelScheme:
    """A scheme with everything TOML must carry: renames, colours, descriptions with quotes,
    backslashes and unicode, a retired label, a label without a key."""
    s = schemes.rename(D, "claim", 'say "hi" \\ there')
    s = schemes.set_label(s, "quote", colour="#00ff7f", description='He said: "no" \\ C:\\path \'single\'')
    s = schemes.add(s, "opini ✓ 日本語 🎉", key="é", colour="bright_blue", description="«Pendapat» — tanpa kunci")
    s = schemes.add(s, "[b]markup[/b] # not a comment = x", key='"')
    s = schemes.add(s, "keyless", description='"""triple""" and \'\'\'single\'\'\'')
    s = schemes.add(s, "gone", key="z")
    s = schemes.remove(s, "gone")
    s = schemes.set_label(s, "background", position=1, key="|")  # (a backslash is the app's key for the list)
    return s


def test_toml_round_trip_of_the_default_scheme() -> None:
    text = schemes.to_toml(D)
    assert schemes.from_toml(D, text, "f.toml") == D
    assert text.count("\n[[label]]\n") == 3


def test_toml_round_trip_with_quotes_backslashes_unicode_and_retired_labels() -> None:
    s = _odd_scheme()
    assert [d.retired for d in s.labels].count(True) == 1
    text = schemes.to_toml(s)
    assert "gone" not in text  # only the live labels are written
    assert schemes.from_toml(s, text, "f.toml") == s
    # Onto the default scheme: the same live labels, by id, in the same order.
    onto = schemes.from_toml(D, text, "f.toml")
    assert onto.live == s.live
    assert onto.get("claim") is not None and onto.get("claim").name == 'say "hi" \\ there'  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ['a"b', "a\\b", "a\\nb", "\\u0041", "ünï", "𝔘𝔫𝔦", "'", "=", "#", "[x]", "a b"])
def test_toml_round_trip_of_one_odd_name(name: str) -> None:
    s = schemes.add(D, name, description=name)
    assert schemes.from_toml(s, schemes.to_toml(s), "f") == s
    assert schemes.from_toml(D, schemes.to_toml(s), "f") == s


def test_toml_matches_by_id_so_names_can_be_swapped() -> None:
    text = schemes.to_toml(D).replace('name = "claim"', 'name = "TMP"').replace(
        'name = "quote"', 'name = "claim"').replace('name = "TMP"', 'name = "quote"')
    s = schemes.from_toml(D, text, "f")
    assert s.ids == ("claim", "quote", "background")
    assert s.names == ("quote", "claim", "background")


def test_toml_without_ids_matches_by_name_and_order_sorts() -> None:
    text = """
[[label]]
name = "background"
key = "b"
order = 3

[[label]]
name = "claim"
key = "c"
order = 1

[[label]]
name = "opinion"
key = "o"
color = "red"
description = "new"
order = 2
"""
    s = schemes.from_toml(D, text, "f")
    assert s.names == ("claim", "opinion", "background")
    assert s.ids == ("claim", "opinion", "background")
    # quote, left out, is retired (kept for the history), keys gone
    assert names_ids(s)[-1] == ("quote", "quote", True) and s.labels[-1].keys == ()
    assert s.by_name("opinion") == LabelDef("opinion", ("o",), "new", "opinion", "red")


def test_toml_a_new_label_never_takes_the_id_skip() -> None:
    s = schemes.from_toml(D, schemes.to_toml(D) + '\n[[label]]\nname = "other"\nid = "skip"\n', "f")
    assert SKIP not in s.ids and s.live[-1].name == "other"


def _toml(*labels: str) -> str:
    return "\n".join(f"[[label]]\n{body}\n" for body in labels)


@pytest.mark.parametrize(("text", "match"), [
    ("[[label]\nname = 'x'", "not valid TOML"),
    ("name = 'x'", "no \\[\\[label\\]\\] tables"),
    ("", "no \\[\\[label\\]\\] tables"),
    ("label = 'x'", "no \\[\\[label\\]\\] tables"),
    ("label = []", "no \\[\\[label\\]\\] tables"),
    ("label = [1, 2]", "no \\[\\[label\\]\\] tables"),
    (_toml('name = "claim"\nshortcut = "c"'), "unknown key\\(s\\) shortcut in \\[\\[label\\]\\]"),
    (_toml('name = "claim"\ncolour = "red"'), "unknown key\\(s\\) colour"),
    (_toml("name = 1"), "are strings"),
    (_toml('name = "claim"\nkey = ["c"]'), "are strings"),
    (_toml('name = "claim"\nid = 3'), "are strings"),
    (_toml('name = "claim"', 'name = "claim"'), "label 2 \\(claim\\): the scheme has a label 'claim' already"),
    (_toml('name = "a"\nid = "claim"', 'name = "b"\nid = "claim"'), "the id 'claim' is given twice"),
    (_toml('name = "a"\nid = "new"', 'name = "b"\nid = "new"'), "the id 'new' is given twice"),
    (_toml('name = "skip"'), "skip is the decision"),
    (_toml('name = ""'), "label name"),
    (_toml('name = "claim"\nkey = "1"'), "digits follow"),
    (_toml('name = "claim"\nkey = "u"'), "app's key for undo"),
    (_toml('name = "claim"\nkey = "c"', 'name = "quote"\nkey = "c"'), "label 2 \\(quote\\): --key c is the key"),
    (_toml('name = "claim"\ncolor = "nope"'), "is no colour"),
    (_toml(f'name = "claim"\ndescription = "{"d" * 501}"'), "--description"),
    (_toml('name = "claim"\ndescription = "a\\nb"'), "--description"),
])
def test_bad_toml_is_refused_naming_the_file(text: str, match: str) -> None:
    with refused(f"^scheme.toml: .*{match}"):
        schemes.from_toml(D, text, "scheme.toml")


@pytest.mark.parametrize("orders", [('"a"', "2"), ('"1"', "2"), ("[1]", "2")])
def test_toml_order_that_is_no_number_is_refused(orders: tuple[str, str]) -> None:
    text = _toml(f'name = "claim"\norder = {orders[0]}', f'name = "quote"\norder = {orders[1]}')
    with refused("^scheme.toml: .*order"):
        schemes.from_toml(D, text, "scheme.toml")


# ----------------------------------------------------------------------------- union (merge)


def test_union_of_equal_schemes_changes_nothing() -> None:
    assert schemes.union(D, D) == (D, [])
    s = _odd_scheme()
    assert schemes.union(s, s) == (s, [])


def test_union_keeps_this_copys_name_for_a_label_renamed_there() -> None:
    there = schemes.rename(D, "claim", "assertion")
    out, notes = schemes.union(D, there)
    assert out == D and notes == ["the label claim is named assertion there; kept the name claim"]
    out, notes = schemes.union(there, D)
    assert out == there and notes == ["the label assertion is named claim there; kept the name assertion"]


def test_union_adds_a_label_made_there_with_its_key() -> None:
    there = schemes.add(D, "opinion", key="o", colour="red", description="d")
    out, notes = schemes.union(D, there)
    assert out == there and notes == ["added the label opinion from there"]


def test_union_adds_a_label_without_a_key_taken_here() -> None:
    here = schemes.add(D, "aside", key="o")
    there = schemes.add(D, "opinion", key="o")
    out, notes = schemes.union(here, there)
    assert out.names == ("claim", "quote", "background", "aside", "opinion")
    assert out.by_name("opinion").keys == ()  # type: ignore[union-attr]
    assert out.by_name("aside").keys == ("o",)  # type: ignore[union-attr]
    assert any("came without its key o" in n and "scheme set opinion --key" in n for n in notes)
    assert "added the label opinion from there" in notes


def test_union_skips_a_label_whose_name_is_another_label_here() -> None:
    here = schemes.add(schemes.rename(D, "claim", "assertion"), "claim")  # a new label named claim (new id)
    out, notes = schemes.union(D, here)
    # there, "claim" is the id claim (here's claim) renamed, and a new id named claim
    assert out.by_name("claim").id == "claim"  # type: ignore[union-attr]
    assert any("is another label" in n and "were skipped" in n for n in notes), notes
    assert len(out.live) == 3


def test_union_notes_a_label_removed_here_and_keeps_it_removed() -> None:
    here = schemes.remove(D, "claim")
    out, notes = schemes.union(here, D)
    assert out == here and notes == ["the label claim was removed here; its labels from there were skipped"]


def test_union_keeps_a_label_retired_there_for_the_history() -> None:
    there = schemes.remove(schemes.add(D, "gone"), "gone")
    out, notes = schemes.union(D, there)
    assert notes == [] and out.live == D.live
    assert out.known("gone") and not out.takes("gone") and out.name_of("gone") == "gone"
    # and a label removed there but live here stays live here
    out, notes = schemes.union(schemes.add(D, "gone"), there)
    assert out.by_name("gone") is not None and notes == []


def test_union_result_is_a_scheme_the_database_stores(db: Database) -> None:
    here = schemes.remove(schemes.rename(D, "claim", "assertion"), "background")
    db.set_scheme(here)
    there = schemes.remove(schemes.add(schemes.add(D, "opinion", key="o"), "gone"), "gone")
    out, _ = schemes.union(db.scheme, there)
    db.set_scheme(out)
    assert db.scheme == out
    assert out.names == ("assertion", "quote", "opinion")
    assert all(out.known(i) for i in ("claim", "quote", "background", "opinion", "gone"))


# ----------------------------------------------------------------------------- storing a scheme


def test_the_database_keeps_every_id_it_knew(db: Database) -> None:
    with pytest.raises(ValueError, match="would be forgotten"):
        db.set_scheme(LabelScheme(D.live[1:]))
    with pytest.raises(ValueError, match="every id once"):
        db.set_scheme(LabelScheme((*D.labels, dataclasses.replace(D.labels[0], name="again"))))
    with pytest.raises(ValueError, match="a live label"):
        db.set_scheme(LabelScheme(tuple(dataclasses.replace(d, retired=True) for d in D.labels)))
    s = schemes.add(schemes.remove(schemes.rename(D, "claim", "assertion"), "quote"), "opinion", key="o",
                    colour="#112233")
    db.set_scheme(s)
    path = db.path
    db.close()
    with Database.open(path) as again:
        assert again.scheme == s


# ----------------------------------------------------------------------------- key registry


IGNORED = {"down", "up", "left", "right", "pagedown", "pageup", "home", "end", "escape", "backspace", "enter", "tab", "space"}


def bound_keys(bindings: list[Binding]) -> set[str]:
    keys: set[str] = set()
    for b in bindings:
        for key in b.key.split(","):
            key = key.strip()
            key = {"question_mark": "?", "slash": "/", "greater_than_sign": ">", "backslash": "\\"}.get(key, key)
            if key.startswith("ctrl+") or key in IGNORED:
                continue
            keys.add(key)
    return keys


def test_every_key_the_labeling_and_review_screens_bind_is_registered() -> None:
    from annotator.app import LabelScreen
    from annotator.ui.review import ReviewScreen

    label_keys = {k for d in D.live for k in D.keys_of(d)}
    for screen in (LabelScreen, ReviewScreen):
        keys = bound_keys([b for b in screen.BINDINGS if isinstance(b, Binding)])
        assert keys, screen
        loose = {k for k in keys if k not in keymap.APP_KEYS and k not in label_keys}
        assert not loose, f"{screen.__name__} binds {sorted(loose)}: add them to annotator.keymap.APP_KEYS"
        assert all(len(k) == 1 for k in keys), keys  # every named key is in IGNORED


def test_the_default_schemes_keys_clash_with_no_app_key() -> None:
    for d in D.live:
        for key in D.keys_of(d):
            assert keymap.clash(key) is None and key not in keymap.APP_KEYS, (d.name, key)
    assert keymap.clash("0") == "skip" and keymap.clash("o") is None


def test_every_app_key_is_one_character_and_refused_as_a_label_key() -> None:
    for key, what in keymap.APP_KEYS.items():
        assert len(key) == 1 and what
        with pytest.raises(InputError):
            schemes.check_key(D, key)
