"""The refund queue's detail pane: the request, its purchase and order with items, what was
refunded and what is still refundable, the customer, earlier requests of the same order and
``service_response`` when processing failed. Loaded after a short delay for the row under the
cursor (coalesced through the store) and ahead for the next requests, so that the cursor
landing there after a decision draws the whole pane at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import age, person_name, refundable, status_text, total, words

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

    if TYPE_CHECKING:

        @property
        def currency(self) -> str | None: ...

        def global_block_reason(self) -> str | None: ...

        def item_block_reason(self, item: RefundRequest, action: Action) -> str | None: ...

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
            rest = "\n".join(f"{key}: {value[key]}" for key in sorted(value, key=str))
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


__all__ = ["DetailData", "RefundDetailPane", "customer_label", "decider_id", "extra"]
