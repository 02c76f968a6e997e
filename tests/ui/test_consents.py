"""``:consents`` against the sandbox: the list with customer and segment counts, create and edit
with the preview, delete (asks; the server's refusal while a segment uses it is shown), and the
jump from a segment or a customer to its consent."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from preo_tui.ui.consents.form import ConsentFormModal
from preo_tui.ui.consents.screen import ConsentsScreen
from preo_tui.ui.segments.screen import SegmentsScreen
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, plain, requests_sent

SIZE = (160, 48)


async def open_consents(pilot: Any) -> ConsentsScreen:
    screen = await open_first_page(pilot, "consents", ConsentsScreen, what="consents")
    await wait_until(pilot, lambda: screen.usage is not None, what="segment usage")
    await wait_for_workers(pilot)
    return screen


def one(backend: SandboxBackend, sql: str, *params: Any) -> Any:
    return backend.state.db.scalar(sql, params)


async def test_list_counts_customers_and_segments(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_consents(pilot)
        org = app.ctx.organization.id
        assert screen.table.total == one(
            sandbox_backend, "SELECT COUNT(*) FROM consents WHERE organization_id = ?", org
        )
        used_id = one(
            sandbox_backend,
            "SELECT consent_id FROM segments WHERE consent_id IS NOT NULL AND organization_id = ?",
            org,
        )
        item = next(c for c in screen.table.items if c.id == used_id)
        segments = one(
            sandbox_backend, "SELECT COUNT(*) FROM segments WHERE consent_id = ?", used_id
        )
        users = one(
            sandbox_backend, "SELECT COUNT(*) FROM user_consents WHERE consent_id = ?", used_id
        )
        cells = screen.row_cells(item)
        assert str(cells[4]) == str(segments) and str(cells[3]) == f"{users:,}"
        screen.table.move_to_id(used_id)
        await wait_until(pilot, lambda: used_id in screen.details, what="full consent")
        await pilot.pause()
        text = plain(screen.query_one("#detail-content"))
        assert "Used by segments" in text and "Customer sees:" in text


async def test_create_edit_and_delete_with_in_use_refusal(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_consents(pilot)
        await pilot.press("n")
        form = await wait_for_screen(pilot, ConsentFormModal)
        sent = requests_sent(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("name") != "", what="name error")
        assert requests_sent(app) == sent
        form.query_one("#f-name", Input).value = "Partner offers"
        form.query_one("#f-channel", Select).value = "sms"
        form.query_one("#f-description", Input).value = "Texts from our partners"
        await wait_until(
            pilot,
            lambda: "Texts from our partners" in plain(form.query_one("#consent-preview")),
            what="preview",
        )
        assert "sms" in plain(form.query_one("#consent-preview"))
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ConsentsScreen)
        await wait_until(
            pilot,
            lambda: (
                screen.table.current_item is not None
                and screen.table.current_item.name == "Partner offers"
            ),
            what="new consent",
        )
        new_id = screen.table.current_item.id
        row = sandbox_backend.state.db.one("SELECT * FROM consents WHERE id = ?", (new_id,))
        assert row["channel"] == "sms" and row["description"] == "Texts from our partners"
        # edit
        await wait_for_workers(pilot)
        await pilot.press("e")
        form = await wait_for_screen(pilot, ConsentFormModal)
        form.query_one("#f-description", Input).value = "Texts from our festival partners"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ConsentsScreen)
        await wait_until(
            pilot,
            lambda: (
                one(sandbox_backend, "SELECT description FROM consents WHERE id = ?", new_id)
                == "Texts from our festival partners"
            ),
            what="edited",
        )
        # delete an unused one: asks, then deletes
        await wait_for_workers(pilot)
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: not one(sandbox_backend, "SELECT COUNT(*) FROM consents WHERE id = ?", new_id),
            what="deleted",
        )
        await wait_until(
            pilot, lambda: all(c.id != new_id for c in screen.table.items), what="row gone"
        )
        # one a segment uses: the server refuses, the detail says why, nothing deleted
        used_id = one(
            sandbox_backend,
            "SELECT consent_id FROM segments WHERE consent_id IS NOT NULL AND organization_id = ?",
            app.ctx.organization.id,
        )
        await wait_for_workers(pilot)
        assert screen.table.move_to_id(used_id)
        await pilot.pause()
        await pilot.press("d")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "the server will refuse" in modal.body_text
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.refusal is not None, what="refusal")
        assert "segment" in screen.refusal[1]
        assert "Refused by the server" in plain(screen.query_one("#detail-content"))
        assert one(sandbox_backend, "SELECT COUNT(*) FROM consents WHERE id = ?", used_id) == 1


async def test_segments_and_customers_jump_to_their_consent(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        segments = await open_first_page(pilot, "segments", SegmentsScreen, what="segments")
        segment = next(s for s in segments.table.items if s.consent_id)
        segments.table.move_to_id(segment.id)
        await pilot.pause()
        await pilot.press("C")
        consents: ConsentsScreen = await wait_for_screen(pilot, ConsentsScreen)
        await wait_until(
            pilot,
            lambda: (
                consents.table.current_item is not None
                and consents.table.current_item.id == segment.consent_id
            ),
            what="the segment's consent",
        )
        # a customer with one consent
        user_id, consent_id = sandbox_backend.state.db.one(
            "SELECT uc.user_id, MIN(uc.consent_id) FROM user_consents uc GROUP BY uc.user_id"
            " HAVING COUNT(*) = 1 LIMIT 1"
        )
        email = one(sandbox_backend, "SELECT email FROM users WHERE id = ?", user_id)
        assert app.jump("users")
        users: UsersScreen = await wait_for_screen(pilot, UsersScreen)
        users.apply_filter(email)
        await wait_until(
            pilot,
            lambda: users.table.total == 1 and users.table.current_item.id == user_id,
            what="the customer",
        )
        await pilot.press("C")
        consents = await wait_for_screen(pilot, ConsentsScreen)
        await wait_until(
            pilot,
            lambda: (
                consents.table.current_item is not None
                and consents.table.current_item.id == consent_id
            ),
            what="the customer's consent",
        )
