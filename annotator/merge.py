"""``annotator merge OTHER_DB...``: bring other reviewers' databases into this one.

Reviewers label on their own machines, offline; their databases come together here
without a server.  The other databases are opened read-only and never changed.  Nothing
in this one is overwritten: labels are keyed by (sentence, reviewer), so another
reviewer's labels are only ever added.  When the *same* reviewer labeled the same
sentence differently in two places, the later decision wins and the merge lists it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.errors import InputError
from annotator.importer import file_kind, quote_path, stat_given
from annotator.model import Article, Cleared, Decision, Event, FinalCleared, Label, Note
from annotator.storage import articlefile
from annotator.resegment import SegEvent, Segmentation
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database, MergeResult

CONFLICTS_SHOWN = 20


@dataclass(slots=True)
class MergeReport:
    path: Path
    new_articles: int = 0
    assignments: int = 0
    result: MergeResult | None = None
    assignment_differs: int = 0
    notes: list[str] = field(default_factory=list)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_source(other_path: Path) -> None:
    """Refuse, before it is opened, anything but a regular file: a folder, a missing path, and
    a FIFO or a device (opening a FIFO waits for a writer forever; /dev/zero never ends)."""
    st = stat_given(other_path, "no such file; check the path to the other database")
    if stat.S_ISDIR(st.st_mode):
        hint = other_path / "annotations.json"
        raise InputError(f"{quote_path(other_path)} is a folder; give its database file, e.g. {quote_path(hint)}")
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise InputError(f"{quote_path(other_path)}: {kind}, not a database file; give another reviewer's "
                         f"annotations.json (a regular file)")


def merge_database(db: Database, other_path: Path) -> MergeReport:
    """Merge one other database into ``db``; raises an AnnotatorError naming the file if it cannot be read."""
    from annotator.storage import Database

    if _same_file(other_path, db.path):
        raise InputError(f"{quote_path(other_path)} is the database being merged into; give another reviewer's database")
    check_source(other_path)
    report = MergeReport(other_path)
    with Database.open(other_path, readonly=True, create=False) as other:
        from annotator.schemes import union

        scheme, notes = union(db.scheme, other.scheme)
        report.notes.extend(notes)
        # Read everything first: a damaged file in the other database stops the merge before any write.
        new_articles: list[Article] = []
        labels: list[Label] = []
        decisions: list[Decision] = []
        cleared: list[Cleared] = []
        final_cleared: list[FinalCleared] = []
        events: list[Event] = []
        seg_events: list[SegEvent] = []
        segmentations: list[tuple[str, Segmentation]] = []
        their_notes: list[Note] = []
        plan: dict[str, tuple[str, ...]] = {}
        for info in other.article_infos():
            if not db.has_article(info.id):
                new_articles.append(other.get_article(info.id))
            labels.extend(other.labels(info.id))
            decisions.extend(other.decisions(info.id))
            cleared.extend(other.cleared(info.id))
            final_cleared.extend(other.final_cleared(info.id))
            events.extend(other.history(info.id))
            events.extend(other.history(info.id, final=True))
            seg_events.extend(other.segmentation_history(info.id))
            their_notes.extend(other.notes(info.id))
            their_notes.extend(r.note for r in other.retired_notes(info.id))  # no history keeps them: bring them as they are
            if (g := other.segmentation(info.id)) is not None:
                segmentations.append((info.id, g))
            if info.assigned:
                plan[info.id] = info.assigned
        if scheme != db.scheme:
            db.set_scheme(scheme)  # labels are matched by id, so theirs land on the same labels as ours
        if new_articles:
            added, _ = db.add_articles(new_articles, pack=len(new_articles) >= articlefile.PACK_MIN_ARTICLES)
            report.new_articles = len(added)
        report.result = db.merge(labels, decisions, cleared=cleared, final_cleared=final_cleared, events=events,
                                 seg_events=seg_events, segmentations=segmentations, notes=their_notes)
        mine = {i.id: i.assigned for i in db.article_infos()}
        # Assignments are the team lead's plan: adopted where this database has none, never changed.
        adopt = {aid: who for aid, who in plan.items() if not mine.get(aid)}
        report.assignment_differs = sum(1 for aid, who in plan.items() if mine.get(aid) and mine[aid] != who)
        if adopt:
            record = db.assignment_record() or other.assignment_record() or {}
            db.set_assignments(adopt, record)
            report.assignments = len(adopt)
    return report


def format_report(report: MergeReport, limit: int = CONFLICTS_SHOWN) -> list[str]:
    r = report.result
    assert r is not None
    parts = [f"{report.new_articles} new article(s)"] if report.new_articles else []
    parts.append(f"labels: {r.added} added, {r.updated} updated, {r.unchanged} already here"
                 + (f", {r.removed} taken off (cleared later there)" if r.removed else ""))
    if r.skipped:
        parts.append(f"{r.skipped} skipped (sentence or label not in this database)")
    if r.decisions_added or r.decisions_updated or r.decisions_unchanged or r.decisions_skipped:
        parts.append(f"final labels: {r.decisions_added} added, {r.decisions_updated} updated"
                     + (f", {r.decisions_skipped} skipped" if r.decisions_skipped else ""))
    if r.history_added or r.history_skipped:
        parts.append(f"history: {r.history_added} decision(s) added"
                     + (f", {r.history_skipped} skipped (sentence or label not in this database)"
                        if r.history_skipped else ""))
    if r.segmentation_added or r.resegmented:
        parts.append(f"sentences: {r.segmentation_added} split/join decision(s) added, {r.resegmented} article(s) "
                     "resegmented")
    if r.retired:
        parts.append(f"{r.retired} label(s) retired (their sentence was split or joined)")
    if r.notes_added or r.notes_updated or r.notes_skipped:
        parts.append(f"notes and flags: {r.notes_added} added, {r.notes_updated} updated"
                     + (f", {r.notes_skipped} skipped (sentence not in this database)" if r.notes_skipped else ""))
    if report.assignments:
        parts.append(f"{report.assignments} assignment(s) adopted")
    lines = [f"merged {quote_path(report.path)}: " + "; ".join(parts)]
    lines += [f"  note: {n}" for n in report.notes]
    if report.assignment_differs:
        lines.append(f"  note: {report.assignment_differs} article(s) are assigned differently there; "
                     "this database's assignment was kept")
    lines += conflict_lines(r, limit)
    lines += ahead_lines(r, quote_path(report.path))
    return lines


def _duration(seconds: float) -> str:
    days = seconds / 86400
    if days >= 365:
        return f"{days / 365.25:.1f} years"
    return f"{days:.1f} days" if days < 100 else f"{days:.0f} days"


def ahead_lines(r: MergeResult, source: str) -> list[str]:
    """A warning per person whose decisions are stamped more than a day ahead of this clock."""
    return [
        f"  warning: {source}: {a.count} decision(s) by {sanitize_line(a.who)} are stamped up to "
        f"{_duration(a.seconds)} ahead of this machine's clock (check that machine's date); merged, "
        "and later corrections still win"
        for a in sorted(r.ahead.values(), key=lambda a: a.who)
    ]


def conflict_lines(r: MergeResult, limit: int = CONFLICTS_SHOWN) -> list[str]:
    """The merge's conflicts, one line each (at most ``limit`` of each kind)."""
    lines: list[str] = []
    if r.conflicts:
        lines.append(f"  {len(r.conflicts)} conflict(s): the same reviewer labeled a sentence differently in the two "
                     "places; the later decision was kept:")
        for old, new in r.conflicts[:limit]:
            was = old.label if isinstance(old, Label) else "cleared"
            now = new.label if isinstance(new, Label) else "cleared"
            lines.append(f"    {new.annotator}: article {new.article_id} {new.start}-{new.end}: "
                         f"{was} ({old.updated_at}) -> {now} ({new.updated_at}) kept")
        if len(r.conflicts) > limit:
            lines.append(f"    ... and {len(r.conflicts) - limit} more")
    if r.decision_conflicts:
        lines.append(f"  {len(r.decision_conflicts)} final label(s) were decided differently; the later one was kept:")
        for oldd, newd in r.decision_conflicts[:limit]:
            lines.append(f"    article {newd.article_id} {newd.start}-{newd.end}: {oldd.label} by {oldd.by} "
                         f"({oldd.updated_at}) -> {newd.label} by {newd.by} ({newd.updated_at}) kept")
        if len(r.decision_conflicts) > limit:
            lines.append(f"    ... and {len(r.decision_conflicts) - limit} more")
    return lines
