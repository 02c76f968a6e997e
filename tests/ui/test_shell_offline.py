"""Offline mode: the sandbox stops mid-session, and a warm start with the server unreachable.
The app keeps working read-only on the cache, says so, and refuses writes clearly."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.widgets.frame import StatusLine
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


def status_text(app: Any) -> str:
    line = app.screen.query_one(StatusLine)
    line.update_status()
    return str(line.render())


async def test_sandbox_stopped_mid_session(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        figures = home.summary
        assert "online" in status_text(app)
        sandbox_backend.go_offline()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.ctx.offline, what="offline mode")
        assert app.connection_state == "offline"
        text = status_text(app)
        assert "offline" in text and "read-only on cached data" in text
        assert home.summary == figures  # the cached figures stay on screen
        assert "offline" in str(home.query_one("#home-state", Static).render())
        assert any(n.title == "Offline" for n in app._notifications)
        assert not app.ctx.can_write

        # A write is refused with a clear message, not attempted.
        from preo_tui.store import Query

        async def write() -> None:
            async def never_sent(key: str) -> None:
                raise AssertionError("a write was sent while offline")

            await app.ctx.store.write(
                never_sent,
                resource="refunds",
                action="approve",
                object_ids=["rfr_x"],
                summary="test",
            )

        home.run_job(write())
        await wait_until(
            pilot,
            lambda: any(
                "Offline" in (n.title or "") and "changes are disabled" in n.message
                for n in app._notifications
            ),
            what="refusal",
        )
        assert Query  # imported for the store's API shape

        # The server comes back: the next refresh goes online again.
        sandbox_backend.go_online()
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.ctx.offline, what="online again")
        assert "online" in status_text(app)


async def test_warm_start_while_the_server_is_unreachable(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        figures = home.summary
        edition = first.ctx.edition
    sandbox_backend.go_offline()
    second = make_app()
    async with second.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, HomeScreen)
        await wait_until(pilot, lambda: second.ctx.offline, what="offline start")
        await wait_until(pilot, lambda: screen.summary is not None, what="cached figures")
        assert screen.summary.model_dump(mode="json") == figures.model_dump(mode="json")
        assert second.ctx.edition == edition
        assert second.ctx.me is not None
        assert "read-only on cached data" in status_text(second)


async def test_warm_start_offline_then_the_server_returns(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
    sandbox_backend.go_offline()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, HomeScreen)
        await wait_until(pilot, lambda: app.ctx.offline, what="offline start")
        sandbox_backend.go_online()
        await pilot.press("r")
        await wait_for_home(pilot)
        assert not app.ctx.offline
        assert app.connection_state == "online"


async def test_unreachable_server_without_cache_says_so(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    sandbox_backend.go_offline()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, HomeScreen)
        await wait_until(
            pilot,
            lambda: any(n.title == "Server unreachable" for n in app._notifications),
            what="the message",
        )
        assert app.connection_state == "offline"
        sandbox_backend.go_online()
        await pilot.press("r")
        await wait_for_home(pilot)


async def test_offline_first_visit_says_nothing_is_cached(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    from preo_tui.ui.segments.screen import SegmentsScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        sandbox_backend.go_offline()
        assert app.jump("segments")  # never opened in this session: nothing cached
        screen = await wait_for_screen(pilot, SegmentsScreen)
        status = screen.query_one("#list-status", Static)
        await wait_until(
            pilot,
            lambda: "offline — nothing cached yet" in str(status.render()),
            what="the offline line",
        )
        assert "loading" not in str(status.render())
        sandbox_backend.go_online()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.table.total is not None, what="loaded")
