"""Snapshots of ``:orders`` at 80x24 and 160x48: the list with its detail pane (an order with
refund requests) and the filter form (with field errors)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from preo_tui.ui.orders.filters import OrderFilterModal
from preo_tui.ui.orders.screen import OrdersScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    SandboxBackend,
    no_blink,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)


async def orders_with_detail(pilot: Any, backend: SandboxBackend) -> OrdersScreen:
    screen = await open_first_page(pilot, "orders", OrdersScreen, what="orders")
    # An order with refund requests, on the first page (newest first).
    order_id = backend.state.db.scalar(
        "SELECT r.order_id FROM refund_requests r JOIN orders o ON o.id = r.order_id"
        " WHERE r.edition_id = ? ORDER BY o.created DESC LIMIT 1",
        (pilot.app.ctx.edition.id,),
    )
    await wait_until(pilot, lambda: screen.table.move_to_id(order_id), what="order in window")
    await wait_until(pilot, lambda: order_id in screen.details, what="detail")
    await wait_for_workers(pilot)
    return screen


@pytest.mark.parametrize("size", SIZE_IDS)
def test_orders_list_and_detail(
    snap_compare: Any, make_still_app: AppFactory, still_sandbox_backend: SandboxBackend, size: str
) -> None:
    async def before(pilot: Any) -> None:
        await orders_with_detail(pilot, still_sandbox_backend)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_orders_filter_form(
    snap_compare: Any, make_still_app: AppFactory, still_sandbox_backend: SandboxBackend, size: str
) -> None:
    async def before(pilot: Any) -> None:
        await orders_with_detail(pilot, still_sandbox_backend)
        await pilot.press("f")
        form = await wait_for_screen(pilot, OrderFilterModal)
        form.query_one("#f-created_after", Input).value = "2026-06-31"
        form.query_one("#f-customer_phone", Input).value = "+86 138 0013 8000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("customer_phone") != "", what="errors")
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
