"""Orders and purchases (contract §4): list orders, order details, purchase details.

Money: ``purchase.amount = quantity * (unit_price + deposit) + fees``; ``order.amount`` is the
sum of its purchases. ``orders.search`` is a denormalised lower-case text (order number, id,
customer email and phone, transaction id) so the ``search`` filter is one column scan.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row
from ..errors import ApiError, not_found
from ..paging import (
    PagingDep,
    Where,
    csv_values,
    like_pattern,
    order_by,
    paginate,
    paginate_json,
    parse_time,
)
from ..seeding import SeedContext, batched, below, small_sample
from ..state import StateDep

SCHEMA = """
-- `id` is unique by the index below, built after the seed's bulk insert (a column UNIQUE
-- constraint is kept up to date row by row: random ids, a page split every few rows)
CREATE TABLE IF NOT EXISTS orders (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    order_number TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    type TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    transaction_id TEXT,
    data_import_id TEXT,
    search TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_id ON orders (id);
CREATE INDEX IF NOT EXISTS orders_edition_created ON orders (edition_id, created);
CREATE INDEX IF NOT EXISTS orders_edition_modified ON orders (edition_id, modified);
CREATE INDEX IF NOT EXISTS orders_edition_status ON orders (edition_id, status, created);
CREATE INDEX IF NOT EXISTS orders_edition_type ON orders (edition_id, type, created);
CREATE INDEX IF NOT EXISTS orders_edition_amount ON orders (edition_id, amount);
CREATE INDEX IF NOT EXISTS orders_edition_number ON orders (edition_id, order_number);
CREATE INDEX IF NOT EXISTS orders_org_created ON orders (organization_id, created);
-- (also serves edition + customer lookups: a customer has a few orders; an index on
-- (edition_id, customer_id) was built at every seed for no query plan)
CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id, created);
CREATE INDEX IF NOT EXISTS orders_transaction ON orders (transaction_id);
CREATE INDEX IF NOT EXISTS orders_import ON orders (data_import_id);
-- a narrow copy of the columns a search filters and sorts on, looked up by pk: a `search=`
-- list probes one row per full-text match (12,000 for "gmail" at the large scale), and these
-- entries are a fraction of an orders row (issue 20: the search round trip)
CREATE INDEX IF NOT EXISTS orders_search_rows ON orders (pk, edition_id, created, status, type);
CREATE TABLE IF NOT EXISTS purchases (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL,  -- unique: purchases_id
    order_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price REAL NOT NULL,
    deposit REAL NOT NULL,
    fees REAL NOT NULL,
    amount REAL NOT NULL,
    refunded_amount REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS purchases_id ON purchases (id);
CREATE INDEX IF NOT EXISTS purchases_order ON purchases (order_id);
-- trigram full-text index over orders.search: "contains" searches without a table scan
CREATE VIRTUAL TABLE IF NOT EXISTS orders_search USING fts5(
    search, content='orders', content_rowid='pk', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS orders_search_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_search (rowid, search) VALUES (new.pk, new.search);
END;
CREATE TRIGGER IF NOT EXISTS orders_search_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_search (orders_search, rowid, search) VALUES ('delete', old.pk, old.search);
END;
-- who belongs to an edition (has an order in it), with the users' ordering columns, so
-- GET /v1/users?edition_id= pages from an index instead of probing 100k users
CREATE TABLE IF NOT EXISTS edition_users (
    edition_id TEXT NOT NULL,
    user_pk INTEGER NOT NULL,
    created TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE,
    last_name TEXT NOT NULL,
    PRIMARY KEY (edition_id, user_pk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edition_users_created ON edition_users (edition_id, created);
CREATE INDEX IF NOT EXISTS edition_users_email ON edition_users (edition_id, email);
CREATE INDEX IF NOT EXISTS edition_users_last_name ON edition_users (edition_id, last_name);
CREATE INDEX IF NOT EXISTS edition_users_user ON edition_users (user_pk);
CREATE TRIGGER IF NOT EXISTS orders_edition_users AFTER INSERT ON orders BEGIN
    INSERT OR IGNORE INTO edition_users (edition_id, user_pk, created, email, last_name)
    SELECT new.edition_id, u.pk, u.created, u.email, u.last_name FROM users u
    WHERE u.id = new.customer_id;
END;
CREATE TRIGGER IF NOT EXISTS users_edition_users AFTER UPDATE OF email, last_name ON users BEGIN
    UPDATE edition_users SET email = new.email, last_name = new.last_name
    WHERE user_pk = new.pk;
END;
CREATE TRIGGER IF NOT EXISTS orders_search_update AFTER UPDATE OF search ON orders BEGIN
    INSERT INTO orders_search (orders_search, rowid, search) VALUES ('delete', old.pk, old.search);
    INSERT INTO orders_search (rowid, search) VALUES (new.pk, new.search);
END;
"""


def add_search(where: Where, text: str) -> None:
    """``search`` filter: the trigram index for 3+ characters, a LIKE scan for shorter text."""
    term = text.strip().lower()
    if len(term) >= 3:
        where.add(
            "t.pk IN (SELECT rowid FROM orders_search WHERE orders_search MATCH ?)",
            '"' + term.replace('"', '""') + '"',
        )
    else:
        where.add("t.search LIKE ? ESCAPE '\\'", like_pattern(term))


router = APIRouter(tags=["orders"])

ORDER_STATUSES = ("pending", "confirmed", "completed", "cancelled")
ORDER_TYPES = ("online", "in-person", "imported")
PURCHASE_STATUSES = ("active", "partially_refunded", "refunded", "cancelled")
EDITION_PREFIX = {"past": "NF25", "current": "NF26", "upcoming": "NF27", "second_org": "ML26"}


def order_search(number: str, oid: str, email: str, phone: str | None, trx: str | None) -> str:
    return f"{number} {oid} {email} {phone or ''} {trx or ''}".lower()


def refresh_order_search(db: Database, customer_id: str) -> None:
    """Recompute ``orders.search`` after a customer's email or phone changed."""
    user = db.one("SELECT email, phone FROM users WHERE id = ?", (customer_id,))
    if user is None:
        return
    for o in db.query(
        "SELECT id, order_number, transaction_id FROM orders WHERE customer_id = ?", (customer_id,)
    ):
        db.execute(
            "UPDATE orders SET search = ? WHERE id = ?",
            (
                order_search(
                    o["order_number"], o["id"], user["email"], user["phone"], o["transaction_id"]
                ),
                o["id"],
            ),
        )


def money(value: float) -> float:
    return round(value + 1e-9, 2)


#: a product as the seed reads it: (id, name, kind, price, deposit, fee)
SeedProduct = tuple[str, str, str, float, float, float]
_QUANTITIES = (1, 1, 1, 2, 2, 3, 4)
_TOPUPS = (100.0, 150.0, 200.0, 250.0, 300.0, 500.0)


def build_purchases(
    rng: random.Random, products: list[SeedProduct], count: int
) -> list[tuple[SeedProduct, int, float]]:
    """``(product, quantity, unit_price)`` picks for one order."""
    picks = []
    for product in rng.sample(products, min(count, len(products))):
        kind = product[2]
        qty = 1 if kind != "ticket" else rng.choice(_QUANTITIES)
        unit = product[3]
        if kind == "topup":
            unit = rng.choice(_TOPUPS)
        picks.append((product, qty, unit))
    return picks


STATUS_CUM = list(itertools.accumulate((0.72, 0.14, 0.07, 0.07)))
TYPE_CUM = list(itertools.accumulate((0.8, 0.15, 0.05)))
SEED_STATUSES = ("completed", "confirmed", "pending", "cancelled")
SEED_TYPES = ("online", "in-person", "imported")


def seed(ctx: SeedContext) -> None:
    """Orders and their purchases, generated and inserted in chunks (flat memory).

    The random draws happen in the same order as ever, so a seed gives the same orders.
    """
    db = ctx.db
    purchases: list[tuple[Any, ...]] = []
    for chunk in batched(_generate(ctx, purchases)):
        db.executemany(
            "INSERT INTO orders (id, order_number, edition_id, organization_id, customer_id,"
            " status, type, amount, currency, transaction_id, search, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            chunk,
        )
        db.executemany(
            "INSERT INTO purchases (id, order_id, edition_id, product_id, product_name, quantity,"
            " unit_price, deposit, fees, amount, status, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            purchases,
        )
        purchases.clear()
    # The search triggers are created after the bulk insert; fill the index in one go.
    db.execute("INSERT INTO orders_search (orders_search) VALUES ('rebuild')")
    # The distinct (edition, customer) pairs first, then one users lookup per pair, inserted in
    # key order (a DISTINCT over the join looked users up once per order; 0.8 s -> 0.4 s CPU).
    db.execute(
        "INSERT OR IGNORE INTO edition_users (edition_id, user_pk, created, email, last_name)"
        " SELECT e.edition_id, u.pk, u.created, u.email, u.last_name"
        " FROM (SELECT DISTINCT edition_id, customer_id FROM orders) e"
        " JOIN users u ON u.id = e.customer_id ORDER BY e.edition_id, u.pk"
    )


def _generate(ctx: SeedContext, purchase_rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Order rows, in order; each order's purchase rows are appended to ``purchase_rows``.

    The draws are ``rng``'s usual ones, made with fewer Python calls (:func:`below`): the id is
    ``ctx.new_id``, ``draw(n)`` is ``rng.randrange(n)``, the picks are ``build_purchases``.
    """
    rng = ctx.rng("orders")
    draw = below(rng)
    getrandbits = rng.getrandbits
    db = ctx.db
    editions = ctx.shared["editions"]
    org_main, org_second = ctx.shared["organizations"]
    users = ctx.shared["users"]
    scale = ctx.scale
    other = scale.other_orders
    plan = [
        ("current", scale.current_orders, org_main, 120),
        ("past", int(other * 0.5), org_main, 420),
        ("upcoming", int(other * 0.2), org_main, 60),
        ("second_org", other - int(other * 0.5) - int(other * 0.2), org_second, 90),
    ]
    emails = {str(r[0]): (str(r[1]), r[2]) for r in db.query("SELECT id, email, phone FROM users")}
    random = rng.random
    status_total, type_total = STATUS_CUM[-1] + 0.0, TYPE_CUM[-1] + 0.0
    minute = timedelta(minutes=1)
    for key, count, org, days in plan:
        eid = editions[key]
        currency = db.scalar("SELECT currency FROM editions WHERE id = ?", (eid,))
        products: list[SeedProduct] = [
            (str(r[0]), str(r[1]), str(r[2]), float(r[3]), float(r[4]), float(r[5]))
            for r in db.query(
                "SELECT id, name, kind, price, deposit, fee FROM products"
                " WHERE edition_id = ? ORDER BY pk",
                (eid,),
            )
        ]
        edition_end = db.scalar("SELECT end_date FROM editions WHERE id = ?", (eid,))
        base = clock.parse_iso(edition_end) if key == "past" else ctx.now
        customers = users[org]
        n_customers = len(customers)
        span = days * 24 * 3600
        prefix = EDITION_PREFIX[key]
        for n in range(1, count + 1):
            oid = f"ord_{getrandbits(64):016x}"
            number = f"{prefix}-{n:06d}"
            customer = customers[draw(n_customers)]
            # what rng.choices(..., cum_weights=...)[0] draws, without its overhead
            status = SEED_STATUSES[bisect(STATUS_CUM, random() * status_total, 0, 3)]
            otype = SEED_TYPES[bisect(TYPE_CUM, random() * type_total, 0, 2)]
            created_dt = base - timedelta(seconds=60 + draw(span - 60))
            created = _iso(created_dt)
            modified = _iso(created_dt + draw(600) * minute)
            trx = None if status == "pending" else f"trx_{getrandbits(64):016x}"
            picks = _picks(rng, draw, products, _PURCHASE_COUNTS[draw(5)])
            total = 0.0
            purchase_status = "cancelled" if status == "cancelled" else "active"
            for product, qty, unit in picks:
                deposit = product[4]
                fees = money(qty * product[5])
                amount = money(qty * (unit + deposit) + fees)
                total += amount
                purchase_rows.append(
                    (
                        f"pur_{getrandbits(64):016x}",
                        oid,
                        eid,
                        product[0],
                        product[1],
                        qty,
                        unit,
                        deposit,
                        fees,
                        amount,
                        purchase_status,
                        created,
                        modified,
                    )
                )
            email, phone = emails[customer]
            yield (
                oid,
                number,
                eid,
                org,
                customer,
                status,
                otype,
                money(total),
                currency,
                trx,
                order_search(number, oid, email, phone, trx),
                created,
                modified,
            )


_PURCHASE_COUNTS = (1, 1, 2, 2, 3)


def _picks(
    rng: random.Random, draw: Callable[[int], int], products: list[SeedProduct], count: int
) -> list[tuple[SeedProduct, int, float]]:
    """:func:`build_purchases` with :func:`below`'s draws from ``rng`` (the same picks)."""
    if len(products) > 21:  # beyond small_sample's sizes
        return build_purchases(rng, products, count)
    picks = []
    for product in small_sample(draw, products, min(count, len(products))):
        kind = product[2]
        qty = 1 if kind != "ticket" else _QUANTITIES[draw(7)]
        unit = product[3]
        if kind == "topup":
            unit = _TOPUPS[draw(6)]
        picks.append((product, qty, unit))
    return picks


def _iso(moment: datetime) -> str:
    """:func:`clock.iso` of a whole-second instant, without conversions when already UTC."""
    if moment.microsecond == 0 and moment.utcoffset() == _ZERO:
        return moment.isoformat()
    value = clock.iso(moment)
    assert value is not None
    return value


_ZERO = timedelta(0)


# -- serialisation -------------------------------------------------------------------------------
LIST_COLUMNS = (
    "t.*, u.email AS c_email, u.phone AS c_phone, u.first_name AS c_first, u.last_name AS c_last,"
    " (SELECT COUNT(*) FROM purchases p WHERE p.order_id = t.id) AS purchase_count"
)
LIST_JOINS = "JOIN users u ON u.id = t.customer_id"
#: :func:`order_out` of a list row (LIST_COLUMNS), built by SQLite: same keys in the same order,
#: same values (tests/sandbox/test_orders_list_json.py compares the two, hostile text included).
LIST_JSON = (
    "json_object('id', t.id, 'order_number', t.order_number, 'edition_id', t.edition_id,"
    " 'organization_id', t.organization_id, 'customer', json_object('id', t.customer_id,"
    " 'email', u.email, 'phone', u.phone, 'first_name', u.first_name, 'last_name', u.last_name),"
    " 'status', t.status, 'type', t.type, 'amount', t.amount, 'currency', t.currency,"
    " 'transaction_id', t.transaction_id, 'created', t.created, 'modified', t.modified,"
    " 'purchase_count', (SELECT COUNT(*) FROM purchases p WHERE p.order_id = t.id))"
)
#: SQLite writes a REAL with 15 significant digits (``%!.15g``), Python the shortest exact form
#: (``repr``): the same text when the 15 digits read back as the amount and both write it
#: without an exponent (1e-4 <= |amount| < 1e15), as for every amount in cents
LIST_JSON_EXACT = (
    "CAST(printf('%!.15g', t.amount) AS REAL) = t.amount"
    " AND (t.amount = 0 OR (abs(t.amount) >= 0.0001 AND abs(t.amount) < 1e15))"
)


def purchase_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "order_id": row["order_id"],
        "edition_id": row["edition_id"],
        "product_id": row["product_id"],
        "product_name": row["product_name"],
        "quantity": row["quantity"],
        "unit_price": row["unit_price"],
        "deposit": row["deposit"],
        "fees": row["fees"],
        "amount": row["amount"],
        "refunded_amount": money(float(row["refunded_amount"])),
        "status": row["status"],
        "created": row["created"],
        "modified": row["modified"],
    }


def order_out(row: Row) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "order_number": row["order_number"],
        "edition_id": row["edition_id"],
        "organization_id": row["organization_id"],
        "customer": {
            "id": row["customer_id"],
            "email": row["c_email"],
            "phone": row["c_phone"],
            "first_name": row["c_first"],
            "last_name": row["c_last"],
        },
        "status": row["status"],
        "type": row["type"],
        "amount": row["amount"],
        "currency": row["currency"],
        "transaction_id": row["transaction_id"],
        "created": row["created"],
        "modified": row["modified"],
    }
    if "purchase_count" in row.keys():  # noqa: SIM118 - sqlite3.Row has no __contains__ for keys
        out["purchase_count"] = row["purchase_count"]
    return out


def load_order(db: Database, principal: Principal, order_id: str) -> dict[str, Any]:
    """The order detail body (with purchases), 404 when unknown or not accessible."""
    row = db.one(
        f"SELECT t.*, u.email AS c_email, u.phone AS c_phone, u.first_name AS c_first,"
        f" u.last_name AS c_last FROM orders t {LIST_JOINS} WHERE t.id = ?",
        (order_id,),
    )
    if row is None:
        raise not_found("Order not found.")
    principal.require_access(row["organization_id"], "Order not found.")
    out = order_out(row)
    purchases = db.query("SELECT * FROM purchases WHERE order_id = ? ORDER BY pk", (order_id,))
    out["purchases"] = [purchase_out(p) for p in purchases]
    return out


ORDERINGS = {
    "created": "t.created",
    "modified": "t.modified",
    "order_number": "t.order_number",
    "status": "t.status",
    "type": "t.type",
    "amount": "t.amount",
}


@router.get("/v1/orders", response_model=schemas.Page[schemas.Order], summary="List orders")
async def list_orders(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    edition_id: str | None = None,
    organization_id: str | None = None,
    customer_id: str | None = None,
    created_after: str | None = Query(None, description="ISO 8601"),
    created_before: str | None = Query(None, description="ISO 8601"),
    customer_email: str | None = None,
    customer_phone: str | None = None,
    order_number: str | None = Query(None, description="case-insensitive contains"),
    search: str | None = Query(
        None, description="order number, order id, customer email, phone, transaction id"
    ),
    status: str | None = Query(
        None, description="pending, confirmed, completed, cancelled (comma list allowed)"
    ),
    type: Literal["online", "in-person", "imported"] | None = None,
    transaction_id: str | None = None,
    ordering: str | None = Query(
        None, description="created, modified, order_number, status, type, amount (- for descending)"
    ),
) -> Response:
    db = state.db
    if edition_id is None and organization_id is None and customer_id is None:
        raise ApiError(
            400,
            fields={
                "non_field_errors": [
                    "One of edition_id, organization_id or customer_id is required."
                ]
            },
        )
    where = Where()
    # Access is resolved up front so the row filter stays on one index.
    if edition_id is not None:
        org = db.scalar("SELECT organization_id FROM editions WHERE id = ?", (edition_id,))
        where.add_in("t.edition_id", [edition_id] if principal.role_in(org) else [])
    if organization_id is not None:
        where.add_in(
            "t.organization_id", [organization_id] if principal.role_in(organization_id) else []
        )
    if customer_id is not None:
        org = db.scalar("SELECT organization_id FROM users WHERE id = ?", (customer_id,))
        where.add_in("t.customer_id", [customer_id] if principal.role_in(org) else [])
    after = parse_time("created_after", created_after)
    if after:
        where.add("t.created >= ?", after)
    before = parse_time("created_before", created_before)
    if before:
        where.add("t.created <= ?", before)
    if customer_email:
        where.add("t.customer_id IN (SELECT id FROM users WHERE email = ?)", customer_email.strip())
    if customer_phone:
        phone = "".join(ch for ch in customer_phone if ch.isdigit() or ch == "+")
        where.add("t.customer_id IN (SELECT id FROM users WHERE phone = ?)", phone)
    if order_number and order_number.strip():
        number = order_number.strip()
        if len(number) >= 3:  # narrow with the trigram index, then check the column itself
            add_search(where, number)
        where.add("t.order_number LIKE ? ESCAPE '\\'", like_pattern(number))
    if search and search.strip():
        add_search(where, search)
    if status:
        values = csv_values(status)
        bad = [v for v in values if v not in ORDER_STATUSES]
        if bad:
            raise ApiError(
                400,
                fields={
                    "status": [
                        f'"{bad[0]}" is not a valid choice; expected one of {", ".join(ORDER_STATUSES)}.'
                    ]
                },
            )
        where.add_in("t.status", values)
    if type:
        where.add("t.type = ?", type)
    if transaction_id:
        where.add("t.transaction_id = ?", transaction_id.strip())
    order = order_by(ordering, ORDERINGS, "-created")
    page: dict[str, Any] = {
        "table": "orders",
        "where": where,
        "order": order,
        "paging": paging,
        "select_joins": LIST_JOINS,
    }
    body = paginate_json(request, db, row_json=LIST_JSON, exact=LIST_JSON_EXACT, **page)
    if body is not None:  # every row as order_out writes it, built by SQLite (issue 20)
        return Response(body, media_type="application/json")
    return JSONResponse(paginate(request, db, serialize=order_out, columns=LIST_COLUMNS, **page))


@router.get("/v1/orders/{id}", response_model=schemas.OrderDetail, summary="Retrieve order details")
async def retrieve_order(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(load_order(state.db, principal, id))


def load_purchase(db: Database, principal: Principal, purchase_id: str) -> Row:
    row = db.one(
        "SELECT p.*, o.organization_id, o.status AS order_status, o.transaction_id,"
        " o.order_number, o.customer_id FROM purchases p JOIN orders o ON o.id = p.order_id"
        " WHERE p.id = ?",
        (purchase_id,),
    )
    if row is None:
        raise not_found("Purchase not found.")
    principal.require_access(row["organization_id"], "Purchase not found.")
    return row


@router.get(
    "/v1/purchases/{id}",
    response_model=schemas.PurchaseDetail,
    summary="Retrieve purchase details",
    tags=["orders"],
)
async def retrieve_purchase(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    from .refunds import refunds_of_purchase

    db = state.db
    row = load_purchase(db, principal, id)
    out = purchase_out(row)
    out["refund_requests"] = refunds_of_purchase(db, principal, id)
    return JSONResponse(out)
