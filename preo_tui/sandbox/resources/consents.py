"""Consents (contract §10): list, create, get, update, delete (409 while a segment uses it).

Seeds ``cns_newsletter`` (email newsletter of the main organization) among others; users'
grants live in ``user_consents`` (seeded by the users module).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import PrincipalDep
from ..db import Database, Row, new_id
from ..errors import bad_request, conflict, not_found
from ..paging import PagingDep, Where, like_pattern, order_by, paginate, parse_bool
from ..seeding import SeedContext
from ..state import StateDep

SCHEMA = """
CREATE TABLE IF NOT EXISTS consents (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consents_org ON consents (organization_id, created);
CREATE TABLE IF NOT EXISTS user_consents (
    user_id TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (user_id, consent_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_consents_consent ON user_consents (consent_id);
"""

router = APIRouter(tags=["consents"])
Channel = Literal["email", "sms", "any"]

SEED_CONSENTS = [
    # id (None = generated), key, name, description, channel, edition key, active
    (
        "cns_newsletter",
        "main",
        "Newsletter",
        "News and line-up announcements by email.",
        "email",
        None,
        1,
    ),
    (
        "cns_sms_offers",
        "main",
        "SMS offers",
        "Offers and practical info by text message.",
        "sms",
        None,
        1,
    ),
    (
        "cns_partner_offers",
        "main",
        "Partner offers",
        "Offers from our partners.",
        "any",
        "current",
        1,
    ),
    (
        "cns_survey",
        "main",
        "Surveys",
        "Invitations to the after-festival survey.",
        "email",
        None,
        0,
    ),
    (None, "second_org", "Nyhetsbrev", "Nyheter och biljettsläpp via e-post.", "email", None, 1),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("consents")
    org_main, org_second = ctx.shared["organizations"]
    created = ctx.ts(timedelta(days=-600))
    rows = []
    ids = []
    for cid, org_key, name, description, channel, edition_key, active in SEED_CONSENTS:
        consent_id = cid or ctx.new_id("cns", rng)
        ids.append(consent_id)
        org = org_main if org_key == "main" else org_second
        edition = ctx.shared["editions"][edition_key] if edition_key else None
        rows.append(
            (consent_id, org, edition, name, description, channel, active, created, created)
        )
    ctx.db.executemany(
        "INSERT INTO consents (id, organization_id, edition_id, name, description, channel,"
        " is_active, created, modified) VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    ctx.shared["consents"] = ids


def consent_out(row: Row, db: Database) -> dict[str, Any]:
    count = db.scalar("SELECT COUNT(*) FROM user_consents WHERE consent_id = ?", (row["id"],))
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "edition_id": row["edition_id"],
        "name": row["name"],
        "description": row["description"],
        "channel": row["channel"],
        "is_active": bool(row["is_active"]),
        "user_count": int(count or 0),
        "created": row["created"],
        "modified": row["modified"],
    }


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    organization_id: str
    edition_id: str | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    channel: Channel = "email"
    is_active: bool = True


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    edition_id: str | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    channel: Channel | None = None
    is_active: bool | None = None


def _get(db: Database, principal: Any, consent_id: str) -> Row:
    row = db.one("SELECT * FROM consents WHERE id = ?", (consent_id,))
    if row is None:
        raise not_found("Consent not found.")
    principal.require_access(row["organization_id"], "Consent not found.")
    return row


def _check_edition(db: Database, org: str, edition_id: str | None) -> None:
    if edition_id is not None and not db.one(
        "SELECT 1 FROM editions WHERE id = ? AND organization_id = ?", (edition_id, org)
    ):
        raise bad_request("edition_id", "Unknown edition for this organization.")


@router.get("/v1/consents", response_model=schemas.Page[schemas.Consent], summary="List consents")
async def list_consents(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    organization_id: str | None = None,
    edition_id: str | None = None,
    channel: Channel | None = None,
    is_active: str | None = None,
    search: str | None = None,
    ordering: str | None = Query(None, description="created, modified, name (- for descending)"),
) -> JSONResponse:
    where = Where()
    where.add_in("t.organization_id", principal.org_ids)
    if organization_id is not None:
        where.add("t.organization_id = ?", organization_id)
    if edition_id is not None:
        where.add("(t.edition_id = ? OR t.edition_id IS NULL)", edition_id)
    if channel is not None:
        where.add("t.channel = ?", channel)
    active = parse_bool("is_active", is_active)
    if active is not None:
        where.add("t.is_active = ?", int(active))
    if search:
        where.add("t.name LIKE ? ESCAPE '\\'", like_pattern(search))
    order = order_by(
        ordering, {"created": "t.created", "modified": "t.modified", "name": "t.name"}, "name"
    )
    db = state.db
    return JSONResponse(
        paginate(
            request,
            db,
            table="consents",
            where=where,
            order=order,
            paging=paging,
            serialize=lambda r: consent_out(r, db),
        )
    )


@router.post(
    "/v1/consents", response_model=schemas.Consent, status_code=201, summary="Create consent"
)
async def create_consent(
    body: ConsentCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_role(body.organization_id, "admin", "manager")
    _check_edition(db, body.organization_id, body.edition_id)
    cid = new_id("cns")
    now = clock.now_iso()
    with db.transaction():
        db.execute(
            "INSERT INTO consents (id, organization_id, edition_id, name, description, channel,"
            " is_active, created, modified) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                cid,
                body.organization_id,
                body.edition_id,
                body.name,
                body.description,
                body.channel,
                int(body.is_active),
                now,
                now,
            ),
        )
    return JSONResponse(consent_out(_get(db, principal, cid), db), status_code=201)


@router.get("/v1/consents/{id}", response_model=schemas.Consent, summary="Retrieve consent")
async def get_consent(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(consent_out(_get(state.db, principal, id), state.db))


@router.patch("/v1/consents/{id}", response_model=schemas.Consent, summary="Update consent")
async def update_consent(
    id: str, body: ConsentUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = _get(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    changes = body.model_dump(exclude_unset=True)
    for key in ("name", "description", "channel", "is_active"):
        if key in changes and changes[key] is None:
            raise bad_request(key, "This field may not be null.")
    if "edition_id" in changes:
        _check_edition(db, row["organization_id"], changes["edition_id"])
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        params = [int(v) if isinstance(v, bool) else v for v in changes.values()]
        with db.transaction():
            db.execute(
                f"UPDATE consents SET {sets}, modified = ? WHERE id = ?",
                (*params, clock.now_iso(), id),
            )
    return JSONResponse(consent_out(_get(db, principal, id), db))


@router.delete("/v1/consents/{id}", status_code=204, summary="Delete consent")
async def delete_consent(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    row = _get(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    has_segments = db.scalar("SELECT name FROM sqlite_master WHERE name = 'segments'")
    if has_segments and db.one("SELECT 1 FROM segments WHERE consent_id = ?", (id,)):
        raise conflict("This consent is used by a segment; change the segment first.")
    with db.transaction():
        db.execute("DELETE FROM user_consents WHERE consent_id = ?", (id,))
        db.execute("DELETE FROM consents WHERE id = ?", (id,))
    return Response(status_code=204)
