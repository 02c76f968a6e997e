"""Issue 14, item 6: sandbox authorization and exposure.

- the role matrix of ``preo_tui/sandbox/roles.py`` as a table: role × write operation →
  allowed (any answer but 403; state rules may still say 409) or 403;
- ``/_sandbox/*`` (all but health) and file downloads need the admin token;
- uploads are served as attachments with ``nosniff``;
- PIN tries survive a new PIN request; login and PIN are rate limited (429 + Retry-After),
  per identity, so other accounts (and the test suite's own logins) are not throttled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.sandbox import Sandbox

Request = tuple[str, str, dict[str, Any]]


def _one(sandbox: Sandbox, sql: str, *params: Any) -> str:
    value = sandbox.db.scalar(sql, params)
    assert value is not None, sql
    return str(value)


def scheduled(s: Sandbox) -> str:
    return _one(
        s,
        "SELECT id FROM campaigns WHERE status = 'scheduled' AND channel = 'email'"
        " AND organization_id = ? ORDER BY pk",
        s.organizations[0],
    )


def draft(s: Sandbox) -> str:
    return _one(
        s,
        "SELECT id FROM campaigns WHERE status = 'draft' AND organization_id = ? ORDER BY pk",
        s.organizations[0],
    )


def locked_segment(s: Sandbox) -> str:
    return _one(s, "SELECT segment_id FROM campaigns WHERE id = ?", scheduled(s))


def locked_message(s: Sandbox) -> str:
    return _one(s, "SELECT email_message_id FROM campaigns WHERE id = ?", scheduled(s))


OPS: dict[str, Callable[[Sandbox], Request]] = {
    "campaign.create": lambda s: (
        "POST",
        "/v1/campaigns",
        {
            "json": {
                "edition_id": s.editions["current"],
                "name": "Role test",
                "channel": "sms",
                "segment_id": locked_segment(s),
                "sms_body": "Hi",
            }
        },
    ),
    "campaign.update.draft": lambda s: (
        "PATCH",
        f"/v1/campaigns/{draft(s)}",
        {"json": {"name": "Renamed draft"}},
    ),
    "campaign.delete.draft": lambda s: ("DELETE", f"/v1/campaigns/{draft(s)}", {}),
    "campaign.update.scheduled": lambda s: (
        "PATCH",
        f"/v1/campaigns/{scheduled(s)}",
        {"json": {"name": "Rewritten by someone"}},
    ),
    "campaign.delete.scheduled": lambda s: ("DELETE", f"/v1/campaigns/{scheduled(s)}", {}),
    "campaign.cancel.scheduled": lambda s: (
        "POST",
        f"/v1/campaigns/{scheduled(s)}/cancel",
        {},
    ),
    "campaign.send-now.draft": lambda s: ("POST", f"/v1/campaigns/{draft(s)}/send-now", {}),
    "segment.create": lambda s: (
        "POST",
        "/v1/segments",
        {
            "json": {
                "edition_id": s.editions["current"],
                "name": "Role test segment",
                "communication_type": "transactional",
                "communication_channel": "email",
                "condition": "true",
            }
        },
    ),
    "segment.rename.locked": lambda s: (
        "PATCH",
        f"/v1/segments/{locked_segment(s)}",
        {"json": {"name": "Renamed segment"}},
    ),
    "segment.condition.locked": lambda s: (
        "PATCH",
        f"/v1/segments/{locked_segment(s)}",
        {"json": {"condition": "true"}},
    ),
    "segment.delete.locked": lambda s: ("DELETE", f"/v1/segments/{locked_segment(s)}", {}),
    "message.update.locked": lambda s: (
        "PATCH",
        f"/v1/email-messages/{locked_message(s)}",
        {"json": {"subject": "Click here"}},
    ),
    "edition.update": lambda s: (
        "PATCH",
        f"/v1/editions/{s.editions['current']}",
        {"json": {"full_name": "Renamed edition"}},
    ),
    "consent.create": lambda s: (
        "POST",
        "/v1/consents",
        {"json": {"organization_id": s.organizations[0], "name": "Role", "channel": "sms"}},
    ),
    "refund.approve": lambda s: (
        "POST",
        "/v1/refund-requests/"
        + _one(
            s,
            "SELECT id FROM refund_requests WHERE status = 'requested' AND organization_id = ?"
            " ORDER BY pk",
            s.organizations[0],
        )
        + "/approve",
        {},
    ),
}

ALLOWED, FORBIDDEN = "allowed", "403"
#: The matrix (see the table in preo_tui/sandbox/roles.py): (admin, manager, staff).
MATRIX: dict[str, tuple[str, str, str]] = {
    "campaign.create": (ALLOWED, ALLOWED, ALLOWED),
    "campaign.update.draft": (ALLOWED, ALLOWED, ALLOWED),
    "campaign.delete.draft": (ALLOWED, ALLOWED, ALLOWED),
    "campaign.update.scheduled": (ALLOWED, ALLOWED, FORBIDDEN),
    "campaign.delete.scheduled": (ALLOWED, ALLOWED, FORBIDDEN),  # allowed: then 409 by state
    "campaign.cancel.scheduled": (ALLOWED, ALLOWED, FORBIDDEN),
    "campaign.send-now.draft": (ALLOWED, ALLOWED, FORBIDDEN),
    "segment.create": (ALLOWED, ALLOWED, ALLOWED),
    "segment.rename.locked": (ALLOWED, ALLOWED, ALLOWED),
    "segment.condition.locked": (ALLOWED, ALLOWED, FORBIDDEN),
    "segment.delete.locked": (ALLOWED, ALLOWED, FORBIDDEN),  # allowed: then 409 (in use)
    "message.update.locked": (ALLOWED, ALLOWED, FORBIDDEN),
    "edition.update": (ALLOWED, ALLOWED, FORBIDDEN),
    "consent.create": (ALLOWED, ALLOWED, FORBIDDEN),
    "refund.approve": (ALLOWED, ALLOWED, FORBIDDEN),
}
ROLES = ("admin", "manager", "staff")
CASES = [(op, role, MATRIX[op][i]) for op in MATRIX for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("op", "role", "expected"), CASES, ids=[f"{o}-{r}" for o, r, _ in CASES])
async def test_item_6_role_matrix(sandbox: Sandbox, op: str, role: str, expected: str) -> None:
    method, path, kwargs = OPS[op](sandbox)
    async with sandbox.client(role) as c:
        r = await c.request(method, path, **kwargs)
    assert r.status_code < 500, r.text
    if expected == FORBIDDEN:
        assert r.status_code == 403, (op, role, r.status_code, r.text)
        assert "detail" in r.json()
    else:
        assert r.status_code != 403, (op, role, r.text)


async def test_item_6_staff_cannot_send_a_scheduled_campaign_to_everyone(sandbox: Sandbox) -> None:
    """The issue's scenario: staff rewrote a scheduled campaign's segment to ``true``."""
    segment = locked_segment(sandbox)
    before = _one(sandbox, "SELECT condition FROM segments WHERE id = ?", segment)
    async with sandbox.client("staff") as c:
        r = await c.patch(f"/v1/segments/{segment}", json={"condition": "true"})
        assert r.status_code == 403 and "admin or manager" in r.json()["detail"]
        r = await c.patch(f"/v1/campaigns/{scheduled(sandbox)}", json={"name": "x"})
        assert r.status_code == 403
    assert _one(sandbox, "SELECT condition FROM segments WHERE id = ?", segment) == before


# -- exposure ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sandbox/webhook-sink"),
        ("GET", "/_sandbox/faults"),
        ("PUT", "/_sandbox/faults"),
        ("GET", "/_sandbox/state-changes?object_id=x"),
    ],
)
async def test_item_6_sandbox_endpoints_need_the_admin_token(
    sandbox: Sandbox, method: str, path: str
) -> None:
    kwargs: dict[str, Any] = {"json": {}} if method == "PUT" else {}
    async with sandbox.client(role=None) as c:
        assert (await c.request(method, path, **kwargs)).status_code == 401
        assert (await c.get("/_sandbox/health")).status_code == 200
    async with sandbox.client("manager") as c:
        assert (await c.request(method, path, **kwargs)).status_code == 403
    async with sandbox.client("admin") as c:
        assert (await c.request(method, path, **kwargs)).status_code == 200


async def test_item_6_uploads_are_attachments_never_pages(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    async with sandbox.client("manager") as c:
        r = await c.post(
            "/v1/files",
            files={"file": ("evil.html", b"<script>alert(1)</script>", "text/html")},
            data={"organization_id": org},
        )
        assert r.status_code == 201, r.text
        url = r.json()["file_url"]
        assert (await c.get(url)).status_code == 403  # not an admin
    async with sandbox.client(role=None) as c:
        assert (await c.get(url)).status_code == 401
    async with sandbox.client("admin") as c:
        got = await c.get(url)
    assert got.status_code == 200 and got.content == b"<script>alert(1)</script>"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"


# -- PINs and passwords ------------------------------------------------------------------------
async def test_item_6_pin_tries_survive_a_new_pin_request(sandbox: Sandbox) -> None:
    phone = "+4520000003"
    async with sandbox.client(role=None) as c:
        await c.post("/v1/auth/pin", json={"phone": phone})
        for _ in range(3):
            r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": "x"})
            assert r.status_code == 400
        await c.post("/v1/auth/pin", json={"phone": phone})  # a new PIN ...
        r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": "x"})
        assert "1 tries left" in r.json()["pin"][0]  # ... does not buy 5 more guesses
        r = await c.post("/v1/auth/pin/verify", json={"phone": phone, "pin": "x"})
        r = await c.post(
            "/v1/auth/pin/verify", json={"phone": phone, "pin": sandbox.state.pins[phone]}
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


async def test_item_6_password_login_is_rate_limited_per_account(sandbox: Sandbox) -> None:
    async with sandbox.client(role=None) as c:
        for _ in range(10):
            r = await c.post(
                "/v1/auth/token", json={"email": "staff@sandbox.preo.dev", "password": "guess"}
            )
            assert r.status_code == 401
        r = await c.post(
            "/v1/auth/token", json={"email": "staff@sandbox.preo.dev", "password": "sandbox"}
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert "detail" in r.json()
        # other accounts are not throttled, and successful logins never count
        for _ in range(30):
            r = await c.post(
                "/v1/auth/token", json={"email": "admin@sandbox.preo.dev", "password": "sandbox"}
            )
            assert r.status_code == 200


async def test_item_6_pin_requests_are_rate_limited_per_phone(sandbox: Sandbox) -> None:
    async with sandbox.client(role=None) as c:
        for _ in range(5):
            assert (await c.post("/v1/auth/pin", json={"phone": "+4520000002"})).status_code == 204
        r = await c.post("/v1/auth/pin", json={"phone": "+4520000002"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert (await c.post("/v1/auth/pin", json={"phone": "+4520000001"})).status_code == 204
