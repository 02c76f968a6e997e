"""``:imports`` — the current edition's data imports, live.

List: name, stage, file, rows, imported orders, failed rows, service, created. ``f`` filters by
stage and service, ``i`` shows/hides cancelled imports (the contract's ``include_cancelled``),
``o`` sorts (created, modified, stage). While an import on screen is ``importing`` the list is
re-read every second (the poll pauses while the screen is hidden).

``n`` opens the import wizard, ``enter`` continues an import at its stage (or shows how it
ended), ``c`` cancels one (asks), ``E`` imports a JSON/CSV file of external orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.api.data_imports import DataImport
from preo_tui.imports_local import one_line
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.imports.common import (
    CANCELLABLE,
    STAGES,
    counts_text,
    import_write,
    stage_of,
    stage_text,
)
from preo_tui.ui.list_actions import (
    FilterValue,
    change_filter,
    filter_choices,
    open_filter_picker,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.confirm import ConfirmModal
from preo_tui.ui.widgets.paged_table import (
    ColumnSpec,
    PagedTable,
    PageLike,
    PageRequest,
    SimplePage,
)

#: Seconds between reads while an import on screen is running.
LIVE_INTERVAL = 1.0
SERVICES = ("file", "eventbrite", "ticketmaster", "billetto")


@register_screen(
    "imports",
    title="Data imports",
    aliases=("imp", "import"),
    description="Data imports: the CSV import wizard, external orders, live progress",
)
class ImportsScreen(ListDetailScreen[DataImport]):
    SCREEN_TITLE = "Data imports"
    MARKABLE = False
    DEFAULT_ORDERING = "-created"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 22),
        ColumnSpec("stage", "Stage", 12, ordering="stage"),
        ColumnSpec("file", "File", 16),
        ColumnSpec("rows", "Rows", 7, justify="right"),
        ColumnSpec("imported", "Orders", 7, justify="right"),
        ColumnSpec("failed", "Failed", 6, justify="right"),
        ColumnSpec("service", "Service", 12),
        ColumnSpec("created", "Created", 16, ordering="created"),
        ColumnSpec("modified", "Modified", 16, ordering="modified"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_import", "New import", id="imports.new"),
        Binding("enter", "open", "Open/continue", id="imports.open"),
        Binding("c", "cancel_import", "Cancel", id="imports.cancel"),
        Binding("E", "external_orders", "External orders", id="imports.external"),
        Binding("f", "filters", "Filters", id="imports.filters"),
        Binding("i", "toggle_cancelled", "Show cancelled", id="imports.cancelled"),
    ]

    DEFAULT_CSS = """
    ImportsScreen.-wide #list-pane { width: 5fr; }
    ImportsScreen.-wide #detail-pane { width: 2fr; }
    ImportsScreen #imp-title { text-style: bold; height: auto; }
    ImportsScreen #imp-fields { height: auto; margin-top: 1; }
    ImportsScreen #imp-actions { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters: dict[str, str] = {}
        self.include_cancelled = False
        self.current: DataImport | None = None
        self._live = False

    # -- data ---------------------------------------------------------------------------------

    @property
    def timezone(self) -> str | None:
        edition = self.ctx.edition
        return edition.timezone if edition else None

    async def load_page(self, request: PageRequest) -> PageLike[DataImport]:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return SimplePage(0, [])
        params: dict[str, Any] = {
            "edition_id": edition.id,
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "stage": self.filters.get("stage"),
            "service": self.filters.get("service"),
            "include_cancelled": True if self.include_cancelled else None,
        }
        page: PageLike[DataImport] = await self.load_list(
            "data_imports", client.data_imports.list, params, page=request.page
        )
        return page

    def row_cells(self, item: DataImport) -> Sequence[Any]:
        tz = self.timezone
        return (
            Text(one_line(item.name or item.id, 22)),
            stage_text(item.stage),
            Text(one_line(item.data_file_name or "—", 16)),
            Text(f"{item.total_rows or 0:,}", justify="right"),
            Text(f"{item.imported_orders or 0:,}", justify="right"),
            Text(
                f"{item.failed_rows or 0:,}",
                justify="right",
                style="red" if item.failed_rows else "",
            ),
            Text(one_line(item.service or "—", 12)),
            Text(fmt_when(item.created, tz)),
            Text(fmt_when(item.modified, tz)),
        )

    def running(self) -> list[DataImport]:
        return [i for i in self.table.items if stage_of(i) == "importing"]

    def poll_interval(self) -> float | None:
        if self.running():
            return LIVE_INTERVAL
        return super().poll_interval()

    @on(PagedTable.WindowChanged, "#list-table")
    def _follow_live(self, event: PagedTable.WindowChanged) -> None:
        running = self.running()
        live = bool(running)
        if live and not self._live and not self._poll_running and self.is_current:
            self._arm_poll()
        self._live = live
        if running:
            self.set_status_note(f"live: {len(running)} importing")
        elif self.status_note.startswith("live:"):
            self.set_status_note("")

    async def poll(self) -> None:
        await self.table.refresh_now()
        self.show_detail(self.table.current_item)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # the list has no free-text search in the contract
        return action != "filter"

    # -- detail -------------------------------------------------------------------------------

    def compose_detail(self) -> ComposeResult:
        yield Static("Nothing selected", id="imp-title", markup=False)
        yield Static("", id="imp-fields", markup=False)
        yield Static("", id="imp-actions", markup=False)

    def show_detail(self, item: DataImport | None) -> None:
        self.current = item
        if not self.is_mounted or not self.query("#imp-title"):
            return
        title = self.query_one("#imp-title", Static)
        fields = self.query_one("#imp-fields", Static)
        actions = self.query_one("#imp-actions", Static)
        if item is None:
            title.update("No imports here yet: n starts one" if self.table.total == 0 else "")
            fields.update("")
            actions.update("")
            return
        head = Text(one_line(item.name or item.id, 60), style="bold")
        head.append("  ")
        head.append_text(stage_text(item.stage))
        title.update(head)
        tz = self.timezone
        rows = [
            ("id", item.id),
            ("file", one_line(item.data_file_name or "—", 60)),
            ("service", one_line(item.service or "—", 40)),
            ("counts", counts_text(item)),
            ("country", item.default_country_code or "—"),
            (
                "created",
                fmt_when(item.created, tz)
                + (f" by {one_line(item.created_by, 30)}" if item.created_by else ""),
            ),
            ("modified", fmt_when(item.modified, tz)),
        ]
        text = Text()
        for i, (key, value) in enumerate(rows):
            if i:
                text.append("\n")
            text.append(f"{key:<9} ", style="dim")
            text.append(value)
        if item.error_message:
            text.append("\n")
            text.append(one_line(item.error_message, 300), style="red")
        fields.update(text)
        stage = stage_of(item)
        hints = [
            "enter "
            + ("continue" if stage not in ("completed", "failed", "cancelled") else "results")
        ]
        if stage in CANCELLABLE:
            hints.append("c cancel")
        actions.update(" · ".join(hints))

    # -- filters ------------------------------------------------------------------------------

    def action_filters(self) -> None:
        choices: list[Choice[FilterValue]] = [Choice(("all", None), "Clear every filter")]
        choices += filter_choices(self.filters, (("stage", STAGES), ("service", SERVICES)))
        open_filter_picker(self, "Filter data imports", choices, self.filters)

    def set_filter(self, key: str, value: str | None) -> None:
        change_filter(self, self.filters, key, value)

    def action_toggle_cancelled(self) -> None:
        self.include_cancelled = not self.include_cancelled
        self.notify(
            "Showing cancelled imports." if self.include_cancelled else "Hiding cancelled imports.",
            timeout=2,
        )
        self._update_list_status()
        self.table.reload()

    def _update_list_status(self) -> None:
        super()._update_list_status()
        extra = [f"{k}={v}" for k, v in sorted(self.filters.items())]
        if self.include_cancelled:
            extra.append("with cancelled")
        if extra:
            status = self.query_one("#list-status", Static)
            status.update(f"{getattr(status, '_preo_text', '')} · " + " · ".join(extra))

    # -- actions ------------------------------------------------------------------------------

    def _changed(self, item: DataImport) -> None:
        if self.is_attached:
            self.table.update_item(item)

    def action_new_import(self) -> None:
        if not writable_or_warn(self, refuse_offline=True):
            return
        from preo_tui.ui.imports.wizard import ImportWizardScreen

        self.app.push_screen(ImportWizardScreen(on_change=self._changed))

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        item = selected_or_warn(self, "import")
        if item is None:
            return
        from preo_tui.ui.imports.wizard import ImportWizardScreen

        self.app.push_screen(ImportWizardScreen(item, on_change=self._changed))

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.is_mounted and self.table.total is not None:
            self.table.refresh_window()

    def action_cancel_import(self) -> None:
        item = selected_or_warn(self, "import")
        if item is None or not writable_or_warn(self, refuse_offline=True):
            return
        if stage_of(item) not in CANCELLABLE:
            self.notify(
                f"{one_line(item.name or item.id, 40)} is {stage_of(item)}: it can no longer be cancelled.",
                severity="warning",
                timeout=5,
            )
            return
        self.run_job(self._cancel(item), group=f"import-{item.id}")

    async def _cancel(self, item: DataImport) -> None:
        running = stage_of(item) == "importing"
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                f"Cancel the import {one_line(item.name or item.id, 40)}?",
                "The rows not imported yet are dropped; orders already imported stay."
                if running
                else "The import is abandoned; nothing was imported.",
                confirm_label="Cancel import",
                cancel_label="Keep it",
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        client = self.ctx.client
        assert client is not None
        done: DataImport = await import_write(
            self.ctx, "data_imports.cancel", f"cancel import {item.name or item.id}", id=item.id
        )
        self.table.update_item(done)
        self.show_detail(done)
        self.notify(f"{one_line(done.name or done.id, 40)} is cancelled.", timeout=4)

    def action_external_orders(self) -> None:
        if not writable_or_warn(self, refuse_offline=True):
            return
        from preo_tui.ui.imports.external import ExternalOrdersScreen

        def done(item: DataImport | None) -> None:
            if item is not None and self.is_attached:
                self.table.reload()

        self.app.push_screen(ExternalOrdersScreen(), callback=done)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("Conflict", "ValidationFailed", "PermissionDenied"):
            self.notify(
                one_line(report.message, 300),
                title="Refused by the server",
                severity="warning",
                timeout=10,
            )
            return True
        return False
