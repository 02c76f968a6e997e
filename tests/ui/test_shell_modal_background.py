"""Dialogs do not blank the screen behind them: the app's ``Screen { background }`` rule also
matches modal screens, so the header, the environment badge and the row being decided
disappeared behind every dialog."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Label

import preo_tui.ui

CSS = Path(preo_tui.ui.__file__).parent / "styles" / "app.tcss"


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Label("Approve?")


class StyledApp(App[None]):
    CSS_PATH = str(CSS)

    def compose(self) -> ComposeResult:
        yield Label("SANDBOX · the row being decided")


async def test_a_dialog_leaves_the_screen_behind_visible() -> None:
    app = StyledApp()
    async with app.run_test(size=(80, 24)) as pilot:
        base = app.screen.styles.background
        assert base.a == 1.0
        await app.push_screen(Dialog())
        await pilot.pause()
        assert isinstance(app.screen, Dialog)
        assert app.screen.styles.background.a < 1.0  # translucent: the screen shows through
