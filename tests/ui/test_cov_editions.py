"""``:editions`` paths not covered by tests/ui/test_editions.py: ``h`` runs the healthcheck
again, and while offline ``n``/``e``/``c`` are refused with a message and no form opens."""

from __future__ import annotations

from typing import Any

from preo_tui.ui.editions.screen import EditionsScreen
from tests.fixtures.app import AppFactory, SandboxBackend, wait_until
from tests.ui.test_editions import open_editions


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_healthcheck_again_and_offline_refusals(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen: EditionsScreen = await open_editions(pilot)
        item = screen.table.current_item
        assert item is not None
        await wait_until(pilot, lambda: item.id in screen.health, what="the healthcheck")
        first = screen.health[item.id]
        await pilot.press("h")
        await wait_until(
            pilot,
            lambda: item.id in screen.health and screen.health[item.id] is not first,
            what="the healthcheck run again",
        )

        sandbox_backend.go_offline()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.ctx.offline, what="offline mode")
        for key in ("n", "e", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key  # no form opened
        await wait_until(
            pilot,
            lambda: toasts(app).count("Offline: writes are refused.") == 3,
            what="three refusals",
        )
