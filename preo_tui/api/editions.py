"""Editions (contract §3): list, create, get, update, duplicate, field choices, healthcheck.

Fields are [doc] except ``is_draft``, ``is_archived``, ``currency``; paths are [ours] except
the list/create operations themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("editions", "list", "GET", "/v1/editions", "List editions"),
    Operation("editions", "create", "POST", "/v1/editions", "Create edition"),
    Operation("editions", "get", "GET", "/v1/editions/{id}", "Get edition details"),
    Operation("editions", "update", "PATCH", "/v1/editions/{id}", "Update edition"),
    Operation("editions", "duplicate", "POST", "/v1/editions/{id}/duplicate", "Duplicate edition"),
    Operation("editions", "field_choices", "GET", "/v1/editions/{id}/field-choices",
              "Get edition field choices"),
    Operation("editions", "healthcheck", "GET", "/v1/editions/{id}/healthcheck",
              "Run edition healthcheck"),
)  # fmt: skip


class EditionStatus(StrEnum):
    UPCOMING = "upcoming"
    CURRENT = "current"
    PAST = "past"
    NO_DATES = "no_dates"


class TaxType(StrEnum):
    NONE = "none"
    VAT = "vat"
    SALES = "sales"


class Language(StrEnum):
    EN = "en"
    DA = "da"
    SE = "se"  # Swedish is "se" in Preo, not "sv"
    NL = "nl"
    PL = "pl"


class Edition(PreoModel):
    id: str
    organization_id: str | None = None
    event_id: str | None = None
    name: str | None = None
    full_name: str | None = None
    slug: str | None = None
    timezone: str | None = None
    status: Tolerant[EditionStatus] | None = None
    start_date: Timestamp | None = None
    end_date: Timestamp | None = None
    default_country_code: str | None = None
    default_language: Tolerant[Language] | None = None
    enabled_languages: list[Tolerant[Language]] | None = None
    tax_type: Tolerant[TaxType] | None = None
    fee_rule_id: str | None = None
    merchant_account_id: str | None = None
    meta_image_id: str | None = None
    transaction_receipt_email_id: str | None = None
    refund_confirmation_email_id: str | None = None
    is_draft: bool | None = None
    is_archived: bool | None = None
    currency: str | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None


class Choice(PreoModel):
    value: Any = None
    label: str | None = None


class CheckLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class HealthCheckItem(PreoModel):
    code: str | None = None
    level: Tolerant[CheckLevel] | None = None
    message: str | None = None


class HealthCheck(PreoModel):
    ok: bool
    checks: list[HealthCheckItem] = Field(default_factory=list)


Dateish = date | datetime | str
FieldChoices = dict[str, list[Choice]]


class Editions(Resource):
    name = "editions"
    operations = OPERATIONS

    async def list(
        self,
        *,
        is_archived: bool | None = None,
        is_draft: bool | None = None,
        organization_id: str | None = None,
        status: EditionStatus | str | Sequence[EditionStatus | str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[Edition]:
        params = dict(
            is_archived=is_archived,
            is_draft=is_draft,
            organization_id=organization_id,
            status=status,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", Edition, params)

    def iterate(self, **filters: Any) -> AsyncIterator[Edition]:
        """Every edition matching ``filters`` (the names of :meth:`list`), page after page."""
        return self._pages("list", Edition, filters)

    async def get(self, id: str) -> Edition:
        result: Edition = await self._call("get", Edition, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        event_id: str,
        name: str,
        start_date: Dateish | None = None,
        end_date: Dateish | None = None,
        timezone: str | None = None,
        default_country_code: str | None = None,
        default_language: Language | str | None = None,
        enabled_languages: Sequence[Language | str] | None = None,
        tax_type: TaxType | str | None = None,
        slug: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Edition:
        """Needs admin or manager. ``slug`` is generated from ``name`` when absent."""
        body = body_of(
            dict(
                organization_id=organization_id,
                event_id=event_id,
                name=name,
                start_date=start_date,
                end_date=end_date,
                timezone=timezone,
                default_country_code=default_country_code,
                default_language=default_language,
                enabled_languages=enabled_languages,
                tax_type=tax_type,
                slug=slug,
                **fields,
            )
        )
        result: Edition = await self._call(
            "create", Edition, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self, id: str, *, idempotency_key: str | None = None, **fields: Any
    ) -> Edition:
        """PATCH any writable field (those of create, plus ``slug``, ``is_draft``,
        ``is_archived``). ``None`` is sent as JSON null (to clear a link)."""
        body = body_with_unset(fields)
        result: Edition = await self._call(
            "update", Edition, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def duplicate(
        self,
        id: str,
        *,
        name: str | None = None,
        slug: str | None = None,
        start_date: Dateish | None = None,
        end_date: Dateish | None = None,
        idempotency_key: str | None = None,
    ) -> Edition:
        """A copy of the edition as a draft (``is_draft`` true)."""
        body = body_of({"name": name, "slug": slug, "start_date": start_date, "end_date": end_date})
        result: Edition = await self._call(
            "duplicate", Edition, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def field_choices(self, id: str) -> FieldChoices:
        """``{field: [{value, label}]}`` for the edition's choice fields."""
        result: FieldChoices = await self._call("field_choices", FieldChoices, ids={"id": id})
        return result

    async def healthcheck(self, id: str) -> HealthCheck:
        result: HealthCheck = await self._call("healthcheck", HealthCheck, ids={"id": id})
        return result


__all__ = [
    "UNSET",
    "CheckLevel",
    "Choice",
    "Edition",
    "EditionStatus",
    "Editions",
    "HealthCheck",
    "HealthCheckItem",
    "Language",
    "TaxType",
]
