"""The refund queue's list against the in-process sandbox: what it lists and in which order,
its count and total, filters (statuses, reason, amount and date ranges, all editions, free
text), marks across refresh, sort and pages, and its columns at 80x24 and 160x48 (issue 15).
The decisions are in ``test_refunds.py``, which holds the shared fixtures."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable, Input
from textual.widgets.data_table import RowKey

from preo_tui.ui.refunds.common import row_only
from preo_tui.ui.refunds.filters import RefundFilterModal, RefundFilters
from preo_tui.ui.widgets.columns import cell_width
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui import test_refunds as shared
from tests.ui.helpers import open_refunds
from tests.ui.test_refunds import REQUESTED, db_of, detail_text, requested_rows, type_text

# The queue's fixtures (a sandbox with REQUESTED requests and no gateway failures, fast polls).
refunds_backend = shared.refunds_backend
refunds_app = shared.refunds_app
fast_live = shared.fast_live


async def test_queue_lists_requested_of_the_edition_oldest_first_with_count_and_total(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        edition = app.ctx.edition
        expected = requested_rows(refunds_backend, edition.id)
        assert screen.table.total == len(expected) == REQUESTED
        ids = [r.id for r in screen.table.items]
        assert ids == [r["id"] for r in expected]  # oldest first
        assert all(str(r.status) == "requested" for r in screen.table.items)
        amount = sum(Decimal(str(r["amount"])) for r in expected)
        summary = str(screen.query_one("#refund-summary").render())
        assert f"{REQUESTED} requests" in summary
        assert f"{amount:,.2f}" in summary
        # The detail pane shows the order with its items and what is left to refund.
        detail = detail_text(screen)
        first = screen.table.current_item
        assert first is not None and first.id in detail
        assert "still refundable" in detail and "Earlier requests for this order" in detail


async def test_filters_statuses_reason_amount_dates_and_all_editions(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        db = db_of(refunds_backend)
        edition = app.ctx.edition.id
        # Every status, through the dialog: space toggles the highlighted status.
        await pilot.press("f")
        modal = await wait_for_screen(pilot, RefundFilterModal)
        for status in ("ready", "processed", "failed"):
            modal.query_one("#filter-statuses").select(status)
        await pilot.click("#apply")
        await wait_until(pilot, lambda: screen.filters.statuses >= {"ready", "failed"})
        await wait_for_workers(pilot)
        count = db.scalar(
            "SELECT COUNT(*) FROM refund_requests WHERE edition_id = ? AND status IN"
            " ('requested', 'ready', 'processed', 'failed')",
            (edition,),
        )
        assert screen.table.total == count
        # Reason + amount range + date range.
        screen.set_filters(
            RefundFilters(
                statuses=frozenset({"requested"}),
                reason="customer_request",
                amount_min=Decimal("100"),
                amount_max=Decimal("3000"),
            )
        )
        await wait_for_workers(pilot)
        rows = screen.table.items
        assert rows and all(str(r.reason) == "customer_request" for r in rows)
        # The amount range is filtered by the server ([ours] amount_min/amount_max), and the
        # total is the server's sum over everything that matches.
        assert not screen.amount_filter_ignored
        assert all(Decimal(100) <= r.amount <= Decimal(3000) for r in rows)
        expected = db.one(
            "SELECT COUNT(*) AS n, SUM(amount) AS total FROM refund_requests WHERE edition_id = ?"
            " AND status = 'requested' AND reason = 'customer_request' AND amount BETWEEN 100"
            " AND 3000",
            (edition,),
        )
        assert screen.table.total == expected["n"]
        assert screen.total_amount == Decimal(str(expected["total"]))
        assert f"{Decimal(str(expected['total'])):,.2f}" in str(
            screen.query_one("#refund-summary").render()
        )
        screen.set_filters(RefundFilters(statuses=frozenset({"processed"}), all_editions=True))
        await wait_for_workers(pilot)
        org_count = db.scalar(
            "SELECT COUNT(*) FROM refund_requests WHERE organization_id = ? AND status ="
            " 'processed'",
            (app.ctx.organization.id,),
        )
        assert screen.table.total == org_count
        assert {r.edition_id for r in screen.table.items} != {edition}


async def test_free_text_filter_searches_on_the_server(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        target = screen.table.items[3]
        await pilot.press("slash")
        await type_text(pilot, target.order_number or "")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                screen.table.total is not None
                and screen.table.total < REQUESTED
                and all(r.order_number == target.order_number for r in screen.table.items)
            ),
            what="the search",
        )
        assert target.id in {r.id for r in screen.table.items}


async def test_filter_dialog_names_bad_input(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_refunds(pilot)
        await pilot.press("f")
        modal = await wait_for_screen(pilot, RefundFilterModal)
        modal.query_one("#filter-amount-min", Input).value = "ten"
        modal.query_one("#filter-from", Input).value = "2026-13-45"
        await pilot.click("#apply")
        await pilot.pause()
        assert isinstance(app.screen, RefundFilterModal)
        assert "not a number" in str(modal.query_one("#filter-error").render())
        modal.query_one("#filter-amount-min", Input).value = "10"
        modal.action_apply()
        await pilot.pause()
        assert "not a date" in str(modal.query_one("#filter-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.filters == RefundFilters()


async def test_marks_survive_refresh_and_sort(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        await pilot.press("space", "down", "space", "down", "down", "space")
        marked = set(screen.table.marks)
        assert len(marked) == 3
        await pilot.press("r")
        await wait_for_workers(pilot)
        assert screen.table.marks == marked
        screen.table.set_ordering("-amount")
        await wait_for_workers(pilot)
        assert screen.table.ordering == "-amount"
        amounts = [r.amount for r in screen.table.items]
        assert amounts == sorted(amounts, reverse=True)
        assert screen.table.marks == marked
        drawn = {
            r.id
            for index, r in enumerate(screen.table.items)
            if str(screen.table.get_cell_at(Coordinate(index, 0))) == "●"
        }
        assert drawn == marked


async def test_mark_all_matching_marks_every_page(refunds_app: AppFactory) -> None:
    from preo_tui.config import default_settings

    settings = default_settings()
    settings = settings.model_copy(
        update={"app": settings.app.model_copy(update={"page_size": 20})}
    )
    app = refunds_app(settings=settings)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        assert screen.table.row_count < REQUESTED  # paged from the server
        await pilot.press("M")
        await wait_until(pilot, lambda: len(screen.table.marks) == REQUESTED, what="mark all")
        await pilot.press("u")
        await pilot.pause()
        assert screen.table.marks == set()


# -- columns and rows (issue 15, issue 20) -------------------------------------------------------


async def test_every_column_value_fits_at_160x48(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=SIZES["160x48"]) as pilot:
        screen = await open_refunds(pilot)
        table = screen.table
        widths = {str(key.value): column.width for key, column in table.columns.items()}
        assert table.virtual_size.width <= table.size.width  # no sideways scrolling
        cut = [
            (spec.key, cell_width(cell), widths[spec.key])
            for item in table.items
            for spec, cell in zip(screen.COLUMNS, screen.row_cells(item), strict=True)
            if cell_width(cell) > widths[spec.key]
        ]
        assert cut == []


async def test_the_decision_facts_show_whole_at_80x24(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        screen = await open_refunds(pilot)
        table = screen.table
        facts = ("age", "order", "amount", "status")
        widths = {str(key.value): column.width for key, column in table.columns.items()}
        for item in table.items:
            cells = dict(zip([s.key for s in screen.COLUMNS], screen.row_cells(item), strict=True))
            assert all(cell_width(cells[k]) <= widths[k] for k in facts), item.id
        # Age to Status are inside the visible width (the rest may scroll sideways).
        keys = [str(key.value) for key in table.columns]
        upto = keys.index("status") + 1
        used = sum(widths[k] + 2 * table.cell_padding for k in keys[:upto])
        assert used <= table.size.width


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable()
        table.add_column("a", key="a")
        table.add_column("b", key="b")
        for n in range(5):
            table.add_row(f"a{n}", f"b{n}", key=f"r{n}")
        yield table


def cached_row_keys(table: DataTable[str]) -> set[RowKey]:
    keys = table._cell_render_cache.keys()  # an LRUCache: not iterable itself
    return {k[0] for k in keys}


async def test_row_only_repaints_one_row_and_keeps_the_others_cached() -> None:
    app = OneTable()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        count = table._update_count
        cached_rows = cached_row_keys(table)
        assert {RowKey(f"r{n}") for n in range(5)} <= cached_rows
        with row_only(table, "r2"):
            table.update_cell("r2", "b", "Z9")  # as wide as "b2": the column keeps its width
        assert table._update_count == count  # the other rows' cached cells stay valid
        left = cached_row_keys(table)
        assert RowKey("r2") not in left and RowKey("r1") in left and RowKey("r3") in left
        await pilot.pause()
        lines = [strip.text for strip in table.render_lines(Region(0, 0, 40, 6))]
        assert any("Z9" in line for line in lines) and not any("b2" in line for line in lines)
        assert any("b3" in line for line in lines)
        # A row that went away meanwhile: the bumped counter stands (a full redraw).
        with row_only(table, "gone"):
            table.update_cell("r1", "b", "other")
        assert table._update_count == count + 1
