"""Data imports (contract §10): upload a CSV (or .xlsx), map columns, map products, preview,
start, cancel; and ``external-orders`` pushed by an integration.

Stages: ``uploaded`` → ``needs_column_mapping`` (columns extracted on create, targets guessed
from the headers) → ``needs_product_mapping`` (after ``process-column-mappings``; product
names matched to the edition's products) → ``importing`` (``start``; rows are imported in
chunks in the background, delays scaled by ``--speed``) → ``completed`` / ``failed``.
``cancel`` works until the import finished; anything else out of order is a 409. Imported
orders have ``type: imported``, ``status: completed`` and reuse customers by email.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zipfile
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal
from xml.etree import ElementTree

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict, not_found
from ..paging import PagingDep, Where, envelope, order_by, paginate, parse_bool, parse_time
from ..seeding import SeedContext
from ..state import StateDep
from .editions import CountryCode
from .orders import money, order_search
from .users import country_of, make_person, search_text

if TYPE_CHECKING:
    from ..state import SandboxState

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

STAGES = (
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
)
FINISHED = ("completed", "failed", "cancelled")
TARGETS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "order_number",
    "product",
    "quantity",
    "price",
    "created",
)
Target = Literal[
    "email",
    "phone",
    "first_name",
    "last_name",
    "order_number",
    "product",
    "quantity",
    "price",
    "created",
]
HEADER_GUESSES: dict[str, str] = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "phone number": "phone",
    "first name": "first_name",
    "firstname": "first_name",
    "first_name": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "last_name": "last_name",
    "order": "order_number",
    "order number": "order_number",
    "order_number": "order_number",
    "order id": "order_number",
    "product": "product",
    "ticket": "product",
    "ticket type": "product",
    "product name": "product",
    "quantity": "quantity",
    "qty": "quantity",
    "amount": "price",
    "price": "price",
    "created": "created",
    "date": "created",
    "order date": "created",
    "purchased": "created",
}
MAX_ROWS = 50_000
CHUNK = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


# -- file parsing ----------------------------------------------------------------------------------
def parse_xlsx(data: bytes) -> list[list[str]]:
    """The first worksheet of an .xlsx file as rows of strings (shared and inline strings)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            root = ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
        sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
        if not sheets:
            raise ValueError("the workbook has no worksheet")
        root = ElementTree.fromstring(zf.read(sheets[0]))
    rows: list[list[str]] = []
    for row in root.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        position = 0
        for cell in row.findall("m:c", ns):
            ref = cell.get("r", "")
            letters = "".join(ch for ch in ref if ch.isalpha())
            if letters:  # "C7" -> column 3; cells without a reference follow the previous one
                position = 0
                for ch in letters:
                    position = position * 26 + (ord(ch.upper()) - 64)
            else:
                position += 1
            col = position
            kind = cell.get("t")
            value = cell.find("m:v", ns)
            if kind == "s" and value is not None and value.text is not None:
                text = shared[int(value.text)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t"))
            else:
                text = value.text if value is not None and value.text is not None else ""
            cells[col - 1] = text
        if cells:
            rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
    return rows


def parse_table(name: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of a CSV or .xlsx file; ValueError with a readable message."""
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        try:
            table = parse_xlsx(data)
        except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, IndexError) as exc:
            raise ValueError(f"cannot read the Excel file ({exc})") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        table = [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    if not table:
        raise ValueError("the file is empty")
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(table[0])]
    if len(set(header)) != len(header):
        raise ValueError("the header row has duplicate column names")
    rows = [(r + [""] * len(header))[: len(header)] for r in table[1:]]
    if not rows:
        raise ValueError("the file has a header but no rows")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"the file has more than {MAX_ROWS} rows")
    return header, rows


def guess_mappings(header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    used: set[str] = set()
    out = []
    for i, column in enumerate(header):
        target = HEADER_GUESSES.get(column.strip().lower().replace("_", " ")) or HEADER_GUESSES.get(
            column.strip().lower()
        )
        if target in used:
            target = None
        if target:
            used.add(target)
        samples = [r[i] for r in rows if r[i].strip()][:3]
        out.append({"column": column, "sample_values": samples, "target": target})
    return out


def mapping_errors(mappings: list[dict[str, Any]]) -> list[str]:
    targets = [m["target"] for m in mappings if m.get("target")]
    errors = []
    for target, n in Counter(targets).items():
        if n > 1:
            errors.append(f'Target "{target}" is mapped from {n} columns.')
    if "email" not in targets and "phone" not in targets:
        errors.append("Map a column to email or phone so customers can be identified.")
    if "product" not in targets:
        errors.append("Map a column to product.")
    return errors


# -- serialisation ---------------------------------------------------------------------------------
def import_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stage": row["stage"],
        "name": row["name"],
        "edition_id": row["edition_id"],
        "organization_id": row["organization_id"],
        "service": row["service"],
        "data_file_name": row["data_file_name"],
        "default_country_code": row["default_country_code"],
        "total_rows": row["total_rows"],
        "imported_orders": row["imported_orders"],
        "failed_rows": row["failed_rows"],
        "error_message": row["error_message"],
        "created": row["created"],
        "modified": row["modified"],
    }


LIST_COLUMNS = (
    "t.pk, t.id, t.stage, t.name, t.edition_id, t.organization_id, t.service, t.data_file_name,"
    " t.default_country_code, t.total_rows, t.imported_orders, t.failed_rows, t.error_message,"
    " t.created, t.modified"
)


def load_import(db: Database, principal: Principal, import_id: str) -> Row:
    row = db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))
    if row is None:
        raise not_found("Data import not found.")
    principal.require_access(row["organization_id"], "Data import not found.")
    return row


def set_stage(db: Database, row: Row, stage: str, actor: str | None, **fields: Any) -> None:
    sets = ["stage = ?", "modified = ?"] + [f"{k} = ?" for k in fields]
    db.execute(
        f"UPDATE data_imports SET {', '.join(sets)} WHERE id = ?",
        (stage, clock.now_iso(), *fields.values(), row["id"]),
    )
    if stage != row["stage"]:
        db.record_state_change("data_import", str(row["id"]), str(row["stage"]), stage, actor)


def need_stage(row: Row, *stages: str, action: str) -> None:
    if row["stage"] not in stages:
        raise conflict(
            f'Cannot {action} a data import in stage "{row["stage"]}"; allowed in '
            + ", ".join(stages)
            + "."
        )


# -- would-be orders -------------------------------------------------------------------------------
def build_orders(row: Row, db: Database) -> list[dict[str, Any]]:
    """The orders an import would create, with per-order ``errors`` (empty when importable)."""
    if row["external_orders"]:
        return list(loads(row["external_orders"]))
    header: list[str] = loads(row["columns"])
    rows: list[list[str]] = loads(row["rows"])
    target_of = {m["column"]: m["target"] for m in loads(row["column_mappings"]) if m.get("target")}
    index = {t: header.index(c) for c, t in target_of.items() if c in header}
    products = {m["source_name"]: m["product_id"] for m in loads(row["product_mappings"])}
    names = {
        str(r["id"]): (str(r["name"]), float(r["price"]), float(r["deposit"]), float(r["fee"]))
        for r in db.query("SELECT * FROM products WHERE edition_id = ?", (row["edition_id"],))
    }
    country = str(row["default_country_code"])
    orders: dict[str, dict[str, Any]] = {}
    for n, values in enumerate(rows, start=1):

        def get(target: str, values: list[str] = values) -> str:
            i = index.get(target)
            return values[i].strip() if i is not None else ""

        number = get("order_number") or f"IMP-{row['id'][-6:]}-{n:05d}"
        order = orders.setdefault(
            number,
            {
                "order_number": number,
                "rows": [],
                "errors": [],
                "purchases": [],
                "customer": {
                    "email": get("email").lower(),
                    "phone": normalize_phone(get("phone"), country),
                    "first_name": get("first_name"),
                    "last_name": get("last_name"),
                },
                "created": None,
            },
        )
        order["rows"].append(n)
        email = order["customer"]["email"]
        if email and not EMAIL_RE.match(email):
            order["errors"].append(f"row {n}: invalid email {email!r}")
        if not email and not order["customer"]["phone"]:
            order["errors"].append(f"row {n}: no email or phone")
        source = get("product")
        pid = products.get(source)
        if pid is None or pid not in names:
            order["errors"].append(f"row {n}: product {source!r} is not mapped")
            continue
        qty_text = get("quantity") or "1"
        try:
            qty = int(float(qty_text))
            if qty < 1:
                raise ValueError
        except ValueError:
            order["errors"].append(f"row {n}: invalid quantity {qty_text!r}")
            continue
        pname, price, deposit, fee = names[pid]
        price_text = get("price")
        if price_text:
            try:
                price = float(price_text.replace(",", "."))
            except ValueError:
                order["errors"].append(f"row {n}: invalid price {price_text!r}")
                continue
        created_text = get("created")
        if created_text and order["created"] is None:
            try:
                order["created"] = clock.iso(clock.parse_iso(created_text))
            except ValueError:
                order["errors"].append(f"row {n}: invalid date {created_text!r}")
        order["purchases"].append(
            {
                "product_id": pid,
                "product_name": pname,
                "quantity": qty,
                "unit_price": price,
                "deposit": deposit,
                "fees": money(qty * fee),
            }
        )
    out = []
    for order in orders.values():
        order["amount"] = money(
            sum(
                p["quantity"] * (p["unit_price"] + p["deposit"]) + p["fees"]
                for p in order["purchases"]
            )
        )
        out.append(order)
    return out


def normalize_phone(phone: str, default_code: str) -> str:
    digits = re.sub(r"[\s\-().]", "", phone)
    if not digits:
        return ""
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        digits = default_code + digits.lstrip("0")
    return digits


def create_imported_order(db: Database, imp: Row, order: dict[str, Any]) -> dict[str, Any]:
    """Insert one imported order (and its customer when new); returns its webhook payload."""
    edition = db.one(
        "SELECT organization_id, currency FROM editions WHERE id = ?", (imp["edition_id"],)
    )
    assert edition is not None
    org = str(edition["organization_id"])
    customer = order["customer"]
    user = None
    if customer.get("email"):
        user = db.one(
            "SELECT id, email, phone FROM users WHERE organization_id = ? AND email = ?",
            (org, customer["email"]),
        )
    if user is None and customer.get("phone"):
        user = db.one(
            "SELECT id, email, phone FROM users WHERE organization_id = ? AND phone = ?",
            (org, customer["phone"]),
        )
    now = clock.now_iso()
    if user is None:
        uid = new_id("usr")
        email = customer.get("email") or f"{uid}@imported.invalid"
        phone = customer.get("phone") or None
        first, last = customer.get("first_name") or "", customer.get("last_name") or ""
        db.execute(
            "INSERT INTO users (id, organization_id, email, phone, first_name, last_name,"
            " language, country_code, search, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                uid,
                org,
                email,
                phone,
                first or "Imported",
                last or "Customer",
                "en",
                country_of(phone),
                search_text(email, phone, first, last),
                now,
                now,
            ),
        )
        user_email, user_phone = email, phone
    else:
        uid, user_email, user_phone = str(user["id"]), str(user["email"]), user["phone"]
    oid = new_id("ord")
    trx = new_id("trx")
    created = order.get("created") or now
    db.execute(
        "INSERT INTO orders (id, order_number, edition_id, organization_id, customer_id, status,"
        " type, amount, currency, transaction_id, data_import_id, search, created, modified)"
        " VALUES (?,?,?,?,?,'completed','imported',?,?,?,?,?,?,?)",
        (
            oid,
            order["order_number"],
            imp["edition_id"],
            org,
            uid,
            order["amount"],
            edition["currency"],
            trx,
            imp["id"],
            order_search(order["order_number"], oid, user_email, user_phone, trx),
            created,
            now,
        ),
    )
    for p in order["purchases"]:
        amount = money(p["quantity"] * (p["unit_price"] + p["deposit"]) + p["fees"])
        db.execute(
            "INSERT INTO purchases (id, order_id, edition_id, product_id, product_name, quantity,"
            " unit_price, deposit, fees, amount, status, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,'active',?,?)",
            (
                new_id("pur"),
                oid,
                imp["edition_id"],
                p["product_id"],
                p["product_name"],
                p["quantity"],
                p["unit_price"],
                p["deposit"],
                p["fees"],
                amount,
                created,
                now,
            ),
        )
    return {
        "id": oid,
        "order_number": order["order_number"],
        "edition_id": imp["edition_id"],
        "organization_id": org,
        "customer_id": uid,
        "status": "completed",
        "type": "imported",
        "amount": order["amount"],
        "currency": edition["currency"],
        "transaction_id": trx,
        "created": created,
    }


async def run_import(state: SandboxState, import_id: str) -> None:
    """Import the orders in chunks; stops when the import is cancelled meanwhile."""
    db = state.db
    await state.scheduler.sleep(0.5)
    orders: list[dict[str, Any]] | None = None  # built once: mappings are frozen while importing
    while True:
        imp = db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))
        if imp is None or imp["stage"] != "importing":
            return
        if orders is None:
            orders = build_orders(imp, db)
        start = int(imp["next_row"])
        chunk = orders[start : start + CHUNK]
        event = None
        with db.transaction():
            imported = failed = 0
            for order in chunk:
                if order.get("errors") or not order.get("purchases"):
                    failed += len(order.get("rows") or [1])
                    continue
                try:
                    payload = create_imported_order(db, imp, order)
                    imported += 1
                    state.emit_event(
                        "order.created", payload, payload["organization_id"], payload["edition_id"]
                    )
                except Exception as exc:  # a bad external order must not stop the import
                    failed += len(order.get("rows") or [1])
                    db.execute(
                        "UPDATE data_imports SET error_message = ? WHERE id = ?",
                        (f"{type(exc).__name__}: {exc}", import_id),
                    )
            db.execute(
                "UPDATE data_imports SET imported_orders = imported_orders + ?, failed_rows ="
                " failed_rows + ?, next_row = ?, modified = ? WHERE id = ?",
                (imported, failed, start + len(chunk), clock.now_iso(), import_id),
            )
            if start + len(chunk) >= len(orders):
                fresh = db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))
                assert fresh is not None
                ok = int(fresh["imported_orders"]) > 0 or len(orders) == 0
                if ok:
                    set_stage(db, fresh, "completed", None, running=0)
                    event = "data_import.completed"
                else:
                    set_stage(
                        db,
                        fresh,
                        "failed",
                        None,
                        running=0,
                        error_message=fresh["error_message"]
                        or "No row could be imported; check the mappings.",
                    )
                    event = "data_import.failed"
                final = db.one("SELECT * FROM data_imports WHERE id = ?", (import_id,))
                assert final is not None
                state.emit_event(
                    event,
                    import_out(final),
                    str(final["organization_id"]),
                    str(final["edition_id"]),
                )
        if event:
            return
        await state.scheduler.sleep(0.5)


def launch(state: SandboxState, import_id: str) -> None:
    state.scheduler.spawn(run_import(state, import_id), f"data-import:{import_id}")


async def start(state: SandboxState) -> None:
    """Resume imports that were importing (and launched by the API) when the server stopped."""
    for row in state.db.query(
        "SELECT id FROM data_imports WHERE stage = 'importing' AND running = 1"
    ):
        launch(state, str(row["id"]))


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
    by_name = {str(r["name"]).lower(): r for r in products.values()}
    country = str(edition["default_country_code"])
    orders = []
    for n, o in enumerate(body.orders, start=1):
        errors: list[str] = []
        purchases = []
        for p in o.purchases:
            product = products.get(p.product_id or "") or by_name.get(
                (p.product_name or "").lower()
            )
            if product is None:
                errors.append(f"order {n}: unknown product {p.product_id or p.product_name!r}")
                continue
            purchases.append(
                {
                    "product_id": product["id"],
                    "product_name": product["name"],
                    "quantity": p.quantity,
                    "unit_price": float(product["price"]) if p.price is None else p.price,
                    "deposit": float(product["deposit"]),
                    "fees": money(p.quantity * float(product["fee"])),
                }
            )
        created = None
        if o.created:
            try:
                created = clock.iso(clock.parse_iso(o.created))
            except ValueError:
                errors.append(f"order {n}: invalid created {o.created!r}")
        email = (o.email or "").strip().lower()
        if email and not EMAIL_RE.match(email):
            errors.append(f"order {n}: invalid email {email!r}")
        phone = normalize_phone(o.phone or "", country)
        if not email and not phone:
            errors.append(f"order {n}: no email or phone")
        amount = money(
            sum(p["quantity"] * (p["unit_price"] + p["deposit"]) + p["fees"] for p in purchases)
        )
        orders.append(
            {
                "order_number": o.order_number,
                "rows": [n],
                "errors": errors,
                "purchases": purchases,
                "amount": amount,
                "created": created,
                "customer": {
                    "email": email,
                    "phone": phone,
                    "first_name": o.first_name or "",
                    "last_name": o.last_name or "",
                },
            }
        )
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


# -- seed ------------------------------------------------------------------------------------------
SEED_STAGES = [
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
]
SEED_SERVICES = ["file", "file", "file", "eventbrite", "file", "ticketmaster", "file", "billetto"]


def sample_csv(
    rng: Any, n: int, products: list[str], first: int
) -> tuple[list[str], list[list[str]]]:
    header = [
        "Order",
        "E-mail",
        "Mobile",
        "First name",
        "Last name",
        "Ticket type",
        "Qty",
        "Order date",
    ]
    rows = []
    for i in range(n):
        p = make_person(rng, 900_000 + first + i)
        rows.append(
            [
                f"EXT-{first + i:05d}",
                p["email"],
                (p["phone"] or "").replace("+45", ""),
                p["first_name"],
                p["last_name"],
                rng.choice(products + ["Early Bird (old)"]),
                str(rng.choice((1, 1, 2))),
                "2026-03-0" + str(1 + i % 9) + "T12:00:00Z",
            ]
        )
    return header, rows


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("data_imports")
    db = ctx.db
    eid = ctx.shared["editions"]["current"]
    org = ctx.shared["organizations"][0]
    product_names = [
        str(r[0])
        for r in db.query("SELECT name FROM products WHERE edition_id = ? ORDER BY pk", (eid,))
    ]
    product_ids = {
        str(r["name"]).lower(): str(r["id"])
        for r in db.query("SELECT id, name FROM products WHERE edition_id = ?", (eid,))
    }
    imported = [
        str(r[0])
        for r in db.query(
            "SELECT id FROM orders WHERE edition_id = ? AND type = 'imported' ORDER BY pk", (eid,)
        )
    ]
    rows_out = []
    changes: list[tuple[Any, ...]] = []
    for n in range(ctx.scale.data_imports):
        stage = SEED_STAGES[n % len(SEED_STAGES)]
        iid = ctx.new_id("imp", rng)
        header, rows = sample_csv(rng, rng.randrange(8, 30), product_names[:4], n * 100)
        mappings = guess_mappings(header, rows)
        products: list[dict[str, Any]] = []
        if stage not in ("uploaded", "needs_column_mapping"):
            counts = Counter(r[5] for r in rows)
            products = [
                {"source_name": k, "row_count": v, "product_id": product_ids.get(k.lower())}
                for k, v in sorted(counts.items())
            ]
        created = ctx.ts(timedelta(days=-rng.uniform(1, 90)))
        total = len(rows)
        done = failed = 0
        error = None
        if stage == "completed":
            done, failed = total - 2, 2
            for oid in imported[:done]:
                db.execute("UPDATE orders SET data_import_id = ? WHERE id = ?", (iid, oid))
            imported = imported[done:]
        elif stage == "importing":
            done = total // 2
        elif stage == "failed":
            failed, error = total, "No row could be imported: the product column is empty."
        service = SEED_SERVICES[n % len(SEED_SERVICES)]
        rows_out.append(
            (
                iid,
                org,
                eid,
                f"{service.title()} import #{n + 1}",
                service,
                stage,
                f"orders-{n + 1}.csv",
                "+45",
                total,
                done,
                failed,
                error,
                dumps(header),
                dumps(rows),
                dumps(mappings),
                dumps(products),
                created,
                created,
            )
        )
        path = (
            SEED_STAGES[: SEED_STAGES.index(stage) + 1]
            if stage not in ("failed", "cancelled")
            else (
                ["uploaded", "needs_column_mapping", "needs_product_mapping", "importing", stage]
                if stage == "failed"
                else ["uploaded", "needs_column_mapping", "cancelled"]
            )
        )
        prev = None
        for step in path:
            changes.append(("data_import", iid, prev, step, created))
            prev = step
    db.executemany(
        "INSERT INTO data_imports (id, organization_id, edition_id, name, service, stage,"
        " data_file_name, default_country_code, total_rows, imported_orders, failed_rows,"
        " error_message, columns, rows, column_mappings, product_mappings, created, modified)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows_out,
    )
    db.executemany(
        "INSERT INTO state_changes (object_type, object_id, from_status, to_status, at)"
        " VALUES (?,?,?,?,?)",
        changes,
    )
