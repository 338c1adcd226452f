"""Where a decision came from: the rules for a label's provenance, in one place.

A label (and the history event that made it) carries three fields (see ``model.Label``):
``source`` is "" when the reviewer chose the label and ``suggestion:<name>`` when they
accepted suggester ``<name>``'s suggestion, ``score`` that suggestion's score (0..1, or
None), ``suggested`` a suggestion ``<name>:<label>`` the reviewer saw on the sentence and
chose against ("" if none).  Storage writes them only when set; ``verify``, merge, import
and the database's own writes all check them with :func:`problems`.

A suggester's name may hold a colon (``cmd:tag.py``), and so may a label id, so
``<name>:<label>`` is split where both sides are names, the label side a known label if
the caller knows the scheme, else at the last colon that gives two names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from annotator.model import SKIP, SUGGESTION_SOURCE, Event, Label
from annotator.names import is_name

Provenance = tuple[str, float | None, str]  # (source, score, suggested)
NONE: Provenance = ("", None, "")
# A sentence row's score when there is none: the rows hold no nulls (a loader that types a
# column from the first rows would take a null column for one that is never a number).
NO_SCORE = -1.0
PROVENANCE_KEYS = ("source", "score", "suggested")


def of(x: Label | Event) -> Provenance:
    return x.source, x.score, x.suggested


def has(x: Label | Event) -> bool:
    """Whether ``x`` carries any provenance (it is stored, and needs schema 5, only then)."""
    return bool(x.source) or x.score is not None or bool(x.suggested)


def fields(x: Label | Event) -> dict[str, Any]:
    """The three keys as an export writes them: always present, "" / null when unset."""
    return {"source": x.source, "score": x.score, "suggested": x.suggested}


def suggester(source: str) -> str | None:
    """The suggester a ``source`` names (``suggestion:rules`` -> ``rules``); None for "" or
    anything that is not ``suggestion:<name>``."""
    if isinstance(source, str) and source.startswith(SUGGESTION_SOURCE):
        name = source[len(SUGGESTION_SOURCE):]
        return name if is_name(name) else None
    return None


def split_suggested(value: str, known: Callable[[str], bool] | None = None) -> tuple[str, str] | None:
    """(suggester, label) of a ``suggested`` value; None if it is not ``<name>:<label>``.
    ``known`` (a label id the scheme knows, or skip) picks the split when several read."""
    if not isinstance(value, str):
        return None
    first: tuple[str, str] | None = None
    at = value.rfind(":")
    while at > 0:
        name, label = value[:at], value[at + 1:]
        if is_name(name) and is_name(label):
            if known is None or known(label):
                return name, label
            first = first or (name, label)
        at = value.rfind(":", 0, at)
    return first


def score_ok(score: object) -> bool:
    return score is None or (type(score) in (int, float) and math.isfinite(score)  # type: ignore[arg-type]
                             and 0.0 <= score <= 1.0)  # type: ignore[operator]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def problems(source: object, score: object, suggested: object) -> list[str]:
    """What is wrong with a provenance, one phrase each (none: it is sound)."""
    out = []
    if not isinstance(source, str) or (source and suggester(source) is None):
        out.append(f"source {_shown(source)} is neither \"\" nor suggestion:<name>")
    if not score_ok(score):
        out.append(f"score {_shown(score)} is neither null nor a number in 0..1")
    if not isinstance(suggested, str) or (suggested and split_suggested(suggested) is None):
        out.append(f"suggested {_shown(suggested)} is neither \"\" nor <name>:<label>")
    return out


def check(x: Label | Event) -> None:
    """ValueError when ``x``'s provenance is not sound (a caller's bug)."""
    bad = problems(*of(x))
    if bad:
        raise ValueError(f"label provenance on {x.article_id} {x.start}-{x.end}: {'; '.join(bad)}")


def read(d: dict[str, Any], *, row: bool = False) -> Provenance | None:
    """The provenance of an export's record (absent keys: unset, as schemas 1-5 write them);
    None if it is not sound.  ``row``: a sentence row, whose score is ``NO_SCORE`` when none."""
    source, score, suggested = d.get("source", ""), d.get("score"), d.get("suggested", "")
    if row and score == NO_SCORE and type(score) in (int, float):
        score = None
    if problems(source, score, suggested):
        return None
    return source, (None if score is None else float(score)), suggested


def row_score(score: float | None) -> float:
    """A score as a sentence row writes it (``NO_SCORE`` when none)."""
    return NO_SCORE if score is None else score


ACCEPTED, CHANGED, REJECTED = "accepted", "changed", "rejected"
OUTCOMES = (ACCEPTED, CHANGED, REJECTED)


def outcomes(label: str, source: str, suggested: str,
             known: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """What a reviewer's label says about the suggesters, as (suggester, outcome) pairs:
    ``accepted`` its suggestion (``source``); ``changed`` it, choosing another label than
    ``suggested``; ``rejected`` it, deciding skip where it suggested a label."""
    out = []
    name = suggester(source)
    if name is not None:
        out.append((name, ACCEPTED))
    got = split_suggested(suggested, known) if suggested else None
    if got is not None:
        other, said = got
        if label == SKIP and said != SKIP:
            out.append((other, REJECTED))
        elif label != SKIP and label != said:
            out.append((other, CHANGED))
    return out
