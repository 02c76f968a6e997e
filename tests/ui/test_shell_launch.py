"""Launch and frame: the app signs in to the sandbox and draws the home screen."""

from __future__ import annotations

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.widgets.badge import EnvironmentBadge
from tests.fixtures.app import AppFactory, wait_for_home, wait_until


async def test_signed_in_launch_shows_home_with_context(make_app: AppFactory) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_for_home(pilot)
        assert isinstance(screen, HomeScreen)
        assert app.ctx.me is not None
        assert app.ctx.organization is not None
        assert app.ctx.role == "admin"
        assert app.ctx.edition is not None
        badge = screen.query_one(EnvironmentBadge)
        assert str(badge.render()) == "SANDBOX"
        assert app.connection_state == "online"


async def test_production_badge_and_header(make_app: AppFactory) -> None:
    from textual.widgets import Static

    from preo_tui.config import default_settings
    from preo_tui.ui.widgets.frame import PreoHeader

    profile = default_settings().profile("production")
    app = make_app(profile=profile)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_home(pilot)
        assert app.ctx.is_production
        badge = screen.query_one(EnvironmentBadge)
        assert str(badge.render()) == "PRODUCTION"
        assert badge.has_class("-production")
        assert screen.query_one(PreoHeader).has_class("-production")
        # A custom profile pointing at production is production too (classified by host).
        custom = profile.model_copy(update={"name": "mine", "builtin": False})
        assert make_app(profile=custom).ctx.is_production
        assert "Astrid Holm (admin)" in str(screen.query_one("#header-who", Static).render())


async def test_read_only_profile_is_shown(make_app: AppFactory) -> None:
    from textual.widgets import Static

    from tests.fixtures.app import sandbox_profile

    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_home(pilot)
        assert not app.ctx.can_write
        assert "read-only" in str(screen.query_one("#header-who", Static).render())


async def test_organization_switch(make_app: AppFactory) -> None:
    app = make_app(role="admin")  # admin in both organizations
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        first = app.ctx.organization
        assert len(app.ctx.organizations) == 2
        other = next(o for o in app.ctx.organizations if o != first)
        assert app.jump(f"org {other.name}")
        await wait_until(
            pilot,
            lambda: app.ctx.organization == other and app.ctx.edition is not None,
            what="switch",
        )
        assert app.ctx.edition.organization_id in (other.id, "")
        assert all(e.organization_id in (other.id, "") for e in app.editions)
        await wait_until(
            pilot,
            lambda: home.summary is not None and home.summary.edition_id == app.ctx.edition.id,
            what="dashboard of the other organization",
        )
