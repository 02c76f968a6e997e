"""The refund queue's detail pane: the request, its purchase and order with items, what was
refunded and what is still refundable, the customer, earlier requests of the same order and
``service_response`` when processing failed. Loaded after a short delay for the row under the
cursor (coalesced through the store) and ahead for the next requests, so that the cursor
landing there after a decision draws the whole pane at once.

The money figures follow the data (issue 15): the purchase and order are read again from the
server on ``r``, when the request under the cursor is in another state than when its detail
was loaded, and when the store marks the shown order or purchase stale (a refund processed,
``preo_tui.store.links``). Times are in the edition's zone with UTC beside them
(``preo_tui.ui.clock``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker

from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui import clock
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import (
    age,
    person_name,
    refundable,
    row_only,
    status_text,
    total,
    words,
)

if TYPE_CHECKING:
    from preo_tui.ui.base import ListDetailScreen
    from preo_tui.ui.refunds.decide import Action
    from preo_tui.ui.refunds.decisions import RowOutcome

    _Base = ListDetailScreen[RefundRequest]
else:
    _Base = object


@dataclass(slots=True)
class DetailData:
    """What the detail pane shows beyond the request itself."""

    purchase: Purchase | None = None
    order: Order | None = None
    earlier: list[RefundRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: The request's status when this was loaded: in another state, the figures are re-read.
    status: str | None = None
    #: The store marked the order or purchase shown here stale: re-read before trusting it.
    stale: bool = False

    def shows(self, ids: set[str]) -> bool:
        """Does this detail show any of the objects ``ids`` (its purchase, order, items)?"""
        mine = {self.purchase.id if self.purchase else None, self.order.id if self.order else None}
        if self.order is not None:
            mine.update(p.id for p in self.order.purchases or [])
        return bool(ids & (mine - {None}))


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


class RefundDetailPane(_Base):
    """The detail pane of :class:`~preo_tui.ui.refunds.screen.RefundsScreen` (a mixin)."""

    #: Delay before the detail pane loads the order of the row under the cursor.
    DETAIL_DELAY: float = 0.12
    #: Details of this many following requests are loaded ahead in the background.
    PREFETCH: int = 2

    details: dict[str, DetailData]
    known: dict[str, RefundRequest]
    outcomes: dict[str, RowOutcome]
    total_count: int | None
    _detail_timer: Timer | None
    _shown_id: str | None
    _detail_height: int
    #: The fresh re-read under way (request id, worker), so that a poll does not restart it.
    _detail_reload: tuple[str, Worker[Any]] | None = None

    if TYPE_CHECKING:

        @property
        def currency(self) -> str | None: ...

        def global_block_reason(self) -> str | None: ...

        def item_block_reason(self, item: RefundRequest, action: Action) -> str | None: ...

    # -- detail pane --------------------------------------------------------------------------

    @property
    def timezone(self) -> str | None:
        """The edition's zone: every time in the pane is shown in it (``ui/clock.py``)."""
        edition = self.ctx.edition
        return edition.timezone if edition is not None else None

    def show_detail(self, item: RefundRequest | None) -> None:
        self._shown_id = item.id if item is not None else None
        self._render_detail(item)
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if item is None:
            return
        detail = self.details.get(item.id)
        if detail is None:
            target = item
            self._detail_timer = self.set_timer(
                self.DETAIL_DELAY, lambda: self._start_detail_load(target)
            )
        elif detail.stale or detail.status != value_of(item.status):
            # The request moved (approved → processed, …) or its order changed: the money
            # shown may be outdated. The old figures stay until the fresh ones arrive.
            self.reload_detail(item)

    def reload_detail(self, item: RefundRequest | None = None) -> None:
        """Read the shown request's purchase and order again from the server (``r``)."""
        rid = self._shown_id
        if item is None and rid is not None:
            item = self.known.get(rid)
        if item is None or item.id != rid:
            return
        under_way = self._detail_reload
        if under_way is not None and under_way[0] == item.id and not under_way[1].is_finished:
            return  # already reading it again (every poll re-shows the row under the cursor)
        worker = self.run_job(
            functools.partial(self._load_detail, item, fresh=True),
            group="refund-detail",
            exclusive=True,
        )
        self._detail_reload = (item.id, worker)

    def _detail_went_stale(self, key: Any) -> None:
        """The store marked an order or purchase stale (a refund processed, a write): the
        details showing it are re-read, the shown one at once."""
        ids = {key.get(name) for name in ("id", "order", "order_id", "purchase_id")} - {None}
        hit = [rid for rid, detail in self.details.items() if detail.shows(ids)]
        for rid in hit:
            self.details[rid].stale = True
        if self._shown_id in hit and self.is_attached:
            self.reload_detail()

    def _start_detail_load(self, item: RefundRequest) -> None:
        self._detail_timer = None
        if self._shown_id != item.id:
            return
        self.run_job(
            functools.partial(self._load_detail, item), group="refund-detail", exclusive=True
        )

    async def _read(
        self,
        resource: str,
        loader: Callable[[], Awaitable[Any]],
        *,
        fresh: bool = False,
        **params: Any,
    ) -> Any:
        """Read through the store (coalesced): the cached value unless ``fresh`` or marked
        stale (offline: the cached value); without a store, straight through."""
        store = self.ctx.store
        if store is None:
            return await loader()
        query = self.data_query(resource, loader, scoped=False, **params)
        cached = store.peek(query)
        if not fresh and cached is not None and not cached.stale:
            return (await store.get(query)).value
        try:
            entry = await store.refresh(query)
        except Exception as exc:
            if cached is None or describe_error(exc).kind not in ("NetworkError", "OfflineError"):
                raise
            entry = cached
        return entry.value

    async def _load_detail(self, item: RefundRequest, *, fresh: bool = False) -> None:
        client = self.ctx.client
        if client is None:
            return
        self.follow_data(("orders", "purchases"), self._detail_went_stale)
        detail = DetailData(status=value_of(item.status))
        jobs: list[Awaitable[Any]] = []
        names: list[str] = []
        if item.purchase_id:
            pid = item.purchase_id
            jobs.append(
                self._read("purchases", lambda: client.purchases.get(pid), fresh=fresh, id=pid)
            )
            names.append("purchase")
        if item.order_id:
            oid = item.order_id
            jobs.append(self._read("orders", lambda: client.orders.get(oid), fresh=fresh, id=oid))
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

            jobs.append(
                self._read("refunds", earlier, fresh=fresh, search=number, purpose="order", **scope)
            )
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
            with contextlib.suppress(Exception), row_only(self.table, item.id):
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
        # then repaints the pane alone instead of laying out the whole screen. The text is at
        # least as tall as the pane (``min-height: 100%``), so a shorter or longer detail that
        # still fits the pane changes nothing but the pane's own lines.
        width = widget.content_region.width
        height = -1
        if width > 0:
            console = self.app.console
            with contextlib.suppress(Exception):
                lines = console.render_lines(
                    renderable, console.options.update_width(width), pad=False
                )
                pane = widget.parent
                room = pane.scrollable_content_region.height if isinstance(pane, Widget) else 0
                height = max(len(lines), room)
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
            rest = "\n".join(f"{key}: {value[key]}" for key in sorted(value, key=str))
            return f"{message}\n{rest}" if message else rest
        return str(value)

    def _when(self, value: Any, *, date_only: bool = False) -> str:
        """A detail-pane time: edition time with UTC beside it (``date_only``: the day in
        edition time, for the table of earlier requests)."""
        if date_only:
            return clock.day(value, self.timezone)
        return clock.detail(value, self.timezone)


__all__ = ["DetailData", "RefundDetailPane", "customer_label", "decider_id", "extra"]
