"""Confirmation dialogs: yes/no, and typed confirmation (count or name) with the production
banner on production."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button, Input

from preo_tui.ui.widgets.badge import ProductionBanner
from preo_tui.ui.widgets.confirm import ConfirmModal, TypedConfirmModal


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[bool | None] = []


async def test_confirm_yes_no_keys() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmModal("Delete segment?", "It cannot be undone."), app.results.append)
        await pilot.pause()
        assert not app.screen.query(ProductionBanner)
        await pilot.press("y")
        await pilot.pause()
        app.push_screen(ConfirmModal("Delete segment?"), app.results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(ConfirmModal("Delete segment?"), app.results.append)
        await pilot.pause()
        await pilot.press("enter")  # enter is the dialog's primary action (escape/n cancel)
        await pilot.pause()
        assert app.results == [True, False, True]


async def test_typed_confirmation_needs_the_exact_text() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(
            TypedConfirmModal(
                "Approve 25 refund requests", "Total 6,250.00 EUR", expected="25", production=True
            ),
            app.results.append,
        )
        await pilot.pause()
        modal = app.screen
        assert modal.query(ProductionBanner)
        confirm = modal.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.press("2", "enter")  # wrong: stays open
        await pilot.pause()
        assert app.screen is modal and app.results == []
        assert confirm.disabled
        await pilot.press("5")
        assert not confirm.disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [True]


async def test_typed_confirmation_cancel() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(TypedConfirmModal("Send now", expected="Summer sale"), app.results.append)
        await pilot.pause()
        app.screen.query_one(Input).value = "Summer sale"
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [False]


async def test_typed_confirmation_is_typeable() -> None:
    """A name with an en dash and capitals is confirmed by what a keyboard types; the answer
    is shown in full above the box and is not the box's placeholder."""
    name = "Summer Sale – Last  Tickets"
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(
            TypedConfirmModal("Send now", expected=name, prompt="Type the campaign's name"),
            app.results.append,
        )
        await pilot.pause()
        modal = app.screen
        box = modal.query_one(Input)
        assert box.placeholder != name and "Sale" not in box.placeholder
        prompt = str(modal.query_one(".confirm-prompt").render())
        assert name in prompt
        await pilot.press(*"summer sale - last tickets", "enter")
        await pilot.pause()
        assert app.results == [True]


async def test_confirm_buttons_show_their_keys() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmModal("Delete segment?"), app.results.append)
        await pilot.pause()
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["No [n]", "Yes [y]"]
        assert app.screen.focused is app.screen.query_one("#confirm")
