"""Email messages (contract §9): CRUD, adopt a template into an edition, duplicate, preview,
template variables.

Object fields, types, scopes and the list/create/details operations are [doc];
``organization_id``, ``edition_id``, ``blocks`` and every other path are [ours].
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from ._base import Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .editions import Language
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("email_messages", "list", "GET", "/v1/email-messages", "List email messages",
              ),
    Operation("email_messages", "create", "POST", "/v1/email-messages", "Create email message",
              ),
    Operation("email_messages", "get", "GET", "/v1/email-messages/{id}",
              "Get email message details"),
    Operation("email_messages", "update", "PATCH", "/v1/email-messages/{id}",
              "Update email message"),
    Operation("email_messages", "delete", "DELETE", "/v1/email-messages/{id}",
              "Delete email message"),
    Operation("email_messages", "adopt", "POST", "/v1/email-messages/{id}/adopt",
              "Adopt template to edition"),
    Operation("email_messages", "duplicate", "POST", "/v1/email-messages/{id}/duplicate",
              "Duplicate email message"),
    # Rendering a preview changes nothing on the server: allowed in read-only mode.
    Operation("email_messages", "preview", "POST", "/v1/email-messages/{id}/preview",
              "Preview email", writes=False),
    Operation("email_messages", "template_variables", "GET",
              "/v1/email-messages/{id}/template-variables", "Get template variables"),
)  # fmt: skip


class EmailType(StrEnum):
    RECEIPT = "receipt"
    RECEIPT_ONLINE = "receipt_online"
    REMINDER = "reminder"
    REFUND_CONFIRMATION = "refund_confirmation"
    USER_PORTAL_ACCESS = "user_portal_access"
    CAMPAIGN = "campaign"
    OTHER = "other"


class EmailScope(StrEnum):
    PLATFORM = "platform"
    TEMPLATE = "template"
    EDITION = "edition"


class EmailTemplate(StrEnum):
    MODERN = "modern"


class BlockType(StrEnum):
    HEADING = "heading"
    TEXT = "text"
    BUTTON = "button"
    IMAGE = "image"
    DIVIDER = "divider"


class Block(PreoModel):
    id: str | None = None
    type: Tolerant[BlockType] | None = None
    text: str | None = None
    url: str | None = None


class EmailMessage(PreoModel):
    #: Contract §9: the details answer is the one "with ``blocks``".
    ONLY_ON_DETAIL: ClassVar[frozenset[str]] = frozenset({"blocks"})

    id: str
    title: str | None = None
    subject: str | None = None
    type: Tolerant[EmailType] | None = None
    scope: Tolerant[EmailScope] | None = None
    template: Tolerant[EmailTemplate] | None = None
    organization_id: str | None = None
    edition_id: str | None = None
    #: Only on the details answer.
    blocks: list[Block] | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None


class EmailPreview(PreoModel):
    subject: str | None = None
    html: str | None = None
    text: str | None = None


class TemplateVariable(PreoModel):
    name: str
    description: str | None = None
    example: Any = None


TemplateVariables = list[TemplateVariable]


class EmailMessages(Resource):
    name = "email_messages"
    operations = OPERATIONS

    async def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        scope: EmailScope | str | Sequence[EmailScope | str] | None = None,
        type: EmailType | str | Sequence[EmailType | str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[EmailMessage]:
        params = dict(
            edition_id=edition_id,
            organization_id=organization_id,
            scope=scope,
            type=type,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", EmailMessage, params)

    def iterate(self, **filters: Any) -> AsyncIterator[EmailMessage]:
        return self._pages("list", EmailMessage, filters)

    async def get(self, id: str) -> EmailMessage:
        result: EmailMessage = await self._call("get", EmailMessage, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        title: str,
        type: EmailType | str,
        edition_id: str | None = None,
        scope: EmailScope | str | None = None,
        template: EmailTemplate | str | None = None,
        subject: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> EmailMessage:
        """``scope`` is ``template`` or ``edition`` (``platform`` is read-only)."""
        body = body_of(
            dict(
                organization_id=organization_id,
                title=title,
                type=type,
                edition_id=edition_id,
                scope=scope,
                template=template,
                subject=subject,
                **fields,
            )
        )
        result: EmailMessage = await self._call(
            "create", EmailMessage, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        title: str | None = UNSET,
        subject: str | None = UNSET,
        blocks: Sequence[Block | dict[str, Any]] | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> EmailMessage:
        """``platform``-scoped messages answer 403 (:class:`PermissionDenied`)."""
        body = body_with_unset(dict(title=title, subject=subject, blocks=blocks, **fields))
        result: EmailMessage = await self._call(
            "update", EmailMessage, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def delete(self, id: str, *, idempotency_key: str | None = None) -> None:
        """409 while an edition or a campaign refers to the message."""
        await self._call("delete", None, ids={"id": id}, idempotency_key=idempotency_key)

    async def adopt(
        self, id: str, edition_id: str, *, idempotency_key: str | None = None
    ) -> EmailMessage:
        """A new ``edition``-scoped copy of a template, in ``edition_id``."""
        result: EmailMessage = await self._call(
            "adopt",
            EmailMessage,
            ids={"id": id},
            json_body={"edition_id": edition_id},
            idempotency_key=idempotency_key,
        )
        return result

    async def duplicate(
        self, id: str, *, title: str | None = None, idempotency_key: str | None = None
    ) -> EmailMessage:
        result: EmailMessage = await self._call(
            "duplicate",
            EmailMessage,
            ids={"id": id},
            json_body=body_of({"title": title}),
            idempotency_key=idempotency_key,
        )
        return result

    async def preview(
        self,
        id: str,
        *,
        user_id: str | None = None,
        language: Language | str | None = None,
        idempotency_key: str | None = None,
    ) -> EmailPreview:
        """Rendered ``subject``, ``html`` and ``text``, for ``user_id`` or sample data."""
        result: EmailPreview = await self._call(
            "preview",
            EmailPreview,
            ids={"id": id},
            json_body=body_of({"user_id": user_id, "language": language}),
            idempotency_key=idempotency_key,
        )
        return result

    async def template_variables(self, id: str) -> TemplateVariables:
        """Placeholders usable in the message, written ``{{ user.first_name }}``."""
        result: TemplateVariables = await self._call(
            "template_variables", TemplateVariables, ids={"id": id}
        )
        return result


__all__ = [
    "Block",
    "BlockType",
    "EmailMessage",
    "EmailMessages",
    "EmailPreview",
    "EmailScope",
    "EmailTemplate",
    "EmailType",
    "TemplateVariable",
]
