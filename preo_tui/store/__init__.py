"""The cached state store: the single place screens get data from.

Keyed by resource and query, in memory and in an on-disk SQLite cache (one per server and
user, never holding tokens), with stale-while-revalidate refreshes that never overlap, backoff
while the server fails, invalidation on writes and an offline fallback. It may import
``preo_tui.api`` and the standard library; never Textual or ``preo_tui.ui``.

Typical use (see ``core.Store`` for the details)::

    store = open_store(server=profile.server, user=user_id, secrets=tokens.secrets,
                       journal=Journal(profile=profile.name, server=profile.server))
    q = Query("refunds", lambda: preo.refunds.list(status="requested"),
              params={"status": "requested"}, edition=edition_id)
    entry = store.peek(q)               # at once, with entry.age
    entry = await store.get(q)          # cached now, refreshed in the background
    poller = store.poll(q, interval=10).start()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .core import (
    Connection,
    Entry,
    JournalError,
    OfflineError,
    Query,
    Store,
    StoreClosed,
    StoreEvent,
)
from .disk import SCHEMA_VERSION, DiskCache, cache_file_name, prune_stale
from .journal import Journal, JournalEntry, Outcome
from .keys import Key, normalize_params
from .poller import LiveQuery, Poller
from .serial import SerialError, TypeRegistry


def cache_path(server: str, user: str, directory: Path | None = None) -> Path:
    """The cache file of ``user`` on ``server`` (names hashed) in the cache directory."""
    if directory is None:
        from preo_tui.config import cache_dir

        directory = cache_dir()
    return directory / cache_file_name(server, user)


def open_store(
    server: str,
    user: str,
    *,
    cache_dir: Path | None = None,
    disk: bool = True,
    secrets: Iterable[str] = (),
    journal: Journal | None = None,
    read_only: bool = False,
    max_entries: int = 256,
    env: Mapping[str, str] | None = None,
) -> Store:
    """A store for ``user`` on ``server`` with its disk cache (unless ``disk=False``).
    Never fails because of the cache file: a broken one is recreated, an unusable one
    leaves the store in memory only (see ``store.disk.disabled``)."""
    disk_cache: DiskCache | None = None
    if disk:
        if cache_dir is None:
            from preo_tui.config import cache_dir as default_cache_dir

            cache_dir = default_cache_dir(env)
        path = cache_path(server, user, cache_dir)
        disk_cache = DiskCache(path, secrets=secrets)
        prune_stale(cache_dir, path)
    return Store(
        disk_cache,
        journal=journal,
        read_only=read_only,
        max_entries=max_entries,
        secrets=secrets,
    )


__all__ = [
    "SCHEMA_VERSION",
    "Connection",
    "DiskCache",
    "Entry",
    "Journal",
    "JournalEntry",
    "JournalError",
    "Key",
    "LiveQuery",
    "OfflineError",
    "Outcome",
    "Poller",
    "Query",
    "SerialError",
    "Store",
    "StoreClosed",
    "StoreEvent",
    "TypeRegistry",
    "cache_file_name",
    "cache_path",
    "normalize_params",
    "open_store",
]
