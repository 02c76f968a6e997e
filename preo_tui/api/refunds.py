"""Refund requests (contract §5): list, create, get, approve, reject.

Statuses, reasons, scopes and the documented fields are [doc]; ``requested_by``,
``pickup_point``, ``reason``, ``purchase_id``, ``order_id``, ``order_number``,
``customer_email``, ``decided_by``, ``decided_at``, ``rejection_reason``, ``decision_comment``,
``product_name``, ``customer_name``, the list's ``amount_min``/``amount_max`` filters and
``total_amount``, and every path except the list operation are [ours].
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ._base import Money, Page, PreoModel, Timestamp, Tolerant
from ._resource import Resource, body_of
from .errors import ValidationFailed
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("refunds", "list", "GET", "/v1/refund-requests", "List refund requests"),
    Operation("refunds", "create", "POST", "/v1/refund-requests", "Create refund request"),
    Operation("refunds", "get", "GET", "/v1/refund-requests/{id}", "Retrieve refund request details"),
    Operation("refunds", "approve", "POST", "/v1/refund-requests/{id}/approve",
              "Approve refund request"),
    Operation("refunds", "reject", "POST", "/v1/refund-requests/{id}/reject",
              "Reject refund request"),
)  # fmt: skip


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    READY = "ready"
    PROCESSING = "processing"
    AWAITING_GATEWAY = "awaiting_gateway"
    PROCESSED = "processed"
    FAILED = "failed"
    REJECTED = "rejected"
    INVALID = "invalid"


class RefundReason(StrEnum):
    DEPOSIT_RECLAIM = "deposit_reclaim"
    SOLD_OUT = "sold_out"
    EVENT_CANCELLED = "event_cancelled"
    PRODUCT_DEFECT = "product_defect"
    DUPLICATE_PURCHASE = "duplicate_purchase"
    CUSTOMER_REQUEST = "customer_request"
    COMPENSATION = "compensation"
    OVERCHARGE = "overcharge"
    OTHER = "other"
    RENTAL_RETURN = "rental_return"


class RefundScope(StrEnum):
    PURCHASE_PRICE = "purchase_price"
    PURCHASE_DEPOSIT = "purchase_deposit"
    PURCHASE_FULL = "purchase_full"
    PURCHASE_CUSTOM = "purchase_custom"
    TRANSACTION_FULL = "transaction_full"
    TRANSACTION_CUSTOM = "transaction_custom"


class Person(PreoModel):
    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class PickupPoint(PreoModel):
    id: str | None = None
    name: str | None = None


class RefundRequest(PreoModel):
    id: str
    edition_id: str | None = None
    amount: Money | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None
    can_approve: bool | None = None
    can_reject: bool | None = None
    #: The reference shows ``organization`` without its shape: an id or a nested object.
    organization: str | dict[str, Any] | None = None
    scope: Tolerant[RefundScope] | None = None
    status: Tolerant[RefundStatus] | None = None
    comment: str | None = None
    service_response: Any = None
    refund_date: Timestamp | None = None
    requested_by: Person | None = None
    pickup_point: PickupPoint | None = None
    reason: Tolerant[RefundReason] | None = None
    purchase_id: str | None = None
    order_id: str | None = None
    order_number: str | None = None
    customer_email: str | None = None
    #: The operator who approved/rejected (a nested person; a bare id on servers that don't
    #: expand it).
    decided_by: Person | str | None = None
    decided_at: Timestamp | None = None
    rejection_reason: str | None = None
    #: The approve body's comment [ours].
    decision_comment: str | None = None
    #: The purchase's product name (null for transaction scopes) [ours].
    product_name: str | None = None
    #: "First Last" of the order's customer [ours].
    customer_name: str | None = None


class RefundPage(Page[RefundRequest]):
    """The refund list adds ``total_amount``: the sum over *all* matching rows [ours]."""

    total_amount: Money | None = None


class Refunds(Resource):
    name = "refunds"
    operations = OPERATIONS

    async def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        status: RefundStatus | str | Sequence[RefundStatus | str] | None = None,
        reason: RefundReason | str | Sequence[RefundReason | str] | None = None,
        search: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        amount_min: Decimal | float | int | None = None,
        amount_max: Decimal | float | int | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> RefundPage:
        """``status`` may be a list (sent comma-separated); ``amount_min``/``amount_max``
        (inclusive) are [ours]."""
        params = dict(
            edition_id=edition_id,
            organization_id=organization_id,
            status=status,
            reason=reason,
            search=search,
            created_after=created_after,
            created_before=created_before,
            amount_min=amount_min,
            amount_max=amount_max,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._list_page("list", RefundPage, params)

    def iterate(self, **filters: Any) -> AsyncIterator[RefundRequest]:
        return self._pages("list", RefundRequest, filters)

    async def get(self, id: str) -> RefundRequest:
        result: RefundRequest = await self._call("get", RefundRequest, ids={"id": id})
        return result

    async def create(
        self,
        *,
        reason: RefundReason | str,
        purchase_id: str | None = None,
        transaction_id: str | None = None,
        scope: RefundScope | str | None = None,
        amount: Decimal | float | int | None = None,
        comment: str | None = None,
        pickup_point_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> RefundRequest:
        """Create a refund request for a purchase or a whole transaction (one of the two)."""
        if (purchase_id is None) == (transaction_id is None):
            raise ValidationFailed(
                "Give exactly one of purchase_id and transaction_id",
                fields={
                    "non_field_errors": ["Give exactly one of purchase_id and transaction_id."]
                },
                method="POST",
                path=OPERATIONS["create"].path,
            )
        body = body_of(
            {
                "purchase_id": purchase_id,
                "transaction_id": transaction_id,
                "reason": reason,
                "scope": scope,
                "amount": amount,
                "comment": comment,
                "pickup_point_id": pickup_point_id,
            }
        )
        result: RefundRequest = await self._call(
            "create", RefundRequest, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def approve(
        self, id: str, *, comment: str | None = None, idempotency_key: str | None = None
    ) -> RefundRequest:
        """``requested`` -> ``ready``; 409 (:class:`Conflict`) in any other state."""
        result: RefundRequest = await self._call(
            "approve",
            RefundRequest,
            ids={"id": id},
            json_body=body_of({"comment": comment}),
            idempotency_key=idempotency_key,
        )
        return result

    async def reject(
        self, id: str, *, reason: str, idempotency_key: str | None = None
    ) -> RefundRequest:
        """``requested`` -> ``rejected``; ``reason`` (free text) is required."""
        result: RefundRequest = await self._call(
            "reject",
            RefundRequest,
            ids={"id": id},
            json_body={"reason": reason},
            idempotency_key=idempotency_key,
        )
        return result
