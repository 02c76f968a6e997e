"""Reopening a sandbox database file in-process: its data is kept (even when another scale or
seed is asked for, which only logs), a database of an older schema is reseeded with a
warning, and ``reset`` reseeds; the JWT secret survives a reopen (tokens stay valid)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from preo_tui.sandbox.db import PAGE_SIZE
from preo_tui.sandbox.settings import SandboxSettings
from preo_tui.sandbox.state import SandboxState, peak_rss_mb
from tests.fixtures.sandbox import SANDBOX_NOW


def settings(path: Path, **changes: object) -> SandboxSettings:
    values: dict[str, object] = {
        "db": str(path),
        "scale": "tiny",
        "seed": 42,
        "seed_now": SANDBOX_NOW,
    }
    values.update(changes)
    return SandboxSettings(**values)


def test_reopen_keeps_reseeds_on_a_new_schema_and_on_reset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sandbox.sqlite3"
    first = SandboxState(settings(path))
    assert first.seeded_now
    marker = first.db.scalar("SELECT id FROM editions ORDER BY pk LIMIT 1")
    secret = first.db.get_meta("jwt_secret")
    first.db.execute("UPDATE editions SET name = 'kept' WHERE id = ?", (marker,))
    first.db.close()

    with caplog.at_level(logging.INFO, logger="preo_tui.sandbox"):
        again = SandboxState(settings(path, seed=7))
    assert not again.seeded_now
    assert again.db.scalar("SELECT name FROM editions WHERE id = ?", (marker,)) == "kept"
    assert again.db.get_meta("jwt_secret") == secret
    assert "keeping existing data (scale tiny, seed 42); use --reset to reseed" in caplog.text
    again.db.set_meta("schema_version", "0000")
    again.db.close()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="preo_tui.sandbox"):
        newer = SandboxState(settings(path))
    assert newer.seeded_now and "database schema changed: reseeding" in caplog.text
    assert newer.db.scalar("SELECT COUNT(*) FROM editions WHERE name = 'kept'") == 0
    newer.db.execute("UPDATE editions SET name = 'kept' WHERE id = ?", (marker,))
    newer.db.close()

    reset = SandboxState(settings(path, reset=True))
    assert reset.seeded_now
    assert reset.db.scalar("SELECT COUNT(*) FROM editions WHERE name = 'kept'") == 0
    reset.db.close()


def test_peak_memory_is_reported() -> None:
    assert peak_rss_mb() > 1.0


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every data table (``meta`` without its secret), sorted."""
    conn = sqlite3.connect(path)
    try:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE"
                " 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%search_%'"
            )
        ]
        out = {}
        for name in names:
            rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
            if name == "meta":
                rows = [r for r in rows if r[0] not in ("jwt_secret", "seeded_at")]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def test_a_file_of_another_page_size_is_rebuilt_when_reseeded(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    state = SandboxState(settings(fresh))
    assert state.db.scalar("PRAGMA page_size") == PAGE_SIZE
    state.db.close()
    # a file made by an older sandbox: SQLite's default page size, WAL, some other content
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE leftovers (x)")
    conn.executemany("INSERT INTO leftovers VALUES (?)", [(b"x" * 2000,)] * 500)
    conn.commit()
    conn.close()
    assert PAGE_SIZE != 4096
    state = SandboxState(settings(old))
    assert state.seeded_now
    assert state.db.scalar("PRAGMA page_size") == PAGE_SIZE
    assert state.db.scalar("PRAGMA journal_mode") == "wal"
    assert state.db.scalar("SELECT name FROM sqlite_master WHERE name = 'leftovers'") is None
    state.db.close()
    assert table_rows(old) == table_rows(fresh)  # the same seed, whatever the file was
    assert len(table_rows(old)["orders"]) > 100
