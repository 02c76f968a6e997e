"""Live refresh of one query, the Dolphie way: the next load is armed only after the previous
one finished, so a slow server is never asked twice at once.

While the server fails, the delay grows exponentially (``interval * backoff**failures``,
capped at ``max_interval``; a 429's ``Retry-After`` is honoured). ``pause()`` stops polling
when the screen is hidden (a load under way completes); ``resume()`` polls at once.
``trigger()`` wakes it early (a manual refresh, or the query was invalidated by a write; the
poller listens for that itself). When the store comes back online it polls at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from preo_tui.api.errors import RateLimited

if TYPE_CHECKING:
    from .core import Entry, Query, Store, StoreEvent

log = logging.getLogger(__name__)

DEFAULT_MAX_INTERVAL = 300.0


class Poller:
    """Periodic refresh of one query through the store (see module docs)."""

    def __init__(
        self,
        store: Store,
        query: Query[Any],
        interval: float,
        *,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        backoff: float = 2.0,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        on_result: Callable[[Entry[Any]], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        immediate: bool = True,
    ) -> None:
        if interval <= 0:
            raise ValueError("the refresh interval must be positive")
        self.store = store
        self.query = query
        self.interval = float(interval)
        self.max_interval = max(float(max_interval), self.interval)
        self.backoff = backoff
        self._sleep = sleep or asyncio.sleep
        self.on_result = on_result
        self.on_error = on_error
        self.immediate = immediate
        self.failures = 0
        self.last_error: BaseException | None = None
        self.runs = 0
        """Loads completed (successful or not)."""
        self.delays: list[float] = []
        """Every delay the poller waited, newest last (diagnostics and tests)."""
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._running = asyncio.Event()  # set = not paused
        self._running.set()
        self._unsubscribe: Callable[[], None] | None = None

    # ---------------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def next_delay(self) -> float:
        """The delay before the next load, given the failures so far."""
        if self.failures == 0:
            return self.interval
        delay = min(self.interval * self.backoff**self.failures, self.max_interval)
        if isinstance(self.last_error, RateLimited) and self.last_error.retry_after:
            delay = max(delay, float(self.last_error.retry_after))
        return delay

    def start(self) -> Poller:
        if not self.started:
            self._unsubscribe = self.store.subscribe(self._on_event)
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"poller {self.query.key}"
            )
        return self

    def pause(self) -> None:
        """Stop polling after the load under way (if any); the screen is hidden."""
        self._running.clear()

    def resume(self, *, now: bool = True) -> None:
        """Poll again; at once unless ``now=False``."""
        self._running.set()
        if now:
            self._wake.set()

    def trigger(self) -> None:
        """Load at once (or right after the load under way)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.store._forget_poller(self)

    def _on_event(self, event: StoreEvent) -> None:
        invalidated = event.kind == "invalidated" and event.key == self.query.key
        back_online = event.kind == "connection" and event.connection == "online"
        if invalidated or (back_online and self.failures):
            self._wake.set()

    # ---------------------------------------------------------------------------------------

    async def _run(self) -> None:
        first = True
        while True:
            await self._running.wait()
            if first and not self.immediate:
                first = False
                await self._wait(self.interval)
                continue
            first = False
            self._wake.clear()
            try:
                entry = await self.store.refresh(self.query)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                self.last_error = exc
                if self.on_error is not None:
                    self._call(self.on_error, exc)
            else:
                self.failures = 0
                self.last_error = None
                if self.on_result is not None:
                    self._call(self.on_result, entry)
            self.runs += 1
            await self._wait(self.next_delay())

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less when woken."""
        if self._wake.is_set():
            return
        self.delays.append(delay)
        sleeper = asyncio.ensure_future(self._sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                if not task.done():
                    task.cancel()
            for task in (sleeper, waker):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @staticmethod
    def _call(callback: Callable[[Any], None], value: Any) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("poller callback failed")


#: The name the UI reads more naturally: one live query on a screen.
LiveQuery = Poller
