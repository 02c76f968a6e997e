"""``:emails`` › ``n`` creates a message (title, type, scope, template) and ``d`` deletes one
(asks; a platform default is refused on the spot; a message in use is refused by the server)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from preo_tui.ui.emails.create import EmailCreateModal
from preo_tui.ui.emails.screen import EmailsScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_list_screen, requests_sent

SIZE = (160, 48)


def count(backend: SandboxBackend, where: str, *params: Any) -> int:
    return int(
        backend.state.db.scalar(f"SELECT COUNT(*) FROM email_messages WHERE {where}", params)
    )


async def test_create_then_delete_a_message(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list_screen(pilot, "emails", EmailsScreen, what="email messages")
        await wait_for_workers(pilot)
        await pilot.press("n")
        form = await wait_for_screen(pilot, EmailCreateModal)
        sent = requests_sent(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("title") != "", what="title error")
        assert requests_sent(app) == sent
        form.query_one("#f-title", Input).value = "Parking info"
        form.query_one("#f-type", Select).value = "reminder"
        form.query_one("#f-subject", Input).value = "Where to park"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, EmailsScreen)
        await wait_until(
            pilot,
            lambda: (
                screen.table.current_item is not None
                and screen.table.current_item.title == "Parking info"
            ),
            what="new message",
        )
        row = sandbox_backend.state.db.one(
            "SELECT * FROM email_messages WHERE title = 'Parking info'"
        )
        assert row["type"] == "reminder" and row["scope"] == "edition"
        assert row["edition_id"] == app.ctx.edition.id and row["template"] == "modern"
        await wait_for_workers(pilot)
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: count(sandbox_backend, "id = ?", row["id"]) == 0, what="deleted"
        )
        await wait_until(
            pilot, lambda: all(m.id != row["id"] for m in screen.table.items), what="row gone"
        )


async def test_platform_defaults_cannot_be_deleted(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list_screen(pilot, "emails", EmailsScreen, what="email messages")
        await wait_for_workers(pilot)
        platform = next(m for m in screen.table.items if str(m.scope) == "platform")
        assert screen.table.move_to_id(platform.id)
        await pilot.pause()
        sent = requests_sent(app)
        await pilot.press("d")
        await wait_until(
            pilot,
            lambda: any("platform default" in str(n.message) for n in app._notifications),
            what="the refusal",
        )
        assert not isinstance(app.screen, ConfirmModal)
        assert requests_sent(app) == sent
        assert count(sandbox_backend, "id = ?", platform.id) == 1


async def test_a_message_in_use_is_refused_by_the_server(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list_screen(pilot, "emails", EmailsScreen, what="email messages")
        await wait_for_workers(pilot)
        db = sandbox_backend.state.db
        used = {
            row["transaction_receipt_email_id"]
            for row in db.query("SELECT transaction_receipt_email_id FROM editions")
        }
        item = next(m for m in screen.table.items if m.id in used and str(m.scope) != "platform")
        assert screen.table.move_to_id(item.id)
        await pilot.pause()
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: any("uses this email message" in str(n.message) for n in app._notifications),
            what="the server's refusal",
        )
        assert count(sandbox_backend, "id = ?", item.id) == 1
        assert any(m.id == item.id for m in screen.table.items)
