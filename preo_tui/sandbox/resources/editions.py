"""Editions (contract §3): list, create, get, update, duplicate, field choices, healthcheck.

Also owns events, products and pickup points (seeded here, read by orders and refunds).
``status`` is derived from the dates at read time: ``no_dates`` without both dates,
``upcoming`` before the start, ``past`` after the end, ``current`` in between.

The module holds the operations (paths, parameters, request bodies) and the field choices;
beside it: ``editions_rows.py`` (derived status, the JSON form, loading, slugs),
``editions_health.py`` (the healthcheck's checks) and ``editions_seed.py``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import PrincipalDep
from ..db import Database, dumps, new_id
from ..errors import FieldErrors
from ..paging import PagingDep, Where, edge_checked_iso, order_by, paginate, parse_bool
from ..state import StateDep
from .editions_health import health_checks
from .editions_rows import (
    _unique_slug,
    derive_status,
    edition_or_400,
    edition_out,
    get_edition,
    slugify,
    status_sql,
    timezones,
)
from .editions_seed import seed

__all__ = [
    "COUNTRY_CODES",
    "SCHEMA",
    "CountryCode",
    "derive_status",
    "edition_or_400",
    "edition_out",
    "get_edition",
    "router",
    "seed",
    "status_sql",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS editions (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    slug TEXT NOT NULL,
    timezone TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    default_country_code TEXT NOT NULL,
    default_language TEXT NOT NULL,
    enabled_languages TEXT NOT NULL,
    tax_type TEXT NOT NULL,
    fee_rule_id TEXT,
    merchant_account_id TEXT,
    meta_image_id TEXT,
    transaction_receipt_email_id TEXT,
    refund_confirmation_email_id TEXT,
    is_draft INTEGER NOT NULL DEFAULT 0,
    is_archived INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS editions_slug ON editions (organization_id, slug);
CREATE INDEX IF NOT EXISTS editions_org_created ON editions (organization_id, created);
CREATE TABLE IF NOT EXISTS products (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    edition_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    price REAL NOT NULL,
    deposit REAL NOT NULL DEFAULT 0,
    fee REAL NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS products_edition ON products (edition_id);
CREATE TABLE IF NOT EXISTS pickup_points (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    edition_id TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pickup_points_edition ON pickup_points (edition_id);
"""

LANGUAGES: dict[str, str] = {
    "en": "English",
    "da": "Dansk",
    "se": "Svenska",
    "nl": "Nederlands",
    "pl": "Polski",
}
COUNTRY_CODES: dict[str, str] = {
    "+43": "Austria",
    "+32": "Belgium",
    "+45": "Denmark",
    "+358": "Finland",
    "+33": "France",
    "+49": "Germany",
    "+31": "Netherlands",
    "+47": "Norway",
    "+48": "Poland",
    "+46": "Sweden",
    "+41": "Switzerland",
    "+44": "United Kingdom",
    "+1": "United States / Canada",
}
TAX_TYPES: dict[str, str] = {"none": "No tax", "vat": "VAT", "sales": "Sales tax"}
STATUSES = ("upcoming", "current", "past", "no_dates")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")

Language = Literal["en", "da", "se", "nl", "pl"]
CountryCode = Literal[
    "+43", "+32", "+45", "+358", "+33", "+49", "+31", "+47", "+48", "+46", "+41", "+44", "+1"
]
TaxType = Literal["none", "vat", "sales"]

router = APIRouter(tags=["editions"])


# -- bodies ------------------------------------------------------------------------------------
class EditionCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organization_id: str
    event_id: str
    name: str = Field(min_length=1, max_length=200)
    full_name: str | None = Field(None, max_length=300)
    slug: str | None = Field(None, max_length=100)
    start_date: datetime | None = None
    end_date: datetime | None = None
    timezone: str = "UTC"
    default_country_code: CountryCode = "+45"
    default_language: Language = "en"
    enabled_languages: list[Language] | None = None
    tax_type: TaxType = "vat"
    fee_rule_id: str | None = None
    merchant_account_id: str | None = None
    meta_image_id: str | None = None
    transaction_receipt_email_id: str | None = None
    refund_confirmation_email_id: str | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    is_draft: bool = False


class EditionUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(None, min_length=1, max_length=200)
    full_name: str | None = Field(None, max_length=300)
    slug: str | None = Field(None, max_length=100)
    event_id: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    timezone: str | None = None
    default_country_code: CountryCode | None = None
    default_language: Language | None = None
    enabled_languages: list[Language] | None = None
    tax_type: TaxType | None = None
    fee_rule_id: str | None = None
    merchant_account_id: str | None = None
    meta_image_id: str | None = None
    transaction_receipt_email_id: str | None = None
    refund_confirmation_email_id: str | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    is_draft: bool | None = None
    is_archived: bool | None = None


class EditionDuplicate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, max_length=100)
    start_date: datetime | None = None
    end_date: datetime | None = None


def _check_fields(
    db: Database, org_id: str, values: dict[str, Any], edition_id: str | None
) -> None:
    errors = FieldErrors()
    slug = values.get("slug")
    if slug is not None:
        if not SLUG_RE.match(slug):
            errors.add("slug", "Enter a valid slug: letters, numbers, underscores or hyphens.")
        elif db.one(
            "SELECT 1 FROM editions WHERE organization_id = ? AND slug = ? AND id != ?",
            (org_id, slug, edition_id or ""),
        ):
            errors.add("slug", "An edition with this slug already exists.")
    tz = values.get("timezone")
    if tz is not None and tz not in timezones():
        errors.add("timezone", f'"{tz}" is not a valid IANA time zone.')
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        errors.add("end_date", "The end date must not be before the start date.")
    event_id = values.get("event_id")
    if event_id is not None and not db.one(
        "SELECT 1 FROM events WHERE id = ? AND organization_id = ?", (event_id, org_id)
    ):
        errors.add("event_id", "Unknown event for this organization.")
    langs = values.get("enabled_languages")
    default = values.get("default_language")
    if langs is not None and default is not None and default not in langs:
        errors.add("enabled_languages", "Must include the default language.")
    for name in ("meta_image_id",):
        ref = values.get(name)
        if ref and not db.one("SELECT 1 FROM files WHERE id = ?", (ref,)):
            errors.add(name, "Unknown file.")
    errors.raise_if_any()


# -- operations --------------------------------------------------------------------------------
ORDERINGS = {
    "created": "t.created",
    "modified": "t.modified",
    "start_date": "t.start_date",
    "end_date": "t.end_date",
    "name": "t.name",
}


@router.get("/v1/editions", response_model=schemas.Page[schemas.Edition], summary="List editions")
async def list_editions(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    is_archived: str | None = None,
    is_draft: str | None = None,
    organization_id: str | None = None,
    status: Literal["upcoming", "current", "past", "no_dates"] | None = None,
    ordering: str | None = Query(
        None, description="created, modified, start_date, end_date, name (- for descending)"
    ),
) -> JSONResponse:
    now = clock.now_iso()
    where = Where()
    where.add_in("t.organization_id", principal.org_ids)
    if organization_id is not None:
        where.add("t.organization_id = ?", organization_id)
    archived = parse_bool("is_archived", is_archived)
    if archived is not None:
        where.add("t.is_archived = ?", int(archived))
    draft = parse_bool("is_draft", is_draft)
    if draft is not None:
        where.add("t.is_draft = ?", int(draft))
    if status is not None:
        where.add(f"{status_sql()} = ?", now, now, status)
    order = order_by(ordering, ORDERINGS, "-start_date")
    body = paginate(
        request,
        state.db,
        table="editions",
        where=where,
        order=order,
        paging=paging,
        serialize=lambda r: edition_out(r, now),
    )
    return JSONResponse(body)


@router.post(
    "/v1/editions", response_model=schemas.Edition, status_code=201, summary="Create edition"
)
async def create_edition(
    body: EditionCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_role(body.organization_id, "admin", "manager")
    values = body.model_dump()
    values["start_date"] = edge_checked_iso("start_date", body.start_date)
    values["end_date"] = edge_checked_iso("end_date", body.end_date)
    langs = body.enabled_languages or [body.default_language]
    values["enabled_languages"] = langs
    _check_fields(db, body.organization_id, values, None)
    event = db.one("SELECT name FROM events WHERE id = ?", (body.event_id,))
    assert event is not None
    slug = body.slug or _unique_slug(db, body.organization_id, slugify(body.name))
    full_name = body.full_name or (
        body.name if str(event["name"]) in body.name else f"{event['name']} {body.name}"
    )
    currency = body.currency or db.scalar(
        "SELECT currency FROM organizations WHERE id = ?", (body.organization_id,)
    )
    eid = new_id("edt")
    now = clock.now_iso()
    with db.transaction():
        db.execute(
            "INSERT INTO editions (id, organization_id, event_id, name, full_name, slug, timezone,"
            " start_date, end_date, default_country_code, default_language, enabled_languages,"
            " tax_type, fee_rule_id, merchant_account_id, meta_image_id,"
            " transaction_receipt_email_id, refund_confirmation_email_id, is_draft, is_archived,"
            " currency, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)",
            (
                eid,
                body.organization_id,
                body.event_id,
                body.name,
                full_name,
                slug,
                body.timezone,
                values["start_date"],
                values["end_date"],
                body.default_country_code,
                body.default_language,
                dumps(langs),
                body.tax_type,
                body.fee_rule_id,
                body.merchant_account_id,
                body.meta_image_id,
                body.transaction_receipt_email_id,
                body.refund_confirmation_email_id,
                int(body.is_draft),
                currency,
                now,
                now,
            ),
        )
    row = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
    assert row is not None
    return JSONResponse(edition_out(row), status_code=201)


@router.get("/v1/editions/{id}", response_model=schemas.Edition, summary="Get edition details")
async def get_edition_details(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(edition_out(get_edition(state.db, principal, id)))


@router.patch("/v1/editions/{id}", response_model=schemas.Edition, summary="Update edition")
async def update_edition(
    id: str, body: EditionUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_edition(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    changes = body.model_dump(exclude_unset=True)
    nullable = {
        "full_name",
        "start_date",
        "end_date",
        "fee_rule_id",
        "merchant_account_id",
        "meta_image_id",
        "transaction_receipt_email_id",
        "refund_confirmation_email_id",
    }
    errors = FieldErrors()
    for key, value in changes.items():
        if value is None and key not in nullable:
            errors.add(key, "This field may not be null.")
    errors.raise_if_any()
    if "full_name" in changes and changes["full_name"] is None:
        # null full_name (NOT NULL column): back to the default, as on create (issue 14).
        name = str(changes.get("name") or row["name"])
        event = db.one("SELECT name FROM events WHERE id = ?", (row["event_id"],))
        event_name = str(event["name"]) if event is not None else ""
        changes["full_name"] = name if event_name in name else f"{event_name} {name}".strip()
    for key in ("start_date", "end_date"):
        if key in changes:
            changes[key] = edge_checked_iso(key, changes[key])
    merged = {**edition_out(row), **changes}
    _check_fields(
        db,
        row["organization_id"],
        {
            **merged,
            "slug": changes.get("slug"),
            "event_id": changes.get("event_id"),
            "meta_image_id": changes.get("meta_image_id"),
        },
        id,
    )
    if not changes:
        return JSONResponse(edition_out(row))
    sets, params = [], []
    for key, value in changes.items():
        sets.append(f"{key} = ?")
        if key == "enabled_languages":
            value = dumps(value)
        elif isinstance(value, bool):
            value = int(value)
        params.append(value)
    sets.append("modified = ?")
    params.append(clock.now_iso())
    with db.transaction():
        db.execute(f"UPDATE editions SET {', '.join(sets)} WHERE id = ?", (*params, id))
    updated = db.one("SELECT * FROM editions WHERE id = ?", (id,))
    assert updated is not None
    return JSONResponse(edition_out(updated))


@router.post(
    "/v1/editions/{id}/duplicate",
    response_model=schemas.Edition,
    status_code=201,
    summary="Duplicate edition",
)
async def duplicate_edition(
    id: str, state: StateDep, principal: PrincipalDep, body: EditionDuplicate | None = None
) -> JSONResponse:
    db = state.db
    row = get_edition(db, principal, id)
    org = row["organization_id"]
    principal.require_role(org, "admin", "manager")
    body = body or EditionDuplicate()
    name = body.name or f"{row['name']} (copy)"
    start = (
        edge_checked_iso("start_date", body.start_date) if body.start_date else row["start_date"]
    )
    end = edge_checked_iso("end_date", body.end_date) if body.end_date else row["end_date"]
    _check_fields(db, org, {"slug": body.slug, "start_date": start, "end_date": end}, None)
    slug = body.slug or _unique_slug(db, org, slugify(f"{row['full_name']} copy"))
    eid = new_id("edt")
    now = clock.now_iso()
    data = dict(row)
    data.update(
        id=eid,
        name=name,
        full_name=f"{row['full_name']} (copy)" if not body.name else name,
        slug=slug,
        start_date=start,
        end_date=end,
        is_draft=1,
        is_archived=0,
        created=now,
        modified=now,
    )
    data.pop("pk")
    cols = ", ".join(data)
    with db.transaction():
        db.execute(
            f"INSERT INTO editions ({cols}) VALUES ({', '.join('?' for _ in data)})",
            tuple(data.values()),
        )
        for product in db.query("SELECT * FROM products WHERE edition_id = ?", (id,)):
            db.execute(
                "INSERT INTO products (id, edition_id, name, kind, price, deposit, fee, created)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    new_id("prd"),
                    eid,
                    product["name"],
                    product["kind"],
                    product["price"],
                    product["deposit"],
                    product["fee"],
                    now,
                ),
            )
        for point in db.query("SELECT name FROM pickup_points WHERE edition_id = ?", (id,)):
            db.execute(
                "INSERT INTO pickup_points (id, edition_id, name) VALUES (?,?,?)",
                (new_id("pkp"), eid, point["name"]),
            )
    new = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
    assert new is not None
    return JSONResponse(edition_out(new), status_code=201)


@router.get(
    "/v1/editions/{id}/field-choices",
    response_model=schemas.FieldChoices,
    summary="Get edition field choices",
)
async def field_choices(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    """The contract's five fields, plus [ours] ``pickup_point_id`` (the edition's pickup
    points, for refund forms)."""
    get_edition(state.db, principal, id)
    pickups = state.db.query(
        "SELECT id, name FROM pickup_points WHERE edition_id = ? ORDER BY pk", (id,)
    )
    languages = [{"value": k, "label": v} for k, v in LANGUAGES.items()]
    return JSONResponse(
        {
            "timezone": [{"value": z, "label": z.replace("_", " ")} for z in timezones()],
            "default_language": languages,
            "enabled_languages": languages,
            "default_country_code": [
                {"value": k, "label": f"{k} {v}"} for k, v in COUNTRY_CODES.items()
            ],
            "tax_type": [{"value": k, "label": v} for k, v in TAX_TYPES.items()],
            "pickup_point_id": [{"value": r["id"], "label": r["name"]} for r in pickups],
        }
    )


@router.get(
    "/v1/editions/{id}/healthcheck",
    response_model=schemas.Healthcheck,
    summary="Run edition healthcheck",
)
async def healthcheck(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = get_edition(db, principal, id)
    checks = health_checks(db, row)
    ok = not any(c["level"] == "error" for c in checks)
    return JSONResponse({"ok": ok, "checks": checks})
