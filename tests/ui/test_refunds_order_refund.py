"""``:refunds`` › ``N``: a refund request for the whole order of the request under the cursor
(the same dialog as ``:orders`` › ``N``); refused with the shared toast on a read-only profile."""

from __future__ import annotations

from preo_tui.ui.orders.transaction_refund import TransactionRefundModal
from tests.fixtures.app import AppFactory, wait_for_screen, wait_until
from tests.ui.helpers import open_refunds

SIZE = (160, 48)


async def test_n_opens_the_whole_order_refund_of_the_request(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        assert item is not None and item.order_id
        await pilot.press("N")
        modal = await wait_for_screen(pilot, TransactionRefundModal)
        assert modal.order.id == item.order_id


async def test_n_on_a_read_only_profile_says_why(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refunds(pilot)
        app.ctx.read_only = True
        await pilot.press("N")
        await wait_until(
            pilot,
            lambda: any("read-only" in n.message for n in app._notifications),
            what="the read-only toast",
        )
        assert app.screen is screen
