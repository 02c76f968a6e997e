"""Webhooks (contract §10): endpoints CRUD, deliveries, retry a delivery, rotate the secret.

Endpoint fields and list/create/update bodies are [doc]; paths, events and the delivery object
are [ours]. ``secret`` is an HMAC key: it is never logged (see ``_redact``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import Count, Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .registry import Operation, operations

_BASE = "/v1/webhooks"
OPERATIONS = operations(
    Operation("webhooks", "list", "GET", _BASE, "List webhook endpoints"),
    Operation("webhooks", "create", "POST", _BASE, "Create webhook endpoint"),
    Operation("webhooks", "get", "GET", _BASE + "/{id}", "Retrieve webhook endpoint"),
    Operation("webhooks", "update", "PATCH", _BASE + "/{id}", "Update webhook endpoint"),
    Operation("webhooks", "delete", "DELETE", _BASE + "/{id}", "Delete webhook endpoint"),
    Operation("webhooks", "deliveries", "GET", _BASE + "/{id}/deliveries", "List deliveries for webhook endpoint"),
    Operation("webhooks", "delivery", "GET", _BASE + "/{id}/deliveries/{delivery_id}",
              "Get delivery detail"),
    Operation("webhooks", "retry_delivery", "POST",
              _BASE + "/{id}/deliveries/{delivery_id}/retry", "Retry a failed delivery"),
    Operation("webhooks", "rotate_secret", "POST", _BASE + "/{id}/rotate-secret",
              "Rotate webhook secret"),
)  # fmt: skip


class WebhookEvent(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_CANCELLED = "order.cancelled"
    REFUND_REQUEST_CREATED = "refund_request.created"
    REFUND_REQUEST_APPROVED = "refund_request.approved"
    REFUND_REQUEST_REJECTED = "refund_request.rejected"
    REFUND_REQUEST_PROCESSED = "refund_request.processed"
    REFUND_REQUEST_FAILED = "refund_request.failed"
    CAMPAIGN_SENT = "campaign.sent"
    CAMPAIGN_FAILED = "campaign.failed"
    SEGMENT_CALCULATED = "segment.calculated"
    DATA_IMPORT_COMPLETED = "data_import.completed"
    DATA_IMPORT_FAILED = "data_import.failed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(PreoModel):
    id: str
    organization_id: str | None = None
    name: str | None = None
    url: str | None = None
    edition_id: str | None = None
    events: list[Tolerant[WebhookEvent]] | None = None
    is_active: bool | None = None
    timeout_seconds: Count | float | None = None
    #: The HMAC key; kept out of repr.
    secret: str | None = Field(default=None, repr=False)
    created: Timestamp | None = None
    modified: Timestamp | None = None


class WebhookDelivery(PreoModel):
    id: str
    endpoint_id: str | None = None
    event: Tolerant[WebhookEvent] | None = None
    status: Tolerant[DeliveryStatus] | None = None
    attempt_count: Count | None = None
    response_status: Count | None = None
    response_body: str | None = None
    duration_ms: Count | float | None = None
    created: Timestamp | None = None
    next_retry_at: Timestamp | None = None
    #: The request body that was POSTed (the event's JSON) [ours].
    payload: Any = None


class RotatedSecret(PreoModel):
    secret: str = Field(repr=False)


class Webhooks(Resource):
    name = "webhooks"
    operations = OPERATIONS

    async def list(
        self,
        *,
        edition_id: str | None = None,
        is_active: bool | None = None,
        organization_id: str | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[WebhookEndpoint]:
        params = dict(
            edition_id=edition_id,
            is_active=is_active,
            organization_id=organization_id,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", WebhookEndpoint, params)

    def iterate(self, **filters: Any) -> AsyncIterator[WebhookEndpoint]:
        return self._pages("list", WebhookEndpoint, filters)

    async def get(self, id: str) -> WebhookEndpoint:
        result: WebhookEndpoint = await self._call("get", WebhookEndpoint, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        name: str,
        url: str,
        events: Sequence[WebhookEvent | str],
        edition_id: str | None = None,
        is_active: bool | None = None,
        timeout_seconds: float | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WebhookEndpoint:
        body = body_of(
            dict(
                organization_id=organization_id,
                name=name,
                url=url,
                events=list(events),
                edition_id=edition_id,
                is_active=is_active,
                timeout_seconds=timeout_seconds,
                **fields,
            )
        )
        result: WebhookEndpoint = await self._call(
            "create", WebhookEndpoint, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        name: str | None = UNSET,
        url: str | None = UNSET,
        events: Sequence[WebhookEvent | str] | None = UNSET,
        edition_id: str | None = UNSET,
        is_active: bool | None = UNSET,
        timeout_seconds: float | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WebhookEndpoint:
        body = body_with_unset(
            dict(
                name=name,
                url=url,
                events=events,
                edition_id=edition_id,
                is_active=is_active,
                timeout_seconds=timeout_seconds,
                **fields,
            )
        )
        result: WebhookEndpoint = await self._call(
            "update", WebhookEndpoint, ids={"id": id}, json_body=body,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return result

    async def delete(self, id: str, *, idempotency_key: str | None = None) -> None:
        await self._call("delete", None, ids={"id": id}, idempotency_key=idempotency_key)

    async def deliveries(
        self,
        id: str,
        *,
        status: DeliveryStatus | str | Sequence[DeliveryStatus | str] | None = None,
        event: WebhookEvent | str | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[WebhookDelivery]:
        params = dict(
            status=status, event=event, ordering=ordering, page=page, page_size=page_size,
            **filters,
        )  # fmt: skip
        return await self._page("deliveries", WebhookDelivery, params, ids={"id": id})

    def iterate_deliveries(self, id: str, **filters: Any) -> AsyncIterator[WebhookDelivery]:
        return self._pages("deliveries", WebhookDelivery, filters, ids={"id": id})

    async def delivery(self, id: str, delivery_id: str) -> WebhookDelivery:
        result: WebhookDelivery = await self._call(
            "delivery", WebhookDelivery, ids={"id": id, "delivery_id": delivery_id}
        )
        return result

    async def retry_delivery(
        self, id: str, delivery_id: str, *, idempotency_key: str | None = None
    ) -> WebhookDelivery:
        result: WebhookDelivery = await self._call(
            "retry_delivery",
            WebhookDelivery,
            ids={"id": id, "delivery_id": delivery_id},
            idempotency_key=idempotency_key,
        )
        return result

    async def rotate_secret(self, id: str, *, idempotency_key: str | None = None) -> str:
        """A new signing secret; the old one stops working at once."""
        result: RotatedSecret = await self._call(
            "rotate_secret", RotatedSecret, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result.secret
