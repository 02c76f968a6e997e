"""Steps 4 and 5 of the import wizard: preview the orders, start and watch the import.

Step 4 pages through ``preview-orders`` (the orders the import would create, with each one's
problems) while a worker counts the ones with problems across every page. ``ctrl+n`` starts
the import after a confirmation that states how many orders will be created (typed on
production). Step 5 polls the import every half second while it runs (the poll pauses while
the screen is hidden) and shows its stage and counts; once finished, the rows that failed are
listed with their row numbers and reasons. ``c`` cancels a running import (asks first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, Static

from preo_tui.api.data_imports import PreviewOrder
from preo_tui.imports_local import one_line
from preo_tui.ui.formatting import money
from preo_tui.ui.imports.common import CANCELLABLE, counts_text, import_write, stage_text
from preo_tui.ui.imports.wizard_base import WizardBase
from preo_tui.ui.list_actions import confirm_destructive
from preo_tui.ui.widgets.confirm import ConfirmModal
from preo_tui.ui.widgets.paged_table import (
    ColumnSpec,
    PagedTable,
    PageLike,
    PageRequest,
    SimplePage,
)

#: Seconds between reads of a running import.
WATCH_INTERVAL = 0.5
#: Preview pages read to count the orders with problems.
COUNT_PAGE_SIZE = 500
#: Failures listed after the import (the rest are counted).
MAX_FAILURES = 1000

PREVIEW_COLUMNS: Sequence[ColumnSpec] = [
    ColumnSpec("order", "Order", 12),
    ColumnSpec("rows", "Rows", 6),
    ColumnSpec("customer", "Customer", 22),
    ColumnSpec("problems", "Problems", 30),
    ColumnSpec("items", "Items", 26),
    ColumnSpec("amount", "Amount", 10, justify="right"),
]


def preview_id(order: PreviewOrder) -> str:
    return order.order_number or ",".join(str(r) for r in order.rows) or "?"


def customer_of(order: PreviewOrder) -> str:
    c = order.customer
    if c is None:
        return "—"
    return one_line(c.email or c.phone or c.full_name or "—", 26)


def rows_text(rows: Sequence[int]) -> str:
    if not rows:
        return ""
    if len(rows) == 1:
        return str(rows[0])
    return (
        f"{rows[0]}–{rows[-1]}" if rows[-1] - rows[0] == len(rows) - 1 else ",".join(map(str, rows))
    )


class RunSteps(WizardBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: (orders in the preview, orders with problems) once counted
        self.preview_total: int | None = None
        self.preview_invalid: int | None = None
        self.failures: list[tuple[str, str, str]] = []

    def compose_run_steps(self) -> ComposeResult:
        with Vertical(id="w-page-4", classes="w-page"):
            yield Static("", id="w-prev-help", classes="w-help", markup=False)
            yield Static("", id="w-prev-summary", markup=False)
            yield PagedTable[PreviewOrder](
                columns=PREVIEW_COLUMNS,
                loader=self._load_preview,
                row_cells=self.preview_cells,
                row_id=preview_id,
                page_size=100,
                markable=False,
                id="w-preview",
            )
        with Vertical(id="w-page-5", classes="w-page"):
            yield Static("", id="w-run-stage", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="w-run-bar")
            yield Static("", id="w-run-note", markup=False)
            yield DataTable(id="w-failures", cursor_type="row", zebra_stripes=True)

    # -- step 4: preview ----------------------------------------------------------------------

    async def _load_preview(self, request: PageRequest) -> PageLike[PreviewOrder]:
        client = self.ctx.client
        if client is None or self.imp is None or self.step != 4:
            return SimplePage(0, [])
        page: PageLike[PreviewOrder] = await client.data_imports.preview_orders(
            self.imp.id, page=request.page, page_size=request.page_size
        )
        return page

    def preview_cells(self, order: PreviewOrder) -> Sequence[Any]:
        items = ", ".join(
            f"{p.quantity or 1}× {one_line(p.product_name or p.product_id, 18)}"
            for p in order.purchases
        )
        bad = bool(order.errors) or order.valid is False
        return (
            Text(one_line(order.order_number or "—", 14), style="red" if bad else ""),
            Text(rows_text(order.rows)),
            Text(customer_of(order)),
            Text(one_line("; ".join(order.errors), 80), style="red"),
            Text(one_line(items or "—", 40)),
            Text(money(order.amount), justify="right"),
        )

    def preview_entered(self) -> None:
        started = not self.products_editable_stage()
        self.query_one("#w-prev-help", Static).update(
            "ctrl+n starts the import (asks first) · ctrl+b back to the products"
            if not started
            else "The import has started: ctrl+n shows its progress."
        )
        table = self.query_one("#w-preview", PagedTable)
        table.reload()
        table.focus()
        self.preview_invalid = None
        self.draw_preview_summary()
        self.run_job(self._count_problems, group="count-problems", exclusive=True)

    def products_editable_stage(self) -> bool:
        return self.stage == "needs_product_mapping"

    async def _count_problems(self) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None:
            return
        total = invalid = 0
        page_no = 1
        while True:
            page = await client.data_imports.preview_orders(
                imp.id, page=page_no, page_size=COUNT_PAGE_SIZE
            )
            total = page.count
            invalid += sum(1 for o in page.results if o.errors or o.valid is False)
            if not page.results or page_no * COUNT_PAGE_SIZE >= page.count:
                break
            pages = -(-total // COUNT_PAGE_SIZE)
            self.query_one("#w-prev-summary", Static).update(
                Text(
                    f"{total:,} orders · checking them for problems: page {page_no} of {pages}"
                    f" ({invalid:,} with problems so far)…",
                    style="dim",
                )
            )
            page_no += 1
        self.preview_total, self.preview_invalid = total, invalid
        self.draw_preview_summary()

    def draw_preview_summary(self) -> None:
        line = self.query_one("#w-prev-summary", Static)
        total = self.preview_total
        if self.preview_invalid is None:
            line.update(Text("Counting the orders with problems…", style="dim"))
            return
        good = (total or 0) - self.preview_invalid
        text = Text(f"{good:,} orders will be created", style="bold green")
        if self.preview_invalid:
            many = self.preview_invalid != 1
            text.append(
                f" · {self.preview_invalid:,} order{'s' if many else ''} with problems:"
                " their rows will fail",
                style="bold red",
            )
        line.update(text)

    def start(self) -> None:
        if not self.products_editable_stage():
            self.go_to(5)
            return
        if self.preview_invalid is None:
            self.show_step_error("Wait until the orders are counted (a moment).")
            return
        if not self.writable():
            return
        self.run_job(self._start, group="start", exclusive=True)

    async def _start(self) -> None:
        client = self.ctx.client
        imp = self.imp
        edition = self.ctx.edition
        if client is None or imp is None or edition is None:
            return
        good = (self.preview_total or 0) - (self.preview_invalid or 0)
        body = (
            f"{good:,} orders will be created in {edition.name} (type: imported)."
            + (
                f"\n{self.preview_invalid:,} order(s) with problems will fail."
                if self.preview_invalid
                else ""
            )
            + "\nImported orders cannot be removed in bulk afterwards."
        )
        ok = await confirm_destructive(
            self.app,
            f"Start the import {one_line(imp.name or imp.id, 40)}?",
            body,
            production=self.ctx.is_production,
            expected=str(good),
            prompt="Type the number of orders to create to start",
            confirm_label="Start import",
        )
        if not ok:
            return
        self.set_busy("starting…")
        try:
            item = await import_write(
                self.ctx,
                "data_imports.start",
                f"start import {imp.name or imp.id} ({good:,} orders) in {edition.name}",
                id=imp.id,
            )
        finally:
            self.set_busy("")
        self.adopt(item)
        self.go_to(5)

    # -- step 5: watch ------------------------------------------------------------------------

    def watch_interval(self) -> float | None:
        if self.step == 5 and self.stage == "importing":
            return WATCH_INTERVAL
        return None

    def run_entered(self) -> None:
        self.draw_run()
        self.query_one("#w-failures", DataTable).focus()
        if self.finished:
            self.run_job(self._load_failures, group="failures", exclusive=True)
        elif self.stage != "importing":
            self.run_job(self.poll, group="poll", exclusive=True)

    async def poll(self) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None or self.step != 5:
            return
        was = self.stage
        item = await client.data_imports.get(imp.id)
        self.adopt(item)
        self.draw_run()
        if self.finished and (was not in ("completed", "failed", "cancelled") or not self.failures):
            await self._load_failures()
            store = self.ctx.store
            if store is not None:  # the new orders: lists must be re-read
                store.invalidate(["orders", "data_imports", "dashboard"])

    def draw_run(self) -> None:
        imp = self.imp
        if imp is None:
            return
        head = Text("Stage ")
        head.append_text(stage_text(imp.stage))
        head.append("   " + counts_text(imp))
        self.query_one("#w-run-stage", Static).update(head)
        total = imp.total_rows or 0
        done = (imp.imported_orders or 0) + (imp.failed_rows or 0)
        bar = self.query_one("#w-run-bar", ProgressBar)
        bar.update(total=max(total, 1), progress=min(done, max(total, 1)))
        if self.stage == "completed":
            bar.update(progress=max(total, 1))
        notes = []
        if imp.error_message:
            notes.append(Text(one_line(imp.error_message, 200), style="red"))
        if self.stage == "importing":
            notes.append(
                Text(
                    "Importing… c cancels (asks first); escape closes the wizard, the"
                    " import goes on.",
                    style="dim",
                )
            )
        elif self.stage == "completed":
            notes.append(Text("Done: the orders are in :orders (type imported).", style="green"))
        elif self.stage == "cancelled":
            notes.append(Text("Cancelled: orders imported before the cancel stay.", style="yellow"))
        elif self.stage != "failed":
            notes.append(Text("Not started yet: ctrl+b goes back to the preview.", style="dim"))
        self.query_one("#w-run-note", Static).update(Text("\n").join(notes))

    async def _load_failures(self) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None or self.stage == "cancelled":
            self.draw_failures()
            return
        failures: list[tuple[str, str, str]] = []
        page_no = 1
        while len(failures) < MAX_FAILURES:
            page = await client.data_imports.preview_orders(
                imp.id, page=page_no, page_size=COUNT_PAGE_SIZE
            )
            for o in page.results:
                if o.errors or o.valid is False:
                    reason = "; ".join(o.errors) or "no purchase"
                    failures.append((rows_text(o.rows), o.order_number or "—", reason))
            if not page.results or page_no * COUNT_PAGE_SIZE >= page.count:
                break
            page_no += 1
        self.failures = failures[:MAX_FAILURES]
        self.draw_failures()

    def draw_failures(self) -> None:
        table = self.query_one("#w-failures", DataTable)
        table.clear(columns=True)
        table.display = bool(self.failures)
        if not self.failures:
            return
        table.add_column("Rows", width=9)
        table.add_column("Order", width=16)
        table.add_column("Why it failed")
        for n, (rows, number, reason) in enumerate(self.failures):
            table.add_row(
                Text(rows),
                Text(one_line(number, 16)),
                Text(one_line(reason, 200), style="red"),
                key=str(n),
            )

    def action_cancel_import(self) -> None:
        imp = self.imp
        if imp is None:
            return
        if self.stage not in CANCELLABLE:
            self.show_step_error(f"The import is {self.stage}: it can no longer be cancelled.")
            return
        if not self.writable():
            return
        self.run_job(self._cancel, group="cancel", exclusive=True)

    async def _cancel(self) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None:
            return
        running = self.stage == "importing"
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                f"Cancel the import {one_line(imp.name or imp.id, 40)}?",
                (
                    "The rows not imported yet are dropped; orders already imported stay."
                    if running
                    else "The import is abandoned; nothing was imported."
                ),
                confirm_label="Cancel import",
                cancel_label="Keep it",
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        item = await import_write(
            self.ctx, "data_imports.cancel", f"cancel import {imp.name or imp.id}", id=imp.id
        )
        self.adopt(item)
        self.notify("The import is cancelled.", timeout=4)
        self.go_to(5)
