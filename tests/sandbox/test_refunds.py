"""Refund requests over HTTP: filters, ordering, paging, transitions, 409s, roles, amounts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.sandbox import Sandbox


async def requested(
    sandbox: Sandbox, client: httpx.AsyncClient, **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(
        "/v1/refund-requests",
        params={"status": "requested", "edition_id": sandbox.editions["current"], **params},
    )
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def test_seed_has_every_status_and_40_requested(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get(
            "/v1/refund-requests",
            params={"edition_id": sandbox.editions["current"], "status": "requested"},
        )
        assert r.json()["count"] >= 40
        for status in (
            "requested",
            "ready",
            "processing",
            "awaiting_gateway",
            "processed",
            "failed",
            "rejected",
            "invalid",
        ):
            r = await c.get("/v1/refund-requests", params={"status": status})
            assert r.json()["count"] > 0, status


async def test_approve_runs_the_payment_side_to_the_end(sandbox: Sandbox) -> None:
    async with sandbox.client("manager") as c:
        item = (await requested(sandbox, c))[0]
        assert item["can_approve"] and item["can_reject"]
        r = await c.post(f"/v1/refund-requests/{item['id']}/approve", json={"comment": "ok"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "ready"
        assert body["can_approve"] is False
        assert body["decided_by"]["email"] == "manager@sandbox.preo.dev"

        async def finished() -> dict[str, Any] | None:
            got = (await c.get(f"/v1/refund-requests/{item['id']}")).json()
            return got if got["status"] in ("processed", "failed") else None

        final = await sandbox.wait_for(finished)
        changes = sandbox.db.state_changes(item["id"])
        assert changes[:4] == [
            (None, "requested"),
            ("requested", "ready"),
            ("ready", "processing"),
            ("processing", "awaiting_gateway"),
        ]
        assert changes[-1] == ("awaiting_gateway", final["status"])
        if final["status"] == "processed":
            assert final["refund_date"] is not None
            purchase = (await c.get(f"/v1/purchases/{item['purchase_id']}")).json()
            assert purchase["refunded_amount"] >= item["amount"]
            assert purchase["status"] in ("partially_refunded", "refunded")
        else:
            assert final["service_response"]["code"] == "gateway_declined"


@pytest.mark.parametrize("rate,expected", [(0.0, "processed"), (1.0, "failed")])
async def test_gateway_outcome(sandbox_factory: Any, rate: float, expected: str) -> None:
    box = sandbox_factory(refund_failure_rate=rate)
    await box.start()
    try:
        async with box.client() as c:
            item = (await requested(box, c))[0]
            await c.post(f"/v1/refund-requests/{item['id']}/approve")
            await box.idle()
            got = (await c.get(f"/v1/refund-requests/{item['id']}")).json()
            assert got["status"] == expected
            if expected == "failed":
                assert got["service_response"] and got["refund_date"] is None
            else:
                assert got["refund_date"]
    finally:
        await box.stop()


async def test_illegal_transitions_are_409(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        first, second = (await requested(sandbox, c))[:2]
        assert (
            await c.post(f"/v1/refund-requests/{first['id']}/reject", json={"reason": "Too late"})
        ).status_code == 200
        for verb, body in (("approve", {}), ("reject", {"reason": "again"})):
            r = await c.post(f"/v1/refund-requests/{first['id']}/{verb}", json=body)
            assert r.status_code == 409
            assert "rejected" in r.json()["detail"]
        assert (await c.post(f"/v1/refund-requests/{second['id']}/approve")).status_code == 200
        r = await c.post(f"/v1/refund-requests/{second['id']}/approve")
        assert r.status_code == 409
        r = await c.post(f"/v1/refund-requests/{second['id']}/reject", json={"reason": "x"})
        assert r.status_code == 409
        await sandbox.idle()
        assert [c for c in sandbox.db.state_changes(second["id"]) if c[1] == "ready"] == [
            ("requested", "ready")
        ]


async def test_staff_cannot_decide(sandbox: Sandbox) -> None:
    async with sandbox.client("staff") as c:
        item = (await requested(sandbox, c))[0]
        assert item["can_approve"] is False and item["can_reject"] is False
        r = await c.post(f"/v1/refund-requests/{item['id']}/approve")
        assert r.status_code == 403
        assert "detail" in r.json()
        r = await c.post(f"/v1/refund-requests/{item['id']}/reject", json={"reason": "no"})
        assert r.status_code == 403
    assert sandbox.db.state_changes(item["id"])[-1][1] == "requested"


async def test_reject_needs_a_reason(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        item = (await requested(sandbox, c))[0]
        r = await c.post(f"/v1/refund-requests/{item['id']}/reject", json={})
        assert r.status_code == 400
        assert r.json() == {"reason": ["This field is required."]}
        r = await c.post(f"/v1/refund-requests/{item['id']}/reject", json={"reason": "Late"})
        assert r.json()["status"] == "rejected"
        assert r.json()["rejection_reason"] == "Late"


async def test_filters_ordering_and_paging(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get(
            "/v1/refund-requests",
            params={"status": "processed,failed", "ordering": "-amount", "page_size": 5},
        )
        body = r.json()
        assert {x["status"] for x in body["results"]} <= {"processed", "failed"}
        amounts = [x["amount"] for x in body["results"]]
        assert amounts == sorted(amounts, reverse=True)
        assert body["next"].startswith("http://sandbox.test/v1/refund-requests?")
        assert "page=2" in body["next"] and body["previous"] is None
        page2 = (await c.get(body["next"])).json()
        assert page2["previous"] is not None
        assert not {x["id"] for x in page2["results"]} & {x["id"] for x in body["results"]}
        one = body["results"][0]
        r = await c.get("/v1/refund-requests", params={"search": one["order_number"].lower()})
        assert one["id"] in [x["id"] for x in r.json()["results"]]
        r = await c.get("/v1/refund-requests", params={"search": one["customer_email"].upper()})
        assert one["id"] in [x["id"] for x in r.json()["results"]]
        r = await c.get("/v1/refund-requests", params={"reason": "deposit_reclaim"})
        assert all(x["reason"] == "deposit_reclaim" for x in r.json()["results"])
        r = await c.get("/v1/refund-requests", params={"ordering": "created"})
        created = [x["created"] for x in r.json()["results"]]
        assert created == sorted(created)
        r = await c.get("/v1/refund-requests", params={"created_after": "2099-01-01T00:00:00Z"})
        assert r.json()["count"] == 0
        r = await c.get("/v1/refund-requests", params={"status": "bogus"})
        assert r.status_code == 400 and "status" in r.json()
        r = await c.get("/v1/refund-requests", params={"ordering": "customer"})
        assert r.status_code == 400 and "ordering" in r.json()
        r = await c.get("/v1/refund-requests", params={"page": 999})
        assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}


async def test_second_org_is_invisible_to_staff(sandbox: Sandbox) -> None:
    async with sandbox.client("staff") as c:
        r = await c.get(
            "/v1/refund-requests", params={"edition_id": sandbox.editions["second_org"]}
        )
        assert r.json()["count"] == 0
    async with sandbox.client("admin") as c:
        r = await c.get(
            "/v1/refund-requests", params={"edition_id": sandbox.editions["second_org"]}
        )
        assert r.json()["count"] > 0
        rid = r.json()["results"][0]["id"]
    async with sandbox.client("staff") as c:
        r = await c.get(f"/v1/refund-requests/{rid}")
        assert r.status_code == 404 and r.json() == {"detail": "Refund request not found."}


async def _fresh_purchase(sandbox: Sandbox, kind: str = "ticket") -> dict[str, Any]:
    row = sandbox.db.one(
        "SELECT p.id FROM purchases p JOIN orders o ON o.id = p.order_id JOIN products pr"
        " ON pr.id = p.product_id WHERE o.status = 'completed' AND p.status = 'active'"
        " AND pr.kind = ? AND p.edition_id = ? AND NOT EXISTS (SELECT 1 FROM refund_requests r"
        " WHERE r.order_id = o.id) ORDER BY p.pk LIMIT 1",
        (kind, sandbox.editions["current"]),
    )
    assert row is not None
    async with sandbox.client() as c:
        return dict((await c.get(f"/v1/purchases/{row['id']}")).json())


async def test_create_default_scopes_and_amount_bounds(sandbox: Sandbox) -> None:
    purchase = await _fresh_purchase(sandbox, "rental")
    pid = purchase["id"]
    async with sandbox.client("staff") as c:
        r = await c.post(f"/v1/purchases/{pid}/refund", json={"reason": "rental_return"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["scope"] == "purchase_deposit"
        assert body["amount"] == purchase["quantity"] * purchase["deposit"]
        assert body["status"] == "requested"
        assert body["requested_by"]["email"] == "staff@sandbox.preo.dev"
        r = await c.post(
            f"/v1/purchases/{pid}/refund", json={"reason": "other", "scope": "purchase_full"}
        )
        assert r.status_code == 403
    async with sandbox.client("manager") as c:
        r = await c.post(f"/v1/purchases/{pid}/refund", json={"reason": "compensation"})
        assert r.status_code == 400 and "amount" in r.json()
        r = await c.post(
            f"/v1/purchases/{pid}/refund", json={"reason": "compensation", "amount": 1_000_000}
        )
        assert r.status_code == 400 and "can still be refunded" in r.json()["amount"][0]
        r = await c.post(
            f"/v1/purchases/{pid}/refund",
            json={"reason": "overcharge", "amount": 10.5, "comment": "sorry"},
        )
        assert r.status_code == 201 and r.json()["scope"] == "purchase_custom"
        assert r.json()["amount"] == 10.5
        r = await c.post(f"/v1/purchases/{pid}/refund", json={"reason": "nonsense"})
        assert r.status_code == 400 and "reason" in r.json()
        detail = (await c.get(f"/v1/purchases/{pid}")).json()
        assert len(detail["refund_requests"]) == 2


async def test_refund_of_cancelled_purchase_is_invalid(sandbox: Sandbox) -> None:
    row = sandbox.db.one(
        "SELECT p.id FROM purchases p JOIN orders o ON o.id = p.order_id"
        " WHERE o.status = 'cancelled' LIMIT 1"
    )
    assert row is not None
    async with sandbox.client() as c:
        r = await c.post(f"/v1/purchases/{row['id']}/refund", json={"reason": "other"})
        assert r.status_code == 201
        assert r.json()["status"] == "invalid"
        assert r.json()["can_approve"] is False
        r2 = await c.post(f"/v1/refund-requests/{r.json()['id']}/approve")
        assert r2.status_code == 409


async def test_create_by_transaction_and_by_purchase_id(sandbox: Sandbox) -> None:
    purchase = await _fresh_purchase(sandbox)
    async with sandbox.client() as c:
        order = (await c.get(f"/v1/orders/{purchase['order_id']}")).json()
        r = await c.post(
            "/v1/refund-requests",
            json={"transaction_id": order["transaction_id"], "reason": "event_cancelled"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["scope"] == "transaction_full"
        assert r.json()["amount"] == pytest.approx(order["amount"])
        assert r.json()["purchase_id"] is None
        r = await c.post(
            "/v1/refund-requests", json={"purchase_id": purchase["id"], "reason": "other"}
        )
        assert r.status_code == 400  # everything is reserved by the open transaction refund
        r = await c.post("/v1/refund-requests", json={"reason": "other"})
        assert r.status_code == 400 and "non_field_errors" in r.json()
        r = await c.post("/v1/refund-requests", json={"purchase_id": "pur_nope", "reason": "other"})
        assert r.status_code == 400 and "purchase_id" in r.json()
        r = await c.post("/v1/purchases/pur_nope/refund", json={"reason": "other"})
        assert r.status_code == 404


async def test_webhook_events_for_refunds(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        item = (await requested(sandbox, c))[0]
        await c.post(f"/v1/refund-requests/{item['id']}/approve")
        await sandbox.idle()
    received = [x for x in sandbox.state.webhooks.sink.received if x["path"] == "/refunds"]
    events = [x["event"] for x in received]
    assert "refund_request.approved" in events
    assert {"refund_request.processed", "refund_request.failed"} & set(events)


async def test_ours_additions_for_the_queue(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        body = (await c.get("/v1/refund-requests", params={"status": "requested"})).json()
        item = body["results"][0]
        assert item["customer_name"] and " " in item["customer_name"]
        assert item["product_name"]
        expected = sandbox.db.scalar(
            "SELECT ROUND(SUM(amount), 2) FROM refund_requests WHERE status = 'requested'"
        )
        assert body["total_amount"] == expected
        got = (
            await c.get("/v1/refund-requests", params={"amount_min": 100, "amount_max": 500})
        ).json()
        assert got["count"] > 0 and all(100 <= x["amount"] <= 500 for x in got["results"])
        r = await c.get("/v1/refund-requests", params={"amount_min": "lots"})
        assert r.status_code == 400 and r.json() == {"amount_min": ["A valid number is required."]}
        choices = (await c.get(f"/v1/editions/{sandbox.editions['current']}/field-choices")).json()
        assert [p["label"] for p in choices["pickup_point_id"]] == [
            "Main Entrance Info Desk",
            "Camping Service Point",
        ]
