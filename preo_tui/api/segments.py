"""Segments and CEL (contract §8): CRUD, CSV export, recalculate, reset to draft, CEL context,
CEL validation.

Object fields, statuses, types and channels are [doc]; ``error_message``, the life cycle and
every path are [ours].
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, overload

from pydantic import Field

from ._base import Count, Page, PreoModel, Timestamp, Tolerant
from ._resource import UNSET, Resource, body_of, body_with_unset
from .errors import NetworkError
from .registry import Operation, operations

OPERATIONS = operations(
    Operation("segments", "list", "GET", "/v1/segments", "List segments"),
    Operation("segments", "create", "POST", "/v1/segments", "Create segment"),
    Operation("segments", "get", "GET", "/v1/segments/{id}", "Retrieve segment"),
    Operation("segments", "update", "PATCH", "/v1/segments/{id}", "Update segment"),
    Operation("segments", "delete", "DELETE", "/v1/segments/{id}", "Delete segment"),
    Operation("segments", "export_csv", "GET", "/v1/segments/{id}/export-csv",
              "Export segment users as CSV"),
    Operation("segments", "recalculate", "POST", "/v1/segments/{id}/recalculate",
              "Recalculate segment"),
    Operation("segments", "reset_to_draft", "POST", "/v1/segments/{id}/reset-to-draft",
              "Reset stuck segment to draft"),
    Operation("segments", "cel_context", "GET", "/v1/segments/cel-context",
              "Get CEL context schema and dynamic values"),
    # Checking an expression changes nothing on the server: allowed in read-only mode.
    Operation("segments", "validate_cel", "POST", "/v1/segments/validate-cel",
              "Validate CEL expression", writes=False),
)  # fmt: skip


class SegmentStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class CommunicationType(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


class CommunicationChannel(StrEnum):
    ANY = "any"
    EMAIL = "email"
    SMS = "sms"
    PASS_PUSH = "pass_push"


class Segment(PreoModel):
    id: str
    organization_id: str | None = None
    edition_id: str | None = None
    consent_id: str | None = None
    name: str | None = None
    description: str | None = None
    communication_type: Tolerant[CommunicationType] | None = None
    communication_channel: Tolerant[CommunicationChannel] | None = None
    condition: str | None = None
    status: Tolerant[SegmentStatus] | None = None
    user_count: Count | None = None
    last_calculated: Timestamp | None = None
    error_message: str | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None


class NamedRef(PreoModel):
    id: str | None = None
    name: str | None = None


class DynamicValues(PreoModel):
    products: list[NamedRef] = Field(default_factory=list)
    order_statuses: list[str] = Field(default_factory=list)
    order_types: list[str] = Field(default_factory=list)
    purchase_statuses: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    consents: list[NamedRef] = Field(default_factory=list)


class CelContext(PreoModel):
    """The variables a condition sees (name -> type description), the function names, and
    the values worth completing (products, statuses, languages, consents)."""

    variables: dict[str, Any] = Field(default_factory=dict)
    functions: list[str] = Field(default_factory=list)
    dynamic_values: DynamicValues = Field(default_factory=DynamicValues)


class CelError(PreoModel):
    message: str = ""
    line: Count | None = None
    column: Count | None = None
    #: Exclusive end column of the offending span [ours].
    end_column: Count | None = None


class CelValidation(PreoModel):
    valid: bool
    estimated_user_count: Count | None = None
    errors: list[CelError] = Field(default_factory=list)
    #: Users of the edition (the estimate's denominator) [ours].
    total_user_count: Count | None = None
    #: The estimate counted every user (else: a sample, scaled) [ours].
    estimate_exact: bool | None = None
    #: Errors met while evaluating the sample (e.g. a missing key) [ours].
    runtime_errors: Any = None


class Segments(Resource):
    name = "segments"
    operations = OPERATIONS

    async def list(
        self,
        *,
        communication_channel: CommunicationChannel | str | None = None,
        communication_type: CommunicationType | str | None = None,
        edition_id: str | None = None,
        organization_id: str | None = None,
        search: str | None = None,
        status: SegmentStatus | str | Sequence[SegmentStatus | str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[Segment]:
        params = dict(
            communication_channel=communication_channel,
            communication_type=communication_type,
            edition_id=edition_id,
            organization_id=organization_id,
            search=search,
            status=status,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", Segment, params)

    def iterate(self, **filters: Any) -> AsyncIterator[Segment]:
        return self._pages("list", Segment, filters)

    async def get(self, id: str) -> Segment:
        result: Segment = await self._call("get", Segment, ids={"id": id})
        return result

    async def create(
        self,
        *,
        organization_id: str,
        name: str,
        edition_id: str,
        condition: str,
        communication_type: CommunicationType | str = CommunicationType.TRANSACTIONAL,
        communication_channel: CommunicationChannel | str = CommunicationChannel.ANY,
        consent_id: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Segment:
        """An invalid condition is a 400 on ``condition``; marketing needs ``consent_id``."""
        body = body_of(
            dict(
                organization_id=organization_id,
                name=name,
                edition_id=edition_id,
                condition=condition,
                communication_type=communication_type,
                communication_channel=communication_channel,
                consent_id=consent_id,
                description=description,
                **fields,
            )
        )
        result: Segment = await self._call(
            "create", Segment, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        name: str | None = UNSET,
        description: str | None = UNSET,
        condition: str | None = UNSET,
        communication_type: CommunicationType | str | None = UNSET,
        communication_channel: CommunicationChannel | str | None = UNSET,
        consent_id: str | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Segment:
        """A new ``condition`` puts a completed segment back to ``draft``."""
        body = body_with_unset(
            dict(
                name=name,
                description=description,
                condition=condition,
                communication_type=communication_type,
                communication_channel=communication_channel,
                consent_id=consent_id,
                **fields,
            )
        )
        result: Segment = await self._call(
            "update", Segment, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def delete(self, id: str, *, idempotency_key: str | None = None) -> None:
        """409 while a campaign that has not finished uses the segment."""
        await self._call("delete", None, ids={"id": id}, idempotency_key=idempotency_key)

    async def recalculate(self, id: str, *, idempotency_key: str | None = None) -> Segment:
        result: Segment = await self._call(
            "recalculate", Segment, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def reset_to_draft(self, id: str, *, idempotency_key: str | None = None) -> Segment:
        result: Segment = await self._call(
            "reset_to_draft", Segment, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def cel_context(self, edition_id: str) -> CelContext:
        result: CelContext = await self._call(
            "cel_context", CelContext, params={"edition_id": edition_id}
        )
        return result

    async def validate_cel(
        self,
        condition: str,
        edition_id: str,
        *,
        communication_channel: CommunicationChannel | str | None = None,
        communication_type: CommunicationType | str | None = None,
        consent_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> CelValidation:
        """``valid`` with ``estimated_user_count``, or ``errors`` with 1-based positions.

        The audience rules (``communication_channel``, ``communication_type``,
        ``consent_id``) are optional [ours]: when given, the estimate applies them as a
        recalculation would; a server that ignores them estimates the condition alone.
        """
        body: dict[str, Any] = {"condition": condition, "edition_id": edition_id}
        extras = {
            "communication_channel": communication_channel,
            "communication_type": communication_type,
            "consent_id": consent_id,
        }
        for key, value in extras.items():
            if value is not None:
                body[key] = value.value if isinstance(value, Enum) else value
        result: CelValidation = await self._call(
            "validate_cel",
            CelValidation,
            json_body=body,
            idempotency_key=idempotency_key,
        )
        return result

    async def iter_export_csv(self, id: str, *, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """The segment's users as CSV bytes, streamed (409 unless ``completed``)."""
        op = self._op("export_csv")
        path = op.url_path({"id": id})
        async with self._core.stream(op, path) as response:
            try:
                async for chunk in response.aiter_bytes(chunk_size):
                    yield chunk
            except Exception as exc:
                if isinstance(exc, NetworkError):
                    raise
                raise NetworkError(
                    f"The export was interrupted ({type(exc).__name__})",
                    method=op.method,
                    path=path,
                    status=response.status_code,
                    request_id=response.headers.get("x-request-id"),
                ) from None

    @overload
    async def export_csv(self, id: str) -> bytes: ...

    @overload
    async def export_csv(self, id: str, dest: str | os.PathLike[str]) -> Path: ...

    async def export_csv(self, id: str, dest: str | os.PathLike[str] | None = None) -> bytes | Path:
        """Download the CSV. With ``dest``, stream it into that file (written to a temporary
        file beside it and renamed at the end, so a broken download leaves no partial file)
        and return the path; without, return the bytes."""
        if dest is None:
            return b"".join([chunk async for chunk in self.iter_export_csv(id)])
        target = Path(dest)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in self.iter_export_csv(id):
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return target
