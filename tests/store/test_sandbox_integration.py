"""The store over the real PreoClient and a real (in-process) sandbox.

The transport is the sandbox's ASGI app behind a small switch that can make the server
unreachable (as when the sandbox stops mid-session) or lose the answer of a request after the
server handled it (the case that makes an outcome "unknown").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from preo_tui.api import NetworkError, PreoClient, RetryPolicy
from preo_tui.api.refunds import RefundRequest
from preo_tui.store import Journal, OfflineError, Query, Store, open_store
from tests.fixtures.sandbox import BASE_URL, Sandbox, wait_for


class Switch(httpx.AsyncBaseTransport):
    """The sandbox's ASGI transport, with a power switch and an answer-dropper."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.down = False
        self.drop_answer_of: str | None = None  # a path: handled by the server, answer lost

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        response = await self.inner.handle_async_request(request)
        if self.drop_answer_of is not None and request.url.path == self.drop_answer_of:
            self.drop_answer_of = None
            await response.aclose()
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return response


@pytest.fixture
async def wired(
    sandbox: Sandbox, tmp_path: Path
) -> AsyncIterator[tuple[Sandbox, Switch, PreoClient, Store, Journal]]:
    switch = Switch(sandbox.app)
    token = sandbox.tokens["admin"]
    client = PreoClient(BASE_URL, token, transport=switch, retry=RetryPolicy(attempts=1))
    journal = Journal(
        tmp_path / "data" / "journal.jsonl", profile="sandbox", server=BASE_URL, secrets=[token]
    )
    store = open_store(
        BASE_URL, "usr_admin", cache_dir=tmp_path / "cache", secrets=[token], journal=journal
    )
    remove = client.add_listener(store.handle_connection_event)
    async with client:
        yield sandbox, switch, client, store, journal
    remove()
    await store.close()


def requested(client: PreoClient, edition: str) -> Query[Any]:
    return Query(
        "refunds",
        lambda: client.refunds.list(edition_id=edition, status="requested", ordering="created"),
        params={"status": "requested", "ordering": "created"},
        edition=edition,
    )


async def test_approve_through_the_store_updates_cache_journal_and_server(
    wired: tuple[Sandbox, Switch, PreoClient, Store, Journal],
) -> None:
    sandbox, _, client, store, journal = wired
    q = requested(client, sandbox.editions["current"])
    first = await store.get(q)
    rows = first.value.results
    assert rows and all(r.status == "requested" for r in rows)
    target = rows[0].id

    result = await store.write(
        lambda key: client.refunds.approve(target, comment="ok", idempotency_key=key),
        resource="refunds",
        action="approve",
        object_ids=[target],
        summary=f"approve {target}",
    )
    assert isinstance(result, RefundRequest) and result.status == "ready"
    patched = store.peek(q)
    assert patched is not None and patched.stale
    assert next(r for r in patched.value.results if r.id == target).status == "ready"

    fresh = await store.refresh(q)
    assert target not in [r.id for r in fresh.value.results]
    assert fresh.value.count == first.value.count - 1
    decided = [c for c in sandbox.db.state_changes(target) if c[0] == "requested"]
    assert decided == [("requested", "ready")]
    (entry,) = journal.read()
    assert (entry.outcome, entry.object_ids, entry.profile) == ("ok", [target], "sandbox")


async def test_sandbox_gone_mid_session_serves_cache_and_refuses_writes(
    wired: tuple[Sandbox, Switch, PreoClient, Store, Journal],
) -> None:
    sandbox, switch, client, store, journal = wired
    q = requested(client, sandbox.editions["current"])
    before = await store.get(q)
    switch.down = True
    with pytest.raises(NetworkError):
        await store.refresh(q)
    assert store.offline
    entry = await store.get(q)
    assert entry.offline and entry.value.count == before.value.count
    target = before.value.results[0].id
    with pytest.raises(OfflineError, match="Offline"):
        await store.write(
            lambda key: client.refunds.approve(target, idempotency_key=key),
            resource="refunds",
            action="approve",
            object_ids=[target],
        )
    assert journal.read() == []
    assert [c for c in sandbox.db.state_changes(target) if c[0] == "requested"] == []

    switch.down = False
    await store.refresh(q)
    assert store.connection == "online"


async def test_lost_answer_is_unknown_and_the_retry_with_the_same_key_applies_once(
    wired: tuple[Sandbox, Switch, PreoClient, Store, Journal],
) -> None:
    sandbox, switch, client, store, journal = wired
    q = requested(client, sandbox.editions["current"])
    target = (await store.get(q)).value.results[0].id
    switch.drop_answer_of = f"/v1/refund-requests/{target}/approve"

    def approve(key: str) -> Any:
        return client.refunds.approve(target, idempotency_key=key)

    with pytest.raises(NetworkError):
        await store.write(approve, resource="refunds", action="approve", object_ids=[target])
    (unknown,) = journal.read()
    assert unknown.outcome == "unknown" and unknown.idempotency_key

    # The server did approve it; retrying the same logical action reuses its key.
    store.set_connection("online")
    again = await store.write(
        approve,
        resource="refunds",
        action="approve",
        object_ids=[target],
        idempotency_key=unknown.idempotency_key,
        journal_id=unknown.action_id,
    )
    assert again.status == "ready"
    changes = [c for c in sandbox.db.state_changes(target) if c[0] == "requested"]
    assert changes == [("requested", "ready")]
    (resolved,) = journal.read()
    assert resolved.action_id == unknown.action_id and resolved.outcome == "ok"
    assert resolved.attempts == 2 and resolved.time == unknown.time


async def test_cache_of_real_data_holds_no_token_and_reloads_in_a_new_session(
    wired: tuple[Sandbox, Switch, PreoClient, Store, Journal], tmp_path: Path
) -> None:
    sandbox, _, client, store, _ = wired
    token = sandbox.tokens["admin"]
    me = Query("session.me", client.auth.me)
    await store.refresh(me)
    for name in ("current", "past"):
        await store.refresh(requested(client, sandbox.editions[name]))
    editions = Query("editions", lambda: client.editions.list())
    await store.refresh(editions)
    await store.close()
    files = list((tmp_path / "cache").iterdir())
    assert files
    for file in files:
        data = file.read_bytes()
        assert token.encode() not in data
        assert token.rsplit(".", 1)[-1].encode() not in data  # not even the signature

    again = open_store(BASE_URL, "usr_admin", cache_dir=tmp_path / "cache")
    cached = again.peek(requested(client, sandbox.editions["current"]))
    assert cached is not None and cached.source == "disk"
    assert all(isinstance(r, RefundRequest) for r in cached.value.results)
    who = again.peek(me)
    assert who is not None and who.value.id == sandbox.accounts["admin"]
    assert who.value.email == "admin@sandbox.preo.dev"
    await again.close()


async def test_poller_follows_an_approved_refund_to_its_end_state(
    wired: tuple[Sandbox, Switch, PreoClient, Store, Journal],
) -> None:
    sandbox, _, client, store, _ = wired
    target = (await store.get(requested(client, sandbox.editions["current"]))).value.results[0].id
    await store.write(
        lambda key: client.refunds.approve(target, idempotency_key=key),
        resource="refunds",
        action="approve",
        object_ids=[target],
    )
    detail = Query("refunds", lambda: client.refunds.get(target), params={"id": target})
    seen: list[str] = []

    async def fast(delay: float) -> None:
        await sandbox.idle()  # let the sandbox's state machine move on between polls

    poller = store.poll(detail, 0.05, sleep=fast, on_result=lambda e: seen.append(e.value.status))
    poller.start()
    await wait_for(lambda: seen and seen[-1] in ("processed", "failed"), within=10.0)
    await poller.stop()
    assert seen[0] in ("ready", "processing", "awaiting_gateway", "processed", "failed")
    final = store.peek(detail)
    assert final is not None and final.value.status == seen[-1]
