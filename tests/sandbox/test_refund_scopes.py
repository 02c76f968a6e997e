"""Refund requests by scope: the amount each purchase scope computes, refusals (a purchase
scope for a transaction, a non-positive amount, a deposit refund without a deposit, an
unknown pickup point), a pickup point recorded, and staff allowed the transaction scopes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.sandbox import Sandbox
from tests.sandbox.test_refunds import _fresh_purchase


async def test_purchase_price_amount_and_a_pickup_point(sandbox: Sandbox) -> None:
    purchase = await _fresh_purchase(sandbox)
    point = sandbox.db.one(
        "SELECT id, name FROM pickup_points WHERE edition_id = ? LIMIT 1",
        (purchase["edition_id"],),
    )
    assert point is not None
    c = sandbox.client()
    r = await c.post(
        f"/v1/purchases/{purchase['id']}/refund",
        json={"reason": "other", "scope": "purchase_price", "pickup_point_id": "pp_nope"},
    )
    assert r.json() == {"pickup_point_id": ["Unknown pickup point for this edition."]}
    r = await c.post(
        f"/v1/purchases/{purchase['id']}/refund",
        json={"reason": "other", "scope": "purchase_price", "pickup_point_id": point["id"]},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["amount"] == pytest.approx(purchase["quantity"] * purchase["unit_price"])
    assert body["pickup_point"] == {"id": point["id"], "name": point["name"]}


async def test_a_ticket_has_no_deposit_to_refund(sandbox: Sandbox) -> None:
    purchase = await _fresh_purchase(sandbox)
    assert purchase["deposit"] == 0
    r = await sandbox.client().post(
        f"/v1/purchases/{purchase['id']}/refund",
        json={"reason": "deposit_reclaim"},
    )
    assert r.status_code == 400
    assert r.json() == {"scope": ["This purchase has no deposit to refund."]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"reason": "other", "scope": "purchase_full"},
            {"scope": ["A refund by transaction_id needs a transaction_* scope."]},
        ),
        (
            {"reason": "other", "scope": "transaction_custom", "amount": -5},
            {"amount": ["Ensure this value is greater than 0."]},
        ),
        (
            {"reason": "other", "scope": "transaction_custom"},
            {"amount": ["This field is required for a custom scope."]},
        ),
    ],
)
async def test_refusals_by_transaction(
    sandbox: Sandbox, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    purchase = await _fresh_purchase(sandbox)
    c = sandbox.client()
    order = (await c.get(f"/v1/orders/{purchase['order_id']}")).json()
    r = await c.post(
        "/v1/refund-requests", json={"transaction_id": order["transaction_id"], **body}
    )
    assert (r.status_code, r.json()) == (400, expected)


async def test_staff_may_choose_a_transaction_scope(sandbox: Sandbox) -> None:
    purchase = await _fresh_purchase(sandbox)
    c = sandbox.client("staff")
    order = (await c.get(f"/v1/orders/{purchase['order_id']}")).json()
    r = await c.post(
        "/v1/refund-requests",
        json={
            "transaction_id": order["transaction_id"],
            "reason": "compensation",
            "scope": "transaction_custom",
            "amount": 5,
        },
    )
    assert r.status_code == 201, r.text
    assert (r.json()["scope"], r.json()["amount"]) == ("transaction_custom", 5)
