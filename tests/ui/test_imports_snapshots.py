"""Snapshots of ``:imports``, every step of the import wizard and ``:files`` at 80x24 and
160x48 (over a sandbox whose imports stand still)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from preo_tui.ui.files.screen import FilesScreen
from preo_tui.ui.imports.screen import ImportsScreen
from preo_tui.ui.imports.wizard import ImportWizardScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    no_blink,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)
ROOT = Path(__file__).resolve().parents[2]
#: relative, so the snapshot does not show where the repository lives
FIXTURE = "tests/fixtures/imports/boxoffice.csv"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


async def wizard_at(pilot: Any, step: int) -> ImportWizardScreen:
    """A new import of the fixture CSV, taken to ``step`` (1–4)."""
    await open_first_page(pilot, "imports", ImportsScreen, what="imports")
    await pilot.press("n")
    wizard: ImportWizardScreen = await wait_for_screen(pilot, ImportWizardScreen)
    wizard.query_one("#w-path", Input).value = FIXTURE
    wizard.query_one("#w-path").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: wizard.file_preview is not None, what="preview")
    await wait_for_workers(pilot)
    if step >= 2:
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: wizard.step == 2 and wizard.columns, what="columns")
        await wait_for_workers(pilot)
    if step >= 3:
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: wizard.step == 3 and wizard.product_mappings, what="3")
        await wait_for_workers(pilot)
    if step >= 4:
        await pilot.press("a")
        await wait_until(pilot, lambda: not wizard.unmapped(), what="mapped")
        await wait_for_workers(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: wizard.preview_invalid is not None, what="count")
        await wait_until(
            pilot, lambda: wizard.query_one("#w-preview", DataTable).row_count > 0, what="rows"
        )
        await wait_for_workers(pilot)
    no_blink(pilot.app)
    return wizard


@pytest.mark.parametrize("size", SIZE_IDS)
@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_wizard_step(snap_compare: Any, make_still_app: AppFactory, size: str, step: int) -> None:
    async def before(pilot: Any) -> None:
        await wizard_at(pilot, step)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_wizard_columns_with_problems(
    snap_compare: Any, make_still_app: AppFactory, size: str
) -> None:
    """Step 2 with the server's messages beside the columns and a missing required target
    (also the README's screenshot)."""

    async def before(pilot: Any) -> None:
        wizard = await wizard_at(pilot, 2)
        await wizard.set_target("E-mail", None)
        await wizard.set_target("Qty", "product")
        await wait_for_workers(pilot)
        assert wizard.columns_valid is False

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_wizard_finished_import(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    """Step 5 of a finished import (the seeded completed one): counts and failed rows."""

    async def before(pilot: Any) -> None:
        screen = await open_first_page(pilot, "imports", ImportsScreen, what="imports")
        done = next(i for i in screen.table.items if str(i.stage) == "completed")
        assert screen.table.move_to_id(done.id)
        await pilot.press("enter")
        wizard: ImportWizardScreen = await wait_for_screen(pilot, ImportWizardScreen)
        await wait_until(pilot, lambda: wizard.step == 5 and wizard.failures, what="failures")
        await wait_for_workers(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_imports_list(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_first_page(pilot, "imports", ImportsScreen, what="imports")

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_files_list(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_first_page(pilot, "files", FilesScreen, what="files")

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
