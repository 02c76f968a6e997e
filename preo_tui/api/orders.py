"""Orders (contract §4): list (one of edition_id / organization_id / customer_id required)
and details with purchases. Statuses and types [doc]; the rest [ours]."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from ._base import Count, Money, Page, PreoModel, Timestamp, Tolerant
from ._resource import Resource
from .orders_export import OrderExportPage, export_page
from .purchases import Purchase
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("orders", "list", "GET", "/v1/orders", "List orders"),
    Operation("orders", "get", "GET", "/v1/orders/{id}", "Retrieve order details"),
)


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderType(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in-person"
    IMPORTED = "imported"


class Customer(PreoModel):
    id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Order(PreoModel):
    #: Contract §4: ``purchases`` only on the detail answer; the list carries the count.
    ONLY_ON_DETAIL: ClassVar[frozenset[str]] = frozenset({"purchases"})
    ONLY_ON_LIST: ClassVar[frozenset[str]] = frozenset({"purchase_count"})

    id: str
    order_number: str | None = None
    edition_id: str | None = None
    organization_id: str | None = None
    customer: Customer | None = None
    status: Tolerant[OrderStatus] | None = None
    type: Tolerant[OrderType] | None = None
    amount: Money | None = None
    currency: str | None = None
    transaction_id: str | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None
    #: Only on the detail answer; the list carries ``purchase_count``.
    purchases: list[Purchase] | None = None
    purchase_count: Count | None = None


class Orders(Resource):
    name = "orders"
    operations = OPERATIONS

    async def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        customer_id: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        customer_email: str | None = None,
        customer_phone: str | None = None,
        order_number: str | None = None,
        search: str | None = None,
        status: OrderStatus | str | Sequence[OrderStatus | str] | None = None,
        type: OrderType | str | Sequence[OrderType | str] | None = None,
        transaction_id: str | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[Order]:
        """At least one of ``edition_id``, ``organization_id``, ``customer_id`` is required
        (the server answers 400 otherwise)."""
        params = dict(
            edition_id=edition_id,
            organization_id=organization_id,
            customer_id=customer_id,
            created_after=created_after,
            created_before=created_before,
            customer_email=customer_email,
            customer_phone=customer_phone,
            order_number=order_number,
            search=search,
            status=status,
            type=type,
            transaction_id=transaction_id,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", Order, params)

    async def export_page(self, *, page: int, page_size: int, **filters: Any) -> OrderExportPage:
        """One page of :meth:`list` (same filters) read straight into CSV rows, for exporting
        a whole list (see :mod:`preo_tui.api.orders_export`)."""
        return await export_page(self, {**filters, "page": page, "page_size": page_size})

    def iterate(self, **filters: Any) -> AsyncIterator[Order]:
        return self._pages("list", Order, filters)

    async def get(self, id: str) -> Order:
        result: Order = await self._call("get", Order, ids={"id": id})
        return result
