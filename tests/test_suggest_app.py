"""Suggestions in the labeling app (Pilot): ghost labels from a worker, enter accepts one, a
accepts what is on screen, a label key overrides, none where the reviewer decided or where
agreement is measured, a failing suggester is one notification, a model learns as you label."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from annotator.app import AnnotatorApp, LabelScreen
from annotator.model import SKIP, SUGGESTION_SOURCE, Article, Label, LabelScheme, now_iso
from annotator.storage import Database
from annotator.suggest.base import Example, Suggestion
from annotator.suggest.external import ExternalSuggester
from annotator.suggest.live import RETRAIN_EVERY, LiveSuggestions
from annotator.suggest.rules import RulesSuggester
from annotator.ui.article_view import ArticleView

SIZE = (120, 40)
WHO = "ana"


class Fixed:
    """Suggests ``label`` on every sentence whose index is in ``at`` (all if None)."""

    name = "fixed"

    def __init__(self, label: str = "quote", at: Sequence[int] | None = None, score: float = 0.8) -> None:
        self.label, self.at, self.score = label, at, score

    def suggest(self, article: Article, scheme: LabelScheme) -> list[Suggestion]:
        return [Suggestion(article.id, s.start, s.end, self.label, self.score, self.name)
                for i, s in enumerate(article.sentences) if self.at is None or i in self.at]


async def settled(pilot: Pilot[None], app: AnnotatorApp) -> None:
    """Until the suggestion workers are done and their results shown."""
    for _ in range(200):
        await pilot.pause()
        if not [w for w in app.workers if w.group in ("suggest", "train") and not w.is_finished]:
            await pilot.pause()
            return
        time.sleep(0.01)
    raise AssertionError("the suggestion workers did not finish")


def screen(app: AnnotatorApp) -> LabelScreen:
    assert isinstance(app.screen, LabelScreen)
    return app.screen


def ghosts(app: AnnotatorApp) -> dict[int, str]:
    s = app.session
    return {i: g.label for i in range(s.article_total) if (g := s.ghost(i)) is not None}


def shown_scores(app: AnnotatorApp) -> dict[int, float]:
    return {i: s.score for i, s in app.session.suggestions.items()}


def margin(app: AnnotatorApp, sentence: int) -> str:
    view = app.screen.query_one(ArticleView)
    line = view._layout.first_line[sentence]
    return "".join(seg.text for seg in view._content_line(line, 80))[:16]


async def test_rules_suggest_the_samples_quotes_and_enter_accepts_one(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(RulesSuggester(), min_score=0.5))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        shown = ghosts(app)
        scores = shown_scores(app)
        assert scores
        assert shown and set(shown.values()) <= {"quote", SKIP}
        first = min(shown)
        assert "~quote" in margin(app, first) or "~skip" in margin(app, first)
        app.session.cursor = first
        screen(app).refresh_status()
        hint = str(app.screen.query_one("#hint", Static).render())
        assert "suggested:" in hint and "rules" in hint and "enter accepts" in hint
        await pilot.press("enter")
        aid = app.session.infos[0].id
        (saved,) = sample_db.labels(aid, WHO)
        span = app.session.article.sentences[first] if app.session.article else None
        assert span is not None and (saved.start, saved.end, saved.label) == (span.start, span.end, shown[first])
        assert app.session.labels[first] is not None
        assert app.session.labels[first].source == SUGGESTION_SOURCE + "rules"  # type: ignore[union-attr]
        assert (saved.source, saved.score) == (SUGGESTION_SOURCE + "rules", shown_scores(app)[first])
        assert app.session.cursor == first + 1
        assert first not in ghosts(app)  # decided: no ghost
        assert margin(app, first).strip().startswith(shown[first][:4])  # the label, no ~


async def test_a_accepts_what_is_on_screen_and_nothing_below(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(Fixed()))
    async with app.run_test(size=(100, 20)) as pilot:
        await settled(pilot, app)
        s = app.session
        total = s.article_total
        last = screen(app).query_one(ArticleView).last_seen_sentence()
        assert 0 < last < total - 1
        await pilot.press("a")
        decided = [i for i in range(total) if s.labels[i] is not None]
        assert decided == list(range(0, last + 1))
        assert len(sample_db.labels(s.infos[0].id, WHO)) == last + 1
        assert all(i in ghosts(app) for i in range(last + 1, total))  # still suggestions, not decisions
        assert s.cursor == last + 1  # (every sentence on screen was suggested: the next one)
        await pilot.press("a")  # the next screen
        assert len(sample_db.labels(s.infos[0].id, WHO)) > last + 1


async def test_a_stops_at_the_first_sentence_it_left_undecided(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(Fixed(at=[0, 1, 3, 4])))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        await pilot.press("a")
        s = app.session
        assert [i for i in range(5) if s.labels[i] is not None] == [0, 1, 3, 4]
        assert s.cursor == 2  # not passed over: it had no suggestion


async def test_a_label_key_overrides_and_says_what_it_overrode(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(Fixed("quote", at=[0, 1])))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        await pilot.press("1")  # claim over the suggested quote
        lab = app.session.labels[0]
        assert lab is not None and (lab.label, lab.source, lab.suggested) == ("claim", "", "fixed:quote")
        (stored,) = [x for x in sample_db.labels(app.session.infos[0].id, WHO) if x.start == lab.start]
        assert (stored.source, stored.suggested) == ("", "fixed:quote")  # on disk as shown
        await pilot.press("2")  # quote, as suggested: that is accepting it
        lab = app.session.labels[1]
        assert lab is not None and (lab.label, lab.source, lab.score) == ("quote", "suggestion:fixed", 0.8)
        await pilot.press("u", "u")  # undo both: the suggestions show again
        assert set(ghosts(app)) == {0, 1}


async def test_no_ghost_where_the_reviewer_decided(sample_db: Database) -> None:
    aid = sample_db.article_infos()[0].id
    first = sample_db.get_article(aid).sentences[0]
    sample_db.set_label(Label(aid, first.start, first.end, "background", WHO, now_iso()))
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(Fixed()))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        assert 0 not in ghosts(app) and 1 in ghosts(app)
        assert "background" in margin(app, 0)


async def test_no_suggestions_where_agreement_is_measured_unless_everywhere(sample_db: Database) -> None:
    sample_db.set_assignments({i.id: ("ana", "budi") for i in sample_db.article_infos()}, {"overlap": 1.0})
    for everywhere in (False, True):
        app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(Fixed(), everywhere=everywhere))
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot, app)
            assert bool(ghosts(app)) is everywhere
            await pilot.press("enter")
            assert (app.session.labels[0] is not None) is everywhere


async def test_keys_do_nothing_without_a_suggester(sample_db: Database) -> None:
    app = AnnotatorApp(sample_db, WHO)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "enter")
        assert app.session.labels[0] is None and sample_db.labels(sample_db.article_infos()[0].id) == []


@pytest.mark.parametrize("program, says", [
    ("import time; time.sleep(30)", "no complete answer within 1 s"),
    ("import sys; sys.stderr.write('model file missing\\n'); sys.exit(3)", "model file missing"),
    ("print('not json')", ""),
])
async def test_a_failing_command_is_one_notification_and_labeling_goes_on(sample_db: Database, program: str,
                                                                           says: str) -> None:
    cmd = f"{sys.executable} -c \"{program}\""
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(ExternalSuggester(cmd, timeout=1.0)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")  # a key while the command runs
        assert app.session.labels[0] is not None
        await settled(pilot, app)
        notes = [n for n in app._notifications if "without suggestions" in n.message]
        assert len(notes) == 1 and says in notes[0].message and "\n" not in notes[0].message
        assert ghosts(app) == {}
        await pilot.press("2")
        assert app.session.labels[1] is not None


class Learning(Fixed):
    """A learner that counts its updates and suggests the most common label it was taught."""

    name = "learner"

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[int] = []
        self.slow = 0.0

    def update(self, examples: Sequence[Example]) -> None:
        time.sleep(self.slow)
        self.updates.append(len(examples))
        labels = [e.label for e in examples]
        self.label = max(set(labels), key=labels.count) if labels else "quote"


async def test_a_learner_retrains_in_a_worker_every_few_labels_without_holding_keys(sample_db: Database) -> None:
    learner = Learning()
    learner.slow = 0.3
    app = AnnotatorApp(sample_db, WHO, suggestions=LiveSuggestions(learner))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        before = len(learner.updates)
        began = time.perf_counter()
        await pilot.press(*["3"] * RETRAIN_EVERY)  # background, background, ...: a retrain starts
        await pilot.press("3", "3")  # keys while it trains
        keys_took = time.perf_counter() - began
        assert sum(lab is not None for lab in app.session.labels) == RETRAIN_EVERY + 2
        assert keys_took < learner.slow * 3  # (generous: the keys did not wait for the training)
        await settled(pilot, app)
        assert len(learner.updates) == before + 1 and learner.updates[-1] >= RETRAIN_EVERY
        assert set(ghosts(app).values()) == {"background"}  # learned, and shown on what is left


def test_the_model_learns_the_projects_labels(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from annotator.suggest.model import ModelSuggester

    from conftest import SAMPLES
    from annotator.importer import apply_import, plan_import

    with Database.open(tmp_path / "a.json") as db:
        apply_import(db, plan_import([SAMPLES]))
        live = LiveSuggestions(ModelSuggester(min_score=0.0))
        rules = RulesSuggester()
        for info in db.article_infos():
            art = db.get_article(info.id)
            hits = {(s.start, s.end): s.label for s in rules.suggest(art, db.scheme)}
            live.add_labels(art, [Label(art.id, s.start, s.end, hits.get((s.start, s.end), "claim"), WHO, now_iso())
                                  for s in art.sentences])
        live.retrain(live.examples())
        art = db.get_article(db.article_infos()[0].id)
        offer = live.suggest(art, db.scheme)
        assert len(offer.suggestions) == len(art.sentences)
        assert all(s.source == "model" and 0.0 <= s.score <= 1.0 for s in offer.suggestions)


def test_one_sentence_is_made_as_the_whole_article_makes_it(sample_db: Database) -> None:
    from annotator.suggest.base import sentence_of, sentences_of

    for info in sample_db.article_infos():
        art = sample_db.get_article(info.id)
        assert [sentence_of(art, i) for i in range(len(art.sentences))] == sentences_of(art)


def test_a_suggester_that_does_not_learn_keeps_no_examples(sample_db: Database) -> None:
    live = LiveSuggestions(Fixed())
    art = sample_db.get_article(sample_db.article_infos()[0].id)
    assert live.decided(art, 0, "claim", WHO) is False and live.examples() == []
    learner = LiveSuggestions(Learning())
    assert [learner.decided(art, i, "claim", WHO) for i in range(RETRAIN_EVERY)] == [False] * (RETRAIN_EVERY - 1) + [True]
    assert len(learner.examples()) == RETRAIN_EVERY
