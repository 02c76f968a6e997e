"""Refund requests against the sandbox: list filters, create (two ways), approve, reject,
conflicts, permissions, and the asynchronous payment life cycle."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from preo_tui.api import Conflict, PermissionDenied, PreoClient, ValidationFailed
from preo_tui.api.editions import EditionStatus
from preo_tui.api.orders import OrderStatus
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundReason, RefundScope, RefundStatus

from .conftest import Sandbox, poll_until, preo_client, state_changes


async def refundable_purchases(preo: PreoClient, n: int) -> list[Purchase]:
    edition = (await preo.editions.list(status=EditionStatus.CURRENT)).results[0]
    found: list[Purchase] = []
    async for order in preo.orders.iterate(edition_id=edition.id, status=OrderStatus.COMPLETED):
        detail = await preo.orders.get(order.id)
        for purchase in detail.purchases or []:
            full = await preo.purchases.get(purchase.id)
            if full.status == "active" and not full.refund_requests and (full.amount or 0) > 0:
                found.append(full)
                if len(found) == n:
                    return found
    raise AssertionError("not enough refundable purchases in the seed")


async def test_list_filters(preo: PreoClient) -> None:
    requested = await preo.refunds.list(status=RefundStatus.REQUESTED, ordering="-amount")
    assert requested.count > 0
    assert all(r.status is RefundStatus.REQUESTED for r in requested.results)
    amounts = [r.amount or Decimal(0) for r in requested.results]
    assert amounts == sorted(amounts, reverse=True)
    both = await preo.refunds.list(status=["requested", RefundStatus.REJECTED], page_size=500)
    assert {r.status for r in both.results} <= {"requested", "rejected"}
    assert both.count >= requested.count
    first = requested.results[0]
    assert first.can_approve is True and first.can_reject is True
    assert first.order_number
    found = await preo.refunds.list(search=first.order_number)
    assert first.id in {r.id for r in found.results}
    by_reason = await preo.refunds.list(reason=first.reason)
    assert all(r.reason == first.reason for r in by_reason.results)
    got = await preo.refunds.get(first.id)
    assert got.id == first.id and got.requested_by is not None
    everything = [r.id async for r in preo.refunds.iterate(page_size=40)]
    assert len(everything) == (await preo.refunds.list()).count == len(set(everything))


async def test_create_approve_and_payment_life_cycle(sandbox: Sandbox, preo: PreoClient) -> None:
    purchase, other = await refundable_purchases(preo, 2)
    rr = await preo.purchases.refund(purchase.id, reason=RefundReason.CUSTOMER_REQUEST)
    assert rr.status is RefundStatus.REQUESTED and rr.scope is RefundScope.PURCHASE_PRICE
    assert rr.purchase_id == purchase.id and isinstance(rr.amount, Decimal)
    approved = await preo.refunds.approve(rr.id, comment="ok")
    assert approved.status is RefundStatus.READY and approved.can_approve is False
    with pytest.raises(Conflict) as info:
        await preo.refunds.approve(rr.id)
    assert info.value.status == 409
    final = await poll_until(
        lambda: preo.refunds.get(rr.id),
        lambda r: r.status in (RefundStatus.PROCESSED, RefundStatus.FAILED),
    )
    assert final.refund_date is not None or final.service_response is not None
    changes = state_changes(sandbox, rr.id)
    assert changes[:2] == [(None, "requested"), ("requested", "ready")]

    custom = await preo.refunds.create(
        purchase_id=other.id,
        reason="compensation",
        amount=Decimal("1.50"),
        comment="sorry",
    )
    assert custom.scope is RefundScope.PURCHASE_CUSTOM and custom.amount == Decimal("1.5")
    rejected = await preo.refunds.reject(custom.id, reason="Not eligible")
    assert rejected.status is RefundStatus.REJECTED
    assert rejected.rejection_reason == "Not eligible"


async def test_refund_validation_and_permissions(sandbox: Sandbox, preo: PreoClient) -> None:
    (purchase,) = await refundable_purchases(preo, 1)
    with pytest.raises(ValidationFailed) as info:
        await preo.purchases.refund(purchase.id, reason="overcharge")  # custom scope, no amount
    assert "amount" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        await preo.purchases.refund(
            purchase.id, reason="compensation", amount=(purchase.amount or 0) + 1000
        )
    assert "amount" in info.value.fields
    with pytest.raises(ValidationFailed):
        await preo.refunds.create(reason="other")  # neither purchase nor transaction
    requested = (await preo.refunds.list(status="requested")).results[0]
    async with preo_client(sandbox, "staff") as staff:
        listed = await staff.refunds.get(requested.id)
        assert listed.can_approve is False
        with pytest.raises(PermissionDenied):
            await staff.refunds.approve(requested.id)


async def test_bulk_approval_at_the_concurrency_limit(started_sandbox) -> None:
    sandbox = await started_sandbox(requested_refunds=60)
    async with preo_client(sandbox, max_concurrency=8) as preo:
        ids = [r.id async for r in preo.refunds.iterate(status="requested")][:50]
        results = await asyncio.gather(*(preo.refunds.approve(i) for i in ids))
        assert {r.status for r in results} == {RefundStatus.READY}
        assert preo.writes_in_flight == 0
    for rid in ids:
        assert state_changes(sandbox, rid).count(("requested", "ready")) == 1
