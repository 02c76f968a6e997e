"""Snapshots of ``:webhooks`` (endpoints with their stats and detail) and of a delivery's detail
(payload, response, signature help) at 80x24 and 160x48."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.ui.webhooks.deliveries import DeliveriesScreen
from preo_tui.ui.webhooks.screen import WebhooksScreen
from tests.fixtures.app import SIZES, AppFactory, wait_for_screen, wait_for_workers, wait_until
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)


async def webhooks_ready(pilot: Any) -> WebhooksScreen:
    screen = await open_first_page(pilot, "webhooks", WebhooksScreen, what="endpoints")
    await wait_until(
        pilot, lambda: all(e.id in screen.stats for e in screen.table.items), what="stats"
    )
    await wait_for_workers(pilot)
    return screen


@pytest.mark.parametrize("size", SIZE_IDS)
def test_webhooks_list(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await webhooks_ready(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_delivery_detail(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        screen = await webhooks_ready(pilot)
        target = next(e for e in screen.table.items if e.name == "Order sync (ERP)")
        screen.table.move_to_id(target.id)
        await pilot.press("enter")
        deliveries: DeliveriesScreen = await wait_for_screen(pilot, DeliveriesScreen)
        await wait_until(pilot, lambda: deliveries.table.total is not None, what="deliveries")
        first = deliveries.table.current_item
        assert first is not None
        await wait_until(pilot, lambda: first.id in deliveries.details, what="detail")
        await wait_for_workers(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
