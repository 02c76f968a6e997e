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
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel

from preo_tui.api.errors import (
    NetworkError,
    PreoError,
    RateLimited,
    ReadOnlyError,
    ServerError,
)

from .disk import DiskCache
from .journal import Journal, Outcome
from .keys import Key
from .links import LINKS, LinkRule, changed_items, holds, linked
from .serial import SerialError, TypeRegistry

if TYPE_CHECKING:
    from .poller import Poller

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Connection = Literal["online", "retrying", "offline"]
EventKind = Literal["updated", "invalidated", "error", "connection", "writes"]


class OfflineError(NetworkError):
    """A write refused (or a load impossible) because the server cannot be reached."""

    default_message = (
        "Offline: the server cannot be reached, so changes are disabled. "
        "The data shown is cached and may be out of date."
    )


class JournalError(PreoError):
    """A write refused because it could not be recorded in the journal first."""

    default_message = "The journal cannot be written; the change was not sent"


class StoreClosed(PreoError):
    default_message = "The data store is closed"


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A cached value with what the screen needs to show about it."""

    key: Key
    value: T
    fetched_at: float
    """Wall-clock time (``time.time()``) the value was loaded from the server."""
    stale: bool = False
    """Known out of date (a write affected it, or it came from an old session)."""
    offline: bool = False
    """The server could not be reached when this entry was handed out."""
    error: BaseException | None = None
    """The last refresh's failure, when the value is older than a failed attempt."""
    source: Literal["memory", "disk", "network"] = "memory"

    @property
    def age(self) -> float:
        """Seconds since the value was loaded."""
        return max(0.0, time.time() - self.fetched_at)

    def age_at(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


@dataclass(frozen=True, eq=False)
class Query(Generic[T]):
    """What a screen shows: a resource, its parameters and scope, and how to load it.

    ``resource`` should be the client's resource name (``"refunds"``); a single object is the
    same resource with ``params={"id": ...}``, so a write to that resource reaches both.
    ``type`` is optional: the type of the loaded value, used to rebuild it from disk when the
    type is not otherwise known (e.g. ``Page[RefundRequest]``).
    """

    resource: str
    loader: Callable[[], Awaitable[T]]
    params: Mapping[str, Any] | None = None
    organization: str | None = None
    edition: str | None = None
    type: Any = None
    key: Key = field(init=False)

    def __post_init__(self) -> None:
        key = Key.of(
            self.resource, self.params, organization=self.organization, edition=self.edition
        )
        object.__setattr__(self, "key", key)


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """What subscribers receive. ``key`` is ``None`` for store-wide events."""

    kind: EventKind
    key: Key | None = None
    entry: Entry[Any] | None = None
    error: BaseException | None = None
    connection: Connection | None = None
    writes_in_flight: int = 0


Callback = Callable[[StoreEvent], None]


@dataclass
class _Slot:
    value: Any
    fetched_at: float
    stale: bool = False
    error: BaseException | None = None
    source: Literal["memory", "disk", "network"] = "network"


@dataclass
class _Subscription:
    callback: Callback
    resource: str | None
    key: Key | None


class Store:
    """Memory (LRU) plus optional disk cache, refreshes, invalidation, writes, offline."""

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

    # ---------------------------------------------------------------------------------------
    # Invalidation and updates

    def _matching(
        self, resources: Iterable[str], predicate: Callable[[Key], bool] | None
    ) -> tuple[list[Key], list[str]]:
        """(memory keys, disk-only key ids) of the given resources matching ``predicate``."""
        wanted = set(resources)
        memory = [
            k for k in self._memory if k.resource in wanted and (predicate is None or predicate(k))
        ]
        disk_only: list[str] = []
        if self.disk is not None:
            in_memory = {k.id for k in memory}
            for resource in wanted:
                for key_id in self.disk.keys(resource):
                    if key_id in in_memory:
                        continue
                    if predicate is not None:
                        try:
                            if not predicate(Key.from_id(key_id)):
                                continue
                        except (ValueError, TypeError):
                            pass
                    disk_only.append(key_id)
        return memory, disk_only

    def invalidate(
        self,
        resource: str | Iterable[str],
        predicate: Callable[[Key], bool] | None = None,
    ) -> list[Key]:
        """Mark every cached query of ``resource`` (matching ``predicate``) stale, in memory
        and on disk; subscribers get ``invalidated`` (pollers refresh at once). Loads under
        way for these resources will store their result as stale. Returns the memory keys."""
        resources = [resource] if isinstance(resource, str) else list(resource)
        for name in resources:
            self._generation[name] = self._generation.get(name, 0) + 1
        memory, disk_only = self._matching(resources, predicate)
        for key in memory:
            self._memory[key].stale = True
        if self.disk is not None:
            self.disk.mark_stale([k.id for k in memory] + disk_only)
        for key in memory:
            self._emit(StoreEvent("invalidated", key, self._entry(key, self._memory[key])))
        return memory

    def update_item(
        self, resource: str, item_id: str, item: BaseModel, *, stale: bool = True
    ) -> int:
        """Replace the object ``item_id`` wherever it sits in cached values of ``resource``
        (single objects, lists, ``results`` of pages) with ``item``, so screens show the
        change at once. Patched entries are also marked ``stale`` (a changed object may no
        longer match a list's filter) so they are re-read; entries only on disk are marked
        stale. Returns the number of entries patched."""
        self._generation[resource] = self._generation.get(resource, 0) + 1
        patched = 0
        for key in [k for k in self._memory if k.resource == resource]:
            slot = self._memory[key]
            new_value, changed = _patch(slot.value, item_id, item)
            if not changed:
                continue
            slot.value = new_value
            slot.stale = slot.stale or stale
            patched += 1
            self._persist(key, slot)
            self._emit(StoreEvent("updated", key, self._entry(key, slot)))
        if self.disk is not None:
            in_memory = {k.id for k in self._memory if k.resource == resource}
            self.disk.mark_stale(k for k in self.disk.keys(resource) if k not in in_memory)
        return patched

    def remove_item(self, resource: str, item_id: str) -> int:
        """Drop the object ``item_id`` from cached lists/pages of ``resource`` (after a
        delete) and mark them stale; a cached single object of that id is forgotten."""
        self._generation[resource] = self._generation.get(resource, 0) + 1
        removed = 0
        for key in [k for k in self._memory if k.resource == resource]:
            slot = self._memory[key]
            if _item_id(slot.value) == item_id:
                del self._memory[key]
                if self.disk is not None:
                    self.disk.delete(key.id)
                self._emit(StoreEvent("invalidated", key, None))
                removed += 1
                continue
            new_value, changed = _remove_from(slot.value, item_id)
            if changed:
                slot.value = new_value
                slot.stale = True
                removed += 1
                self._persist(key, slot)
                self._emit(StoreEvent("updated", key, self._entry(key, slot)))
        return removed

    # -- invalidation that follows the data ----------------------------------------------------

    def follow(self, resource: str, items: Iterable[Any]) -> list[Key]:
        """Objects of ``resource`` were written or seen changed: every cached view showing an
        object that depends on them (``links``: a refund's order and purchase) is marked stale
        and its subscribers hear ``invalidated``. Returns the memory keys invalidated."""
        refs: list[tuple[str, str]] = []
        for item in items:
            for ref in linked(resource, item, self.links):
                if ref not in refs:
                    refs.append(ref)
        return self.invalidate_objects(refs)

    def invalidate_objects(self, refs: Iterable[tuple[str, str]]) -> list[Key]:
        """Mark stale every cached view of the objects ``(resource, id)``: single objects,
        lists and pages holding them (also nested, as an order holds its purchases), and
        queries whose parameters name the id; the same on disk."""
        done: list[Key] = []
        for resource, item_id in refs:
            self._generation[resource] = self._generation.get(resource, 0) + 1
            for key in [k for k in self._memory if k.resource == resource]:
                slot = self._memory[key]
                if item_id in key.param_dict.values() or holds(slot.value, item_id):
                    slot.stale = True
                    if key not in done:
                        done.append(key)
            if self.disk is not None:
                in_memory = {k.id for k in self._memory}
                self.disk.mark_stale(
                    k for k in self.disk.keys(resource) if k not in in_memory and item_id in k
                )
            # Nested copies (an order detail holding the purchase) live under other resources.
            for key in [k for k in self._memory if k.resource != resource and k not in done]:
                if holds(self._memory[key].value, item_id):
                    self._memory[key].stale = True
                    done.append(key)
        if self.disk is not None:
            self.disk.mark_stale([k.id for k in done])
        for key in done:
            self._emit(StoreEvent("invalidated", key, self._entry(key, self._memory[key])))
        return done

    def _spread(self, source: Key, items: Iterable[BaseModel]) -> None:
        """A refresh of ``source`` showed ``items`` changed: other cached views of the same
        resource holding them get the new value at once (and are marked stale, since a
        changed object may no longer match a list's filter)."""
        for item in items:
            item_id = _item_id(item)
            if item_id is None:
                continue
            for key in [k for k in self._memory if k.resource == source.resource and k != source]:
                slot = self._memory[key]
                new_value, changed = _patch(slot.value, item_id, item)
                if not changed or new_value == slot.value:
                    continue
                slot.value = new_value
                slot.stale = True
                self._persist(key, slot)
                self._emit(StoreEvent("updated", key, self._entry(key, slot)))

    def forget(self) -> None:
        """Drop everything cached (memory and disk), e.g. after signing out."""
        self._memory.clear()
        if self.disk is not None:
            self.disk.clear()

    # ---------------------------------------------------------------------------------------
    # Writes

    async def write(
        self,
        call: Callable[[str], Awaitable[R]],
        *,
        resource: str,
        action: str,
        object_ids: Sequence[str] = (),
        summary: str = "",
        idempotency_key: str | None = None,
        invalidates: Iterable[str] = (),
        update: bool = True,
        journal_id: str | None = None,
        operation: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> R:
        """Run one logical write: ``await call(idempotency_key)``.

        Refused with :class:`ReadOnlyError` on a read-only store and :class:`OfflineError`
        while offline (nothing sent, nothing journalled). Otherwise journalled as
        ``pending`` before the request and with its outcome after: ``ok``; ``failed`` for a
        definite refusal (4xx, validation, conflict); ``unknown`` when the request may or may
        not have been applied (network failure, 5xx, cancellation) — retry with the same
        ``idempotency_key`` or re-read the object. Counted in ``writes_in_flight`` while it
        runs. On success, a returned model with an ``id`` is patched into the cache
        (``update_item``) and ``resource`` plus ``invalidates`` are invalidated.

        To retry an action whose outcome was ``unknown``, pass its ``idempotency_key`` and
        its ``journal_id`` (the entry's ``action_id``): the journal then shows one action with
        two attempts, and the server applies it at most once.

        ``operation`` and ``args`` (the client operation key and its JSON arguments) are
        journalled so that the action can be resolved or resent after a restart
        (``preo_tui.actions``).
        """
        if self.read_only:
            raise ReadOnlyError(f"Read-only profile: {summary or action} was not sent")
        if self.offline:
            raise OfflineError()
        key = idempotency_key or str(uuid.uuid4())
        entry_id: str | None = None
        if self.journal is not None:
            try:
                # The disk sync runs in a thread: the UI keeps drawing while it happens.
                begun = await asyncio.to_thread(
                    functools.partial(
                        self.journal.begin,
                        resource=resource,
                        action=action,
                        object_ids=object_ids,
                        summary=summary,
                        idempotency_key=key,
                        action_id=journal_id,
                        operation=operation,
                        args=args,
                    )
                )
                entry_id = begun.action_id
            except OSError as exc:
                # Never send what could not be recorded: after a crash it would be invisible.
                raise JournalError(
                    f"The journal ({self.journal.path}) cannot be written "
                    f"({exc.strerror or exc}); {summary or action} was not sent"
                ) from None
        self._writes_in_flight += 1
        self._emit(StoreEvent("writes", writes_in_flight=self._writes_in_flight))
        try:
            result = await call(key)
        except asyncio.CancelledError:
            # No awaiting while being cancelled: record the outcome synchronously.
            self._journal_outcome(entry_id, *_classify_failure(asyncio.CancelledError()))
            raise
        except BaseException as exc:
            outcome, message = _classify_failure(exc)
            await self._journal_outcome_async(entry_id, outcome, message)
            raise
        finally:
            self._writes_in_flight -= 1
            self._emit(StoreEvent("writes", writes_in_flight=self._writes_in_flight))
        await self._journal_outcome_async(entry_id, "ok", None)
        if update:
            items = result if isinstance(result, list) else [result]
            for item in items:
                item_id = _item_id(item)
                if isinstance(item, BaseModel) and item_id is not None:
                    self.update_item(resource, item_id, item)
        self.invalidate([resource, *[r for r in invalidates if r != resource]])
        if update:
            self.follow(resource, result if isinstance(result, list) else [result])
        return result

    async def _journal_outcome_async(
        self, journal_id: str | None, outcome: Outcome, error: str | None
    ) -> None:
        if self.journal is None or journal_id is None:
            return
        try:
            await asyncio.to_thread(self.journal.finish, journal_id, outcome, error)
        except OSError:
            log.exception("could not journal the outcome of %s", journal_id)

    def _journal_outcome(self, journal_id: str | None, outcome: Outcome, error: str | None) -> None:
        if self.journal is None or journal_id is None:
            return
        try:
            self.journal.finish(journal_id, outcome, error)
        except OSError:
            log.exception("could not journal the outcome of %s", journal_id)

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


def _classify_failure(exc: BaseException) -> tuple[Outcome, str]:
    message = exc.message if isinstance(exc, PreoError) else (str(exc) or type(exc).__name__)
    if isinstance(exc, asyncio.CancelledError):
        return "unknown", "interrupted before the answer arrived"
    if isinstance(exc, NetworkError | ServerError):
        return "unknown", message
    if isinstance(exc, RateLimited):
        return "failed", message
    if isinstance(exc, PreoError):
        return "failed", message
    return "unknown", f"{type(exc).__name__}: {message}"


def _item_id(value: Any) -> str | None:
    item_id = getattr(value, "id", None) if isinstance(value, BaseModel) else None
    return item_id if isinstance(item_id, str) else None


def _coerce(item: BaseModel, like: BaseModel) -> BaseModel:
    """``item`` as the model type of ``like`` (a detail model may differ from a list row)."""
    if type(item) is type(like):
        return item
    try:
        return type(like).model_validate(item.model_dump(by_alias=True))
    except Exception:
        return item


def _patch(value: Any, item_id: str, item: BaseModel) -> tuple[Any, bool]:
    if isinstance(value, BaseModel):
        if _item_id(value) == item_id:
            return _coerce(item, value), True
        results = getattr(value, "results", None)
        if isinstance(results, list):
            new_results, changed = _patch(results, item_id, item)
            if changed:
                return value.model_copy(update={"results": new_results}), True
        return value, False
    if isinstance(value, list):
        changed = False
        out = []
        for element in value:
            if isinstance(element, BaseModel) and _item_id(element) == item_id:
                out.append(_coerce(item, element))
                changed = True
            else:
                out.append(element)
        return (out, True) if changed else (value, False)
    return value, False


def _remove_from(value: Any, item_id: str) -> tuple[Any, bool]:
    if isinstance(value, list):
        out = [v for v in value if _item_id(v) != item_id]
        return (out, True) if len(out) != len(value) else (value, False)
    if isinstance(value, BaseModel):
        results = getattr(value, "results", None)
        if isinstance(results, list):
            new_results, changed = _remove_from(results, item_id)
            if changed:
                update: dict[str, Any] = {"results": new_results}
                count = getattr(value, "count", None)
                if isinstance(count, int) and not isinstance(count, bool):
                    update["count"] = max(0, count - 1)
                return value.model_copy(update=update), True
    return value, False


def entry_with(entry: Entry[T], **changes: Any) -> Entry[T]:
    """A copy of ``entry`` with fields changed (entries are frozen)."""
    return replace(entry, **changes)
