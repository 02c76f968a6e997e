"""Step 1 of the import wizard, the ways an operator gets it wrong before anything is sent:
``ctrl+n`` with no file, a path that does not exist or is a folder, ``tab`` completion (several
candidates, none), an empty file (its error stops the upload), an encoding chosen by hand (the
preview re-read with it), and an Excel workbook (sent as it is). One wizard session; nothing
reaches the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Select, Static

from preo_tui.ui.imports.wizard import ImportWizardScreen
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_workers, wait_until
from tests.ui.test_imports import FIXTURES, open_wizard


def error_line(wizard: ImportWizardScreen) -> str:
    return str(wizard.query_one("#w-error", Static).render())


def info_line(wizard: ImportWizardScreen) -> str:
    return str(wizard.query_one("#w-file-info", Static).render())


async def read(pilot: Any, wizard: ImportWizardScreen, path: str) -> None:
    field = wizard.query_one("#w-path", Input)
    field.value = path
    field.focus()
    await pilot.press("enter")
    await wait_for_workers(pilot)


async def test_file_step_mistakes_and_previews(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    imports_before = sandbox_backend.state.db.scalar("SELECT count(*) FROM data_imports")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        wizard = await open_wizard(pilot)

        await pilot.press("ctrl+n")
        await wait_until(
            pilot,
            lambda: error_line(wizard) == "Choose a file first: type its path and press enter.",
            what="no file yet",
        )
        assert wizard.step == 1

        await read(pilot, wizard, str(tmp_path / "nope.csv"))
        await wait_until(
            pilot, lambda: error_line(wizard) == f"{tmp_path / 'nope.csv'} does not exist."
        )
        await read(pilot, wizard, str(tmp_path))
        await wait_until(pilot, lambda: "is a folder: choose a file in it" in error_line(wizard))

        # tab completes: several candidates are listed, a prefix matching nothing says so.
        candidates = wizard.query_one("#w-candidates", Static)
        field = wizard.query_one("#w-path", Input)
        field.value = f"{FIXTURES}/"
        field.cursor_position = len(field.value)
        field.focus()
        await pilot.press("tab")
        await wait_until(pilot, lambda: bool(candidates.display), what="the candidates")
        shown = str(candidates.render())
        assert "boxoffice.csv" in shown and "latin1.csv" in shown
        field.value = f"{FIXTURES}/zzz"
        field.cursor_position = len(field.value)
        field.focus()
        await pilot.press("tab")
        await wait_until(pilot, lambda: str(candidates.render()) == "no match")

        # An empty file: its error is shown and stops the upload.
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")
        await read(pilot, wizard, str(empty))
        await wait_until(pilot, lambda: error_line(wizard) == "The file is empty.")
        await pilot.press("ctrl+n")
        await wait_for_workers(pilot)
        assert wizard.step == 1 and error_line(wizard) == "The file is empty."

        # A latin-1 file read as detected, then with the encoding chosen by hand.
        await read(pilot, wizard, str(FIXTURES / "latin1.csv"))
        await wait_until(pilot, lambda: "(detected)" in info_line(wizard), what="the preview")
        assert wizard.query_one("#w-name", Input).value == "latin1.csv"
        assert wizard.query_one("#w-file-table", DataTable).row_count > 0
        wizard.query_one("#w-encoding", Select).value = "utf-8"
        await wait_until(
            pilot, lambda: "encoding utf-8 ·" in info_line(wizard), what="the re-read preview"
        )
        assert "Choose another encoding." in error_line(wizard)

        # An Excel workbook is not previewed: sent as it is.
        workbook = tmp_path / "orders.xlsx"
        workbook.write_bytes(b"PK\x03\x04 not really a workbook")
        await read(pilot, wizard, str(workbook))
        await wait_until(pilot, lambda: "Excel workbook: sent as it is" in info_line(wizard))
        assert not wizard.query_one("#w-file-table", DataTable).display
    after = sandbox_backend.state.db.scalar("SELECT count(*) FROM data_imports")
    assert after == imports_before
