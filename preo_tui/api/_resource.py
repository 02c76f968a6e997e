"""The base of every resource object: send an operation, decode its answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from preo_tui.text import safe_data

from ._base import Page
from ._transport import FRAMEWORK_ROUTE_404, Body, HttpCore
from .errors import DecodeError, NotFound, PreoError, Unsupported
from .registry import Operation

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
P = TypeVar("P", bound=Page[Any])

#: Guard against a server whose ``next`` never ends (a bug there must not hang the client).
MAX_PAGES = 100_000


#: DRF's answer for a page number past the last page (status 404).
INVALID_PAGE = "Invalid page."


def page_number(params: Mapping[str, Any], name: str = "page", default: int = 1) -> int:
    try:
        value = params.get(name)
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def is_page_past_end(exc: PreoError, page: int) -> bool:
    """Is this 404 the end of a list rather than a missing endpoint or object?

    Only for a page after the first (page 1 of an empty list is an empty page, never a 404)
    and only when the body is a JSON ``detail`` message that is not the web framework's
    unknown-route answer: on a collection path that is DRF's ``"Invalid page."`` (any wording:
    servers translate it); on a path naming a parent object (``/v1/webhooks/{id}/deliveries``)
    only ``Invalid page`` itself, since ``"Not found."`` there means the parent is gone.
    """
    if page <= 1 or exc.status != 404 or not isinstance(exc.detail, dict):
        return False
    detail = exc.detail.get("detail")
    if not isinstance(detail, str) or not detail.strip():
        return False
    if isinstance(exc, Unsupported):
        return detail.strip() != FRAMEWORK_ROUTE_404
    return detail.strip().lower().startswith("invalid page")


def query_value(value: Any) -> str | None:
    """A filter value as a query string: enums by value, lists comma-separated, booleans
    ``true``/``false``, datetimes ISO 8601, ``None`` dropped."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [query_value(v) for v in value]
        parts = [v for v in items if v is not None]
        if isinstance(value, set | frozenset):
            parts.sort()
        return ",".join(parts)
    return str(value)


def query(params: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in params.items():
        text = query_value(value)
        if text is not None:
            out[name] = text
    return out


def json_value(value: Any) -> Any:
    """A request body value as JSON: enums by value, Decimal as a number, dates ISO 8601."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return value


def body_of(fields: Mapping[str, Any], *, keep_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON body from keyword arguments: ``None`` means "not given" (left out), except for
    the names in ``keep_none`` where ``None`` is a meaningful JSON ``null``."""
    return {k: json_value(v) for k, v in fields.items() if v is not None or k in keep_none}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "Not given" for fields where ``None`` means JSON null (e.g. clearing a link).
UNSET: Any = _Unset()


def body_with_unset(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body where :data:`UNSET` is left out and ``None`` is sent as null."""
    return {k: json_value(v) for k, v in fields.items() if v is not UNSET}


@lru_cache(maxsize=256)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    more = exc.error_count() - 3
    if more > 0:
        parts.append(f"(+{more} more)")
    return "; ".join(parts)


def decode(tp: Any, response: httpx.Response, op: Operation, path: str) -> Any:
    """Parse ``response`` as ``tp`` or raise :class:`DecodeError` (never a raw pydantic or
    JSON error; the message names the fields, never their values)."""
    try:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp.model_validate_json(response.content)
        # Models make their text safe themselves; plain types (``list[str]``) are made safe here.
        return safe_data(_adapter(tp).validate_json(response.content))
    except ValidationError as exc:
        invalid_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        message = (
            "The server's answer is not valid JSON"
            if invalid_json
            else f"Unexpected answer shape: {_describe(exc)}"
        )
        raise answer_error(message, response, op, path) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise answer_error(
            f"The server's answer could not be decoded ({type(exc).__name__})", response, op, path
        ) from None


def answer_error(message: str, response: httpx.Response, op: Operation, path: str) -> DecodeError:
    """The error for an answer that cannot be used: the operation, its path, the status and
    the server's request id beside ``message`` (which names fields, never their values)."""
    return DecodeError(
        message,
        method=op.method,
        path=path,
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
        operation=op.key,
    )


def decode_raw(response: httpx.Response, op: Operation, path: str) -> Any:
    """Plain decoded JSON (for answers with no model), as :func:`decode` does errors."""
    try:
        return safe_data(json.loads(response.content))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise answer_error("The server's answer is not valid JSON", response, op, path) from None


class Resource:
    """One tag of the contract. Subclasses set ``name`` and ``operations`` (their table)."""

    name: ClassVar[str]
    operations: ClassVar[dict[str, Operation]]

    def __init__(self, core: HttpCore, overrides: Mapping[str, Operation] | None = None) -> None:
        self._core = core
        #: This client's per-profile overrides of method and path, by operation name.
        self._overrides = {
            op.name: op for op in (overrides or {}).values() if op.resource == self.name
        }

    def _op(self, name: str) -> Operation:
        return self._overrides.get(name) or self.operations[name]

    def operation(self, name: str) -> Operation:
        """The operation as this client sends it (a profile may override method and path)."""
        return self._op(name)

    async def _send(
        self,
        op_name: str,
        *,
        ids: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: Body | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[httpx.Response | None, Operation, str]:
        op = self._op(op_name)
        path = op.url_path(ids)
        if body is None and json_body is not None:
            body = Body(json=json_body)
        if body is None and op.method in ("POST", "PUT", "PATCH"):
            body = Body(json={})
        response = await self._core.request(
            op,
            path,
            params=query(params) if params else None,
            body=body,
            idempotency_key=idempotency_key,
        )
        return response, op, path

    async def _call(
        self,
        op_name: str,
        tp: Any,
        *,
        ids: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: Body | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send and decode as ``tp`` (``None``: expect no body)."""
        response, op, path = await self._send(
            op_name,
            ids=ids,
            params=params,
            json_body=json_body,
            body=body,
            idempotency_key=idempotency_key,
        )
        if tp is None or response is None:
            return None
        return decode(tp, response, op, path)

    async def _page(
        self,
        op_name: str,
        model: type[T],
        params: Mapping[str, Any],
        ids: Mapping[str, str] | None = None,
        *,
        clamp: bool = True,
    ) -> Page[T]:
        return await self._list_page(op_name, Page[model], params, ids, clamp=clamp)  # type: ignore[valid-type]  # Page[model] with a runtime type variable: pydantic builds it, mypy cannot

    async def _list_page(
        self,
        op_name: str,
        page_type: type[P],
        params: Mapping[str, Any],
        ids: Mapping[str, str] | None = None,
        *,
        clamp: bool = True,
    ) -> P:
        """One page of a list. A page past the end (the list shrank since the caller counted
        it; DRF answers 404 ``{"detail": "Invalid page."}``) is the end of the list, not a
        missing endpoint: with ``clamp`` the last page that exists is returned instead (its
        ``page`` says which one, ``past_end`` is set), else an empty page."""
        number = page_number(params)
        try:
            page: P = await self._call(op_name, page_type, ids=ids, params=params)
        except (Unsupported, NotFound) as exc:
            if not is_page_past_end(exc, number):
                raise
            return await self._end_of_list(op_name, page_type, params, ids, number, clamp)
        page.page = number
        return page

    async def _end_of_list(
        self,
        op_name: str,
        page_type: type[P],
        params: Mapping[str, Any],
        ids: Mapping[str, str] | None,
        asked: int,
        clamp: bool,
    ) -> P:
        if not clamp:
            return page_type(count=0, results=[], page=asked, past_end=True)
        first: P = await self._call(op_name, page_type, ids=ids, params={**params, "page": 1})
        first.page = 1
        first.past_end = True
        size = page_number(params, "page_size", 0) or len(first.results) or 1
        last = max(1, -(-first.count // size))
        if last <= 1 or last >= asked:
            return first
        try:
            page: P = await self._call(op_name, page_type, ids=ids, params={**params, "page": last})
        except (Unsupported, NotFound) as exc:
            if not is_page_past_end(exc, last):
                raise
            return first  # it shrank again: the first page is the end we know
        page.page = last
        page.past_end = True
        return page

    async def _pages(
        self,
        op_name: str,
        model: type[T],
        params: Mapping[str, Any],
        ids: Mapping[str, str] | None = None,
    ) -> AsyncIterator[T]:
        """Every item of every page, following ``next`` (its query, on our own path)."""
        current: dict[str, Any] = dict(params)
        for _ in range(MAX_PAGES):
            page = await self._page(op_name, model, current, ids, clamp=False)
            if page.past_end:
                return  # the list shrank under the walk: that is its end
            for item in page.results:
                yield item
            following = page.next_params()
            if following is None or not page.results:
                return
            merged = {k: v for k, v in current.items() if k not in following}
            merged.update(following)
            if query(merged) == query(current):
                return  # a server that points "next" at the same page
            current = merged
