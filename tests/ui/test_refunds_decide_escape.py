"""Escape in a refund decision with a typed comment asks before throwing it away (issue 15)."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input

from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import wait_for_screen, wait_until


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(DecisionModal("approve", "Approve 100.00 DKK?"), self.results.append)


async def test_escape_with_a_typed_comment_asks_first() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = await wait_for_screen(pilot, DecisionModal)
        await pilot.press(*"customer called twice")
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await wait_for_screen(pilot, DecisionModal)
        assert modal.query_one("#decision-text", Input).value == "customer called twice"
        assert app.results == []
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")  # discard
        await wait_until(pilot, lambda: app.results == [None], what="cancelled")


async def test_escape_without_a_comment_cancels_at_once() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None], what="cancelled")
