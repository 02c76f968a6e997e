"""HTTP error answers to client errors: Retry-After in both forms, field errors from DRF and
FastAPI bodies, messages from garbage bodies, secrets scrubbed, and the status classes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import time_machine

from preo_tui.api._errormap import error_from_response, parse_retry_after
from preo_tui.api.client import ALL_OPERATIONS
from preo_tui.api.errors import (
    AuthError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreoError,
    RateLimited,
    ServerError,
    Unsupported,
    ValidationFailed,
)

OPS = {op.key: op for op in ALL_OPERATIONS}
NOW = datetime(2026, 7, 3, 10, 0, tzinfo=UTC)


def error(status: int, body: Any = None, *, key: str = "refunds.get", **headers: str) -> Any:
    if isinstance(body, bytes):
        response = httpx.Response(status, content=body, headers=headers)
    elif body is None:
        response = httpx.Response(status, headers=headers)
    else:
        response = httpx.Response(status, json=body, headers=headers)
    op = OPS[key]
    return error_from_response(op, op.method, op.path, response, "req-1", ["tok-SECRET"])


def test_retry_after_seconds_dates_and_garbage() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after(" 7 ") == 7.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    with time_machine.travel(NOW, tick=False):
        later = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
        assert parse_retry_after(later) == 30.0
        earlier = format_datetime(NOW - timedelta(hours=1), usegmt=True)
        assert parse_retry_after(earlier) == 0.0
        naive = (NOW + timedelta(seconds=5)).strftime("%a, %d %b %Y %H:%M:%S")
        assert parse_retry_after(naive) == 5.0


def test_drf_field_errors_nested_and_listed() -> None:
    exc = error(
        400,
        {"amount": ["Too large.", "Not a number."], "address": {"city": "Required."}, "x": None},
        key="refunds.create",
    )
    assert isinstance(exc, ValidationFailed)
    assert exc.fields == {"amount": ["Too large.", "Not a number."], "address.city": ["Required."]}
    assert exc.message == "amount: Too large. Not a number.; address.city: Required."


def test_fastapi_422_and_more_than_three_fields() -> None:
    body = {
        "detail": [
            {"loc": ["body", "a"], "msg": "bad a"},
            {"loc": ["query", "b"], "msg": "bad b"},
            {"loc": ["body"], "msg": "bad body"},
            "loose text",
        ]
    }
    exc = error(422, body, key="refunds.create")
    assert isinstance(exc, ValidationFailed)
    assert exc.fields == {
        "a": ["bad a"],
        "b": ["bad b"],
        "non_field_errors": ["bad body", "loose text"],
    }
    four = error(400, {"a": "1", "b": "2", "c": "3", "d": "4"}, key="refunds.create")
    assert four.message == "a: 1; b: 2; c: 3; (+1 more)"


def test_detail_with_code_and_bodies_that_are_not_objects() -> None:
    coded = error(400, {"detail": "Not allowed now.", "code": "locked"}, key="refunds.create")
    assert coded.fields == {"non_field_errors": ["Not allowed now."]}
    assert coded.message == "Not allowed now."
    listed = error(400, ["first", "second"], key="refunds.create")
    assert listed.message == "first second"
    text = error(400, b'"just a string"', key="refunds.create")
    assert text.message == "just a string"
    garbage = error(400, b"<html>bad</html>", key="refunds.create")
    assert garbage.message == "The server rejected the input" and garbage.detail is None
    undecodable = error(400, b"\xff\xfe{", key="refunds.create")
    assert undecodable.detail is None


def test_status_classes_and_their_default_messages() -> None:
    auth = error(401, {"detail": "Token expired", "code": "token_not_valid"})
    assert isinstance(auth, AuthError) and auth.code == "token_not_valid"
    assert error(401, {"detail": "x", "code": 5}).code is None
    assert isinstance(error(403, {"detail": "no"}), PermissionDenied)
    assert isinstance(error(404, {"detail": "No such refund."}), NotFound)
    assert isinstance(error(404, {"detail": "Not Found"}), Unsupported)  # the framework's
    assert isinstance(error(404, {"detail": "gone"}, key="refunds.list"), Unsupported)
    assert isinstance(error(405, {"detail": "Method not allowed"}), Unsupported)
    assert isinstance(error(409, {"detail": "Already decided."}), Conflict)
    limited = error(429, {"detail": "Slow down"}, **{"Retry-After": "12"})
    assert isinstance(limited, RateLimited) and limited.retry_after == 12.0
    server = error(502, b"Bad gateway")
    assert isinstance(server, ServerError) and server.message == "The server failed (HTTP 502)"
    odd = error(418, None)
    assert type(odd) is PreoError and odd.message == "Unexpected answer HTTP 418"
    assert odd.request_id == "req-1" and odd.operation == "refunds.get"


def test_secrets_in_error_bodies_are_scrubbed() -> None:
    exc = error(409, {"detail": "token tok-SECRET is stale", "echo": {"t": "tok-SECRET"}})
    assert "tok-SECRET" not in exc.message
    assert "tok-SECRET" not in repr(exc.detail)


@pytest.mark.parametrize("status", [400, 422])
def test_an_empty_validation_answer_still_says_something(status: int) -> None:
    exc = error(status, {}, key="refunds.create")
    assert exc.message == "The server rejected the input" and exc.fields == {}
