"""``:imports`` › ``E`` — send a JSON or CSV file of external orders through "Import external
orders".

The file is read locally (:func:`preo_tui.imports_local.parse_external_orders`: a JSON list of
orders or ``{service, orders}``, or a CSV with one purchase a row grouped by ``order_number``)
and previewed with the problems found locally; ``ctrl+s`` (or ``enter`` on the preview) sends
it after a confirmation (typed on production). The server creates a data import that goes
straight to ``importing``; the dialog follows it to the end and lists the server's result for
each order (imported, or why not).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static
from textual.worker import Worker

from preo_tui.api.data_imports import DataImport
from preo_tui.imports_local import ExternalOrdersFile, one_line, parse_external_orders, read_local
from preo_tui.ui.base import forward_worker_failure
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.imports.common import FINISHED, PathInput, counts_text, stage_of
from preo_tui.ui.imports.run_steps import rows_text
from preo_tui.ui.list_actions import confirm_destructive
from preo_tui.ui.writes import perform_file

#: Seconds between reads of the import the server created.
WATCH_INTERVAL = 0.5


def purchases_text(order: dict[str, Any]) -> str:
    parts = []
    for p in order.get("purchases") or []:
        name = p.get("product_name") or p.get("product_id") or "?"
        parts.append(f"{p.get('quantity', 1)}× {name}")
    return ", ".join(parts)


class ExternalOrdersScreen(ModalScreen[DataImport | None]):
    """Preview and send a file of external orders; dismiss with the import created."""

    DEFAULT_CSS = """
    ExternalOrdersScreen { align: center middle; }
    ExternalOrdersScreen > Vertical {
        width: 110; max-width: 98%; height: 90%; border: thick $primary; background: $panel;
        padding: 0 1;
    }
    ExternalOrdersScreen .x-title { text-style: bold; }
    ExternalOrdersScreen .x-row { height: 1; margin-top: 1; }
    ExternalOrdersScreen .x-label { width: 9; color: $text-muted; }
    ExternalOrdersScreen #x-path { width: 1fr; }
    ExternalOrdersScreen #x-service { width: 30; }
    ExternalOrdersScreen #x-candidates { color: $text-muted; height: auto; max-height: 3; }
    ExternalOrdersScreen #x-summary { height: auto; margin-top: 1; }
    ExternalOrdersScreen #x-table { height: 1fr; }
    ExternalOrdersScreen #x-error { color: $text-error; height: auto; }
    ExternalOrdersScreen .x-buttons { height: auto; align-horizontal: right; }
    ExternalOrdersScreen Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Import", id="external.send", priority=True),
        Binding("escape", "close", "Close", id="external.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.parsed: ExternalOrdersFile | None = None
        self.file_name = ""
        self.file_path: Path | None = None
        self.file_data = b""
        self.result: DataImport | None = None
        self.sending = False
        self.error_text = ""
        self.results: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import external orders", classes="x-title")
            yield Static(
                "A JSON file (a list of orders, or {service, orders}) or a CSV (one purchase a"
                " row: order_number, email, phone, first_name, last_name, created, product,"
                " quantity, price). tab completes, enter reads the file.",
                markup=False,
            )
            with Horizontal(classes="x-row"):
                yield Label("File", classes="x-label")
                yield PathInput(suffixes=(".json", ".csv"), id="x-path", compact=True)
            yield Static("", id="x-candidates", markup=False)
            with Horizontal(classes="x-row"):
                yield Label("Service", classes="x-label")
                yield Input("external", id="x-service", compact=True)
            yield Static("", id="x-summary", markup=False)
            yield DataTable(id="x-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="x-error", markup=False)
            with Horizontal(classes="x-buttons"):
                yield Button("Close \\[esc]", id="x-close")
                yield Button("Import \\[ctrl+s]", id="x-send", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#x-candidates", Static).display = False
        self.query_one("#x-path", PathInput).focus()

    @property
    def ctx(self) -> Any:
        return getattr(self.app, "ctx")  # noqa: B009 - PreoApp's context

    def show_error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#x-error", Static).update(text)

    # -- reading ------------------------------------------------------------------------------

    @on(PathInput.Completed, "#x-path")
    def _completed(self, event: PathInput.Completed) -> None:
        shown = self.query_one("#x-candidates", Static)
        shown.update("  ".join(one_line(n, 40) for n in event.candidates[:30]) or "no match")
        shown.display = len(event.candidates) != 1

    @on(Input.Submitted, "#x-path")
    def _read(self) -> None:
        if self.result is None:
            self.run_worker(self._read_file(), group="read", exclusive=True, exit_on_error=False)

    async def _read_file(self) -> None:
        typed = self.query_one("#x-path", PathInput).value
        try:
            path, data = await asyncio.to_thread(read_local, typed)
            parsed = await asyncio.to_thread(parse_external_orders, data, path.name)
        except ValueError as exc:
            self.parsed = None
            self.query_one("#x-send", Button).disabled = True
            self.show_error(str(exc))
            return
        self.parsed, self.file_name = parsed, path.name
        self.file_path, self.file_data = path, data
        if parsed.service:
            self.query_one("#x-service", Input).value = parsed.service
        self.show_error("")
        self.draw_preview()

    def draw_preview(self) -> None:
        parsed = self.parsed
        if parsed is None:
            return
        table = self.query_one("#x-table", DataTable)
        table.clear(columns=True)
        table.add_column("Order", width=14)
        table.add_column("Customer", width=28)
        table.add_column("Purchases", width=30)
        table.add_column("Found here")
        by_order: dict[str, list[str]] = {}
        for problem in parsed.problems:
            key, _, text = problem.partition(": ")
            by_order.setdefault(key, []).append(text)
        for n, order in enumerate(parsed.orders[:2000]):
            number = str(order.get("order_number") or f"order {n + 1}")
            table.add_row(
                Text(one_line(number, 14)),
                Text(one_line(order.get("email") or order.get("phone") or "—", 28)),
                Text(one_line(purchases_text(order) or "—", 30)),
                Text(one_line("; ".join(by_order.get(number, [])), 60), style="red"),
                key=str(n),
            )
        summary = Text(f"{one_line(self.file_name, 50)}: {len(parsed.orders):,} orders")
        if parsed.problems:
            summary.append(f" · {len(parsed.problems):,} problems found here", style="red")
        summary.append(" · ctrl+s (or enter on the list) sends them", style="dim")
        self.query_one("#x-summary", Static).update(summary)
        self.query_one("#x-send", Button).disabled = not parsed.orders
        table.focus()

    # -- sending ------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#x-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.result is None:
            self.action_send()

    @on(Button.Pressed, "#x-send")
    def action_send(self) -> None:
        if self.parsed is None or not self.parsed.orders or self.sending or self.result:
            return
        ctx = self.ctx
        if ctx.read_only:
            self.show_error("This profile is read-only: nothing was sent.")
            return
        if ctx.offline:
            self.show_error("Offline: writes are refused until the server is back.")
            return
        self.run_worker(self._send(), group="send", exclusive=True, exit_on_error=False)

    async def _send(self) -> None:
        parsed = self.parsed
        ctx = self.ctx
        client, edition = ctx.client, ctx.edition
        if parsed is None or client is None or edition is None:
            return
        service = self.query_one("#x-service", Input).value.strip() or "external"
        count = len(parsed.orders)
        ok = await confirm_destructive(
            self.app,
            f"Import {count:,} external orders?",
            f"Into {edition.name}, as service {service!r}. The server checks every order and"
            " imports the valid ones at once.",
            production=ctx.is_production,
            expected=str(count),
            prompt="Type the number of orders to import them",
            confirm_label="Import",
        )
        if not ok:
            return
        self.sending = True
        self.query_one("#x-send", Button).disabled = True
        try:
            item: DataImport = await perform_file(
                ctx,
                "data_imports.external_orders",
                f"import {count:,} external orders ({service}) into {edition.name}",
                self.file_data,
                self,
                path=self.file_path,
                edition_id=edition.id,
                service=service,
                order_count=count,
            )
        finally:
            self.sending = False
        self.result = item
        self.show_error("")
        await self._follow(item)

    async def _follow(self, item: DataImport) -> None:
        client = self.ctx.client
        summary = self.query_one("#x-summary", Static)
        while stage_of(item) not in FINISHED:
            summary.update(Text(f"Importing… {counts_text(item)}", style="yellow"))
            await asyncio.sleep(WATCH_INTERVAL)
            item = await client.data_imports.get(item.id)
            self.result = item
        style = "green" if stage_of(item) == "completed" else "red"
        summary.update(Text(f"{stage_of(item)}: {counts_text(item)}", style=f"bold {style}"))
        results: list[tuple[str, str, str]] = []
        async for order in client.data_imports.iterate_preview_orders(item.id, page_size=500):
            ok = not order.errors and order.valid is not False
            results.append(
                (
                    rows_text(order.rows),
                    order.order_number or "—",
                    "imported" if ok else "; ".join(order.errors) or "not imported",
                )
            )
        self.results = results
        table = self.query_one("#x-table", DataTable)
        table.clear(columns=True)
        table.add_column("#", width=6)
        table.add_column("Order", width=16)
        table.add_column("Server's result")
        for n, (rows, number, outcome) in enumerate(results[:5000]):
            style = "green" if outcome == "imported" else "red"
            table.add_row(
                Text(rows),
                Text(one_line(number, 16)),
                Text(one_line(outcome, 120), style=style),
                key=str(n),
            )
        store = self.ctx.store
        if store is not None:
            store.invalidate(["orders", "data_imports", "dashboard"])

    # -- failures and closing -----------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        self.sending = False
        if report.kind in ("NetworkError", "AuthError"):
            return False
        self.show_error(f"{report.title}: {one_line(report.message, 300)}")
        self.query_one("#x-send", Button).disabled = self.result is not None or self.parsed is None
        return True

    @on(Button.Pressed, "#x-close")
    def action_close(self) -> None:
        for worker in self.workers:
            if worker.group == "read":
                worker.cancel()
        self.dismiss(self.result)
