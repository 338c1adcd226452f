"""``import --skip-pattern``: lines no dataset wants (bylines, copyright lines, tag lines)
marked "skip: not applicable" by rule, so no key press goes to them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from annotator.errors import InputError
from annotator.formats.base import EARLY_STAMP
from annotator.model import SKIP, Label
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database


def compile_patterns(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error as exc:
            raise InputError(f"--skip-pattern {sanitize_line(p[:80])!r}: not a regular expression ({exc}); "
                             f"fix it, e.g. --skip-pattern '^Editor:'") from None
    return out


def skip_marks(db: Database, article_ids: Iterable[str], patterns: Sequence[re.Pattern[str]],
               who: str) -> list[Label]:
    """A skip by ``who`` for each sentence a pattern finds (``re.search``) that ``who`` has
    not decided yet.  Stamped early, like labels from files: any decision of theirs, made
    before or after, wins, and importing again changes nothing."""
    marks: list[Label] = []
    for aid in dict.fromkeys(article_ids):
        art = db.get_article(aid)
        decided = {(x.start, x.end) for x in db.labels(aid, who)}
        for s in art.sentences:
            if (s.start, s.end) not in decided and any(p.search(art.text[s.start:s.end]) for p in patterns):
                marks.append(Label(aid, s.start, s.end, SKIP, who, EARLY_STAMP))
    return marks
