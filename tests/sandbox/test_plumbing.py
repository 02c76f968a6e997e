"""Cross-cutting behaviour: error bodies, auth, paging, idempotency, faults, request ids."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine

from preo_tui.sandbox.tokens import ACCESS_TTL
from tests.fixtures.sandbox import Sandbox


# -- error bodies --------------------------------------------------------------------------------
async def test_malformed_json_is_a_contract_400(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/consents", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert list(r.json()) == ["non_field_errors"]
        assert "JSON parse error" in r.json()["non_field_errors"][0]
        r = await c.post("/v1/consents", json=[1, 2])
        assert r.status_code == 400 and "non_field_errors" in r.json()


async def test_wrong_types_missing_fields_and_unknown_enums(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/consents",
            json={"organization_id": org, "channel": "pigeon", "is_active": "perhaps"},
        )
        assert r.status_code == 400
        body = r.json()
        assert body["name"] == ["This field is required."]
        assert "not a valid choice" in body["channel"][0]
        assert body["is_active"] == ["Must be a valid boolean."]
        before = sandbox.db.scalar("SELECT COUNT(*) FROM consents")
        assert before == sandbox.db.scalar("SELECT COUNT(*) FROM consents")  # no partial write


async def test_paging_bounds_and_unknown_ids(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get("/v1/users", params={"page_size": 501})
        assert r.status_code == 400
        assert r.json() == {"page_size": ["Ensure this value is less than or equal to 500."]}
        r = await c.get("/v1/users", params={"page": 0})
        assert r.status_code == 400 and "page" in r.json()
        r = await c.get("/v1/users", params={"page": "two"})
        assert r.json() == {"page": ["A valid integer is required."]}
        r = await c.get("/v1/users", params={"page": 10_000})
        assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}
        r = await c.get("/v1/users/usr_missing")
        assert r.status_code == 404 and r.json() == {"detail": "User not found."}
        r = await c.get("/v1/no-such-thing")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        r = await c.put("/v1/users")
        assert r.status_code == 405 and r.json() == {"detail": 'Method "PUT" not allowed.'}


async def test_page_links_are_absolute_and_keep_filters(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get("/v1/users", params={"page_size": 50, "ordering": "email"})
        body = r.json()
        assert body["count"] > 100
        assert body["previous"] is None
        nxt = httpx.URL(body["next"])
        assert nxt.host == "sandbox.test" and nxt.params["ordering"] == "email"
        assert nxt.params["page"] == "2"
        second = (await c.get(body["next"])).json()
        assert httpx.URL(second["previous"]).params.get("page") is None
        last_page = -(-body["count"] // 50)
        last = (await c.get("/v1/users", params={"page_size": 50, "page": last_page})).json()
        assert last["next"] is None
        assert len(last["results"]) == body["count"] - 50 * (last_page - 1)
        emails = [u["email"] for u in body["results"] + second["results"]]
        assert emails == sorted(emails)


# -- auth --------------------------------------------------------------------------------------------
async def test_missing_and_bad_tokens(sandbox: Sandbox) -> None:
    async with sandbox.client(role=None) as c:
        r = await c.get("/v1/auth/me")
        assert r.status_code == 401
        assert r.json() == {"detail": "Authentication credentials were not provided."}
        r = await c.get("/v1/auth/me", headers={"Authorization": "Bearer garbage"})
        assert r.status_code == 401 and r.json()["code"] == "token_not_valid"


async def test_password_login_refresh_and_expiry(sandbox: Sandbox) -> None:
    async with sandbox.client(role=None) as c:
        r = await c.post(
            "/v1/auth/token", json={"email": "admin@sandbox.preo.dev", "password": "nope"}
        )
        assert r.status_code == 401
        r = await c.post(
            "/v1/auth/token", json={"email": "ADMIN@sandbox.preo.dev", "password": "sandbox"}
        )
        assert r.status_code == 200
        tokens = r.json()
        assert set(tokens) == {"access", "refresh"}
        me = await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access']}"})
        assert me.json()["email"] == "admin@sandbox.preo.dev"
        assert {o["role"] for o in me.json()["organizations"]} == {"admin"}
        r = await c.post("/v1/auth/token/refresh", json={"refresh": tokens["access"]})
        assert r.status_code == 401  # an access token is not a refresh token
        with time_machine.travel(sandbox_now() + ACCESS_TTL + timedelta(seconds=1), tick=False):
            r = await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access']}"})
            assert r.status_code == 401
            assert r.json() == {"detail": "Token expired", "code": "token_not_valid"}
            r = await c.post("/v1/auth/token/refresh", json={"refresh": tokens["refresh"]})
            assert r.status_code == 200
            fresh = r.json()["access"]
            r = await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"})
            assert r.status_code == 200
        with time_machine.travel(sandbox_now() + timedelta(days=7, seconds=1), tick=False):
            r = await c.post("/v1/auth/token/refresh", json={"refresh": tokens["refresh"]})
            assert r.status_code == 401 and r.json()["code"] == "token_not_valid"


def sandbox_now() -> Any:
    from tests.fixtures.sandbox import SANDBOX_NOW

    return SANDBOX_NOW


async def test_pin_login_and_lockout(sandbox: Sandbox) -> None:
    phone = "+4520000002"
    async with sandbox.client(role=None) as c:
        r = await c.post("/v1/auth/pin", json={"phone": phone})
        assert r.status_code == 204
        pin = sandbox.state.pins[phone]
        assert len(pin) == 6 and pin.isdigit()
        wrong = "000000" if pin != "000000" else "111111"
        for left in (4, 3, 2, 1, 0):
            r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": wrong})
            assert r.status_code == 400 and f"{left} tries left" in r.json()["pin"][0]
        r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": pin})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0 and "detail" in r.json()
        # Issue 14: a new PIN does not reset the tries; the lockout ends with the PIN window.
        await c.post("/v1/auth/pin", json={"phone": phone})
        pin = sandbox.state.pins[phone]
        r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": pin})
        assert r.status_code == 429
        with time_machine.travel(sandbox_now() + timedelta(minutes=10, seconds=1), tick=False):
            await c.post("/v1/auth/pin", json={"phone": phone})
            pin = sandbox.state.pins[phone]
            r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": pin})
        assert r.status_code == 200
        me = await c.get("/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access']}"})
        assert me.json()["email"] == "manager@sandbox.preo.dev"
        roles = {o["role"] for o in me.json()["organizations"]}
        assert roles == {"manager", "staff"}
        r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": pin})
        assert r.status_code == 400  # used up
        r = await c.post("/v1/auth/pin", json={"phone": "+4599999999"})
        assert r.status_code == 204 and "+4599999999" not in sandbox.state.pins


async def test_pin_expires_after_ten_minutes(sandbox: Sandbox) -> None:
    phone = "+4520000003"
    async with sandbox.client(role=None) as c:
        await c.post("/v1/auth/pin", json={"phone": phone})
        pin = sandbox.state.pins[phone]
        with time_machine.travel(sandbox_now() + timedelta(minutes=10, seconds=1), tick=False):
            r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": pin})
            assert r.status_code == 400 and "expired" in r.json()["pin"][0]


# -- idempotency -------------------------------------------------------------------------------------
async def requested_id(sandbox: Sandbox, c: httpx.AsyncClient, index: int = 0) -> str:
    r = await c.get(
        "/v1/refund-requests",
        params={"status": "requested", "edition_id": sandbox.editions["current"]},
    )
    return str(r.json()["results"][index]["id"])


async def test_idempotency_key_replays_the_first_response(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        rid = await requested_id(sandbox, c)
        key = {"Idempotency-Key": "6c1f0a5e-1111-4c1e-9a43-aaaaaaaaaaaa"}
        first = await c.post(f"/v1/refund-requests/{rid}/approve", headers=key)
        again = await c.post(f"/v1/refund-requests/{rid}/approve", headers=key)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        third = await c.post(
            f"/v1/refund-requests/{rid}/approve", headers={"Idempotency-Key": "another-key"}
        )
        assert third.status_code == 409
        await sandbox.idle()
        approvals = [ch for ch in sandbox.db.state_changes(rid) if ch[1] == "ready"]
        assert approvals == [("requested", "ready")]
    # Another caller with the same key is not served someone else's response.
    async with sandbox.client("manager") as c:
        r = await c.post(f"/v1/refund-requests/{rid}/approve", headers=key)
        assert r.status_code == 409


async def test_idempotency_on_create_and_expiry_after_24h(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    body = {"organization_id": org, "name": "VIP early access", "channel": "sms"}
    async with sandbox.client() as c:
        key = {"Idempotency-Key": "consent-create-1"}
        a = await c.post("/v1/consents", json=body, headers=key)
        b = await c.post("/v1/consents", json=body, headers=key)
        assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]
        assert (
            sandbox.db.scalar("SELECT COUNT(*) FROM consents WHERE name = ?", (body["name"],)) == 1
        )
        with time_machine.travel(sandbox_now() + timedelta(hours=24, seconds=1), tick=False):
            d = await c.post("/v1/consents", json=body, headers=key)
            assert d.status_code == 201 and d.json()["id"] != a.json()["id"]


async def test_concurrent_duplicate_gets_409(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        rid = await requested_id(sandbox, c)
        key = {"Idempotency-Key": "concurrent"}
        await c.put("/_sandbox/faults", json={"latency_ms": 30})
        first, second = await asyncio.gather(
            c.post(f"/v1/refund-requests/{rid}/approve", headers=key),
            c.post(f"/v1/refund-requests/{rid}/approve", headers=key),
        )
        assert sorted([first.status_code, second.status_code]) in ([200, 200], [200, 409])
        assert [ch for ch in sandbox.db.state_changes(rid) if ch[1] == "ready"] == [
            ("requested", "ready")
        ]


# -- faults --------------------------------------------------------------------------------------
async def test_fault_knobs_at_runtime(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get("/_sandbox/faults")
        assert r.json()["error_rate"] == 0.0
        r = await c.put("/_sandbox/faults", json={"error_rate": 2})
        assert r.status_code == 400 and "error_rate" in r.json()
        r = await c.put(
            "/_sandbox/faults",
            json={"error_rate": 1.0, "kinds": ["502"], "after_commit_ratio": 0.0},
        )
        assert r.json()["kinds"] == ["502"]
        r = await c.get("/v1/editions")
        assert r.status_code == 502 and r.headers["X-Sandbox-Fault"] == "before-handler"
        r = await c.get("/openapi.json")
        assert r.status_code == 200  # only /v1 is affected
        r = await c.put("/_sandbox/faults", json={"error_rate": 0.0, "reset_stats": True})
        assert r.json()["stats"]["injected"] == 0
        assert (await c.get("/v1/editions")).status_code == 200
    spec = sandbox.app.openapi()
    assert not [p for p in spec["paths"] if p.startswith("/_sandbox")]


async def test_before_handler_failure_writes_nothing(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        rid = await requested_id(sandbox, c)
        await c.put(
            "/_sandbox/faults",
            json={"error_rate": 1.0, "kinds": ["503"], "after_commit_ratio": 0.0},
        )
        r = await c.post(f"/v1/refund-requests/{rid}/approve")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert sandbox.db.state_changes(rid)[-1][1] == "requested"


async def test_after_commit_failure_and_idempotent_retry(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        rid = await requested_id(sandbox, c)
        key = {"Idempotency-Key": "lost-response"}
        await c.put(
            "/_sandbox/faults",
            json={"error_rate": 1.0, "kinds": ["500"], "after_commit_ratio": 1.0},
        )
        r = await c.post(f"/v1/refund-requests/{rid}/approve", headers=key)
        assert r.status_code == 500 and r.headers["X-Sandbox-Fault"] == "after-commit"
        assert ("requested", "ready") in sandbox.db.state_changes(rid)  # the write happened
        await c.put("/_sandbox/faults", json={"error_rate": 0.0})
        r = await c.post(f"/v1/refund-requests/{rid}/approve", headers=key)
        assert r.status_code == 200 and r.json()["status"] == "ready"
        assert r.headers["Idempotent-Replayed"] == "true"
        r = await c.post(f"/v1/refund-requests/{rid}/approve")  # without the key: a real 409
        assert r.status_code == 409


async def test_dropped_connection_is_a_transport_error(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        rid = await requested_id(sandbox, c)
        await c.put(
            "/_sandbox/faults",
            json={"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0},
        )
        with pytest.raises(httpx.TransportError):
            await c.post(f"/v1/refund-requests/{rid}/approve", headers={"Idempotency-Key": "k"})
        await c.put("/_sandbox/faults", json={"error_rate": 0.0})
        r = await c.post(f"/v1/refund-requests/{rid}/approve", headers={"Idempotency-Key": "k"})
        assert r.status_code == 200 and r.headers.get("Idempotent-Replayed") == "true"


async def test_error_rate_is_roughly_honoured(sandbox_factory: Any) -> None:
    box = sandbox_factory(error_rate=0.3, fault_seed=3)
    async with box.client() as c:
        await c.put("/_sandbox/faults", json={"kinds": ["500", "502", "503"]})
        codes = [(await c.get("/v1/consents")).status_code for _ in range(200)]
    failures = sum(1 for code in codes if code >= 500)
    assert 35 <= failures <= 85
    assert set(codes) <= {200, 500, 502, 503}
    await box.stop()


async def test_latency_is_added(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # No clock reading: the fault layer is seen asking for the configured delay.
    from preo_tui.sandbox import faults

    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: Any) -> Any:
        delays.append(delay)
        return await real_sleep(0, *args)

    class AsyncioSeenByFaults:  # the fault layer's view of asyncio, with a recording sleep
        sleep = staticmethod(recording_sleep)

        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

    monkeypatch.setattr(faults, "asyncio", AsyncioSeenByFaults())
    async with sandbox.client() as c:
        await c.get("/v1/consents")
        assert delays == []
        await c.put("/_sandbox/faults", json={"latency_ms": 50})
        await c.get("/v1/consents")
        assert delays == [0.05]


async def test_request_id_is_echoed(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.get("/v1/editions", headers={"X-Request-ID": "abc123"})
        assert r.headers["X-Request-ID"] == "abc123"
        r = await c.get("/v1/editions")
        assert len(r.headers["X-Request-ID"]) == 16


@pytest.mark.parametrize(
    "path,params",
    [
        ("/v1/orders", {"ordering": "amount"}),
        ("/v1/orders", {"ordering": "-status"}),
        ("/v1/orders", {"ordering": "created", "status": "completed"}),
        ("/v1/users", {"ordering": "-last_name"}),
        ("/v1/users", {"ordering": "email", "edition": "1"}),
    ],
)
async def test_walking_every_page_matches_one_big_page(
    sandbox: Sandbox, path: str, params: dict[str, str]
) -> None:
    query = dict(params)
    if query.pop("edition", None) or path == "/v1/orders":
        query["edition_id"] = sandbox.editions["current"]
    async with sandbox.client() as c:
        whole = (await c.get(path, params={**query, "page_size": 500})).json()
        assert whole["count"] <= 500 and whole["next"] is None
        walked: list[str] = []
        url: str | None = str(httpx.URL(path, params={**query, "page_size": 7}))
        while url:
            page = (await c.get(url)).json()
            assert page["count"] == whole["count"]
            walked += [item["id"] for item in page["results"]]
            url = page["next"]
        assert walked == [item["id"] for item in whole["results"]]
