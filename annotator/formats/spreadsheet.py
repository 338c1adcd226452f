"""``--format csv``: one row per sentence and reviewer (gold: per sentence), for spreadsheets.

RFC 4180 (comma, CRLF, quotes doubled), UTF-8 with a BOM so Excel reads the accents.  A
cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return: the OWASP list) gets a leading ``'``, which spreadsheets show as
text; the leading ``'`` is the one change made to any value.  Lists (votes, annotators) are
written as JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


def csv_rows(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The rows (one dict each, all with the same keys) as CSV bytes, the header first."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    header: list[str] | None = None
    for row in rows:
        if header is None:
            header = list(row)
            writer.writerow(header)
            yield b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
        writer.writerow([_cell(row[k]) for k in header])
        if out.tell() > 1 << 16:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


# ----------------------------------------------------------------------------- reading back

# The columns our csv export writes that hold numbers or JSON; every other one is text.
_INT_COLUMNS = frozenset({"schema_version", "sentence", "start", "end", "tick"})
_JSON_COLUMNS = frozenset({"votes", "annotators"})
_SCORE = "score"  # a number, or an empty cell for none
_BOOL_COLUMNS = frozenset({"flag"})  # written as True / False
_BOOLS = {"true": True, "false": False, "1": True, "0": False, "": False}
REQUIRED = ("article_id", "start", "end", "label")


class NotOurCsv(ValueError):
    """A csv file that is not an ``annotator export --format csv`` file (the message says why)."""


def undefuse(value: str) -> str:
    """A cell as it was before :func:`defuse`."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def read_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for each data row of our csv export, typed as the sentences rows are."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise NotOurCsv(f"no {', '.join(missing)} column: only a csv written by `annotator export --format csv` "
                        f"imports (its sentence rows)")
    out: list[tuple[int, dict[str, Any]]] = []
    for row in reader:
        obj: dict[str, Any] = {}
        for key, value in row.items():
            if key is None or value is None:
                raise NotOurCsv(f"line {reader.line_num}: more or fewer cells than the header has")
            value = undefuse(value)
            if key in _INT_COLUMNS:
                try:
                    obj[key] = int(value)
                except ValueError:
                    raise NotOurCsv(f"line {reader.line_num}: {key} is not a whole number") from None
            elif key == _SCORE:
                try:
                    obj[key] = float(value) if value else None
                except ValueError:
                    raise NotOurCsv(f"line {reader.line_num}: score is not a number") from None
            elif key in _BOOL_COLUMNS:
                if value.strip().lower() not in _BOOLS:
                    raise NotOurCsv(f"line {reader.line_num}: {key} is not true or false")
                obj[key] = _BOOLS[value.strip().lower()]
            elif key in _JSON_COLUMNS:
                try:
                    obj[key] = orjson.loads(value)
                except orjson.JSONDecodeError:
                    raise NotOurCsv(f"line {reader.line_num}: {key} is not a JSON list") from None
            else:
                obj[key] = value
        out.append((reader.line_num, obj))
    return out
