"""Bounded requests (issue 14): the overall deadline's error and the capped body read.

Used by :class:`preo_tui.api._transport.HttpCore` (see its module docstring for the rules).
"""

from __future__ import annotations

import httpx

from .errors import DecodeError, NetworkError
from .registry import Operation


def deadline_error(deadline: float, op: Operation, path: str, request_id: str) -> NetworkError:
    """The error of a request over its overall deadline (never retried)."""
    error = NetworkError(
        f"No complete answer within {deadline:g} s (the request's deadline)",
        method=op.method,
        path=path,
        request_id=request_id,
        operation=op.key,
    )
    error.deadline_exceeded = True  # type: ignore[attr-defined]  # a marker the status line reads
    return error


async def read_capped(
    response: httpx.Response, cap: int, op: Operation, path: str, request_id: str
) -> None:
    """Read ``response``'s body, at most ``cap`` bytes after decompression (a declared
    ``Content-Length`` over the cap is refused unread); :class:`DecodeError` beyond it."""
    declared = response.headers.get("content-length", "")
    too_big = declared.isdigit() and int(declared) > cap
    chunks: list[bytes] = []
    total = 0
    try:
        if not too_big:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > cap:
                    too_big = True
                    break
                chunks.append(chunk)
    finally:
        await response.aclose()
    if too_big:
        raise DecodeError(
            f"The answer is larger than {cap // (1024 * 1024)} MiB; it was not read",
            method=op.method,
            path=path,
            status=response.status_code,
            request_id=response.headers.get("x-request-id") or request_id,
            operation=op.key,
        )
    response._content = b"".join(chunks)
