"""Refund requests (contract §5): create (per purchase or per transaction), list, get,
approve, reject, and the payment side's asynchronous life cycle.

Life cycle [ours]: created ``requested`` (``invalid`` when the purchase can no longer be
refunded: order not paid, purchase cancelled or fully refunded/reserved). Approve (admin or
manager): ``requested`` → ``ready``; then the simulated payment side moves it ``ready`` →
``processing`` (1 s) → ``awaiting_gateway`` (1.5 s) → ``processed`` with ``refund_date`` (2 s)
or ``failed`` with ``service_response`` (``refund_failure_rate``, default 1 in 20, decided per
refund id). Delays are divided by ``--speed``. Reject: ``requested`` → ``rejected``. Approve or
reject in any other state: 409. Every transition is recorded in ``state_changes``.

Amounts: ``purchase_price`` = quantity × unit price, ``purchase_deposit`` = quantity ×
deposit, ``purchase_full`` = what is left of the purchase, ``transaction_full`` = what is left
of the whole order, the two custom scopes take ``amount``. "What is left" subtracts what was
refunded and what open requests (requested … awaiting_gateway) already reserve; asking for
more is a 400 on ``amount``. On ``processed`` the purchases' ``refunded_amount`` and
``status`` (``partially_refunded``/``refunded``) are updated.

Seeded in-flight requests (``ready``, ``processing``, ``awaiting_gateway``) have no
``next_step_at`` and stay where they are, so screens over seeded data are stable; requests
approved through the API progress, and resume after a restart.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict, forbidden, not_found
from ..paging import PagingDep, Where, csv_values, like_pattern, order_by, paginate, parse_time
from ..seeding import SeedContext
from ..state import StateDep
from .orders import load_purchase, money

if TYPE_CHECKING:
    from ..state import SandboxState

SCHEMA = """
CREATE TABLE IF NOT EXISTS refund_requests (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    purchase_id TEXT,
    order_id TEXT NOT NULL,
    order_number TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    customer_name TEXT NOT NULL DEFAULT '',
    product_name TEXT,
    reason TEXT NOT NULL,
    scope TEXT NOT NULL,
    amount REAL NOT NULL,
    comment TEXT,
    decision_comment TEXT,
    status TEXT NOT NULL,
    service_response TEXT,
    refund_date TEXT,
    pickup_point TEXT,
    requested_by TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    rejection_reason TEXT,
    next_step_at TEXT,
    search TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_edition_created ON refund_requests (edition_id, created);
CREATE INDEX IF NOT EXISTS refunds_edition_status ON refund_requests (edition_id, status, created);
CREATE INDEX IF NOT EXISTS refunds_org_created ON refund_requests (organization_id, created);
CREATE INDEX IF NOT EXISTS refunds_org_status ON refund_requests (organization_id, status, created);
CREATE INDEX IF NOT EXISTS refunds_purchase ON refund_requests (purchase_id);
CREATE INDEX IF NOT EXISTS refunds_order ON refund_requests (order_id);
CREATE INDEX IF NOT EXISTS refunds_in_flight ON refund_requests (next_step_at)
    WHERE next_step_at IS NOT NULL;
"""

router = APIRouter(tags=["refund requests"])

Reason = Literal[
    "deposit_reclaim",
    "sold_out",
    "event_cancelled",
    "product_defect",
    "duplicate_purchase",
    "customer_request",
    "compensation",
    "overcharge",
    "other",
    "rental_return",
]
Scope = Literal[
    "purchase_price",
    "purchase_deposit",
    "purchase_full",
    "purchase_custom",
    "transaction_full",
    "transaction_custom",
]
STATUSES = (
    "requested",
    "ready",
    "processing",
    "awaiting_gateway",
    "processed",
    "failed",
    "rejected",
    "invalid",
)
OPEN_STATUSES = ("requested", "ready", "processing", "awaiting_gateway")
CUSTOM_SCOPES = ("purchase_custom", "transaction_custom")
DEFAULT_SCOPE: dict[str, str] = {
    "deposit_reclaim": "purchase_deposit",
    "rental_return": "purchase_deposit",
    "event_cancelled": "purchase_full",
    "duplicate_purchase": "purchase_full",
    "compensation": "purchase_custom",
    "overcharge": "purchase_custom",
}
#: (next status, nominal seconds before it) of the payment side's steps.
STEPS: dict[str, tuple[str, float]] = {
    "ready": ("processing", 1.0),
    "processing": ("awaiting_gateway", 1.5),
    "awaiting_gateway": ("done", 2.0),
}


def default_scope(reason: str) -> str:
    return DEFAULT_SCOPE.get(reason, "purchase_price")


def person(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row["id"],
        "email": row["email"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
    }


def refund_out(row: Row, principal: Principal | None) -> dict[str, Any]:
    can = (
        row["status"] == "requested"
        and principal is not None
        and principal.has_role(row["organization_id"], "admin", "manager")
    )
    return {
        "id": row["id"],
        "edition_id": row["edition_id"],
        "organization": row["organization_id"],
        "amount": row["amount"],
        "created": row["created"],
        "modified": row["modified"],
        "can_approve": can,
        "can_reject": can,
        "scope": row["scope"],
        "status": row["status"],
        "comment": row["comment"],
        "service_response": loads(row["service_response"]),
        "refund_date": row["refund_date"],
        "requested_by": loads(row["requested_by"]),
        "pickup_point": loads(row["pickup_point"]),
        "reason": row["reason"],
        "purchase_id": row["purchase_id"],
        "order_id": row["order_id"],
        "order_number": row["order_number"],
        "customer_email": row["customer_email"],
        "customer_name": row["customer_name"],
        "product_name": row["product_name"],
        "decided_by": loads(row["decided_by"]),
        "decided_at": row["decided_at"],
        "decision_comment": row["decision_comment"],
        "rejection_reason": row["rejection_reason"],
    }


def refunds_of_purchase(
    db: Database, principal: Principal, purchase_id: str
) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT * FROM refund_requests WHERE purchase_id = ? ORDER BY created, pk", (purchase_id,)
    )
    return [refund_out(r, principal) for r in rows]


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


# -- creation --------------------------------------------------------------------------------------
class RefundBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reason: Reason
    scope: Scope | None = None
    amount: float | None = Field(
        None, description="Required for the custom scopes.", allow_inf_nan=False
    )
    comment: str | None = Field(None, max_length=2000)
    pickup_point_id: str | None = None


class RefundCreate(RefundBody):
    purchase_id: str | None = None
    transaction_id: str | None = None


class ApproveBody(BaseModel):
    comment: str | None = Field(None, max_length=2000)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


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


@router.post(
    "/v1/purchases/{id}/refund",
    response_model=schemas.RefundRequest,
    status_code=201,
    tags=["orders"],
    summary="Create refund request for purchase",
)
async def refund_purchase(
    id: str, body: RefundBody, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    purchase = load_purchase(db, principal, id)
    order = db.one("SELECT * FROM orders WHERE id = ?", (purchase["order_id"],))
    assert order is not None
    row = create_refund(state, principal, body, purchase=purchase, order=order)
    return JSONResponse(refund_out(row, principal), status_code=201)


@router.post(
    "/v1/refund-requests",
    response_model=schemas.RefundRequest,
    status_code=201,
    summary="Create refund request",
)
async def create_refund_request(
    body: RefundCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    if (body.purchase_id is None) == (body.transaction_id is None):
        raise bad_request(None, "Give exactly one of purchase_id or transaction_id.")
    purchase: Row | None = None
    if body.purchase_id is not None:
        purchase = db.one("SELECT * FROM purchases WHERE id = ?", (body.purchase_id,))
        order = (
            db.one("SELECT * FROM orders WHERE id = ?", (purchase["order_id"],))
            if purchase is not None
            else None
        )
        if order is None or principal.role_in(order["organization_id"]) is None:
            raise bad_request("purchase_id", "Unknown purchase.")
    else:
        order = db.one("SELECT * FROM orders WHERE transaction_id = ?", (body.transaction_id,))
        if order is None or principal.role_in(order["organization_id"]) is None:
            raise bad_request("transaction_id", "Unknown transaction.")
    row = create_refund(state, principal, body, purchase=purchase, order=order)
    return JSONResponse(refund_out(row, principal), status_code=201)


# -- reading ---------------------------------------------------------------------------------------
def load_refund(db: Database, principal: Principal, refund_id: str) -> Row:
    row = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
    if row is None:
        raise not_found("Refund request not found.")
    principal.require_access(row["organization_id"], "Refund request not found.")
    return row


@router.get(
    "/v1/refund-requests", response_model=schemas.RefundPage, summary="List refund requests"
)
async def list_refunds(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    edition_id: str | None = None,
    organization_id: str | None = None,
    status: str | None = Query(None, description="one status or a comma-separated list"),
    reason: Reason | None = None,
    search: str | None = Query(None, description="order number or customer email"),
    created_after: str | None = Query(None, description="ISO 8601"),
    created_before: str | None = Query(None, description="ISO 8601"),
    amount_min: float | None = Query(None, description="[ours] amount >= this"),
    amount_max: float | None = Query(None, description="[ours] amount <= this"),
    ordering: str | None = Query(None, description="created, amount, status (- for descending)"),
) -> JSONResponse:
    """[ours] additions: ``amount_min``/``amount_max`` filters, and ``total_amount`` (sum of
    ``amount`` over every matching request) in the envelope beside ``count``."""
    db = state.db
    where = Where()
    if amount_min is not None:
        where.add("t.amount >= ?", amount_min)
    if amount_max is not None:
        where.add("t.amount <= ?", amount_max)
    if edition_id is not None:
        org = db.scalar("SELECT organization_id FROM editions WHERE id = ?", (edition_id,))
        where.add_in("t.edition_id", [edition_id] if principal.role_in(org) else [])
    elif organization_id is not None:
        where.add_in(
            "t.organization_id", [organization_id] if principal.role_in(organization_id) else []
        )
    else:
        where.add_in("t.organization_id", principal.org_ids)
    if organization_id is not None and edition_id is not None:
        where.add("t.organization_id = ?", organization_id)
    if status:
        values = csv_values(status)
        bad = [v for v in values if v not in STATUSES]
        if bad:
            raise ApiError(
                400,
                fields={
                    "status": [
                        f'"{bad[0]}" is not a valid choice; expected one of {", ".join(STATUSES)}.'
                    ]
                },
            )
        where.add_in("t.status", values)
    if reason:
        where.add("t.reason = ?", reason)
    if search:
        where.add("t.search LIKE ? ESCAPE '\\'", like_pattern(search.strip().lower()))
    after = parse_time("created_after", created_after)
    if after:
        where.add("t.created >= ?", after)
    before = parse_time("created_before", created_before)
    if before:
        where.add("t.created <= ?", before)
    order = order_by(
        ordering, {"created": "t.created", "amount": "t.amount", "status": "t.status"}, "-created"
    )
    total = money(
        float(
            db.scalar(
                f"SELECT COALESCE(SUM(t.amount), 0) FROM refund_requests t WHERE {where.sql()}",
                where.params,
            )
            or 0.0
        )
    )
    return JSONResponse(
        paginate(
            request,
            db,
            table="refund_requests",
            where=where,
            order=order,
            paging=paging,
            serialize=lambda r: refund_out(r, principal),
            extra={"total_amount": total},
        )
    )


@router.get(
    "/v1/refund-requests/{id}",
    response_model=schemas.RefundRequest,
    summary="Retrieve refund request details",
)
async def get_refund(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(refund_out(load_refund(state.db, principal, id), principal))


# -- decisions and the payment side ----------------------------------------------------------------
def _decide(state: SandboxState, principal: Principal, refund_id: str, verb: str) -> Row:
    row = load_refund(state.db, principal, refund_id)
    principal.require_role(row["organization_id"], "admin", "manager")
    if row["status"] != "requested":
        raise conflict(
            f'Cannot {verb} a refund request in status "{row["status"]}"; only requested'
            " ones can be decided."
        )
    return row


@router.post(
    "/v1/refund-requests/{id}/approve",
    response_model=schemas.RefundRequest,
    summary="Approve refund request",
)
async def approve_refund(
    id: str, state: StateDep, principal: PrincipalDep, body: ApproveBody | None = None
) -> JSONResponse:
    db = state.db
    row = _decide(state, principal, id, "approve")
    now = clock.now_iso()
    first_step = clock.shift(STEPS["ready"][1])
    account = db.one(
        "SELECT id, email, first_name, last_name FROM accounts WHERE id = ?", (principal.id,)
    )
    with db.transaction():
        db.execute(
            "UPDATE refund_requests SET status = 'ready', decided_by = ?, decided_at = ?,"
            " decision_comment = ?, next_step_at = ?, modified = ? WHERE id = ?",
            (dumps(person(account)), now, body.comment if body else None, first_step, now, id),
        )
        db.record_state_change("refund_request", id, "requested", "ready", principal.id)
        updated = db.one("SELECT * FROM refund_requests WHERE id = ?", (id,))
        assert updated is not None
        state.emit_event(
            "refund_request.approved",
            refund_out(updated, None),
            row["organization_id"],
            row["edition_id"],
        )
    schedule_step(state, id, STEPS["ready"][1])
    return JSONResponse(refund_out(updated, principal))


@router.post(
    "/v1/refund-requests/{id}/reject",
    response_model=schemas.RefundRequest,
    summary="Reject refund request",
)
async def reject_refund(
    id: str, body: RejectBody, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = _decide(state, principal, id, "reject")
    now = clock.now_iso()
    account = db.one(
        "SELECT id, email, first_name, last_name FROM accounts WHERE id = ?", (principal.id,)
    )
    with db.transaction():
        db.execute(
            "UPDATE refund_requests SET status = 'rejected', decided_by = ?, decided_at = ?,"
            " rejection_reason = ?, modified = ? WHERE id = ?",
            (dumps(person(account)), now, body.reason.strip(), now, id),
        )
        db.record_state_change("refund_request", id, "requested", "rejected", principal.id)
        updated = db.one("SELECT * FROM refund_requests WHERE id = ?", (id,))
        assert updated is not None
        state.emit_event(
            "refund_request.rejected",
            refund_out(updated, None),
            row["organization_id"],
            row["edition_id"],
        )
    return JSONResponse(refund_out(updated, principal))


def fails(refund_id: str, rate: float) -> bool:
    """Whether the simulated gateway fails this refund (stable per id)."""
    digest = int(hashlib.sha256(refund_id.encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < rate


def schedule_step(state: SandboxState, refund_id: str, delay: float) -> None:
    async def run() -> None:
        advance(state, refund_id)

    state.scheduler.call_later(delay, run, f"refund:{refund_id}")


def apply_refund_to_purchases(db: Database, row: Row) -> None:
    """Book a processed refund on its purchase(s)."""
    remaining = float(row["amount"])
    if row["purchase_id"] and not str(row["scope"]).startswith("transaction"):
        purchases = db.query("SELECT * FROM purchases WHERE id = ?", (row["purchase_id"],))
    else:
        purchases = db.query(
            "SELECT * FROM purchases WHERE order_id = ? AND status != 'cancelled' ORDER BY pk",
            (row["order_id"],),
        )
    now = clock.now_iso()
    for p in purchases:
        if remaining <= 0:
            break
        room = float(p["amount"]) - float(p["refunded_amount"])
        take = min(room, remaining)
        if take <= 0:
            continue
        remaining = money(remaining - take)
        refunded = money(float(p["refunded_amount"]) + take)
        status = "refunded" if refunded >= float(p["amount"]) - 0.005 else "partially_refunded"
        db.execute(
            "UPDATE purchases SET refunded_amount = ?, status = ?, modified = ? WHERE id = ?",
            (refunded, status, now, p["id"]),
        )


def advance(state: SandboxState, refund_id: str) -> None:
    """One step of the payment side (ready → processing → awaiting_gateway → done)."""
    db = state.db
    row = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
    if row is None or row["status"] not in STEPS or row["next_step_at"] is None:
        return
    current = str(row["status"])
    target, _ = STEPS[current]
    now = clock.now_iso()
    event = None
    with db.transaction():
        if target == "done":
            if fails(refund_id, state.settings.refund_failure_rate):
                target = "failed"
                response = {
                    "code": "gateway_declined",
                    "message": "The payment gateway declined the refund (sandbox simulation).",
                    "gateway_reference": f"psp_{hashlib.sha1(refund_id.encode()).hexdigest()[:12]}",
                }
                db.execute(
                    "UPDATE refund_requests SET status = 'failed', service_response = ?,"
                    " next_step_at = NULL, modified = ? WHERE id = ?",
                    (dumps(response), now, refund_id),
                )
                event = "refund_request.failed"
            else:
                target = "processed"
                response = {
                    "code": "refunded",
                    "gateway_reference": f"psp_{hashlib.sha1(refund_id.encode()).hexdigest()[:12]}",
                }
                db.execute(
                    "UPDATE refund_requests SET status = 'processed', refund_date = ?,"
                    " service_response = ?, next_step_at = NULL, modified = ? WHERE id = ?",
                    (now, dumps(response), now, refund_id),
                )
                apply_refund_to_purchases(db, row)
                event = "refund_request.processed"
                order = db.one(
                    "SELECT id, order_number, edition_id, organization_id, customer_id, status,"
                    " type, amount, currency, transaction_id, created FROM orders WHERE id = ?",
                    (row["order_id"],),
                )
                if order is not None:
                    db.execute(
                        "UPDATE orders SET modified = ? WHERE id = ?", (now, row["order_id"])
                    )
                    payload = {**dict(order), "modified": now, "refunded": row["amount"]}
                    state.emit_event(
                        "order.updated", payload, row["organization_id"], row["edition_id"]
                    )
            delay = None
        else:
            delay = STEPS[target][1]
            db.execute(
                "UPDATE refund_requests SET status = ?, next_step_at = ?, modified = ?"
                " WHERE id = ?",
                (target, clock.shift(delay), now, refund_id),
            )
        db.record_state_change("refund_request", refund_id, current, target, None)
        if event:
            updated = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
            assert updated is not None
            state.emit_event(
                event, refund_out(updated, None), row["organization_id"], row["edition_id"]
            )
    if delay is not None:
        schedule_step(state, refund_id, delay)


async def start(state: SandboxState) -> None:
    """Resume refunds that were moving through the payment side when the server stopped."""
    now = clock.now()
    for row in state.db.query(
        "SELECT id, next_step_at FROM refund_requests WHERE next_step_at IS NOT NULL"
    ):
        wait = (clock.parse_iso(row["next_step_at"]) - now).total_seconds()
        schedule_step(state, str(row["id"]), max(0.0, wait))


# -- seed ------------------------------------------------------------------------------------------
SEED_PLAN = [
    # edition key, status, count (None = scale.requested_refunds)
    ("current", "requested", None),
    ("current", "ready", 3),
    ("current", "processing", 3),
    ("current", "awaiting_gateway", 3),
    ("current", "processed", 25),
    ("current", "failed", 5),
    ("current", "rejected", 12),
    ("current", "invalid", 4),
    ("past", "processed", 15),
    ("past", "rejected", 5),
    ("second_org", "requested", 6),
    ("second_org", "processed", 3),
]
COMMENTS = [
    "Customer could not attend because of illness.",
    "Charged twice at the gate.",
    "Locker returned on Sunday, please refund the deposit.",
    "Wristband stopped working on Friday.",
    "Booked the wrong day.",
    None,
    None,
]
REJECT_REASONS = [
    "Tickets are non-refundable after the festival started.",
    "The deposit was already paid out at the pickup point.",
    "Duplicate of an earlier request.",
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("refunds")
    db = ctx.db
    accounts = {
        role: person(
            db.one("SELECT id, email, first_name, last_name FROM accounts WHERE id = ?", (aid,))
        )
        for role, aid in ctx.shared["accounts"].items()
    }
    used: set[str] = set()
    pools: dict[str, list[Row]] = {}
    needed: dict[str, int] = {}
    for key, _, count in SEED_PLAN:
        needed[key] = needed.get(key, 0) + (ctx.scale.requested_refunds if count is None else count)
    rows: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    for key, status, count in SEED_PLAN:
        eid = ctx.shared["editions"][key]
        n = ctx.scale.requested_refunds if count is None else count
        if eid not in pools:
            pools[eid] = db.query(
                "SELECT p.*, o.organization_id, o.order_number, o.customer_id, o.currency,"
                " u.email, u.first_name, u.last_name, o.created AS order_created FROM purchases p"
                " JOIN orders o ON o.id = p.order_id JOIN users u ON u.id = o.customer_id"
                " WHERE p.edition_id = ? AND o.status IN ('confirmed', 'completed')"
                " ORDER BY p.pk LIMIT ?",
                (eid, max(6000, 3 * needed[key])),
            )
        candidates = pools[eid]
        pickups = db.query("SELECT id, name FROM pickup_points WHERE edition_id = ?", (eid,))
        pool = [c for c in candidates if c["id"] not in used]
        rng.shuffle(pool)
        for p in pool[:n]:
            used.add(str(p["id"]))
            if float(p["deposit"]) > 0 and rng.random() < 0.7:
                reason = rng.choice(["deposit_reclaim", "rental_return"])
            else:
                reason = rng.choice(
                    [
                        "customer_request",
                        "product_defect",
                        "duplicate_purchase",
                        "event_cancelled",
                        "compensation",
                        "overcharge",
                        "other",
                        "sold_out",
                    ]
                )
            scope = default_scope(reason)
            qty = int(p["quantity"])
            if scope == "purchase_deposit":
                amount = qty * float(p["deposit"])
            elif scope == "purchase_full":
                amount = float(p["amount"])
            elif scope == "purchase_custom":
                amount = float(rng.choice((50, 75, 100, 150, 200)))
                amount = min(amount, float(p["amount"]))
            else:
                amount = qty * float(p["unit_price"])
            if amount <= 0:
                scope, amount = "purchase_price", qty * float(p["unit_price"]) or float(p["amount"])
            base = clock.parse_iso(p["order_created"])
            age_days = rng.uniform(0.2, 10.0) if status in OPEN_STATUSES else rng.uniform(3, 40)
            created_dt = max(base + timedelta(hours=1), ctx.now - timedelta(days=age_days))
            if created_dt > ctx.now:
                created_dt = ctx.now - timedelta(minutes=rng.randrange(5, 600))
            created = clock.iso(created_dt)
            decided = clock.iso(created_dt + timedelta(hours=rng.uniform(1, 30)))
            if decided and decided > ctx.ts():
                decided = ctx.ts(timedelta(minutes=-rng.randrange(1, 60)))
            decider = (
                accounts[rng.choice(["admin", "manager"])]
                if key != "second_org"
                else accounts["admin"]
            )
            customer = {
                "id": p["customer_id"],
                "email": p["email"],
                "first_name": p["first_name"],
                "last_name": p["last_name"],
            }
            requested_by = customer if rng.random() < 0.75 else accounts["staff"]
            pickup = rng.choice(pickups) if pickups and rng.random() < 0.3 else None
            rid = ctx.new_id("rfr", rng)
            decided_by = decided_at = rejection = service = refund_date = None
            if status not in ("requested", "invalid"):
                decided_by, decided_at = dumps(decider), decided
            if status == "rejected":
                rejection = rng.choice(REJECT_REASONS)
            if status == "processed":
                refund_date = decided
                service = dumps({"code": "refunded", "gateway_reference": f"psp_{rid[4:16]}"})
                refunded = money(float(p["refunded_amount"]) + amount)
                pstatus = (
                    "refunded" if refunded >= float(p["amount"]) - 0.005 else "partially_refunded"
                )
                db.execute(
                    "UPDATE purchases SET refunded_amount = ?, status = ? WHERE id = ?",
                    (refunded, pstatus, p["id"]),
                )
            if status == "failed":
                service = dumps(
                    {"code": "gateway_declined", "message": "The card issuer declined the refund."}
                )
            if status == "invalid":
                db.execute("UPDATE purchases SET status = 'cancelled' WHERE id = ?", (p["id"],))
            rows.append(
                (
                    rid,
                    p["organization_id"],
                    eid,
                    p["id"],
                    p["order_id"],
                    p["order_number"],
                    p["email"],
                    reason,
                    scope,
                    money(amount),
                    rng.choice(COMMENTS),
                    status,
                    service,
                    refund_date,
                    dumps({"id": pickup["id"], "name": pickup["name"]}) if pickup else None,
                    dumps(requested_by),
                    decided_by,
                    decided_at,
                    rejection,
                    f"{p['order_number']} {p['email']}".lower(),
                    created,
                    decided_at or created,
                    f"{p['first_name']} {p['last_name']}",
                    p["product_name"],
                )
            )
            changes.append(
                (
                    "refund_request",
                    rid,
                    None,
                    "requested" if status != "invalid" else "invalid",
                    created,
                )
            )
            path = {
                "ready": ["ready"],
                "processing": ["ready", "processing"],
                "awaiting_gateway": ["ready", "processing", "awaiting_gateway"],
                "processed": ["ready", "processing", "awaiting_gateway", "processed"],
                "failed": ["ready", "processing", "awaiting_gateway", "failed"],
                "rejected": ["rejected"],
            }.get(status, [])
            prev = "requested"
            for step in path:
                changes.append(("refund_request", rid, prev, step, decided_at or created))
                prev = step
    db.executemany(
        "INSERT INTO refund_requests (id, organization_id, edition_id, purchase_id, order_id,"
        " order_number, customer_email, reason, scope, amount, comment, status, service_response,"
        " refund_date, pickup_point, requested_by, decided_by, decided_at, rejection_reason,"
        " search, created, modified, customer_name, product_name)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.executemany(
        "INSERT INTO state_changes (object_type, object_id, from_status, to_status, at)"
        " VALUES (?,?,?,?,?)",
        changes,
    )
