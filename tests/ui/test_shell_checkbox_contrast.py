"""Ticked and unticked checkboxes differ without colour: on a 16-colour theme an unticked box
is empty (its mark in the background colour), a ticked one shows its mark."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Checkbox

import preo_tui.ui

CSS = Path(preo_tui.ui.__file__).parent / "styles" / "app.tcss"


class Boxes(App[None]):
    CSS_PATH = str(CSS)

    def __init__(self, theme: str) -> None:
        super().__init__()
        self.wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield Checkbox("off", False, id="off")
        yield Checkbox("on", True, id="on")

    def on_mount(self) -> None:
        self.theme = self.wanted_theme


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light", "textual-dark"])
async def test_unticked_is_empty_and_ticked_is_marked(theme: str) -> None:
    app = Boxes(theme)
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        off = app.query_one("#off", Checkbox).get_visual_style("toggle--button")
        on = app.query_one("#on", Checkbox).get_visual_style("toggle--button")
        assert off.foreground == off.background  # nothing drawn: an empty box
        assert on.foreground != on.background
        assert on.bold
