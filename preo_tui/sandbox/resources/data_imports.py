"""Data imports (contract §10): upload a CSV (or .xlsx), map columns, map products, preview,
start, cancel; and ``external-orders`` pushed by an integration.

Stages: ``uploaded`` → ``needs_column_mapping`` (columns extracted on create, targets guessed
from the headers) → ``needs_product_mapping`` (after ``process-column-mappings``; product
names matched to the edition's products) → ``importing`` (``start``; rows are imported in
chunks in the background, delays scaled by ``--speed``) → ``completed`` / ``failed``.
``cancel`` works until the import finished; anything else out of order is a 409. Imported
orders have ``type: imported``, ``status: completed`` and reuse customers by email.

The module holds the operations (paths, parameters, request bodies); beside it:
``data_imports_files.py`` (reading CSV/.xlsx, column guesses, mapping checks),
``data_imports_stages.py`` (stages, the import's JSON form), ``data_imports_run.py`` (the
would-be orders and the background import) and ``data_imports_seed.py``.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from typing import Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import ApiError, FieldErrors, bad_request
from ..paging import PagingDep, Where, envelope, order_by, paginate, parse_bool, parse_time
from ..state import StateDep
from .data_imports_files import Target, guess_mappings, mapping_errors, parse_table
from .data_imports_run import build_external_orders, build_orders, launch, start
from .data_imports_seed import seed
from .data_imports_stages import LIST_COLUMNS, import_out, load_import, need_stage, set_stage
from .editions import CountryCode

__all__ = ["SCHEMA", "router", "seed", "start"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS data_imports (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL,
    stage TEXT NOT NULL,
    data_file_name TEXT,
    default_country_code TEXT NOT NULL,
    total_rows INTEGER NOT NULL DEFAULT 0,
    imported_orders INTEGER NOT NULL DEFAULT 0,
    failed_rows INTEGER NOT NULL DEFAULT 0,
    error_message TEXT,
    columns TEXT NOT NULL DEFAULT '[]',
    rows TEXT NOT NULL DEFAULT '[]',
    column_mappings TEXT NOT NULL DEFAULT '[]',
    product_mappings TEXT NOT NULL DEFAULT '[]',
    external_orders TEXT,
    next_row INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS data_imports_edition ON data_imports (edition_id, created);
CREATE INDEX IF NOT EXISTS data_imports_org ON data_imports (organization_id, created);
"""

router = APIRouter(tags=["data imports"])


# -- operations ------------------------------------------------------------------------------------
@router.get(
    "/v1/data-imports", response_model=schemas.Page[schemas.DataImport], summary="List data imports"
)
async def list_imports(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    created_after: str | None = Query(None, description="ISO 8601"),
    created_before: str | None = Query(None, description="ISO 8601"),
    edition_id: str | None = None,
    include_cancelled: str | None = Query(None, description="default false"),
    service: str | None = None,
    stage: Literal[
        "uploaded",
        "needs_column_mapping",
        "needs_product_mapping",
        "importing",
        "completed",
        "failed",
        "cancelled",
    ]
    | None = None,
    ordering: str | None = Query(None, description="created, modified, stage (- for descending)"),
) -> JSONResponse:
    where = Where()
    where.add_in("t.organization_id", principal.org_ids)
    if edition_id is not None:
        where.add("t.edition_id = ?", edition_id)
    if service is not None:
        where.add("t.service = ?", service)
    if stage is not None:
        where.add("t.stage = ?", stage)
    elif not parse_bool("include_cancelled", include_cancelled):
        where.add("t.stage != 'cancelled'")
    after = parse_time("created_after", created_after)
    if after:
        where.add("t.created >= ?", after)
    before = parse_time("created_before", created_before)
    if before:
        where.add("t.created <= ?", before)
    order = order_by(
        ordering, {"created": "t.created", "modified": "t.modified", "stage": "t.stage"}, "-created"
    )
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="data_imports",
            where=where,
            order=order,
            paging=paging,
            serialize=import_out,
            columns=LIST_COLUMNS,
        )
    )


class ImportCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    edition_id: str
    data_file_base64: str
    data_file_name: str = Field(min_length=1, max_length=255)
    name: str | None = Field(None, max_length=200)
    default_country_code: CountryCode | None = None


def edition_for_write(db: Database, principal: Principal, edition_id: str) -> Row:
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request("edition_id", "Unknown edition.")
    principal.require_role(row["organization_id"], "admin", "manager")
    return row


@router.post(
    "/v1/data-imports",
    response_model=schemas.DataImport,
    status_code=201,
    summary="Create data import",
)
async def create_import(
    body: ImportCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    edition = edition_for_write(db, principal, body.edition_id)
    try:
        data = base64.b64decode(body.data_file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("data_file_base64", "Not valid base64.") from None
    try:
        header, rows = parse_table(body.data_file_name, data)
    except ValueError as exc:
        raise bad_request("data_file_base64", f"Cannot read the file: {exc}.") from None
    iid = new_id("imp")
    now = clock.now_iso()
    mappings = guess_mappings(header, rows)
    with db.transaction():
        db.execute(
            "INSERT INTO data_imports (id, organization_id, edition_id, name, service, stage,"
            " data_file_name, default_country_code, total_rows, columns, rows, column_mappings,"
            " created, modified) VALUES (?,?,?,?,'file','uploaded',?,?,?,?,?,?,?,?)",
            (
                iid,
                edition["organization_id"],
                body.edition_id,
                body.name or body.data_file_name,
                body.data_file_name,
                body.default_country_code or edition["default_country_code"],
                len(rows),
                dumps(header),
                dumps(rows),
                dumps(mappings),
                now,
                now,
            ),
        )
        db.record_state_change("data_import", iid, None, "uploaded", principal.id)
        row = db.one("SELECT * FROM data_imports WHERE id = ?", (iid,))
        assert row is not None
        set_stage(db, row, "needs_column_mapping", principal.id)
    return JSONResponse(import_out(load_import(db, principal, iid)), status_code=201)


class ExternalPurchase(BaseModel):
    product_id: str | None = None
    product_name: str | None = None
    quantity: int = Field(1, ge=1, le=1000)
    price: float | None = Field(None, ge=0, allow_inf_nan=False)


class ExternalOrder(BaseModel):
    order_number: str = Field(min_length=1, max_length=100)
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    created: str | None = None
    purchases: list[ExternalPurchase] = Field(min_length=1)


class ExternalOrders(BaseModel):
    edition_id: str
    service: str = Field(min_length=1, max_length=50)
    orders: list[ExternalOrder] = Field(min_length=1, max_length=10_000)


@router.post(
    "/v1/data-imports/external-orders",
    response_model=schemas.DataImport,
    status_code=201,
    summary="Import external orders",
)
async def external_orders(
    body: ExternalOrders, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    edition = edition_for_write(db, principal, body.edition_id)
    products = {
        str(r["id"]): r
        for r in db.query("SELECT * FROM products WHERE edition_id = ?", (body.edition_id,))
    }
    country = str(edition["default_country_code"])
    orders = build_external_orders(body.orders, products, country)
    iid = new_id("imp")
    now = clock.now_iso()
    with db.transaction():
        db.execute(
            "INSERT INTO data_imports (id, organization_id, edition_id, name, service, stage,"
            " default_country_code, total_rows, external_orders, running, created, modified)"
            " VALUES (?,?,?,?,?,'importing',?,?,?,1,?,?)",
            (
                iid,
                edition["organization_id"],
                body.edition_id,
                f"{body.service} push {now[:16]}",
                body.service,
                country,
                len(orders),
                dumps(orders),
                now,
                now,
            ),
        )
        db.record_state_change("data_import", iid, None, "importing", principal.id)
    launch(state, iid)
    return JSONResponse(import_out(load_import(db, principal, iid)), status_code=201)


@router.get(
    "/v1/data-imports/{id}", response_model=schemas.DataImport, summary="Get data import details"
)
async def get_import(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(import_out(load_import(state.db, principal, id)))


class ImportUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(None, min_length=1, max_length=200)
    default_country_code: CountryCode | None = None


@router.patch(
    "/v1/data-imports/{id}", response_model=schemas.DataImport, summary="Update data import"
)
async def update_import(
    id: str, body: ImportUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(row, "uploaded", "needs_column_mapping", "needs_product_mapping", action="update")
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            db.execute(
                f"UPDATE data_imports SET {sets}, modified = ? WHERE id = ?",
                (*changes.values(), clock.now_iso(), id),
            )
    return JSONResponse(import_out(load_import(db, principal, id)))


@router.post(
    "/v1/data-imports/{id}/cancel", response_model=schemas.DataImport, summary="Cancel data import"
)
async def cancel_import(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(
        row,
        "uploaded",
        "needs_column_mapping",
        "needs_product_mapping",
        "importing",
        action="cancel",
    )
    with db.transaction():
        set_stage(db, row, "cancelled", principal.id, running=0)
    return JSONResponse(import_out(load_import(db, principal, id)))


class ColumnMapping(BaseModel):
    column: str
    target: Target | None = None


def column_mappings_out(row: Row) -> list[dict[str, Any]]:
    return list(loads(row["column_mappings"]))


@router.get(
    "/v1/data-imports/{id}/column-mappings",
    response_model=list[schemas.ColumnMapping],
    summary="List column mappings",
)
async def get_column_mappings(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(column_mappings_out(load_import(state.db, principal, id)))


@router.patch(
    "/v1/data-imports/{id}/column-mappings",
    response_model=list[schemas.ColumnMapping],
    summary="Update column mappings",
)
async def patch_column_mappings(
    id: str,
    state: StateDep,
    principal: PrincipalDep,
    body: list[ColumnMapping] = Body(..., description="[{column, target}] (target null = skip)"),
) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(row, "needs_column_mapping", action="change the column mappings of")
    current = column_mappings_out(row)
    by_column = {m["column"]: m for m in current}
    errors = FieldErrors()
    for item in body:
        if item.column not in by_column:
            errors.add("column", f'Unknown column "{item.column}".')
        else:
            by_column[item.column]["target"] = item.target
    errors.raise_if_any()
    with db.transaction():
        db.execute(
            "UPDATE data_imports SET column_mappings = ?, modified = ? WHERE id = ?",
            (dumps(current), clock.now_iso(), id),
        )
    return JSONResponse(current)


@router.post(
    "/v1/data-imports/{id}/validate-column-mappings",
    response_model=schemas.MappingCheck,
    summary="Validate column mappings",
)
async def validate_column_mappings(
    id: str, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    row = load_import(state.db, principal, id)
    errors = mapping_errors(column_mappings_out(row))
    return JSONResponse({"valid": not errors, "errors": errors})


@router.post(
    "/v1/data-imports/{id}/process-column-mappings",
    response_model=schemas.DataImport,
    summary="Process column mappings",
)
async def process_column_mappings(
    id: str, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(row, "needs_column_mapping", action="process the column mappings of")
    mappings = column_mappings_out(row)
    errors = mapping_errors(mappings)
    if errors:
        raise ApiError(400, fields={"column_mappings": errors})
    header: list[str] = loads(row["columns"])
    rows: list[list[str]] = loads(row["rows"])
    column = next(m["column"] for m in mappings if m.get("target") == "product")
    i = header.index(column)
    counts = Counter(r[i].strip() for r in rows)
    products = {
        str(r["name"]).lower(): str(r["id"])
        for r in db.query(
            "SELECT id, name FROM products WHERE edition_id = ?", (row["edition_id"],)
        )
    }
    product_mappings = [
        {"source_name": name, "row_count": n, "product_id": products.get(name.lower())}
        for name, n in sorted(counts.items())
    ]
    with db.transaction():
        set_stage(
            db, row, "needs_product_mapping", principal.id, product_mappings=dumps(product_mappings)
        )
    return JSONResponse(import_out(load_import(db, principal, id)))


class ProductMapping(BaseModel):
    source_name: str
    product_id: str | None = None


@router.get(
    "/v1/data-imports/{id}/product-mappings",
    response_model=list[schemas.ProductMapping],
    summary="List product mappings",
)
async def get_product_mappings(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(loads(load_import(state.db, principal, id)["product_mappings"]))


@router.patch(
    "/v1/data-imports/{id}/product-mappings",
    response_model=list[schemas.ProductMapping],
    summary="Update product mappings",
)
async def patch_product_mappings(
    id: str,
    state: StateDep,
    principal: PrincipalDep,
    body: list[ProductMapping] = Body(..., description="[{source_name, product_id}] (null = skip)"),
) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(row, "needs_product_mapping", action="change the product mappings of")
    current: list[dict[str, Any]] = loads(row["product_mappings"])
    by_name = {m["source_name"]: m for m in current}
    valid = {
        str(r[0])
        for r in db.query("SELECT id FROM products WHERE edition_id = ?", (row["edition_id"],))
    }
    errors = FieldErrors()
    for item in body:
        if item.source_name not in by_name:
            errors.add("source_name", f'Unknown product name "{item.source_name}".')
        elif item.product_id is not None and item.product_id not in valid:
            errors.add("product_id", f'Unknown product "{item.product_id}" for this edition.')
        else:
            by_name[item.source_name]["product_id"] = item.product_id
    errors.raise_if_any()
    with db.transaction():
        db.execute(
            "UPDATE data_imports SET product_mappings = ?, modified = ? WHERE id = ?",
            (dumps(current), clock.now_iso(), id),
        )
    return JSONResponse(current)


@router.get(
    "/v1/data-imports/{id}/preview-orders",
    response_model=schemas.Page[schemas.PreviewOrder],
    summary="Preview import orders",
)
async def preview_orders(
    id: str, request: Request, state: StateDep, principal: PrincipalDep, paging: PagingDep
) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    need_stage(
        row,
        "needs_product_mapping",
        "importing",
        "completed",
        "failed",
        action="preview the orders of",
    )
    orders = build_orders(row, db)
    page = orders[paging.offset : paging.offset + paging.page_size]
    results = [
        {
            "order_number": o["order_number"],
            "customer": o["customer"],
            "created": o["created"],
            "amount": o["amount"],
            "purchases": o["purchases"],
            "rows": o["rows"],
            "errors": o["errors"],
            "valid": not o["errors"] and bool(o["purchases"]),
        }
        for o in page
    ]
    return JSONResponse(envelope(request, paging, len(orders), results))


@router.post(
    "/v1/data-imports/{id}/start",
    response_model=schemas.DataImport,
    status_code=202,
    summary="Start import process",
)
async def start_import(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = load_import(db, principal, id)
    principal.require_role(row["organization_id"], "admin", "manager")
    need_stage(row, "needs_product_mapping", action="start")
    mappings = loads(row["product_mappings"])
    if mappings and all(m.get("product_id") is None for m in mappings):
        raise bad_request("product_mappings", "Map at least one product before starting.")
    with db.transaction():
        set_stage(db, row, "importing", principal.id, running=1, next_row=0)
    launch(state, id)
    return JSONResponse(import_out(load_import(db, principal, id)), status_code=202)
