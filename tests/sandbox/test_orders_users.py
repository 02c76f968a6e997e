"""Orders, purchases, users and consents over HTTP."""

from __future__ import annotations

from tests.fixtures.sandbox import Sandbox


async def test_orders_need_a_scope_and_filter(sandbox: Sandbox) -> None:
    eid = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.get("/v1/orders")
        assert r.status_code == 400 and "non_field_errors" in r.json()
        body = (await c.get("/v1/orders", params={"edition_id": eid, "page_size": 5})).json()
        assert body["count"] == 300
        first = body["results"][0]
        assert set(first["customer"]) == {"id", "email", "phone", "first_name", "last_name"}
        assert "purchases" not in first and first["purchase_count"] >= 1
        created = [o["created"] for o in body["results"]]
        assert created == sorted(created, reverse=True)
        for status in ("pending", "confirmed", "completed", "cancelled"):
            got = (await c.get("/v1/orders", params={"edition_id": eid, "status": status})).json()
            assert got["count"] > 0 and {o["status"] for o in got["results"]} == {status}
        for kind in ("online", "in-person", "imported"):
            got = (await c.get("/v1/orders", params={"edition_id": eid, "type": kind})).json()
            assert got["count"] > 0 and {o["type"] for o in got["results"]} == {kind}
        r = await c.get("/v1/orders", params={"edition_id": eid, "type": "carrier-pigeon"})
        assert r.status_code == 400 and "type" in r.json()
        by_amount = (
            await c.get("/v1/orders", params={"edition_id": eid, "ordering": "amount"})
        ).json()
        amounts = [o["amount"] for o in by_amount["results"]]
        assert amounts == sorted(amounts)
        email = first["customer"]["email"]
        got = (
            await c.get("/v1/orders", params={"edition_id": eid, "customer_email": email})
        ).json()
        assert got["count"] >= 1 and {o["customer"]["email"] for o in got["results"]} == {email}
        for term in (
            first["order_number"][-4:],
            first["customer"]["email"][:8].upper(),
            first["id"],
        ):
            got = (await c.get("/v1/orders", params={"edition_id": eid, "search": term})).json()
            assert first["id"] in [o["id"] for o in got["results"]], term
        got = (
            await c.get("/v1/orders", params={"edition_id": eid, "order_number": "nf26-00000"})
        ).json()
        assert got["count"] == 9
        got = (
            await c.get(
                "/v1/orders",
                params={
                    "edition_id": eid,
                    "created_after": first["created"],
                    "created_before": first["created"],
                },
            )
        ).json()
        assert first["id"] in [o["id"] for o in got["results"]]
        r = await c.get("/v1/orders", params={"edition_id": eid, "created_after": "yesterday"})
        assert r.status_code == 400 and "created_after" in r.json()
        if first["transaction_id"]:
            got = (
                await c.get(
                    "/v1/orders",
                    params={
                        "organization_id": sandbox.organizations[0],
                        "transaction_id": first["transaction_id"],
                    },
                )
            ).json()
            assert [o["id"] for o in got["results"]] == [first["id"]]
        customer = (
            await c.get("/v1/orders", params={"customer_id": first["customer"]["id"]})
        ).json()
        assert customer["count"] >= 1


async def test_order_and_purchase_details(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        listing = (
            await c.get("/v1/orders", params={"edition_id": sandbox.editions["current"]})
        ).json()
        order = (await c.get(f"/v1/orders/{listing['results'][0]['id']}")).json()
        assert order["purchases"]
        assert round(sum(p["amount"] for p in order["purchases"]), 2) == order["amount"]
        for p in order["purchases"]:
            assert p["amount"] == round(
                p["quantity"] * (p["unit_price"] + p["deposit"]) + p["fees"], 2
            )
        purchase = (await c.get(f"/v1/purchases/{order['purchases'][0]['id']}")).json()
        assert (
            purchase["refund_requests"] == []
            or purchase["refund_requests"][0]["purchase_id"] == purchase["id"]
        )
        assert (await c.get("/v1/orders/ord_missing")).json() == {"detail": "Order not found."}
    async with sandbox.client("staff") as c:
        other = sandbox.db.scalar(
            "SELECT id FROM orders WHERE edition_id = ?", (sandbox.editions["second_org"],)
        )
        assert (await c.get(f"/v1/orders/{other}")).status_code == 404
        got = (
            await c.get("/v1/orders", params={"edition_id": sandbox.editions["second_org"]})
        ).json()
        assert got["count"] == 0


async def test_seeded_orders_cover_deposits_and_fees(sandbox: Sandbox) -> None:
    db = sandbox.db
    assert db.scalar("SELECT COUNT(*) FROM purchases WHERE deposit > 0") > 0
    assert db.scalar("SELECT COUNT(*) FROM purchases WHERE fees > 0") > 0
    statuses = {r[0] for r in db.query("SELECT DISTINCT status FROM purchases")}
    assert statuses == {"active", "partially_refunded", "refunded", "cancelled"}


async def test_users_list_search_and_edition_membership(sandbox: Sandbox) -> None:
    eid = sandbox.editions["current"]
    async with sandbox.client() as c:
        members = (await c.get("/v1/users", params={"edition_id": eid, "page_size": 500})).json()
        expected = sandbox.db.scalar(
            "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE edition_id = ?", (eid,)
        )
        assert members["count"] == expected
        user = members["results"][0]
        assert user["order_count"] >= 1 and isinstance(user["consents"], list)
        phones = {u["country_code"] for u in members["results"] if u["phone"]}
        assert {"+45", "+46", "+44"} <= phones
        names = {u["last_name"] for u in members["results"]}
        assert names & {"Jensen", "Nielsen", "Hansen"} and names & {"Andersson", "Johansson"}
        for term in (user["email"][:6].upper(), user["last_name"], (user["phone"] or "")[-6:]):
            got = (await c.get("/v1/users", params={"search": term})).json()
            assert user["id"] in [u["id"] for u in got["results"]], term
        got = (await c.get("/v1/users", params={"ordering": "-last_name", "page_size": 30})).json()
        names_sorted = [u["last_name"] for u in got["results"]]
        assert names_sorted == sorted(names_sorted, reverse=True)
        assert any("cns_newsletter" in u["consents"] for u in members["results"])


async def test_patch_user_validates_language_and_phone(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        uid = (await c.get("/v1/users")).json()["results"][0]["id"]
        r = await c.patch(f"/v1/users/{uid}", json={"language": "sv"})
        assert r.status_code == 400 and "language" in r.json()
        r = await c.patch(f"/v1/users/{uid}", json={"phone": "+99912345678"})
        assert r.status_code == 400 and "country code" in r.json()["phone"][0]
        r = await c.patch(f"/v1/users/{uid}", json={"phone": "12345"})
        assert r.status_code == 400
        r = await c.patch(f"/v1/users/{uid}", json={"email": "not-an-email"})
        assert r.status_code == 400 and "email" in r.json()
        r = await c.patch(
            f"/v1/users/{uid}",
            json={"phone": "+46 70 123 45 67", "language": "se", "email": "Karin.Berg@Example.se"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["phone"] == "+46701234567" and body["country_code"] == "+46"
        assert body["language"] == "se"
        got = (await c.get("/v1/users", params={"search": "karin.berg"})).json()
        assert [u["id"] for u in got["results"]] == [uid]
        if body["order_count"]:
            orders = (await c.get("/v1/orders", params={"customer_id": uid})).json()
            eid = orders["results"][0]["edition_id"]
            found = (
                await c.get("/v1/orders", params={"edition_id": eid, "search": "701234567"})
            ).json()
            assert found["count"] >= 1


async def test_consents_crud_and_delete_conflict(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    async with sandbox.client() as c:
        listing = (await c.get("/v1/consents", params={"organization_id": org})).json()
        newsletter = next(x for x in listing["results"] if x["id"] == "cns_newsletter")
        assert newsletter["user_count"] > 0 and newsletter["channel"] == "email"
        r = await c.post(
            "/v1/consents",
            json={
                "organization_id": org,
                "name": "Push",
                "channel": "any",
                "edition_id": sandbox.editions["current"],
            },
        )
        assert r.status_code == 201
        cid = r.json()["id"]
        r = await c.patch(f"/v1/consents/{cid}", json={"is_active": False, "description": "x"})
        assert r.json()["is_active"] is False
        got = (await c.get("/v1/consents", params={"is_active": "false"})).json()
        assert cid in [x["id"] for x in got["results"]]
        assert (await c.delete(f"/v1/consents/{cid}")).status_code == 204
        assert (await c.get(f"/v1/consents/{cid}")).status_code == 404
        used = sandbox.db.scalar(
            "SELECT consent_id FROM segments WHERE consent_id IS NOT NULL LIMIT 1"
        )
        assert used, "the seed has a marketing segment with a consent"
        r = await c.delete(f"/v1/consents/{used}")
        assert r.status_code == 409 and "segment" in r.json()["detail"]
    async with sandbox.client("staff") as c:
        r = await c.post("/v1/consents", json={"organization_id": org, "name": "Nope"})
        assert r.status_code == 403
