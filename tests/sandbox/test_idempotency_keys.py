"""Idempotency keys the sandbox refuses or does not remember: empty and over-long keys, a key
reused with other parameters or on another route, answers that are not stored (a refusal of
a caller without a token, a server error), and token endpoints never replayed."""

from __future__ import annotations

from typing import Any

from tests.fixtures.sandbox import Sandbox


def consent(sandbox: Sandbox, name: str) -> dict[str, Any]:
    return {"organization_id": sandbox.organizations[0], "name": name, "channel": "sms"}


async def test_malformed_keys_are_refused(sandbox: Sandbox) -> None:
    c = sandbox.client()
    for key in ("   ", "k" * 256):
        r = await c.post(
            "/v1/consents", json=consent(sandbox, "x"), headers={"Idempotency-Key": key}
        )
        assert r.status_code == 400
        assert r.json() == {
            "Idempotency-Key": ["Must be a non-empty string of at most 255 characters."]
        }
    assert sandbox.db.scalar("SELECT COUNT(*) FROM consents WHERE name = 'x'") == 0


async def test_a_key_reused_with_other_parameters_is_422(sandbox: Sandbox) -> None:
    c = sandbox.client()
    key = {"Idempotency-Key": "reused"}
    first = await c.post("/v1/consents", json=consent(sandbox, "first"), headers=key)
    assert first.status_code == 201
    other_body = await c.post("/v1/consents", json=consent(sandbox, "second"), headers=key)
    assert other_body.status_code == 422
    [message] = other_body.json()["Idempotency-Key"]
    assert "first used for POST /v1/consents with other parameters" in message
    other_route = await c.patch(
        f"/v1/consents/{first.json()['id']}", json={"name": "renamed"}, headers=key
    )
    assert other_route.status_code == 422
    assert sandbox.db.scalar("SELECT COUNT(*) FROM consents WHERE name = 'second'") == 0


async def test_server_errors_are_not_remembered(sandbox: Sandbox) -> None:
    c = sandbox.client()
    key = {"Idempotency-Key": "after-a-failure"}
    await c.put(
        "/_sandbox/faults", json={"error_rate": 1.0, "kinds": ["503"], "after_commit_ratio": 0.0}
    )
    failed = await c.post("/v1/consents", json=consent(sandbox, "retry me"), headers=key)
    assert failed.status_code == 503
    await c.put("/_sandbox/faults", json={"error_rate": 0.0})
    retried = await c.post("/v1/consents", json=consent(sandbox, "retry me"), headers=key)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert sandbox.db.scalar("SELECT COUNT(*) FROM consents WHERE name = 'retry me'") == 1


async def test_callers_without_a_token_and_token_endpoints_are_never_replayed(
    sandbox: Sandbox,
) -> None:
    anonymous = sandbox.client(None)
    key = {"Idempotency-Key": "anon"}
    for _ in range(2):
        r = await anonymous.post("/v1/consents", json=consent(sandbox, "anon"), headers=key)
        assert r.status_code == 401 and "idempotent-replayed" not in r.headers
    c = sandbox.client()
    login = {"email": "admin@sandbox.preo.dev", "password": "sandbox"}
    first = await c.post("/v1/auth/token", json=login, headers={"Idempotency-Key": "login"})
    second = await c.post("/v1/auth/token", json=login, headers={"Idempotency-Key": "login"})
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert sandbox.db.scalar("SELECT COUNT(*) FROM idempotency WHERE key = 'login'") == 0
