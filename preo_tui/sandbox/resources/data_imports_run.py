"""Running a data import: the orders an import would create from its rows and mappings
(or from an ``external-orders`` push), each with its errors; inserting an imported order (and
its customer when new); and the background run that imports them in chunks, resumed when the
sandbox starts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import clock
from ..db import Database, Row, loads, new_id
from .data_imports_stages import import_out, set_stage
from .orders import money, order_search
from .users import country_of, search_text

if TYPE_CHECKING:
    from ..state import SandboxState
    from .data_imports import ExternalOrder

CHUNK = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


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


def build_external_orders(
    pushed: Sequence[ExternalOrder], products: Mapping[str, Row], country: str
) -> list[dict[str, Any]]:
    """The orders of an ``external-orders`` push, each with its ``errors`` (the shape of
    :func:`build_orders`); ``products`` by id, matched by id or else by name."""
    by_name = {str(r["name"]).lower(): r for r in products.values()}
    orders = []
    for n, o in enumerate(pushed, start=1):
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
    return orders


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
