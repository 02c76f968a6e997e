"""The store's cache: the memory LRU and the optional disk copy (:meth:`StoreBase.peek`,
:meth:`StoreBase.put`), the connection state, secrets kept out of disk and journal, and
subscriptions. Invalidation, writes and loading build on it (``invalidation.py``,
``writes.py``, ``core.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .disk import DiskCache
from .entries import Callback, Connection, Entry, Query, StoreEvent, _Slot, _Subscription
from .journal import Journal
from .keys import Key
from .links import LINKS, LinkRule
from .serial import SerialError, TypeRegistry

if TYPE_CHECKING:
    from .poller import Poller

log = logging.getLogger(__name__)

T = TypeVar("T")


class StoreBase:
    """Memory (LRU) plus optional disk cache, connection state and subscriptions."""

    def __init__(
        self,
        disk: DiskCache | None = None,
        *,
        registry: TypeRegistry | None = None,
        journal: Journal | None = None,
        max_entries: int = 256,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
        secrets: Iterable[str] = (),
        links: Mapping[str, LinkRule] | None = None,
    ) -> None:
        self.disk = disk
        self.links: Mapping[str, LinkRule] = LINKS if links is None else links
        self.registry = registry or TypeRegistry()
        self.journal = journal
        self.max_entries = max(1, max_entries)
        self.read_only = read_only
        self.clock = clock
        self._memory: OrderedDict[Key, _Slot] = OrderedDict()
        self._inflight: dict[Key, asyncio.Task[Entry[Any]]] = {}
        self._load_started: dict[Key, float] = {}
        self._generation: dict[str, int] = {}
        self._subscriptions: list[_Subscription] = []
        self._pollers: set[Poller] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._connection: Connection = "online"
        self._writes_in_flight = 0
        self._closed = False
        self.load_count = 0
        """Loads started (one per coalesced refresh); handy for tests and diagnostics."""
        self.set_secrets(secrets)

    # ---------------------------------------------------------------------------------------
    # State

    @property
    def connection(self) -> Connection:
        return self._connection

    @property
    def offline(self) -> bool:
        return self._connection == "offline"

    @property
    def writes_in_flight(self) -> int:
        return self._writes_in_flight

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Tell the store the current tokens: they are kept out of the disk cache and the
        journal. Call again after a token refresh."""
        values = tuple(s for s in secrets if s)
        if self.disk is not None:
            self.disk.set_secrets(values)
        if self.journal is not None:
            self.journal.set_secrets(values)

    def set_connection(self, state: Connection) -> None:
        if state != self._connection:
            self._connection = state
            self._emit(StoreEvent("connection", connection=state))

    def handle_connection_event(self, event: Any) -> None:
        """Feed a client ``ConnectionEvent`` (or its state as a string): ``online``,
        ``retrying``, ``offline``; ``tokens_refreshed`` counts as online; others are
        ignored."""
        kind = event
        if not isinstance(event, str):
            kind = getattr(event, "state", None) or getattr(event, "kind", None)
        kind = getattr(kind, "value", kind)
        if kind in ("online", "tokens_refreshed"):
            self.set_connection("online")
        elif kind == "retrying":
            if self._connection != "offline":
                self.set_connection("retrying")
        elif kind == "offline":
            self.set_connection("offline")

    # ---------------------------------------------------------------------------------------
    # Subscriptions

    def subscribe(
        self,
        callback: Callback,
        *,
        resource: str | None = None,
        key: Key | Query[Any] | None = None,
    ) -> Callable[[], None]:
        """Call ``callback(event)`` for events of ``key``, of ``resource``, or all (neither).
        Store-wide events (connection, writes) reach every subscriber. Returns the
        unsubscribe function."""
        sub = _Subscription(callback, resource, key.key if isinstance(key, Query) else key)
        self._subscriptions.append(sub)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscriptions.remove(sub)

        return unsubscribe

    def _emit(self, event: StoreEvent) -> None:
        for sub in list(self._subscriptions):
            if event.key is not None:
                if sub.key is not None and sub.key != event.key:
                    continue
                if sub.resource is not None and sub.resource != event.key.resource:
                    continue
            try:
                sub.callback(event)
            except Exception:
                log.exception("store subscriber failed on %s", event.kind)

    # ---------------------------------------------------------------------------------------
    # Reading

    def _entry(self, key: Key, slot: _Slot) -> Entry[Any]:
        return Entry(
            key=key,
            value=slot.value,
            fetched_at=slot.fetched_at,
            stale=slot.stale,
            offline=self.offline,
            error=slot.error,
            source=slot.source,
        )

    def _remember(self, key: Key, slot: _Slot) -> None:
        self._memory[key] = slot
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)

    def peek(self, query: Query[T] | Key) -> Entry[T] | None:
        """The cached entry, at once: memory first, then the disk cache; ``None`` if
        neither holds it (or the disk copy can no longer be rebuilt)."""
        key = query.key if isinstance(query, Query) else query
        slot = self._memory.get(key)
        if slot is not None:
            self._memory.move_to_end(key)
            return cast(Entry[T], self._entry(key, slot))
        if self.disk is None:
            return None
        row = self.disk.get(key.id)
        if row is None:
            return None
        tp = query.type if isinstance(query, Query) else None
        try:
            value = self.registry.decode(row.tag, row.payload, tp)
        except SerialError as exc:
            log.info("dropping cached %s: %s", key, exc)
            self.disk.delete(key.id)
            return None
        slot = _Slot(value, row.fetched_at, stale=row.stale, source="disk")
        self._remember(key, slot)
        return cast(Entry[T], self._entry(key, slot))

    def put(self, query: Query[T] | Key, value: T, *, stale: bool = False) -> Entry[T]:
        """Store a value for a key (as if loaded now) and notify subscribers."""
        key = query.key if isinstance(query, Query) else query
        slot = _Slot(value, self.clock(), stale=stale, source="network")
        self._remember(key, slot)
        self._persist(key, slot)
        entry = self._entry(key, slot)
        self._emit(StoreEvent("updated", key, entry))
        return cast(Entry[T], entry)

    def _persist(self, key: Key, slot: _Slot) -> None:
        if self.disk is None or not self.disk.enabled:
            return
        try:
            tag, payload = self.registry.encode(slot.value)
        except SerialError as exc:
            log.info("not caching %s on disk: %s", key, exc)
            return
        self.disk.put(key.id, key.resource, tag, payload, slot.fetched_at, slot.stale)
