"""Reopening a sandbox database file in-process: its data is kept (even when another scale or
seed is asked for, which only logs), a database of an older schema is reseeded with a
warning, and ``reset`` reseeds; the JWT secret survives a reopen (tokens stay valid)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

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
