"""Stale-while-revalidate on list screens: a list opened again shows the cached page at once,
marked with its age, while the server is still answering; then it revalidates in place."""

from __future__ import annotations

import httpx

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.refunds.screen import RefundsScreen
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_refunds


async def test_reopened_list_shows_cache_then_revalidates(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot, detail=False)
        first = screen.table.items[0]
        assert first.status == "requested"

        await pilot.press("escape")
        await wait_for_screen(pilot, HomeScreen)
        await wait_for_workers(pilot)

        # Someone else decides the first request; the server's answer then gets slow.
        headers = {"Authorization": f"Bearer {sandbox_backend.token('admin')}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox_backend.asgi),
            base_url="http://sandbox",
            headers=headers,
        ) as other:
            answer = await other.post(f"/v1/refund-requests/{first.id}/approve", json={})
            assert answer.status_code == 200, answer.text
        sandbox_backend.hold()

        assert app.jump("refunds")
        again: RefundsScreen = await wait_for_screen(pilot, RefundsScreen)
        # Drawn from the cache while every request is held: the old page, with its age.
        await wait_until(pilot, lambda: again.table.total is not None, what="the cached page")
        assert again.table.items[0].id == first.id
        assert again.data_as_of is not None

        sandbox_backend.release()
        await wait_until(
            pilot,
            lambda: first.id not in {item.id for item in again.table.items},
            what="the revalidated window",
        )
