"""The cached state store.

Screens describe what they show as a :class:`Query` (resource, parameters, scope and a loader
coroutine, usually a client resource method) and ask the :class:`Store`:

- :meth:`Store.peek` — the cached entry at once (memory, then disk), with its age;
- :meth:`Store.get` — stale-while-revalidate: the cached entry at once and a background
  refresh when it is older than ``max_age``; waits for the server only when nothing is cached;
- :meth:`Store.refresh` — load now; concurrent refreshes of one key share a single in-flight
  load (coalesced), and a caller giving up does not cancel it for the others;
- :meth:`Store.poll` — a :class:`~preo_tui.store.poller.Poller` that re-arms only after the
  previous load finished and backs off while the server fails;
- :meth:`Store.write` — run a write: refused while offline, journalled before and after,
  counted while in flight, and every cached query it affects is updated or invalidated.

Subscribers (plain callables) hear about every change as :class:`StoreEvent`; the UI wraps
them in Textual messages. A network failure turns the store offline: cached data keeps being
served (marked offline) and writes are refused until the server answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from typing import TYPE_CHECKING, Any, TypeVar, cast

from preo_tui.api.errors import NetworkError, PreoError

from .entries import (
    Callback,
    Connection,
    Entry,
    EventKind,
    JournalError,
    OfflineError,
    Query,
    StoreClosed,
    StoreEvent,
    entry_with,
)
from .keys import Key
from .links import changed_items
from .writes import WritingStore

if TYPE_CHECKING:
    from .poller import Poller

__all__ = [
    "Callback",
    "Connection",
    "Entry",
    "EventKind",
    "JournalError",
    "OfflineError",
    "Query",
    "Store",
    "StoreClosed",
    "StoreEvent",
    "entry_with",
]

T = TypeVar("T")


class Store(WritingStore):
    """Memory (LRU) plus optional disk cache, refreshes, invalidation, writes, offline.

    Built in layers: ``base.StoreBase`` (the cache, connection state, subscriptions),
    ``invalidation.InvalidatingStore`` (stale marks, in-place updates, links), and
    ``writes.WritingStore`` (journalled writes); this class adds loading (coalesced
    refreshes, stale-while-revalidate), polling and closing.
    """

    async def get(self, query: Query[T], *, max_age: float = 0.0) -> Entry[T]:
        """Stale-while-revalidate. With a cached entry: return it at once and, when it is
        stale or older than ``max_age`` seconds, start a background refresh (subscribers
        hear of the result). Without one: wait for the load (raises its error; a network
        failure raises :class:`OfflineError`)."""
        cached = self.peek(query)
        if cached is not None:
            if cached.stale or cached.age_at(self.clock()) > max_age:
                self.refresh_soon(query)
            return cached
        try:
            return await self.refresh(query)
        except NetworkError as exc:
            if isinstance(exc, OfflineError):
                raise
            raise OfflineError(
                "Offline: the server cannot be reached and nothing is cached for this view",
                method=exc.method,
                path=exc.path,
                request_id=exc.request_id,
            ) from exc

    def refresh_soon(self, query: Query[Any]) -> asyncio.Task[Entry[Any]]:
        """Start (or join) a refresh without waiting; its failure is reported to
        subscribers as an ``error`` event, never raised."""
        task = self._task(query)
        waiter = asyncio.ensure_future(asyncio.shield(task))
        self._background.add(waiter)
        waiter.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(cast("asyncio.Task[Any]", task))
        if not task.cancelled():
            task.exception()  # retrieved: already reported through an "error" event

    async def refresh(self, query: Query[T]) -> Entry[T]:
        """Load ``query`` now and return the fresh entry. Concurrent calls for the same key
        await one shared load; cancelling one caller does not cancel it for the others.
        Raises the load's error (the cached value, if any, stays and is marked with it)."""
        task = self._task(query)
        return cast(Entry[T], await asyncio.shield(task))

    def in_flight(self, query: Query[Any] | Key) -> bool:
        key = query.key if isinstance(query, Query) else query
        task = self._inflight.get(key)
        return task is not None and not task.done()

    def _task(self, query: Query[Any]) -> asyncio.Task[Entry[Any]]:
        if self._closed:
            raise StoreClosed()
        key = query.key
        task = self._inflight.get(key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(
                self._load(query), name=f"store-load {key}"
            )
            self._inflight[key] = task
            self._load_started[key] = time.monotonic()
            task.add_done_callback(functools.partial(self._load_done, key))
        return task

    def restart_stalled(self, older_than: float = 3.0) -> int:
        """Cancel every load under way for ``older_than`` seconds or more (``r`` on a stalled
        refresh, issue 14): the next refresh of that key starts a new request instead of
        joining the stalled one. Returns how many were cancelled."""
        now = time.monotonic()
        cancelled = 0
        for key, task in list(self._inflight.items()):
            started = self._load_started.get(key, now)
            if not task.done() and now - started >= older_than:
                del self._inflight[key]
                self._load_started.pop(key, None)
                task.cancel()
                cancelled += 1
        return cancelled

    def _load_done(self, key: Key, task: asyncio.Task[Entry[Any]]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
            self._load_started.pop(key, None)
        if not task.cancelled():
            task.exception()  # mark retrieved: callers get it through shield()

    async def _load(self, query: Query[Any]) -> Entry[Any]:
        key = query.key
        generation = self._generation.get(key.resource, 0)
        self.load_count += 1
        try:
            value = await query.loader()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, NetworkError):
                self.set_connection("offline")
            elif isinstance(exc, PreoError) and exc.status is not None:
                self.set_connection("online")  # the server answered, even if with an error
            slot = self._memory.get(key)
            if slot is None:
                disk_entry = self.peek(query)
                slot = self._memory.get(key) if disk_entry is not None else None
            if slot is not None:
                slot.error = exc
            entry = self._entry(key, slot) if slot is not None else None
            self._emit(StoreEvent("error", key, entry, error=exc))
            raise
        if self._connection != "online":
            self.set_connection("online")
        # A write to this resource while the load was under way may have made it outdated.
        stale = self._generation.get(key.resource, 0) != generation
        previous = self._memory.get(key)
        entry = self.put(query, value, stale=stale)
        if stale:  # tell live queries to read it again
            self._emit(StoreEvent("invalidated", key, entry))
        if previous is not None:
            changed = changed_items(previous.value, value)
            if changed:
                self._spread(key, changed)
                self.follow(key.resource, changed)
        return entry

    # ---------------------------------------------------------------------------------------
    # Polling and lifetime

    def poll(
        self,
        query: Query[Any],
        interval: float,
        **options: Any,
    ) -> Poller:
        """A :class:`Poller` for ``query`` (not started: call ``start()``)."""
        from .poller import Poller

        poller = Poller(self, query, interval, **options)
        self._pollers.add(poller)
        return poller

    def _forget_poller(self, poller: Poller) -> None:
        self._pollers.discard(poller)

    async def close(self) -> None:
        """Stop pollers and loads, close the disk cache."""
        self._closed = True
        for poller in list(self._pollers):
            await poller.stop()
        tasks = [t for t in self._inflight.values() if not t.done()]
        tasks += [t for t in self._background if not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._inflight.clear()
        if self.disk is not None:
            self.disk.close()
