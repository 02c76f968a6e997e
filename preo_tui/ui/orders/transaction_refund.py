"""Refund a whole order's transaction (contract §5 "Create refund request",
``POST /v1/refund-requests`` with ``transaction_id`` and a ``transaction_*`` scope).

``transaction_full`` refunds what is left of the order; ``transaction_custom`` a chosen amount
(required, above 0, at most the order's amount — the server checks what is still refundable and
its 400 lands under the amount). Opened by ``N`` on ``:orders``; :func:`open_for_order_id` lets
another screen (``:refunds``) open it for the order of a refund request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from preo_tui.actions import make
from preo_tui.api.orders import Order
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.editions.fields import FormModal, parse_money
from preo_tui.ui.formatting import money
from preo_tui.ui.refunds.common import REASONS
from preo_tui.ui.writes import perform

TRANSACTION_SCOPES: tuple[tuple[str, str], ...] = (
    ("transaction_full — everything still refundable on the order", "transaction_full"),
    ("transaction_custom — an amount you give", "transaction_custom"),
)


async def refund_write(ctx: Any, *, order: Order, summary: str, **args: Any) -> RefundRequest:
    """The dialog's one write path: ``refunds.create`` as a durable action (journalled before
    sending, matched by its idempotency key when the answer is lost); refund lists and the
    order are refreshed."""
    action = make("refunds.create", summary, object_ids=[order.id], invalidates=("orders",), **args)
    result: RefundRequest = await perform(ctx, action)
    return result


class TransactionRefundModal(FormModal[RefundRequest]):
    FORM_TITLE: ClassVar[str] = "Refund the whole order"
    SAVE_LABEL: ClassVar[str] = "Request refund"
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"transaction_id": "scope"}

    def __init__(self, ctx: Any, order: Order) -> None:
        self.ctx = ctx
        self.order = order
        who = order.customer.email if order.customer and order.customer.email else ""
        super().__init__(
            subtitle=f"order {order.order_number or order.id} · {who} · "
            f"{money(order.amount, order.currency)} · transaction {order.transaction_id}"
        )

    def compose_fields(self) -> ComposeResult:
        yield from self.field_row(
            "scope",
            "Scope",
            Select[str](
                TRANSACTION_SCOPES, id="f-scope", value="transaction_full", allow_blank=False
            ),
        )
        yield from self.field_row(
            "reason",
            "Reason",
            Select[str](
                [(r, r) for r in REASONS], id="f-reason", value="customer_request",
                allow_blank=False,
            ),
        )  # fmt: skip
        yield from self.field_row(
            "amount", "Amount", Input("", id="f-amount", placeholder="only for transaction_custom")
        )
        yield from self.field_row("comment", "Comment", Input("", id="f-comment"))
        yield Static(
            "The request is created as 'requested': it is paid only after approval on :refunds.",
            classes="form-subtitle",
            markup=False,
        )

    def collect(self) -> dict[str, Any]:
        scope = self.choice("scope") or "transaction_full"
        values: dict[str, Any] = {"scope": scope, "reason": self.choice("reason")}
        text = self.text("amount").strip()
        if scope == "transaction_custom":
            amount: Decimal | None = None
            try:
                amount = parse_money(text)
            except Exception:
                amount = None
            if amount is None or amount <= 0:
                self.fail("amount", "Enter the amount to refund (more than 0).")
            elif self.order.amount is not None and amount > Decimal(str(self.order.amount)):
                self.fail(
                    "amount",
                    f"At most the order's {money(self.order.amount, self.order.currency)}.",
                )
            values["amount"] = amount
        elif text:
            self.fail("amount", "transaction_full refunds what is left; leave the amount empty.")
        comment = self.text("comment").strip()
        if comment:
            values["comment"] = comment
        return values

    async def send(self, values: dict[str, Any]) -> RefundRequest:
        return await refund_write(
            self.ctx,
            transaction_id=self.order.transaction_id,
            **values,
            order=self.order,
            summary=f"refund request {values['scope']} for order "
            f"{self.order.order_number or self.order.id} ({values['reason']})",
        )


async def open_for_order_id(screen: Any, order_id: str) -> RefundRequest | None:
    """Read the order and open the dialog for it (needs a worker); the created request or None."""
    client = screen.ctx.client
    if client is None:
        return None
    order: Order = await client.orders.get(order_id)
    if not order.transaction_id:
        screen.notify("This order has no transaction to refund.", severity="warning", timeout=4)
        return None
    result: RefundRequest | None = await screen.app.push_screen_wait(
        TransactionRefundModal(screen.ctx, order)
    )
    return result
