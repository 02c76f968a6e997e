"""The store: stale-while-revalidate, coalescing, invalidation, writes, offline, disk cache."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from preo_tui.api import ConnectionEvent, ConnectionState
from preo_tui.api.errors import Conflict, NetworkError, ReadOnlyError, ServerError
from preo_tui.store import (
    DiskCache,
    Journal,
    JournalError,
    Key,
    OfflineError,
    Query,
    Store,
    StoreEvent,
    TypeRegistry,
    cache_path,
    open_store,
)
from preo_tui.store.disk import SCHEMA_VERSION

from .conftest import GatedLoader, Item, ItemPage, page, wait_until

SERVER = "http://127.0.0.1:8123"


def registry() -> TypeRegistry:
    return TypeRegistry([ItemPage, Item])


def make_store(tmp_path: Path, **kw: object) -> Store:
    disk = DiskCache(cache_path(SERVER, "usr_1", tmp_path / "cache"))
    return Store(disk, registry=registry(), **kw)  # type: ignore[arg-type]


def refunds_query(loader: object, **params: object) -> Query[object]:
    return Query("refunds", loader, params={"status": "requested", **params}, edition="edt_1")  # type: ignore[arg-type]


async def test_cache_hit_is_returned_before_the_network_answers(tmp_path: Path) -> None:
    old = page(Item(id="rfr_1", name="old"))
    new = page(Item(id="rfr_1", name="new"))
    first = make_store(tmp_path)
    first.put(refunds_query(GatedLoader(old)), old)
    await first.close()

    # A new session: the cache is on disk only, and the server is slow.
    store = make_store(tmp_path)
    loader = GatedLoader(new)
    updates: list[StoreEvent] = []
    store.subscribe(updates.append, resource="refunds")
    q = refunds_query(loader)

    entry = await store.get(q)
    assert entry.value == old and entry.source == "disk"
    await wait_until(lambda: loader.calls == 1)
    assert store.in_flight(q)
    assert not any(e.kind == "updated" for e in updates)

    loader.gate.set()
    await wait_until(lambda: any(e.kind == "updated" for e in updates))
    fresh = store.peek(q)
    assert fresh is not None and fresh.value == new and fresh.source == "network"
    await store.close()


async def test_get_waits_when_nothing_is_cached_and_is_fresh_within_max_age(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path)
    loader = GatedLoader(page(Item(id="rfr_1", name="a")))
    q = refunds_query(loader)
    waiting = asyncio.ensure_future(store.get(q))
    await wait_until(lambda: loader.calls == 1)
    assert not waiting.done()
    loader.gate.set()
    entry = await waiting
    assert entry.value.results[0].name == "a"  # type: ignore[attr-defined]
    # Fresh enough: no second load.
    again = await store.get(q, max_age=60)
    assert again.value == entry.value and loader.calls == 1
    await store.close()


async def test_overlapping_refreshes_are_coalesced(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    loader = GatedLoader(page(Item(id="rfr_1", name="a")))
    q = refunds_query(loader)
    same = refunds_query(loader)  # an equal query built elsewhere shares the key
    callers = [asyncio.ensure_future(store.refresh(x)) for x in (q, same, q, same, q)]
    await wait_until(lambda: loader.calls == 1)
    for _ in range(20):
        await asyncio.sleep(0)
    assert loader.calls == 1
    callers[0].cancel()  # one caller giving up does not cancel the shared load
    loader.gate.set()
    results = await asyncio.gather(*callers[1:])
    assert loader.calls == 1 and store.load_count == 1
    assert all(r.value is results[0].value for r in results)
    # Once finished, a new refresh loads again.
    await store.refresh(q)
    assert loader.calls == 2
    await store.close()


async def test_different_params_are_different_keys(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    loader = GatedLoader(page())
    loader.gate.set()
    await store.refresh(refunds_query(loader, ordering="created"))
    await store.refresh(refunds_query(loader, ordering="-created"))
    assert loader.calls == 2
    q = Query(
        "refunds",
        loader,
        params={"ordering": "created", "status": "requested", "x": None},
        edition="edt_1",
    )
    assert store.peek(q) is not None  # None values are dropped, order does not matter
    await store.close()


async def test_write_updates_and_invalidates_affected_queries(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", profile="sandbox", server=SERVER)
    store = make_store(tmp_path, journal=journal)
    loader = GatedLoader(page(Item(id="rfr_1", name="a"), Item(id="rfr_2", name="b")))
    loader.gate.set()
    q = refunds_query(loader)
    detail = Query("refunds", GatedLoader(Item(id="rfr_1", name="a")), params={"id": "rfr_1"})
    other = Query("orders", GatedLoader(page()), params={})
    await store.refresh(q)
    store.put(detail, Item(id="rfr_1", name="a"))
    store.put(other, page())
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    seen_in_flight: list[int] = []

    async def approve(key: str) -> Item:
        seen_in_flight.append(store.writes_in_flight)
        assert key == "idem-1"
        return Item(id="rfr_1", name="a", status="approved")

    result = await store.write(
        approve,
        resource="refunds",
        action="approve",
        object_ids=["rfr_1"],
        summary="approve rfr_1",
        idempotency_key="idem-1",
        invalidates=["orders"],
    )
    assert result.status == "approved"
    assert seen_in_flight == [1] and store.writes_in_flight == 0
    listed = store.peek(q)
    assert listed is not None and listed.stale
    assert [i.status for i in listed.value.results] == ["approved", "requested"]  # type: ignore[attr-defined]
    single = store.peek(detail)
    assert single is not None and single.value.status == "approved"  # type: ignore[attr-defined]
    orders = store.peek(other)
    assert orders is not None and orders.stale
    kinds = [(e.kind, e.key.resource if e.key else None) for e in events]
    assert ("invalidated", "orders") in kinds and ("updated", "refunds") in kinds
    assert [e.writes_in_flight for e in events if e.kind == "writes"] == [1, 0]
    (entry,) = journal.read()
    assert entry.outcome == "ok" and entry.object_ids == ["rfr_1"]
    assert entry.idempotency_key == "idem-1" and entry.profile == "sandbox"
    await store.close()


async def test_stale_entry_triggers_background_refresh(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    loader = GatedLoader(page(Item(id="rfr_1", name="a")), page(Item(id="rfr_1", name="b")))
    loader.gate.set()
    q = refunds_query(loader)
    await store.refresh(q)
    store.invalidate("refunds")
    entry = await store.get(q, max_age=3600)  # stale beats max_age
    assert entry.stale and entry.value.results[0].name == "a"  # type: ignore[attr-defined]
    await wait_until(lambda: loader.calls == 2 and not store.in_flight(q))
    fresh = store.peek(q)
    assert fresh is not None and not fresh.stale
    assert fresh.value.results[0].name == "b"  # type: ignore[attr-defined]
    await store.close()


async def test_load_in_flight_during_a_write_is_stored_stale(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    loader = GatedLoader(page(Item(id="rfr_1", name="before")))
    q = refunds_query(loader)
    pending = asyncio.ensure_future(store.refresh(q))
    await wait_until(lambda: loader.calls == 1)
    store.invalidate("refunds", lambda key: key.edition == "edt_1")
    loader.gate.set()
    entry = await pending
    assert entry.stale
    await store.close()


async def test_write_failures_are_journalled_with_their_outcome(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", profile="p", server=SERVER)
    store = make_store(tmp_path, journal=journal)

    async def conflict(key: str) -> None:
        raise Conflict(
            "Refund request is already approved", method="POST", path="/v1/x", status=409
        )

    async def dropped(key: str) -> None:
        raise NetworkError("connection reset", method="POST", path="/v1/x")

    async def broken(key: str) -> None:
        raise ServerError("bad gateway", status=502)

    with pytest.raises(Conflict):
        await store.write(conflict, resource="refunds", action="approve", object_ids=["rfr_1"])
    with pytest.raises(NetworkError):
        await store.write(dropped, resource="refunds", action="reject", object_ids=["rfr_2"])
    with pytest.raises(ServerError):
        await store.write(broken, resource="refunds", action="approve", object_ids=["rfr_3"])
    outcomes = {e.object_ids[0]: (e.outcome, e.error) for e in journal.read()}
    assert outcomes == {
        "rfr_1": ("failed", "Refund request is already approved"),
        "rfr_2": ("unknown", "connection reset"),
        "rfr_3": ("unknown", "bad gateway"),
    }
    assert store.writes_in_flight == 0
    await store.close()


async def test_read_only_store_refuses_writes_without_sending(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    store = make_store(tmp_path, journal=journal, read_only=True)
    calls: list[str] = []

    async def call(key: str) -> None:
        calls.append(key)

    with pytest.raises(ReadOnlyError, match="Read-only"):
        await store.write(call, resource="refunds", action="approve")
    assert calls == [] and journal.read() == []
    await store.close()


async def test_offline_serves_cache_and_refuses_writes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    store = make_store(tmp_path, journal=journal)
    loader = GatedLoader(page(Item(id="rfr_1", name="a")))
    loader.gate.set()
    q = refunds_query(loader)
    await store.refresh(q)
    events: list[StoreEvent] = []
    store.subscribe(events.append)

    loader.error = NetworkError(
        "All connection attempts failed", method="GET", path="/v1/refund-requests"
    )
    with pytest.raises(NetworkError):
        await store.refresh(q)
    assert store.offline and store.connection == "offline"
    assert [e.connection for e in events if e.kind == "connection"] == ["offline"]
    error_events = [e for e in events if e.kind == "error"]
    assert error_events and error_events[0].entry is not None

    entry = await store.get(q)  # cached data keeps being served, marked offline
    assert entry.offline and entry.value.results[0].name == "a"  # type: ignore[attr-defined]
    assert isinstance(entry.error, NetworkError)
    await wait_until(lambda: not store.in_flight(q))

    sent: list[str] = []

    async def approve(key: str) -> None:
        sent.append(key)

    with pytest.raises(OfflineError, match="Offline"):
        await store.write(approve, resource="refunds", action="approve")
    assert sent == [] and journal.read() == []

    # Nothing cached for another view: a clear offline error, not a traceback.
    empty = Query("orders", GatedLoader(page()))
    empty.loader.error = NetworkError("refused")  # type: ignore[attr-defined]
    empty.loader.gate.set()  # type: ignore[attr-defined]
    with pytest.raises(OfflineError, match="nothing is cached"):
        await store.get(empty)

    # The server answers again: online, writes allowed.
    loader.error = None
    await store.refresh(q)
    assert store.connection == "online"
    await store.write(approve, resource="refunds", action="approve")
    assert len(sent) == 1
    await store.close()


async def test_connection_events_from_the_client(tmp_path: Path) -> None:
    store = make_store(tmp_path)

    store.handle_connection_event(ConnectionEvent(ConnectionState.RETRYING))
    assert store.connection == "retrying"
    store.handle_connection_event("offline")
    store.handle_connection_event("retrying")  # still offline until something answers
    assert store.connection == "offline"
    store.handle_connection_event("auth_expired")
    assert store.connection == "offline"
    store.handle_connection_event(ConnectionEvent(ConnectionState.ONLINE))
    assert store.connection == "online"
    await store.close()


async def test_update_and_remove_item_patch_cached_pages(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    q = refunds_query(GatedLoader(None))
    store.put(q, page(Item(id="a", name="a"), Item(id="b", name="b")))
    assert store.update_item("refunds", "b", Item(id="b", name="B")) == 1
    assert store.update_item("refunds", "zzz", Item(id="zzz", name="z")) == 0
    entry = store.peek(q)
    assert entry is not None and [i.name for i in entry.value.results] == ["a", "B"]  # type: ignore[attr-defined]
    assert store.remove_item("refunds", "a") == 1
    entry = store.peek(q)
    assert entry is not None and [i.id for i in entry.value.results] == ["b"]  # type: ignore[attr-defined]
    assert entry.value.count == 1  # type: ignore[attr-defined]
    await store.close()


async def test_memory_is_bounded_and_disk_keeps_the_rest(tmp_path: Path) -> None:
    store = make_store(tmp_path, max_entries=2)
    queries = [Query("orders", GatedLoader(None), params={"page": n}) for n in range(5)]
    for n, q in enumerate(queries):
        store.put(q, page(Item(id=f"o{n}", name=str(n))))
    assert len(store._memory) == 2
    entry = store.peek(queries[0])
    assert entry is not None and entry.source == "disk"
    assert entry.value.results[0].id == "o0"  # type: ignore[attr-defined]
    await store.close()


async def test_disk_entry_survives_sessions_with_age_and_stale_flag(tmp_path: Path) -> None:
    clock = [1000.0]
    first = make_store(tmp_path, clock=lambda: clock[0])
    q = refunds_query(GatedLoader(None))
    first.put(q, page(Item(id="a", name="a")))
    first.put(Query("orders", GatedLoader(None)), page())
    first.invalidate("orders")
    await first.close()
    second = make_store(tmp_path)
    entry = second.peek(q)
    assert entry is not None and entry.fetched_at == 1000.0 and entry.age_at(1042.0) == 42.0
    orders = second.peek(Key.of("orders"))
    assert orders is not None and orders.stale
    await second.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "old-format", "other-version"])
async def test_corrupt_or_old_cache_file_is_discarded(tmp_path: Path, damage: str) -> None:
    path = cache_path(SERVER, "usr_1", tmp_path / "cache")
    store = make_store(tmp_path)
    store.put(refunds_query(GatedLoader(None)), page(Item(id="a", name="a")))
    await store.close()
    if damage == "garbage":
        path.write_bytes(b"this is not a database\x00" * 100)
    elif damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[:1000])
    elif damage == "old-format":
        path.unlink()
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE cache (k TEXT, v BLOB)")
    else:
        with sqlite3.connect(path) as conn:
            conn.execute(
                "UPDATE meta SET value = ? WHERE name = 'schema'", (str(SCHEMA_VERSION + 1),)
            )

    disk = DiskCache(path)
    assert disk.discarded is not None and disk.enabled
    store = Store(disk, registry=registry())
    assert store.peek(refunds_query(GatedLoader(None))) is None
    q = refunds_query(GatedLoader(None))
    store.put(q, page(Item(id="b", name="b")))
    await store.close()
    again = Store(DiskCache(path), registry=registry())
    entry = again.peek(q)
    assert entry is not None and entry.value.results[0].id == "b"  # type: ignore[attr-defined]
    assert again.disk is not None and again.disk.discarded is None
    await again.close()


async def test_unrebuildable_disk_entry_is_a_miss(tmp_path: Path) -> None:
    path = cache_path(SERVER, "usr_1", tmp_path / "cache")
    store = make_store(tmp_path)
    q = refunds_query(GatedLoader(None))
    store.put(q, page(Item(id="a", name="a")))
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE entries SET payload = '{\"results\": 5}'")
    again = make_store(tmp_path)
    assert again.peek(q) is None
    assert again.disk is not None and again.disk.count() == 0
    await again.close()


async def test_disk_error_mid_session_falls_back_to_memory(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    assert store.disk is not None
    store.disk._conn.close()
    q = refunds_query(GatedLoader(None))
    store.put(q, page(Item(id="a", name="a")))
    assert store.disk.disabled is not None and not store.disk.enabled
    assert store.peek(q) is not None
    await store.close()


async def test_cache_never_holds_tokens(tmp_path: Path) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-ABCDEF123456"
    store = open_store(SERVER, "usr_1", cache_dir=tmp_path / "cache", secrets=[token])
    store.registry.register(ItemPage)
    ok = refunds_query(GatedLoader(None))
    store.put(ok, page(Item(id="a", name="a")))
    # A value that (wrongly) carries the token is kept in memory but never written to disk.
    leaky = Query("auth", GatedLoader(None))
    store.put(leaky, Item(id="me", name=f"Bearer {token}"))
    await store.close()
    files = list((tmp_path / "cache").iterdir())
    assert files and all(f.name.endswith(("sqlite3", "-wal", "-shm")) for f in files)
    for file in files:
        assert token.encode() not in file.read_bytes()
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0
    reopened = open_store(SERVER, "usr_1", cache_dir=tmp_path / "cache")
    reopened.registry.register(ItemPage)
    assert reopened.peek(ok) is not None and reopened.peek(leaky) is None
    await reopened.close()


async def test_cache_file_is_private_and_named_by_hash(tmp_path: Path) -> None:
    store = open_store("https://api.preo.cloud", "usr_secret_name", cache_dir=tmp_path / "c")
    await store.close()
    (file,) = [f for f in (tmp_path / "c").iterdir() if f.suffix == ".sqlite3"]
    assert "preo" not in file.name and "usr" not in file.name
    assert file.stat().st_mode & 0o777 == 0o600
    other = cache_path("https://api.preo.cloud", "usr_other", tmp_path / "c")
    assert other != file


async def test_subscriber_errors_do_not_break_the_store(tmp_path: Path) -> None:
    store = make_store(tmp_path)

    def boom(event: StoreEvent) -> None:
        raise RuntimeError("subscriber bug")

    seen: list[str] = []
    store.subscribe(boom)
    unsubscribe = store.subscribe(
        lambda e: seen.append(e.kind), key=refunds_query(GatedLoader(None))
    )
    store.put(refunds_query(GatedLoader(None)), page())
    store.put(Query("orders", GatedLoader(None)), page())  # another key: not delivered
    unsubscribe()
    store.put(refunds_query(GatedLoader(None)), page())
    assert seen == ["updated"]
    await store.close()


async def test_memory_only_store(tmp_path: Path) -> None:
    store = open_store(SERVER, "u", disk=False)
    loader = GatedLoader(page(Item(id="a", name="a")))
    loader.gate.set()
    q = refunds_query(loader)
    await store.refresh(q)
    assert store.disk is None and store.peek(q) is not None
    assert not (tmp_path / "cache").exists()
    await store.close()


async def test_a_write_that_cannot_be_journalled_is_not_sent(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the journal's directory should be")
    store = make_store(tmp_path, journal=Journal(blocked / "journal.jsonl"))
    sent: list[str] = []

    async def call(key: str) -> None:
        sent.append(key)

    with pytest.raises(JournalError, match="was not sent"):
        await store.write(call, resource="refunds", action="approve", summary="approve rfr_1")
    assert sent == [] and store.writes_in_flight == 0
    await store.close()


async def test_an_error_answer_means_the_server_is_back(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.set_connection("offline")
    loader = GatedLoader(None)
    loader.gate.set()
    loader.error = ServerError("boom", status=503)
    with pytest.raises(ServerError):
        await store.refresh(refunds_query(loader))
    assert store.connection == "online"
    await store.close()


async def test_a_cancelled_write_is_journalled_as_unknown(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    store = make_store(tmp_path, journal=journal)
    started = asyncio.Event()

    async def hangs(key: str) -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(store.write(hangs, resource="refunds", action="approve"))
    await started.wait()
    assert store.writes_in_flight == 1 and journal.read()[0].outcome == "pending"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (entry,) = journal.read()
    assert entry.outcome == "unknown" and entry.error == "interrupted before the answer arrived"
    assert store.writes_in_flight == 0
    await store.close()
