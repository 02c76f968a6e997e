"""Client-test helpers over the shared sandbox fixtures (tests/fixtures/sandbox.py).

``sandbox`` (a fresh in-process sandbox per test, clock frozen at SANDBOX_NOW) comes from the
shared fixtures; here: ``preo`` (a PreoClient for the admin over httpx.ASGITransport),
``started_sandbox`` (a started sandbox with setting overrides, stopped at teardown) and small
helpers for the sandbox-only ``/_sandbox`` endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from preo_tui.api import PreoClient, RetryPolicy
from tests.fixtures.sandbox import BASE_URL, Sandbox

#: Retries without real waiting (the in-process sandbox recovers at once).
QUICK_RETRY = RetryPolicy(attempts=5, backoff_initial=0.0, backoff_max=0.0, jitter=0.0)

T = TypeVar("T")

__all__ = ["Sandbox", "control", "poll_until", "preo_client", "set_faults", "state_changes"]


def preo_client(box: Sandbox, role: str | None = "admin", **kw: Any) -> PreoClient:
    """A PreoClient on ``box`` over ASGITransport, signed in with the role's static token."""
    kw.setdefault("retry", QUICK_RETRY)
    if "token" not in kw:
        kw["token"] = box.tokens[role] if role is not None else None
    return PreoClient(BASE_URL, transport=httpx.ASGITransport(app=box.app), **kw)


async def control(box: Sandbox, method: str, path: str, **kw: Any) -> Any:
    """Call a sandbox-only ``/_sandbox`` endpoint (they need the admin token)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=box.app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {box.tokens['admin']}"},
    ) as raw:
        response = await raw.request(method, path, **kw)
        response.raise_for_status()
        return response.json()


async def set_faults(box: Sandbox, **knobs: Any) -> Any:
    return await control(box, "PUT", "/_sandbox/faults", json=knobs)


def state_changes(box: Sandbox, object_id: str) -> list[tuple[str | None, str]]:
    """The server's record of ``object_id``'s status changes, oldest first."""
    return list(box.db.state_changes(object_id))


async def poll_until(
    fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 10.0
) -> T:
    """Fetch until ``done(value)`` (the sandbox's state machines run at 1000x), or fail."""
    async with asyncio.timeout(within):
        while True:
            value = await fetch()
            if done(value):
                return value
            await asyncio.sleep(0.005)  # yield to the sandbox's background tasks


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


@pytest.fixture
async def started_sandbox(
    sandbox_factory: Callable[..., Sandbox], frozen_clock: Any
) -> AsyncIterator[Callable[..., Awaitable[Sandbox]]]:
    """``await started_sandbox(requested_refunds=250)``: a started sandbox with overrides."""
    made: list[Sandbox] = []

    async def make(**overrides: Any) -> Sandbox:
        box = sandbox_factory(**overrides)
        await box.start()
        made.append(box)
        return box

    yield make
    for box in made:
        await box.stop()
