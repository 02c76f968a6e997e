"""Seed data tells the truth about time (nothing in the future, modified >= created) and the
demo seed carries long real-world names (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from preo_tui.sandbox import clock
from preo_tui.sandbox.seed_fixups import LONG_CAMPAIGNS, add_long_names
from preo_tui.sandbox.settings import SandboxSettings
from preo_tui.sandbox.state import SandboxState

NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


def seeded() -> SandboxState:
    state = SandboxState(SandboxSettings(db=":memory:", scale="tiny", seed=7, seed_now=NOW))
    state.prepare()
    return state


def test_no_record_time_is_in_the_future_or_before_its_creation() -> None:
    db = seeded().db
    now = clock.iso(NOW)
    checked = 0
    for (table,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = {str(r[1]) for r in db.query(f'PRAGMA table_info("{table}")')}
        if not {"created", "modified"} <= columns:
            continue
        checked += 1
        assert not db.scalar(f'SELECT COUNT(*) FROM "{table}" WHERE created > ?', (now,)), table
        assert not db.scalar(f'SELECT COUNT(*) FROM "{table}" WHERE modified > ?', (now,)), table
        assert not db.scalar(f'SELECT COUNT(*) FROM "{table}" WHERE modified < created'), table
    assert checked >= 5


def test_long_names_are_added_once() -> None:
    db = seeded().db
    with db.transaction():
        add_long_names(db)
        add_long_names(db)
    names = [str(r[0]) for r in db.query("SELECT name FROM campaigns WHERE id LIKE 'cmp_long%'")]
    assert names == list(LONG_CAMPAIGNS)
    assert db.scalar("SELECT COUNT(*) FROM users WHERE email LIKE 'maria.fernanda%'") == 1
