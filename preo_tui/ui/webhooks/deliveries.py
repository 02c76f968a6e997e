"""The deliveries of one webhook endpoint (``enter`` on ``:webhooks``).

Paged from the server, newest first, filterable (``f``) by status and event. Each row: time,
event, status, HTTP status, attempts, duration. The detail (``Get delivery detail``, read when
the cursor rests) shows the response, the request payload as syntax-highlighted JSON (the pane
scrolls) and how to verify the ``Preo-Signature`` header. ``r`` retries a failed delivery (only
a failed one: the server answers 409 for one that succeeded); the row shows the new attempt as
soon as the server answers, and the list keeps polling while it is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Static

from preo_tui.api.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import fmt_when, run_latest
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.list_actions import (
    filter_choices,
    open_filter_picker,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.webhooks.common import EVENT_DESCRIPTIONS, SIGNATURE_HELP, webhook_write
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage

STATUS_STYLE = {"succeeded": "green", "failed": "red", "pending": "yellow"}
DETAIL_DELAY = 0.2


class DeliveriesScreen(ListDetailScreen[WebhookDelivery]):
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("created", "Time", 16, ordering="created"),
        ColumnSpec("event", "Event", 24),
        ColumnSpec("status", "Status", 9),
        ColumnSpec("http", "HTTP", 4, justify="right"),
        ColumnSpec("attempts", "Tries", 5, justify="right"),
        ColumnSpec("duration", "Time ms", 7, justify="right"),
    ]
    DEFAULT_ORDERING = "-created"
    MARKABLE = False
    PAGE_SIZE = 50

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry failed", id="webhooks.deliveries.retry"),
        Binding("f", "filters", "Filter", id="webhooks.deliveries.filters"),
        Binding("ctrl+r", "refresh", "Refresh", id="webhooks.deliveries.refresh"),
    ]

    PERFORMS: ClassVar[dict[str, str]] = {
        "webhooks.deliveries": "(opens)",
        "webhooks.delivery": "(cursor)",
        "webhooks.retry_delivery": "r",
    }

    DEFAULT_CSS = """
    DeliveriesScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    DeliveriesScreen.-wide #list-pane { width: 1fr; }
    DeliveriesScreen.-wide #detail-pane { width: 1fr; }
    """

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.filters: dict[str, str] = {}
        #: Full deliveries read by ``Get delivery detail``, by id.
        self.details: dict[str, WebhookDelivery] = {}
        self.detail_for: str | None = None
        self._detail_timer: Timer | None = None
        #: The server's last refusal, shown in the detail of that delivery.
        self.refusal: tuple[str, str] | None = None

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base has a class attribute
        return f"Deliveries · {self.endpoint.name or self.endpoint.id}"

    def compose_body(self) -> Any:
        yield Static(self.bar_text(), id="filter-bar", markup=False)
        yield from super().compose_body()

    def bar_text(self) -> str:
        parts = [f"{k}: {v}" for k, v in sorted(self.filters.items())]
        shown = " · ".join(parts) if parts else "all deliveries"
        return f"{self.endpoint.url or ''}   {shown}   (f filter · r retry failed · esc back)"

    def _update_list_status(self) -> None:
        super()._update_list_status()
        for bar in self.query("#filter-bar").results(Static):
            bar.update(self.bar_text())

    # -- data ---------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[WebhookDelivery]:
        client = self.ctx.client
        if client is None:
            return SimplePage(0, [])
        params: dict[str, Any] = {
            "id": self.endpoint.id,
            "status": self.filters.get("status"),
            "event": self.filters.get("event"),
            "ordering": request.ordering,
            "page": request.page,
            "page_size": request.page_size,
        }

        async def lister(**kw: Any) -> Any:
            endpoint_id = kw.pop("id")
            return await client.webhooks.deliveries(endpoint_id, **kw)

        page: PageLike[WebhookDelivery] = await self.load_list(
            "webhooks", lister, params, page=request.page, scoped=False
        )
        return page

    def row_cells(self, item: WebhookDelivery) -> Sequence[Any]:
        status = enum_text(item.status) if item.status is not None else "—"
        return (
            fmt_when(item.created),
            enum_text(item.event) if item.event is not None else "—",
            Text(status, style=STATUS_STYLE.get(status, "")),
            Text(str(item.response_status) if item.response_status else "—", justify="right"),
            Text(str(item.attempt_count or 0), justify="right"),
            Text(f"{item.duration_ms:,.0f}" if item.duration_ms is not None else "—",
                 justify="right"),
        )  # fmt: skip

    # -- detail -------------------------------------------------------------------------------

    def show_detail(self, item: WebhookDelivery | None) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        self.detail_for = item.id if item is not None else None
        if item is None:
            self._render_detail(None)
            return
        full = self.details.get(item.id)
        # the row at once; the full delivery (payload) fills in
        self._render_detail(full if full is not None and _same_attempt(full, item) else item)
        if full is None or not _same_attempt(full, item):
            self._detail_timer = self.set_timer(DETAIL_DELAY, partial(self._fetch, item))

    def _fetch(self, item: WebhookDelivery) -> None:
        self._detail_timer = None
        run_latest(self, partial(self.load_detail, item), group="delivery-detail")

    async def load_detail(self, item: WebhookDelivery) -> None:
        client = self.ctx.client
        if client is None:
            return
        full = await client.webhooks.delivery(self.endpoint.id, item.id)
        self.details[item.id] = full
        if self.detail_for == item.id and self.is_attached:
            self._render_detail(full)

    def _render_detail(self, item: WebhookDelivery | None) -> None:
        content = self.query("#detail-content")
        if content:
            content.first(Static).update(self.detail_renderable(item))

    def detail_renderable(self, item: WebhookDelivery | None) -> RenderableType:
        if item is None:
            return Text("No delivery selected.")
        status = enum_text(item.status) if item.status is not None else "—"
        event = enum_text(item.event) if item.event is not None else "—"
        head = Text()
        head.append(f"{event}", style="bold cyan")
        head.append(f"  {EVENT_DESCRIPTIONS.get(event, '')}\n")
        head.append(f"{item.id}\n\n", style="dim")
        head.append("Status    ")
        head.append(status, style=STATUS_STYLE.get(status, ""))
        head.append(f" after {item.attempt_count or 0} attempt(s)\n")
        head.append(f"Created   {fmt_when(item.created, seconds=True)}\n")
        if item.next_retry_at is not None:
            head.append(f"Next try  {fmt_when(item.next_retry_at, seconds=True)}\n")
        duration = f"{item.duration_ms:,.0f} ms" if item.duration_ms is not None else "—"
        head.append(f"Duration  {duration}\n")
        if self.refusal is not None and self.refusal[0] == item.id:
            head.append(f"\n{self.refusal[1]}\n", style="bold red")
        elif status == "failed":
            head.append("\nr retries this delivery now.\n", style="yellow")
        head.append("\nResponse\n", style="bold")
        code = str(item.response_status) if item.response_status else "no HTTP response"
        head.append(f"  {code}\n")
        body = (item.response_body or "").strip()
        head.append(f"  {body or '(empty body)'}\n")
        head.append("\nRequest payload\n", style="bold")
        parts: list[RenderableType] = [head]
        if item.payload is None:
            parts.append(Text("  loading…" if self.detail_for == item.id else "  —", style="dim"))
        else:
            # rich renders (and highlights) the JSON: the UI never serialises it itself
            parts.append(JSON.from_data(item.payload, indent=2, sort_keys=True))
        parts.append(Text("\nSignature\n", style="bold"))
        parts.append(Text(SIGNATURE_HELP, style="dim"))
        return Group(*parts)

    # -- filters ------------------------------------------------------------------------------

    def action_filters(self) -> None:
        events = [str(getattr(e, "value", e)) for e in self.endpoint.events or ()]
        choices: list[Choice[tuple[str, str | None]]] = [
            Choice(("all", None), "Clear every filter")
        ]
        choices += filter_choices(
            self.filters, [("status", [s.value for s in DeliveryStatus]), ("event", events)]
        )
        open_filter_picker(self, "Filter deliveries", choices, self.filters)

    def set_filter(self, key: str, value: str | None) -> None:
        """Set one filter (``None`` clears it) and reload (tests and the picker)."""
        from preo_tui.ui.list_actions import change_filter

        change_filter(self, self.filters, key, value)

    # -- retry --------------------------------------------------------------------------------

    def action_retry(self) -> None:
        item = selected_or_warn(self, "delivery")
        if item is None or not writable_or_warn(self, refuse_offline=True):
            return
        status = enum_text(item.status) if item.status is not None else ""
        if status != "failed":
            self.notify(
                f"Only a failed delivery can be retried; this one is {status or 'unknown'}.",
                severity="warning",
                timeout=4,
            )
            return
        self.run_job(self._retry(item), group="delivery-retry", exclusive=True)

    async def _retry(self, item: WebhookDelivery, *, force: bool = False) -> None:
        client = self.ctx.client
        assert client is not None
        endpoint_id = self.endpoint.id
        self.refusal = None

        try:
            updated = await webhook_write(
                self.ctx,
                "retry_delivery",
                f"retry webhook delivery {item.id} ({enum_text(item.event)})",
                id=endpoint_id,
                delivery_id=item.id,
            )
        except Exception as exc:
            from preo_tui.ui.errors import describe_error

            report = describe_error(exc)
            if report.kind != "Conflict":
                raise
            self.refusal = (item.id, f"Refused by the server: {report.message}")
            self.notify(self.refusal[1], severity="error", timeout=6)
            await self.table.refresh_now()
            self.show_detail(self.table.current_item)
            return
        self.details[updated.id] = updated
        self.table.update_item(updated)
        outcome = enum_text(updated.status)
        self.notify(
            f"Retried: {outcome} (attempt {updated.attempt_count}).",
            severity="information" if outcome == "succeeded" else "warning",
            timeout=4,
        )

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("PermissionDenied", "NotFound"):
            self.notify(f"Refused by the server: {report.message}", severity="error", timeout=6)
            return True
        return False


def _same_attempt(full: WebhookDelivery, row: WebhookDelivery) -> bool:
    return full.attempt_count == row.attempt_count and full.status == row.status
