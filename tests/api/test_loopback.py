"""The client over real loopback HTTP: the sandbox served by uvicorn in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from preo_tui.api import NetworkError, PreoClient, RetryPolicy
from preo_tui.sandbox.state import SandboxState
from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.slow


class ServerThread:
    def __init__(self) -> None:
        self.box: Sandbox = make_sandbox()
        self.state: SandboxState = self.box.state
        config = uvicorn.Config(
            self.box.app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.01)  # polling the started flag with a deadline
        return self

    @property
    def url(self) -> str:
        sock = self.server.servers[0].sockets[0]
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.box.db.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread() as running:
        yield running


async def test_client_over_real_http(server: ServerThread) -> None:
    async with PreoClient(server.url, token=None) as preo:
        await preo.auth.login("admin@sandbox.preo.dev", "sandbox")
        me = await preo.auth.me()
        assert me.email == "admin@sandbox.preo.dev"
        current = await preo.editions.get(server.box.editions["current"])
        ids = [o.id async for o in preo.orders.iterate(edition_id=current.id, page_size=100)]
        total = (await preo.orders.list(edition_id=current.id, page_size=1)).count
        assert len(ids) == total > 100
        # concurrent reads share the connection pool and the limit
        pages = await asyncio.gather(
            *(preo.orders.list(edition_id=current.id, page=n, page_size=20) for n in (1, 2, 3))
        )
        assert len({o.id for p in pages for o in p.results}) == 60


def admin_header(server: ServerThread) -> dict[str, str]:
    """``/_sandbox/*`` needs the admin token (issue 14)."""
    return {"Authorization": f"Bearer {server.state.static_tokens['admin']}"}


async def test_dropped_connections_over_real_http(server: ServerThread) -> None:
    token = server.state.static_tokens["admin"]
    async with httpx.AsyncClient(base_url=server.url, headers=admin_header(server)) as raw:
        await raw.put("/_sandbox/faults", json={"error_rate": 1.0, "kinds": ["drop"]})
    try:
        policy = RetryPolicy(attempts=3, backoff_initial=0.0, jitter=0.0)
        async with PreoClient(server.url, token=token, retry=policy) as preo:
            with pytest.raises(NetworkError) as info:
                await preo.auth.me()
            assert preo.requests_sent == 3
            assert info.value.path == "/v1/auth/me" and info.value.status is None
    finally:
        async with httpx.AsyncClient(base_url=server.url, headers=admin_header(server)) as raw:
            await raw.put("/_sandbox/faults", json={"error_rate": 0.0})
    async with PreoClient(server.url, token=token) as preo:
        assert (await preo.auth.me()).email == "admin@sandbox.preo.dev"


async def test_timeouts_over_real_http(server: ServerThread) -> None:
    token = server.state.static_tokens["admin"]
    async with httpx.AsyncClient(base_url=server.url, headers=admin_header(server)) as raw:
        await raw.put("/_sandbox/faults", json={"error_rate": 0.0, "latency_ms": 400})
    try:
        policy = RetryPolicy(attempts=2, backoff_initial=0.0, jitter=0.0)
        async with PreoClient(server.url, token=token, retry=policy, timeout=0.1) as preo:
            with pytest.raises(NetworkError, match="Timed out") as info:
                await preo.auth.me()
            assert preo.requests_sent == 2 and info.value.status is None
    finally:
        async with httpx.AsyncClient(base_url=server.url, headers=admin_header(server)) as raw:
            await raw.put("/_sandbox/faults", json={"latency_ms": 0})
