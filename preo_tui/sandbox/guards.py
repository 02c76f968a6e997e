"""Input guards in front of every ``/v1`` route: bad query strings are a 400, never a 500.

- a query value holding a NUL character: 400 ``{"<name>": ["Null characters are not
  allowed."]}`` (DRF's message; SQLite cannot take NUL in a LIKE pattern);
- a query value longer than :data:`MAX_QUERY_VALUE` characters (a 60,000-character
  ``search``): 400 on that parameter (SQLite caps LIKE patterns at 50,000 bytes);
- a query string longer than :data:`MAX_QUERY_STRING` bytes: 400.

JSON bodies nested deeper than :data:`MAX_JSON_DEPTH` are refused with a 400 before any
handler parses them (a 100,000-deep body would exhaust Python's recursion limit).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

MAX_QUERY_VALUE = 2000
MAX_QUERY_STRING = 32_768
MAX_JSON_DEPTH = 64


async def _bad_request(send: Any, body: dict[str, list[str]]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def query_problem(query: bytes) -> dict[str, list[str]] | None:
    """The 400 body for a bad query string, or ``None``."""
    if len(query) > MAX_QUERY_STRING:
        return {"non_field_errors": [f"The query string exceeds {MAX_QUERY_STRING} bytes."]}
    text = query.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        field = name[:64]
        if "\x00" in value or "\x00" in name:
            return {field.replace("\x00", ""): ["Null characters are not allowed."]}
        if len(value) > MAX_QUERY_VALUE:
            return {field: [f"Ensure this value has at most {MAX_QUERY_VALUE} characters."]}
    return None


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does ``body`` nest arrays/objects deeper than ``limit`` (strings skipped)?"""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class InputGuardMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1"):
            await self.app(scope, receive, send)
            return
        problem = query_problem(scope.get("query_string", b""))
        if problem is not None:
            await _bad_request(send, problem)
            return
        content_type = b""
        for key, value in scope.get("headers", ()):
            if key.lower() == b"content-type":
                content_type = value.lower()
        if scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE") or (
            content_type and b"json" not in content_type
        ):
            # Only JSON bodies are checked (a multipart upload may hold any bytes).
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if json_too_deep(body):
            await _bad_request(
                send,
                {"non_field_errors": [f"JSON parse error - nested deeper than {MAX_JSON_DEPTH}."]},
            )
            return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
