"""The refund queue's detail pane shows the money of now (issue 15): when another refund of the
same order is processed, "Refunded so far" and "still refundable" change without a restart —
when the store marks the order stale (a refresh saw the refund processed, store/links.py) and
on ``r``, which reads the purchase and order again instead of the cached copy."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console

from preo_tui.store import Query
from preo_tui.ui.formatting import money
from preo_tui.ui.refunds.screen import RefundsScreen
from tests.fixtures.app import AppFactory, Dirs, SandboxBackend, wait_for_workers, wait_until
from tests.ui.helpers import open_refunds, quick_refund_polls

HUNDRED = Decimal("100.00")


@pytest.fixture
def figures_backend(frozen_clock: Any) -> SandboxBackend:
    return SandboxBackend(requested_refunds=20, refund_failure_rate=0.0)


@pytest.fixture
def figures_app(figures_backend: SandboxBackend, isolated_dirs: Dirs) -> AppFactory:
    return AppFactory(figures_backend, isolated_dirs)


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)


def figures_line(screen: RefundsScreen) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(screen.detail_renderable(screen.table.current_item))
    return next(
        line.strip() for line in console.export_text().splitlines() if "Refunded so far" in line
    )


def everything(app: Any) -> Query[Any]:
    """A read of the edition's requests, all statuses (as another screen or poll reads them)."""
    client, edition = app.ctx.client, app.ctx.edition.id
    return Query(
        "refunds",
        lambda: client.refunds.list(edition_id=edition, ordering="-created", page_size=500),
        params={"edition_id": edition, "ordering": "-created", "page_size": "500"},
    )


async def _show_request_and_refund_its_order(
    pilot: Any, backend: SandboxBackend, *, read_before: bool
) -> Any:
    """Put the cursor on a requested refund whose order has another purchase with 100.00 left,
    have 100.00 of that purchase refunded and processed; return (screen, before, request id).
    ``read_before``: the store read the other request while it was still requested."""
    app = pilot.app
    screen = await open_refunds(pilot)
    db = backend.state.db
    row = db.one(
        "SELECT r.id AS rid, p.id AS pid FROM refund_requests r JOIN purchases p"
        " ON p.order_id = r.order_id AND p.id != r.purchase_id WHERE r.edition_id = ?"
        " AND r.status = 'requested' AND p.status = 'active' AND p.refunded_amount = 0"
        " AND p.unit_price >= 100 AND NOT EXISTS (SELECT 1 FROM refund_requests o"
        " WHERE o.purchase_id = p.id) ORDER BY r.created LIMIT 1",
        (app.ctx.edition.id,),
    )
    assert row is not None, "the seed has a requested refund with a sibling purchase"
    rid, other_purchase = row["rid"], row["pid"]
    assert screen.table.move_to_id(rid)
    await wait_until(pilot, lambda: rid in screen.details, what="the request's detail")
    await wait_for_workers(pilot)
    before = figures_line(screen)

    client = app.ctx.client
    other = await client.refunds.create(
        reason="customer_request", purchase_id=other_purchase, scope="purchase_custom",
        amount=HUNDRED,
    )  # fmt: skip
    if read_before:
        await app.ctx.store.refresh(everything(app))
    await client.refunds.approve(other.id)
    await wait_until(
        pilot,
        lambda: (
            db.scalar("SELECT status FROM refund_requests WHERE id = ?", (other.id,)) == "processed"
        ),
        within=20,
        what="processed by the sandbox",
    )
    assert figures_line(screen) == before  # nothing re-read yet
    return screen, before, rid


def _expected_after(screen: RefundsScreen, before: str) -> str:
    current = screen.table.current_item
    assert current is not None
    detail = screen.details[current.id]
    assert detail.order is not None
    purchases = detail.order.purchases or []
    refunded = sum((p.refunded_amount or Decimal(0) for p in purchases), Decimal(0))
    currency = screen.currency
    assert f"Refunded so far {money(refunded, currency)}" in before
    return f"Refunded so far {money(refunded + HUNDRED, currency)}"


async def test_a_processed_refund_updates_the_refund_detail_when_the_order_goes_stale(
    figures_app: AppFactory, figures_backend: SandboxBackend
) -> None:
    app = figures_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen, before, _ = await _show_request_and_refund_its_order(
            pilot, figures_backend, read_before=True
        )
        expected = _expected_after(screen, before)
        # A read that sees the other request processed: the store marks its order stale and
        # the pane reads it again, with no key pressed.
        await app.ctx.store.refresh(everything(app))
        await wait_until(pilot, lambda: expected in figures_line(screen), what="new figures")
        assert "still refundable" in figures_line(screen) and figures_line(screen) != before


async def test_r_reads_the_refund_detail_money_again(
    figures_app: AppFactory, figures_backend: SandboxBackend
) -> None:
    app = figures_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen, before, _ = await _show_request_and_refund_its_order(
            pilot, figures_backend, read_before=False
        )
        expected = _expected_after(screen, before)
        await pilot.press("r")
        await wait_until(pilot, lambda: expected in figures_line(screen), what="new figures")
        after = figures_line(screen)
        left_before = before.split("still refundable ")[1]
        left_after = after.split("still refundable ")[1]
        assert left_before != left_after
