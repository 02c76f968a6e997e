"""From an HTTP error answer to a :class:`~preo_tui.api.errors.PreoError`: the status
mapping (:func:`error_from_response`), per-field messages of DRF 400 and FastAPI 422 bodies,
``Retry-After`` parsing, and telling a missing endpoint from a missing object
(:func:`is_missing_endpoint`, contract §11)."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from .errors import (
    AuthError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreoError,
    RateLimited,
    ServerError,
    Unsupported,
    ValidationFailed,
    scrub_value,
)
from .registry import Operation

#: Starlette/FastAPI's answer for a route that does not exist.
FRAMEWORK_ROUTE_404 = "Not Found"


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), ``None`` when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def is_missing_endpoint(op: Operation, status: int, body: Any) -> bool:
    """Does this 404/405 mean the server lacks the endpoint (rather than the object)?

    * 405: always — the route exists at most for other methods.
    * 404 on a path that names no object (a collection, or an action such as
      ``/v1/segments/validate-cel``): the route itself is missing.
    * 404 on an object path: a missing object when the body is a JSON object with a ``detail``
      message (DRF's ``{"detail": "Not found."}``); a missing route when the body is not JSON
      (an HTML error page), has no ``detail``, or is the web framework's exact unknown-route
      answer ``{"detail": "Not Found"}``.
    """
    if status == 405:
        return True
    if status != 404:
        return False
    if not op.addresses_object:
        return True
    if not isinstance(body, dict):
        return True
    detail = body.get("detail")
    if not isinstance(detail, str) or not detail.strip():
        return True
    return detail == FRAMEWORK_ROUTE_404


def unsupported_message(op: Operation) -> str:
    """What the operator reads when the server lacks an operation: its name, its key and path
    as sent (a profile may override them), and where to look next."""
    return (
        f"Not supported by this server: {op.summary} ({op.key}: {op.method} {op.path})."
        " Check this server (preo-tui doctor) to see what it speaks."
    )


def _field_errors(body: Any) -> dict[str, list[str]]:
    """Per-field messages from a DRF 400 body or a FastAPI 422 body."""
    fields: dict[str, list[str]] = {}

    def add(name: str, msg: Any) -> None:
        if isinstance(msg, list):
            for m in msg:
                add(name, m)
        elif isinstance(msg, dict):
            for sub, m in msg.items():
                add(f"{name}.{sub}", m)
        elif msg is not None:
            fields.setdefault(name, []).append(str(msg))

    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):  # FastAPI: [{"loc": [...], "msg": ...}]
            for item in detail:
                if isinstance(item, dict):
                    loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query")]
                    add(".".join(loc) or "non_field_errors", item.get("msg"))
                else:
                    add("non_field_errors", item)
        for name, msg in body.items():
            if name == "detail":
                if isinstance(msg, str):
                    add("non_field_errors", msg)
                continue
            if name == "code" and "detail" in body:
                continue  # {"detail": ..., "code": ...} is a message with its machine code
            add(name, msg)
    elif isinstance(body, list) or isinstance(body, str) and body:
        add("non_field_errors", body)
    return fields


def _summary(fields: dict[str, list[str]]) -> str:
    parts = []
    for name, msgs in list(fields.items())[:3]:
        text = " ".join(msgs)
        parts.append(text if name == "non_field_errors" else f"{name}: {text}")
    more = len(fields) - 3
    if more > 0:
        parts.append(f"(+{more} more)")
    return "; ".join(parts)


def error_from_response(
    op: Operation,
    method: str,
    path: str,
    response: httpx.Response,
    request_id: str | None,
    secrets: list[str],
) -> PreoError:
    """The :class:`PreoError` for an HTTP error answer."""
    status = response.status_code
    raw = _json_or_none(response)
    body = scrub_value(raw, secrets) if raw is not None else None
    detail = body.get("detail") if isinstance(body, dict) else None
    text = detail if isinstance(detail, str) and detail.strip() else None
    kw: dict[str, Any] = {
        "method": method,
        "path": path,
        "status": status,
        "request_id": request_id,
        "detail": body,
        "operation": op.key,
    }
    if status in (400, 422):
        fields = _field_errors(body)
        message = _summary(fields) or text or "The server rejected the input"
        return ValidationFailed(message, fields=fields, **kw)
    if status == 401:
        code = body.get("code") if isinstance(body, dict) else None
        return AuthError(text, code=code if isinstance(code, str) else None, **kw)
    if status == 403:
        return PermissionDenied(text, **kw)
    if status in (404, 405):
        if is_missing_endpoint(op, status, raw):
            return Unsupported(unsupported_message(op), **kw)
        return NotFound(text, **kw)
    if status == 409:
        return Conflict(text, **kw)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return RateLimited(text, retry_after=retry_after, **kw)
    if status >= 500:
        return ServerError(text or f"The server failed (HTTP {status})", **kw)
    return PreoError(text or f"Unexpected answer HTTP {status}", **kw)
