"""Command palette (ctrl+p) commands for the labeling screen: find any article by title."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.session import Session

MAX_HITS = 200  # the palette shows a screenful; scoring every title is cheap, drawing 10,000 is not


def highlight(matcher: Matcher, text: str) -> Content:
    """``Matcher.highlight`` without its markup parsing: a title such as ``[/]`` or
    ``[@click=app.quit]`` is text (Textual's own parses it, and crashes or runs it)."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class LabelingScreen(Protocol):
    session: Session

    def article_title(self, index: int) -> str: ...
    def goto_article(self, index: int) -> None: ...
    def goto_next_unfinished(self) -> None: ...
    def goto_first_unlabeled(self) -> None: ...
    def action_agreement(self) -> None: ...


class ArticleCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        screen: LabelingScreen = self.screen  # type: ignore[assignment]
        s = screen.session
        out: list[tuple[str, str, object]] = [
            ("Next unfinished article", "Open the next article you have not finished", screen.goto_next_unfinished),
            ("First unlabeled sentence", "Move to the first unlabeled sentence of this article",
             screen.goto_first_unlabeled),
            ("Show agreement", "Agreement between reviewers on the sentences two or more labeled",
             screen.action_agreement),
        ]
        for i, info in enumerate(s.infos):
            title = sanitize_line(screen.article_title(i))
            out.append((f"Go to {i + 1}: {title}", f"{s.labeled[i]}/{info.n_sentences} labeled",
                        partial(screen.goto_article, i)))
        return out

    async def discover(self) -> Hits:
        if not hasattr(self.screen, "session"):
            return
        for text, help_text, callback in self._commands()[:MAX_HITS]:
            # Content, not str: the palette parses a str prompt as markup.
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        if not hasattr(self.screen, "session"):
            return
        matcher = self.matcher(query)
        scored = [(matcher.match(text), text, help_text, cb) for text, help_text, cb in self._commands()]
        scored = sorted((x for x in scored if x[0] > 0), key=lambda x: -x[0])[:MAX_HITS]
        for score, text, help_text, callback in scored:
            yield Hit(score, highlight(matcher, text), callback, text=text, help=help_text)  # type: ignore[arg-type]
