"""Snapshots of ``:users`` at 80x24 and 160x48: the list with a customer's detail (orders
across editions, consents, totals) and the edit form with field errors."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from preo_tui.ui.users.form import UserFormModal
from preo_tui.ui.users.screen import UsersScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    no_blink,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)


async def users_with_detail(pilot: Any) -> UsersScreen:
    screen = await open_first_page(pilot, "users", UsersScreen, what="customers")
    # a customer with several orders
    target = next(u for u in screen.table.items if (u.order_count or 0) >= 3)
    screen.table.move_to_id(target.id)
    await wait_until(pilot, lambda: target.id in screen.user_orders, what="detail")
    await wait_for_workers(pilot)
    return screen


@pytest.mark.parametrize("size", SIZE_IDS)
def test_users_list_and_detail(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await users_with_detail(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_user_edit_form(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await users_with_detail(pilot)
        await pilot.press("enter")
        form = await wait_for_screen(pilot, UserFormModal)
        await wait_for_workers(pilot)
        form.query_one("#f-phone", Input).value = "20 12 34 56"
        form.query_one("#f-email", Input).value = "not an email"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("phone") != "", what="errors")
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
