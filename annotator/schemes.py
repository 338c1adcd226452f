"""Editing a project's label scheme: add, set, rename, remove, and TOML in and out.

Pure functions from one :class:`LabelScheme` to the next; each refuses a bad edit with an
:class:`InputError` that says what to do.  The database stores the result
(``Database.set_scheme``); nothing here reads or writes labels.  A label keeps its id for
life, so a rename touches the scheme only and every stored label follows it; a removed
label stays in the scheme as retired, so the history that names it still reads.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib

from annotator.errors import InputError
from annotator.keymap import clash
from annotator.model import MAX_DIGIT_LABELS, SKIP, LabelDef, LabelScheme
from annotator.names import is_name
from annotator.sanitize import sanitize_line

DESCRIPTION_MAX = 500
# A colour as Rich reads it: a name (red, bright_blue), #rrggbb, rgb(r,g,b), color(n).
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}|rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)|color\(\d{1,3}\)|[a-z_0-9]+")


def _shown(text: str) -> str:
    return sanitize_line(text[:40])


def check_name(scheme: LabelScheme, name: str, *, allow: str | None = None) -> None:
    if not is_name(name):
        raise InputError(f"label name {_shown(name)!r} is empty, padded, over 64 characters or not printable; "
                         f"choose another")
    if name == SKIP:
        raise InputError("skip is the decision 'not applicable' (key 0), not a label; choose another name")
    if name != allow and scheme.by_name(name) is not None:
        raise InputError(f"the scheme has a label {_shown(name)!r} already; choose another name")


def check_key(scheme: LabelScheme, key: str, *, owner: str | None = None) -> None:
    """A label's letter key: one printable character, no digit, none of the app's keys,
    no other label's."""
    if len(key) != 1 or not key.isprintable() or key.isspace():
        raise InputError(f"--key {_shown(key)!r}: a key is one character, e.g. --key o")
    if key.isdigit():
        raise InputError(f"--key {key}: digits follow the scheme's order (1-{MAX_DIGIT_LABELS}) and 0 is skip; "
                         f"give a letter")
    what = clash(key)
    if what is not None:
        raise InputError(f"--key {key} is the app's key for {what}; choose another letter")
    for d in scheme.live:
        if key in d.keys and d.name != owner:
            raise InputError(f"--key {key} is the key of the label {_shown(d.name)!r}; choose another letter, or "
                             f"change that label's key first (annotator scheme set {_shown(d.name)} --key ...)")


def check_colour(colour: str) -> None:
    if colour and (_COLOUR.fullmatch(colour) is None or not _parses_as_colour(colour)):
        raise InputError(f"--color {_shown(colour)!r} is no colour; use a name (red, bright_blue), #rrggbb, "
                         f"rgb(r,g,b), or \"\" for the theme's")


def _parses_as_colour(colour: str) -> bool:
    from rich.color import Color, ColorParseError

    try:
        Color.parse(colour)
    except ColorParseError:
        return False
    return True


def check_description(text: str) -> None:
    if len(text) > DESCRIPTION_MAX or any(not (c.isprintable() or c == " ") for c in text):
        raise InputError(f"--description: at most {DESCRIPTION_MAX} printable characters on one line")


def _new_id(scheme: LabelScheme, name: str) -> str:
    """The id a new label is stored as: its name, unless some label (live or retired) had it."""
    taken = {d.id for d in scheme.labels} | {SKIP}
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"


def _replace(scheme: LabelScheme, old: LabelDef, new: LabelDef) -> LabelScheme:
    return LabelScheme(tuple(new if d is old else d for d in scheme.labels))


def _live(scheme: LabelScheme, name: str) -> LabelDef:
    d = scheme.by_name(name)
    if d is None:
        raise InputError(f"no label {_shown(name)!r} in the scheme (it has {', '.join(scheme.names)}); "
                         f"see `annotator scheme`")
    return d


def _placed(scheme: LabelScheme, label: LabelDef, position: int | None) -> LabelScheme:
    """``label`` moved to ``position`` (1-based) among the live labels."""
    if position is None:
        return scheme
    live = [d for d in scheme.live if d.id != label.id]
    if not 1 <= position <= len(live) + 1:
        raise InputError(f"--position {position}: give 1 to {len(live) + 1}")
    live.insert(position - 1, label)
    return LabelScheme((*live, *(d for d in scheme.labels if d.retired)))


def add(scheme: LabelScheme, name: str, *, key: str = "", colour: str = "", description: str = "",
        position: int | None = None) -> LabelScheme:
    """A new label at the end (or at ``position``); a removed label of that name comes back
    under its old id, so its history reads as its own."""
    check_name(scheme, name)
    if key:
        check_key(scheme, key)
    check_colour(colour)
    check_description(description)
    keys = (key,) if key else ()
    retired = next((d for d in scheme.labels if d.retired and d.name == name), None)
    if retired is not None:
        label = dataclasses.replace(retired, keys=keys, color=colour, description=description, retired=False)
        rest = tuple(d for d in scheme.labels if d is not retired)
    else:
        label = LabelDef(name, keys, description, _new_id(scheme, name), colour)
        rest = scheme.labels
    live = [d for d in rest if not d.retired]
    out = LabelScheme((*live, label, *(d for d in rest if d.retired)))
    return _placed(out, label, position)


def set_label(scheme: LabelScheme, name: str, *, key: str | None = None, colour: str | None = None,
              description: str | None = None, position: int | None = None) -> LabelScheme:
    """Change a label's key, colour, description or place; what is not given stays."""
    d = _live(scheme, name)
    if key is not None and key:
        check_key(scheme, key, owner=d.name)
    if colour is not None:
        check_colour(colour)
    if description is not None:
        check_description(description)
    new = dataclasses.replace(
        d,
        keys=d.keys if key is None else ((key,) if key else ()),
        color=d.color if colour is None else colour,
        description=d.description if description is None else description,
    )
    return _placed(_replace(scheme, d, new), new, position)


def rename(scheme: LabelScheme, old: str, new: str) -> LabelScheme:
    d = _live(scheme, old)
    check_name(scheme, new, allow=old)
    return _replace(scheme, d, dataclasses.replace(d, name=new))


def remove(scheme: LabelScheme, name: str) -> LabelScheme:
    """The label retired (the caller has made sure no sentence holds it any more)."""
    d = _live(scheme, name)
    if len(scheme.live) == 1:
        raise InputError(f"{_shown(name)!r} is the scheme's only label; add another first")
    retired = dataclasses.replace(d, retired=True, keys=())
    return LabelScheme((*(x for x in scheme.live if x is not d), *(x for x in scheme.labels if x.retired), retired))


# ----------------------------------------------------------------------------- TOML


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but DEL must be escaped too."""
    import json

    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(scheme: LabelScheme) -> str:
    lines = ["# annotator label scheme: one [[label]] per label, in order (digits 1-9 follow it).",
             "# key: the label's letter key; color: a name, #rrggbb or \"\" for the theme's.",
             "# id: what the database stores; keep it, and a rename keeps every label.", ""]
    for n, d in enumerate(scheme.live, 1):
        lines += ["[[label]]", f"name = {_toml_string(d.name)}", f"key = {_toml_string(d.keys[0] if d.keys else '')}",
                  f"color = {_toml_string(d.color)}", f"description = {_toml_string(d.description)}",
                  f"order = {n}", f"id = {_toml_string(d.id)}", ""]
    return "\n".join(lines)


def from_toml(scheme: LabelScheme, text: str, where: str) -> LabelScheme:
    """The scheme a TOML file describes, applied to ``scheme``: a label is matched by its
    ``id`` when the file gives one, else by name; labels the file leaves out are retired (the
    caller refuses that while sentences hold them)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc}); fix it and import again") from None
    items = data.get("label")
    if not isinstance(items, list) or not items or not all(isinstance(x, dict) for x in items):
        raise InputError(f"{where}: no [[label]] tables; see `annotator scheme export FILE.toml` for the shape")
    unknown = sorted({k for x in items for k in x} - {"name", "key", "color", "description", "order", "id"})
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(map(_shown, unknown))} in [[label]]; use name, key, "
                         f"color, description, order and id")
    for n, x in enumerate(items, 1):
        if "order" in x and type(x["order"]) is not int:
            raise InputError(f"{where}: label {n}: order is a whole number (1 first); fix it and import again")
    ordered = sorted(enumerate(items), key=lambda p: (p[1].get("order", p[0] + 1), p[0]))
    # Built label by label through the same checks as the commands, from an empty scheme
    # that remembers the old labels' ids (retired), so matching ids come back as they were.
    work = LabelScheme(tuple(dataclasses.replace(d, retired=True, keys=()) for d in scheme.labels))
    seen_ids: set[str] = set()
    for n, (_, x) in enumerate(ordered, 1):
        name, key, colour, desc, lid = (x.get(k, "") for k in ("name", "key", "color", "description", "id"))
        if not all(isinstance(v, str) for v in (name, key, colour, desc, lid)):
            raise InputError(f"{where}: label {n}: name, key, color, description and id are strings")
        try:
            old = next((d for d in work.labels if d.id == lid), None) if lid else None
            old = old or next((d for d in work.labels if d.retired and d.name == name), None)
            if old is not None and old.id in seen_ids:
                raise InputError(f"the id {_shown(old.id)!r} is given twice")
            check_name(work, name)
            if key:
                check_key(work, key)
            check_colour(colour)
            check_description(desc)
        except InputError as exc:
            raise InputError(f"{where}: label {n} ({_shown(name)}): {exc.message}") from None
        keys = (key,) if key else ()
        if old is not None:
            label = dataclasses.replace(old, name=name, keys=keys, color=colour, description=desc, retired=False)
            rest = tuple(d for d in work.labels if d is not old)
        else:
            label = LabelDef(name, keys, desc, _new_id(work, lid or name), colour)
            rest = work.labels
        seen_ids.add(label.id)
        work = LabelScheme((*(d for d in rest if not d.retired), label, *(d for d in rest if d.retired)))
    # Retired labels that never were in the old scheme are not kept: only real history needs them.
    return LabelScheme(tuple(d for d in work.labels if not d.retired or scheme.known(d.id)))


# ----------------------------------------------------------------------------- merge


def union(mine: LabelScheme, theirs: LabelScheme) -> tuple[LabelScheme, list[str]]:
    """The scheme a merge leaves: this one, with the other copy's labels it lacks (matched by
    id, so a label renamed in either copy is still one label), and a note for each real
    difference.  A label whose name is taken here by another id cannot come in: its labels
    are skipped by the merge, and the note says so."""
    notes: list[str] = []
    out = mine
    for d in theirs.labels:
        here = next((x for x in out.labels if x.id == d.id), None)
        if here is not None:
            if here.name != d.name and not d.retired and not here.retired:
                notes.append(f"the label {_shown(here.name)} is named {_shown(d.name)} there; kept the name "
                             f"{_shown(here.name)}")
            elif here.retired and not d.retired:
                notes.append(f"the label {_shown(d.name)} was removed here; its labels from there were skipped")
            continue
        if d.retired:
            out = LabelScheme((*out.labels, d))  # for the history that names it
            continue
        if out.by_name(d.name) is not None:
            notes.append(f"there, {_shown(d.name)} is another label (id {_shown(d.id)}) than here; its labels "
                         f"were skipped: rename one of them and merge again")
            continue
        keys = tuple(k for k in d.keys if clash(k) is None and not any(k in x.keys for x in out.live))
        if keys != d.keys:
            notes.append(f"the label {_shown(d.name)} came without its key {'/'.join(d.keys)}, taken here; "
                         f"give it one with `annotator scheme set {_shown(d.name)} --key K`")
        added = dataclasses.replace(d, keys=keys)
        out = LabelScheme((*out.live, added, *(x for x in out.labels if x.retired)))
        notes.append(f"added the label {_shown(d.name)} from there")
    return out, notes
