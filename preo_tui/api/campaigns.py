"""Campaigns (contract §7): CRUD, cancel, schedule, send now, stats.

Fields, statuses and the list/create/retrieve operations are [doc]; ``segment_id`` in answers,
``sms_body``, the life cycle and every other path are [ours].
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import Count, Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("campaigns", "list", "GET", "/v1/campaigns", "List campaigns"),
    Operation("campaigns", "create", "POST", "/v1/campaigns", "Create campaign"),
    Operation("campaigns", "get", "GET", "/v1/campaigns/{id}", "Retrieve campaign"),
    Operation("campaigns", "update", "PATCH", "/v1/campaigns/{id}", "Update campaign"),
    Operation("campaigns", "delete", "DELETE", "/v1/campaigns/{id}", "Delete campaign"),
    Operation("campaigns", "cancel", "POST", "/v1/campaigns/{id}/cancel", "Cancel campaign"),
    Operation("campaigns", "schedule", "POST", "/v1/campaigns/{id}/schedule", "Schedule campaign"),
    Operation("campaigns", "send_now", "POST", "/v1/campaigns/{id}/send-now", "Send campaign now"),
    Operation("campaigns", "stats", "GET", "/v1/campaigns/{id}/stats", "Get campaign stats"),
)  # fmt: skip


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    CALCULATING = "calculating"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Max length of an SMS campaign body [ours].
SMS_MAX_LENGTH = 612


class Campaign(PreoModel):
    id: str
    name: str | None = None
    organization_id: str | None = None
    edition_id: str | None = None
    segment_id: str | None = None
    channel: Tolerant[Channel] | None = None
    email_message_id: str | None = None
    sms_body: str | None = None
    status: Tolerant[CampaignStatus] | None = None
    scheduled_at: Timestamp | None = None
    total_recipients: Count | None = None
    sent_count: Count | None = None
    failed_count: Count | None = None
    user_count: Count | None = None
    error_message: str | None = None
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None


class TimelinePoint(PreoModel):
    at: Timestamp | None = None
    sent: Count | None = None
    opened: Count | None = None
    clicked: Count | None = None


class CampaignStats(PreoModel):
    total_recipients: Count | None = None
    sent_count: Count | None = None
    failed_count: Count | None = None
    delivered_count: Count | None = None
    opened_count: Count | None = None
    clicked_count: Count | None = None
    bounced_count: Count | None = None
    unsubscribed_count: Count | None = None
    open_rate: float | None = None
    click_rate: float | None = None
    timeline: list[TimelinePoint] = Field(default_factory=list)


class Campaigns(Resource):
    name = "campaigns"
    operations = OPERATIONS

    async def list(
        self,
        *,
        channel: Channel | str | None = None,
        edition_id: str | None = None,
        organization_id: str | None = None,
        search: str | None = None,
        status: CampaignStatus | str | Sequence[CampaignStatus | str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[Campaign]:
        params = dict(
            channel=channel,
            edition_id=edition_id,
            organization_id=organization_id,
            search=search,
            status=status,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", Campaign, params)

    def iterate(self, **filters: Any) -> AsyncIterator[Campaign]:
        return self._pages("list", Campaign, filters)

    async def get(self, id: str) -> Campaign:
        result: Campaign = await self._call("get", Campaign, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        edition_id: str,
        segment_id: str,
        name: str,
        channel: Channel | str,
        email_message_id: str | None = None,
        sms_body: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Campaign:
        """Created as ``draft``. Email needs ``email_message_id``; SMS needs ``sms_body``
        (both are checked by the server when sending)."""
        body = body_of(
            dict(
                organization_id=organization_id,
                edition_id=edition_id,
                segment_id=segment_id,
                name=name,
                channel=channel,
                email_message_id=email_message_id,
                sms_body=sms_body,
                **fields,
            )
        )
        result: Campaign = await self._call(
            "create", Campaign, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        name: str | None = UNSET,
        segment_id: str | None = UNSET,
        email_message_id: str | None = UNSET,
        sms_body: str | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Campaign:
        """Only in ``draft`` or ``scheduled`` (409 otherwise)."""
        body = body_with_unset(
            dict(
                name=name,
                segment_id=segment_id,
                email_message_id=email_message_id,
                sms_body=sms_body,
                **fields,
            )
        )
        result: Campaign = await self._call(
            "update", Campaign, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def delete(self, id: str, *, idempotency_key: str | None = None) -> None:
        """Only ``draft``, ``cancelled`` or ``failed`` campaigns (409 otherwise)."""
        await self._call("delete", None, ids={"id": id}, idempotency_key=idempotency_key)

    async def cancel(self, id: str, *, idempotency_key: str | None = None) -> Campaign:
        """``scheduled``/``calculating`` -> ``cancelled``."""
        result: Campaign = await self._call(
            "cancel", Campaign, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def schedule(
        self, id: str, scheduled_at: datetime | str, *, idempotency_key: str | None = None
    ) -> Campaign:
        """``scheduled_at`` must be in the future (400 otherwise); a naive datetime is UTC."""
        if isinstance(scheduled_at, datetime) and scheduled_at.tzinfo is None:
            from datetime import UTC

            scheduled_at = scheduled_at.replace(tzinfo=UTC)
        result: Campaign = await self._call(
            "schedule",
            Campaign,
            ids={"id": id},
            json_body=body_of({"scheduled_at": scheduled_at}),
            idempotency_key=idempotency_key,
        )
        return result

    async def send_now(self, id: str, *, idempotency_key: str | None = None) -> Campaign:
        """``draft``/``scheduled`` -> ``calculating`` -> ``sending`` -> ``sent``/``failed``."""
        result: Campaign = await self._call(
            "send_now", Campaign, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def stats(self, id: str) -> CampaignStats:
        result: CampaignStats = await self._call("stats", CampaignStats, ids={"id": id})
        return result
