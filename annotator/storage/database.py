"""The database: a project's articles, labels, final labels and their histories.

Layout for ``--db annotations/annotations.json``::

    annotations/annotations.json            TinyDB index: tables ``project`` and ``articles``
    annotations/annotations.json.lock       flock held by every writer (shared), or by one alone
    annotations/annotations.json.lock.info  who holds it alone (pid, host, command, start time)
    annotations/annotations.d/locks/        the guards of shared files (see ``guards``)
    annotations/annotations.d/people/       one lock per reviewer in a session (see ``people``)
    annotations/annotations.d/articles/<id>.json   TinyDB, table ``article``: exact text + sentences
    annotations/annotations.d/labels/<id>.json     TinyDB: the article's decisions (see ``labelfile``)

A label save rewrites only its article's small labels file, so its cost does not grow
with the project.  The parts: ``tinyfile`` (atomic TinyDB files), ``records`` (how each
record is encoded and ordered), ``labelfile`` (one article's state and history),
``merging`` (the join), ``journal`` (undo and redo), ``lock`` (the writers),
``guards`` (several writers at once), ``people`` (one session per person).

Several processes may write one database at once: each change of a shared file (an
article's labels file, the index) is made under its guard, on what the file holds then,
so no process ever writes back an older copy over another's decision.
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

from tinydb.table import Table

from annotator.atomicio import fsync_dir, remove_leftover_temps
from annotator.errors import AnnotatorError, DatabaseError, Outdated
from annotator import provenance
from annotator.model import (
    NOTES_SCHEMA,
    PACKS_SCHEMA,
    PROVENANCE_SCHEMA,
    SEGMENTATION_SCHEMA,
    Article,
    ArticleInfo,
    Cleared,
    Decision,
    Event,
    EventOp,
    FinalCleared,
    Label,
    LabelScheme,
    Note,
    Span,
    note_ok,
    now_iso,
    text_preview,
)
from annotator.resegment import Retired, RetiredNote, SegEvent, SegOp, Segmentation, join_spans, replaced, split_spans
from annotator.names import is_name
from annotator.storage.articlefile import (
    PACK_ARTICLES,
    PACK_BYTES,
    LastFile,
    article_bytes,
    pack_bytes,
    pack_name,
    read_article,
    write_article,
)
from annotator.storage.guards import INDEX, Busy, Guards, stripe_of
from annotator.storage.sharing import SharedWrites
from annotator.storage.index import PLAIN_SCHEMA, create_index, read_index
from annotator.storage.journal import Journal, Step, read_history
from annotator.storage.labelfile import LabelFile, State, read_state, state_data, tally_notes
from annotator.storage.lock import WriterLock, acquire_lock, data_folder, release_lock
from annotator.storage.people import PersonLock, take as take_person
from annotator.storage.merging import Incoming, MergeResult, join
from annotator.storage.records import (
    Key,
    check_id,
    count_key,
    event_key,
    event_order,
    next_stamp,
    note_from_doc,
    note_stamp,
    seg_order,
    segmentation_from_doc,
    stamp_order,
    when,
)
from annotator.storage.retiring import known_spans, partition, removals, sentences_of
from annotator.storage.tinyfile import OrjsonStorage, Sig, parse_tinydb, read_with_sig

_ARTICLE_CACHE = 16
_LABEL_FILE_CACHE = 64
# From this many labels files on, merge writes them with one sync for all, not one each.
_GROUP_COMMIT_MIN = 32
# Articles a merge changes under one hold of their guards (and one sync).
_MERGE_BATCH = 512
# Oldest database schema this version opens (and upgrades on its first write).
_OLDEST_SCHEMA = 1

_K = TypeVar("_K")
_V = TypeVar("_V")


class _LRU(Generic[_K, _V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._d.get(key)
        if value is not None:
            self._d.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def pop(self, key: _K) -> None:
        self._d.pop(key, None)

    def items(self) -> list[tuple[_K, _V]]:
        return list(self._d.items())

    def clear(self) -> None:
        self._d.clear()


def _later(a: tuple[str, int], b: tuple[str, int]) -> bool:
    return (when(a[0]), a[1]) > (when(b[0]), b[1])


def _sort_key(label: Label) -> Key:
    return (label.start, label.end, label.annotator)


# An article's text and its sentences as (start, end) pairs: what its file holds.
ArticleText = tuple[str, Sequence[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """A new article as ``add_articles`` writes it: its file's bytes (``article_bytes``) and
    what the index keeps of it.  An import makes these in worker processes."""

    data: bytes
    n_sentences: int
    preview: str


def _body(a: Article) -> ArticleText:
    return a.text, [(s.start, s.end) for s in a.sentences]


def _preview(body: ArticleText | ArticleFile) -> str:
    return body.preview if isinstance(body, ArticleFile) else text_preview(body[0])


def _check_sentences(article_id: str, text: str, sentences: Sequence[tuple[int, int]]) -> None:
    if not all(0 <= start < end <= len(text) for start, end in sentences):
        start, end = next((s, e) for s, e in sentences if not 0 <= s < e <= len(text))
        raise ValueError(f"article {article_id}: sentence {start}-{end} is outside its text")


class Database(SharedWrites):
    """A project's articles and labels.  Open with :meth:`Database.open`."""

    path: Path

    def __init__(self, path: Path, index: OrjsonStorage, *, readonly: bool, lock: WriterLock | None,
                 guards: Guards | None = None) -> None:
        self.path = path
        self.readonly = readonly
        self._lock = lock
        self._person: PersonLock | None = None
        self._guards = guards if guards is not None else Guards(data_folder(path), enabled=False)
        # guard -> its counter when this process last brought what it shows up to date (``refresh``)
        self._live_seen: dict[str, int] = {}
        # article -> its labels file's Sig when last read or written here (None: there was none)
        self._sigs: dict[str, Sig] = {}
        self._stripes: dict[str, list[str]] | None = None  # guard -> its articles, made on first use
        self._others: set[str] = set()  # articles others changed, found while writing, for ``refresh``
        self._index_reloaded = False
        # The index's article rows as last read (doc id -> row), and what was made of them then
        # while it is read again: (infos, meta, files, floors).  See ``_load_index``.
        self._rows: dict[str, Any] = {}
        self._kept: tuple[dict[str, ArticleInfo], dict[str, dict[str, Any]], dict[str, str], dict[str, int]] = (
            {}, {}, {}, {})
        self._closed = False
        self._index = index
        self._articles_table = Table(index, "articles")
        self._folder = path.with_name(path.stem + ".d")
        if self._folder == path:  # --db x.d
            self._folder = path.with_name(path.name + ".d")
        self._infos: dict[str, ArticleInfo] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._index_ids: dict[str, int] = {}
        self._floors: dict[str, int] = {}
        self._files: dict[str, str] = {}  # article -> the pack holding it (else its own <id>.json)
        self._last_file = LastFile()
        self._scheme, self.schema_version = self._load_index()
        # article -> (the article with its sentences now, their spans, its sentences as imported)
        self._articles: _LRU[str, tuple[Article, frozenset[tuple[int, int]], tuple[Span, ...]]] = _LRU(_ARTICLE_CACHE)
        # article -> its number of sentences, changed by a segmentation decision, not yet in the index
        self._sentence_counts: dict[str, int] = {}
        self._label_files: _LRU[str, LabelFile] = _LRU(_LABEL_FILE_CACHE)
        # article -> annotator -> label -> count (no zeros); built on first use, then kept current.
        self._counts: dict[str, dict[str, dict[str, int]]] | None = None
        # article -> (reviewer, suggester, outcome) -> labels (see ``provenance.outcomes``); made and
        # kept with ``_counts``, per article so another process's change to one can be counted again.
        self._outcomes: dict[str, dict[tuple[str, str, str], int]] = {}
        # article -> annotator -> (notes, flags) they hold there; built and kept with the counts.
        self._note_counts: dict[str, dict[str, tuple[int, int]]] = {}
        # (person, final?) -> undo and redo stacks; replayed on first use, then kept current.
        self._journals: dict[tuple[str, bool], Journal] = {}
        # (person, final?) -> the latest stamp given or replayed here for them
        self._clocks: dict[tuple[str, bool], tuple[str, int]] = {}
        # (person, final?) -> decisions saved while ``prepare_undo`` reads in another thread
        self._recording: dict[tuple[str, bool], list[Step]] = {}
        self._damaged: dict[str, DatabaseError] = {}  # article -> why its labels file could not be counted
        # article -> records in its labels file: as written now, and as the index last noted.
        self._records: dict[str, int] = {}

    # ----------------------------------------------------------------- open / close

    @classmethod
    def open(
        cls, path: Path, *, readonly: bool = False, create: bool = True, lock_timeout: float = 0.0,
        reviewer: str | None = None, role: str = "label", alone: bool = False,
    ) -> Database:
        """Open the database at ``path``.  Writers share it (each write guarded, see ``guards``);
        ``alone`` waits (``lock_timeout``) until no other writer has it open and keeps them out
        (scheme changes).  ``reviewer``: this is their ``role`` session ("label" or "review"),
        refused (DatabaseLocked, naming the holder) while they have one open elsewhere."""
        path = Path(path)
        if path.is_dir():
            raise DatabaseError(f"{path} is a folder; give a database file, e.g. --db {path / 'annotations.json'}")
        parent = path.parent
        if not parent.is_dir():
            if parent.exists():
                raise DatabaseError(f"{parent} is not a folder, so {path} cannot be a database; use another --db")
            if readonly or not create:
                raise DatabaseError(f"no database at {path}: folder {parent} does not exist; check --db")
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DatabaseError(f"cannot create folder {parent}: {e.strerror or e}; use another --db") from None
        lock = None if readonly else acquire_lock(path, lock_timeout, shared=not alone)
        person: PersonLock | None = None
        guards = Guards(data_folder(path), enabled=not readonly)
        try:
            guards.snapshot()  # before any file is read: a change after this is seen
            index = OrjsonStorage(path, readonly=readonly)
            new = not index.exists
            if new:
                if readonly or not create:
                    raise DatabaseError(f"no database at {path}; import articles first or check --db")
                with guards.hold(INDEX):  # two first writers would each create an index
                    index = OrjsonStorage(path)
                    if not index.exists:
                        guards.bump(INDEX)
                        create_index(index)
            db = cls(path, index, readonly=readonly, lock=lock, guards=guards)
            if reviewer is not None and not readonly:
                person = db._person = take_person(path, data_folder(path), reviewer, role)
            db._live_seen = guards.seen()
            if not readonly and db.schema_version < PLAIN_SCHEMA:
                # Schema 2 adds histories and stamps to labels files; files without them still read.
                with db._index_write():
                    db._set_schema(PLAIN_SCHEMA)
            if not readonly:
                for sub in ("articles", "labels"):
                    try:
                        (db._folder / sub).mkdir(parents=True, exist_ok=True)
                    except OSError as e:
                        raise DatabaseError(
                            f"cannot create folder {db._folder / sub}: {e.strerror or e}; check --db and permissions"
                        ) from None
                if new:  # make the new folders' own names durable, not only the files later put in them
                    for folder in (db._folder, path.parent):
                        fsync_dir(folder)
                remove_leftover_temps(path, (db.articles_folder, db.labels_folder))  # a killed save's temp files
            return db
        except BaseException:
            guards.close()
            if person is not None:
                person.release()
            if lock is not None:
                release_lock(path, lock)
            raise

    def close(self) -> None:
        if self._closed:
            return
        if not self.readonly:
            try:
                with self._index_write(wait=2.0):
                    self._save_floors()
                    self._save_sentence_counts()
            except (AnnotatorError, OSError, Busy):
                pass  # only a check for `verify`, and counts the labels files hold; every decision is on disk
        self._closed = True
        self._articles.clear()
        self._label_files.clear()
        self._counts = None
        self._guards.close()
        if self._person is not None:
            self._person.release()
            self._person = None
        if self._lock is not None:
            release_lock(self.path, self._lock)
            self._lock = None

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "closed" if self._closed else "read-only" if self.readonly else "writable"
        return f"<Database {self.path} {mode}, {len(self._infos)} articles>"

    # ----------------------------------------------------------------- label scheme

    def set_scheme(self, scheme: LabelScheme) -> None:
        """Store a new label scheme (see ``annotator.schemes``), in one write of the index.

        Every label id the old scheme knew must still be there, live or retired: the labels
        and histories on disk are stored by id.  A label may be retired only while no
        sentence holds it (see :meth:`label_usage`)."""
        self._check_writable()
        ids = [d.id for d in scheme.labels]
        if len(set(ids)) != len(ids) or not scheme.live:
            raise ValueError("a scheme needs a live label and every id once")
        with self._index_write():
            lost = [d.id for d in self._scheme.labels if not scheme.known(d.id)]
            if lost:
                raise ValueError(f"label ids {lost} would be forgotten; retire them instead")
            self._guards.bump(INDEX)
            Table(self._index, "project").update({"scheme": scheme.to_json()})
            self._scheme = scheme

    def guidelines(self) -> str:
        """The project's labeling guidelines (Markdown; "" if none were stored)."""
        self._check_open()
        for doc in Table(self._index, "project").all():
            text = doc.get("guidelines", "")
            return text if isinstance(text, str) else ""
        return ""

    def set_guidelines(self, text: str) -> None:
        """Store the guidelines (``annotator scheme guidelines FILE.md``), in one write of the index."""
        self._check_writable()
        with self._index_write():
            self._guards.bump(INDEX)
            Table(self._index, "project").update({"guidelines": text})

    def label_usage(self) -> dict[str, int]:
        """Label id -> how many sentences hold it, as a reviewer's label or a final label
        (reads every labels file: for scheme changes, not for the app's keys)."""
        used: dict[str, int] = {}
        for counts in self.label_counts().values():
            for lid, n in counts.items():
                used[lid] = used.get(lid, 0) + n
        for aid in self._infos:
            for d in self.decisions(aid):
                used[d.label] = used.get(d.label, 0) + 1
        return used

    # ----------------------------------------------------------------- articles

    @property
    def scheme(self) -> LabelScheme:
        return self._scheme

    @property
    def articles_folder(self) -> Path:
        return self._folder / "articles"

    @property
    def labels_folder(self) -> Path:
        return self._folder / "labels"

    def article_path(self, article_id: str) -> Path:
        return self._article_path(article_id)

    def labels_path(self, article_id: str) -> Path:
        return self._labels_path(article_id)

    def article_infos(self) -> list[ArticleInfo]:
        self._check_open()
        return list(self._infos.values())

    def article_info(self, article_id: str) -> ArticleInfo:
        """One article's row (KeyError for an unknown id)."""
        self._check_open()
        return self._infos[article_id]

    def has_article(self, article_id: str) -> bool:
        self._check_open()
        return article_id in self._infos

    def get_article(self, article_id: str) -> Article:
        """Raises KeyError for an unknown id, DatabaseCorrupt if its file is missing or damaged."""
        return self._article(article_id)[0]

    def add_articles(
        self, articles: Iterable[Article], progress: Callable[[int], None] | None = None,
        load: Callable[[Article], ArticleText | ArticleFile | None] | None = None,
        then: Iterable[Article] = (),
        pack: bool = False,
    ) -> tuple[list[str], list[str]]:
        """Add new articles and the new sources of those already here: (added ids, present ids).

        Each new article's file is written as the article comes, the index last, so
        ``articles`` can be a generator.  With ``load`` they may come without their text and
        sentences (an import of a folder holds one text at a time): ``load`` gives them as
        (text, [(start, end), ...]) when they are needed, or None to leave the article out;
        for a new article it may give its file instead (``ArticleFile``).  ``then`` are more
        articles, after ``articles``, made as they are asked for (an import's text files, read
        in worker processes): checked as they come, not all before the first is written.
        With ``pack``, new articles are written in packs of many (``articlefile``), for an
        import of thousands: the database is then schema ``PACKS_SCHEMA``.
        Done under the index's guard: another import waits (reviewers' saves do not).
        """
        self._check_writable()
        with self._index_write():
            return self._add_articles(articles, progress, load, then, pack)

    def _add_articles(
        self, articles: Iterable[Article], progress: Callable[[int], None] | None,
        load: Callable[[Article], ArticleText | ArticleFile | None] | None,
        then: Iterable[Article], pack: bool,
    ) -> tuple[list[str], list[str]]:
        if isinstance(articles, Sequence):  # all of them at hand: refuse a bad one before writing any
            for a in articles:
                check_id(a.id)
                _check_sentences(a.id, a.text, [(s.start, s.end) for s in a.sentences])
        added: list[str] = []
        present: list[str] = []
        new_docs: dict[str, dict[str, Any]] = {}
        merged: dict[str, dict[str, Any]] = {}  # existing article -> the index fields that change
        seq = max((i.seq for i in self._infos.values()), default=0)
        articles_folder = self.articles_folder  # one join for every article's path (check_id below)
        packed: list[tuple[str, bytes]] = []  # new articles not written yet, with their files' bytes
        packed_size = 0
        packs = 0

        def write_pack() -> None:
            nonlocal packed_size, packs
            if len(packed) == 1:
                write_article(articles_folder / f"{packed[0][0]}.json", packed[0][1], sync=not hasattr(os, "sync"))
            elif packed:
                name = pack_name(packed[0][0], len(packed))
                write_article(articles_folder / name, pack_bytes([raw for _, raw in packed]),
                              sync=not hasattr(os, "sync"))
                for aid, _ in packed:
                    new_docs[aid]["file"] = name
                packs += 1
            packed.clear()
            packed_size = 0

        for n, a in enumerate(itertools.chain(articles, then), 1):
            check_id(a.id)
            if a.id in self._infos or a.id in new_docs:
                present.append(a.id)
                doc = new_docs.get(a.id)
                if doc is None:
                    doc = merged.get(a.id) or {"sources": list(self._infos[a.id].sources)}
                    if not self._infos[a.id].preview:  # an index written before previews: fill it in
                        body = _body(a) if load is None else load(a)
                        preview = "" if body is None else _preview(body)
                        if preview:
                            doc["preview"] = preview
                extra = [s for s in dict.fromkeys(a.sources) if s not in doc["sources"]]
                if extra:
                    doc["sources"] = doc["sources"] + extra
                if a.id not in new_docs and (extra or "preview" in doc):
                    merged[a.id] = doc
            elif (body := _body(a) if load is None else load(a)) is not None:
                if not isinstance(body, ArticleFile):
                    text, sentences = body
                    _check_sentences(a.id, text, sentences)
                    body = ArticleFile(article_bytes(a.id, text, sentences), len(sentences), text_preview(text))
                # Without fsync: one os.sync() below makes them durable together, before the
                # index that points at them is written.
                if pack:
                    packed.append((a.id, body.data))
                    packed_size += len(body.data)
                else:
                    write_article(articles_folder / f"{a.id}.json", body.data, sync=not hasattr(os, "sync"))
                seq += 1
                new_docs[a.id] = {
                    "id": a.id,
                    "seq": seq,
                    "title": a.title,
                    "sources": list(dict.fromkeys(a.sources)),
                    "meta": dict(a.meta),
                    "n_sentences": body.n_sentences,
                    "preview": body.preview,
                }
                added.append(a.id)
                if len(packed) >= PACK_ARTICLES or packed_size >= PACK_BYTES:
                    write_pack()
            if progress is not None:
                progress(n)
        write_pack()
        if not new_docs and not merged:
            return added, present
        if new_docs and hasattr(os, "sync"):
            os.sync()
        schema = self.schema_version
        self._guards.bump(INDEX)
        self._stripes = None
        try:
            with self._index.batch():
                if packs:
                    self._set_schema(PACKS_SCHEMA)
                for aid, fields in merged.items():
                    self._articles_table.update(fields, doc_ids=[self._index_ids[aid]])
                new_ids = self._articles_table.insert_multiple(list(new_docs.values()))
        except BaseException:
            self._articles_table = Table(self._index, "articles")  # drop TinyDB's now-wrong next id
            self.schema_version = schema  # the index on disk says so still
            raise
        for aid, fields in merged.items():
            i = self._infos[aid]
            self._infos[aid] = ArticleInfo(
                i.id, i.seq, i.title, i.n_sentences, tuple(fields["sources"]), fields.get("preview", i.preview),
                i.assigned,
            )
            self._articles.pop(aid)  # its cached Article has the old sources
        for doc_id, doc in zip(new_ids, new_docs.values()):
            self._add_info(doc_id, doc)
            if self._counts is not None:
                self._counts[doc["id"]] = {}
                self._sigs[doc["id"]] = None
        return added, present

    # ----------------------------------------------------------------- labels

    def labels(self, article_id: str, annotator: str | None = None) -> list[Label]:
        found = self._state(article_id).labels.values()
        return sorted((x for x in found if annotator is None or x.annotator == annotator), key=_sort_key)

    def cleared(self, article_id: str) -> list[Cleared]:
        """The article's cleared labels (who took a label off which sentence, and when)."""
        found = self._state(article_id).cleared
        return [found[k] for k in sorted(found)]

    def history(self, article_id: str, *, final: bool = False) -> list[Event]:
        """Every decision on the article's labels (or, with ``final``, its final labels), in
        sentence order and then in the order they were made."""
        st = self._state(article_id)
        return sorted(st.final_history if final else st.history, key=event_key)

    # ----------------------------------------------------------------- notes and flags

    def notes(self, article_id: str, who: str | None = None) -> list[Note]:
        """The article's notes and flags on its sentences now (of ``who``, or everyone's), in
        sentence order.  A record with no note and no flag is a clear: kept so that it wins
        over an older copy in a merge (``Note.empty``)."""
        found = self._state(article_id).notes
        return [found[k] for k in sorted(found) if who is None or k[2] == who]

    def retired_notes(self, article_id: str) -> list[RetiredNote]:
        """The article's notes and flags whose sentence was split or joined since (kept)."""
        found = self._state(article_id).retired_notes
        return [found[k] for k in sorted(found)]

    def set_note(self, article_id: str, start: int, end: int, who: str, note: str,
                 updated_at: str | None = None) -> Note:
        """Write ``who``'s note on a sentence ("" takes it off: a decision too); fsynced when this
        returns; returned as stored.  ValueError for an unknown article or sentence, a name no
        one could type, or a note that is not one printable line of at most
        ``NOTE_MAX_CHARS`` (``clean_note`` makes one); SaveError if the disk refused."""
        if not note_ok(note):
            raise ValueError(f"a note is one line of printable text, at most 500 characters (clean_note): {note[:40]!r}")
        return self._note_decide(article_id, start, end, who, updated_at or now_iso(), note=note)

    def set_flag(self, article_id: str, start: int, end: int, who: str, flag: bool,
                 updated_at: str | None = None) -> Note:
        """Flag ``who``'s sentence as unsure (``flag``), or take the flag off: as ``set_note``."""
        return self._note_decide(article_id, start, end, who, updated_at or now_iso(), flag=bool(flag))

    def _note_decide(self, article_id: str, start: int, end: int, who: str, now: str, *,
                     note: str | None = None, flag: bool | None = None) -> Note:
        self._check_writable()
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        with self._article_write(article_id):
            self._sentences_with(article_id, start, end)
            if not is_name(who):
                raise ValueError(f"{who!r} is not a name a decision can be made under")
            lf = self._label_file(article_id)
            st = lf.state
            key = (start, end, who)
            cur = st.notes.get(key)
            if cur is not None and (note is None or cur.note == note) and (flag is None or cur.flag == flag):
                return cur
            stamps = [note_stamp(cur)] if cur is not None else []
            if (ret := st.retired_notes.get(key)) is not None:
                stamps.append(note_stamp(ret.note))
            if st.segmentation is not None:  # after the sentence's split or join, so it counts on it
                stamps.append((st.segmentation.updated_at, st.segmentation.tick))
            seen = max(stamps, key=lambda p: stamp_order(*p), default=None)
            at, tick = next_stamp(now, seen)
            base = cur or Note(article_id, start, end, who)
            if note is not None:
                new_note = Note(article_id, start, end, who, note, base.flag, at, tick, base.flag_updated_at, base.flag_tick)
            else:
                new_note = Note(article_id, start, end, who, base.note, bool(flag), base.updated_at, base.tick, at, tick)
            self._set_schema(NOTES_SCHEMA)  # before the first labels file that needs it
            new = st.copy()
            new.retired_notes.pop(key, None)
            new.notes[key] = new_note
            self._write_state(lf, new, (None, None))
            return new_note

    def _note_ok(self, n: Note) -> bool:
        return (is_name(n.annotator) and note_ok(n.note) and isinstance(n.flag, bool)
                and isinstance(n.updated_at, str) and isinstance(n.flag_updated_at, str))

    def set_label(self, label: Label) -> Label:
        """Label a sentence; the decision is fsynced when this returns, and returned as stored.

        It is stamped at ``label.updated_at`` or, if this database has already seen a decision
        on the same sentence and reviewer stamped as late or later (a clock behind, or a
        decision from a machine whose clock is ahead), just after that one.
        Raises ValueError for an unknown article, label name or sentence (a caller bug),
        SaveError if the disk refused the write (nothing changes then, in memory or on disk).
        """
        self._check_writable()
        provenance.check(label)
        if label.article_id not in self._infos:
            raise ValueError(f"no article {label.article_id!r} in {self.path}")
        with self._article_write(label.article_id):
            self._check_label(label)
            lf = self._label_file(label.article_id)
            key = _sort_key(label)
            cur = lf.state.labels.get(key)
            if cur is not None and cur.label == label.label and provenance.of(cur) == provenance.of(label):
                return cur
            ev = self._stamped(lf, label.start, label.end, label.annotator, label.label, "label", label.updated_at,
                               prov=provenance.of(label))
            self._record(lf, ev)
            return lf.state.labels[key]

    def clear_label(
        self, article_id: str, start: int, end: int, annotator: str, updated_at: str | None = None
    ) -> Label | None:
        """Take the annotator's label off a sentence; the clear is recorded as a decision
        (stamped as ``set_label`` does), so merging older work does not bring the label back."""
        self._check_writable()
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        with self._article_write(article_id):
            lf = self._label_file(article_id)
            old = lf.state.labels.get((start, end, annotator))
            if old is None:
                return None
            self._record(lf, self._stamped(lf, start, end, annotator, None, "clear", updated_at or now_iso()))
            return old

    def undo(self, annotator: str, *, final: bool = False) -> Event | SegEvent | None:
        """Take back ``annotator``'s latest decision not yet undone, in any article, by a new
        decision that restores the label it replaced (or, for a split or join, the sentences it
        took out, with their labels).  Returns that new decision, or None when there is nothing
        to undo.  A decision on a sentence that is no longer one (split or joined since, by
        anyone) is passed over.  With ``final``: the same for final labels decided by them."""
        self._check_writable()
        target = self._journal(annotator, final).top(usable=lambda e: self._can_step(e, undo=True))
        if target is None:
            return None
        if isinstance(target, SegEvent):
            return self._take_seg(target, "undo")
        return self._take(target, "undo", target.before, final)

    def redo(self, annotator: str, *, final: bool = False) -> Event | SegEvent | None:
        """Make the latest undone decision again (as a new decision); None if nothing was undone
        since the last new decision."""
        self._check_writable()
        target = self._journal(annotator, final).top(undone=True, usable=lambda e: self._can_step(e, undo=False))
        if target is None:
            return None
        if isinstance(target, SegEvent):
            return self._take_seg(target, "redo")
        return self._take(target, "redo", target.label, final)

    def _can_step(self, e: Step, *, undo: bool) -> bool:
        """Whether ``e`` can be undone (or redone) now: a label's sentence is still one, and its
        label not retired; a split's or join's sentences are all still there."""
        if e.article_id not in self._infos:
            return False
        try:
            spans = self._article(e.article_id)[1]
            st = self._state(e.article_id)
        except AnnotatorError:
            return True  # the undo itself names the damaged file
        if isinstance(e, SegEvent):
            return all((s.start, s.end) in spans for s in (e.added if undo else e.removed))
        if (e.start, e.end) not in spans:
            return False
        gone = removals(st.seg_history).get((e.start, e.end)) if st.seg_history else None
        return gone is None or stamp_order(e.updated_at, e.tick) > stamp_order(gone.updated_at, gone.tick)

    def undo_depth(self, who: str, *, final: bool = False) -> tuple[int, int]:
        """How many of ``who``'s decisions can be undone, and how many redone."""
        return self._journal(who, final).depth()

    def _take(self, target: Event, op: EventOp, label: str | None, final: bool) -> Event:
        if label is not None and not self._scheme.takes(label):
            label = None  # removed from the scheme since: never put back; the sentence is left undecided
        with self._article_write(target.article_id):
            lf = self._label_file(target.article_id)
            if final:
                # Restore the whole earlier decision (its reason and votes), not just its label.
                reason, votes = "", cast(tuple[tuple[str, str], ...], ())
                source = target if op == "redo" else self._previous(lf.state.final_history, target)
                if source is not None and source.label == label:
                    reason, votes = source.reason, source.votes
                ev = self._stamped(lf, target.start, target.end, target.who, label, op, now_iso(), final=True,
                                   undoes=target.stamp, reason=reason, votes=votes)
            else:
                # The label put back keeps its own provenance: the decision that made it (an undo
                # restores the one before ``target``, a redo ``target`` itself).
                made = target if op == "redo" else self._previous(lf.state.history, target)
                prov = provenance.of(made) if made is not None and label is not None and made.label == label \
                    else provenance.NONE
                ev = self._stamped(lf, target.start, target.end, target.who, label, op, now_iso(), undoes=target.stamp,
                                   prov=prov)
            self._record(lf, ev)
            return ev

    # ----------------------------------------------------------------- segmentation

    def segmentation(self, article_id: str) -> Segmentation | None:
        """The article's sentences as its latest segmentation decision left them (None: as imported)."""
        return self._state(article_id).segmentation

    def segmentation_history(self, article_id: str) -> list[SegEvent]:
        """Every split and join of the article (and their undos and redos), in the order made."""
        return sorted(self._state(article_id).seg_history, key=seg_order)

    def retired(self, article_id: str) -> list[Retired]:
        """The article's retired labels and then retired final labels, in sentence order: their
        sentence was split or joined (see ``retiring``)."""
        st = self._state(article_id)
        return [st.retired[k] for k in sorted(st.retired)] + [st.retired_final[k] for k in sorted(st.retired_final)]

    def known_spans(self, article_id: str) -> frozenset[tuple[int, int]]:
        """Every span that is or was a sentence of the article (labels on one may be retired)."""
        base = self._article(article_id)[2]
        return frozenset(known_spans(self._state(article_id), base))

    def split_sentence(self, article_id: str, offset: int, who: str, updated_at: str | None = None) -> SegEvent:
        """Split the sentence that holds ``offset`` there, as ``who``'s decision: two sentences,
        each stripped of whitespace; the labels and final labels on it retired.  Fsynced when
        this returns.  ValueError says why it cannot be split (nothing changes then)."""
        self._check_writable()
        with self._article_write(article_id):
            article = self._checked_article(article_id)
            i, left, right = split_spans(article.text, article.sentences, offset)
            return self._seg_decide(article_id, who, "split", (article.sentences[i],), (left, right),
                                    updated_at or now_iso())

    def join_sentences(self, article_id: str, index: int, who: str, updated_at: str | None = None) -> SegEvent:
        """Join sentence ``index`` (from 0) with the next one, as ``who``'s decision; the labels
        and final labels on both retired.  ValueError says why not (nothing changes then)."""
        self._check_writable()
        with self._article_write(article_id):
            article = self._checked_article(article_id)
            joined = join_spans(article.sentences, index)
            return self._seg_decide(article_id, who, "join", tuple(article.sentences[index:index + 2]), (joined,),
                                    updated_at or now_iso())

    def _checked_article(self, article_id: str) -> Article:
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        return self._article(article_id)[0]

    def _take_seg(self, target: SegEvent, op: SegOp) -> SegEvent:
        removed, added = (target.added, target.removed) if op == "undo" else (target.removed, target.added)
        return self._seg_decide(target.article_id, target.who, op, removed, added, now_iso(), undoes=target.stamp)

    def _seg_decide(self, article_id: str, who: str, op: SegOp, removed: tuple[Span, ...], added: tuple[Span, ...],
                    now: str, undoes: str = "") -> SegEvent:
        """Stamp and write one segmentation decision: after every decision this database has
        seen on the article, so it retires exactly the labels made before it."""
        if not is_name(who):
            raise ValueError(f"{who!r} is not a name a decision can be made under")
        with self._article_write(article_id):
            lf = self._label_file(article_id)
            _, _, base = self._article(article_id)
            st = lf.state
            stamps: list[tuple[str, int]] = []
            for group in (st.labels.values(), st.cleared.values(), st.decisions.values(), st.final_cleared.values(),
                          st.seg_history, [r.record for r in (*st.retired.values(), *st.retired_final.values())]):
                stamps.extend((x.updated_at, x.tick) for x in group)
            stamps.extend(note_stamp(n) for n in (*st.notes.values(), *(r.note for r in st.retired_notes.values())))
            seen = max(stamps, key=lambda p: stamp_order(*p), default=None)
            clock = self._clocks.get((who, False))
            if clock is not None and when(clock[0]) == when(now) and (seen is None or _later(clock, seen)):
                seen = clock
            at, tick = next_stamp(now, seen)
            self._clocks[(who, False)] = (at, tick)
            ev = SegEvent(article_id, who, op, removed, added, at, tick, undoes)
            self._set_schema(SEGMENTATION_SCHEMA)  # before the first labels file that needs it
            new = st.copy()
            new.segmentation = Segmentation(replaced(sentences_of(st, base), removed, added), at, tick)
            new.seg_history.append(ev)
            self._write_state(lf, partition(new, base))
            try:
                self._save_sentence_counts()
            except AnnotatorError:
                pass  # the decision is saved; the index is told again on close (and counts read the labels file)
            self._journal_step(ev, who, False)
            return ev

    def _journal_step(self, ev: Step, who: str, final: bool) -> None:
        """Keep ``who``'s undo stacks (and a replay under way) current with a decision just saved."""
        recording = self._recording.get((who, final))
        if recording is not None:
            recording.append(ev)
        journal = self._journals.get((who, final))
        if journal is not None:
            if journal.fits(ev):
                journal.apply(ev)
            else:
                del self._journals[(who, final)]

    @staticmethod
    def _previous(history: list[Event], target: Event) -> Event | None:
        """The decision on ``target``'s key (a final label's sentence; a label's sentence and
        reviewer) just before ``target``."""
        earlier = [e for e in history if (e.start, e.end) == (target.start, target.end)
                   and (target.final or e.who == target.who) and event_order(e) < event_order(target)]
        return max(earlier, key=event_order) if earlier else None

    def _stamped(
        self, lf: LabelFile, start: int, end: int, who: str, label: str | None, op: EventOp, now: str, *,
        final: bool = False, undoes: str = "", reason: str = "", votes: tuple[tuple[str, str], ...] = (),
        prov: provenance.Provenance = provenance.NONE,
    ) -> Event:
        st = lf.state
        seen: tuple[str, int] | None = None
        before: str | None = None
        if final:
            dec = st.decisions.get((start, end))
            fcl = st.final_cleared.get((start, end))
            if dec is not None:
                seen, before = (dec.updated_at, dec.tick), dec.label
            elif fcl is not None:
                seen = (fcl.updated_at, fcl.tick)
        else:
            lab = st.labels.get((start, end, who))
            clr = st.cleared.get((start, end, who))
            if lab is not None:
                seen, before = (lab.updated_at, lab.tick), lab.label
            elif clr is not None:
                seen = (clr.updated_at, clr.tick)
        ret = st.retired_final.get((start, end)) if final else st.retired.get((start, end, who))
        for other in (ret.record if ret is not None else None, st.segmentation):
            # After the label it replaces even if retired, and after the sentence's split or
            # join: a label made on a sentence that came back must count on it.
            if other is not None and (seen is None or _later((other.updated_at, other.tick), seen)):
                seen = (other.updated_at, other.tick)
        # Within the millisecond of the last stamp given here, also after that one: one person's
        # decisions in several articles within a millisecond keep the order they were made in
        # (undo replays them in stamp order).  A decision at an explicitly earlier time keeps it.
        clock = self._clocks.get((who, final))
        if clock is not None and when(clock[0]) == when(now) and (seen is None or _later(clock, seen)):
            seen = clock
        at, tick = next_stamp(now, seen)
        self._clocks[(who, final)] = (at, tick)
        return Event(lf.article_id, start, end, who, label, op, at, tick, before, undoes, final, reason, votes, *prov)

    def _record(self, lf: LabelFile, ev: Event) -> None:
        """Write one decision: the new state and its history event, in one atomic write."""
        if provenance.has(ev):
            self._set_schema(PROVENANCE_SCHEMA)  # before the first labels file that needs it
        new = lf.state.copy()
        was: Label | None = None
        if ev.final:
            skey = (ev.start, ev.end)
            new.decisions.pop(skey, None)
            new.final_cleared.pop(skey, None)
            new.retired_final.pop(skey, None)
            if ev.label is not None:
                new.decisions[skey] = Decision(lf.article_id, ev.start, ev.end, ev.label, ev.who, ev.reason,
                                               ev.updated_at, ev.votes, ev.tick)
            else:
                new.final_cleared[skey] = FinalCleared(lf.article_id, ev.start, ev.end, ev.who, ev.updated_at, ev.tick)
            new.final_history.append(ev)
        else:
            key = (ev.start, ev.end, ev.who)
            was = new.labels.pop(key, None)
            new.cleared.pop(key, None)
            new.retired.pop(key, None)
            if ev.label is not None:
                new.labels[key] = Label(lf.article_id, ev.start, ev.end, ev.label, ev.who, ev.updated_at, ev.tick,
                                        ev.source, ev.score, ev.suggested)
            else:
                new.cleared[key] = Cleared(lf.article_id, ev.start, ev.end, ev.who, ev.updated_at, ev.tick)
            new.history.append(ev)
        self._write_state(lf, new, (was, None if ev.final else new.labels.get((ev.start, ev.end, ev.who))))
        self._journal_step(ev, ev.who, ev.final)

    def _write_state(self, lf: LabelFile, new: State, change: tuple[Label | None, Label | None] | None = None) -> None:
        """Write ``new`` over the article's labels file; ``change``, when one label changed, is
        (before, after), so the counts move by one instead of being made again."""
        self._bump(lf.article_id)
        try:
            lf.storage.write(state_data(new))
        except BaseException:
            self._label_files.pop(lf.article_id)  # reload from disk, the only truth, next time
            raise
        self._sigs[lf.article_id] = lf.storage.sig
        self._replace_state(lf, new, change)

    def _replace_state(self, lf: LabelFile, new: State,
                       change: tuple[Label | None, Label | None] | None = None) -> None:
        for lab in change[:1] if change is not None else lf.state.labels.values():
            if lab is not None:
                self._count(lab, -1)
        resegmented = new.segmentation != lf.state.segmentation
        lf.state = new
        for lab in change[1:] if change is not None else new.labels.values():
            if lab is not None:
                self._count(lab, +1)
        self._records[lf.article_id] = new.records()
        if self._counts is not None:
            self._note_counts[lf.article_id] = tally_notes(new.notes.values())
        if resegmented and new.segmentation is not None:
            self._articles.pop(lf.article_id)  # its cached Article has the old sentences
            self._note_sentences(lf.article_id, len(new.segmentation.sentences))

    def _note_sentences(self, article_id: str, n: int) -> None:
        """The article has ``n`` sentences now (its labels file says so): the index is told on
        the next ``_save_sentence_counts``."""
        i = self._infos[article_id]
        if i.n_sentences != n:
            self._infos[article_id] = ArticleInfo(i.id, i.seq, i.title, n, i.sources, i.preview, i.assigned)
            self._sentence_counts[article_id] = n

    def _save_sentence_counts(self) -> None:
        """Write the changed sentence counts to the index, in one write.  The labels file is the
        truth (a crash before this leaves the index behind; the counts read it again)."""
        if not self._sentence_counts or self.readonly:
            return
        changed = dict(self._sentence_counts)
        self._update_rows("n_sentences", changed)
        for aid in changed:
            self._sentence_counts.pop(aid, None)

    def _journal(self, who: str, final: bool) -> Journal:
        """``who``'s undo and redo stacks, replayed from every article's history once, then kept."""
        journal = self._journals.get((who, final))
        if journal is None:
            journal = self._install_journal(who, final, self._history_reader(who, final)())
        return journal

    def prepare_undo(self, who: str, *, final: bool = False) -> Callable[[], Callable[[], None]]:
        """Replaying a person's history reads every labels file (about 0.1 s per 10,000 decisions),
        so the app does it ahead, in a thread: call the returned function there; it reads
        files only and returns the function to call back on this thread, which installs the
        result.  Decisions saved meanwhile are added then; a merge meanwhile drops it."""
        self._check_open()
        key = (who, final)
        read = self._history_reader(who, final)
        self._recording[key] = []

        def work() -> Callable[[], None]:
            events = read()

            def install() -> None:
                extra = self._recording.pop(key, None)
                if extra is not None and key not in self._journals and not self._closed:
                    self._install_journal(who, final, [*events, *extra])

            return install

        return work

    def _history_reader(self, who: str, final: bool) -> Callable[[], list[Step]]:
        """A function that gathers ``who``'s history events from every article: it reads files
        and a snapshot of the cached ones only, so it may run in another thread."""
        cached = {aid: lf.state for aid, lf in self._label_files.items()}
        paths = {aid: self._labels_path(aid) for aid in self._infos}
        return lambda: read_history(who, final, paths, cached)

    def _install_journal(self, who: str, final: bool, events: list[Step]) -> Journal:
        journal = self._journals[(who, final)] = Journal(events)
        # The replay's last order is the latest decision's (``step_order``: instant, time, tick, ...).
        latest = (journal.last[1], journal.last[2]) if journal.last is not None else None
        clock = self._clocks.get((who, final))
        if latest is not None and (clock is None or _later(latest, clock)):
            self._clocks[(who, final)] = latest
        return journal

    # ----------------------------------------------------------------- adjudication

    def decisions(self, article_id: str) -> list[Decision]:
        """The article's final (adjudicated) labels, in sentence order."""
        found = self._state(article_id).decisions
        return [found[k] for k in sorted(found)]

    def final_cleared(self, article_id: str) -> list[FinalCleared]:
        """The article's final labels taken off (by undo in review), in sentence order."""
        found = self._state(article_id).final_cleared
        return [found[k] for k in sorted(found)]

    def set_decision(self, decision: Decision) -> Decision:
        """Record the final label of one sentence; fsynced when this returns; returned as stored."""
        self._check_writable()
        if decision.article_id not in self._infos:
            raise ValueError(f"no article {decision.article_id!r} in {self.path}")
        with self._article_write(decision.article_id):
            if not self._decision_ok(decision, self._sentences_with(decision.article_id, decision.start, decision.end)):
                raise ValueError(
                    f"invalid final label for article {decision.article_id}: {decision.label!r} by {decision.by!r} "
                    f"on {decision.start}-{decision.end}"
                )
            lf = self._label_file(decision.article_id)
            skey = (decision.start, decision.end)
            cur = lf.state.decisions.get(skey)
            if cur is not None and (cur.label, cur.by, cur.reason, cur.votes) == (
                decision.label, decision.by, decision.reason, decision.votes
            ):
                return cur
            self._record(lf, self._stamped(lf, decision.start, decision.end, decision.by, decision.label, "label",
                                           decision.updated_at, final=True, reason=decision.reason,
                                           votes=decision.votes))
            return lf.state.decisions[skey]

    def clear_decision(self, article_id: str, start: int, end: int, by: str = "") -> Decision | None:
        """Take the final label off a sentence, recorded as a decision (by ``by``)."""
        self._check_writable()
        if article_id not in self._infos:
            raise ValueError(f"no article {article_id!r} in {self.path}")
        with self._article_write(article_id):
            lf = self._label_file(article_id)
            old = lf.state.decisions.get((start, end))
            if old is None:
                return None
            self._record(lf, self._stamped(lf, start, end, by or old.by, None, "clear", now_iso(), final=True))
            return old

    # ----------------------------------------------------------------- assignment

    def set_assignments(self, plan: dict[str, tuple[str, ...]], record: dict[str, Any]) -> None:
        """Give each article in ``plan`` its reviewers, in one write of the index.

        ``record`` (the options the plan was made with) is kept on the project record so
        ``stats`` can tell how the work was dealt.
        """
        self._check_writable()
        with self._index_write():
            self._assign(plan, record)

    def _assign(self, plan: dict[str, tuple[str, ...]], record: dict[str, Any]) -> None:
        for aid in plan:
            if aid not in self._infos:
                raise ValueError(f"no article {aid!r} in {self.path}")
        changed = {aid: who for aid, who in plan.items() if self._infos[aid].assigned != tuple(who)}
        project = Table(self._index, "project")
        self._guards.bump(INDEX)
        try:
            with self._index.batch():
                for aid, who in changed.items():
                    self._articles_table.update({"assigned": list(who)}, doc_ids=[self._index_ids[aid]])
                project.update({"assignment": record})
        except BaseException:
            self._articles_table = Table(self._index, "articles")
            raise
        for aid, who in changed.items():
            i = self._infos[aid]
            self._infos[aid] = ArticleInfo(i.id, i.seq, i.title, i.n_sentences, i.sources, i.preview, tuple(who))

    def assignment_record(self) -> dict[str, Any] | None:
        """The options of the last ``annotator assign``, or None if the work was never dealt."""
        self._check_open()
        for doc in Table(self._index, "project").all():
            rec = doc.get("assignment")
            return rec if isinstance(rec, dict) else None
        return None
    def put_labels(
        self, labels: Iterable[Label], progress: Callable[[int], None] | None = None
    ) -> tuple[int, int, int, int]:
        """Merge labels from an export (see :meth:`merge`).  Returns (added, updated, unchanged, skipped)."""
        r = self.merge(labels, (), progress)
        return r.added, r.updated, r.unchanged, r.skipped

    def merge(
        self,
        labels: Iterable[Label],
        decisions: Iterable[Decision] = (),
        progress: Callable[[int], None] | None = None,
        cleared: Iterable[Cleared] = (),
        final_cleared: Iterable[FinalCleared] = (),
        events: Iterable[Event] = (),
        seg_events: Iterable[SegEvent] = (),
        segmentations: Iterable[tuple[str, Segmentation]] = (),
        notes: Iterable[Note] = (),
    ) -> MergeResult:
        """Bring in decisions made elsewhere, as a join (see ``merging``): per key the latest
        decision by stamp wins, histories are united; any order, any number of times, the same.

        A label's key is (sentence, annotator) and a final label's is its sentence, so another
        reviewer's work is only ever added.  When the same key holds a different label in
        both places, the later decision wins and the pair is listed in ``conflicts``.
        Skipped are records for an unknown article, a span that is not one of its sentences,
        or a label name outside the scheme.  Decisions stamped more than a day ahead of this
        machine's clock are counted in ``ahead`` (and merged: their order is still right).
        Segmentation decisions (``seg_events``, and each article's latest, ``segmentations``)
        come in the same way: per article the latest decision's sentences win, and labels on a
        sentence that is no longer one are retired (counted in ``retired``).  A label may come
        in on any span that is or was a sentence of its article.  Notes and flags (``notes``)
        come in per (sentence, reviewer), each the latest decision, a clear included.
        Every touched file is read before anything is written, so a damaged one stops the
        merge with nothing changed; after that one write per touched article.
        ``progress`` gets the number of articles checked so far.
        """
        self._check_writable()
        result = MergeResult()
        now = datetime.now(timezone.utc)
        groups: dict[str, Incoming] = {}

        def group(aid: str) -> Incoming | None:
            if aid not in self._infos:
                return None
            inc = groups.get(aid)
            if inc is None:
                inc = groups[aid] = Incoming()
            return inc

        for lab in labels:
            if (inc := group(lab.article_id)) is not None:
                inc.labels.append(lab)
            else:
                result.skipped += 1
        for dec in decisions:
            if (inc := group(dec.article_id)) is not None:
                inc.decisions.append(dec)
            else:
                result.decisions_skipped += 1
        for c in cleared:  # a clear of an unknown article has nothing to take off
            if (inc := group(c.article_id)) is not None:
                inc.cleared.append(c)
        for fc in final_cleared:
            if (inc := group(fc.article_id)) is not None:
                inc.final_cleared.append(fc)
        for ev in events:
            if (inc := group(ev.article_id)) is not None:
                inc.events.append(ev)
            else:
                result.history_skipped += 1
        for se in seg_events:
            if is_name(se.who) and (inc := group(se.article_id)) is not None:
                inc.seg_events.append(se)
        for aid, g in segmentations:
            if (inc := group(aid)) is not None:
                inc.segmentations.append(g)
        for note in notes:
            if (inc := group(note.article_id)) is not None:
                inc.notes.append(note)
            else:
                result.notes_skipped += 1
        # Every touched file is read first, in the order the records came (an import's packs one
        # after another): a damaged one stops the merge before anything is written.
        texts: dict[str, tuple[str, tuple[Span, ...]]] = {}
        for aid in groups:
            article, _, base = self._article(aid)
            texts[aid] = (article.text, base)
            self._label_file(aid)
        done = 0
        ids = list(groups)
        # In batches, each under the guards of its articles (taken in one order by everyone, so
        # no two writers wait on each other): reviewers labeling meanwhile wait for one batch at
        # most, and a batch's files are still made durable with one sync.
        for first in range(0, len(ids), _MERGE_BATCH):
            batch = ids[first:first + _MERGE_BATCH]
            with ExitStack() as held:
                for name in sorted({stripe_of(aid) for aid in batch}):
                    if held.enter_context(self._guards.hold(name)):
                        self._others |= self._reload_cached(name)
                plans: list[tuple[LabelFile, Incoming, tuple[Span, ...]]] = []
                for aid in batch:
                    plan = self._merge_plan(aid, groups[aid], *texts[aid], result)
                    if plan is not None:
                        plans.append(plan)
                    done += 1
                    if progress is not None:
                        progress(done)
                self._merge_write(plans, result, now)
        self._save_sentence_counts()
        return result

    def _merge_plan(self, aid: str, inc: Incoming, text: str, base: tuple[Span, ...],
                    result: MergeResult) -> tuple[LabelFile, Incoming, tuple[Span, ...]] | None:
        """What of ``inc`` can come into the article, as its labels file is now (under its guard)."""
        lf = self._label_file(aid)
        segs = [g for g in inc.segmentations if self._segmentation_ok(text, g)]
        splits = [e for e in inc.seg_events if all(s.end <= len(text) for s in (*e.removed, *e.added))]
        sentences = frozenset((s.start, s.end) for s in sentences_of(lf.state, base))
        if segs or splits or lf.state.seg_history:
            # Labels may come in on any span that is or was a sentence here or there: the join
            # retires those that are not sentences of the segmentation that wins.
            extra = {(s.start, s.end) for e in splits for s in (*e.removed, *e.added)}
            extra |= {(s.start, s.end) for g in segs for s in g.sentences}
            sentences = frozenset(known_spans(lf.state, base)) | extra
        ok = Incoming(
            # Names are checked where they come in: a name no one could type is skipped, and counted.
            [x for x in inc.labels if self._label_ok(x, sentences) and is_name(x.annotator)],
            [c for c in inc.cleared if (c.start, c.end) in sentences and is_name(c.annotator)],
            [d for d in inc.decisions if self._decision_ok(d, sentences) and is_name(d.by)],
            [c for c in inc.final_cleared if (c.start, c.end) in sentences and is_name(c.by)],
            [e for e in inc.events if self._event_ok(e, sentences)],
            splits, segs,
            [x for x in inc.notes if (x.start, x.end) in sentences and self._note_ok(x)],
        )
        result.notes_skipped += len(inc.notes) - len(ok.notes)
        result.skipped += len(inc.labels) - len(ok.labels)
        result.decisions_skipped += len(inc.decisions) - len(ok.decisions)
        result.history_skipped += len(inc.events) - len(ok.events)
        if ok.labels or ok.cleared or ok.decisions or ok.final_cleared or ok.events or ok.seg_events or segs \
                or ok.notes:
            return lf, ok, base
        return None

    def _merge_write(self, plans: list[tuple[LabelFile, Incoming, tuple[Span, ...]]], result: MergeResult,
                     now: datetime) -> None:
        """Join and write the planned articles (all under one guard, held)."""
        writes: list[tuple[LabelFile, State]] = []
        for lf, ok, base in plans:
            new = join(lf.state, ok, result, now, base, self._scheme.takes)
            if new != lf.state.sorted():
                writes.append((lf, new))
        if not writes:
            return
        if any(new.segmentation is not None for _, new in writes):
            self._set_schema(SEGMENTATION_SCHEMA)  # before the first labels file that needs it
        if any(new.has_provenance() for _, new in writes):
            self._set_schema(PROVENANCE_SCHEMA)  # before the first labels file that needs it
        if any(new.notes or new.retired_notes for _, new in writes):
            self._set_schema(NOTES_SCHEMA)
        self._journals.clear()  # older decisions may have come in: replay on next use
        self._recording.clear()
        if len(writes) < _GROUP_COMMIT_MIN:
            for lf, new in writes:
                self._write_state(lf, new)
            return
        for lf in {stripe_of(lf.article_id): lf for lf, _ in writes}.values():
            self._bump(lf.article_id)  # each guard once: its files are about to be replaced
        try:
            OrjsonStorage.write_together([(lf.storage, state_data(new)) for lf, new in writes])
        except BaseException:
            # Some files may be new and some old now: the disk decides, for each of them.
            for lf, _ in writes:
                self._label_files.pop(lf.article_id)
            self._counts = None
            self._damaged.clear()
            raise
        for lf, new in writes:
            self._sigs[lf.article_id] = lf.storage.sig
            self._replace_state(lf, new)

    @staticmethod
    def _segmentation_ok(text: str, g: Segmentation) -> bool:
        """Sentences in order, inside the text, none empty or with whitespace at an end."""
        prev = 0
        for s in g.sentences:
            piece = text[s.start:s.end]
            if not (prev <= s.start < s.end <= len(text)) or piece != piece.strip():
                return False
            prev = s.end
        return True

    def _set_schema(self, version: int) -> None:
        """Note in the index that its files need schema ``version`` (3: segmentation decisions),
        so an older annotator refuses the database instead of misreading it."""
        if self.schema_version >= version:
            return
        with self._index_write():
            if self.schema_version < version:  # another writer may have raised it meanwhile
                self._guards.bump(INDEX)
                Table(self._index, "project").update({"schema_version": version})
                self.schema_version = version

    def _save_floors(self) -> None:
        """Note in the index how many records each changed labels file holds, so ``verify`` can
        tell when one goes missing or goes back to an older copy.  Done on close, not on every
        save: a save then still writes one small file (a kill only makes the check weaker)."""
        changed = {aid: n for aid, n in self._records.items() if n > self._floors.get(aid, 0)}
        if not changed or self.readonly:
            return
        self._update_rows("records", changed)
        self._floors.update(changed)

    def _update_rows(self, name: str, changed: dict[str, int]) -> None:
        """Set one field of several article rows of the index, in one write."""
        def note(doc: MutableMapping[str, Any]) -> None:
            doc[name] = changed[doc["id"]]

        with self._index_write():
            self._guards.bump(INDEX)
            try:
                # One pass over the table: an update per article would read it whole each time.
                self._articles_table.update(note, doc_ids=[self._index_ids[aid] for aid in changed
                                                           if aid in self._index_ids])
            except BaseException:
                self._articles_table = Table(self._index, "articles")
                raise

    def floors(self) -> dict[str, int]:
        """article id -> the number of records its labels file held at the last index write."""
        return dict(self._floors)

    def label_counts(self, annotator: str | None = None, *, skip_damaged: bool = False) -> dict[str, dict[str, int]]:
        """article id -> {label name: count} for every article (empty dict if unlabelled).

        A labels file that cannot be read raises its error, unless ``skip_damaged`` (the app:
        that article is shown as unavailable, every other one works); then see ``damaged``."""
        counts = self._checked_counts(skip_damaged)
        if annotator is not None:
            return {aid: dict(per.get(annotator, {})) for aid, per in counts.items()}
        out: dict[str, dict[str, int]] = {}
        for aid, per in counts.items():
            if len(per) <= 1:  # the common case: one annotator per project
                out[aid] = dict(next(iter(per.values()), {}))
                continue
            total: dict[str, int] = {}
            for c in per.values():
                for name, n in c.items():
                    total[name] = total.get(name, 0) + n
            out[aid] = total
        return out

    def labeled(self, article_id: str, annotator: str) -> int:
        """How many of the article's sentences ``annotator`` has labeled, from the counts (no
        file read once they are made; 0 for an article whose labels file is damaged)."""
        counts = self._checked_counts(skip_damaged=True)
        return sum(counts.get(article_id, {}).get(annotator, {}).values())

    def suggestion_counts(self, *, skip_damaged: bool = False) -> dict[tuple[str, str, str], int]:
        """(reviewer, suggester, outcome) -> how many of the reviewer's labels accepted, changed
        or rejected that suggester's suggestion (``provenance.outcomes``); from the counts."""
        self._checked_counts(skip_damaged)
        out: dict[tuple[str, str, str], int] = {}
        for per in self._outcomes.values():
            for key, n in per.items():
                out[key] = out.get(key, 0) + n
        return out

    def damaged(self) -> dict[str, DatabaseError]:
        """Articles whose labels file could not be read when the counts were made, and why."""
        self._all_counts()
        return dict(self._damaged)

    def annotators(self) -> list[str]:
        return sorted({a for per in self._checked_counts().values() for a in per})

    def annotators_by_article(self) -> dict[str, list[str]]:
        """article id -> the annotators with at least one label on it (sorted); from the counts, no file reads."""
        return {aid: sorted(per) for aid, per in self._checked_counts().items()}

    def _checked_counts(self, skip_damaged: bool = False) -> dict[str, dict[str, dict[str, int]]]:
        counts = self._all_counts()
        if self._damaged and not skip_damaged:
            raise next(iter(self._damaged.values()))
        return counts

    # ----------------------------------------------------------------- internals

    def _sentences_with(self, article_id: str, start: int, end: int) -> frozenset[tuple[int, int]]:
        """The article's sentences now, of which ``start``-``end`` must be one: else Outdated
        (another reviewer may have split or joined it since the caller looked)."""
        spans = self._article(article_id)[1]
        if (start, end) not in spans:
            raise Outdated(f"article {article_id}: characters {start}-{end} are not one of its sentences (split "
                           f"or joined, perhaps by another reviewer a moment ago); nothing was saved, and the "
                           f"article is shown as it is now")
        return spans

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"{self.path} was closed")

    def _check_writable(self) -> None:
        self._check_open()
        if self.readonly:
            raise DatabaseError(f"{self.path} is open read-only; it cannot be changed")

    def _article_path(self, article_id: str) -> Path:
        return self._folder / "articles" / (self._files.get(article_id) or f"{check_id(article_id)}.json")

    def _labels_path(self, article_id: str) -> Path:
        return self._folder / "labels" / f"{check_id(article_id)}.json"

    def _load_index(self) -> tuple[LabelScheme, int]:
        """Read the index into the article rows (empty before).  Read again (``_reload_index``),
        a row equal to the one read last time keeps what was made of it: a project of 10,000
        articles is read again in a third of the time."""
        data = self._index.read() or {}
        known, self._rows = self._rows, data.get("articles", {})
        old_infos, old_meta, old_files, old_floors = self._kept
        scheme, version, rows = read_index(self.path, data, known)
        for num, d in rows:
            aid = d["id"]
            if aid in old_infos and known.get(str(num)) == d:
                self._infos[aid] = old_infos[aid]
                self._meta[aid] = old_meta[aid]
                self._index_ids[aid] = num
                if aid in old_files:
                    self._files[aid] = old_files[aid]
                if aid in old_floors:
                    self._floors[aid] = old_floors[aid]
            else:
                self._add_info(num, d)
        self._kept = ({}, {}, {}, {})
        return scheme, version

    def _add_info(self, doc_id: int, d: dict[str, Any]) -> None:
        aid = d["id"]
        self._infos[aid] = ArticleInfo(
            aid, d["seq"], d["title"], d["n_sentences"], tuple(d["sources"]), d.get("preview", ""),
            tuple(d.get("assigned", ())),
        )
        self._meta[aid] = d.get("meta", {})
        self._index_ids[aid] = doc_id
        if d.get("file"):
            self._files[aid] = d["file"]
        records = d.get("records", 0)
        if type(records) is int and records > 0:
            self._floors[aid] = records

    def _article(self, article_id: str) -> tuple[Article, frozenset[tuple[int, int]], tuple[Span, ...]]:
        """(the article with its sentences now, their spans, its sentences as imported): a
        segmentation decision in its labels file overrides the sentences of its article file."""
        self._check_open()
        info = self._infos.get(article_id)
        if info is None:
            raise KeyError(article_id)
        hit = self._articles.get(article_id)
        if hit is not None:
            return hit
        text, base = read_article(self._article_path(article_id), article_id, self._last_file)
        spans = sentences_of(self._label_file(article_id).state, base)
        article = Article(article_id, info.title, text, spans, info.sources, dict(self._meta[article_id]))
        hit = (article, frozenset((s.start, s.end) for s in spans), base)
        self._articles.put(article_id, hit)
        return hit

    def _state(self, article_id: str) -> State:
        """The article's decisions; KeyError for an unknown article."""
        self._check_open()
        if article_id not in self._infos:
            raise KeyError(article_id)
        return self._label_file(article_id).state

    def _label_file(self, article_id: str) -> LabelFile:
        lf = self._label_files.get(article_id)
        if lf is not None:
            return lf
        storage = OrjsonStorage(self._labels_path(article_id), readonly=self.readonly)
        state = read_state(storage.path, article_id, storage.read() or {})
        lf = LabelFile(article_id, storage, state)
        self._label_files.put(article_id, lf)
        hit = self._articles.get(article_id)
        if hit is not None and hit[1] != frozenset((x.start, x.end) for x in sentences_of(state, hit[2])):
            self._articles.pop(article_id)  # made from an older copy of this file: another writer split or joined
        if self._counts is not None and self._sigs.get(article_id, ()) != storage.sig:
            # Changed since the counts read it (another writer): count it as it is.
            self._recount(article_id, state)
        self._sigs[article_id] = storage.sig
        return lf

    def _event_ok(self, e: Event, sentences: frozenset[tuple[int, int]]) -> bool:
        return (
            (e.start, e.end) in sentences
            and is_name(e.who)
            and (e.label is None or self._scheme.knows(e.label))
            and (e.before is None or isinstance(e.before, str))
            and not provenance.problems(*provenance.of(e))
        )

    def _label_ok(self, label: Label, sentences: frozenset[tuple[int, int]]) -> bool:
        return (
            (label.start, label.end) in sentences
            and self._scheme.takes(label.label)
            and isinstance(label.annotator, str)
            and bool(label.annotator)
            and isinstance(label.updated_at, str)
            and not provenance.problems(*provenance.of(label))
        )

    def _decision_ok(self, d: Decision, sentences: frozenset[tuple[int, int]]) -> bool:
        return (d.start, d.end) in sentences and self._scheme.takes(d.label) and bool(d.by)

    def _check_label(self, label: Label) -> None:
        if label.article_id not in self._infos:
            raise ValueError(f"no article {label.article_id!r} in {self.path}")
        if not self._label_ok(label, self._sentences_with(label.article_id, label.start, label.end)):
            raise ValueError(
                f"invalid label for article {label.article_id}: {label.label!r} by {label.annotator!r} "
                f"on {label.start}-{label.end} (the label must be in the scheme and the span one of its sentences)"
            )

    def _all_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        self._check_open()
        if self._counts is None:
            counts: dict[str, dict[str, dict[str, int]]] = {aid: {} for aid in self._infos}
            outcomes: dict[str, dict[tuple[str, str, str], int]] = {}
            known = self._scheme.knows
            folder = self._folder / "labels"
            try:
                present = set(os.listdir(folder))
            except FileNotFoundError:
                present = set()
            except OSError as e:
                raise DatabaseError(f"cannot list {folder}: {e.strerror or e}; check its permissions") from None
            for aid, per in counts.items():
                # Read each file once without keeping it: 10,000 TinyDB objects would cost more than they save.
                # This loop is most of the app's start and of `annotator stats` on a big project.
                lf = self._label_files.get(aid)
                if lf is not None:
                    pairs: Iterable[tuple[str, str]] = [(x.annotator, x.label) for x in lf.state.labels.values()]
                    marked = [(x.annotator, x.label, x.source, x.suggested) for x in lf.state.labels.values()
                              if x.source or x.suggested]
                    self._note_counts[aid] = tally_notes(lf.state.notes.values())
                    self._sigs[aid] = lf.storage.sig
                elif (name := f"{aid}.json") in present:
                    path = folder / name  # no _labels_path: the ids were checked when the index was read
                    try:
                        raw, self._sigs[aid] = read_with_sig(path)
                        data = parse_tinydb(path, raw) if raw is not None else {}
                        docs = (data.get("labels") or {}).values()
                        pairs = [count_key(path, d) for d in docs]
                        marked = [(d["annotator"], d["label"], d.get("source", ""), d.get("suggested", ""))
                                  for d in docs if "source" in d or "suggested" in d]
                        if "notes" in data:
                            self._note_counts[aid] = tally_notes(
                                note_from_doc(path, aid, d) for d in (data["notes"] or {}).values())
                        if "segmentation" in data:  # split or joined: the labels file counts its sentences
                            for d in data["segmentation"].values():
                                self._note_sentences(aid, len(segmentation_from_doc(path, d).sentences))
                    except DatabaseError as exc:
                        # Counted as unlabeled; ``label_counts`` says so unless asked to go on without it.
                        self._damaged[aid] = exc
                        continue
                else:
                    self._sigs[aid] = None
                    continue
                for who, label in pairs:
                    c = per.get(who)
                    if c is None:
                        c = per[who] = {}
                    c[label] = c.get(label, 0) + 1
                if marked:
                    mine = outcomes[aid] = {}
                    for who, label, source, suggested in marked:
                        for name, outcome in provenance.outcomes(label, source, suggested, known):
                            mine[(who, name, outcome)] = mine.get((who, name, outcome), 0) + 1
            self._counts = counts
            self._outcomes = outcomes
        return self._counts

    def article_note_counts(self, annotator: str) -> dict[str, tuple[int, int]]:
        """article id -> (sentences with ``annotator``'s note, sentences they flagged), for the
        articles that have any; from the counts' pass, no file reads."""
        self._checked_counts(skip_damaged=True)
        return {aid: per[annotator] for aid, per in self._note_counts.items()
                if annotator in per and any(per[annotator])}

    def note_counts(self) -> dict[str, tuple[int, int]]:
        """annotator -> (sentences with a note, sentences flagged) over every article, from the
        same pass over the labels files as the label counts (retired notes not counted)."""
        self._checked_counts()
        out: dict[str, tuple[int, int]] = {}
        for per in self._note_counts.values():
            for who, (n, f) in per.items():
                a, b = out.get(who, (0, 0))
                out[who] = (a + n, b + f)
        return out

    def _count(self, label: Label, delta: int) -> None:
        if self._counts is None:
            return
        per = self._counts.setdefault(label.article_id, {})
        c = per.setdefault(label.annotator, {})
        n = c.get(label.label, 0) + delta
        if n:
            c[label.label] = n
        else:
            del c[label.label]
            if not c:
                del per[label.annotator]
        if label.source or label.suggested:
            mine = self._outcomes.setdefault(label.article_id, {})
            for name, outcome in provenance.outcomes(label.label, label.source, label.suggested, self._scheme.knows):
                key = (label.annotator, name, outcome)
                m = mine.get(key, 0) + delta
                if m:
                    mine[key] = m
                else:
                    mine.pop(key, None)
