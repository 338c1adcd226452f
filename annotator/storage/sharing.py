"""Several writers on one database: the ``Database``'s part that keeps each change of a shared
file on what is on disk, and takes in what other processes saved.

A process keeps labels files and the index in memory after reading them.  Another process
may replace any of them meanwhile, so every change of one is made under its guard
(``guards``): a guard whose counter moved since this process last held it means its files
in memory are read again first (``_article_write``, ``_index_write``).  ``refresh`` brings
what this process shows (counts, the article list) up to date, for the apps' timers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tinydb.table import Table

from annotator import provenance
from annotator.errors import DatabaseError
from annotator.storage.guards import INDEX, Busy, Guards, stripe_of
from annotator.storage.labelfile import LabelFile, State, read_state, tally_notes
from annotator.storage.tinyfile import OrjsonStorage, Sig, parse_tinydb, read_with_sig, sig_of

if TYPE_CHECKING:
    from annotator.model import Article, ArticleInfo, Label, LabelScheme, Span

    from annotator.storage.database import _LRU


@dataclass(frozen=True)
class Refreshed:
    """What other processes changed since the last :meth:`Database.refresh`."""

    articles: frozenset[str] = frozenset()  # articles whose labels file changed
    index: bool = False  # the article list, assignments or scheme were written again

    def __bool__(self) -> bool:
        return bool(self.articles) or self.index



class SharedWrites:
    """Mixed into ``Database``: what several writers at once need (see the module)."""

    if TYPE_CHECKING:  # the Database's own, used here
        path: Path
        readonly: bool
        schema_version: int
        _closed: bool
        _guards: Guards
        _live_seen: dict[str, int]
        _sigs: dict[str, Sig]
        _stripes: dict[str, list[str]] | None
        _others: set[str]
        _index_reloaded: bool
        _index: OrjsonStorage
        _articles_table: Table
        _infos: dict[str, ArticleInfo]
        _meta: dict[str, dict[str, object]]
        _index_ids: dict[str, int]
        _files: dict[str, str]
        _floors: dict[str, int]
        _kept: tuple[dict[str, ArticleInfo], dict[str, dict[str, object]], dict[str, str], dict[str, int]]
        _scheme: LabelScheme
        _sentence_counts: dict[str, int]
        _articles: _LRU[str, tuple[Article, frozenset[tuple[int, int]], tuple[Span, ...]]]
        _label_files: _LRU[str, LabelFile]
        _counts: dict[str, dict[str, dict[str, int]]] | None
        _outcomes: dict[str, dict[tuple[str, str, str], int]]
        _note_counts: dict[str, dict[str, tuple[int, int]]]
        _damaged: dict[str, DatabaseError]

        def _label_file(self, article_id: str) -> LabelFile: ...
        def _labels_path(self, article_id: str) -> Path: ...
        def _load_index(self) -> tuple[LabelScheme, int]: ...
        def _note_sentences(self, article_id: str, n: int) -> None: ...
        def _replace_state(self, lf: LabelFile, new: State,
                           change: tuple[Label | None, Label | None] | None = None) -> None: ...

    @contextmanager
    def _article_write(self, article_id: str) -> Iterator[None]:
        """Hold the guard of the article's labels file for a read-check-write: files other
        writers changed since are read again first, so the change is made on what is on disk."""
        name = stripe_of(article_id)
        with self._guards.hold(name) as moved:
            if moved:
                self._others |= self._reload_cached(name)
            if self._guards.enabled:
                # Read now, under the guard, if not in memory: that also drops a cached Article
                # whose sentences an older copy of the file gave.
                self._label_file(article_id)
            yield

    @contextmanager
    def _index_write(self, wait: bool | float = True) -> Iterator[None]:
        """Hold the index's guard, with the index as another writer may have left it."""
        with self._guards.hold(INDEX, wait=wait) as moved:
            if moved:
                self._reload_index()
            yield

    def _bump(self, article_id: str) -> None:
        """Under the article's guard: its labels file is about to be replaced."""
        name = stripe_of(article_id)
        before, after = self._guards.bump(name)
        if self._live_seen.get(name) == before:
            self._live_seen[name] = after  # our own write is no news for ``refresh``

    def _reload_cached(self, name: str) -> set[str]:
        """Read again the labels files in memory that guard ``name`` covers; the changed ones."""
        changed: set[str] = set()
        for aid, lf in self._label_files.items():
            if stripe_of(aid) != name:
                continue
            storage = OrjsonStorage(self._labels_path(aid), readonly=self.readonly)
            if storage.raw == lf.storage.raw:
                lf.storage.sig = self._sigs[aid] = storage.sig
                continue
            try:
                state = read_state(storage.path, aid, storage.read() or {})
            except DatabaseError:
                self._drop(aid)  # the next use reads it and names the damage
                changed.add(aid)
                continue
            lf.storage = storage
            self._replace_state(lf, state)
            self._sigs[aid] = storage.sig
            changed.add(aid)
        return changed

    def _drop(self, aid: str) -> None:
        self._label_files.pop(aid)
        self._articles.pop(aid)
        self._sigs.pop(aid, None)

    def _recount(self, aid: str, state: State) -> None:
        """Count the article's labels and notes again, from ``state`` (its labels file now)."""
        if self._counts is None:
            return
        per: dict[str, dict[str, int]] = {}
        outcomes: dict[tuple[str, str, str], int] = {}
        known = self._scheme.knows
        for x in state.labels.values():
            c = per.setdefault(x.annotator, {})
            c[x.label] = c.get(x.label, 0) + 1
            if x.source or x.suggested:
                for name, outcome in provenance.outcomes(x.label, x.source, x.suggested, known):
                    outcomes[(x.annotator, name, outcome)] = outcomes.get((x.annotator, name, outcome), 0) + 1
        self._counts[aid] = per
        self._outcomes[aid] = outcomes
        self._note_counts[aid] = tally_notes(state.notes.values())
        self._damaged.pop(aid, None)
        if state.segmentation is not None:
            self._note_sentences(aid, len(state.segmentation.sentences))

    def _reload_index(self) -> None:
        """Read the index again (another writer changed it): new articles, rows, scheme."""
        old = self._infos
        pending = dict(self._sentence_counts)
        self._index = OrjsonStorage(self.path, readonly=self.readonly)
        self._articles_table = Table(self._index, "articles")
        self._kept = (old, self._meta, self._files, self._floors)
        self._infos, self._meta, self._index_ids, self._files, self._floors = {}, {}, {}, {}, {}
        self._scheme, self.schema_version = self._load_index()
        self._stripes = None
        self._index_reloaded = True
        for aid, n in pending.items():
            if aid in self._infos:
                self._note_sentences(aid, n)
        for aid, info in self._infos.items():
            was = old.get(aid)
            if was is None:
                if self._counts is not None:
                    self._counts[aid] = {}
                    self._sigs.pop(aid, None)  # unknown: read on the next refresh of its guard
            elif (was.title, was.sources) != (info.title, info.sources):
                self._articles.pop(aid)  # its cached Article has the old sources
        for aid, lf in self._label_files.items():
            if lf.state.segmentation is not None and aid in self._infos:
                self._note_sentences(aid, len(lf.state.segmentation.sentences))

    def refresh(self, budget: float = 0.025) -> Refreshed:
        """Bring what this process holds up to date with what other writers saved since the last
        call (a cheap check when nothing changed: one read of 8 bytes per guard); returns what
        changed: articles whose labels file changed, and whether the index did (new articles,
        assignments).  A guard another writer holds right now is looked at next time, and so
        are the guards left once ``budget`` seconds are spent (after a big merge elsewhere, the
        app's timer takes it in over several ticks, never holding a key up for long)."""
        if self.readonly or self._closed or not self._guards.enabled:
            return Refreshed()
        articles, self._others = set(self._others), set()
        deadline = time.monotonic() + budget
        looked = 0
        for name in self._guards.names():
            if self._guards.counter(name) == self._live_seen.get(name):
                continue
            if looked and time.monotonic() > deadline:
                break
            looked += 1
            try:
                with self._guards.hold(name, wait=False) as moved:
                    now = self._guards.counter(name)
                    if name == INDEX:
                        if moved:
                            self._reload_index()
                    else:
                        if moved:
                            articles |= self._reload_cached(name)
                        articles |= self._reload_stripe(name)
                    self._live_seen[name] = now
            except Busy:
                continue
        index, self._index_reloaded = self._index_reloaded, False
        return Refreshed(frozenset(articles), index)

    def _reload_stripe(self, name: str) -> set[str]:
        """Under guard ``name``: count again the labels files it covers that changed on disk."""
        if self._counts is None:
            return set()  # nothing counted yet: counted from the files when first asked
        if self._stripes is None:
            stripes: dict[str, list[str]] = {}
            for aid in self._infos:
                stripes.setdefault(stripe_of(aid), []).append(aid)
            self._stripes = stripes
        changed: set[str] = set()
        for aid in self._stripes.get(name, ()):
            now = sig_of(self._labels_path(aid))
            if aid in self._sigs and self._sigs[aid] == now:
                continue
            if self._label_files.get(aid) is not None:
                continue  # read again by ``_reload_cached`` when the guard moved
            raw, now = read_with_sig(self._labels_path(aid))
            self._sigs[aid] = now
            try:
                state = read_state(self._labels_path(aid), aid,
                                   parse_tinydb(self._labels_path(aid), raw) if raw is not None else {})
            except DatabaseError as exc:
                self._damaged[aid] = exc
                changed.add(aid)
                continue
            self._articles.pop(aid)
            self._recount(aid, state)
            changed.add(aid)
        return changed
