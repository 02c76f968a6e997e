from tests.fixtures.app import *  # noqa
from preo_tui.ui.screens.orders import OrdersScreen
import sys; sys.path.insert(0, "/tmp"); from shot import text_shot
import pytest

@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_smoke(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_for_home(pilot)
        app.jump("orders")
        screen = await wait_for_screen(pilot, OrdersScreen)
        await wait_until(pilot, lambda: screen.table.row_count > 0)
        await pilot.pause(0.3)
        await wait_for_workers(pilot)
        print(text_shot(app))
