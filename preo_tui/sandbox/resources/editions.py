"""Editions (contract §3): list, create, get, update, duplicate, field choices, healthcheck.

Also owns events, products and pickup points (seeded here, read by orders and refunds).
``status`` is derived from the dates at read time: ``no_dates`` without both dates,
``upcoming`` before the start, ``past`` after the end, ``current`` in between.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import FieldErrors, bad_request, not_found
from ..paging import PagingDep, Where, edge_checked_iso, order_by, paginate, parse_bool
from ..seeding import SeedContext
from ..state import StateDep

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


@functools.cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def slugify(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "a", "ö": "o", "ü": "u"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug or "edition"


def derive_status(start: str | None, end: str | None, now: str) -> str:
    if not start or not end:
        return "no_dates"
    if now < start:
        return "upcoming"
    if now > end:
        return "past"
    return "current"


def status_sql(alias: str = "t") -> str:
    """SQL expression of the derived status; bind the current ISO time twice."""
    return (
        f"CASE WHEN {alias}.start_date IS NULL OR {alias}.end_date IS NULL THEN 'no_dates'"
        f" WHEN ? < {alias}.start_date THEN 'upcoming' WHEN ? > {alias}.end_date THEN 'past'"
        " ELSE 'current' END"
    )


def edition_out(row: Row, now: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "event_id": row["event_id"],
        "name": row["name"],
        "full_name": row["full_name"],
        "slug": row["slug"],
        "timezone": row["timezone"],
        "status": derive_status(row["start_date"], row["end_date"], now or clock.now_iso()),
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "default_country_code": row["default_country_code"],
        "default_language": row["default_language"],
        "enabled_languages": loads(row["enabled_languages"]),
        "tax_type": row["tax_type"],
        "fee_rule_id": row["fee_rule_id"],
        "merchant_account_id": row["merchant_account_id"],
        "meta_image_id": row["meta_image_id"],
        "transaction_receipt_email_id": row["transaction_receipt_email_id"],
        "refund_confirmation_email_id": row["refund_confirmation_email_id"],
        "is_draft": bool(row["is_draft"]),
        "is_archived": bool(row["is_archived"]),
        "currency": row["currency"],
        "created": row["created"],
        "modified": row["modified"],
    }


def get_edition(db: Database, principal: Principal, edition_id: str) -> Row:
    """The edition row, or 404 when unknown or in another organization."""
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None:
        raise not_found("Edition not found.")
    principal.require_access(row["organization_id"], "Edition not found.")
    return row


# -- seed ------------------------------------------------------------------------------------------
MAIN_PRODUCTS = [
    # id, name, kind, price, deposit, fee
    ("prd_vip", "VIP Weekend Pass", "ticket", 2450.0, 0.0, 45.0),
    ("prd_weekend", "Weekend Pass", "ticket", 1650.0, 0.0, 35.0),
    ("prd_day_fri", "Day Ticket Friday", "ticket", 850.0, 0.0, 25.0),
    ("prd_day_sat", "Day Ticket Saturday", "ticket", 895.0, 0.0, 25.0),
    ("prd_camping", "Camping Spot", "ticket", 450.0, 0.0, 15.0),
    ("prd_topup", "Wristband Top-up", "topup", 200.0, 0.0, 0.0),
    ("prd_locker", "Locker Rental", "rental", 300.0, 100.0, 10.0),
    ("prd_powerbank", "Power Bank Rental", "rental", 120.0, 250.0, 5.0),
    ("prd_cup", "Reusable Cup", "rental", 0.0, 20.0, 0.0),
]
OTHER_PRODUCTS = [
    ("Weekend Pass", "ticket", 1500.0, 0.0, 30.0),
    ("Day Ticket", "ticket", 800.0, 0.0, 20.0),
    ("Wristband Top-up", "topup", 200.0, 0.0, 0.0),
    ("Locker Rental", "rental", 280.0, 100.0, 10.0),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("editions")
    db = ctx.db
    org_main, org_second = ctx.shared["organizations"]
    created_old = ctx.ts(timedelta(days=-800))
    event_main = ctx.new_id("evt", rng)
    event_second = ctx.new_id("evt", rng)
    db.executemany(
        "INSERT INTO events (id, organization_id, name, created, modified) VALUES (?,?,?,?,?)",
        [
            (event_main, org_main, "Nordlys Festival", created_old, created_old),
            (event_second, org_second, "Midsommar Live", created_old, created_old),
        ],
    )
    ctx.shared["events"] = {"main": event_main, "second_org": event_second}
    now = ctx.now
    day = timedelta(days=1)
    specs: list[dict[str, Any]] = [
        {
            "key": "past",
            "org": org_main,
            "event": event_main,
            "name": "2025",
            "full": "Nordlys Festival 2025",
            "start": now - 365 * day,
            "end": now - 361 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en"],
            "currency": "DKK",
            "draft": 0,
            "created": -700,
        },
        {
            "key": "current",
            "org": org_main,
            "event": event_main,
            "name": "2026",
            "full": "Nordlys Festival 2026",
            "start": now - 1 * day,
            "end": now + 2 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en", "se"],
            "currency": "DKK",
            "draft": 0,
            "created": -300,
        },
        {
            "key": "upcoming",
            "org": org_main,
            "event": event_main,
            "name": "2027",
            "full": "Nordlys Festival 2027",
            "start": now + 240 * day,
            "end": now + 243 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en", "se"],
            "currency": "DKK",
            "draft": 0,
            "created": -60,
        },
        {
            "key": "draft",
            "org": org_main,
            "event": event_main,
            "name": "Winter 2027",
            "full": "Nordlys Festival Winter 2027",
            "start": None,
            "end": None,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "en",
            "langs": ["en", "da"],
            "currency": "DKK",
            "draft": 1,
            "created": -5,
        },
        {
            "key": "second_org",
            "org": org_second,
            "event": event_second,
            "name": "2026",
            "full": "Midsommar Live 2026",
            "start": now + 30 * day,
            "end": now + 32 * day,
            "tz": "Europe/Stockholm",
            "cc": "+46",
            "lang": "se",
            "langs": ["se", "en"],
            "currency": "SEK",
            "draft": 0,
            "created": -200,
        },
    ]
    editions: dict[str, str] = {}
    rows = []
    for spec in specs:
        eid = ctx.new_id("edt", rng)
        editions[spec["key"]] = eid
        created = ctx.ts(timedelta(days=spec["created"]))
        rows.append(
            (
                eid,
                spec["org"],
                spec["event"],
                spec["name"],
                spec["full"],
                slugify(spec["full"]),
                spec["tz"],
                clock.iso(spec["start"]),
                clock.iso(spec["end"]),
                spec["cc"],
                spec["lang"],
                dumps(spec["langs"]),
                "vat",
                None if spec["draft"] else "fee_standard",
                None if spec["draft"] else f"ma_{spec['key']}_adyen",
                None,
                spec["draft"],
                0,
                spec["currency"],
                created,
                created,
            )
        )
    db.executemany(
        "INSERT INTO editions (id, organization_id, event_id, name, full_name, slug, timezone,"
        " start_date, end_date, default_country_code, default_language, enabled_languages,"
        " tax_type, fee_rule_id, merchant_account_id, meta_image_id, is_draft, is_archived,"
        " currency, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    ctx.shared["editions"] = editions
    products: dict[str, list[str]] = {}
    product_rows = []
    for key, eid in editions.items():
        ids = []
        if key == "current":
            for pid, name, kind, price, deposit, fee in MAIN_PRODUCTS:
                ids.append(pid)
                product_rows.append((pid, eid, name, kind, price, deposit, fee, created_old))
        elif key != "draft":
            for name, kind, price, deposit, fee in OTHER_PRODUCTS:
                pid = ctx.new_id("prd", rng)
                ids.append(pid)
                product_rows.append((pid, eid, name, kind, price, deposit, fee, created_old))
        products[eid] = ids
    db.executemany(
        "INSERT INTO products (id, edition_id, name, kind, price, deposit, fee, created)"
        " VALUES (?,?,?,?,?,?,?,?)",
        product_rows,
    )
    ctx.shared["products"] = products
    pickup_rows = []
    for key, eid in editions.items():
        if key == "draft":
            continue
        for name in ("Main Entrance Info Desk", "Camping Service Point"):
            pickup_rows.append((ctx.new_id("pkp", rng), eid, name))
    db.executemany("INSERT INTO pickup_points (id, edition_id, name) VALUES (?,?,?)", pickup_rows)


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


def _unique_slug(db: Database, org_id: str, base: str) -> str:
    slug, n = base, 2
    while db.one("SELECT 1 FROM editions WHERE organization_id = ? AND slug = ?", (org_id, slug)):
        slug = f"{base}-{n}"
        n += 1
    return slug


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
    checks: list[dict[str, str]] = []

    def check(code: str, level: str, message: str) -> None:
        checks.append({"code": code, "level": level, "message": message})

    start, end = row["start_date"], row["end_date"]
    if not start or not end:
        check("dates", "warning", "The edition has no start or end date yet.")
    elif end < start:
        check("dates", "error", "The end date is before the start date.")
    else:
        check("dates", "ok", "Start and end dates are set.")
    if row["merchant_account_id"]:
        check("merchant_account", "ok", "A merchant account is connected.")
    else:
        check("merchant_account", "error", "No merchant account: payments cannot be taken.")
    if row["transaction_receipt_email_id"]:
        check("receipt_email", "ok", "A transaction receipt email is set.")
    else:
        check("receipt_email", "warning", "No transaction receipt email: buyers get no receipt.")
    if row["refund_confirmation_email_id"]:
        check("refund_email", "ok", "A refund confirmation email is set.")
    else:
        check("refund_email", "warning", "No refund confirmation email is set.")
    if loads(row["enabled_languages"]) and row["default_language"] in loads(
        row["enabled_languages"]
    ):
        check("languages", "ok", "The default language is enabled.")
    else:
        check("languages", "error", "The default language is not among the enabled languages.")
    products = int(db.scalar("SELECT COUNT(*) FROM products WHERE edition_id = ?", (id,)) or 0)
    if products:
        check("products", "ok", f"{products} products are on sale.")
    else:
        check("products", "warning", "The edition has no products.")
    if row["fee_rule_id"]:
        check("fee_rule", "ok", "A fee rule is set.")
    else:
        check("fee_rule", "warning", "No fee rule: no booking fees are charged.")
    ok = not any(c["level"] == "error" for c in checks)
    return JSONResponse({"ok": ok, "checks": checks})


def edition_or_400(
    db: Database, principal: Principal, edition_id: str, field: str = "edition_id"
) -> Row:
    """For bodies naming an edition: 400 on ``field`` when unknown or not accessible."""
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request(field, "Unknown edition.")
    return row
