"""The home dashboard: its figures match the server, cards lead to their screens (or say the
screen is not available), the dashboard follows the edition, and a warm start draws cached
figures before the network answers."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from textual.widgets import Static

from preo_tui.ui.home.screen import DashCard, HomeScreen
from preo_tui.ui.registry import REGISTRY
from tests.fixtures.app import (
    SANDBOX_NOW,
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


async def test_figures_match_the_server(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        home = await wait_for_home(pilot)
        summary = home.summary
        client = app.ctx.client
        edition = app.ctx.edition
        refunds = await client.refunds.list(edition_id=edition.id, status="requested", page_size=1)
        scheduled = await client.campaigns.list(
            edition_id=edition.id, status="scheduled", page_size=1
        )
        failed = await client.segments.list(edition_id=edition.id, status="failed", page_size=1)
        zone = ZoneInfo(edition.timezone)
        midnight = datetime.combine(SANDBOX_NOW.astimezone(zone).date(), time.min, tzinfo=zone)
        orders = await client.orders.list(
            edition_id=edition.id, created_after=midnight.astimezone(UTC), page_size=500
        )
        assert summary.refunds_waiting == refunds.count
        assert summary.campaigns_scheduled == scheduled.count
        assert summary.segments_failed == failed.count
        assert summary.orders_today == orders.count
        revenue = sum(
            (Decimal(str(o.amount)) for o in orders.results if str(o.status) != "cancelled"),
            Decimal(0),
        )
        assert summary.revenue_today == revenue
        card = str(home.query_one("#card-refunds", DashCard).render())
        assert f"{refunds.count:,}" in card


async def test_cards_lead_to_their_screens_or_say_not_available(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        for key, name in (("1", "refunds"), ("2", "campaigns"), ("3", "segments"), ("4", "orders")):
            await pilot.press(key)
            await pilot.pause()
            entry = REGISTRY.resolve(name)
            if entry is None:
                assert isinstance(app.screen, HomeScreen)
                await wait_until(
                    pilot,
                    lambda n=name: any(
                        f":{n} is not available" in x.message for x in app._notifications
                    ),
                    what="message",
                )
                card = str(app.screen.query_one(f"#card-{name}", DashCard).render())
                assert "not available" in card
            else:
                await wait_for_screen(pilot, entry.screen_class)
                await pilot.press("escape")
                await wait_for_screen(pilot, HomeScreen)


async def test_enter_opens_the_focused_card(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        assert isinstance(home.focused, DashCard) and home.focused.target == "refunds"
        await pilot.press("l", "l", "l")
        assert home.focused.target == "orders"
        await pilot.press("h")
        assert home.focused.target == "segments"


async def test_dashboard_follows_the_edition(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        other = next(e for e in app.editions if e != app.ctx.edition)
        app.set_edition(other)
        await wait_until(
            pilot,
            lambda: home.summary is not None and home.summary.edition_id == other.id,
            what="reload",
        )
        assert other.name in str(home.query_one("#home-edition", Static).render())


async def test_warm_start_draws_cached_figures_before_the_network(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        figures = (await wait_for_home(pilot)).summary
    sandbox_backend.hold()
    second = make_app()
    async with second.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, HomeScreen)
        # Drawn from the disk cache while no answer has arrived yet.
        await wait_until(pilot, lambda: screen.summary is not None, what="cached figures")
        assert not second.session_ready.is_set()
        assert screen.summary.model_dump(mode="json") == figures.model_dump(mode="json")
        assert second.ctx.edition is not None and second.ctx.me is not None
        sandbox_backend.release()
        await wait_for_home(pilot)


async def test_segments_card_opens_the_set_it_counts(make_app: AppFactory) -> None:
    """Card 3 counts failed, stuck and calculating segments: it opens all of them."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        home = await wait_for_home(pilot)
        entry = REGISTRY.resolve("segments")
        assert entry is not None
        summary = home.summary
        assert summary.segments_failed or summary.segments_busy  # the seed has some
        await pilot.press("3")
        screen = await wait_for_screen(pilot, entry.screen_class)
        await wait_until(
            pilot,
            lambda: getattr(screen, "filters", {}).get("status") == "failed,pending,processing",
            what="filter",
        )
        expected = summary.segments_failed + summary.segments_busy
        await wait_until(pilot, lambda: screen.table.total == expected, what="same set")


async def test_orders_card_opens_todays_orders(make_app: AppFactory) -> None:
    """Card 4 "Today's orders: N" opens Orders on the same N orders, not the whole list."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        home = await wait_for_home(pilot)
        entry = REGISTRY.resolve("orders")
        assert entry is not None
        today = home.summary.orders_today
        await pilot.press("4")
        screen = await wait_for_screen(pilot, entry.screen_class)
        await wait_until(
            pilot, lambda: screen.filters.created_after is not None, what="today's filter"
        )
        await wait_until(pilot, lambda: screen.table.total == today, what="same count")
        assert today < 1000  # the whole edition holds thousands
