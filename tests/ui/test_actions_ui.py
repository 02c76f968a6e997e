"""Durable actions through the UI: a campaign sent now while the sandbox drops every answer
after committing (sent once; the row and the journal say so), and the refund queue's decisions
pipeline (``a`` ``enter`` five times in one burst decides five different requests, each
exactly once, checked on the sandbox's state-change log)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from preo_tui.actions import ActionRunner
from preo_tui.store import Journal
from preo_tui.ui.campaigns.screen import CampaignsScreen
from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_list_screen, open_refunds, quick_refund_polls, select_by_name

DROP_AFTER_COMMIT = {"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0}


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)
    # Enough re-reads that the network coming back during the check is seen by them.
    monkeypatch.setattr(ActionRunner, "CHECK_ATTEMPTS", 12)


def set_faults(backend: SandboxBackend, **knobs: Any) -> None:
    faults = backend.state.faults
    faults.config = faults.config.model_copy(update=knobs)


async def test_send_now_with_answers_lost_after_commit_is_sent_once(
    make_app: AppFactory, sandbox_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_list_screen(pilot, "campaigns", CampaignsScreen, what="campaigns")
        await wait_until(pilot, lambda: bool(screen.segments), what="segments")
        await wait_for_workers(pilot)
        item = await select_by_name(pilot, screen, "Early-bird for next year")
        await pilot.press("s")
        await wait_for_screen(pilot, TypedConfirmModal)
        await pilot.press(*"Early-bird for next year")
        set_faults(sandbox_backend, **DROP_AFTER_COMMIT)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "unknown — checking" in screen.status_note, within=30, what="checking"
        )
        set_faults(sandbox_backend, error_rate=0.0)

        def row_status() -> str:
            row = next(c for c in screen.table.items if c.id == item.id)
            return str(row.status)

        await wait_until(
            pilot,
            lambda: row_status() in ("calculating", "sending", "sent"),
            within=30,
            what="the row showing the campaign under way",
        )
        await wait_for_workers(pilot)
        # Sent once: one transition out of draft/scheduled on the server.
        changes = sandbox_backend.state.db.state_changes(item.id)
        starts = [c for c in changes if c[1] == "calculating" or c[1] == "sending"]
        assert Counter(c[1] for c in starts)["calculating"] <= 1
        assert len([c for c in changes if c[0] in ("draft", "scheduled")]) == 1
        # The journal: one send-now action, resolved ok by re-reading.
        entries = [
            e
            for e in Journal(isolated_dirs.data / "journal.jsonl").read()
            if e.action == "send_now"
        ]
        assert [(e.object_ids, e.outcome) for e in entries] == [([item.id], "ok")]
        assert "re-reading" in (entries[0].error or "")
        assert entries[0].operation == "campaigns.send_now"
        assert entries[0].args == {"id": item.id}


async def test_a_enter_five_times_in_one_burst_decides_five_requests_exactly_once(
    frozen_clock: Any, isolated_dirs: Dirs
) -> None:
    backend = SandboxBackend(requested_refunds=30, refund_failure_rate=0.0)
    app = AppFactory(backend, isolated_dirs)()
    db = backend.state.db
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        first_five = [i.id for i in screen.table.items[:5]]
        # One burst, no waiting for the app between keys.
        await pilot.press(*["a", "enter"] * 5)
        await wait_until(
            pilot,
            lambda: (
                sum(1 for o in screen.outcomes.values() if o.kind == "ok") >= 5 and not screen.busy
            ),
            within=30,
            what="five decisions",
        )
        await wait_for_workers(pilot)
        assert not isinstance(app.screen, DecisionModal)
        approvals = Counter(
            row["object_id"]
            for row in db.query(
                "SELECT object_id FROM state_changes WHERE from_status = 'requested' AND"
                " to_status = 'ready' AND actor_id IS NOT NULL"
            )
        )
        assert sorted(approvals) == sorted(first_five)
        assert set(approvals.values()) == {1}
        # The cursor is on a request still to decide (the decided ones may have left the
        # window on a poll), and the journal has five ok approvals.
        current = screen.table.current_item
        assert current is not None and current.id not in first_five
        assert current.status == "requested"
        entries = Journal(isolated_dirs.data / "journal.jsonl").read()
        assert sorted(e.object_ids[0] for e in entries if e.outcome == "ok") == sorted(first_five)
        # The summary starts with what an operator recognises: order number and amount.
        assert all(
            re.match(r"approve order NF26-\d{6} · [\d,.]+ DKK · refund rfr_", e.summary)
            for e in entries
        ), [e.summary for e in entries]


async def test_restart_resolves_unknown_writes_and_journal_retry_reuses_the_key(
    frozen_clock: Any, isolated_dirs: Dirs
) -> None:
    """Writes an earlier run left unknown are re-read at start-up; ``R`` in the journal resends
    one that did not apply with its original key (one approval on the server)."""
    backend = SandboxBackend(requested_refunds=10, refund_failure_rate=0.0)
    factory = AppFactory(backend, isolated_dirs)
    db = backend.state.db
    applied_id, missing_id = (
        str(r["id"])
        for r in db.query(
            "SELECT id FROM refund_requests WHERE status = 'requested' ORDER BY pk LIMIT 2"
        )
    )
    app = factory()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.session_ready.is_set(), within=15, what="sign-in")
        journal = app.ctx.journal
        journal.user = str(app.ctx.me.id)
        # The previous run: one approval whose answer was lost after the server applied it,
        # one that crashed before it was sent.
        for rid, key in ((applied_id, "key-applied"), (missing_id, "key-missing")):
            entry = journal.begin(
                resource="refunds",
                action="approve",
                object_ids=[rid],
                summary=f"approve refund {rid} · order X · €1.00",
                idempotency_key=key,
                operation="refunds.approve",
                args={"id": rid},
            )
            journal.finish(entry.action_id, "unknown", "connection lost")
        await app.ctx.client.refunds.approve(applied_id, idempotency_key="key-applied")

    app = factory()  # the restart
    path = isolated_dirs.data / "journal.jsonl"
    async with app.run_test(size=(160, 48)) as pilot:

        def outcomes() -> dict[str, str]:
            return {e.object_ids[0]: e.outcome for e in Journal(path).read()}

        await wait_until(
            pilot,
            lambda: outcomes() == {applied_id: "ok", missing_id: "failed"},
            within=30,
            what="the unknown writes resolved at start-up",
        )
        app.jump("journal")
        from preo_tui.ui.journal.screen import JournalScreen
        from preo_tui.ui.widgets.confirm import ConfirmModal

        viewer = await wait_for_screen(pilot, JournalScreen)
        await wait_until(pilot, lambda: len(viewer.entries) == 2, what="the journal rows")
        table = viewer.query_one("#journal-table")
        table.move_cursor(
            row=next(i for i, e in enumerate(viewer.entries) if e.object_ids[0] == missing_id)
        )
        await pilot.press("R")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(pilot, lambda: outcomes()[missing_id] == "ok", within=30, what="resent")
        [entry] = [e for e in Journal(path).read() if e.object_ids[0] == missing_id]
        assert (entry.idempotency_key, entry.attempts) == ("key-missing", 2)
        for rid in (applied_id, missing_id):
            assert list(db.state_changes(rid)).count(("requested", "ready")) == 1


def packet(app: Any, *keys: tuple[str, str | None]) -> None:
    """Keys arriving in one read (an SSH packet, a paste): all queued before any is handled."""
    from textual import events

    for key, char in keys:
        app._driver.send_message(events.Key(key, char))


async def test_one_packet_of_a_enter_decides_each_and_a_jump_typed_after_approves_nothing(
    frozen_clock: Any, isolated_dirs: Dirs
) -> None:
    backend = SandboxBackend(requested_refunds=30, refund_failure_rate=0.0)
    app = AppFactory(backend, isolated_dirs)()
    db = backend.state.db

    def approvals() -> Counter[str]:
        return Counter(
            row["object_id"]
            for row in db.query(
                "SELECT object_id FROM state_changes WHERE from_status = 'requested' AND"
                " to_status = 'ready' AND actor_id IS NOT NULL"
            )
        )

    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        first = [i.id for i in screen.table.items[:3]]
        packet(app, *[("a", "a"), ("enter", "\r")] * 3)
        await wait_until(pilot, lambda: len(approvals()) == 3 and not screen.busy, within=30)
        assert sorted(approvals()) == sorted(first)
        # A decision, then ":journal" typed in the same packet: the "a" of journal must not
        # approve anything.
        packet(app, ("a", "a"), ("enter", "\r"), ("colon", ":"))
        packet(app, *[(c, c) for c in "journal"], ("enter", "\r"))
        await wait_until(pilot, lambda: len(approvals()) == 4 and not screen.busy, within=30)
        await wait_for_workers(pilot)
        assert set(approvals().values()) == {1} and len(approvals()) == 4
