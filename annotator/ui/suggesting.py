"""The labeling screen's suggestions: asked for in worker threads, shown as ghost labels.

A suggester may be slow (a command, a model's prediction on a long article) and a learner
retrains every few labels, so neither ever runs on a key: both run in threads that get
plain values (the article, a copy of the examples) and hand back an ``Offer``.  A failure
is one notification, and labeling goes on without suggestions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError
from annotator.model import Article
from annotator.sanitize import sanitize_line
from annotator.suggest.base import SuggestError
from annotator.suggest.live import START_EXAMPLES, LiveSuggestions, Offer

if TYPE_CHECKING:
    from annotator.app import LabelScreen

# How long the first screen's reading of the project's labels (for a learner) may take.
START_READ_SECONDS = 0.5


class Suggesting:
    def __init__(self, screen: LabelScreen, live: LiveSuggestions) -> None:
        self.screen = screen
        self.live = live
        self.training = False
        self.failed = False  # told once; then quiet until it works again

    # -- asking -----------------------------------------------------------------------
    def article_opened(self) -> None:
        s = self.screen.session
        if s.article is None:
            return
        if not self.live.allowed(s.infos[s.article_index]):
            return  # shared for agreement: measure people
        self._ask(s.article)

    def _ask(self, article: Article) -> None:
        live, scheme = self.live, self.screen.session.scheme
        self._in_thread(lambda: live.suggest(article, scheme), self._offered, "suggest", f"{live.name} failed")

    def _in_thread(self, work: Callable[[], Offer | None], done: Callable[[Offer | AnnotatorError | None], None],
                   group: str, failed: str) -> None:
        """``work`` in a worker thread, its result (or its error, as one line) handed to ``done``
        on the app's thread; a newer request of the ``suggest`` group replaces an older one."""
        app = self.screen.app

        def run() -> None:
            try:
                result: Offer | AnnotatorError | None = work()
            except AnnotatorError as exc:
                result = exc
            except Exception as exc:  # a suggester's or a library's bug must not end the session
                result = SuggestError(f"{failed}: {type(exc).__name__}: {exc}")
            try:
                app.call_from_thread(done, result)
            except RuntimeError:
                pass  # the app has quit meanwhile

        self.screen.run_worker(run, thread=True, group=group, exclusive=group == "suggest", exit_on_error=False)

    def _offered(self, offer: Offer | AnnotatorError | None) -> None:
        if offer is None:
            return
        if isinstance(offer, AnnotatorError):
            if not self.failed:
                self.failed = True
                self.screen.notify(f"{sanitize_line(offer.message)}. Labeling goes on without suggestions.",
                                   title=offer.title, severity="warning", timeout=8, markup=False)
            return
        self.failed = False
        s = self.screen.session
        changed = s.offer(offer.article_id, offer.suggestions)
        if changed:
            self.show(changed)

    def show(self, sentences: list[int]) -> None:
        s = self.screen.session
        ghosts: dict[int, str | None] = {}
        for i in sentences:
            g = s.ghost(i) if 0 <= i < s.article_total else None
            ghosts[i] = g.label if g is not None else None
        self.screen.view.set_ghosts(ghosts)
        self.screen.refresh_status()

    # -- learning ---------------------------------------------------------------------
    def read_project(self) -> None:
        """A learner starts from the project's labels: every reviewer's, newest articles
        first, for at most START_READ_SECONDS (after the first screen), then trains."""
        if not self.live.learns:
            return
        db = self.screen.session.db
        began = time.perf_counter()
        n = 0
        for info in reversed(self.screen.session.infos):
            if time.perf_counter() - began > START_READ_SECONDS or n >= START_EXAMPLES:
                break
            try:
                labels = db.labels(info.id)
                if labels:
                    self.live.add_labels(db.get_article(info.id), labels)
                    n += len(labels)
            except AnnotatorError:
                continue  # a damaged article teaches nothing
        self.retrain()

    def decided(self, article: Article, sentence: int, label: str | None) -> None:
        if self.live.decided(article, sentence, label, self.screen.session.annotator):
            self.retrain()

    def retrain(self) -> None:
        if self.training or not self.live.learns:
            return
        self.training = True
        live, examples = self.live, self.live.examples()
        s = self.screen.session
        article = s.article if s.article is not None and live.allowed(s.infos[s.article_index]) else None
        scheme = s.scheme

        def work() -> Offer | None:
            live.retrain(examples)
            return live.suggest(article, scheme) if article is not None else None

        self._in_thread(work, self._trained, "train", f"{live.name} could not learn")

    def _trained(self, offer: Offer | AnnotatorError | None) -> None:
        self.training = False
        if offer is not None:
            self._offered(offer)
