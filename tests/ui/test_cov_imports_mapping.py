"""Step 2 of the import wizard with the keyboard: ``enter`` on a column opens the target picker
(the target another column holds is named), ``escape`` leaves it as it was, a chosen target is
saved on the server and the columns validated again, and "skip" unmaps it."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, OptionList

from preo_tui.ui.formatting import value_of
from preo_tui.ui.imports.wizard import ImportWizardScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_screen, wait_until
from tests.ui.test_imports import BIG, choose_file, open_wizard, upload


def target_of(wizard: ImportWizardScreen, column: str) -> str | None:
    """The column's target, None when skipped."""
    target = next(c.target for c in wizard.columns if c.column == column)
    return None if target is None else str(value_of(target))


async def pick(pilot: Any, wizard: ImportWizardScreen, column: str) -> ChoiceModal[Any]:
    table = wizard.query_one("#w-columns", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(column))
    await pilot.press("enter")
    modal: ChoiceModal[Any] = await wait_for_screen(pilot, ChoiceModal)
    return modal


async def choose(pilot: Any, modal: ChoiceModal[Any], typed: str) -> None:
    """Type in the picker's filter and take the first match with enter, as an operator does."""
    await pilot.press(*typed)
    options = modal.query_one(OptionList)
    await wait_until(
        pilot,
        lambda: str(options.get_option_at_index(0).prompt).strip().startswith(typed),
        what=f"{typed!r} first",
    )
    await pilot.press("enter")


async def test_pick_targets_with_the_keyboard(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "missing_column.csv")
        await upload(pilot, wizard)
        assert wizard.columns_valid is False
        email_target = target_of(wizard, "Email")
        assert email_target == "email"

        modal = await pick(pilot, wizard, "First name")
        assert modal.title_text == "Target of First name"
        labels = [c.label for c in modal.choices]
        assert labels[0] == "skip (not imported)"
        assert any(lbl.startswith("email") and "(now: Email)" in lbl for lbl in labels)
        await pilot.press("escape")
        await wait_for_screen(pilot, ImportWizardScreen)
        assert target_of(wizard, "First name") == "first_name"

        modal = await pick(pilot, wizard, "First name")
        await choose(pilot, modal, "product")
        await wait_until(pilot, lambda: target_of(wizard, "First name") == "product", what="saved")
        await wait_until(pilot, lambda: wizard.columns_valid is True, what="validated again")
        imp_id = wizard.imp.id
        row = sandbox_backend.state.db.one(
            "SELECT column_mappings FROM data_imports WHERE id = ?", (imp_id,)
        )
        assert '"product"' in str(row["column_mappings"])

        modal = await pick(pilot, wizard, "First name")
        await choose(pilot, modal, "skip")
        await wait_until(pilot, lambda: target_of(wizard, "First name") is None, what="skipped")
        await wait_until(pilot, lambda: wizard.columns_valid is False, what="product unmapped")
