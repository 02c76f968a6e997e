"""The journal viewer (``:journal`` and the palette): every write made from this machine with its
outcome, newest first, for this profile or all profiles."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from preo_tui.ui.journal.screen import JournalScreen
from tests.fixtures.app import AppFactory, wait_for_home, wait_for_screen, wait_until


def record(journal: Any, what: str, object_id: str, summary: str, error: str | None = None) -> None:
    """A finished write in ``journal``: ``what`` is ``resource.action``; ok unless ``error``."""
    resource, action = what.split(".")
    entry = journal.begin(
        resource=resource,
        action=action,
        object_ids=[object_id],
        summary=summary,
        idempotency_key=f"key-{object_id}",
    )
    journal.finish(entry.action_id, "failed" if error else "ok", error)


async def test_journal_lists_writes_with_outcomes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        journal = app.ctx.journal
        record(journal, "refunds.approve", "rfr_1", "approve rfr_1")
        record(journal, "campaigns.send_now", "cmp_9", "send cmp_9", "Conflict: already sent")
        other = type(journal)(
            path=journal.path, profile="production", server="https://api.preo.cloud"
        )
        other.begin(
            resource="segments", action="delete", object_ids=["seg_3"], summary="delete seg_3"
        )
        app.jump("journal")
        screen = await wait_for_screen(pilot, JournalScreen)
        table = screen.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2, what="this profile's writes")
        summaries = [str(table.get_row_at(i)[-1]) for i in range(2)]
        assert set(summaries) == {"approve rfr_1", "send cmp_9"}
        table.move_cursor(row=summaries.index("send cmp_9"))
        await pilot.pause()
        detail = str(screen.query_one("#journal-detail", Static).render())
        assert "failed" in detail and "Conflict: already sent" in detail and "cmp_9" in detail
        await pilot.press("a")
        await wait_until(pilot, lambda: table.row_count == 3, what="all profiles")
        assert "delete seg_3" in [str(table.get_row_at(i)[-1]) for i in range(3)]


async def test_the_what_column_takes_the_free_width(make_app: AppFactory) -> None:
    """The journal's What column shows the order number and amount at 160 columns (it was cut
    at 40 characters with the rest of the line empty)."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        summary = (
            "approve refund rfr_8c1d of order NF26-004172 (Maria Fernanda Rodríguez García)"
            " for 1,250.00 DKK"
        )
        entry = app.ctx.journal.begin(
            resource="refunds",
            action="approve",
            object_ids=["rfr_8c1d"],
            summary=summary,
            idempotency_key="k",
        )
        app.ctx.journal.finish(entry.action_id, "ok")
        app.jump("journal")
        screen = await wait_for_screen(pilot, JournalScreen)
        table = screen.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the write")
        await wait_until(
            pilot, lambda: table.columns["summary"].width >= len(summary), what="wide What"
        )
        detail = str(screen.query_one("#journal-detail", Static).render())
        assert summary in detail  # the detail shows the whole value


async def test_at_80_columns_the_table_fits_and_profile_shows_with_all_profiles(
    make_app: AppFactory,
) -> None:
    """At 80x24 the journal's columns fit the screen (no sideways scrolling: before, the
    minimums of five columns exceeded 80 cells and a horizontal scrollbar took a row); the
    Profile column appears only when `a` lists every profile's writes."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        record(
            app.ctx.journal,
            "data_imports.external_orders",
            "imp_1",
            "import 1,204 external orders from Billetlugen (orders-2026.csv)",
        )
        app.jump("journal")
        screen = await wait_for_screen(pilot, JournalScreen)
        table = screen.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the write")
        await pilot.pause()
        assert [key.value for key in table.columns] == ["when", "action", "outcome", "summary"]
        empty = str(screen.query_one("#journal-empty", Static).render())
        assert empty.startswith("1 write (profile sandbox)")
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        await pilot.press("a")
        await wait_until(
            pilot, lambda: "profile" in [key.value for key in table.columns], what="Profile"
        )
        assert str(table.get_row_at(0)[1]) == app.ctx.profile_name


async def test_back_on_the_journal_shows_new_writes_and_keeps_the_cursor(
    make_app: AppFactory,
) -> None:
    """Jumping back to a journal left open lists the writes made meanwhile at once (before, it
    showed the old rows until the next poll or `r`), and the cursor stays on the write it was on
    (a reload no longer sends it back to the top)."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        journal = app.ctx.journal
        for n in (1, 2, 3):
            record(journal, "refunds.approve", f"rfr_{n}", f"approve rfr_{n}")
        app.jump("journal")
        screen = await wait_for_screen(pilot, JournalScreen)
        table = screen.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 3, what="three writes")
        summaries = [str(table.get_row_at(i)[-1]) for i in range(3)]
        table.move_cursor(row=summaries.index("approve rfr_2"))
        app.jump("orders")  # pushed over the journal, which stays in the stack
        await wait_until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen", what="orders")
        record(journal, "refunds.reject", "rfr_4", "reject rfr_4")
        app.jump("journal")
        assert await wait_for_screen(pilot, JournalScreen) is screen
        await wait_until(pilot, lambda: table.row_count == 4, what="the write made meanwhile")
        assert str(table.get_row_at(table.cursor_row)[-1]) == "approve rfr_2"
        detail = str(screen.query_one("#journal-detail", Static).render())
        assert "rfr_2" in detail


def test_a_resize_before_the_table_is_composed_is_ignored() -> None:
    """A resize event can reach the journal or the operation map before their table exists
    (seen under CPU load: `NoMatches '#journal-table'` ended the app); it is ignored."""
    from preo_tui.ui.ops.screen import OperationsScreen

    JournalScreen().on_resize()
    OperationsScreen().on_resize()
