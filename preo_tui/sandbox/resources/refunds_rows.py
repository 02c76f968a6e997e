"""A refund request's row and words: the statuses (open ones reserve money), the default
scope of each reason, its JSON form (:func:`refund_out`), the people on it, loading one with
its access check, and the refunds of a purchase (shown in the order detail)."""

from __future__ import annotations

from typing import Any

from ..auth import Principal
from ..db import Database, Row, loads
from ..errors import not_found

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


def load_refund(db: Database, principal: Principal, refund_id: str) -> Row:
    row = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
    if row is None:
        raise not_found("Refund request not found.")
    principal.require_access(row["organization_id"], "Refund request not found.")
    return row
