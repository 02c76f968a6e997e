"""``:orders`` › ``N``: a refund request for a whole order (``POST /v1/refund-requests`` with the
order's ``transaction_id`` and a ``transaction_*`` scope)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from preo_tui.sandbox.resources.refunds import order_left
from preo_tui.ui.orders.screen import OrdersScreen
from preo_tui.ui.orders.transaction_refund import TransactionRefundModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, requests_sent

SIZE = (160, 48)


def refunds_of(backend: SandboxBackend, order_id: str) -> list[dict[str, Any]]:
    rows = backend.state.db.query(
        "SELECT * FROM refund_requests WHERE order_id = ? ORDER BY created", (order_id,)
    )
    return [dict(r) for r in rows]


async def test_refund_a_whole_order_full_and_custom(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first_page(pilot, "orders", OrdersScreen, what="orders")
        db = sandbox_backend.state.db
        order = next(
            o
            for o in screen.table.items
            if o.transaction_id and not refunds_of(sandbox_backend, o.id)
            and order_left(db, o.id) > 10
        )  # fmt: skip
        left = order_left(db, order.id)
        assert screen.table.move_to_id(order.id)
        await wait_for_workers(pilot)
        # custom: the amount is required and at most the order's
        await pilot.press("N")
        form = await wait_for_screen(pilot, TransactionRefundModal)
        form.query_one("#f-scope", Select).value = "transaction_custom"
        sent = requests_sent(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("amount") != "", what="amount error")
        assert requests_sent(app) == sent
        form.query_one("#f-amount", Input).value = "10"
        form.query_one("#f-reason", Select).value = "compensation"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, OrdersScreen)
        await wait_until(pilot, lambda: len(refunds_of(sandbox_backend, order.id)) == 1, what="1")
        first = refunds_of(sandbox_backend, order.id)[0]
        assert first["scope"] == "transaction_custom" and float(first["amount"]) == 10.0
        assert first["reason"] == "compensation" and first["status"] == "requested"
        # full: what is left of the order
        await wait_for_workers(pilot)
        await pilot.press("N")
        form = await wait_for_screen(pilot, TransactionRefundModal)
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, OrdersScreen)
        await wait_until(pilot, lambda: len(refunds_of(sandbox_backend, order.id)) == 2, what="2")
        second = refunds_of(sandbox_backend, order.id)[1]
        assert second["scope"] == "transaction_full"
        assert abs(float(second["amount"]) - (left - 10.0)) < 0.01
        assert second["purchase_id"] is None or second["purchase_id"] == ""
