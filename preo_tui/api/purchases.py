"""Purchases (contract §4, §5): details with their refund requests, and "Create refund
request for purchase". All fields [ours]; the refund path is [doc]."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from ._base import Count, Money, PreoModel, Timestamp, Tolerant
from ._resource import Resource, body_of
from .refunds import RefundReason, RefundRequest, RefundScope
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("purchases", "get", "GET", "/v1/purchases/{id}", "Retrieve purchase details"),
    Operation("purchases", "refund", "POST", "/v1/purchases/{id}/refund",
              "Create refund request for purchase", mark="doc"),
)  # fmt: skip


class PurchaseStatus(StrEnum):
    ACTIVE = "active"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class Purchase(PreoModel):
    id: str
    order_id: str | None = None
    edition_id: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    quantity: Count | None = None
    unit_price: Money | None = None
    deposit: Money | None = None
    fees: Money | None = None
    amount: Money | None = None
    refunded_amount: Money | None = None
    status: Tolerant[PurchaseStatus] | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None
    #: Only on the detail answer.
    refund_requests: list[RefundRequest] | None = None

    @property
    def refundable_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return self.amount - (self.refunded_amount or Decimal(0))


class Purchases(Resource):
    """The contract has no purchase list: purchases come inside their order (``orders.get``)."""

    name = "purchases"
    operations = OPERATIONS

    async def get(self, id: str) -> Purchase:
        result: Purchase = await self._call("get", Purchase, ids={"id": id})
        return result

    async def refund(
        self,
        id: str,
        *,
        reason: RefundReason | str,
        scope: RefundScope | str | None = None,
        amount: Decimal | float | int | None = None,
        comment: str | None = None,
        pickup_point_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> RefundRequest:
        """Create a refund request for this purchase. ``scope`` defaults from ``reason`` on the
        server; ``amount`` is required for the custom scopes."""
        body = body_of(
            {
                "reason": reason,
                "scope": scope,
                "amount": amount,
                "comment": comment,
                "pickup_point_id": pickup_point_id,
            }
        )
        result: RefundRequest = await self._call(
            "refund", RefundRequest, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result


__all__ = ["Purchase", "PurchaseStatus", "Purchases"]
