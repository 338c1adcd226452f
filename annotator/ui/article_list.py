"""The list of articles: title (or first words), ``n/m`` labeled and a done mark."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotator.sanitize import sanitize_line

DONE_MARK = "✓"


def article_prompt(title: str, labeled: int, total: int) -> Content:
    done = total > 0 and labeled >= total
    mark = Content.styled(f"{DONE_MARK} ", "$success bold") if done else Content("  ")
    count = Content.styled(f"{labeled}/{total}", "$success" if done else "$foreground-muted")
    return Content.assemble(mark, Content(sanitize_line(title)), " ", count)


class ArticleList(OptionList, can_focus=False):
    """Built on OptionList (a Line-API widget), so thousands of articles scroll smoothly."""

    DEFAULT_CSS = """
    ArticleList {
        width: 34;
        border: none;
        border-right: vkey $foreground 20%;
        background: $surface-darken-1;
        padding: 0;
    }
    """

    def set_articles(self, rows: list[tuple[str, int, int]]) -> None:
        self.clear_options()
        self.add_options([Option(article_prompt(t, n, m)) for t, n, m in rows])

    def update_article(self, index: int, title: str, labeled: int, total: int) -> None:
        self.replace_option_prompt_at_index(index, article_prompt(title, labeled, total))
