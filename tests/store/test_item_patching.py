"""Patching cached values after a write: an object replaced in single entries, plain lists
and pages (coerced to the cached model type), removed after a delete with the page's count
lowered, and invalidation by predicate reaching entries that are only on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from preo_tui.store import DiskCache, Key, Store, StoreEvent, TypeRegistry, cache_path

from .conftest import Item, ItemPage, page

SERVER = "http://127.0.0.1:8123"


class Detail(BaseModel):
    """A detail model of the same object, with more fields than the list row."""

    id: str
    name: str
    status: str = "requested"
    comment: str = ""


def make_store(tmp_path: Path) -> Store:
    disk = DiskCache(cache_path(SERVER, "usr_1", tmp_path / "cache"))
    return Store(disk, registry=TypeRegistry([ItemPage, Item, Detail]))


def key(resource: str, kind: str, **params: Any) -> Key:
    return Key.of(resource, {"kind": kind, **params})


async def test_update_item_everywhere_it_is_cached(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    events: list[StoreEvent] = []
    store.subscribe(events.append, resource="refunds")
    listed = key("refunds", "list", status="requested")
    single = key("refunds", "get", id="rfr_1")
    rows = key("refunds", "rows")
    other = key("refunds", "get", id="rfr_2")
    store.put(listed, page(Item(id="rfr_1", name="a"), Item(id="rfr_2", name="b")))
    store.put(single, Item(id="rfr_1", name="a"))
    store.put(rows, [Item(id="rfr_1", name="a"), "not a model"])
    store.put(other, Item(id="rfr_2", name="b"))

    events.clear()
    changed = Detail(id="rfr_1", name="a2", status="ready", comment="done")
    assert store.update_item("refunds", "rfr_1", changed) == 3
    first = store.peek(listed)
    assert first is not None and first.stale
    assert first.value.results[0] == Item(id="rfr_1", name="a2", status="ready")
    assert type(first.value.results[0]) is Item  # coerced to the cached row type
    one = store.peek(single)
    assert one is not None and one.value == Item(id="rfr_1", name="a2", status="ready")
    listed_rows = store.peek(rows)
    assert listed_rows is not None and listed_rows.value[0].name == "a2"
    untouched = store.peek(other)
    assert untouched is not None and not untouched.stale
    assert sorted(str(e.key.get("kind")) for e in events if e.kind == "updated") == [
        "get",
        "list",
        "rows",
    ]
    # Not stale when asked so (the answer is the server's own).
    store.update_item("refunds", "rfr_2", Item(id="rfr_2", name="b2"), stale=False)
    fresh = store.peek(other)
    assert fresh is not None and fresh.value.name == "b2" and not fresh.stale
    await store.close()


async def test_remove_item_after_a_delete(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    listed = key("refunds", "list")
    single = key("refunds", "get", id="rfr_1")
    rows = key("refunds", "rows")
    store.put(listed, page(Item(id="rfr_1", name="a"), Item(id="rfr_2", name="b"), count=40))
    store.put(single, Item(id="rfr_1", name="a"))
    store.put(rows, [Item(id="rfr_1", name="a")])
    assert store.remove_item("refunds", "rfr_1") == 3
    assert store.peek(single) is None  # the object itself is forgotten
    after = store.peek(listed)
    assert after is not None and after.stale
    assert [i.id for i in after.value.results] == ["rfr_2"] and after.value.count == 39
    remaining = store.peek(rows)
    assert remaining is not None and remaining.value == []
    assert store.remove_item("refunds", "rfr_404") == 0
    await store.close()


async def test_invalidate_by_predicate_reaches_disk_only_entries(tmp_path: Path) -> None:
    first = make_store(tmp_path)
    first.put(key("refunds", "list", edition="edt_1"), page(Item(id="rfr_1", name="a")))
    first.put(key("refunds", "list", edition="edt_2"), page(Item(id="rfr_2", name="b")))
    await first.close()

    store = make_store(tmp_path)  # a new session: both entries are on disk only
    in_memory = key("refunds", "list", edition="edt_3")
    store.put(in_memory, page())
    hit = store.invalidate("refunds", lambda k: k.get("edition") in ("edt_1", "edt_3"))
    assert hit == [in_memory]
    disk = store.disk
    assert disk is not None
    stale = {row.key: row.stale for k in disk.keys("refunds") if (row := disk.get(k)) is not None}
    assert stale == {
        key("refunds", "list", edition="edt_1").id: True,
        key("refunds", "list", edition="edt_2").id: False,
        in_memory.id: True,
    }
    store.forget()
    assert disk.count() == 0 and store.peek(in_memory) is None
    await store.close()
