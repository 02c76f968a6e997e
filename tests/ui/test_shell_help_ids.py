"""``?`` never cuts a binding id (the [keymap] table needs them exactly), even at 80 columns."""

from __future__ import annotations

import io

from rich.console import Console

from preo_tui.ui.refunds.screen import RefundsScreen
from preo_tui.ui.shell.help import HelpScreen, binding_rows
from tests.fixtures.app import AppFactory, wait_for_home, wait_for_screen


async def test_every_binding_id_is_shown_whole_at_80_columns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.jump("refunds")
        screen = await wait_for_screen(pilot, RefundsScreen)
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen)
        width = help_screen.query_one("#help-table").content_region.width
        assert 0 < width <= 80
        out = io.StringIO()
        Console(file=out, width=width, color_system=None).print(help_screen._table())
        drawn = out.getvalue()
        ids = [row[3] for row in binding_rows(screen) if row[3]]
        assert any(len(i) >= 20 for i in ids)  # long ones such as refunds.all_editions
        for binding_id in ids:
            assert binding_id in drawn, binding_id
        assert "…" not in drawn
