"""Issue 14, item 3: bounded requests.

Before: a server trickling its body (1 byte every 3 s) held ``auth.me()`` for more than 100 s
(httpx's read timeout restarts with every byte), the status said "online" meanwhile, ``r``
waited for the stalled load, and a 400 MB gzip body took the client to 1 GB.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from preo_tui.api import PreoClient, RetryPolicy
from preo_tui.api.errors import DecodeError, NetworkError
from preo_tui.store import Query, Store

ME = b'{"id": "usr_1", "email": "a@b.c", "first_name": "A", "last_name": "B", "organizations": []}'


class Trickle(httpx.AsyncByteStream):
    def __init__(self, every: float) -> None:
        self.every = every

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in ME:
            await asyncio.sleep(self.every)
            yield bytes([byte])


class Handler(httpx.AsyncBaseTransport):
    def __init__(self, make: Any) -> None:
        self.make = make
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        result: httpx.Response = await self.make(request)
        return result


def client(transport: httpx.AsyncBaseTransport, **kw: Any) -> PreoClient:
    return PreoClient(
        "http://preo.test",
        token="tok",
        transport=transport,
        retry=RetryPolicy(attempts=3, backoff_initial=0.0, jitter=0.0),
        **kw,
    )


async def test_item_3_a_trickling_body_hits_the_overall_deadline() -> None:
    async def trickle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=Trickle(0.2), headers={"content-type": "application/json"}
        )

    transport = Handler(trickle)
    events: list[str] = []
    async with client(transport, deadline=1.0, slow_after=0.3) as preo:
        preo.add_listener(lambda e: events.append(str(e.state)))
        # The deadline's own error (not the 10 s guard's TimeoutError) shows it ended the wait.
        with pytest.raises(NetworkError, match="within 1 s") as info:
            await asyncio.wait_for(preo.auth.me(), 10)
        assert transport.calls == 1  # the deadline covers the retries too
        assert info.value.status is None
    assert "slow" in events  # the status line is told while it waits


async def test_item_3_status_is_slow_then_online() -> None:
    async def late(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.4)
        return httpx.Response(200, content=ME, headers={"content-type": "application/json"})

    events: list[str] = []
    async with client(Handler(late), slow_after=0.1) as preo:
        preo.add_listener(lambda e: events.append(str(e.state)))
        me = await preo.auth.me()
    assert me.email == "a@b.c"
    assert events[-2:] == ["slow", "online"]


async def test_item_3_response_size_is_capped_after_decompression() -> None:
    bomb = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    assert len(bomb) < 64 * 1024

    async def gzip_bomb(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=bomb,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )

    async def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"{}",
            headers={"content-type": "application/json", "content-length": str(10**10)},
        )

    for make in (gzip_bomb, declared):
        async with client(Handler(make), max_response_bytes=1024 * 1024) as preo:
            with pytest.raises(DecodeError, match="larger than 1 MiB"):
                await preo.auth.me()


async def test_item_3_refresh_restarts_a_stalled_load() -> None:
    store = Store(clock=time.time)
    started: list[int] = []
    release = asyncio.Event()

    async def loader() -> list[int]:
        started.append(len(started))
        if len(started) == 1:
            await asyncio.Event().wait()  # the stalled request never ends
        await release.wait()
        return [len(started)]

    query = Query("orders", loader, params={})
    first = asyncio.ensure_future(store.refresh(query))
    await asyncio.sleep(0.05)
    assert store.in_flight(query) and store.restart_stalled(older_than=10) == 0
    assert store.restart_stalled(older_than=0.0) == 1
    second = asyncio.ensure_future(store.refresh(query))
    await asyncio.sleep(0.01)
    release.set()
    entry = await asyncio.wait_for(second, 5)
    assert entry.value == [2] and len(started) == 2
    with pytest.raises(asyncio.CancelledError):
        await first
    await store.close()
