"""Snapshots of the refund queue with its detail pane, the decision dialogs (approve, reject with
its missing-reason message, bulk typed confirmation), the filters and the refund form, at 80x24
and 160x48. The clock is frozen at the sandbox seed's instant, so ages are stable."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.refunds.filters import RefundFilterModal
from preo_tui.ui.refunds.form import RefundForm
from preo_tui.ui.refunds.screen import RefundsScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    Dirs,
    SandboxBackend,
    no_blink,
    wait_for_home,
    wait_for_screen,
    wait_for_text,
    wait_for_workers,
    wait_until,
)

SIZE_IDS = list(SIZES)


@pytest.fixture
def refunds_app(frozen_clock: Any, isolated_dirs: Dirs) -> AppFactory:
    # Nothing moves (speed ~0): the screens are still while the snapshot is taken.
    return AppFactory(SandboxBackend(refund_failure_rate=0.0, speed=1e-6), isolated_dirs)


@pytest.fixture(autouse=True)
def quick_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RefundsScreen, "DETAIL_DELAY", 0.01)


async def open_queue(pilot: Any) -> RefundsScreen:
    await wait_for_home(pilot)
    assert pilot.app.jump("refunds")
    screen: RefundsScreen = await wait_for_screen(pilot, RefundsScreen)
    await wait_until(pilot, lambda: screen.table.total is not None, what="the first page")
    await wait_for_workers(pilot)
    await wait_until(pilot, lambda: bool(screen.details), what="the detail pane")
    await wait_for_workers(pilot)
    return screen


#: Workers that wait for a dialog the snapshot shows (they end when it closes).
DIALOG_GROUPS = ("refund-decide-", "refund-bulk", "refund-new")


async def settle(pilot: Any) -> None:
    """Everything loaded except the worker waiting on the dialog on screen."""

    def idle() -> bool:
        return not any(
            w.is_running and not w.group.startswith(DIALOG_GROUPS) for w in pilot.app.workers
        )

    await wait_until(pilot, idle, what="workers to finish")
    no_blink(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZE_IDS)
def test_refund_queue_with_detail(snap_compare: Any, refunds_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        screen = await open_queue(pilot)
        # Third row, one mark: the mark column, the marked total and the detail all show.
        await pilot.press("down", "space")
        await wait_until(pilot, lambda: len(screen.details) >= 2, what="the detail pane")
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_approve_dialog(snap_compare: Any, refunds_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_queue(pilot)
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_reject_dialog_needs_a_reason(
    snap_compare: Any, refunds_app: AppFactory, size: str
) -> None:
    async def before(pilot: Any) -> None:
        await open_queue(pilot)
        await pilot.press("x")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_bulk_typed_confirmation(snap_compare: Any, refunds_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_queue(pilot)
        await pilot.press("space", "shift+down", "shift+down")
        await pilot.press("a")
        await wait_for_screen(pilot, TypedConfirmModal)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_filters_dialog(snap_compare: Any, refunds_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_queue(pilot)
        await pilot.press("f")
        await wait_for_screen(pilot, RefundFilterModal)
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_refund_form(snap_compare: Any, refunds_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await open_queue(pilot)
        await pilot.press("n")
        app = pilot.app

        def form_up() -> bool:
            if isinstance(app.screen, ChoiceModal):
                app.screen.dismiss(next(c.value for c in app.screen.choices if not c.disabled))
            # Composed, not only pushed (under load the query could come first).
            return isinstance(app.screen, RefundForm) and bool(app.screen.query("#form-reason"))

        await wait_until(pilot, form_up, what="the refund form")
        form = await wait_for_screen(pilot, RefundForm)  # mounted, its Selects' parts too
        form.query_one("#form-reason").value = "compensation"
        await wait_for_text(pilot, form, "#form-implied", "purchase custom")
        form.action_create()  # the amount is required for a custom scope: the error shows
        await wait_for_text(pilot, form, "#form-amount-error", "needs an amount")
        await settle(pilot)

    assert snap_compare(refunds_app(), terminal_size=SIZES[size], run_before=before)
