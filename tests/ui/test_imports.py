"""``:imports`` and the import wizard, driven with Pilot against the in-process sandbox: a full
run from a CSV in tests/fixtures/imports to orders in ``:orders``; the wizard stopping at the
right step (missing required column, unknown product); cancel mid-run; resume; external
orders; read-only refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from preo_tui.ui.formatting import value_of
from preo_tui.ui.imports.external import ExternalOrdersScreen
from preo_tui.ui.imports.screen import ImportsScreen
from preo_tui.ui.imports.wizard import ImportWizardScreen
from preo_tui.ui.orders.screen import OrdersScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, plain

BIG = (160, 48)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


async def open_imports(pilot: Any) -> ImportsScreen:
    screen: ImportsScreen = await open_first_page(pilot, "imports", ImportsScreen, what="imports")
    return screen


async def open_wizard(pilot: Any) -> ImportWizardScreen:
    await open_imports(pilot)
    await pilot.press("n")
    wizard: ImportWizardScreen = await wait_for_screen(pilot, ImportWizardScreen)
    return wizard


async def choose_file(pilot: Any, wizard: ImportWizardScreen, name: str) -> None:
    path = wizard.query_one("#w-path", Input)
    path.value = str(FIXTURES / name)
    path.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: wizard.file_preview is not None, what="preview")
    await wait_for_workers(pilot)


async def upload(pilot: Any, wizard: ImportWizardScreen) -> None:
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: wizard.step == 2 and wizard.columns, what="column mappings")
    await wait_for_workers(pilot)


def row(backend: SandboxBackend, import_id: str) -> Any:
    return backend.state.db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))


async def test_full_wizard_run_to_orders(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "boxoffice.csv")
        preview = wizard.file_preview
        assert preview is not None
        assert (preview.encoding, preview.delimiter, preview.row_count) == ("utf-8-sig", ";", 6)
        table = wizard.query_one("#w-file-table", DataTable)
        assert table.row_count == 6 and len(table.columns) == 8
        # the escape sequence in a cell is shown as text, never sent to the terminal
        cells = [str(c) for c in table.get_row_at(4)]
        assert any("\u241b[31m" in c for c in cells) and not any("\x1b" in c for c in cells)

        await upload(pilot, wizard)
        imp = wizard.imp
        assert imp is not None and wizard.stage == "needs_column_mapping"
        targets = {c.column: (value_of(c.target) if c.target else None) for c in wizard.columns}
        assert targets["Ticket type"] == "product" and targets["Notes"] is None
        assert wizard.columns_valid is True
        assert "All required" in plain(wizard.query_one("#w-col-missing", Static))

        await pilot.press("ctrl+n")  # process the column mappings
        await wait_until(
            pilot, lambda: wizard.step == 3 and wizard.product_mappings, what="product mappings"
        )
        await wait_for_workers(pilot)
        # "Day Ticket Saturdy" is not matched by the server but suggested by name
        assert wizard.suggestions == {"Day Ticket Saturdy": "prd_day_sat"}
        assert [m.source_name for m in wizard.unmapped()] == ["Day Ticket Saturdy"]
        await pilot.press("ctrl+n")  # refused: one product text is not mapped
        assert wizard.step == 3 and "not mapped" in wizard.step_error
        await pilot.press("a")
        await wait_until(pilot, lambda: not wizard.unmapped(), what="suggestion accepted")
        await wait_for_workers(pilot)

        await pilot.press("ctrl+n")  # preview
        await wait_until(
            pilot, lambda: wizard.step == 4 and wizard.preview_invalid is not None, what="count"
        )
        assert (wizard.preview_total, wizard.preview_invalid) == (5, 1)  # BOX-00005: bad email
        assert "4 orders will be created" in plain(wizard.query_one("#w-prev-summary", Static))

        await pilot.press("ctrl+n")  # start: asks first
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "4 orders will be created" in modal.body_text
        await pilot.press("y")
        await wait_until(pilot, lambda: wizard.step == 5, what="watch step")
        await wait_until(pilot, lambda: wizard.stage == "completed", within=20, what="completed")
        await wait_until(pilot, lambda: wizard.failures, what="failures")
        assert wizard.failures == [("6", "BOX-00005", "row 6: invalid email 'not-an-email'")]
        server = row(sandbox_backend, imp.id)
        assert (server["imported_orders"], server["failed_rows"]) == (4, 1)

        await pilot.press("escape")
        imports = await wait_for_screen(pilot, ImportsScreen)
        await wait_until(
            pilot,
            lambda: any(
                i.id == imp.id and str(i.stage) == "completed" for i in imports.table.items
            ),
            what="the list shows the completed import",
        )
        assert app.jump("orders")
        orders = await wait_for_screen(pilot, OrdersScreen)
        await wait_until(pilot, lambda: orders.table.total is not None, what="orders")
        orders.apply_filter("BOX-00003")
        await wait_until(
            pilot,
            lambda: [o.order_number for o in orders.table.items] == ["BOX-00003"],
            what="the imported order in :orders",
        )
        order = orders.table.items[0]
        assert str(order.type) == "imported" and order.purchase_count == 2


async def test_missing_required_column_stops_at_columns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "missing_column.csv")
        await upload(pilot, wizard)
        assert wizard.columns_valid is False
        missing = plain(wizard.query_one("#w-col-missing", Static))
        assert "Required, not mapped: product" in missing
        sent = app.ctx.client.requests_sent
        await pilot.press("ctrl+n")
        assert wizard.step == 2 and "map a column to product" in wizard.step_error
        assert app.ctx.client.requests_sent == sent  # refused before asking the server
        # the server's own words are shown too
        assert "Map a column to product." in plain(wizard.query_one("#w-col-messages", Static))


async def test_unknown_product_stops_at_products_then_skip(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "unknown_product.csv")
        await upload(pilot, wizard)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: wizard.step == 3 and wizard.product_mappings, what="step 3")
        await wait_for_workers(pilot)
        assert wizard.suggestions == {}
        table = wizard.query_one("#w-products", DataTable)
        cells = [str(c) for c in table.get_row("Mystery Pass")]
        assert "not mapped" in cells and any("unknown product" in c for c in cells)
        await pilot.press("ctrl+n")
        assert wizard.step == 3
        assert "'Mystery Pass'" in wizard.step_error and "not mapped" in wizard.step_error
        # skip it: its rows will fail, the rest can go on
        await wizard.set_products({"Mystery Pass": None})
        assert not wizard.unmapped()
        await pilot.press("ctrl+n")
        await wait_until(
            pilot, lambda: wizard.step == 4 and wizard.preview_invalid is not None, what="count"
        )
        assert (wizard.preview_total, wizard.preview_invalid) == (3, 2)


async def test_cancel_mid_run(
    make_still_app: AppFactory, still_sandbox_backend: SandboxBackend
) -> None:
    """Over a sandbox whose import runs stand still, so the cancel lands mid-run."""
    sandbox_backend = still_sandbox_backend
    app = make_still_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "boxoffice.csv")
        await upload(pilot, wizard)
        imp = wizard.imp
        assert imp is not None
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: wizard.step == 3 and wizard.product_mappings, what="3")
        await wait_for_workers(pilot)
        await pilot.press("a", "ctrl+n")
        await wait_until(pilot, lambda: wizard.preview_invalid is not None, what="count")
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(pilot, lambda: wizard.stage == "importing", what="importing")
        await pilot.press("c")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "orders already imported stay" in modal.body_text
        await pilot.press("y")
        await wait_until(pilot, lambda: wizard.stage == "cancelled", what="cancelled")
        assert row(sandbox_backend, imp.id)["stage"] == "cancelled"
        assert "Cancelled" in plain(wizard.query_one("#w-run-note", Static))


async def test_resume_a_half_done_import(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_imports(pilot)
        half = next(i for i in screen.table.items if str(i.stage) == "needs_product_mapping")
        assert screen.table.move_to_id(half.id)
        await pilot.press("enter")
        wizard: ImportWizardScreen = await wait_for_screen(pilot, ImportWizardScreen)
        await wait_until(pilot, lambda: wizard.step == 3 and wizard.product_mappings, what="3")
        await wait_for_workers(pilot)
        # the seeded file has "Early Bird (old)", a product the edition does not sell
        assert [m.source_name for m in wizard.unmapped()] == ["Early Bird (old)"]
        await pilot.press("ctrl+b")  # back to the columns: shown, fixed
        await wait_until(pilot, lambda: wizard.step == 2 and wizard.columns, what="columns")
        await wait_for_workers(pilot)
        assert "fixed" in plain(wizard.query_one("#w-col-help", Static))
        # close and reopen: still at its stage
        await pilot.press("escape")
        await wait_for_screen(pilot, ImportsScreen)
        assert row(sandbox_backend, half.id)["stage"] == "needs_product_mapping"
        await pilot.press("enter")
        wizard = await wait_for_screen(pilot, ImportWizardScreen)
        await wait_until(pilot, lambda: wizard.step == 3, what="resumed at step 3")


async def test_external_orders(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        await open_imports(pilot)
        await pilot.press("E")
        dialog: ExternalOrdersScreen = await wait_for_screen(pilot, ExternalOrdersScreen)
        dialog.query_one("#x-path", Input).value = str(FIXTURES / "external.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.parsed is not None, what="parsed")
        assert dialog.query_one("#x-service", Input).value == "partner-shop"
        assert dialog.query_one("#x-table", DataTable).row_count == 3
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(pilot, lambda: dialog.results, within=20, what="server's results")
        outcomes = {number: outcome for _, number, outcome in dialog.results}
        assert outcomes["EXT-P-1"] == "imported" and outcomes["EXT-P-2"] == "imported"
        assert "unknown product" in outcomes["EXT-P-3"]
        assert dialog.result is not None and str(dialog.result.stage) == "completed"


@pytest.mark.parametrize("key", ["n", "E"])
async def test_read_only_refuses_writes(make_app: AppFactory, key: str) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_imports(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert app.screen is screen  # nothing opened
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen


async def test_wizard_uses_an_uploaded_file(make_app: AppFactory) -> None:
    """Step 1 › ctrl+o: a CSV already in :files is downloaded and previewed like a local one."""
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        client, org = app.ctx.client, app.ctx.organization
        await client.files.upload(
            FIXTURES / "unknown_product.csv", organization_id=org.id, tags=["imports"]
        )
        await pilot.press("ctrl+o")
        modal = await wait_for_screen(pilot, ChoiceModal)
        assert [c.label.split()[0] for c in modal.choices] == ["unknown_product.csv"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: wizard.file_preview is not None, what="preview")
        preview = wizard.file_preview
        assert preview.row_count == 3 and preview.header[2] == "Ticket type"
        await upload(pilot, wizard)
        assert wizard.imp is not None and wizard.imp.total_rows == 3


async def test_list_cancel_and_include_cancelled(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_imports(pilot)
        assert all(str(i.stage) != "cancelled" for i in screen.table.items)
        target = next(i for i in screen.table.items if str(i.stage) == "needs_column_mapping")
        assert screen.table.move_to_id(target.id)
        await pilot.press("c")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "nothing was imported" in modal.body_text
        await pilot.press("y")
        await wait_until(
            pilot, lambda: row(sandbox_backend, target.id)["stage"] == "cancelled", what="cancel"
        )
        await pilot.press("i")
        await wait_until(
            pilot,
            lambda: any(
                i.id == target.id and str(i.stage) == "cancelled" for i in screen.table.items
            ),
            what="cancelled imports shown",
        )
        # a finished import cannot be cancelled: said, nothing sent
        done = next(i for i in screen.table.items if str(i.stage) == "completed")
        assert screen.table.move_to_id(done.id)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen  # no confirmation: refused with the reason
        assert row(sandbox_backend, done.id)["stage"] == "completed"


async def test_letters_typed_in_the_wizard_inputs_stay_there(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        wizard = await open_wizard(pilot)
        await choose_file(pilot, wizard, "boxoffice.csv")
        name = wizard.query_one("#w-name", Input)
        name.value = ""
        name.focus()
        await pilot.press("c", "a", "r")
        assert name.value == "car" and app.screen is wizard and wizard.step == 1


async def test_read_only_can_look_but_not_change(make_app: AppFactory) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_imports(pilot)
        item = next(i for i in screen.table.items if str(i.stage) == "needs_column_mapping")
        assert screen.table.move_to_id(item.id)
        await pilot.press("enter")
        wizard: ImportWizardScreen = await wait_for_screen(pilot, ImportWizardScreen)
        await wait_until(pilot, lambda: wizard.step == 2 and wizard.columns, what="columns")
        await wait_for_workers(pilot)
        wizard.query_one("#w-columns").focus()
        await pilot.press("enter")
        assert "read-only" in wizard.step_error
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert wizard.step == 2 and "read-only" in wizard.step_error
