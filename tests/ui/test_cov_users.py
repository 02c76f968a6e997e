"""``:users`` keys not covered by tests/ui/test_users.py: ``y`` copies the e-mail, ``C`` on a
customer without consent says so, on one with several asks which and opens ``:consents`` on it,
and ``enter`` (edit) refused while offline."""

from __future__ import annotations

from typing import Any

from preo_tui.ui.consents.screen import ConsentsScreen
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_screen, wait_until
from tests.ui.test_users import open_users


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def cursor_on(pilot: Any, screen: UsersScreen, user: Any) -> None:
    assert screen.table.move_to_id(user.id)
    await wait_until(
        pilot,
        lambda: screen.table.current_item is not None and screen.table.current_item.id == user.id,
        what="the cursor on the customer",
    )


async def test_copy_consents_and_offline_edit(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_users(pilot)
        users = list(screen.table.items)
        none = next(u for u in users if not u.consents and u.email)
        several = next(u for u in users if len(u.consents or []) > 1)

        await cursor_on(pilot, screen, none)
        await pilot.press("y")
        assert app.last_copied == none.email
        await pilot.press("C")
        await wait_until(
            pilot, lambda: "This customer granted no consent." in toasts(app), what="no consent"
        )

        await cursor_on(pilot, screen, several)
        await pilot.press("C")
        modal = await wait_for_screen(pilot, ChoiceModal)
        assert modal.title_text == "Open which consent?"
        assert [c.value for c in modal.choices] == list(several.consents or [])
        await pilot.press("enter")  # the first one
        consents = await wait_for_screen(pilot, ConsentsScreen)
        await wait_until(
            pilot,
            lambda: (
                consents.table.current_item is not None
                and consents.table.current_item.id == several.consents[0]
            ),
            what="the cursor on the chosen consent",
        )
        await pilot.press("escape")
        await wait_for_screen(pilot, UsersScreen)

        sandbox_backend.go_offline()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.ctx.offline, what="offline mode")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "Offline: writes are refused." in toasts(app), what="the refusal"
        )
        assert app.screen is screen
