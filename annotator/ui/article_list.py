"""The list of articles: one line each with a done mark, the title (or first words) and ``n/m``."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotator.sanitize import sanitize_line

DONE_MARK = "✓"
LIST_WIDTH = 34


def fit(text: str, cells: int) -> str:
    """Exactly ``cells`` wide: truncated with an ellipsis, or padded."""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(text, max(cells - 1, 0)) + "…"


def article_prompt(title: str, labeled: int, total: int, width: int = LIST_WIDTH - 2) -> Content:
    done = total > 0 and labeled >= total
    count = f"{labeled}/{total}"
    mark = Content.styled(f"{DONE_MARK} ", "$success bold") if done else Content("  ")
    title_cells = max(width - 2 - len(count) - 1, 4)
    return Content.assemble(
        mark,
        Content(fit(" ".join(sanitize_line(title).split()), title_cells)),
        " ",
        Content.styled(count, "$success" if done else "$foreground-muted"),
    )


class ArticleList(OptionList, can_focus=False):
    """Built on OptionList (a Line-API widget), so thousands of articles scroll smoothly."""

    DEFAULT_CSS = f"""
    ArticleList {{
        width: {LIST_WIDTH};
        border: none;
        border-right: vkey $foreground 20%;
        background: $surface-darken-1;
        padding: 0;
        scrollbar-size-vertical: 1;
    }}
    """

    def set_articles(self, rows: list[tuple[str, int, int]]) -> None:
        self.clear_options()
        self.add_options([Option(article_prompt(t, n, m)) for t, n, m in rows])

    def update_article(self, index: int, title: str, labeled: int, total: int) -> None:
        self.replace_option_prompt_at_index(index, article_prompt(title, labeled, total))
