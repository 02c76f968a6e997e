"""Time for the sandbox: the current instant, ISO formatting, and a speed-scaled scheduler.

``now()`` always goes through :func:`datetime.datetime.now`, so tests can freeze or move time
with time-machine. The :class:`Scheduler` runs the background state machines (refund payouts,
campaign sending, segment calculation, import progress, webhook retries) as asyncio tasks in
the server's loop; every delay is divided by ``speed`` so tests can run them at 1000x.
Scheduled delays use the loop's monotonic clock, which time-machine leaves alone, so a frozen
wall clock never stalls a state machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger("preo_tui.sandbox")


def now() -> datetime:
    """The current instant, timezone-aware in UTC, truncated to whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, e.g. ``2026-11-26T17:49:03+00:00``.

    Fixed width (seconds precision), so stored values sort lexicographically in time order.
    """
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def now_iso() -> str:
    """``iso(now())`` as a plain ``str``."""
    value = iso(now())
    assert value is not None
    return value


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or an offset; naive means UTC). Raises ValueError."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC form
        raise ValueError("date/time out of range") from None


def shift(seconds: float) -> str:
    """``iso(now() + seconds)``: handy for ``next_retry_at`` style fields."""
    value = iso(now() + timedelta(seconds=seconds))
    assert value is not None
    return value


class Scheduler:
    """Background tasks for the state machines, with delays scaled by ``speed``.

    ``await scheduler.sleep(3.0)`` waits 3 s at speed 1 and 3 ms at speed 1000. Tasks are
    tracked so :meth:`stop` cancels them and :meth:`idle` lets tests wait until every
    pending transition has happened. An exception in a task is logged, never lost silently.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = False

    def scaled(self, seconds: float) -> float:
        """The real delay for a nominal ``seconds`` at the current speed."""
        return max(0.0, seconds / self.speed)

    async def sleep(self, seconds: float) -> None:
        """Sleep a nominal number of seconds (scaled by speed)."""
        await asyncio.sleep(self.scaled(seconds))

    def spawn(self, coro: Awaitable[Any], name: str = "sandbox-task") -> asyncio.Task[Any]:
        """Run ``coro`` as a tracked task in the running loop."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def call_later(
        self, seconds: float, fn: Callable[[], Awaitable[Any]], name: str = "sandbox-timer"
    ) -> asyncio.Task[Any]:
        """After a nominal delay, await ``fn()`` in a tracked task."""

        async def runner() -> None:
            await self.sleep(seconds)
            await fn()

        return self.spawn(runner(), name)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    @property
    def pending(self) -> int:
        """How many background tasks are still running."""
        return sum(1 for t in self._tasks if not t.done())

    async def idle(self, within: float = 10.0, ignore: Callable[[str], bool] | None = None) -> None:
        """Wait until no tracked task is running (tasks spawned meanwhile included).

        ``ignore(name)`` may exclude long-lived loops (e.g. periodic pollers) from the wait.
        Raises TimeoutError after ``within`` real seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            busy = [
                t for t in self._tasks if not t.done() and not (ignore and ignore(t.get_name()))
            ]
            if not busy:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(busy)} background task(s) still running")
            await asyncio.wait(busy, timeout=remaining)

    async def stop(self) -> None:
        """Cancel every tracked task and wait for them to finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
