"""``:webhooks`` — the organization's webhook endpoints.

Each row: name, URL, events, active flag, the last delivery's status and the failure rate of
its deliveries (read per endpoint after the page arrives). ``n`` creates and ``e`` edits an
endpoint (URL checked, events from the contract's list with descriptions, active toggle), ``d``
deletes it (asks), ``R`` rotates its signing secret (asks; the new secret is shown once), and
``enter`` opens its deliveries.

Endpoints are read straight from the client, never through the store's on-disk cache: the
endpoint object carries its secret, which the app never keeps (see ``common.without_secret``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.api.webhooks import WebhookEndpoint
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.list_actions import (
    confirm_delete,
    confirm_destructive,
    forget_deleted,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.webhooks.common import (
    EVENT_DESCRIPTIONS,
    events_text,
    webhook_write,
    without_secret,
)
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage

STATUS_STYLE = {"succeeded": "green", "failed": "red", "pending": "yellow"}


@dataclass(frozen=True)
class EndpointStats:
    """The deliveries of one endpoint: how many, how many failed, the latest one's status."""

    total: int
    failed: int
    last_status: str | None

    @property
    def failure_rate(self) -> str:
        if not self.total:
            return "—"
        return f"{100 * self.failed / self.total:.0f}%"


@register_screen(
    "webhooks",
    title="Webhooks",
    description="Webhook endpoints: deliveries, retry, rotate the secret",
    aliases=("hooks", "wh"),
    needs_edition=False,
)
class WebhooksScreen(ListDetailScreen[WebhookEndpoint]):
    SCREEN_TITLE = "Webhooks"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        # Names first (issue 15): the URL and the events give up their room before a name is cut.
        ColumnSpec("name", "Name", 32, ordering="name", min_width=14, priority=3, keep_end=True),
        ColumnSpec("active", "Active", 6),
        ColumnSpec("last", "Last", 9),
        ColumnSpec("failures", "Fail%", 5, justify="right"),
        ColumnSpec("url", "URL", 24, min_width=12, priority=1),
        ColumnSpec("events", "Events", 16, min_width=8, priority=1),
    ]
    DEFAULT_ORDERING = "created"
    MARKABLE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "deliveries", "Deliveries", id="webhooks.deliveries"),
        Binding("n", "new", "New", id="webhooks.new"),
        Binding("e", "edit", "Edit", id="webhooks.edit"),
        Binding("d", "delete", "Delete", id="webhooks.delete"),
        Binding("R", "rotate", "Rotate secret", id="webhooks.rotate"),
    ]

    #: The operations this screen performs, and the key (or moment) that performs each.
    PERFORMS: ClassVar[dict[str, str]] = {
        "webhooks.list": "(opens)",
        "webhooks.create": "n",
        "webhooks.get": "e",
        "webhooks.update": "e",
        "webhooks.delete": "d",
        "webhooks.rotate_secret": "R",
    }

    DEFAULT_CSS = """
    WebhooksScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    WebhooksScreen.-wide #list-pane { width: 5fr; }
    WebhooksScreen.-wide #detail-pane { width: 3fr; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.stats: dict[str, EndpointStats] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(
            "enter deliveries · n new · e edit · d delete · R rotate secret",
            id="filter-bar",
            markup=False,
        )
        yield from super().compose_body()

    # -- data ---------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[WebhookEndpoint]:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return SimplePage(0, [])
        page = await client.webhooks.list(
            organization_id=org.id,
            ordering=request.ordering,
            page=request.page,
            page_size=request.page_size,
        )
        items = [without_secret(e) for e in page.results]
        if request.search:
            needle = request.search.lower()
            items = [e for e in items if needle in f"{e.name or ''} {e.url or ''}".lower()]
            result: PageLike[WebhookEndpoint] = SimplePage(len(items), items)
        else:
            result = SimplePage(page.count, items)
        self.run_job(partial(self._load_stats, items), group="webhook-stats", exclusive=True)
        return result

    async def _load_stats(self, endpoints: Sequence[WebhookEndpoint]) -> None:
        client = self.ctx.client
        if client is None:
            return

        async def one(endpoint: WebhookEndpoint) -> tuple[str, EndpointStats]:
            latest, failed = await asyncio.gather(
                client.webhooks.deliveries(endpoint.id, ordering="-created", page_size=1),
                client.webhooks.deliveries(endpoint.id, status="failed", page_size=1),
            )
            last = enum_text(latest.results[0].status) if latest.results else None
            return endpoint.id, EndpointStats(latest.count, failed.count, last)

        results = await asyncio.gather(*(one(e) for e in endpoints))
        self.stats.update(dict(results))
        if not self.is_attached:
            return
        for endpoint in endpoints:
            self.table.update_item(endpoint)
        self.show_detail(self.table.current_item)

    def row_cells(self, item: WebhookEndpoint) -> Sequence[Any]:
        stats = self.stats.get(item.id)
        last = stats.last_status if stats else None
        return (
            item.name or "—",
            "yes" if item.is_active else "paused",
            Text(last or ("…" if stats is None else "—"), style=STATUS_STYLE.get(last or "", "")),
            Text(stats.failure_rate if stats else "…", justify="right"),
            item.url or "—",
            events_text(item.events, limit=1),
        )

    def context_changed(self) -> None:
        self.stats.clear()
        super().context_changed()

    # -- detail -------------------------------------------------------------------------------

    def show_detail(self, item: WebhookEndpoint | None) -> None:
        content = self.query("#detail-content")
        if not content:
            return
        widget = content.first(Static)
        if item is None:
            widget.update("No endpoint selected.")
            return
        text = Text()
        text.append(f"{item.name or item.id}\n", style="bold")
        text.append(f"{item.id}\n\n", style="dim")
        text.append(f"URL      {item.url or '—'}\n")
        active = "yes" if item.is_active else "no (paused: events are not delivered)"
        text.append(f"Active   {active}\n")
        edition = "all editions"
        if item.edition_id:
            names = {e.id: e.name for e in self.preo_app.editions}
            edition = names.get(item.edition_id) or item.edition_id
        text.append(f"Edition  {edition}\n")
        timeout = f"{item.timeout_seconds:g} s" if item.timeout_seconds is not None else "—"
        text.append(f"Timeout  {timeout}\n")
        text.append("Secret   set, never shown (R rotates it)\n")
        text.append(f"Created  {fmt_when(item.created)}\n")
        stats = self.stats.get(item.id)
        if stats is not None:
            text.append(
                f"Deliveries {stats.total:,} · failed {stats.failed:,} ({stats.failure_rate})"
                f" · last {stats.last_status or '—'}\n"
            )
        text.append("\nEvents\n", style="bold")
        for event in item.events or ():
            name = str(getattr(event, "value", event))
            text.append(f"  {name}", style="cyan")
            text.append(f"  {EVENT_DESCRIPTIONS.get(name, '')}\n")
        widget.update(text)

    # -- actions ------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_deliveries()

    def action_deliveries(self) -> None:
        item = selected_or_warn(self, "endpoint")
        if item is None:
            return
        from preo_tui.ui.webhooks.deliveries import DeliveriesScreen

        self.app.push_screen(DeliveriesScreen(item))

    def _edition_names(self) -> dict[str, str]:
        return {e.id: e.name or e.id for e in self.preo_app.editions}

    def action_new(self) -> None:
        if writable_or_warn(self, refuse_offline=True):
            self._open_form(None)

    def action_edit(self) -> None:
        item = selected_or_warn(self, "endpoint")
        if item is not None and writable_or_warn(self, refuse_offline=True):
            self.run_job(partial(self._edit, item.id), group="webhook-edit", exclusive=True)

    async def _edit(self, endpoint_id: str) -> None:
        """Edit what the server has now (Retrieve webhook endpoint), not a stale row."""
        client = self.ctx.client
        assert client is not None
        current = without_secret(await client.webhooks.get(endpoint_id))
        self.table.update_item(current)
        self._open_form(current)

    def _open_form(self, endpoint: WebhookEndpoint | None) -> None:
        from preo_tui.ui.webhooks.form import WebhookFormModal

        def done(result: WebhookEndpoint | None) -> None:
            if result is None:
                return
            self.notify(f"Saved {result.name or result.id}.", timeout=3)
            self.stats.pop(result.id, None)
            if endpoint is None:
                self.run_job(self._reload_at(result.id), group="webhook-reload")
            else:
                self.table.update_item(result)
                self.show_detail(result)

        self.app.push_screen(
            WebhookFormModal(self.ctx, endpoint, editions=self._edition_names()), callback=done
        )

    async def _reload_at(self, endpoint_id: str) -> None:
        await self.table.reload_and_wait()
        self.table.move_to_id(endpoint_id)

    def action_delete(self) -> None:
        item = selected_or_warn(self, "endpoint")
        if item is not None and writable_or_warn(self, refuse_offline=True):
            self.run_job(self._delete(item), group="webhook-delete", exclusive=True)

    async def _delete(self, item: WebhookEndpoint) -> None:
        ok = await confirm_delete(
            self,
            "webhook endpoint",
            item.name,
            item.id,
            f"{item.url}\nNo more events will be sent to it and its deliveries are dropped.",
        )
        if not ok:
            return
        client = self.ctx.client
        assert client is not None

        await webhook_write(
            self.ctx, "delete", f"delete webhook endpoint {item.name or item.id}", id=item.id
        )
        self.stats.pop(item.id, None)
        await forget_deleted(self, "webhooks", item.id, item.name or item.id)

    def action_rotate(self) -> None:
        item = selected_or_warn(self, "endpoint")
        if item is not None and writable_or_warn(self, refuse_offline=True):
            self.run_job(self._rotate(item), group="webhook-rotate", exclusive=True)

    async def _rotate(self, item: WebhookEndpoint) -> None:
        name = item.name or item.id
        ok = await confirm_destructive(
            self.app,
            f"Rotate the secret of {name}?",
            "A new signing secret is made and the old one stops working at once: the "
            "receiver rejects every delivery until it is given the new secret.",
            production=self.ctx.is_production,
            expected=name,
            prompt="Type the endpoint's name to rotate its secret",
            confirm_label="Rotate",
        )
        if not ok:
            return
        client = self.ctx.client
        assert client is not None

        secret: str = await webhook_write(
            self.ctx, "rotate_secret", f"rotate the secret of webhook endpoint {name}", id=item.id
        )
        from preo_tui.ui.webhooks.secret import SecretModal

        await self.app.push_screen_wait(SecretModal(name, secret))
        del secret

    def handle_error(self, report: Any, error: BaseException) -> bool:
        if report.kind in ("Conflict", "PermissionDenied", "NotFound"):
            self.notify(f"Refused by the server: {report.message}", severity="error", timeout=6)
            return True
        return False
