"""Creating a refund request: what is left to refund of a purchase or an order (refunded
amounts and open requests subtracted), the amount of each scope, and the validation and
insert of one request (``requested``, or ``invalid`` when nothing can be refunded any more)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import clock
from ..auth import Principal
from ..db import Database, Row, dumps, new_id
from ..errors import FieldErrors, bad_request, forbidden
from .orders import money
from .refunds_rows import CUSTOM_SCOPES, OPEN_STATUSES, default_scope, person, refund_out

if TYPE_CHECKING:
    from ..state import SandboxState
    from .refunds import RefundBody


# -- amounts ---------------------------------------------------------------------------------------
def reserved(db: Database, purchase_id: str) -> float:
    return float(
        db.scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM refund_requests WHERE purchase_id = ? AND"
            f" status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})",
            (purchase_id,),
        )
        or 0.0
    )


def purchase_left(db: Database, p: Row) -> float:
    return money(float(p["amount"]) - float(p["refunded_amount"]) - reserved(db, p["id"]))


def order_left(db: Database, order_id: str) -> float:
    total = float(
        db.scalar(
            "SELECT COALESCE(SUM(amount - refunded_amount), 0) FROM purchases"
            " WHERE order_id = ? AND status != 'cancelled'",
            (order_id,),
        )
        or 0.0
    )
    open_reserved = float(
        db.scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM refund_requests WHERE order_id = ? AND"
            f" status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})",
            (order_id,),
        )
        or 0.0
    )
    return money(total - open_reserved)


def reserved_by_order(db: Database, order_id: str) -> float:
    return float(
        db.scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM refund_requests WHERE order_id = ? AND"
            f" status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})",
            (order_id,),
        )
        or 0.0
    )


def resolve_amount(
    db: Database, scope: str, purchase: Row | None, order_id: str, amount: float | None
) -> tuple[float, float]:
    """``(amount, refundable)`` for a scope; the caller checks amount ≤ refundable."""
    if scope.startswith("transaction"):
        left = order_left(db, order_id)
        return (left if scope == "transaction_full" else float(amount or 0)), left
    assert purchase is not None
    left = min(purchase_left(db, purchase), order_left(db, order_id))
    qty = int(purchase["quantity"])
    if scope == "purchase_price":
        return money(qty * float(purchase["unit_price"])), left
    if scope == "purchase_deposit":
        return money(qty * float(purchase["deposit"])), left
    if scope == "purchase_full":
        return left, left
    return float(amount or 0), left


def create_refund(
    state: SandboxState,
    principal: Principal,
    body: RefundBody,
    *,
    purchase: Row | None,
    order: Row,
) -> Row:
    """Validate and insert one refund request (``requested`` or ``invalid``)."""
    db = state.db
    org = str(order["organization_id"])
    errors = FieldErrors()
    reason = body.reason
    scope = body.scope or (
        default_scope(reason)
        if purchase is not None
        else (
            "transaction_custom"
            if default_scope(reason) == "purchase_custom"
            else "transaction_full"
        )
    )
    if (
        body.scope
        and body.scope != default_scope(reason)
        and not principal.has_role(org, "admin", "manager")
        and (purchase is not None or body.scope not in ("transaction_full", "transaction_custom"))
    ):
        raise forbidden("Only an admin or manager may choose a scope other than the default.")
    if purchase is None and not scope.startswith("transaction"):
        errors.add("scope", "A refund by transaction_id needs a transaction_* scope.")
    if scope in CUSTOM_SCOPES and body.amount is None:
        errors.add("amount", "This field is required for a custom scope.")
    if body.amount is not None and body.amount <= 0:
        errors.add("amount", "Ensure this value is greater than 0.")
    pickup = None
    if body.pickup_point_id:
        row = db.one(
            "SELECT id, name FROM pickup_points WHERE id = ? AND edition_id = ?",
            (body.pickup_point_id, order["edition_id"]),
        )
        if row is None:
            errors.add("pickup_point_id", "Unknown pickup point for this edition.")
        else:
            pickup = {"id": row["id"], "name": row["name"]}
    errors.raise_if_any()
    amount, left = resolve_amount(db, scope, purchase, str(order["id"]), body.amount)
    # Invalid: nothing can ever be refunded any more (unpaid or cancelled order, purchase
    # cancelled or fully refunded). Money merely reserved by open requests is a 400 instead.
    if purchase is not None:
        never = float(purchase["amount"]) - float(purchase["refunded_amount"]) <= 0.005
    else:
        never = order_left(db, str(order["id"])) + reserved_by_order(db, str(order["id"])) <= 0.005
    invalid = (
        order["status"] not in ("confirmed", "completed")
        or (purchase is not None and purchase["status"] in ("cancelled", "refunded"))
        or never
    )
    if not invalid:
        if scope == "purchase_deposit" and amount <= 0:
            raise bad_request("scope", "This purchase has no deposit to refund.")
        if amount > left + 1e-9:
            raise bad_request(
                "amount", f"Only {left:.2f} {order['currency']} can still be refunded."
            )
        if body.scope is None and scope in CUSTOM_SCOPES and amount <= 0:
            raise bad_request("amount", "Ensure this value is greater than 0.")
    status = "invalid" if invalid else "requested"
    rid = new_id("rfr")
    now = clock.now_iso()
    account = db.one(
        "SELECT id, email, first_name, last_name FROM accounts WHERE id = ?", (principal.id,)
    )
    customer = db.one(
        "SELECT email, first_name, last_name FROM users WHERE id = ?", (order["customer_id"],)
    )
    email = str(customer["email"]) if customer else ""
    customer_name = f"{customer['first_name']} {customer['last_name']}".strip() if customer else ""
    product_name = (
        purchase["product_name"]
        if purchase is not None and not scope.startswith("transaction")
        else None
    )
    with db.transaction():
        db.execute(
            "INSERT INTO refund_requests (id, organization_id, edition_id, purchase_id, order_id,"
            " order_number, customer_email, customer_name, product_name, reason, scope, amount,"
            " comment, status, pickup_point, requested_by, search, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rid,
                org,
                order["edition_id"],
                purchase["id"] if purchase is not None else None,
                order["id"],
                order["order_number"],
                email,
                customer_name,
                product_name,
                reason,
                scope,
                money(amount),
                body.comment,
                status,
                dumps(pickup) if pickup else None,
                dumps(person(account)),
                f"{order['order_number']} {email}".lower(),
                now,
                now,
            ),
        )
        db.record_state_change("refund_request", rid, None, status, principal.id)
        row = db.one("SELECT * FROM refund_requests WHERE id = ?", (rid,))
        assert row is not None
        state.emit_event("refund_request.created", refund_out(row, None), org, row["edition_id"])
    return row
