"""Filing a refund on a cancelled purchase warns first (issue 15)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.app import App
from textual.widgets import Static

from preo_tui.api.purchases import Purchase
from preo_tui.ui.refunds.form import RefundForm, cancelled_warning
from tests.fixtures.app import wait_for_screen


def purchase(status: str) -> Purchase:
    return Purchase.model_validate(
        {"id": "pur_1", "status": status, "amount": "410.00", "product_name": "Camping Spot"}
    )


async def never(action: Any) -> Any:
    raise AssertionError("not sent")


def no_action(draft: Any) -> Any:
    raise AssertionError("no action is built")


class Host(App[None]):
    def __init__(self, p: Purchase) -> None:
        super().__init__()
        self.p = p

    def on_mount(self) -> None:
        self.push_screen(RefundForm(self.p, submit=never, action_for=no_action, currency="DKK"))


async def test_the_form_warns_about_a_cancelled_purchase() -> None:
    app = Host(purchase("cancelled"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await wait_for_screen(pilot, RefundForm)
        warning = str(form.query_one("#form-cancelled", Static).render())
        assert "cancelled" in warning and "already back" in warning


async def test_no_warning_for_an_active_purchase() -> None:
    app = Host(purchase("active"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await wait_for_screen(pilot, RefundForm)
        assert not form.query("#form-cancelled")


def test_a_cancelled_order_warns_too() -> None:
    class Order:
        status = "cancelled"

    assert "order is cancelled" in cancelled_warning(purchase("active"), Order())
    assert cancelled_warning(purchase("active")) == ""
    assert Decimal("410.00") == purchase("active").amount
