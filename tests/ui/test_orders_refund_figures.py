"""A processed refund updates the refunded amounts in the order detail without a restart
(issue 15): the refund queue's refresh sees the request processed, the store invalidates the
order and purchase that depend on it (store/links.py), and the screen showing them re-reads."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from preo_tui.store import Query
from preo_tui.ui.orders.screen import OrdersScreen
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_workers, wait_until
from tests.ui.helpers import open_first_page, plain


@pytest.fixture
def sandbox_backend(frozen_clock: Any) -> Iterator[SandboxBackend]:
    """The sandbox's gateway declines 5 % of refunds (stable per id, and ids differ between
    runs): here it never does, so the refund always ends processed."""
    backend = SandboxBackend(refund_failure_rate=0.0)
    yield backend
    backend.state.db.close()


async def test_a_processed_refund_updates_the_order_detail(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen: Any = await open_first_page(pilot, "orders", OrdersScreen, what="orders")
        db = sandbox_backend.state.db
        row = db.one(
            "SELECT p.id, p.order_id, o.order_number, p.unit_price FROM purchases p"
            " JOIN orders o ON o.id = p.order_id WHERE p.edition_id = ? AND p.status = 'active'"
            " AND p.refunded_amount = 0 AND p.unit_price >= 100 AND NOT EXISTS (SELECT 1 FROM"
            " refund_requests r WHERE r.order_id = p.order_id) LIMIT 1",
            (app.ctx.edition.id,),
        )
        purchase_id, order_id, number = row["id"], row["order_id"], row["order_number"]
        screen.apply_filter(number)
        await wait_until(pilot, lambda: screen.table.total == 1, what="the order")
        await wait_until(pilot, lambda: order_id in screen.details, what="detail loaded")
        await wait_for_workers(pilot)
        shown = next(p for p in screen.details[order_id][1] if p.id == purchase_id)
        assert not shown.refunded_amount

        client = app.ctx.client
        store = app.ctx.store
        request = await client.refunds.create(
            reason="customer_request", purchase_id=purchase_id, scope="purchase_custom",
            amount=Decimal("100.00"),
        )  # fmt: skip
        queue = Query(
            "refunds",
            lambda: client.refunds.list(edition_id=app.ctx.edition.id, ordering="-created"),
            params={"edition_id": app.ctx.edition.id, "ordering": "-created"},
        )
        await store.refresh(queue)  # the refund queue, as its poll reads it
        await client.refunds.approve(request.id)

        def status() -> Any:
            return db.scalar("SELECT status FROM refund_requests WHERE id = ?", (request.id,))

        await wait_until(
            pilot, lambda: status() in ("processed", "failed"), within=20, what="the gateway"
        )
        assert status() == "processed"
        assert db.scalar("SELECT refunded_amount FROM purchases WHERE id = ?", (purchase_id,))
        await store.refresh(queue)  # the poll sees it processed: its order is now stale

        def refunded_shown() -> bool:
            detail = screen.details.get(order_id)
            if detail is None:
                return False
            purchase = next(p for p in detail[1] if p.id == purchase_id)
            return purchase.refunded_amount == Decimal("100.00")

        await wait_until(pilot, refunded_shown, what="the new refunded amount")
        await wait_for_workers(pilot)
        refunded_line = next(
            line for line in plain(screen.query_one("#order-transaction")).splitlines()
            if "Refunded" in line
        )  # fmt: skip
        assert "100.00" in refunded_line
