"""Webhooks (contract §10): endpoints CRUD, deliveries list/get/retry, rotate-secret.

Deliveries are made for real by :mod:`preo_tui.sandbox.events` (HTTP POST with the
``Preo-Signature`` header, retries, records). ``retry`` POSTs a failed (or still pending)
delivery again at once and answers the updated delivery; a delivery that already succeeded
answers 409 (the contract names the operation "Retry a failed delivery"); ``rotate-secret`` returns a new secret
and the old one stops signing immediately.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import FieldErrors, bad_request, conflict, not_found
from ..events import EVENTS, SINK_HOST, sign
from ..paging import PagingDep, Where, order_by, paginate, parse_bool
from ..seeding import SeedContext
from ..state import StateDep

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    timeout_seconds INTEGER NOT NULL DEFAULT 10,
    secret TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_org ON webhook_endpoints (organization_id, created);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER,
    response_body TEXT,
    duration_ms INTEGER,
    next_retry_at TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (status)
    WHERE status = 'pending';
"""

router = APIRouter(tags=["webhooks"])


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def endpoint_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "name": row["name"],
        "url": row["url"],
        "edition_id": row["edition_id"],
        "events": loads(row["events"]),
        "created": row["created"],
        "modified": row["modified"],
        "is_active": bool(row["is_active"]),
        "timeout_seconds": row["timeout_seconds"],
        "secret": row["secret"],
    }


def delivery_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "endpoint_id": row["endpoint_id"],
        "event": row["event"],
        "status": row["status"],
        "attempt_count": row["attempt_count"],
        "response_status": row["response_status"],
        "response_body": row["response_body"],
        "duration_ms": row["duration_ms"],
        "created": row["created"],
        "next_retry_at": row["next_retry_at"],
        "payload": loads(row["payload"]),
    }


def check_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Enter a valid http(s) URL."
    return None


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    organization_id: str
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1)
    edition_id: str | None = None
    is_active: bool = True
    timeout_seconds: int = Field(10, ge=1, le=60)

    @field_validator("url")
    @classmethod
    def http_url(cls, value: str) -> str:
        # Checked with the other fields, so one answer names every bad field (as DRF does).
        if (msg := check_url(value)) is not None:
            raise ValueError(msg)
        return value

    @field_validator("events")
    @classmethod
    def known_events(cls, value: list[str]) -> list[str]:
        bad = [e for e in value if e not in EVENTS]
        if bad:
            raise ValueError(f'Unknown event "{bad[0]}"; choose from {", ".join(EVENTS)}.')
        return list(dict.fromkeys(value))


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[str] | None = Field(None, min_length=1)
    edition_id: str | None = None
    is_active: bool | None = None
    timeout_seconds: int | None = Field(None, ge=1, le=60)

    @field_validator("events")
    @classmethod
    def known_events(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return EndpointCreate.known_events(value)


def load_endpoint(db: Database, principal: Principal, endpoint_id: str) -> Row:
    row = db.one("SELECT * FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
    if row is None:
        raise not_found("Webhook endpoint not found.")
    principal.require_access(row["organization_id"], "Webhook endpoint not found.")
    return row


def _check_edition(db: Database, org: str, edition_id: str | None, errors: FieldErrors) -> None:
    if edition_id is not None and not db.one(
        "SELECT 1 FROM editions WHERE id = ? AND organization_id = ?", (edition_id, org)
    ):
        errors.add("edition_id", "Unknown edition for this organization.")


@router.get(
    "/v1/webhooks",
    response_model=schemas.Page[schemas.WebhookEndpoint],
    summary="List webhook endpoints",
)
async def list_endpoints(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    edition_id: str | None = None,
    is_active: str | None = None,
    organization_id: str | None = None,
    ordering: str | None = Query(None, description="created, modified, name (- for descending)"),
) -> JSONResponse:
    where = Where()
    where.add_in("t.organization_id", principal.org_ids)
    if organization_id is not None:
        where.add("t.organization_id = ?", organization_id)
    if edition_id is not None:
        where.add("t.edition_id = ?", edition_id)
    active = parse_bool("is_active", is_active)
    if active is not None:
        where.add("t.is_active = ?", int(active))
    order = order_by(
        ordering, {"created": "t.created", "modified": "t.modified", "name": "t.name"}, "-created"
    )
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="webhook_endpoints",
            where=where,
            order=order,
            paging=paging,
            serialize=endpoint_out,
        )
    )


@router.post(
    "/v1/webhooks",
    response_model=schemas.WebhookEndpoint,
    status_code=201,
    summary="Create webhook endpoint",
)
async def create_endpoint(
    body: EndpointCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_role(body.organization_id, "admin", "manager")
    errors = FieldErrors()
    if (msg := check_url(body.url)) is not None:
        errors.add("url", msg)
    _check_edition(db, body.organization_id, body.edition_id, errors)
    errors.raise_if_any()
    wid = new_id("whe")
    now = clock.now_iso()
    with db.transaction():
        db.execute(
            "INSERT INTO webhook_endpoints (id, organization_id, edition_id, name, url, events,"
            " is_active, timeout_seconds, secret, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                wid,
                body.organization_id,
                body.edition_id,
                body.name,
                body.url,
                dumps(body.events),
                int(body.is_active),
                body.timeout_seconds,
                new_secret(),
                now,
                now,
            ),
        )
    return JSONResponse(endpoint_out(load_endpoint(db, principal, wid)), status_code=201)


@router.get(
    "/v1/webhooks/{id}", response_model=schemas.WebhookEndpoint, summary="Retrieve webhook endpoint"
)
async def get_endpoint(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(endpoint_out(load_endpoint(state.db, principal, id)))


@router.patch(
    "/v1/webhooks/{id}", response_model=schemas.WebhookEndpoint, summary="Update webhook endpoint"
)
async def update_endpoint(
    id: str, body: EndpointUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = load_endpoint(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    changes = body.model_dump(exclude_unset=True)
    errors = FieldErrors()
    for key in ("name", "url", "events", "is_active", "timeout_seconds"):
        if key in changes and changes[key] is None:
            errors.add(key, "This field may not be null.")
    if changes.get("url") and (msg := check_url(changes["url"])) is not None:
        errors.add("url", msg)
    if "edition_id" in changes:
        _check_edition(db, row["organization_id"], changes["edition_id"], errors)
    errors.raise_if_any()
    if changes:
        values = []
        for key, value in changes.items():
            if key == "events":
                value = dumps(value)
            elif isinstance(value, bool):
                value = int(value)
            values.append(value)
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            db.execute(
                f"UPDATE webhook_endpoints SET {sets}, modified = ? WHERE id = ?",
                (*values, clock.now_iso(), id),
            )
    return JSONResponse(endpoint_out(load_endpoint(db, principal, id)))


@router.delete("/v1/webhooks/{id}", status_code=204, summary="Delete webhook endpoint")
async def delete_endpoint(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    row = load_endpoint(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    with db.transaction():
        db.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ?", (id,))
        db.execute("DELETE FROM webhook_endpoints WHERE id = ?", (id,))
    return Response(status_code=204)


@router.post(
    "/v1/webhooks/{id}/rotate-secret",
    response_model=schemas.Secret,
    summary="Rotate webhook secret",
)
async def rotate_secret(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = load_endpoint(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    secret = new_secret()
    with db.transaction():
        db.execute(
            "UPDATE webhook_endpoints SET secret = ?, modified = ? WHERE id = ?",
            (secret, clock.now_iso(), id),
        )
    return JSONResponse({"secret": secret})


@router.get(
    "/v1/webhooks/{id}/deliveries",
    response_model=schemas.Page[schemas.WebhookDelivery],
    summary="List webhook deliveries",
)
async def list_deliveries(
    id: str,
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    status: str | None = Query(None, description="pending, succeeded, failed"),
    event: str | None = None,
    ordering: str | None = Query(None, description="created (- for descending)"),
) -> JSONResponse:
    load_endpoint(state.db, principal, id)
    where = Where()
    where.add("t.endpoint_id = ?", id)
    if status is not None:
        if status not in ("pending", "succeeded", "failed"):
            raise bad_request(
                "status",
                f'"{status}" is not a valid choice; expected one of pending, succeeded, failed.',
            )
        where.add("t.status = ?", status)
    if event is not None:
        where.add("t.event = ?", event)
    order = order_by(ordering, {"created": "t.created"}, "-created")
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="webhook_deliveries",
            where=where,
            order=order,
            paging=paging,
            serialize=delivery_out,
        )
    )


def load_delivery(db: Database, principal: Principal, endpoint_id: str, delivery_id: str) -> Row:
    load_endpoint(db, principal, endpoint_id)
    row = db.one(
        "SELECT * FROM webhook_deliveries WHERE id = ? AND endpoint_id = ?",
        (delivery_id, endpoint_id),
    )
    if row is None:
        raise not_found("Webhook delivery not found.")
    return row


@router.get(
    "/v1/webhooks/{id}/deliveries/{delivery_id}",
    response_model=schemas.WebhookDelivery,
    summary="Retrieve webhook delivery",
)
async def get_delivery(
    id: str, delivery_id: str, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    return JSONResponse(delivery_out(load_delivery(state.db, principal, id, delivery_id)))


@router.post(
    "/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    response_model=schemas.WebhookDelivery,
    summary="Retry webhook delivery",
)
async def retry_delivery(
    id: str, delivery_id: str, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = load_delivery(db, principal, id, delivery_id)
    endpoint = load_endpoint(db, principal, id)
    principal.require_role(endpoint["organization_id"], "admin", "manager")
    if row["status"] == "succeeded":
        raise conflict("Only a failed delivery can be retried; this one succeeded.")
    await state.webhooks.attempt(str(row["id"]), manual=True)
    return JSONResponse(delivery_out(load_delivery(db, principal, id, delivery_id)))


# -- seed ------------------------------------------------------------------------------------------
SEED_ENDPOINTS = [
    # key, name, url, events, edition key, active
    (
        "main",
        "Order sync (ERP)",
        f"http://{SINK_HOST}/erp/orders",
        ["order.created", "order.updated", "order.cancelled"],
        None,
        1,
    ),
    (
        "main",
        "Refund notifications",
        f"http://{SINK_HOST}/refunds",
        [
            "refund_request.created",
            "refund_request.approved",
            "refund_request.rejected",
            "refund_request.processed",
            "refund_request.failed",
        ],
        "current",
        1,
    ),
    (
        "main",
        "Legacy CRM (unreachable)",
        "http://127.0.0.1:9/crm-hook",
        ["campaign.sent", "campaign.failed", "segment.calculated"],
        None,
        1,
    ),
    (
        "main",
        "Data warehouse (paused)",
        f"http://{SINK_HOST}/dwh",
        ["data_import.completed", "data_import.failed"],
        None,
        0,
    ),
    ("second_org", "Slack alerts", f"http://{SINK_HOST}/slack", list(EVENTS), None, 1),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("webhooks")
    db = ctx.db
    org_main, org_second = ctx.shared["organizations"]
    endpoints = []
    deliveries = []
    for index, (key, name, url, events, edition_key, active) in enumerate(SEED_ENDPOINTS):
        wid = ctx.new_id("whe", rng)
        secret = "whsec_" + "".join(rng.choice("0123456789abcdef") for _ in range(48))
        created = ctx.ts(timedelta(days=-200 + index * 10))
        org = org_main if key == "main" else org_second
        edition = ctx.shared["editions"][edition_key] if edition_key else None
        endpoints.append(
            (wid, org, edition, name, url, dumps(events), active, 10, secret, created, created)
        )
        unreachable = "127.0.0.1:9" in url
        for n in range(rng.randrange(6, 14)):
            event = rng.choice(events)
            did = ctx.new_id("whd", rng)
            at_dt = ctx.now - timedelta(hours=rng.uniform(1, 24 * 20))
            at = clock.iso(at_dt)
            body = dumps(
                {
                    "id": did,
                    "event": event,
                    "created": at,
                    "organization_id": org,
                    "edition_id": edition,
                    "data": {"sample": True, "n": n},
                }
            )
            assert at is not None
            if unreachable:
                status, attempts, code, text = (
                    "failed",
                    5,
                    None,
                    "ConnectError: [Errno 111] Connection refused",
                )
            elif rng.random() < 0.12:
                status, attempts, code, text = "failed", 5, 500, '{"error":"internal"}'
            else:
                status, attempts, code, text = "succeeded", 1, 200, '{"received":true}'
            deliveries.append(
                (
                    did,
                    wid,
                    event,
                    body,
                    status,
                    attempts,
                    code,
                    text,
                    rng.randrange(20, 900),
                    None,
                    at,
                    at,
                )
            )
        # a signature example that verifies with the endpoint's secret
        _ = sign(secret, int(ctx.now.timestamp()), b"{}")
    db.executemany(
        "INSERT INTO webhook_endpoints (id, organization_id, edition_id, name, url, events,"
        " is_active, timeout_seconds, secret, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        endpoints,
    )
    db.executemany(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event, payload, status, attempt_count,"
        " response_status, response_body, duration_ms, next_retry_at, created, modified)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        deliveries,
    )
