"""Consents (contract §10): list, create, get, update, delete. Everything [ours]."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

from ._base import Count, Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("consents", "list", "GET", "/v1/consents", "List consents"),
    Operation("consents", "create", "POST", "/v1/consents", "Create consent"),
    Operation("consents", "get", "GET", "/v1/consents/{id}", "Retrieve consent"),
    Operation("consents", "update", "PATCH", "/v1/consents/{id}", "Update consent"),
    Operation("consents", "delete", "DELETE", "/v1/consents/{id}", "Delete consent"),
)


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    ANY = "any"


class Consent(PreoModel):
    id: str
    organization_id: str | None = None
    edition_id: str | None = None
    name: str | None = None
    description: str | None = None
    channel: Tolerant[ConsentChannel] | None = None
    is_active: bool | None = None
    user_count: Count | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None


class Consents(Resource):
    name = "consents"
    operations = OPERATIONS

    async def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        channel: ConsentChannel | str | None = None,
        is_active: bool | None = None,
        search: str | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[Consent]:
        params = dict(
            organization_id=organization_id,
            edition_id=edition_id,
            channel=channel,
            is_active=is_active,
            search=search,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", Consent, params)

    def iterate(self, **filters: Any) -> AsyncIterator[Consent]:
        return self._pages("list", Consent, filters)

    async def get(self, id: str) -> Consent:
        result: Consent = await self._call("get", Consent, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        name: str,
        channel: ConsentChannel | str,
        edition_id: str | None = None,
        description: str | None = None,
        is_active: bool | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Consent:
        body = body_of(
            dict(
                organization_id=organization_id,
                name=name,
                channel=channel,
                edition_id=edition_id,
                description=description,
                is_active=is_active,
                **fields,
            )
        )
        result: Consent = await self._call(
            "create", Consent, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        name: str | None = UNSET,
        description: str | None = UNSET,
        channel: ConsentChannel | str | None = UNSET,
        is_active: bool | None = UNSET,
        edition_id: str | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Consent:
        body = body_with_unset(
            dict(
                name=name,
                description=description,
                channel=channel,
                is_active=is_active,
                edition_id=edition_id,
                **fields,
            )
        )
        result: Consent = await self._call(
            "update", Consent, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def delete(self, id: str, *, idempotency_key: str | None = None) -> None:
        """409 (:class:`Conflict`) while a segment uses the consent."""
        await self._call("delete", None, ids={"id": id}, idempotency_key=idempotency_key)
