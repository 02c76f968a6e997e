"""Webhooks: CRUD, real signed deliveries, retries, manual retry, secret rotation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from preo_tui.sandbox.events import verify
from tests.fixtures.sandbox import Sandbox


class Receiver:
    """An httpx transport standing in for a customer's webhook server."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "receiver.test":  # e.g. the seeded unreachable endpoint
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return httpx.Response(self.status, json={"ok": self.status < 300})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


@pytest.fixture
async def hooked(sandbox_factory: Any) -> Any:
    receiver = Receiver()
    box = sandbox_factory(speed=100_000.0, webhook_transport=receiver.transport)
    await box.start()
    yield box, receiver
    await box.stop()


async def make_endpoint(c: httpx.AsyncClient, box: Sandbox, **extra: Any) -> dict[str, Any]:
    r = await c.post(
        "/v1/webhooks",
        json={
            "organization_id": box.organizations[0],
            "name": "Test hook",
            "url": "https://receiver.test/hook",
            "events": ["refund_request.approved"],
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def approve_one(c: httpx.AsyncClient, box: Sandbox) -> str:
    r = await c.get(
        "/v1/refund-requests", params={"status": "requested", "edition_id": box.editions["current"]}
    )
    rid = str(r.json()["results"][0]["id"])
    assert (await c.post(f"/v1/refund-requests/{rid}/approve")).status_code == 200
    return rid


async def test_signed_delivery_is_recorded(hooked: Any) -> None:
    box, receiver = hooked
    async with box.client() as c:
        endpoint = await make_endpoint(c, box)
        assert endpoint["secret"].startswith("whsec_") and endpoint["is_active"] is True
        rid = await approve_one(c, box)
        await box.idle()
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        body = request.content
        assert verify(endpoint["secret"], request.headers["Preo-Signature"], body)
        assert not verify("whsec_wrong", request.headers["Preo-Signature"], body)
        payload = json.loads(body)
        assert payload["event"] == "refund_request.approved" and payload["data"]["id"] == rid
        deliveries = (await c.get(f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
        assert deliveries["count"] == 1
        d = deliveries["results"][0]
        assert d["status"] == "succeeded" and d["attempt_count"] == 1
        assert d["response_status"] == 200 and d["duration_ms"] >= 0
        one = (await c.get(f"/v1/webhooks/{endpoint['id']}/deliveries/{d['id']}")).json()
        assert one["id"] == d["id"] and one["endpoint_id"] == endpoint["id"]


async def test_failed_delivery_retries_then_fails_and_manual_retry(hooked: Any) -> None:
    box, receiver = hooked
    receiver.status = 500
    async with box.client() as c:
        endpoint = await make_endpoint(c, box)
        await approve_one(c, box)
        await box.state.idle(webhook_retries=True)
        assert len(receiver.requests) == 5
        d = (await c.get(f"/v1/webhooks/{endpoint['id']}/deliveries")).json()["results"][0]
        assert d["status"] == "failed" and d["attempt_count"] == 5 and d["response_status"] == 500
        assert d["next_retry_at"] is None
        receiver.status = 204
        r = await c.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{d['id']}/retry")
        assert r.status_code == 200
        assert r.json()["status"] == "succeeded" and r.json()["attempt_count"] == 6
        got = (
            await c.get(f"/v1/webhooks/{endpoint['id']}/deliveries", params={"status": "failed"})
        ).json()
        assert got["count"] == 0
        # a delivery that succeeded is not retried again: 409, nothing sent
        sent = len(receiver.requests)
        again = await c.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{d['id']}/retry")
        assert again.status_code == 409 and "succeeded" in again.json()["detail"]
        assert len(receiver.requests) == sent


async def test_rotate_secret_signs_with_the_new_one(hooked: Any) -> None:
    box, receiver = hooked
    async with box.client() as c:
        endpoint = await make_endpoint(c, box)
        r = await c.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")
        secret = r.json()["secret"]
        assert secret != endpoint["secret"]
        await approve_one(c, box)
        await box.idle()
        request = receiver.requests[-1]
        assert verify(secret, request.headers["Preo-Signature"], request.content)
        assert not verify(endpoint["secret"], request.headers["Preo-Signature"], request.content)


async def test_inactive_and_edition_scoped_endpoints_hear_nothing(hooked: Any) -> None:
    box, receiver = hooked
    async with box.client() as c:
        await make_endpoint(c, box, is_active=False)
        await make_endpoint(c, box, edition_id=box.editions["past"])
        await approve_one(c, box)
        await box.idle()
    assert receiver.requests == []


async def test_crud_validation_roles_and_filters(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/webhooks",
            json={
                "organization_id": org,
                "name": "x",
                "url": "ftp://nope",
                "events": ["order.exploded"],
            },
        )
        assert r.status_code == 400
        assert set(r.json()) == {"url", "events"}
        assert r.json()["url"] == ["Enter a valid http(s) URL."]
        r = await c.post(
            "/v1/webhooks",
            json={
                "organization_id": org,
                "name": "x",
                "url": "ftp://nope",
                "events": ["order.created"],
            },
        )
        assert r.status_code == 400 and "url" in r.json()
        endpoint = await make_endpoint(c, sandbox)
        r = await c.patch(
            f"/v1/webhooks/{endpoint['id']}", json={"is_active": False, "timeout_seconds": 5}
        )
        assert r.json()["is_active"] is False and r.json()["timeout_seconds"] == 5
        got = (await c.get("/v1/webhooks", params={"is_active": "false"})).json()
        assert endpoint["id"] in [w["id"] for w in got["results"]]
        names = [
            w["name"]
            for w in (await c.get("/v1/webhooks", params={"ordering": "name"})).json()["results"]
        ]
        assert names == sorted(names)
        seeded = (await c.get("/v1/webhooks", params={"organization_id": org})).json()
        assert any(w["name"].startswith("Legacy CRM") for w in seeded["results"])
    async with sandbox.client("staff") as c:
        assert (await c.delete(f"/v1/webhooks/{endpoint['id']}")).status_code == 403
        assert (await c.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")).status_code == 403
    async with sandbox.client() as c:
        assert (await c.delete(f"/v1/webhooks/{endpoint['id']}")).status_code == 204
        assert (await c.get(f"/v1/webhooks/{endpoint['id']}")).status_code == 404
