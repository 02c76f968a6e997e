from tests.fixtures.app import *  # noqa
from preo_tui.ui.screens.editions import EditionsScreen

async def test_smoke(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        app.jump("editions")
        screen = await wait_for_screen(pilot, EditionsScreen)
        await wait_until(pilot, lambda: screen.table.row_count > 0)
        await wait_for_workers(pilot)
        await pilot.pause(0.3)
        await wait_for_workers(pilot)
        print([e.name for e in screen.table.items])
        print(screen.query_one("#edition-health").render())
        import sys; sys.path.insert(0, "/tmp"); from shot import text_shot; print(text_shot(app))
