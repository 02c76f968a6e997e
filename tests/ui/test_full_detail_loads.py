"""Detail panes load the full object: ``:editions`` (Get edition details) and ``:users``
(Retrieve user) show the list row at once and the full object when it arrives. The server's
object is changed after the list was read, so only the detail request can show the change."""

from __future__ import annotations

from preo_tui.ui.editions.screen import EditionsScreen
from preo_tui.ui.users.screen import UsersScreen
from tests.fixtures.app import AppFactory, SandboxBackend, wait_until
from tests.ui.helpers import open_first_page, plain

SIZE = (160, 48)


async def test_edition_detail_loads_the_full_edition(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first_page(pilot, "editions", EditionsScreen, what="editions")
        target = screen.table.items[-1]
        db = sandbox_backend.state.db
        with db.transaction():
            db.execute(
                "UPDATE editions SET full_name = ? WHERE id = ?",
                ("Renamed on the server", target.id),
            )
        before = app.ctx.client.requests_sent
        # The server holds its answers: the row must show at once, without the detail read.
        sandbox_backend.held = True
        assert screen.table.move_to_id(target.id)
        info = screen.query_one("#edition-info")
        assert target.full_name is not None
        await wait_until(pilot, lambda: target.full_name in plain(info), what="the row at once")
        sandbox_backend.held = False
        await wait_until(pilot, lambda: target.id in screen.full, what="full edition")
        assert app.ctx.client.requests_sent > before
        await wait_until(
            pilot, lambda: "Renamed on the server" in plain(info), what="full object shown"
        )
        # the list row is untouched until the list is read again
        assert next(e for e in screen.table.items if e.id == target.id).full_name != (
            "Renamed on the server"
        )


async def test_customer_detail_loads_the_full_customer(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first_page(pilot, "users", UsersScreen, what="customers")
        target = screen.table.items[3]
        db = sandbox_backend.state.db
        with db.transaction():
            db.execute("UPDATE users SET last_name = ? WHERE id = ?", ("Fullobject", target.id))
        sandbox_backend.held = True  # the row first, while the server holds its answer
        assert screen.table.move_to_id(target.id)
        info = screen.query_one("#user-info")
        last = target.last_name or ""
        await wait_until(pilot, lambda: last in plain(info), what="the row at once")
        assert "Fullobject" not in plain(info)
        sandbox_backend.held = False
        await wait_until(pilot, lambda: target.id in screen.full_users, what="full customer")
        await wait_until(pilot, lambda: "Fullobject" in plain(info), what="full object shown")
