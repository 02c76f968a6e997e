"""The store over the real PreoClient, with an in-test HTTP handler playing the server.

These check what only the pair can show: the client's NetworkError drives the store offline
and back, its ConnectionEvents feed the store, its models round-trip through the disk cache
with no registration, a write's returned model is patched into cached pages, and the token
the client sends never reaches the cache files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from preo_tui.api import NetworkError, PreoClient, RetryPolicy
from preo_tui.api.refunds import RefundRequest
from preo_tui.store import Journal, OfflineError, Query, open_store

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfYWRtaW4ifQ.c2VjcmV0LXNpZ25hdHVyZQ"


def refund(rid: str, status: str = "requested") -> dict[str, Any]:
    return {
        "id": rid,
        "status": status,
        "amount": 25.0,
        "reason": "cancelled_event",
        "scope": "full",
        "created": "2026-07-01T10:00:00+00:00",
        "modified": "2026-07-01T10:00:00+00:00",
        "can_approve": status == "requested",
        "can_reject": status == "requested",
    }


class FakeServer:
    def __init__(self) -> None:
        self.down = False
        self.refunds = {f"rfr_{n}": refund(f"rfr_{n}") for n in range(3)}
        self.seen_auth: set[str] = set()
        self.lists = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        self.seen_auth.add(request.headers.get("authorization", ""))
        path = request.url.path
        if request.method == "GET" and path == "/v1/refund-requests":
            self.lists += 1
            rows = [
                r
                for r in self.refunds.values()
                if r["status"] == request.url.params.get("status", r["status"])
            ]
            return httpx.Response(
                200, json={"count": len(rows), "next": None, "previous": None, "results": rows}
            )
        if request.method == "POST" and path.endswith("/approve"):
            rid = path.split("/")[-2]
            if self.refunds[rid]["status"] != "requested":
                return httpx.Response(
                    409, json={"detail": "Refund request is not awaiting a decision."}
                )
            self.refunds[rid] = refund(rid, "ready")
            return httpx.Response(200, json=self.refunds[rid])
        return httpx.Response(404, json={"detail": "Not Found"})


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
async def client(server: FakeServer) -> Any:
    preo = PreoClient(
        "http://preo.test",
        TOKEN,
        transport=httpx.MockTransport(server),
        retry=RetryPolicy(attempts=1),
    )
    async with preo:
        yield preo


def requested(preo: PreoClient) -> Query[Any]:
    return Query(
        "refunds",
        lambda: preo.refunds.list(status="requested"),
        params={"status": "requested"},
        edition="edt_1",
    )


async def test_store_over_the_client_round_trip_offline_and_write(
    tmp_path: Path, server: FakeServer, client: PreoClient
) -> None:
    journal = Journal(
        tmp_path / "journal.jsonl", profile="p", server="http://preo.test", secrets=[TOKEN]
    )
    store = open_store(
        "http://preo.test",
        "usr_admin",
        cache_dir=tmp_path / "cache",
        secrets=[TOKEN],
        journal=journal,
    )
    remove = client.add_listener(store.handle_connection_event)
    q = requested(client)
    entry = await store.get(q)
    assert [r.id for r in entry.value.results] == ["rfr_0", "rfr_1", "rfr_2"]
    assert f"Bearer {TOKEN}" in server.seen_auth

    # The server disappears: the client's NetworkError turns the store offline, cache served.
    server.down = True
    with pytest.raises(NetworkError):
        await store.refresh(q)
    assert store.offline
    cached = await store.get(q)
    assert cached.offline and len(cached.value.results) == 3
    with pytest.raises(OfflineError):
        await store.write(
            lambda key: client.refunds.approve("rfr_1", idempotency_key=key),
            resource="refunds",
            action="approve",
            object_ids=["rfr_1"],
        )
    assert server.refunds["rfr_1"]["status"] == "requested"

    # Back online: writes go through and patch the cached page at once.
    server.down = False
    await store.refresh(q)
    assert store.connection == "online"
    result = await store.write(
        lambda key: client.refunds.approve("rfr_1", idempotency_key=key),
        resource="refunds",
        action="approve",
        object_ids=["rfr_1"],
        summary="approve rfr_1",
    )
    assert isinstance(result, RefundRequest) and result.status == "ready"
    patched = store.peek(q)
    assert patched is not None and patched.stale
    assert {r.id: r.status for r in patched.value.results}["rfr_1"] == "ready"
    fresh = await store.refresh(q)
    assert [r.id for r in fresh.value.results] == ["rfr_0", "rfr_2"]

    # A second decision on the same request: 409, journalled as failed.
    with pytest.raises(Exception, match="not awaiting"):
        await store.write(
            lambda key: client.refunds.approve("rfr_1", idempotency_key=key),
            resource="refunds",
            action="approve",
            object_ids=["rfr_1"],
        )
    outcomes = [(e.action, e.outcome) for e in journal.read()]
    assert outcomes == [("approve", "failed"), ("approve", "ok")]
    remove()
    await store.close()

    # The cache files and the journal never hold the token.
    files = list((tmp_path / "cache").iterdir()) + [tmp_path / "journal.jsonl"]
    for file in files:
        assert TOKEN.encode() not in file.read_bytes()
        assert TOKEN.split(".")[2].encode() not in file.read_bytes()

    # A new session rebuilds the client's models from disk without any registration.
    again = open_store("http://preo.test", "usr_admin", cache_dir=tmp_path / "cache")
    again_entry = again.peek(requested(client))
    assert again_entry is not None and again_entry.source == "disk"
    assert all(isinstance(r, RefundRequest) for r in entry.value.results)
    await again.close()


async def test_nothing_cached_and_server_down_is_a_clear_offline_error(
    tmp_path: Path, server: FakeServer, client: PreoClient
) -> None:
    store = open_store("http://preo.test", "u", cache_dir=tmp_path / "cache")
    server.down = True
    with pytest.raises(OfflineError) as caught:
        await store.get(requested(client))
    assert "nothing is cached" in str(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in json.dumps(caught.value.message)
    await store.close()


async def test_concurrent_screens_share_one_request(
    tmp_path: Path, server: FakeServer, client: PreoClient
) -> None:
    import asyncio

    store = open_store("http://preo.test", "u", disk=False)
    results = await asyncio.gather(*(store.refresh(requested(client)) for _ in range(5)))
    assert server.lists == 1 and len({id(r.value) for r in results}) == 1
    await store.close()
