"""The refund queue (``:refunds``): review, approve and reject refund requests, one at a time or
in bulk, and watch approved ones move through the payment side.

Layout: the queue (server-paged) with a filter bar and the count and total amount of what
matches, a strip of this session's decisions with their live status, and the detail pane (the
request, its purchase and order with items, what was refunded and what is still refundable, the
customer, earlier requests of the same order, ``service_response`` when processing failed)
beside the list on wide terminals and below it on narrow ones.

Keys: ``a`` approve (optional comment) and ``x`` reject (reason required) — confirmed in one
dialog, then the cursor moves to the next request, so a queue is worked with ``a`` ``enter`` per
item. With marks (``space``, ``shift+↑/↓``, ``M`` marks everything the filter matches across
pages, ``u`` clears) ``a``/``x`` act on the marked requests after the count is typed. ``f``
filters (statuses, reason, amount range, date range), ``t`` toggles all editions of the
organization, ``/`` free text, ``o`` sort, ``n`` creates a refund request for a purchase of the
order in the detail pane.

Exactly once: every decision is one logical action with one idempotency key, kept until its
outcome is known and reused by every retry; a request with a decision under way cannot get a
second one (the in-flight guard per id); a decision whose answer was lost (network failure, 5xx)
shows "unknown — checking" and is resolved by re-reading the request — the journal entry is then
finished as ok or failed — never by sending a different action. Every write goes through
``store.write`` and so lands in the journal (palette › Journal, or ``:journal``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import (
    IN_FLIGHT,
    SCOPE_SHORT,
    age,
    person_name,
    refundable,
    status_text,
    total,
    words,
)
from preo_tui.ui.refunds.decide import Action, DecisionModal
from preo_tui.ui.refunds.filters import RefundFilterModal, RefundFilters
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageLike, PageRequest

log = logging.getLogger(__name__)

#: Decisions sent at the same time during a bulk action.
BULK_CONCURRENCY = 4
#: Re-reads of a request whose decision's answer was lost, before leaving it to the poller.
CHECK_ATTEMPTS = 4
#: At most this many requests are marked by "mark all matching".
MARK_ALL_LIMIT = 10_000
#: Tracked (decided this session) requests re-read per poll.
TRACK_LIMIT = 200

OutcomeKind = Literal["working", "ok", "failed", "unknown"]


@dataclass(slots=True)
class RowOutcome:
    """What happened to the last decision on a row (shown in its status cell)."""

    kind: OutcomeKind
    text: str
    action: Action | None = None


@dataclass(slots=True)
class DetailData:
    """What the detail pane shows beyond the request itself."""

    purchase: Purchase | None = None
    order: Order | None = None
    earlier: list[RefundRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PendingCheck:
    """A decision whose answer was lost: re-read the request to learn what happened."""

    request: RefundRequest
    action: Action
    key: str
    attempts: int = 0


def extra(item: Any, name: str) -> Any:
    """An [ours] field a server may or may not send (kept by the tolerant models)."""
    value = getattr(item, name, None)
    if value is None:
        extras = getattr(item, "extra_fields", None) or {}
        value = extras.get(name) if isinstance(extras, dict) else None
    return value


def customer_label(rr: RefundRequest) -> str:
    return str(extra(rr, "customer_name") or rr.customer_email or "—")


def decider_id(rr: RefundRequest) -> str | None:
    decided = rr.decided_by
    if decided is None:
        return None
    if isinstance(decided, str):
        return decided
    return decided.id


@register_screen(
    "refunds",
    title="Refund requests",
    description="Review, approve and reject refund requests",
    aliases=("rfr", "refund"),
)
class RefundsScreen(ListDetailScreen[RefundRequest]):
    SCREEN_TITLE = "Refunds"
    #: The decision's facts first (they fit 80 columns); the rest scrolls sideways.
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("age", "Age", 3, ordering="created"),
        ColumnSpec("order", "Order", 11),
        ColumnSpec("customer", "Customer", 16),
        ColumnSpec("amount", "Amount", 9, ordering="amount", justify="right"),
        ColumnSpec("status", "Status", 12, ordering="status"),
        ColumnSpec("reason", "Reason", 13),
        ColumnSpec("scope", "Scope", 7),
        ColumnSpec("product", "Product", 14),
        ColumnSpec("requested_by", "Requested by", 14),
    ]
    #: Oldest first: the queue is worked in the order requests came in.
    DEFAULT_ORDERING = "created"
    WIDE_AT = 120
    #: Seconds between polls while decided requests are still moving (else the profile's).
    LIVE_INTERVAL: ClassVar[float] = 1.0
    #: Delay before the detail pane loads the order of the row under the cursor.
    DETAIL_DELAY: ClassVar[float] = 0.12
    #: Details of this many following requests are loaded ahead in the background.
    PREFETCH: ClassVar[int] = 2

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", id="refunds.approve"),
        Binding("x", "reject", "Reject", id="refunds.reject"),
        Binding("n", "new_refund", "New refund", id="refunds.new"),
        Binding("f", "filters", "Filters", id="refunds.filters"),
        Binding("t", "toggle_editions", "All editions", id="refunds.all_editions"),
        Binding("M", "mark_all", "Mark all matching", id="refunds.mark_all"),
        Binding("u", "clear_marks", "Unmark all", id="refunds.unmark"),
        Binding("L", "journal", "Journal", show=False, id="refunds.journal"),
    ]

    DEFAULT_CSS = """
    RefundsScreen #refund-summary { height: 1; padding: 0 1; background: $panel; }
    RefundsScreen #refund-blocked { height: auto; padding: 0 1; color: $warning; display: none; }
    RefundsScreen #refund-blocked.-visible { display: block; }
    RefundsScreen #refund-activity { height: 5; display: none;
        border-top: solid $panel-lighten-2; }
    RefundsScreen #refund-activity.-visible { display: block; }
    RefundsScreen #list-pane { height: 3fr; }
    RefundsScreen #detail-pane { height: 2fr; }
    RefundsScreen.-wide #list-pane { height: 1fr; }
    RefundsScreen.-wide #detail-pane { width: 58; height: 1fr; }
    RefundsScreen.-wide #refund-activity { height: 8; }
    RefundsScreen.-wide #list-pane { width: 1fr; }
    RefundsScreen #refund-detail { width: 100%; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters = RefundFilters()
        #: Every request seen (pages, mark-all, decisions), by id: marks outside the window
        #: still know their amount and status.
        self.known: dict[str, RefundRequest] = {}
        self.outcomes: dict[str, RowOutcome] = {}
        #: Ids with a decision under way (dialog open, request in flight, or being checked).
        self.busy: set[str] = set()
        #: One idempotency key per logical decision, kept until its outcome is known.
        self.decision_keys: dict[tuple[str, str], str] = {}
        #: Requests decided in this session (the activity strip), oldest first.
        self.tracked: dict[str, RefundRequest] = {}
        self.pending_checks: dict[str, PendingCheck] = {}
        self.details: dict[str, DetailData] = {}
        self.total_count: int | None = None
        self.total_amount: Decimal | None = None
        self.total_is_window = False
        self.bulk_running = False
        self.amount_filter_ignored = False
        self._detail_timer: Timer | None = None
        #: What the filter bar and the "disabled" line show (updated only when they change).
        self.summary_text = ""
        self.blocked_text = ""
        self._shown_id: str | None = None
        self._detail_height = -1
        self._window_read_at = 0.0
        self._context_key: tuple[str | None, str | None] | None = None

    # -- composition --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Container(id="list-detail"):
            with Vertical(id="list-pane"):
                yield Static("", id="refund-summary", markup=False)
                yield Static("", id="refund-blocked", markup=False)
                yield Input(placeholder="filter (enter applies, escape clears)", id="list-filter")
                yield self.build_table()
                yield Static(self._window_label, id="list-status", markup=False)
                yield DataTable(id="refund-activity", cursor_type="none", show_cursor=False)
            with VerticalScroll(id="detail-pane"):
                yield Static("", id="refund-detail")

    def on_mount(self) -> None:
        super().on_mount()
        activity = self.query_one("#refund-activity", DataTable)
        for label, key, width in (
            ("Decided", "when", 7),
            ("Order", "order", 11),
            ("Amount", "amount", 9),
            ("Decision", "action", 8),
            ("Status", "status", 16),
            ("Note", "note", 40),
        ):
            activity.add_column(label, key=key, width=width)
        self._context_key = self._current_context_key()
        self._update_summary()

    # -- the list -----------------------------------------------------------------------------

    @property
    def currency(self) -> str | None:
        edition = self.ctx.edition
        return edition.currency if edition is not None else None

    def list_params(self, request: PageRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "search": request.search,
        }
        ctx = self.ctx
        if self.filters.all_editions and ctx.organization is not None:
            params["organization_id"] = ctx.organization.id
        elif ctx.edition is not None:
            params["edition_id"] = ctx.edition.id
        params.update(self.filters.query_params())
        return params

    async def load_page(self, request: PageRequest) -> PageLike[RefundRequest]:
        client = self.ctx.client
        if client is None:
            raise RuntimeError("not signed in")
        params = self.list_params(request)
        key_params = {k: str(v) if v is not None else None for k, v in params.items()}

        async def loader() -> Any:
            return await client.refunds.list(**params)

        query = self.data_query("refunds", loader, scoped=False, **key_params)
        page: Any = await self.load_data(query)
        self._remember_page(page)
        return page  # type: ignore[no-any-return]

    def _remember_page(self, page: Any) -> None:
        results: list[RefundRequest] = list(page.results)
        for item in results:
            self.known[item.id] = item
        self.total_count = int(page.count)
        if self.filters.has_amount and any(
            not self.filters.matches_amount(item.amount) for item in results
        ):
            # The server ignored amount_min/amount_max ([ours] parameters): say so.
            self.amount_filter_ignored = True
        reported = getattr(page, "total_amount", None)
        if reported is None:
            extras = getattr(page, "extra_fields", None) or {}
            reported = extras.get("total_amount") if isinstance(extras, dict) else None
        if reported is not None:
            try:
                self.total_amount = Decimal(str(reported))
                self.total_is_window = False
            except ArithmeticError:
                reported = None
        if reported is None:
            self.total_is_window = True
            self.total_amount = None
        self.call_later(self._update_summary)

    def row_cells(self, item: RefundRequest) -> Sequence[Any]:
        self.known[item.id] = item
        product = extra(item, "product_name")
        if product is None:
            detail = self.details.get(item.id)
            purchase = detail.purchase if detail else None
            product = purchase.product_name if purchase is not None else None
        if product is None and value_of(item.scope).startswith("transaction"):
            product = "whole order"
        # Text cells: no markup parsing on every render (and a "[" in a name stays a "[").
        return (
            Text(age(item.created)),
            Text(item.order_number or "—"),
            Text(customer_label(item)),
            Text(money(item.amount), justify="right"),
            self.status_cell(item),
            Text(words(item.reason)),
            Text(SCOPE_SHORT.get(value_of(item.scope), words(item.scope))),
            Text(str(product or "—")),
            Text(person_name(item.requested_by)),
        )

    def status_cell(self, item: RefundRequest) -> Text:
        outcome = self.outcomes.get(item.id)
        if outcome is None:
            return status_text(item.status, width=12)
        if outcome.kind == "working":
            return Text(f"⋯ {outcome.text}", style="yellow")
        if outcome.kind == "unknown":
            return Text("? checking", style="bold yellow")
        if outcome.kind == "failed":
            return Text(f"✗ {outcome.text}"[:12], style="bold red")
        label = status_text(item.status, width=10)
        return Text.assemble(("✓ ", "green"), label)

    # -- summary and reasons ------------------------------------------------------------------

    def _update_summary(self) -> None:
        if not self.is_mounted:
            return
        parts: list[str] = []
        if self.total_count is not None:
            noun = "request" if self.total_count == 1 else "requests"
            parts.append(f"{self.total_count:,} {noun}")
            if self.total_amount is not None:
                parts.append(f"total {money(self.total_amount, self.currency)}")
            else:
                window = self.table.items if self.table.is_mounted else []
                shown = total(i.amount for i in window)
                if window and len(window) >= (self.total_count or 0):
                    parts.append(f"total {money(shown, self.currency)}")
                elif window:
                    parts.append(f"loaded rows {money(shown, self.currency)}")
        marks = self.table.marks if self.table.is_mounted else set()
        if marks:
            marked_total = total(self.known[i].amount for i in marks if i in self.known)
            parts.append(f"{len(marks):,} marked ({money(marked_total, self.currency)})")
        parts.append(self.filters.describe())
        if self.amount_filter_ignored:
            parts.append("server ignores the amount filter")
        summary = " · ".join(parts)
        if summary != self.summary_text:
            self.summary_text = summary
            with contextlib.suppress(Exception):
                self.query_one("#refund-summary", Static).update(summary, layout=False)
        blocked = self.global_block_reason()
        text = f"Approve/reject disabled: {blocked}" if blocked else ""
        if text != self.blocked_text:
            self.blocked_text = text
            with contextlib.suppress(Exception):
                widget = self.query_one("#refund-blocked", Static)
                widget.update(text)
                widget.set_class(bool(blocked), "-visible")

    @on(PagedTable.MarksChanged, "#list-table")
    @on(PagedTable.WindowChanged, "#list-table")
    def _refund_list_changed(self) -> None:
        self._update_summary()
        if self.focused is None and self.is_current:
            # AUTO_FOCUS cannot focus the table while it shows its loading overlay.
            self.table.focus()

    def global_block_reason(self) -> str | None:
        """Why no decision can be made at all (None: decisions are possible)."""
        ctx = self.ctx
        if ctx.read_only:
            return "this profile is read-only."
        if ctx.offline:
            return "offline — decisions are refused until the server answers again."
        if ctx.client is None:
            return "not signed in."
        role = ctx.role
        if role not in ("admin", "manager"):
            return f"your role ({role or 'none'}) cannot approve or reject refunds."
        return None

    def item_block_reason(self, item: RefundRequest, action: Action) -> str | None:
        """Why ``item`` cannot get ``action`` now (None: it can)."""
        if item.id in self.busy:
            return "a decision on this request is already under way."
        status = value_of(item.status)
        if status != "requested":
            return f"this request is {words(status)}; only requested ones can be decided."
        allowed = item.can_approve if action == "approve" else item.can_reject
        if allowed is False:
            return f"the server does not allow you to {action} this request."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject") and self.global_block_reason() is not None:
            return None  # shown disabled; the reason is on screen
        return True

    # -- context ------------------------------------------------------------------------------

    def _current_context_key(self) -> tuple[str | None, str | None]:
        ctx = self.ctx
        return (
            ctx.organization.id if ctx.organization else None,
            ctx.edition.id if ctx.edition else None,
        )

    def context_changed(self) -> None:
        """A new edition or organization starts over; a connection or profile change only
        updates what is allowed (marks and outcomes stay)."""
        key = self._current_context_key()
        self.refresh_bindings()
        if key != self._context_key:
            self._context_key = key
            self.outcomes.clear()
            self.details.clear()
            self.amount_filter_ignored = False
            self.table.clear_marks()
            self.table.reload()
        self._update_summary()
        self.show_detail(self.table.current_item)

    # -- detail pane --------------------------------------------------------------------------

    def show_detail(self, item: RefundRequest | None) -> None:
        self._shown_id = item.id if item is not None else None
        self._render_detail(item)
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if item is not None and item.id not in self.details:
            target = item
            self._detail_timer = self.set_timer(
                self.DETAIL_DELAY, lambda: self._start_detail_load(target)
            )

    def _start_detail_load(self, item: RefundRequest) -> None:
        self._detail_timer = None
        if self._shown_id != item.id:
            return
        self.run_job(self._load_detail(item), group="refund-detail", exclusive=True)

    async def _read(
        self, resource: str, loader: Callable[[], Awaitable[Any]], **params: Any
    ) -> Any:
        """Read through the store (cached, coalesced); without a store, straight through."""
        store = self.ctx.store
        if store is None:
            return await loader()
        query = self.data_query(resource, loader, scoped=False, **params)
        entry = await store.get(query)
        return entry.value

    async def _load_detail(self, item: RefundRequest) -> None:
        client = self.ctx.client
        if client is None:
            return
        detail = DetailData()
        jobs: list[Awaitable[Any]] = []
        names: list[str] = []
        if item.purchase_id:
            pid = item.purchase_id
            jobs.append(self._read("purchases", lambda: client.purchases.get(pid), id=pid))
            names.append("purchase")
        if item.order_id:
            oid = item.order_id
            jobs.append(self._read("orders", lambda: client.orders.get(oid), id=oid))
            names.append("order")
        if item.order_number:
            number = item.order_number
            scope: dict[str, Any] = {}
            if isinstance(item.organization, str):
                scope["organization_id"] = item.organization
            elif item.edition_id:
                scope["edition_id"] = item.edition_id

            async def earlier() -> Any:
                return await client.refunds.list(
                    search=number, ordering="created", page_size=100, **scope
                )

            jobs.append(self._read("refunds", earlier, search=number, purpose="order", **scope))
            names.append("earlier")
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                report = describe_error(result)
                detail.problems.append(f"{name}: {report.message}")
            elif name == "purchase":
                detail.purchase = result
            elif name == "order":
                detail.order = result
            else:
                detail.earlier = [
                    r for r in result.results if r.order_id == item.order_id and r.id != item.id
                ]
        self.details[item.id] = detail
        if detail.purchase is not None and extra(item, "product_name") is None:
            # The server does not name the product in the list: fill the cell now.
            with contextlib.suppress(Exception):
                self.table._write_row_cells(item.id, self.known.get(item.id, item))
        if self._shown_id == item.id:
            self._render_detail(self.known.get(item.id, item))
            self._prefetch_after(item.id)

    def _prefetch_after(self, refund_id: str) -> None:
        """Load the details of the next requests in the background, so that the cursor
        landing there after a decision draws the whole pane at once."""
        ids = [i.id for i in self.table.items]
        if refund_id not in ids:
            return
        start = ids.index(refund_id) + 1
        upcoming = [
            self.known.get(rid)
            for rid in ids[start : start + self.PREFETCH]
            if rid not in self.details
        ]
        for upcoming_item in upcoming:
            if upcoming_item is not None:
                self.run_worker(
                    self._prefetch_detail(upcoming_item),
                    group="refund-prefetch",
                    exit_on_error=False,
                )

    async def _prefetch_detail(self, item: RefundRequest) -> None:
        if item.id in self.details:
            return
        with contextlib.suppress(Exception):
            await self._load_detail(item)

    def _render_detail(self, item: RefundRequest | None) -> None:
        try:
            widget = self.query_one("#refund-detail", Static)
        except Exception:
            return
        renderable = self.detail_renderable(item)
        # A new layout only when the pane's content changes height: moving through the queue
        # then repaints the pane alone instead of laying out the whole screen.
        width = widget.content_region.width
        height = -1
        if width > 0:
            console = self.app.console
            with contextlib.suppress(Exception):
                lines = console.render_lines(
                    renderable, console.options.update_width(width), pad=False
                )
                height = len(lines)
        widget.update(renderable, layout=height < 0 or height != self._detail_height)
        self._detail_height = height

    def detail_renderable(self, item: RefundRequest | None) -> RenderableType:
        if item is None:
            if self.total_count == 0:
                return Text("No refund requests match the filter.", style="dim")
            return Text("Nothing selected.", style="dim")
        currency = self.currency
        parts: list[RenderableType] = []
        head = Text.assemble(
            ("Refund request ", "bold"),
            (item.id, "bold"),
            "  ",
            status_text(item.status),
        )
        parts.append(head)
        facts = Table.grid(padding=(0, 1))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column()
        facts.add_row("Amount", Text(money(item.amount, currency), style="bold"))
        facts.add_row("Reason", words(item.reason) or "—")
        facts.add_row("Scope", words(item.scope) or "—")
        facts.add_row("Requested", f"{self._when(item.created)} ({age(item.created)} ago)")
        facts.add_row("Requested by", person_name(item.requested_by))
        if item.comment:
            facts.add_row("Comment", item.comment)
        if item.pickup_point is not None:
            facts.add_row("Pickup point", item.pickup_point.name or item.pickup_point.id or "—")
        if item.decided_by is not None:
            facts.add_row(
                "Decided by",
                f"{person_name(item.decided_by)}, {self._when(item.decided_at)}",
            )
        decision_comment = extra(item, "decision_comment")
        if decision_comment:
            facts.add_row("Decision note", str(decision_comment))
        rejection = item.rejection_reason
        if rejection:
            facts.add_row("Rejected for", str(rejection))
        if item.refund_date:
            facts.add_row("Refunded", self._when(item.refund_date))
        parts.append(facts)
        outcome = self.outcomes.get(item.id)
        if outcome is not None:
            style = {"ok": "green", "failed": "bold red", "unknown": "bold yellow"}.get(
                outcome.kind, "yellow"
            )
            label = "unknown — checking" if outcome.kind == "unknown" else outcome.text
            parts.append(Text(f"Last decision: {label}", style=style))
        block = self.global_block_reason() or self.item_block_reason(item, "approve")
        if block and value_of(item.status) == "requested":
            parts.append(Text(f"a/x unavailable: {block}", style="yellow"))
        if value_of(item.status) == "failed" or (
            item.service_response and value_of(item.status) not in ("processed",)
        ):
            parts.append(Text("\nService response", style="bold red"))
            parts.append(Text(self._service_text(item.service_response), style="red"))
        detail = self.details.get(item.id)
        if detail is None:
            parts.append(Text("\nLoading order…", style="dim"))
            return Group(*parts)
        order = detail.order
        if order is not None:
            parts.append(
                Text.assemble("\n", ("Order ", "bold"), (order.order_number or order.id, "bold"))
            )
            info = Table.grid(padding=(0, 1))
            info.add_column(style="dim", no_wrap=True)
            info.add_column()
            info.add_row(
                "Status",
                f"{words(order.status)} · {words(order.type)} · {self._when(order.created)}",
            )
            info.add_row("Total", money(order.amount, order.currency or currency))
            customer = order.customer
            if customer is not None:
                info.add_row("Customer", customer.full_name or "—")
                info.add_row("Email", customer.email or "—")
                if customer.phone:
                    info.add_row("Phone", customer.phone)
            parts.append(info)
            purchases = order.purchases or []
            if purchases:
                items = Table(
                    box=None, padding=(0, 1), show_edge=False, header_style="dim", expand=False
                )
                items.add_column("", width=1)
                items.add_column("Item", overflow="ellipsis", max_width=22)
                items.add_column("Qty", justify="right")
                items.add_column("Amount", justify="right")
                items.add_column("Refunded", justify="right")
                items.add_column("Left", justify="right")
                for p in purchases:
                    items.add_row(
                        "▶" if p.id == item.purchase_id else "",
                        p.product_name or p.id,
                        str(p.quantity or ""),
                        money(p.amount),
                        money(p.refunded_amount or Decimal(0)),
                        money(refundable(p)),
                    )
                parts.append(items)
                refunded = total(p.refunded_amount for p in purchases)
                left = total(refundable(p) for p in purchases if value_of(p.status) != "cancelled")
                parts.append(
                    Text(
                        f"Refunded so far {money(refunded, currency)} · "
                        f"still refundable {money(left, currency)}",
                        style="dim",
                    )
                )
        elif detail.purchase is not None:
            p = detail.purchase
            parts.append(
                Text(
                    f"\nPurchase {p.product_name or p.id}: {money(p.amount, currency)}, "
                    f"refunded {money(p.refunded_amount, currency)}, "
                    f"left {money(refundable(p), currency)}"
                )
            )
        parts.append(Text("\nEarlier requests for this order", style="bold"))
        if detail.earlier:
            earlier = Table(box=None, padding=(0, 1), show_edge=False, show_header=False)
            earlier.add_column(no_wrap=True)
            earlier.add_column(no_wrap=True)
            earlier.add_column(justify="right", no_wrap=True)
            earlier.add_column(overflow="ellipsis")
            for r in detail.earlier:
                earlier.add_row(
                    self._when(r.created, date_only=True),
                    status_text(r.status),
                    money(r.amount),
                    words(r.reason),
                )
            parts.append(earlier)
        else:
            parts.append(Text("none", style="dim"))
        for problem in detail.problems:
            parts.append(Text(f"Could not load {problem}", style="yellow"))
        return Group(*parts)

    @staticmethod
    def _service_text(value: Any) -> str:
        if value is None:
            return "(none)"
        if isinstance(value, dict):
            message = value.get("message") or value.get("detail")
            rest = json.dumps(value, indent=2, sort_keys=True, default=str)
            return f"{message}\n{rest}" if message else rest
        return str(value)

    @staticmethod
    def _when(value: Any, *, date_only: bool = False) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):  # an extra field the model does not parse
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return str(value)
        if not isinstance(value, datetime):
            return str(value)
        moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")

    # -- filters ------------------------------------------------------------------------------

    def action_filters(self) -> None:
        def chosen(value: RefundFilters | None) -> None:
            if value is not None:
                self.set_filters(value)

        self.app.push_screen(RefundFilterModal(self.filters), callback=chosen)

    def action_toggle_editions(self) -> None:
        self.set_filters(replace(self.filters, all_editions=not self.filters.all_editions))

    def set_filters(self, filters: RefundFilters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self.amount_filter_ignored = False
        self._update_summary()
        self.table.reload()

    # -- marks --------------------------------------------------------------------------------

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_mark_all(self) -> None:
        self.run_job(self._mark_all(), group="refund-mark-all", exclusive=True)

    async def _mark_all(self) -> None:
        """Mark every request the current filter matches, across pages (by id)."""
        client = self.ctx.client
        if client is None:
            return
        params = self.list_params(
            PageRequest(
                page=1, page_size=500, ordering=self.table.ordering, search=self.table.search
            )
        )
        params.pop("page", None)
        self.set_status_note("marking everything the filter matches…")
        ids: list[str] = []
        try:
            async for item in client.refunds.iterate(**params):
                self.known[item.id] = item
                ids.append(item.id)
                if len(ids) >= MARK_ALL_LIMIT:
                    self.notify(
                        f"Marked the first {MARK_ALL_LIMIT:,} matching requests only.",
                        severity="warning",
                    )
                    break
        finally:
            self.set_status_note("")
        self.table.add_marks(ids)
        self.notify(f"Marked {len(ids):,} requests matching the filter.", timeout=4)

    # -- decisions ----------------------------------------------------------------------------

    def action_approve(self) -> None:
        self.start_decision("approve")

    def action_reject(self) -> None:
        self.start_decision("reject")

    def start_decision(self, action: Action) -> None:
        """``a``/``x``: decide the marked requests, or the one under the cursor."""
        blocked = self.global_block_reason()
        if blocked:
            self.notify(f"Cannot {action}: {blocked}", severity="warning", timeout=5)
            return
        if self.table.marks:
            if self.bulk_running:
                self.notify("A bulk decision is still running.", severity="warning", timeout=4)
                return
            self.bulk_running = True
            self.run_job(self._bulk(action), group="refund-bulk")
            return
        item = self.table.current_item
        if item is None:
            return
        item = self.known.get(item.id, item)
        reason = self.item_block_reason(item, action)
        if reason:
            self.notify(f"Cannot {action}: {reason}", severity="warning", timeout=5)
            return
        self.busy.add(item.id)  # the in-flight guard: from the dialog to the known outcome
        self.run_job(self._single(item, action), group=f"refund-decide-{item.id}")

    async def _single(self, item: RefundRequest, action: Action) -> None:
        sent = False
        try:
            verb = "Approve" if action == "approve" else "Reject"
            title = f"{verb} the refund of {money(item.amount, self.currency)}?"
            body = (
                f"Order {item.order_number or '—'} · {customer_label(item)}\n"
                f"{words(item.reason)} · {words(item.scope)}"
            )
            production = self.ctx.is_production
            answer = await self.app.push_screen_wait(
                DecisionModal(
                    action,
                    title,
                    body,
                    production=production,
                    typed=(item.order_number or item.id) if production else None,
                )
            )
            if answer is None:
                return
            self.move_to_next(item.id)
            sent = True
            await self.send_decision(item, action, answer.text, indicate_after=0.15)
        finally:
            if not sent:
                self.busy.discard(item.id)

    def move_to_next(self, refund_id: str) -> None:
        """Put the cursor on the next request that can still be decided."""
        table = self.table
        items = table.items
        ids = [i.id for i in items]
        if refund_id not in ids:
            return
        start = ids.index(refund_id)
        for index in range(start + 1, len(items)):
            candidate = self.known.get(ids[index], items[index])
            if value_of(candidate.status) == "requested" and candidate.id not in self.busy:
                table.move_cursor(row=index)
                return
        if start + 1 < len(items):
            table.move_cursor(row=start + 1)

    async def _bulk(self, action: Action) -> None:
        try:
            await self._run_bulk(action)
        finally:
            self.bulk_running = False

    async def _run_bulk(self, action: Action) -> None:
        ids = sorted(self.table.marks)
        missing = [i for i in ids if i not in self.known]
        client = self.ctx.client
        if missing and client is not None:
            for rid in missing:
                with contextlib.suppress(Exception):
                    self.known[rid] = await client.refunds.get(rid)
        items = [self.known[i] for i in ids if i in self.known]
        eligible = [i for i in items if self.item_block_reason(i, action) is None]
        skipped = len(ids) - len(eligible)
        if not eligible:
            self.notify(
                f"None of the {len(ids):,} marked requests can be {action}d now "
                "(only requested ones can be decided).",
                severity="warning",
                timeout=6,
            )
            return
        count = len(eligible)
        amount = total(i.amount for i in eligible)
        verb = "Approve" if action == "approve" else "Reject"
        noun = "request" if count == 1 else "requests"
        body = f"{count:,} refund {noun}, total {money(amount, self.currency)}."
        if skipped:
            body += f"\n{skipped:,} marked requests are not requested any more and are skipped."
        text: str | None = None
        if action == "reject":
            answer = await self.app.push_screen_wait(
                DecisionModal(
                    "reject",
                    f"Reject {count:,} refund {noun}",
                    body,
                    production=self.ctx.is_production,
                    confirm_label="Next",
                )
            )
            if answer is None:
                return
            text = answer.text
        confirmed = await self.app.push_screen_wait(
            TypedConfirmModal(
                f"{verb} {count:,} refund {noun}",
                body,
                expected=str(count),
                prompt=f"Type {count} (the number of requests) to confirm",
                confirm_label=verb,
                production=self.ctx.is_production,
            )
        )
        if not confirmed:
            return
        for item in eligible:
            self.busy.add(item.id)
            self.set_outcome(item.id, RowOutcome("working", "queued", action))
        gate = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(item: RefundRequest) -> OutcomeKind:
            async with gate:
                return await self.send_decision(item, action, text)

        results = await asyncio.gather(*(one(i) for i in eligible), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("bulk decision failed unexpectedly", exc_info=result)
        done = [i.id for i, r in zip(eligible, results, strict=True) if r == "ok"]
        unknown = sum(1 for r in results if r == "unknown")
        failed = len(results) - len(done) - unknown
        self.table.set_marks(self.table.marks - set(done))
        past = "approved" if action == "approve" else "rejected"
        message = f"{len(done):,} of {count:,} {past}."
        if failed:
            message += f" {failed:,} failed and stay marked for a retry."
        if unknown:
            message += f" {unknown:,} unknown — still checking."
        self.notify(
            message,
            title=f"Bulk {action}",
            severity="information" if not failed and not unknown else "warning",
            timeout=8,
        )

    async def send_decision(
        self,
        item: RefundRequest,
        action: Action,
        text: str | None,
        *,
        indicate_after: float | None = None,
    ) -> OutcomeKind:
        """Send one decision through the store (journalled) and show its outcome on the row.
        The caller has put ``item.id`` in ``busy``; it leaves it when the outcome is known.

        ``indicate_after``: show "approving…" on the row only if the answer takes longer than
        that many seconds (a fast answer then costs one redraw of the table, not two)."""
        rid = item.id
        key = self.decision_keys.setdefault((rid, action), uuid.uuid4().hex)
        working = RowOutcome("working", "approving" if action == "approve" else "rejecting", action)
        indicator: Timer | None = None
        if indicate_after is None:
            self.set_outcome(rid, working)
        else:
            self.outcomes[rid] = working  # the in-flight state, drawn later if still pending

            def indicate() -> None:
                if self.outcomes.get(rid) is working:
                    self.set_outcome(rid, working)

            indicator = self.set_timer(indicate_after, indicate)
        try:
            return await self._send_decision(item, action, text, key)
        finally:
            if indicator is not None:
                indicator.stop()

    async def _send_decision(
        self, item: RefundRequest, action: Action, text: str | None, key: str
    ) -> OutcomeKind:
        rid = item.id
        client = self.ctx.client
        store = self.ctx.store
        if client is None:
            self.busy.discard(rid)
            self.set_outcome(rid, RowOutcome("failed", "not signed in", action))
            return "failed"

        def call(k: str) -> Awaitable[RefundRequest]:
            if action == "approve":
                return client.refunds.approve(rid, comment=text, idempotency_key=k)  # type: ignore[no-any-return]
            return client.refunds.reject(rid, reason=text or "", idempotency_key=k)  # type: ignore[no-any-return]

        if store is not None and getattr(store, "offline", False):
            # The connection dropped during a run: re-read the request first. A successful
            # read brings the connection back (and shows whether an earlier attempt applied).
            fresh = await self._reread(rid)
            if fresh is None:
                self.busy.discard(rid)
                self.set_outcome(rid, RowOutcome("failed", "not sent: offline", action))
                return "failed"
            if value_of(fresh.status) != "requested":
                return self._resolve(PendingCheck(item, action, key), fresh)
            for _ in range(5):
                if not store.offline:
                    break
                await asyncio.sleep(0)
            if store.offline:
                store.handle_connection_event("online")  # the read just succeeded
        summary = (
            f"{action} refund {rid} · order {item.order_number or '?'} · "
            f"{money(item.amount, self.currency)}"
        )
        try:
            if store is not None:
                result: RefundRequest = await store.write(
                    call,
                    resource="refunds",
                    action=action,
                    object_ids=[rid],
                    summary=summary,
                    idempotency_key=key,
                    invalidates=("orders", "purchases"),
                )
            else:
                result = await call(key)
        except asyncio.CancelledError:
            self.set_outcome(rid, RowOutcome("unknown", "interrupted", action))
            raise
        except Exception as exc:
            return await self._after_failure(item, action, key, exc)
        self.decision_keys.pop((rid, action), None)
        self._decided(result, action)
        self.busy.discard(rid)
        return "ok"

    async def _after_failure(
        self, item: RefundRequest, action: Action, key: str, exc: Exception
    ) -> OutcomeKind:
        rid = item.id
        report = describe_error(exc)
        name = type(exc).__name__
        if name in ("OfflineError", "ReadOnlyError", "JournalError"):
            # Refused before anything was sent (the key stays for the retry: an earlier
            # attempt of this decision may have used it).
            self.busy.discard(rid)
            self.set_outcome(rid, RowOutcome("failed", f"not sent: {report.message}", action))
            return "failed"
        if report.kind in ("NetworkError", "ServerError", "DecodeError") or name == "OfflineError":
            self.set_outcome(rid, RowOutcome("unknown", "unknown — checking", action))
            check = PendingCheck(item, action, key)
            self.pending_checks[rid] = check
            return await self._check(check)
        self.decision_keys.pop((rid, action), None)
        self.busy.discard(rid)
        if report.kind == "Conflict":
            fresh = await self._reread(rid)
            now = words(fresh.status) if fresh is not None else "decided"
            self.set_outcome(rid, RowOutcome("failed", f"already {now}", action))
            if fresh is not None:
                self._adopt(fresh)
            self.notify(
                f"Order {item.order_number or rid}: this request was already decided "
                f"elsewhere (now {now}). Nothing was sent twice.\n{report.message}",
                title="Conflict — already decided",
                severity="warning",
                timeout=10,
            )
            return "failed"
        self.set_outcome(rid, RowOutcome("failed", report.message, action))
        self.notify(report.toast_text(), title=report.title, severity=report.severity, timeout=8)
        return "failed"

    async def _reread(self, rid: str) -> RefundRequest | None:
        client = self.ctx.client
        if client is None:
            return None
        try:
            fresh: RefundRequest = await client.refunds.get(rid)
        except Exception:
            return None
        return fresh

    async def _check(self, check: PendingCheck) -> OutcomeKind:
        """Resolve a decision whose answer was lost by re-reading the request."""
        rid = check.request.id
        while check.attempts < CHECK_ATTEMPTS:
            check.attempts += 1
            fresh = await self._reread(rid)
            if fresh is not None:
                return self._resolve(check, fresh)
            await asyncio.sleep(min(0.1 * 2**check.attempts, 2.0))
        # Still unknown: the poller keeps checking; the row and journal say "unknown".
        return "unknown"

    def _resolve(self, check: PendingCheck, fresh: RefundRequest) -> OutcomeKind:
        rid = fresh.id
        action = check.action
        status = value_of(fresh.status)
        applied = (
            action == "approve" and (status in IN_FLIGHT or status in ("processed", "failed"))
        ) or (action == "reject" and status == "rejected")
        me = getattr(self.ctx.me, "id", None)
        mine = decider_id(fresh) in (None, me)
        self.pending_checks.pop(rid, None)
        self.busy.discard(rid)
        if applied and mine:
            self._finish_journal(check.key, "ok", "confirmed by re-reading the request")
            self.decision_keys.pop((rid, action), None)
            self._decided(fresh, action)
            return "ok"
        self._adopt(fresh)
        if status == "requested":
            # Not applied: the same decision may be retried with the same key.
            self._finish_journal(check.key, "failed", "not applied (re-read: still requested)")
            self.set_outcome(rid, RowOutcome("failed", "not applied — retry", action))
            return "failed"
        self.decision_keys.pop((rid, action), None)
        self._finish_journal(check.key, "failed", f"decided elsewhere (now {status})")
        self.set_outcome(rid, RowOutcome("failed", f"already {words(status)}", action))
        return "failed"

    def _finish_journal(self, key: str, outcome: Literal["ok", "failed"], note: str) -> None:
        journal = self.ctx.journal
        if journal is None:
            return
        try:
            for entry in journal.read(limit=500, outcome="unknown"):
                if entry.idempotency_key == key:
                    journal.finish(entry.action_id, outcome, note)
        except OSError:
            log.exception("could not resolve the journal entry of %s", key)

    def _adopt(self, fresh: RefundRequest) -> None:
        """A fresher copy of a request: remember it and redraw its row and the detail."""
        self.known[fresh.id] = fresh
        if fresh.id in self.tracked:
            self.tracked[fresh.id] = fresh
            self._update_activity(fresh)
        self.table.update_item(fresh)
        if self._shown_id == fresh.id:
            self._render_detail(fresh)

    def _decided(self, result: RefundRequest, action: Action) -> None:
        past = "approved" if action == "approve" else "rejected"
        self.set_outcome(result.id, RowOutcome("ok", past, action), redraw=False)
        self.tracked[result.id] = result
        self._adopt(result)
        self._update_activity(result)
        if value_of(result.status) in IN_FLIGHT:
            self._arm_poll()  # watch it move at the live interval

    def set_outcome(self, rid: str, outcome: RowOutcome, *, redraw: bool = True) -> None:
        self.outcomes[rid] = outcome
        if rid in self.tracked:
            self._update_activity(self.tracked[rid])
        if redraw:
            item = self.known.get(rid)
            if item is not None:
                with contextlib.suppress(Exception):
                    self.table._write_row_cells(rid, item)
                if self._shown_id == rid:
                    self._render_detail(item)

    # -- this session's decisions (the activity strip) ---------------------------------------

    def _update_activity(self, item: RefundRequest) -> None:
        try:
            activity = self.query_one("#refund-activity", DataTable)
        except Exception:
            return
        outcome = self.outcomes.get(item.id)
        action = outcome.action if outcome is not None and outcome.action else "approve"
        status = value_of(item.status)
        note = ""
        if status == "failed":
            note = self._service_text(item.service_response).splitlines()[0]
        elif outcome is not None and outcome.kind != "ok":
            note = outcome.text
        cells = (
            datetime.now(UTC).strftime("%H:%M")
            if item.decided_at is None
            else self._when(item.decided_at)[-5:],
            item.order_number or "—",
            Text(money(item.amount), justify="right"),
            "approve" if action == "approve" else "reject",
            status_text(status),
            note,
        )
        try:
            activity.get_row_index(item.id)
        except RowDoesNotExist:
            activity.add_row(*cells, key=item.id)
            activity.move_cursor(row=activity.row_count - 1)
        else:
            for column, value in zip(
                ("when", "order", "amount", "action", "status", "note"), cells, strict=True
            ):
                activity.update_cell(item.id, column, value)
        activity.add_class("-visible")

    # -- live ---------------------------------------------------------------------------------

    def poll_interval(self) -> float | None:
        base = super().poll_interval()
        moving = any(value_of(r.status) in IN_FLIGHT for r in self.tracked.values())
        if moving or self.pending_checks:
            return min(base, self.LIVE_INTERVAL) if base is not None else self.LIVE_INTERVAL
        return base

    async def poll(self) -> None:
        """Re-read the window at the profile's interval, and the requests decided in this
        session (still moving on the payment side) at the live interval."""
        base = super().poll_interval() or 0.0
        due = time.monotonic() - self._window_read_at >= base * 0.9
        busy = self.bulk_running or any(o.kind == "working" for o in self.outcomes.values())
        if due and not busy:
            await self.table.refresh_now()
            self._window_read_at = time.monotonic()
        await self.poll_tracked()

    def action_refresh(self) -> None:
        self._window_read_at = 0.0
        super().action_refresh()

    async def poll_tracked(self) -> None:
        """Re-read the decided requests still moving and resolve lost answers."""
        client = self.ctx.client
        if client is None:
            return
        for check in list(self.pending_checks.values()):
            fresh = await self._reread(check.request.id)
            if fresh is not None:
                self._resolve(check, fresh)
        moving = [rid for rid, r in self.tracked.items() if value_of(r.status) in IN_FLIGHT][
            :TRACK_LIMIT
        ]
        if not moving:
            return

        async def one(rid: str) -> Any:
            return await self._read_fresh(rid)

        results = await asyncio.gather(*(one(rid) for rid in moving), return_exceptions=True)
        first_error: BaseException | None = None
        for rid, result in zip(moving, results, strict=True):
            if isinstance(result, BaseException):
                first_error = first_error or result
                continue
            old = self.tracked.get(rid)
            if old is not None and old.status == result.status and old.modified == result.modified:
                continue  # unchanged: no redraw
            self.tracked[rid] = result
            self._adopt(result)
            if value_of(result.status) == "failed" and (
                old is None or value_of(old.status) != "failed"
            ):
                reason = self._service_text(result.service_response).splitlines()[0]
                self.notify(
                    f"Order {result.order_number or rid} ({money(result.amount, self.currency)}):"
                    f" {reason}",
                    title="Refund failed",
                    severity="error",
                    timeout=12,
                )
        if first_error is not None and len(results) == sum(
            isinstance(r, BaseException) for r in results
        ):
            raise first_error

    async def _read_fresh(self, rid: str) -> RefundRequest:
        client = self.ctx.client
        assert client is not None
        store = self.ctx.store
        if store is None:
            fresh: RefundRequest = await client.refunds.get(rid)
            return fresh

        async def loader() -> Any:
            return await client.refunds.get(rid)

        entry = await store.refresh(self.data_query("refunds", loader, scoped=False, id=rid))
        value: RefundRequest = entry.value
        return value

    def live_requests(self) -> list[RefundRequest]:
        """Decided requests still on the payment side (tests, status line)."""
        return [r for r in self.tracked.values() if value_of(r.status) in IN_FLIGHT]

    # -- create -------------------------------------------------------------------------------

    def action_new_refund(self) -> None:
        item = self.table.current_item
        if item is None:
            self.notify("Select a request whose order to refund.", severity="warning", timeout=4)
            return
        if self.ctx.read_only:
            self.notify("Cannot create a refund: this profile is read-only.", severity="warning")
            return
        self.run_job(self._new_refund(item), group="refund-new", exclusive=True)

    async def _new_refund(self, item: RefundRequest) -> None:
        from preo_tui.ui.refunds.form import open_refund_form
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        detail = self.details.get(item.id)
        if detail is None:
            await self._load_detail(item)
            detail = self.details.get(item.id)
        order = detail.order if detail else None
        purchases = list(order.purchases or []) if order is not None else []
        if not purchases and detail is not None and detail.purchase is not None:
            purchases = [detail.purchase]
        if not purchases:
            self.notify("The order's purchases could not be loaded.", severity="warning")
            return
        purchase = purchases[0]
        if len(purchases) > 1:
            current = next((p for p in purchases if p.id == item.purchase_id), purchases[0])
            choices = [
                Choice(
                    p,
                    f"{p.product_name or p.id} · {money(p.amount)} · left {money(refundable(p))}",
                    disabled=(refundable(p) or Decimal(0)) <= 0,
                    reason="Nothing left to refund on this purchase.",
                )
                for p in purchases
            ]
            picked = await self.app.push_screen_wait(
                ChoiceModal("Refund which purchase?", choices, current=current)
            )
            if picked is None:
                return
            purchase = picked
        created = await open_refund_form(self, purchase, order=order)
        if created is not None:
            self.known[created.id] = created
            self.details.pop(item.id, None)
            self.notify(
                f"Refund request created: {money(created.amount, self.currency)} "
                f"({words(created.status)}).",
                timeout=5,
            )
            self.table.refresh_window()
            self.show_detail(self.known.get(item.id, item))

    # -- journal ------------------------------------------------------------------------------

    def action_journal(self) -> None:
        self.preo_app.jump("journal")


__all__ = ["RefundsScreen", "RowOutcome"]
