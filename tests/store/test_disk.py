"""The on-disk cache file on its own: stale siblings pruned, unusable files discarded and
recreated 0600, secrets refused, the row cap, and an error mid-session turning the cache off
(every later operation a no-op) instead of failing the store."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from preo_tui.store.disk import DiskCache, cache_file_name, prune_stale

NAME = cache_file_name("http://preo.test/", "usr_1")


def test_the_file_name_hashes_server_and_user() -> None:
    assert cache_file_name("http://preo.test", "usr_1") == NAME  # trailing slash ignored
    assert cache_file_name("http://preo.test", "usr_2") != NAME
    assert "preo" not in NAME and NAME.endswith(".sqlite3") and len(NAME) == 24 + 8


def test_prune_stale_removes_only_old_sibling_caches(tmp_path: Path) -> None:
    keep = tmp_path / NAME
    keep.write_text("")
    old = tmp_path / cache_file_name("http://old.test", "usr_1")
    old_wal = Path(f"{old}-wal")
    fresh = tmp_path / cache_file_name("http://new.test", "usr_1")
    stranger = tmp_path / "notes.txt"
    for path in (old, old_wal, fresh, stranger):
        path.write_text("x")
    long_ago = time.time() - 40 * 86400
    for path in (keep, old, old_wal, stranger):
        os.utime(path, (long_ago, long_ago))
    removed = prune_stale(tmp_path, keep)
    assert sorted(removed) == sorted([old, old_wal])
    assert keep.exists() and fresh.exists() and stranger.exists()
    assert prune_stale(tmp_path / "missing", keep) == []


def test_a_new_file_is_private_and_works(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "sub" / NAME, secrets=["tok_secret", ""])
    assert cache.enabled and cache.discarded is None and cache.disabled is None
    assert stat.S_IMODE((tmp_path / "sub" / NAME).stat().st_mode) == 0o600
    assert cache.put("k1", "refunds", "page", '{"a": 1}', 10.0, False)
    assert cache.put("k2", "refunds", "page", '{"a": 2}', 11.0, True)
    assert cache.put("k3", "orders", "item", "{}", 12.0, False)
    row = cache.get("k1")
    assert row is not None and (row.resource, row.payload, row.stale) == (
        "refunds",
        '{"a": 1}',
        False,
    )
    assert cache.get("nope") is None
    assert sorted(cache.keys("refunds")) == ["k1", "k2"]
    cache.mark_stale(["k1"])
    cache.mark_stale([])
    row = cache.get("k1")
    assert row is not None and row.stale
    cache.delete("k2")
    assert cache.count() == 2
    # A payload holding a secret is never written.
    assert not cache.put("k4", "auth", "item", '{"token": "tok_secret"}', 13.0, False)
    cache.set_secrets(["other"])
    assert cache.put("k4", "auth", "item", '{"token": "tok_secret"}', 13.0, False)
    cache.clear()
    assert cache.count() == 0
    cache.close()
    assert not cache.enabled
    cache.close()  # twice is fine


def test_the_row_cap_drops_the_oldest_entries(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / NAME, max_rows=10)
    for n in range(50):  # pruning runs every 50 writes
        cache.put(f"k{n}", "refunds", "page", "{}", float(n), False)
    assert cache.count() == 10
    assert sorted(cache.keys("refunds")) == sorted(f"k{n}" for n in range(40, 50))
    cache.close()


def test_the_data_survives_reopening(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / NAME)
    cache.put("k", "refunds", "page", "{}", 1.0, False)
    cache.close()
    again = DiskCache(tmp_path / NAME)
    assert again.discarded is None and again.get("k") is not None
    again.close()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 100)


def _old_format(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE cache (k TEXT)")
    conn.close()


def _other_version(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema', '0')")
    conn.close()


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        (_garbage, "DatabaseError"),
        (_old_format, "old cache format"),
        (_other_version, "cache schema 0, expected 1"),
    ],
)
def test_an_unusable_file_is_discarded_and_recreated(
    tmp_path: Path, spoil: Callable[[Path], None], why: str
) -> None:
    path = tmp_path / NAME
    spoil(path)
    cache = DiskCache(path)
    assert cache.discarded is not None and why in cache.discarded
    assert cache.enabled and cache.disabled is None
    assert cache.put("k", "refunds", "page", "{}", 1.0, False) and cache.count() == 1
    cache.close()


def test_a_directory_that_cannot_be_made_turns_the_cache_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = DiskCache(blocker / "cache" / NAME)
    assert not cache.enabled
    assert cache.disabled is not None and cache.disabled.startswith("cannot create")
    assert not cache.put("k", "r", "t", "{}", 1.0, False)
    assert cache.get("k") is None and cache.keys("r") == [] and cache.count() == 0
    cache.delete("k")
    cache.mark_stale(["k"])
    cache.clear()


def test_a_path_that_cannot_be_opened_turns_the_cache_off(tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()  # a directory where the file should be
    cache = DiskCache(tmp_path / NAME)
    assert not cache.enabled and cache.disabled is not None


OPERATIONS: dict[str, Callable[[DiskCache], Any]] = {
    "get": lambda c: c.get("k"),
    "put": lambda c: c.put("k2", "r", "t", "{}", 2.0, False),
    "delete": lambda c: c.delete("k"),
    "keys": lambda c: c.keys("r"),
    "mark_stale": lambda c: c.mark_stale(["k"]),
    "clear": lambda c: c.clear(),
    "count": lambda c: c.count(),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_an_error_mid_session_turns_the_cache_off(tmp_path: Path, operation: str) -> None:
    path = tmp_path / NAME
    cache = DiskCache(path)
    cache.put("k", "r", "t", "{}", 1.0, False)
    other = sqlite3.connect(path)
    other.execute("DROP TABLE entries")
    other.commit()
    other.close()
    OPERATIONS[operation](cache)
    assert not cache.enabled
    assert cache.disabled is not None and "OperationalError" in cache.disabled
    # From now on every operation is a quiet no-op.
    assert cache.get("k") is None and cache.count() == 0
    assert not cache.put("k3", "r", "t", "{}", 3.0, False)
