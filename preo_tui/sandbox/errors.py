"""The contract's error bodies, and the handlers that make every failure use them.

- 400: ``{"<field>": ["message", ...], "non_field_errors": ["...", ...]}``
- 401/403/404/405/409: ``{"detail": "message"}`` (401 for tokens adds ``"code": "token_not_valid"``)
- 429: ``{"detail": ...}`` plus a ``Retry-After`` header (seconds)

Raise :class:`ApiError` (or a helper: :func:`bad_request`, :func:`not_found`, :func:`conflict`,
:func:`forbidden`) anywhere in a handler. FastAPI's own ``RequestValidationError`` (wrong
types, unknown enum values, missing fields, malformed JSON, out-of-range query values) is
mapped onto the 400 body; unknown routes onto 404 ``{"detail": "Not Found"}`` (the
framework's wording, distinct from a missing object's ``"Not found."``), wrong methods onto 405; anything
unexpected onto a 500 ``detail`` body, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("preo_tui.sandbox")

NON_FIELD = "non_field_errors"


class ApiError(Exception):
    """An error answered with the contract's body.

    ``ApiError(404, "Not found.")`` gives ``{"detail": "Not found."}``;
    ``ApiError(400, fields={"slug": ["Enter a valid slug."]})`` gives the field body.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or str(fields))
        self.status = status
        self.detail = detail
        self.fields = {k: list(v) for k, v in (fields or {}).items()}
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        if self.status == 400:
            body: dict[str, Any] = dict(self.fields)
            if self.detail and not body:
                body[NON_FIELD] = [self.detail]
            return body
        out: dict[str, Any] = {"detail": self.detail or "Error."}
        if self.code:
            out["code"] = self.code
        return out

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers or None)


def bad_request(field: str | None = None, message: str = "Invalid value.") -> ApiError:
    """A 400 on one field (or ``non_field_errors`` when ``field`` is None)."""
    return ApiError(400, fields={field or NON_FIELD: [message]})


def field_errors(fields: Mapping[str, Sequence[str]]) -> ApiError:
    """A 400 with several fields at once."""
    return ApiError(400, fields=fields)


def not_found(what: str = "Not found.") -> ApiError:
    return ApiError(404, what)


def forbidden(detail: str = "You do not have permission to perform this action.") -> ApiError:
    return ApiError(403, detail)


def conflict(detail: str) -> ApiError:
    return ApiError(409, detail)


def too_many(detail: str, retry_after: int) -> ApiError:
    return ApiError(429, detail, headers={"Retry-After": str(retry_after)})


class FieldErrors:
    """Collect several 400 messages, then ``raise_if_any()``.

    >>> errs = FieldErrors(); errs.add("amount", "Must be positive."); errs.raise_if_any()
    """

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str | None, message: str) -> None:
        self.fields.setdefault(field or NON_FIELD, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ApiError(400, fields=self.fields)


def _message(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    given = err.get("input")
    if kind == "missing":
        return "This field is required."
    if kind == "literal_error" or kind == "enum":
        expected = ctx.get("expected", "")
        return f'"{given}" is not a valid choice; expected {expected}.'
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "A valid integer is required."
    if kind in ("float_parsing", "float_type"):
        return "A valid number is required."
    if kind in ("bool_parsing", "bool_type"):
        return "Must be a valid boolean."
    if kind in ("string_type",):
        return "Not a valid string."
    if kind == "less_than_equal":
        return f"Ensure this value is less than or equal to {ctx.get('le')}."
    if kind == "greater_than_equal":
        return f"Ensure this value is greater than or equal to {ctx.get('ge')}."
    if kind == "greater_than":
        return f"Ensure this value is greater than {ctx.get('gt')}."
    if kind == "string_too_long":
        return f"Ensure this field has no more than {ctx.get('max_length')} characters."
    if kind == "string_too_short":
        return f"Ensure this field has at least {ctx.get('min_length')} characters."
    if kind == "json_invalid":
        return f"JSON parse error - {ctx.get('error', 'invalid JSON')}."
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return "Invalid data. Expected a JSON object."
    if kind == "list_type":
        return "Expected a list of items."
    msg = str(err.get("msg", "Invalid value."))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def validation_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Map pydantic/FastAPI error dicts onto ``{field: [messages]}``.

    ``("body", "amount")`` → ``amount``; ``("query", "page")`` → ``page``; nested locations keep
    the top-level field as key and prefix the message with the rest; body-level problems
    (malformed JSON, not an object, missing body) go to ``non_field_errors``.
    """
    out: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
            loc = loc[1:]
        kind = str(err.get("type", ""))
        if kind == "json_invalid" or not loc:
            key, prefix = NON_FIELD, ""
        else:
            key, prefix = loc[0], ".".join(loc[1:])
        message = _message(err)
        if prefix:
            message = f"{prefix}: {message}"
        bucket = out.setdefault(key, [])
        if message not in bucket:
            bucket.append(message)
    return out or {NON_FIELD: ["Invalid request."]}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a contract body."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(validation_body(list(exc.errors())), status_code=400)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        if status == 404:
            # Unknown route: keep the framework's exact wording, which clients read as "this
            # server lacks the endpoint"; missing objects answer "Not found." via ApiError.
            detail = "Not Found"
        elif status == 405:
            detail = f'Method "{request.method}" not allowed.'
        else:
            detail = str(exc.detail)
        if status == 400:
            return JSONResponse({NON_FIELD: [detail]}, status_code=400)
        headers = dict(exc.headers) if exc.headers else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if "sandbox fault injection" not in str(exc):  # injected drops are not our bugs
            log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "Internal server error."}, status_code=500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
