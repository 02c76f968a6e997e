"""The poller: re-arms only after a load finished, backs off while failing, pauses."""

from __future__ import annotations

import asyncio

import pytest

from preo_tui.api.errors import RateLimited, ServerError
from preo_tui.store import Poller, Query, Store

from .conftest import GatedLoader, Item, page, wait_until


class FakeSleep:
    """Records each delay and returns only when the test lets it."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.permits: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self.permits.get()

    def release(self, n: int = 1) -> None:
        for _ in range(n):
            self.permits.put_nowait(None)


def make(loader: GatedLoader, **options: object) -> tuple[Store, Poller, FakeSleep]:
    store = Store()
    sleep = FakeSleep()
    query = Query("refunds", loader, params={"status": "requested"})
    poller = store.poll(query, 10, sleep=sleep, **options)
    return store, poller, sleep


async def test_poller_rearms_only_after_the_previous_load_finished() -> None:
    loader = GatedLoader(page(Item(id="a", name="a")))
    store, poller, sleep = make(loader)
    poller.start()
    await wait_until(lambda: loader.calls == 1)
    # The load hangs: no timer is armed, no second load starts, however long we wait.
    for _ in range(50):
        await asyncio.sleep(0)
    assert sleep.delays == [] and loader.calls == 1
    poller.trigger()  # even a manual trigger joins the running load instead of overlapping
    for _ in range(20):
        await asyncio.sleep(0)
    assert loader.calls == 1
    loader.gate.set()
    await wait_until(lambda: poller.runs == 1)
    # The trigger during the load asks for one more load right away; then it re-arms.
    await wait_until(lambda: sleep.delays == [10.0])
    assert loader.calls == 2
    sleep.release()
    await wait_until(lambda: loader.calls == 3)
    await store.close()
    assert not poller.started


async def test_poller_backs_off_exponentially_and_recovers() -> None:
    loader = GatedLoader(page())
    loader.gate.set()
    loader.error = ServerError("boom", status=500)
    store, poller, sleep = make(loader, max_interval=60)
    errors: list[BaseException] = []
    poller.on_error = errors.append
    poller.start()
    for expected in ([10.0 * 2], [20.0, 40.0], [20.0, 40.0, 60.0], [20.0, 40.0, 60.0, 60.0]):
        await wait_until(lambda e=expected: sleep.delays == e)
        sleep.release()
    assert poller.failures == 4 and len(errors) == 4
    loader.error = None
    await wait_until(lambda: poller.failures == 0)
    await wait_until(lambda: sleep.delays[-1] == 10.0)
    assert poller.last_error is None
    await store.close()


async def test_rate_limit_retry_after_is_honoured() -> None:
    loader = GatedLoader(page())
    loader.gate.set()
    loader.error = RateLimited("slow down", status=429, retry_after=120)
    store, poller, sleep = make(loader)
    poller.start()
    await wait_until(lambda: sleep.delays == [120.0])
    await store.close()


async def test_pause_and_resume() -> None:
    loader = GatedLoader(page())
    loader.gate.set()
    store, poller, sleep = make(loader)
    poller.start()
    await wait_until(lambda: sleep.delays == [10.0])
    poller.pause()
    sleep.release()
    for _ in range(50):
        await asyncio.sleep(0)
    assert loader.calls == 1 and poller.paused
    poller.resume()
    await wait_until(lambda: loader.calls == 2)
    assert not poller.paused
    await store.close()


async def test_invalidation_wakes_the_poller_at_once() -> None:
    loader = GatedLoader(page())
    loader.gate.set()
    store, poller, sleep = make(loader)
    poller.start()
    await wait_until(lambda: sleep.delays == [10.0])
    store.invalidate("orders")  # another resource: stays asleep
    for _ in range(20):
        await asyncio.sleep(0)
    assert loader.calls == 1
    store.invalidate("refunds")
    await wait_until(lambda: loader.calls == 2)
    await store.close()


async def test_poller_and_screen_refresh_share_one_load() -> None:
    loader = GatedLoader(page())
    store, poller, _ = make(loader)
    poller.start()
    await wait_until(lambda: loader.calls == 1)
    manual = asyncio.ensure_future(store.refresh(poller.query))
    for _ in range(20):
        await asyncio.sleep(0)
    loader.gate.set()
    await manual
    assert loader.calls == 1
    await store.close()


async def test_not_immediate_waits_one_interval_first() -> None:
    loader = GatedLoader(page())
    loader.gate.set()
    store, poller, sleep = make(loader, immediate=False)
    poller.start()
    await wait_until(lambda: sleep.delays == [10.0])
    assert loader.calls == 0
    sleep.release()
    await wait_until(lambda: loader.calls == 1)
    await store.close()


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Poller(Store(), Query("x", GatedLoader()), 0)
