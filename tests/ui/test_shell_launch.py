"""Launch and frame: the app signs in to the sandbox and draws the home screen."""

from __future__ import annotations

from preo_tui.ui.screens.home import HomeScreen
from preo_tui.ui.widgets.badge import EnvironmentBadge
from tests.fixtures.app import AppFactory, wait_for_home


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
