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

The module holds the operations (paths, parameters, request bodies); beside it:
``refunds_rows.py`` (statuses, the JSON form), ``refunds_create.py`` (amounts left, creation),
``refunds_payment.py`` (the payment side's life cycle) and ``refunds_seed.py``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, schemas
from ..auth import Principal, PrincipalDep
from ..db import Row, dumps
from ..errors import ApiError, bad_request, conflict
from ..paging import PagingDep, Where, csv_values, like_pattern, order_by, paginate, parse_time
from ..state import SandboxState, StateDep
from .orders import load_purchase, money
from .refunds_create import create_refund, order_left
from .refunds_payment import STEPS, schedule_step, start
from .refunds_rows import STATUSES, load_refund, person, refund_out, refunds_of_purchase
from .refunds_seed import seed

__all__ = ["SCHEMA", "order_left", "refunds_of_purchase", "router", "seed", "start"]

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
