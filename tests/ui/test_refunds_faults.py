"""Exactly once under faults: with the sandbox failing 20% of requests (5xx before and after
the commit, dropped connections), bulk-approving 50 refund requests — retrying what failed, as
an operator would — ends with exactly 50 approvals on the server (its state-change records),
every row showing its outcome, and the journal matching."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from preo_tui.store import Journal
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_screen,
    wait_until,
)
from tests.ui.helpers import open_refunds, quick_refund_polls

BULK = 50


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)


async def test_bulk_approve_50_under_20_percent_faults_is_exactly_once(
    frozen_clock: Any, isolated_dirs: Dirs
) -> None:
    backend = SandboxBackend(requested_refunds=60, refund_failure_rate=0.0, fault_seed=20260703)
    app = AppFactory(backend, isolated_dirs)()
    db = backend.state.db
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot, detail=False)
        await pilot.press("space", *["shift+down"] * (BULK - 2))
        target = set(screen.table.marks)
        assert len(target) == BULK
        faults = backend.state.faults
        faults.config = faults.config.model_copy(
            update={
                "error_rate": 0.2,
                "kinds": ["500", "502", "503", "drop"],
                "after_commit_ratio": 0.5,
            }
        )
        rounds = 0
        while screen.table.marks & target:
            rounds += 1
            assert rounds <= 10, f"still marked after 10 rounds: {screen.table.marks & target}"
            # Back online (a refresh reaches the server) and nothing left to check.
            await wait_until(
                pilot, lambda: not screen.bulk_running and not screen.pending_checks, within=30
            )
            if app.ctx.offline:
                await pilot.press("r")
                await wait_until(pilot, lambda: not app.ctx.offline, within=30, what="online")
            await pilot.press("a")
            modal = await wait_for_screen(pilot, TypedConfirmModal)
            for ch in modal.expected:
                await pilot.press(ch)
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.screen is screen, what="the dialog to close")
            await wait_until(
                pilot,
                lambda: not screen.bulk_running and not screen.pending_checks,
                within=60,
                what="the bulk run to finish",
            )
        faults.config = faults.config.model_copy(update={"error_rate": 0.0})
        stats = faults.stats
        assert stats["injected"] > 0 and stats["after_commit"] > 0  # faults really happened

        # The server: exactly one approval per request, and none outside the marked ones.
        approvals = Counter(
            row["object_id"]
            for row in db.query(
                "SELECT object_id FROM state_changes WHERE from_status = 'requested' AND"
                " to_status = 'ready' AND actor_id IS NOT NULL"  # not the seed's history
            )
        )
        assert set(approvals) == target
        assert all(count == 1 for count in approvals.values())

        # The screen: every row's outcome is shown, none left marked or checking.
        assert all(screen.outcomes[rid].kind == "ok" for rid in target)
        assert not screen.table.marks and not screen.busy

        # The journal: one "ok" approve per request; nothing pending or unknown; every other
        # entry is a decision the re-read proved was not applied.
        entries = Journal(isolated_dirs.data / "journal.jsonl").read()
        ok = Counter(e.object_ids[0] for e in entries if e.outcome == "ok")
        assert ok == Counter(dict.fromkeys(target, 1))
        assert not [e for e in entries if e.outcome in ("pending", "unknown")]
        for entry in entries:
            assert entry.action == "approve" and entry.object_ids[0] in target
            if entry.outcome == "failed":
                assert "not applied" in (entry.error or "") or entry.error
        # Every attempt of one request reused its idempotency key.
        keys: dict[str, set[str | None]] = {}
        for entry in entries:
            keys.setdefault(entry.object_ids[0], set()).add(entry.idempotency_key)
        assert all(len(k) == 1 for k in keys.values())
