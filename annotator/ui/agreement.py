"""The agreement screen: the figures of ``annotator agree`` and a per-label bar chart.

The database is read on the main thread (it is not thread-safe); the figures are
computed in a thread worker meanwhile "Computing…" is shown.  Every text shown is plain
``Content`` built from already sanitized lines, never markup; colours come from the theme.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from annotator import agreement
from annotator.agreement import AgreementReport, Figure
from annotator.errors import AnnotatorError
from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database

HALF = 20  # cells from 0 to 1 (and from 0 to -1) in the bar chart
SERIES = (("krippendorff_alpha", "alpha", "$primary"), ("gwet_ac1", "AC1", "$accent"))
NEGATIVE = "$error"
MUTED = "$foreground-muted"
COMPUTING = "Computing…"


def bar(value: float, style: str) -> Content:
    """One bar on a -1..1 axis: ``HALF`` cells left of the axis, the axis, ``HALF`` right."""
    cells = round(min(1.0, abs(value)) * HALF)
    axis = Content.styled("│", MUTED)
    if value < 0:
        return Content.assemble(" " * (HALF - cells), Content.styled("█" * cells, NEGATIVE), axis, " " * HALF)
    return Content.assemble(" " * HALF, axis, Content.styled("█" * cells, style), " " * (HALF - cells))


def chart(report: AgreementReport) -> Content:
    """Krippendorff's alpha and Gwet's AC1 per label (that label against the others)."""
    names = [agreement.shown(lab.label, agreement.CELL) for lab in report.per_label]
    width = max((len(n) for n in names), default=5)
    series_width = max(len(s) for _, s, _ in SERIES)
    pad = " " * (width + series_width + 4)
    scale = [" "] * (2 * HALF + 1)
    scale[0:2], scale[HALF], scale[2 * HALF] = ["-", "1"], "0", "1"
    lines = [Content.styled(pad + "".join(scale), MUTED)]
    for name, lab in zip(names, report.per_label):
        for i, (key, series, style) in enumerate(SERIES):
            fig: Figure = lab.figures.figure(key)
            # The name on both rows: Textual drops a line's leading spaces, which would misalign a blank one.
            head = Content(f"{name:<{width}}  {series:<{series_width}}  ")
            if fig.value is None:
                body = Content.assemble(" " * HALF, Content.styled("│", MUTED), " " * HALF,
                                        Content.styled(f" undefined: {sanitize_line(fig.reason or '')}", MUTED))
            else:
                body = Content.assemble(bar(fig.value, style), f" {agreement.number(fig.value)}")
            lines.append(Content.assemble(head, body))
    legend = Content.assemble(
        Content.styled("█", SERIES[0][2]), " Krippendorff's alpha   ",
        Content.styled("█", SERIES[1][2]), " Gwet's AC1   ",
        Content.styled("█", NEGATIVE), " below 0 (worse than chance)",
    )
    return Content("\n").join([Content("Per label, that label against all the others:"), *lines, legend])


def _lines(*sections: list[str]) -> Content:
    return Content("\n\n".join("\n".join(s) for s in sections if s))


class AgreementScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="agreement.close")]

    DEFAULT_CSS = """
    AgreementScreen { align: center middle; }
    AgreementScreen > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 1 2; overflow-x: auto;
    }
    /* A small terminal: the box takes it all and scrolls both ways inside (the tables keep their rows). */
    AgreementScreen.-narrow > VerticalScroll { padding: 0 1; }
    AgreementScreen Static { width: auto; text-wrap: nowrap; }
    AgreementScreen .agreement-title { text-style: bold; }
    AgreementScreen #agreement-status { color: $foreground-muted; margin-top: 1; }
    AgreementScreen #agreement-summary, AgreementScreen #agreement-chart, AgreementScreen #agreement-details {
        margin-top: 1; display: none;
    }
    AgreementScreen .agreement-close { color: $foreground-muted; margin-top: 1; }
    """

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < 70 or event.size.height < 20, "-narrow")

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.report: AgreementReport | None = None

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.width < 70 or self.app.size.height < 20, "-narrow")
        with VerticalScroll():
            yield Static(Content("Agreement between reviewers"), classes="agreement-title")
            yield Static(Content(COMPUTING), id="agreement-status")
            yield Static("", id="agreement-summary")
            yield Static("", id="agreement-chart")
            yield Static("", id="agreement-details")
            yield Static(Content("esc or q closes this."), classes="agreement-close")

    def on_mount(self) -> None:
        # After the first paint, so that "Computing…" shows while the labels are read.
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        try:
            units, categories = agreement.collect_units(self.db)  # main thread: the database is not thread-safe
        except AnnotatorError as exc:
            self._status(f"{exc.title}: {sanitize_line(exc.message)}")
            return
        self.run_worker(partial(agreement.compute, units, categories), name="agreement", thread=True,
                        exclusive=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "agreement":
            return
        if event.state == WorkerState.SUCCESS:
            report = event.worker.result
            assert isinstance(report, AgreementReport)
            self.show_report(report)
        elif event.state == WorkerState.ERROR:
            self._status(f"The figures could not be computed: {sanitize_line(str(event.worker.error))}")

    def _status(self, text: str) -> None:
        status = self.query_one("#agreement-status", Static)
        status.update(Content(text))
        status.display = True

    def show_report(self, report: AgreementReport) -> None:
        self.report = report
        if report.items == 0:
            self._status("\n".join(agreement.empty_lines()))
            return
        self.query_one("#agreement-status").display = False
        sections = (
            ("#agreement-summary", _lines(agreement.header_lines(report), agreement.overall_lines(report),
                                          agreement.pair_lines(report))),
            ("#agreement-chart", chart(report)),
            ("#agreement-details", _lines(agreement.label_lines(report), agreement.confusion_lines(report))),
        )
        for selector, content in sections:
            widget = self.query_one(selector, Static)
            widget.update(content)
            widget.display = True

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
