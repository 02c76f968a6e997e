"""The store's value types: :class:`Query` (what a screen shows and how to load it),
:class:`Entry` (a cached value with its age and state), :class:`StoreEvent` (what subscribers
hear), the store's errors, and the memory slots the store keeps internally."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

from preo_tui.api.errors import NetworkError, PreoError

from .keys import Key

T = TypeVar("T")

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


def entry_with(entry: Entry[T], **changes: Any) -> Entry[T]:
    """A copy of ``entry`` with fields changed (entries are frozen)."""
    return replace(entry, **changes)
