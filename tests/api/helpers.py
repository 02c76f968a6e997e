"""Helpers for the client's pure unit tests (httpx.MockTransport, no server)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from preo_tui.api import PreoClient, RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]

FAST = RetryPolicy(attempts=4, backoff_initial=0.0, backoff_max=0.0, jitter=0.0)


@dataclass
class Recorder:
    """Records the requests a MockTransport saw and the retry sleeps the client asked for."""

    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def make_client(
    handler: Handler, *, token: str | None = "tok-access-123456", **kw: Any
) -> tuple[PreoClient, Recorder]:
    rec = Recorder()

    async def wrapped(request: httpx.Request) -> httpx.Response:
        rec.requests.append(request)
        result = handler(request)
        if not isinstance(result, httpx.Response):
            result = await result
        return result

    kw.setdefault("retry", FAST)
    client = PreoClient(
        "http://preo.test",
        token=token,
        transport=httpx.MockTransport(wrapped),
        sleep=rec.sleep,
        **kw,
    )
    return client, rec


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def page(
    results: list[dict[str, Any]], *, count: int | None = None, next: str | None = None
) -> dict[str, Any]:
    return {
        "count": len(results) if count is None else count,
        "next": next,
        "previous": None,
        "results": results,
    }


REFUND = {
    "id": "rfr_1",
    "edition_id": "edt_1",
    "amount": 250.0,
    "status": "requested",
    "scope": "purchase_price",
    "reason": "customer_request",
    "can_approve": True,
    "can_reject": True,
    "created": "2026-06-01T10:00:00+00:00",
    "modified": "2026-06-01T10:00:00+00:00",
}
