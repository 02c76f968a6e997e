"""``:orders`` — the current edition's orders, at 100,000-order scale.

The list is a window onto the server's pages (``PagedTable``): the next page loads as the
cursor nears the end of the window and the table never holds more than a few thousand rows;
the line under it reads "1–100 of 100,000". Filtering and sorting happen on the server:
``f`` edits the filters (status, type, created after/before, customer email/phone, order number,
transaction id), ``/`` is the contract's free-text ``search``, ``o`` sorts by any of the
contract's orderings (created, modified, order number, status, type, amount), ``F`` clears the
filters.

The detail pane shows the order with its customer, transaction, purchases (amounts, deposits,
fees, refunded) and the purchases' refund requests; ``n`` opens the refund form for the
highlighted purchase. ``x`` exports the list as filtered to CSV.
"""

from __future__ import annotations

import asyncio
import importlib
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Static

from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui import clock
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import run_latest
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import enum_text, money
from preo_tui.ui.orders.detail import OrderDetail, status_text
from preo_tui.ui.orders.export import (
    ExportPathModal,
    ExportProgressModal,
    default_export_path,
    describe_export,
)
from preo_tui.ui.orders.filters import OrderFilterModal, OrderFilters
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage

#: Seconds the cursor must rest on an order before the detail pane follows it (scrolling
#: through the list repaints only the list; the detail is drawn and fetched once it rests).
DETAIL_DELAY = 0.2
#: Order details kept for moving back and forth without a new request.
DETAIL_CACHE = 200


def customer_label(order: Order) -> str:
    c = order.customer
    if c is None:
        return "—"
    return c.email or c.full_name or c.id or "—"


@register_screen(
    "orders",
    title="Orders",
    description="Orders of the current edition: filter, search, details, refunds, CSV export",
    aliases=("ord",),
)
class OrdersScreen(ListDetailScreen[Order]):
    SCREEN_TITLE = "Orders"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("number", "Order", 11, ordering="order_number"),
        # Times as "12-03 09:51" (edition time; the year and the seconds are in the detail):
        # at 160 columns the full form left no room and cut "Modified 2026-1".
        ColumnSpec("created", "Created", 11, ordering="created"),
        ColumnSpec("customer", "Customer", 20, min_width=16, priority=3, keep_end=True),
        ColumnSpec("amount", "Amount", 10, ordering="amount", justify="right"),
        ColumnSpec("status", "Status", 9, ordering="status"),
        ColumnSpec("type", "Type", 9, ordering="type"),
        ColumnSpec("items", "#", 2, justify="right"),
        ColumnSpec("modified", "Modified", 11, ordering="modified"),
    ]
    DEFAULT_ORDERING = "-created"
    #: Deep pages of 100,000 orders are read straight from the client; the first pages stay
    #: cached for an instant, offline-able start.
    CACHED_PAGES = 2
    MARKABLE = False
    #: Orders change rarely under an operator's eyes and the window may hold 20 pages: re-read
    #: it once a minute (``r`` refreshes at once) rather than at every refresh interval.
    ORDERS_POLL_SECONDS: ClassVar[float] = 60.0

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filters", "Filters", id="orders.filters"),
        Binding("F", "clear_filters", "Clear filters", id="orders.clear_filters"),
        Binding("n", "refund", "Refund purchase", id="orders.refund"),
        Binding("N", "refund_order", "Refund order", id="orders.refund_order"),
        Binding("x", "export", "Export CSV", id="orders.export"),
        Binding("y", "copy_number", "Copy number", id="orders.copy"),
        Binding("tab", "focus_purchases", "Purchases", id="orders.purchases", show=False),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "orders.list": "(opens)",
        "orders.get": "(cursor)",
        "purchases.get": "(cursor)",
        "purchases.refund": "n",
        "refunds.create": "N",
    }

    DEFAULT_CSS = """
    OrdersScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    OrdersScreen #filter-bar.-active { color: $warning; }
    OrdersScreen.-wide #list-pane { width: 5fr; }
    OrdersScreen.-wide #detail-pane { width: 3fr; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters = OrderFilters()
        self._detail_timer: Timer | None = None
        self._detail_for: str | None = None
        #: order id -> (order with purchases, purchases with their refund requests); the most
        #: recently shown ``DETAIL_CACHE`` orders.
        self.details: OrderedDict[str, tuple[Order, list[Purchase]]] = OrderedDict()

    def poll_interval(self) -> float | None:
        base = super().poll_interval()
        return None if base is None else max(base, self.ORDERS_POLL_SECONDS)

    # -- composition --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(self.filter_summary(), id="filter-bar", markup=False)
        yield from super().compose_body()

    def compose_detail(self) -> ComposeResult:
        yield OrderDetail(id="order-detail")

    @property
    def timezone(self) -> str | None:
        edition = self.ctx.edition
        return edition.timezone if edition else None

    def filter_summary(self) -> str:
        text = self.filters.summary(self.timezone)
        return f"filters: {text}   (f edit, F clear, / search, o sort, x export)"

    def _update_filter_bar(self) -> None:
        bar = self.query_one("#filter-bar", Static)
        bar.update(self.filter_summary())
        bar.set_class(self.filters.active, "-active")

    # -- data ---------------------------------------------------------------------------------

    def list_params(self, *, search: str | None, ordering: str | None) -> dict[str, Any]:
        edition = self.ctx.edition
        return {
            "edition_id": edition.id if edition else None,
            **self.filters.params(),
            "search": search,
            "ordering": ordering,
        }

    async def load_page(self, request: PageRequest) -> PageLike[Order]:
        client = self.ctx.client
        if client is None or self.ctx.edition is None:
            return SimplePage(0, [])
        params = {
            **self.list_params(search=request.search, ordering=request.ordering),
            "page": request.page,
            "page_size": request.page_size,
        }
        if request.search:
            # A search's pages are read straight from the client: caching them (encoding 100
            # orders, a write to the disk cache) cost each search more than the server did,
            # and a typed search is rarely asked for again.
            found: PageLike[Order] = await client.orders.list(**params)
            return found
        page: PageLike[Order] = await self.load_list(
            "orders", client.orders.list, params, page=request.page
        )
        return page

    def row_cells(self, item: Order) -> Sequence[Any]:
        # Text cells: the table renders them as they are (a str cell would be parsed as markup
        # on every render, and a customer's name could contain brackets).
        tz = self.timezone
        count = item.purchase_count
        return (
            Text(item.order_number or item.id),
            Text(clock.short(item.created, tz)),
            Text(customer_label(item)),
            Text(money(item.amount), justify="right"),
            status_text(item.status),
            Text(enum_text(item.type)),
            Text(str(count) if count is not None else "", justify="right"),
            Text(clock.short(item.modified, tz)),
        )

    def context_changed(self) -> None:
        self.details.clear()
        if self.is_attached:
            self._update_filter_bar()
        super().context_changed()

    # -- detail -------------------------------------------------------------------------------

    @property
    def detail(self) -> OrderDetail:
        return self.query_one(OrderDetail)

    def show_detail(self, item: Order | None) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if item is None:
            self._detail_for = None
            self.detail.show_order(None, self.timezone, loading=False)
            return
        if self._detail_for is None:
            self._show_detail_now(item)  # the first order shows at once
            return
        # While the cursor moves, only the list repaints; the detail follows once it rests.
        self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._show_detail_now(item))

    def _show_detail_now(self, item: Order) -> None:
        self._detail_timer = None
        detail = self.detail
        cached = self.details.get(item.id)
        if cached is not None:
            order, purchases = cached
            detail.show_full(order, purchases, _refunds_of(purchases), self.timezone)
        else:
            detail.show_order(item, self.timezone, loading=True)
        self._detail_for = item.id
        self._fetch_detail(item.id)

    def _fetch_detail(self, order_id: str) -> None:
        run_latest(self, partial(self.load_detail, order_id), group="order-detail")

    async def load_detail(self, order_id: str) -> None:
        client = self.ctx.client
        if client is None:
            return
        self.follow_data(("orders", "purchases"), self._data_went_stale)
        order_q = self.data_query("orders", lambda: client.orders.get(order_id), id=order_id)
        order: Order = await self.load_data(order_q)
        purchases = list(order.purchases or [])

        async def purchase(p: Purchase) -> Purchase:
            q = self.data_query("purchases", lambda: client.purchases.get(p.id), id=p.id)
            full: Purchase = await self.load_data(q)
            return full

        note = ""
        try:
            purchases = list(await asyncio.gather(*(purchase(p) for p in purchases)))
        except Exception as exc:  # the order is still worth showing
            report = describe_error(exc)
            note = f"refund requests unavailable: {report.message}"
        self.details[order_id] = (order, purchases)
        self.details.move_to_end(order_id)
        while len(self.details) > DETAIL_CACHE:
            self.details.popitem(last=False)
        if self._detail_for == order_id and self.is_attached:
            self.detail.show_full(order, purchases, _refunds_of(purchases), self.timezone, note)

    def _data_went_stale(self, key: Any) -> None:
        """The shown order or one of its purchases changed (a refund was processed, ...):
        read it again so its refunded amounts are right without a restart."""
        order_id = self._detail_for
        if order_id is None or not self.is_attached:
            return
        shown = {order_id}
        cached = self.details.get(order_id)
        if cached is not None:
            shown.update(p.id for p in cached[1])
        if key.get("id") in shown or key.get("order") in shown or key.get("order_id") in shown:
            self.details.pop(order_id, None)
            self._fetch_detail(order_id)

    def handle_error(self, report: Any, error: BaseException) -> bool:
        kind = getattr(report, "kind", "")
        if kind in ("NotFound", "PermissionDenied", "Unsupported", "DecodeError") and (
            self._detail_for is not None and self.is_attached
        ):
            self.detail.show_error(f"{report.title}: {report.message}")
            return True
        return False

    def action_focus_purchases(self) -> None:
        detail = self.detail
        table = detail.purchase_table
        if self.focused is table:
            self.table.focus()
        elif detail.purchases:
            table.focus()

    def action_back(self) -> None:
        if self.focused is self.detail.purchase_table:
            self.table.focus()
            return
        super().action_back()

    @on(DataTable.RowSelected, "#list-table")
    def _order_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_focus_purchases()

    # -- filters ------------------------------------------------------------------------------

    def action_filters(self) -> None:
        def chosen(filters: OrderFilters | None) -> None:
            if filters is not None:
                self.set_filters(filters)

        self.app.push_screen(
            OrderFilterModal(self.filters, timezone=self.timezone), callback=chosen
        )

    def set_filters(self, filters: OrderFilters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self._update_filter_bar()
        self.table.reload()

    def show_created_today(self) -> None:
        """Only the orders created since 00:00 edition time (home card 4's set)."""
        tz = self.ctx.edition.timezone if self.ctx.edition else None
        self.set_filters(
            OrderFilters(created_after=clock.start_of_day(tz), texts={"created_after": "today"})
        )

    def action_clear_filters(self) -> None:
        self.set_filters(OrderFilters())

    # -- refunds ------------------------------------------------------------------------------

    def action_refund(self) -> None:
        order = self.table.current_item
        purchase = self.detail.selected_purchase
        if order is None:
            return
        if self.ctx.read_only:
            self.notify("This profile is read-only.", severity="warning", timeout=4)
            return
        if self.ctx.offline:
            self.notify("Offline: writes are refused.", severity="warning", timeout=4)
            return
        if purchase is None or self._detail_for != order.id or order.id not in self.details:
            self.notify("The order's purchases are still loading.", severity="warning", timeout=3)
            return
        opener = refund_form_opener()
        if opener is None:
            self.notify("The refund form is not available in this version.", severity="warning")
            return
        full_order = self.details[order.id][0]
        self.run_job(self._refund(opener, purchase, full_order), group="refund-form")

    def action_refund_order(self) -> None:
        """``N``: a refund request for the whole order (its transaction)."""
        order = self.table.current_item
        if order is None:
            return
        if self.ctx.read_only:
            self.notify("This profile is read-only.", severity="warning", timeout=4)
            return
        if self.ctx.offline:
            self.notify("Offline: writes are refused.", severity="warning", timeout=4)
            return
        self.run_job(partial(self._refund_order, order.id), group="refund-form")

    async def _refund_order(self, order_id: str) -> None:
        from preo_tui.ui.orders.transaction_refund import open_for_order_id

        result = await open_for_order_id(self, order_id)
        if isinstance(result, RefundRequest):
            self.notify(
                f"Refund request {result.id} created for the whole order "
                f"({enum_text(result.status)}, {money(result.amount)}).",
                timeout=5,
            )
            self.details.pop(order_id, None)
            await self.load_detail(order_id)

    async def _refund(self, opener: Any, purchase: Purchase, order: Order) -> None:
        """The refunds screen's form (it writes through the store and journals); afterwards
        the order is re-read so the new request shows."""
        result = await opener(self, purchase, order=order)
        if isinstance(result, RefundRequest):
            self.notify(
                f"Refund request {result.id} created ({enum_text(result.status)}).", timeout=4
            )
            self.details.pop(order.id, None)
            await self.load_detail(order.id)

    # -- export -------------------------------------------------------------------------------

    def action_export(self) -> None:
        edition = self.ctx.edition
        client = self.ctx.client
        if edition is None or client is None:
            return
        search = self.table.search
        ordering = self.table.ordering
        description = describe_export(
            self.filters.summary(self.timezone), search, ordering, self.table.total
        )
        default = default_export_path(edition.name, folder=self.export_folder())

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.start_export(path)

        self.app.push_screen(ExportPathModal(default, description), callback=chosen)

    def export_folder(self) -> Path:
        return Path.cwd()

    def start_export(self, path: Path) -> ExportProgressModal:
        client = self.ctx.require_client()
        params = self.list_params(search=self.table.search, ordering=self.table.ordering)
        if params.get("created_before") is None:
            # Freeze the list at the export's start: new orders must not shift the pages.
            params["created_before"] = self.preo_app.now()
        # Exports read straight from the client: thousands of pages must not fill the cache.

        async def fetch(page: int, page_size: int) -> Any:
            return await client.orders.export_page(**params, page=page, page_size=page_size)

        def done(count: int | None) -> None:
            if count is not None:
                self.notify(f"Exported {count:,} orders to {path}", timeout=6)

        modal = ExportProgressModal(
            path,
            fetch,
            total=self.table.total,
            copy=lambda text: self.preo_app.copy_text(text, what="path"),
        )
        self.app.push_screen(modal, callback=done)
        return modal

    def action_copy_number(self) -> None:
        order = self.table.current_item
        if order is not None:
            self.preo_app.copy_text(order.order_number or order.id, what="order number")


def _refunds_of(purchases: Sequence[Purchase]) -> list[RefundRequest]:
    refunds = [r for p in purchases for r in (p.refund_requests or [])]
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(refunds, key=lambda r: r.created or never, reverse=True)


def refund_form_opener() -> Any:
    """``open_refund_form(screen, purchase, order=)`` of the refunds screen's widgets (None
    while that screen is not installed)."""
    try:
        module = importlib.import_module("preo_tui.ui.refunds.form")
    except ImportError:
        return None
    return getattr(module, "open_refund_form", None)
