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
        """Replace one row, repainting just that row.

        ``OptionList.replace_option_prompt_at_index`` drops every cached row and re-measures
        every option: 40 ms a label with 3,000 articles.  A row here is always one line
        (``article_prompt`` fits the width), so the line index stays valid and only this
        option's rendered strips need to go.  Relies on OptionList internals (Textual is
        pinned); a prompt that would not fit one line takes the general path.
        """
        prompt = article_prompt(title, labeled, total)
        option = self.get_option_at_index(index)
        line = self._index_to_line.get(index)
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        if line is None or self._heights.get(index) != 1 or prompt.cell_length > width:
            self.replace_option_prompt_at_index(index, prompt)
            return
        option._set_prompt(prompt)
        cache = self._option_render_cache
        for key in [key for key in cache.keys() if key[0] is option]:
            cache.discard(key)
        self.refresh_line(line)
