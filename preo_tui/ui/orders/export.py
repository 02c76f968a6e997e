"""Export the orders list as it is filtered to CSV.

``ExportPathModal`` asks where (an existing file is never overwritten silently: the operator is
asked first). ``ExportProgressModal`` streams the list page by page (500 a page, up to 4 requests in
flight, written in order as they arrive; the pages come as CSV rows from
``Orders.export_page``, no models built) into
``<path>.part`` with the standard ``csv`` module, shows a progress bar, can be cancelled at any
moment (the partial file is removed) and finally renames the file into place and shows its
path, which ``y`` copies. The export is frozen at its start: without a ``created before`` filter
it adds one at the moment it starts, so orders placed meanwhile do not shift the pages, and
rows are de-duplicated by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static

from preo_tui.api.orders import Order
from preo_tui.api.orders_export import CSV_COLUMNS, OrderExportPage
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import enum_text

EXPORT_PAGE_SIZE = 500  # the contract's maximum page size [ours]
#: Pages requested at once while exporting (well under the client's connection limit).
EXPORT_CONCURRENCY = 4
#: Seconds between two redraws of the progress (a 100,000-row export is 200 pages: a redraw of
#: the dialog and the screen behind it per page cost more CPU than writing the rows; at 4 a
#: second the redraws, each composing the dimmed screen behind the dialog, were still a third
#: of the export's CPU: issue 20). The bar's own ETA ticks once a second as well.
PROGRESS_EVERY = 1.0


def csv_row(order: Order) -> list[str]:
    """An ``Order`` model as CSV cells (pages of models, e.g. from ``Orders.list``); the export
    reads ``Orders.export_page``, whose rows the API builds the same way."""
    c = order.customer
    return [
        order.order_number or "",
        order.id,
        order.created.isoformat() if order.created else "",
        order.modified.isoformat() if order.modified else "",
        enum_text(order.status) if order.status is not None else "",
        enum_text(order.type) if order.type is not None else "",
        f"{order.amount:.2f}" if order.amount is not None else "",
        order.currency or "",
        "" if order.purchase_count is None else str(order.purchase_count),
        (c.id or "") if c else "",
        (c.email or "") if c else "",
        (c.phone or "") if c else "",
        (c.first_name or "") if c else "",
        (c.last_name or "") if c else "",
        order.transaction_id or "",
        order.edition_id or "",
    ]


def plain_csv(rows: list[list[str]]) -> str | None:
    """The lines ``csv.writer`` (the excel dialect) writes for ``rows`` when no cell needs
    quoting (no comma, quote, CR or LF in any cell; two cells a row at least), in a few C calls
    instead of a cell at a time (a 500-row page: 0.5 ms instead of 2.5); None otherwise."""
    if not rows or min(map(len, rows)) < 2:
        return None
    text = "\r\n".join(map(",".join, rows)) + "\r\n"
    commas = sum(map(len, rows)) - len(rows)
    if (
        text.count(",") != commas
        or '"' in text
        or text.count("\r") != len(rows)
        or text.count("\n") != len(rows)
    ):
        return None
    return text


def check_export_path(text: str) -> Path:
    """The target file (``~`` expanded, made absolute); raises ValueError with words."""
    value = text.strip()
    if not value:
        raise ValueError("Give a file name.")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_dir():
        raise ValueError(f"{path} is a directory: add a file name.")
    if not path.parent.is_dir():
        raise ValueError(f"The folder {path.parent} does not exist.")
    if not os.access(path.parent, os.W_OK):
        raise ValueError(f"The folder {path.parent} is not writable.")
    return path


class ExportPathModal(ModalScreen[Path | None]):
    """Ask for the CSV's path; an existing file needs an explicit "overwrite" confirmation."""

    DEFAULT_CSS = """
    ExportPathModal { align: center middle; }
    ExportPathModal > Vertical {
        width: 80; max-width: 98%; height: auto; border: thick $primary; background: $panel;
        padding: 0 1;
    }
    ExportPathModal .export-title { text-style: bold; }
    ExportPathModal #export-error { color: $error; height: auto; }
    ExportPathModal .form-buttons { height: auto; align-horizontal: right; }
    ExportPathModal Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(self, default: Path, description: str) -> None:
        super().__init__()
        self.default = default
        self.description = description
        self.pending_overwrite: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export orders to CSV", classes="export-title")
            yield Static(self.description, markup=False)
            yield Input(str(self.default), id="export-path")
            yield Static("", id="export-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel \\[esc]", id="export-cancel")
                yield Button("Export \\[enter]", id="export-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Changed, "#export-path")
    def _changed(self) -> None:
        if self.pending_overwrite is not None:
            self.pending_overwrite = None
            self.query_one("#export-go", Button).label = "Export \\[enter]"
            self.query_one("#export-error", Static).update("")

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-go")
    def action_go(self) -> None:
        error = self.query_one("#export-error", Static)
        try:
            path = check_export_path(self.query_one("#export-path", Input).value)
        except ValueError as exc:
            error.update(str(exc))
            return
        if path.exists() and self.pending_overwrite != path:
            self.pending_overwrite = path
            error.update(
                f"{path.name} exists. Press enter again to overwrite it, or change the name."
            )
            self.query_one("#export-go", Button).label = "Overwrite \\[enter]"
            return
        self.dismiss(path)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


#: (page, page_size) -> awaitable OrderExportPage (or a page of Order models: count, results)
PageFetcher = Callable[[int, int], Any]


class ExportProgressModal(ModalScreen[int | None]):
    """Stream every page of the list into the CSV; dismiss with the row count (None when
    cancelled or failed)."""

    DEFAULT_CSS = """
    ExportProgressModal { align: center middle; }
    ExportProgressModal > Vertical {
        width: 80; max-width: 98%; height: auto; border: thick $primary; background: $panel;
        padding: 0 1;
    }
    ExportProgressModal .export-title { text-style: bold; }
    ExportProgressModal ProgressBar { margin: 1 0; }
    ExportProgressModal #export-result { height: auto; }
    ExportProgressModal #export-result.-error { color: $error; }
    ExportProgressModal .form-buttons { height: auto; align-horizontal: right; }
    ExportProgressModal Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel/close", id="export.stop"),
        Binding("y", "copy_path", "Copy path", id="export.copy"),
    ]

    def __init__(
        self,
        path: Path,
        fetch: PageFetcher,
        *,
        total: int | None,
        copy: Callable[[str], None] | None = None,
        page_size: int = EXPORT_PAGE_SIZE,
    ) -> None:
        super().__init__()
        self.page_size = page_size
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.fetch = fetch
        self.total = total
        self.copy = copy
        self.written = 0
        self.done = False
        self.failed: str | None = None
        self.cancelled = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Exporting orders", classes="export-title")
            yield Static(str(self.path), id="export-target", markup=False)
            yield ProgressBar(total=self.total, show_eta=True, id="export-bar")
            yield Static("starting…", id="export-result", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Copy path \\[y]", id="export-copy", disabled=True)
                yield Button("Cancel \\[esc]", id="export-stop", variant="error")

    def on_mount(self) -> None:
        self.run_export()

    @work(exclusive=True, group="export", exit_on_error=False)
    async def run_export(self) -> None:
        bar = self.query_one("#export-bar", ProgressBar)
        result = self.query_one("#export-result", Static)
        seen: set[str] = set()
        pending: dict[int, asyncio.Task[Any]] = {}
        loop = asyncio.get_running_loop()
        shown_at: float | None = None
        try:
            with self.part.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)

                def write(page: Any) -> None:
                    nonlocal shown_at
                    if self.total is None or page.count != self.total:
                        self.total = page.count
                        bar.update(total=max(page.count, 1))
                    if isinstance(page, OrderExportPage):
                        rows = page.rows  # already CSV cells (the fast path)
                    else:  # a page of Order models
                        rows = [csv_row(o) for o in page.results]
                    fresh = [row for row in rows if row[1] not in seen]
                    seen.update(row[1] for row in fresh)
                    text = plain_csv(fresh)
                    if text is None:
                        writer.writerows(fresh)
                    else:
                        handle.write(text)
                    self.written += len(fresh)
                    now = loop.time()
                    if shown_at is None or now - shown_at >= PROGRESS_EVERY:
                        shown_at = now  # the progress, a few times a second
                        bar.update(progress=self.written)
                        text = f"{self.written:,} of {self.total:,} orders written"
                        # a line that fits needs no new layout: a layout is a full redraw, the
                        # dimmed orders screen behind the dialog included (issue 20)
                        result.update(text, layout=len(text) > result.content_size.width)

                # Pages are requested up to EXPORT_CONCURRENCY at a time (the server works on
                # the next ones while this side parses and writes) and written in order as
                # they arrive: nothing but the pages in flight is held in memory.
                page = await self.fetch(1, self.page_size)
                write(page)
                last = max(1, -(-page.count // self.page_size))
                following = 2
                page_no = 1
                while (page.rows if isinstance(page, OrderExportPage) else page.results) and (
                    page_no < last
                ):
                    while following <= last and len(pending) < EXPORT_CONCURRENCY:
                        pending[following] = asyncio.ensure_future(
                            self.fetch(following, self.page_size)
                        )
                        following += 1
                    page_no += 1
                    page = await pending.pop(page_no)
                    write(page)
                    last = min(last, max(1, -(-page.count // self.page_size)))
            os.replace(self.part, self.path)
        except Exception as exc:
            self._cancel(pending)
            self._remove_part()
            report = describe_error(exc)
            self.failed = f"{report.title}: {report.message}"
            result.update(f"Export failed after {self.written:,} orders — {self.failed}")
            result.add_class("-error")
            self._finish()
            return
        except BaseException:  # cancelled: never leave a partial file behind
            self._cancel(pending)
            self._remove_part()
            raise
        self._cancel(pending)
        self.done = True
        bar.update(total=max(self.written, 1), progress=max(self.written, 1))
        result.update(f"Wrote {self.written:,} orders to {self.path}")
        self._finish()

    @staticmethod
    def _cancel(pending: dict[int, asyncio.Task[Any]]) -> None:
        for task in pending.values():
            task.cancel()
            # a page that failed after the export stopped needs no report
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        pending.clear()

    def _remove_part(self) -> None:
        with contextlib.suppress(OSError):
            self.part.unlink()

    def _finish(self) -> None:
        self.query_one("#export-copy", Button).disabled = not self.done
        stop = self.query_one("#export-stop", Button)
        stop.label = "Close \\[esc]"
        stop.variant = "default"

    @on(Button.Pressed, "#export-stop")
    def action_cancel(self) -> None:
        if self.done or self.failed:
            self.dismiss(self.written if self.done else None)
            return
        self.cancelled = True
        for worker in self.workers:
            worker.cancel()
        self._remove_part()
        self.dismiss(None)

    @on(Button.Pressed, "#export-copy")
    def action_copy_path(self) -> None:
        if self.done and self.copy is not None:
            self.copy(str(self.path))


def default_export_path(
    edition_name: str, now: datetime | None = None, folder: Path | None = None
) -> Path:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    slug = (
        "".join(ch if ch.isalnum() else "-" for ch in edition_name.lower()).strip("-") or "edition"
    )
    return (folder or Path.cwd()) / f"orders-{slug}-{moment}.csv"


def describe_export(
    filters_summary: str, search: str | None, ordering: str | None, total: int | None
) -> str:
    parts: Iterable[str] = (
        f"{total:,} orders" if total is not None else "all orders",
        f"filters: {filters_summary}",
        f"search: {search}" if search else "",
        f"sorted by {ordering}" if ordering else "",
    )
    return " · ".join(p for p in parts if p)
