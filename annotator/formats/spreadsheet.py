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
