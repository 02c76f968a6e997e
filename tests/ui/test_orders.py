"""The ``:orders`` screen against the sandbox: window paging, every filter (checked against the
sandbox's own rows), ``/`` search, every ordering, filter input rejected before any request, the
detail pane (customer, purchases, refunds), the refund form hand-off and the CSV export
(streamed, progress, cancel, no silent overwrite, path copied)."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from textual.widgets import Input, OptionList, Select, SelectionList

from preo_tui.api import Page
from preo_tui.api.orders import Order
from preo_tui.ui.orders.export import ExportPathModal, ExportProgressModal
from preo_tui.ui.orders.filters import OrderFilterModal
from preo_tui.ui.orders.screen import OrdersScreen, refund_form_opener
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, plain, requests_sent

SIZE = (160, 48)
CPH = ZoneInfo("Europe/Copenhagen")


async def open_orders(pilot: Any) -> OrdersScreen:
    return await open_first_page(pilot, "orders", OrdersScreen, what="orders")


async def current_with_detail(pilot: Any, screen: OrdersScreen) -> Order:
    """The highlighted order, once its detail has loaded."""
    order = screen.table.current_item
    assert order is not None
    await wait_until(pilot, lambda: order.id in screen.details, what="detail")
    await wait_for_workers(pilot)
    return order


def current_rows(backend: SandboxBackend, edition_id: str) -> list[dict[str, Any]]:
    rows = backend.state.db.query(
        "SELECT o.*, u.email, u.phone FROM orders o JOIN users u ON u.id = o.customer_id"
        " WHERE o.edition_id = ?",
        (edition_id,),
    )
    out = []
    for row in rows:
        item = dict(row)
        item["created_dt"] = datetime.fromisoformat(item["created"])
        out.append(item)
    return out


def count(rows: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for r in rows if predicate(r))


async def apply_filters(pilot: Any, screen: OrdersScreen, **fields: Any) -> OrderFilterModal:
    await pilot.press("f")
    form: OrderFilterModal = await wait_for_screen(pilot, OrderFilterModal)
    for name, value in fields.items():
        if name == "status":
            selection = form.query_one("#f-status", SelectionList)
            selection.deselect_all()
            for status in value:
                selection.select(status)
        elif name == "type":
            form.query_one("#f-type", Select).value = value
        else:
            form.query_one(f"#f-{name}", Input).value = value
    await pilot.press("ctrl+s")
    return form


async def test_list_pages_through_a_window(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        table = screen.table
        assert table.total == 300
        assert len(table.items) == 100
        assert plain(screen.query_one("#list-status")).startswith("1–100 of 300")
        created = [o.created for o in table.items]
        assert created == sorted(created, reverse=True)  # newest first
        # The next page loads as the cursor nears the end of the window.
        table.move_cursor(row=90)
        await wait_until(pilot, lambda: len(table.items) == 200, what="second page")
        await wait_until(
            pilot,
            lambda: plain(screen.query_one("#list-status")).startswith("1–200 of 300"),
            what="window label",
        )
        await pilot.press("G")
        await wait_until(pilot, lambda: table.last_page == 3, what="last page")
        await wait_for_workers(pilot)
        assert table.current_item is not None
        assert plain(screen.query_one("#list-status")).endswith("of 300 · sorted by -created")


async def test_every_filter_matches_the_servers_rows(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        edition_id = app.ctx.edition.id
        rows = current_rows(sandbox_backend, edition_id)
        sample = next(r for r in rows if r["transaction_id"] and r["phone"])
        after = datetime(2026, 6, 20, tzinfo=CPH)
        before = datetime(2026, 6, 30, 23, 59, 59, tzinfo=CPH)
        cases: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
            ({"status": ["confirmed", "pending"]}, lambda r: r["status"] in ("confirmed", "pending")),
            ({"type": "in-person"}, lambda r: r["type"] == "in-person"),
            ({"created_after": "2026-06-20"}, lambda r: r["created_dt"] >= after),
            ({"created_before": "2026-06-30"}, lambda r: r["created_dt"] <= before),
            (
                {"created_after": "2026-06-20", "created_before": "2026-06-30", "type": "online"},
                lambda r: after <= r["created_dt"] <= before and r["type"] == "online",
            ),
            ({"customer_email": sample["email"]}, lambda r: r["email"] == sample["email"]),
            ({"customer_phone": sample["phone"]}, lambda r: r["phone"] == sample["phone"]),
            ({"order_number": "00012"}, lambda r: "00012" in r["order_number"]),
            ({"transaction_id": sample["transaction_id"]}, lambda r: r["transaction_id"] == sample["transaction_id"]),
        ]  # fmt: skip
        for fields, predicate in cases:
            expected = count(rows, predicate)
            assert expected > 0, fields
            await apply_filters(pilot, screen, **fields)
            await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), what="applied")
            await wait_until(pilot, lambda n=expected: screen.table.total == n, what=str(fields))
            await wait_for_workers(pilot)
            bar = plain(screen.query_one("#filter-bar"))
            assert "no filters" not in bar
            await pilot.press("F")
            await wait_until(pilot, lambda: screen.table.total == 300, what="cleared")
            await wait_for_workers(pilot)
        assert "no filters" in plain(screen.query_one("#filter-bar"))


async def test_search_is_the_contracts_free_text(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        rows = current_rows(sandbox_backend, app.ctx.edition.id)
        email = rows[7]["email"]
        part = email.split("@")[0][:8]
        expected = count(rows, lambda r: part in (r["email"] or ""))
        await pilot.press("slash")
        await pilot.press(*part, "enter")
        await wait_until(
            pilot,
            lambda: screen.table.search == part and screen.table.total == expected,
            what="search",
        )
        await wait_for_workers(pilot)
        assert all(part in (o.customer.email or "") for o in screen.table.items)
        # a transaction id is found too
        trx = rows[3]["transaction_id"] or rows[4]["transaction_id"]
        screen.apply_filter(trx)
        await wait_until(
            pilot, lambda: screen.table.search == trx and screen.table.total == 1, what="trx"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.table.total == 300, what="search cleared")


ORDERINGS = ["created", "modified", "order_number", "status", "type", "amount"]


async def test_every_ordering_both_ways(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        for ordering in ORDERINGS:
            for descending in (False, True):
                value = f"-{ordering}" if descending else ordering
                await pilot.press("o")
                modal = await wait_for_screen(pilot, ChoiceModal)
                options = modal.query_one(OptionList)
                index = next(i for i, c in enumerate(modal.choices) if c.value == value)
                options.highlighted = index
                options.focus()
                await pilot.press("enter")
                await wait_until(pilot, lambda v=value: screen.table.ordering == v, what=value)
                await wait_for_workers(pilot)
                items: list[Order] = screen.table.items
                assert screen.table.total == 300
                keys = [str(getattr(o, ordering)) if ordering in ("status", "type") else getattr(o, ordering) for o in items]  # fmt: skip
                assert keys == sorted(keys, reverse=descending), value


async def test_bad_filters_are_field_errors_and_send_nothing(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        cases = [
            ({"created_after": "2026-02-30"}, "created_after", "Not a date"),
            ({"created_before": "yesterday"}, "created_before", "Not a date"),
            (
                {"created_after": "2026-06-20", "created_before": "2026-06-01"},
                "created_before",
                "earlier than",
            ),
            ({"customer_phone": "+8613800138000"}, "customer_phone", "Unsupported country code"),
            ({"customer_phone": "4520123456"}, "customer_phone", "Start with +"),
            ({"customer_email": "not-an-email"}, "customer_email", "email address"),
        ]
        for fields, field, message in cases:
            before = requests_sent(app)
            form = await apply_filters(pilot, screen, **fields)
            await wait_until(pilot, lambda m=form, f=field: m.error_text(f) != "", what=field)
            assert message in form.error_text(field)
            assert isinstance(app.screen, OrderFilterModal)
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), what="closed")
            await wait_for_workers(pilot)
            assert requests_sent(app) == before, fields
            assert not screen.filters.active


async def test_detail_shows_customer_purchases_and_refund_requests(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        db = sandbox_backend.state.db
        order_id, number = db.one(
            "SELECT r.order_id, r.order_number FROM refund_requests r WHERE r.edition_id = ?"
            " GROUP BY r.order_id ORDER BY COUNT(*) DESC LIMIT 1",
            (app.ctx.edition.id,),
        )
        screen.apply_filter(number)
        await wait_until(pilot, lambda: screen.table.total == 1, what="the order")
        await wait_until(pilot, lambda: order_id in screen.details, what="detail loaded")
        await wait_for_workers(pilot)
        detail = screen.detail
        purchases = db.query("SELECT * FROM purchases WHERE order_id = ?", (order_id,))
        assert detail.purchase_table.row_count == len(purchases)
        refunds = db.scalar("SELECT COUNT(*) FROM refund_requests WHERE order_id = ?", (order_id,))
        assert len(detail.refunds) == refunds > 0
        summary = plain(screen.query_one("#order-summary"))
        assert number in summary and order_id in summary
        customer = plain(screen.query_one("#order-customer"))
        email = db.scalar(
            "SELECT u.email FROM users u JOIN orders o ON o.customer_id = u.id WHERE o.id = ?",
            (order_id,),
        )
        assert email in customer
        transaction = plain(screen.query_one("#order-transaction"))
        assert "Refunded" in transaction and "Fees" in transaction and "Deposits" in transaction
        assert "Refund requests" not in plain(screen.query_one("#order-refunds"))
        # tab moves into the purchases, escape back to the list
        await pilot.press("tab")
        assert app.focused is detail.purchase_table
        await pilot.press("escape")
        assert app.focused is screen.table


async def test_n_opens_the_refund_form_for_the_highlighted_purchase(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        order = await current_with_detail(pilot, screen)
        await pilot.press("tab", "down")
        expected = screen.detail.selected_purchase
        assert expected is not None
        await pilot.press("n")
        await pilot.pause()
        if refund_form_opener() is None:
            assert any("refund form is not available" in n.message for n in app._notifications)
            return
        from preo_tui.ui.refunds.form import RefundForm

        form = await wait_for_screen(pilot, RefundForm)
        assert form.purchase.id == expected.id
        assert form.order is not None and form.order.id == order.id
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), what="closed")


async def run_export(pilot: Any, screen: OrdersScreen, path: Path) -> ExportProgressModal:
    await pilot.press("x")
    ask = await wait_for_screen(pilot, ExportPathModal)
    ask.query_one("#export-path", Input).value = str(path)
    await pilot.press("enter")
    return await wait_for_screen(pilot, ExportProgressModal)


async def test_export_streams_the_filtered_list_to_csv(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        rows = current_rows(sandbox_backend, app.ctx.edition.id)
        await apply_filters(pilot, screen, status=["completed"])
        expected = count(rows, lambda r: r["status"] == "completed")
        await wait_until(pilot, lambda: screen.table.total == expected, what="filtered")
        target = tmp_path / "orders.csv"
        modal = await run_export(pilot, screen, target)
        await wait_until(pilot, lambda: modal.done, what="export done")
        assert modal.written == expected
        with target.open(newline="", encoding="utf-8") as handle:
            data = list(csv.DictReader(handle))
        assert len(data) == expected
        assert {r["status"] for r in data} == {"completed"}
        assert len({r["id"] for r in data}) == expected
        assert not target.with_name("orders.csv.part").exists()
        assert str(target) in plain(modal.query_one("#export-result"))
        await pilot.press("y")
        await pilot.pause()
        assert app.last_copied == str(target)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), what="closed")


async def test_export_never_overwrites_silently(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_orders(pilot)
        target = tmp_path / "existing.csv"
        target.write_text("keep me\n")
        await pilot.press("x")
        ask = await wait_for_screen(pilot, ExportPathModal)
        ask.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathModal)
        assert "exists" in plain(ask.query_one("#export-error"))
        assert target.read_text() == "keep me\n"
        # a missing folder is refused too
        ask.query_one("#export-path", Input).value = str(tmp_path / "nope" / "x.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "does not exist" in plain(ask.query_one("#export-error"))
        ask.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the second enter confirms the overwrite
        modal = await wait_for_screen(pilot, ExportProgressModal)
        await wait_until(pilot, lambda: modal.done, what="export done")
        assert target.read_text().startswith("order_number,id,")


async def test_export_cancel_leaves_no_file(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_orders(pilot)
        gate = asyncio.Event()
        pages: list[int] = []

        async def slow_fetch(page: int, page_size: int) -> Page[Order]:
            pages.append(page)
            if page > 1:
                await gate.wait()  # never set: the operator cancels while page 2 is loading
            client = app.ctx.client
            result: Page[Order] = await client.orders.list(
                edition_id=app.ctx.edition.id, page=page, page_size=page_size
            )
            return result

        target = tmp_path / "cancelled.csv"
        modal = ExportProgressModal(target, slow_fetch, total=300, page_size=100)
        app.push_screen(modal)
        # page 1 written; the next pages (requested together) are still loading
        await wait_until(pilot, lambda: modal.written == 100 and pages[:2] == [1, 2], what="page 1")
        assert sorted(pages) == [1, 2, 3]
        assert target.with_name("cancelled.csv.part").exists()
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), what="cancelled")
        await wait_for_workers(pilot)
        assert modal.cancelled and not modal.done
        assert not target.exists()
        assert not target.with_name("cancelled.csv.part").exists()


async def test_export_failure_is_reported_and_cleaned_up(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        target = tmp_path / "offline.csv"
        sandbox_backend.go_offline()
        modal = await run_export(pilot, screen, target)
        await wait_until(pilot, lambda: modal.failed is not None, what="failure")
        assert "Export failed" in plain(modal.query_one("#export-result"))
        assert not target.exists()
        assert not target.with_name("offline.csv.part").exists()
        sandbox_backend.go_online()


def test_created_filters_read_dates_in_the_editions_time_zone() -> None:
    from preo_tui.ui.editions.fields import parse_when

    start = parse_when("2026-06-20", "Europe/Copenhagen")
    end = parse_when("2026-06-20", "Europe/Copenhagen", end_of_day=True)
    assert start is not None and end is not None
    assert start.astimezone(UTC) == datetime(2026, 6, 19, 22, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 6, 20, 21, 59, 59, tzinfo=UTC)
    explicit = parse_when("2026-06-20T10:00:00+00:00", "Europe/Copenhagen")
    assert explicit == datetime(2026, 6, 20, 10, 0, tzinfo=UTC)


async def test_switching_the_edition_reloads_the_list(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        past = next(e for e in app.editions if e.name == "2025")
        expected = sandbox_backend.state.db.scalar(
            "SELECT COUNT(*) FROM orders WHERE edition_id = ?", (past.id,)
        )
        assert expected != screen.table.total
        app.set_edition(past)
        await wait_until(pilot, lambda: screen.table.total == expected, what="past edition")
        await wait_for_workers(pilot)
        assert {o.edition_id for o in screen.table.items} == {past.id}
        assert all((o.order_number or "").startswith("NF25-") for o in screen.table.items)


async def test_read_only_profile_does_not_open_the_refund_form(make_app: AppFactory) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        await current_with_detail(pilot, screen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, OrdersScreen)
        assert any("read-only" in n.message for n in app._notifications)
