"""The labeling screen's suggestions: asked for in worker threads, shown as ghost labels.

A suggester may be slow (a command, a model's prediction on a long article) and a learner
retrains every few labels, so neither ever runs on a key: both run in threads that get
plain values (the article, a copy of the examples) and hand back an ``Offer``.  A failure
is one notification, and labeling goes on without suggestions.
"""

from __future__ import annotations

import time
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
        live, scheme, app = self.live, self.screen.session.scheme, self.screen.app

        def run() -> None:
            try:
                offer: Offer | AnnotatorError = live.suggest(article, scheme)
            except AnnotatorError as exc:
                offer = exc
            except Exception as exc:  # a suggester's bug must not end the session
                offer = SuggestError(f"{live.name} failed: {type(exc).__name__}: {exc}")
            try:
                app.call_from_thread(self._offered, offer)
            except RuntimeError:
                pass  # the app has quit meanwhile

        self.screen.run_worker(run, thread=True, group="suggest", exclusive=True, exit_on_error=False)

    def _offered(self, offer: Offer | AnnotatorError) -> None:
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
        scheme, app = s.scheme, self.screen.app

        def run() -> None:
            offer: Offer | AnnotatorError | None = None
            try:
                live.retrain(examples)
                if article is not None:
                    offer = live.suggest(article, scheme)
            except AnnotatorError as exc:
                offer = exc
            except Exception as exc:  # a library's failure must not end the session
                offer = SuggestError(f"{live.name} could not learn: {type(exc).__name__}: {exc}")
            try:
                app.call_from_thread(self._trained, offer)
            except RuntimeError:
                pass

        self.screen.run_worker(run, thread=True, group="train", exit_on_error=False)

    def _trained(self, offer: Offer | AnnotatorError | None) -> None:
        self.training = False
        if offer is not None:
            self._offered(offer)
