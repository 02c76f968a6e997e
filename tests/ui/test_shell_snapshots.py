"""Snapshots of the shell: sign-in, home, help overlay, the journal of writes, the operation map
(80x24 and 160x48), the production badge and the "terminal too small" notice. The clock is frozen at the sandbox seed's instant, so figures and ages are stable."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.config import default_settings
from preo_tui.ui.journal.screen import JournalScreen
from preo_tui.ui.ops.screen import OperationsScreen
from preo_tui.ui.shell.help import HelpScreen
from preo_tui.ui.shell.signin import SignInScreen
from preo_tui.ui.shell.toosmall import TooSmallScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    no_blink,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)

SIZE_IDS = list(SIZES)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_sign_in_screen(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_screen(pilot, SignInScreen)
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(role=None), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_home_screen(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_help_overlay(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


def test_production_badge(snap_compare: Any, make_still_app: AppFactory) -> None:
    production = default_settings().profile("production")

    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)

    assert snap_compare(
        make_still_app(profile=production), terminal_size=SIZES["80x24"], run_before=before
    )


@pytest.mark.parametrize("size", SIZE_IDS)
def test_journal_screen(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    """Three writes as the runner journals them (ok, failed with the server's reason, unknown
    with the retry hint), the newest first; ids fixed so the detail is stable."""

    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        journal = pilot.app.ctx.journal
        writes = [
            ("a1", "refunds", "approve", "rfr_0001", "approve order NF26-000815 · 120.00 DKK"),
            ("a2", "campaigns", "send_now", "cmp_0002", "send campaign Early birds — last call"),
            ("a3", "segments", "recalculate", "seg_0003", "recalculate segment VIP buyers 2026"),
        ]
        for action_id, resource, action, object_id, summary in writes:
            journal.begin(
                resource=resource,
                action=action,
                object_ids=[object_id],
                summary=summary,
                idempotency_key=f"key-{action_id}",
                action_id=action_id,
            )
        journal.finish("a1", "ok")
        journal.finish("a2", "failed", "Conflict: the campaign was already sent")
        journal.finish("a3", "unknown", "no answer (timed out)")
        assert pilot.app.jump("journal")
        screen = await wait_for_screen(pilot, JournalScreen)
        await wait_until(pilot, lambda: len(screen.entries) == 3, what="three writes")
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_operation_map(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        assert pilot.app.jump("ops")
        await wait_for_screen(pilot, OperationsScreen)
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


def test_terminal_too_small(snap_compare: Any, make_still_app: AppFactory) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        await pilot.resize_terminal(40, 10)
        await wait_for_screen(pilot, TooSmallScreen)

    assert snap_compare(make_still_app(), terminal_size=(80, 24), run_before=before)
