"""Data imports (contract §10): list, create (base64 CSV/Excel), get, update, cancel, the
column-mapping and product-mapping steps, preview, start, and external orders.

``id``, ``stage``, the list filters and the create body are [doc]; every other field and path
is [ours].
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import Field, TypeAdapter, ValidationError

from ._base import Count, Money, Page, PreoModel, Timestamp, Tolerant
from ._resource import (
    UNSET,
    Resource,
    answer_error,
    body_of,
    body_with_unset,
    decode_raw,
    json_value,
)
from .errors import ValidationFailed
from .orders import Customer
from .registry import Operation, operations

_BASE = "/v1/data-imports"
OPERATIONS = operations(
    Operation("data_imports", "list", "GET", _BASE, "List data imports"),
    Operation("data_imports", "create", "POST", _BASE, "Create data import"),
    Operation("data_imports", "get", "GET", _BASE + "/{id}", "Get data import details"),
    Operation("data_imports", "update", "PATCH", _BASE + "/{id}", "Update data import"),
    Operation("data_imports", "cancel", "POST", _BASE + "/{id}/cancel", "Cancel data import"),
    Operation("data_imports", "column_mappings", "GET", _BASE + "/{id}/column-mappings",
              "List column mappings"),
    Operation("data_imports", "update_column_mappings", "PATCH", _BASE + "/{id}/column-mappings",
              "Update column mappings"),
    Operation("data_imports", "validate_column_mappings", "POST",
              _BASE + "/{id}/validate-column-mappings", "Validate column mappings"),
    Operation("data_imports", "process_column_mappings", "POST",
              _BASE + "/{id}/process-column-mappings", "Process column mappings"),
    Operation("data_imports", "product_mappings", "GET", _BASE + "/{id}/product-mappings",
              "List product mappings"),
    Operation("data_imports", "update_product_mappings", "PATCH",
              _BASE + "/{id}/product-mappings", "Update product mappings"),
    Operation("data_imports", "preview_orders", "GET", _BASE + "/{id}/preview-orders",
              "Preview import orders"),
    Operation("data_imports", "start", "POST", _BASE + "/{id}/start", "Start import process"),
    Operation("data_imports", "external_orders", "POST", _BASE + "/external-orders",
              "Import external orders"),
)  # fmt: skip


class Stage(StrEnum):
    UPLOADED = "uploaded"
    NEEDS_COLUMN_MAPPING = "needs_column_mapping"
    NEEDS_PRODUCT_MAPPING = "needs_product_mapping"
    IMPORTING = "importing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ColumnTarget(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    ORDER_NUMBER = "order_number"
    PRODUCT = "product"
    QUANTITY = "quantity"
    PRICE = "price"
    CREATED = "created"


class DataImport(PreoModel):
    id: str
    stage: Tolerant[Stage] | None = None
    name: str | None = None
    edition_id: str | None = None
    service: str | None = None
    data_file_name: str | None = None
    default_country_code: str | None = None
    total_rows: Count | None = None
    imported_orders: Count | None = None
    failed_rows: Count | None = None
    error_message: str | None = None
    created: Timestamp | None = None
    modified: Timestamp | None = None
    #: [ours, optional] who created the import, when the server says (the sandbox does not).
    created_by: str | None = None
    NOT_PROMISED: ClassVar[frozenset[str]] = frozenset({"created_by"})


class ColumnMapping(PreoModel):
    column: str
    sample_values: list[Any] = Field(default_factory=list)
    #: ``None`` skips the column.
    target: Tolerant[ColumnTarget] | None = None


class ProductMapping(PreoModel):
    source_name: str
    row_count: Count | None = None
    product_id: str | None = None


class MappingValidation(PreoModel):
    valid: bool
    #: Messages, or per-column objects, as the server sends them.
    errors: Any = None


class PreviewPurchase(PreoModel):
    product_id: str | None = None
    product_name: str | None = None
    quantity: Count | None = None
    unit_price: Money | None = None
    deposit: Money | None = None
    fees: Money | None = None


class PreviewOrder(PreoModel):
    """An order the import would create (no id yet) [ours]: the source ``rows`` it comes
    from, its ``errors`` and whether it is ``valid``."""

    order_number: str | None = None
    customer: Customer | None = None
    created: Timestamp | None = None
    amount: Money | None = None
    purchases: list[PreviewPurchase] = Field(default_factory=list)
    rows: list[int] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    valid: bool | None = None


ColumnMappings = list[ColumnMapping]
ProductMappings = list[ProductMapping]


def _mapping_body(items: Sequence[PreoModel | dict[str, Any]], keys: tuple[str, str]) -> Any:
    """The PATCH body: a list of ``{<key>, <value>}`` (the writable pair of each mapping; the
    read-only ``sample_values``/``row_count`` are not sent back)."""
    out = []
    for item in items:
        data = item.model_dump(mode="json") if isinstance(item, PreoModel) else dict(item)
        out.append({k: json_value(data.get(k)) for k in keys if k in data})
    return out


def _unwrap(value: Any, key: str) -> Any:
    # Tolerate ``{"<key>": [...]}`` or a DRF page around the list.
    if isinstance(value, dict):
        for name in (key, "results", "mappings"):
            if isinstance(value.get(name), list):
                return value[name]
    return value


class DataImports(Resource):
    name = "data_imports"
    operations = OPERATIONS

    async def list(
        self,
        *,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        edition_id: str | None = None,
        include_cancelled: bool | None = None,
        service: str | None = None,
        stage: Stage | str | Sequence[Stage | str] | None = None,
        ordering: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> Page[DataImport]:
        params = dict(
            created_after=created_after,
            created_before=created_before,
            edition_id=edition_id,
            include_cancelled=include_cancelled,
            service=service,
            stage=stage,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **filters,
        )
        return await self._page("list", DataImport, params)

    def iterate(self, **filters: Any) -> AsyncIterator[DataImport]:
        return self._pages("list", DataImport, filters)

    async def get(self, id: str) -> DataImport:
        result: DataImport = await self._call("get", DataImport, ids={"id": id})
        return result

    async def create(
        self,
        *,
        edition_id: str,
        data_file: str | os.PathLike[str] | bytes,
        data_file_name: str | None = None,
        name: str | None = None,
        default_country_code: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> DataImport:
        """Upload a CSV or Excel file (a path, or bytes with ``data_file_name``); the server
        extracts its columns and moves the import to ``needs_column_mapping``."""
        if isinstance(data_file, bytes):
            content, file_name = data_file, data_file_name
        else:
            path = Path(data_file)
            try:
                content = await asyncio.to_thread(path.read_bytes)
            except OSError as exc:
                raise ValidationFailed(
                    f"Cannot read {path}: {exc.strerror or exc}",
                    fields={"data_file": [f"Cannot read {path}."]},
                ) from None
            file_name = data_file_name or path.name
        if not file_name:
            raise ValidationFailed(
                "data_file_name is required",
                fields={"data_file_name": ["This field is required."]},
            )
        body = body_of(
            dict(
                edition_id=edition_id,
                data_file_base64=base64.b64encode(content).decode("ascii"),
                data_file_name=file_name,
                name=name,
                default_country_code=default_country_code,
                **fields,
            )
        )
        result: DataImport = await self._call(
            "create", DataImport, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def update(
        self,
        id: str,
        *,
        name: str | None = UNSET,
        default_country_code: str | None = UNSET,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> DataImport:
        body = body_with_unset(dict(name=name, default_country_code=default_country_code, **fields))
        result: DataImport = await self._call(
            "update", DataImport, ids={"id": id}, json_body=body, idempotency_key=idempotency_key
        )
        return result

    async def cancel(self, id: str, *, idempotency_key: str | None = None) -> DataImport:
        result: DataImport = await self._call(
            "cancel", DataImport, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def column_mappings(self, id: str) -> ColumnMappings:
        response, op, path = await self._send("column_mappings", ids={"id": id})
        result: ColumnMappings = self._decode_list(
            response, op, path, ColumnMappings, "column_mappings"
        )
        return result

    async def update_column_mappings(
        self,
        id: str,
        mappings: Sequence[ColumnMapping | dict[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> ColumnMappings:
        """Set each column's ``target`` (``None`` skips the column)."""
        response, op, path = await self._send(
            "update_column_mappings",
            ids={"id": id},
            json_body=_mapping_body(mappings, ("column", "target")),
            idempotency_key=idempotency_key,
        )
        result: ColumnMappings = self._decode_list(
            response, op, path, ColumnMappings, "column_mappings"
        )
        return result

    async def validate_column_mappings(
        self, id: str, *, idempotency_key: str | None = None
    ) -> MappingValidation:
        result: MappingValidation = await self._call(
            "validate_column_mappings",
            MappingValidation,
            ids={"id": id},
            idempotency_key=idempotency_key,
        )
        return result

    async def process_column_mappings(
        self, id: str, *, idempotency_key: str | None = None
    ) -> DataImport:
        """Moves the import to ``needs_product_mapping``."""
        result: DataImport = await self._call(
            "process_column_mappings", DataImport, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def product_mappings(self, id: str) -> ProductMappings:
        response, op, path = await self._send("product_mappings", ids={"id": id})
        result: ProductMappings = self._decode_list(
            response, op, path, ProductMappings, "product_mappings"
        )
        return result

    async def update_product_mappings(
        self,
        id: str,
        mappings: Sequence[ProductMapping | dict[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> ProductMappings:
        """Map each source product name to a ``product_id``."""
        response, op, path = await self._send(
            "update_product_mappings",
            ids={"id": id},
            json_body=_mapping_body(mappings, ("source_name", "product_id")),
            idempotency_key=idempotency_key,
        )
        result: ProductMappings = self._decode_list(
            response, op, path, ProductMappings, "product_mappings"
        )
        return result

    async def preview_orders(
        self, id: str, *, page: int | None = None, page_size: int | None = None
    ) -> Page[PreviewOrder]:
        """The orders the import would create (paginated)."""
        return await self._page(
            "preview_orders", PreviewOrder, {"page": page, "page_size": page_size}, ids={"id": id}
        )

    def iterate_preview_orders(self, id: str, **params: Any) -> AsyncIterator[PreviewOrder]:
        return self._pages("preview_orders", PreviewOrder, params, ids={"id": id})

    async def start(self, id: str, *, idempotency_key: str | None = None) -> DataImport:
        """``importing`` -> ``completed``/``failed``; created orders have ``type: imported``."""
        result: DataImport = await self._call(
            "start", DataImport, ids={"id": id}, idempotency_key=idempotency_key
        )
        return result

    async def external_orders(
        self,
        *,
        edition_id: str,
        service: str,
        orders: Sequence[dict[str, Any]],
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> DataImport:
        """Import orders from an external service; the import goes straight to
        ``importing``."""
        body = body_of(dict(edition_id=edition_id, service=service, orders=list(orders), **fields))
        result: DataImport = await self._call(
            "external_orders", DataImport, json_body=body, idempotency_key=idempotency_key
        )
        return result

    def _decode_list(
        self, response: httpx.Response | None, op: Operation, path: str, tp: Any, key: str
    ) -> Any:
        if response is None:
            return []
        raw = _unwrap(decode_raw(response, op, path), key)
        try:
            return TypeAdapter(tp).validate_python(raw)
        except ValidationError as exc:
            raise answer_error(
                f"Unexpected answer shape: {exc.error_count()} problem(s) in {key}",
                response,
                op,
                path,
            ) from None
