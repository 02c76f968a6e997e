"""The external-orders dialog before anything is sent: a missing file, ``tab`` with nothing to
complete, a CSV read and previewed, the confirmation declined (nothing sent), and escape
closing the dialog."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Input, Static

from preo_tui.ui.imports.external import ExternalOrdersScreen
from preo_tui.ui.imports.screen import ImportsScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_screen, wait_until
from tests.ui.test_imports import BIG, FIXTURES, open_imports


async def test_external_orders_dialog_before_sending(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    imports_before = sandbox_backend.state.db.scalar("SELECT count(*) FROM data_imports")
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        await open_imports(pilot)
        await pilot.press("E")
        dialog: ExternalOrdersScreen = await wait_for_screen(pilot, ExternalOrdersScreen)
        path = dialog.query_one("#x-path", Input)
        send = dialog.query_one("#x-send", Button)

        path.value = str(tmp_path / "nope.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.error_text.endswith("nope.json does not exist."))
        assert dialog.parsed is None and send.disabled

        candidates = dialog.query_one("#x-candidates", Static)
        path.value = f"{FIXTURES}/zzz"
        path.cursor_position = len(path.value)
        await pilot.press("tab")
        await wait_until(pilot, lambda: str(candidates.render()) == "no match", what="no match")
        assert candidates.display

        path.value = str(FIXTURES / "external.csv")
        path.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.parsed is not None, what="parsed")
        assert dialog.error_text == ""
        table = dialog.query_one("#x-table", DataTable)
        parsed = dialog.parsed
        assert parsed is not None
        assert table.row_count == len(parsed.orders) > 0
        assert "external.csv: " in str(dialog.query_one("#x-summary", Static).render())
        assert not send.disabled

        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("escape")  # declined
        await wait_until(pilot, lambda: app.screen is dialog, what="back in the dialog")
        assert dialog.result is None and not dialog.sending

        await pilot.press("escape")
        await wait_for_screen(pilot, ImportsScreen)
    after = sandbox_backend.state.db.scalar("SELECT count(*) FROM data_imports")
    assert after == imports_before
