"""The refund queue against the in-process sandbox: approve, reject, bulk with typed
confirmation, marks across refresh and sort, permissions, conflicts, live progress and the
exactly-once guarantees (in-flight guard, "unknown — checking" resolved by re-reading)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Select

from preo_tui.store import Journal
from preo_tui.ui.journal.screen import JournalScreen
from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.refunds.form import RefundForm
from preo_tui.ui.refunds.screen import RefundsScreen
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_text,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_refunds, quick_refund_polls

REQUESTED = 60


@pytest.fixture
def refunds_backend(frozen_clock: Any) -> SandboxBackend:
    # No gateway failures unless a test asks: outcomes are then predictable.
    return SandboxBackend(requested_refunds=REQUESTED, refund_failure_rate=0.0)


@pytest.fixture
def refunds_app(refunds_backend: SandboxBackend, isolated_dirs: Dirs) -> AppFactory:
    return AppFactory(refunds_backend, isolated_dirs)


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)


def db_of(backend: SandboxBackend) -> Any:
    return backend.state.db


def requested_rows(backend: SandboxBackend, edition_id: str) -> list[Any]:
    return db_of(backend).query(
        "SELECT id, amount, created FROM refund_requests WHERE edition_id = ? AND"
        " status = 'requested' ORDER BY created, pk",
        (edition_id,),
    )


def changes(backend: SandboxBackend, refund_id: str) -> list[tuple[Any, Any]]:
    return [tuple(c) for c in db_of(backend).state_changes(refund_id)]


def status_of(backend: SandboxBackend, refund_id: str) -> str:
    return str(
        db_of(backend).scalar("SELECT status FROM refund_requests WHERE id = ?", (refund_id,))
    )


def journal(dirs: Dirs) -> Journal:
    return Journal(dirs.data / "journal.jsonl")


def detail_text(screen: RefundsScreen, item: Any = None) -> str:
    """The detail pane as plain text."""
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(screen.detail_renderable(item or screen.table.current_item))
    return console.export_text()


def assert_no_error_toasts(app: Any) -> None:
    errors = [(n.title, n.message) for n in app._notifications if n.severity == "error"]
    assert errors == []


async def type_text(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


# -- decisions ---------------------------------------------------------------------------------


async def test_approve_one_moves_to_the_next_request_and_is_journalled(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        first, second = screen.table.items[0], screen.table.items[1]
        await pilot.press("a")
        modal = await wait_for_screen(pilot, DecisionModal)
        assert "Approve" in modal.title_text
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                screen.outcomes.get(first.id) is not None and screen.outcomes[first.id].kind == "ok"
            ),
            what="approved",
        )
        assert screen.table.current_item.id == second.id
        assert ("requested", "ready") in changes(refunds_backend, first.id)
        row = db_of(refunds_backend).one(
            "SELECT decision_comment FROM refund_requests WHERE id = ?", (first.id,)
        )
        assert row["decision_comment"] == "ok"
        entries = [e for e in journal(isolated_dirs).read() if first.id in e.object_ids]
        assert [(e.action, e.outcome) for e in entries] == [("approve", "ok")]
        assert_no_error_toasts(app)
        assert entries[0].idempotency_key
        # The journal is one key away (and in the palette): the approval is listed there.
        await pilot.press("L")
        viewer = await wait_for_screen(pilot, JournalScreen)
        await wait_until(pilot, lambda: any(first.id in e.object_ids for e in viewer.entries))


async def test_a_decision_marks_only_its_own_order_and_purchase_stale(
    refunds_app: AppFactory,
) -> None:
    """One request per decision and no re-reads of the other requests' details (issue 20): the
    answer marks the decided request's order and purchase stale, not every cached one."""
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        first, second = screen.table.items[0], screen.table.items[1]
        assert first.order_id != second.order_id
        await wait_until(pilot, lambda: second.id in screen.details, what="the next detail")
        store = app.ctx.store

        def stale(resource: str, oid: str | None) -> bool:
            keys = [
                k for k in store._memory if k.resource == resource and k.param_dict.get("id") == oid
            ]
            assert keys, (resource, oid)
            return all(store._memory[k].stale for k in keys)

        assert not stale("orders", second.order_id) and not stale("purchases", second.purchase_id)
        reads: list[tuple[str, bool]] = []
        load = screen._load_detail

        async def spied(item: Any, *, fresh: bool = False) -> None:
            reads.append((item.id, fresh))
            await load(item, fresh=fresh)

        screen._load_detail = spied  # type: ignore[method-assign]  # records the detail reads
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: first.id in screen.tracked, what="the answer")
        assert stale("orders", first.order_id) and stale("purchases", first.purchase_id)
        assert not stale("orders", second.order_id) and not stale("purchases", second.purchase_id)
        await wait_for_workers(pilot)
        assert (second.id, True) not in reads  # the next request's pane is not read again


async def test_a_decision_interrupted_before_it_left_says_so(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    """A confirmed decision leaves after the next frame; a queue closed before then sends
    nothing and says so (never a silently dropped decision)."""
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        first = screen.table.items[0]
        screen.busy.add(first.id)
        never = asyncio.Event()
        task = asyncio.ensure_future(screen._send_after_frame(first, "approve", None, never))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert first.id not in screen.busy
        assert screen.outcomes[first.id].kind == "failed"
        assert status_of(refunds_backend, first.id) == "requested"
        assert any("was not sent" in n.message for n in app._notifications)


async def test_reject_requires_a_reason(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("x")
        modal = await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        assert "needs a reason" in str(modal.query_one("#decision-error").render())
        assert status_of(refunds_backend, item.id) == "requested"
        await type_text(pilot, "duplicate of another")
        await pilot.press("enter")
        await wait_until(pilot, lambda: status_of(refunds_backend, item.id) == "rejected")
        reason = db_of(refunds_backend).scalar(
            "SELECT rejection_reason FROM refund_requests WHERE id = ?", (item.id,)
        )
        assert reason == "duplicate of another"
        await wait_until(pilot, lambda: screen.outcomes[item.id].kind == "ok")


async def test_cancelled_dialog_sends_nothing(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert status_of(refunds_backend, item.id) == "requested"
        assert item.id not in screen.busy
        assert journal(isolated_dirs).read() == []


async def test_second_press_cannot_send_a_second_decision(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        # Two presses before the dialog is even up: one dialog, the second refused.
        screen.start_decision("approve")
        screen.start_decision("approve")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcomes[item.id].kind == "ok")
        assert any("already under way" in n.message for n in app._notifications)
        # The decided request refuses another decision: it is not requested any more.
        reason = screen.item_block_reason(screen.known[item.id], "approve")
        assert reason is not None and "only requested" in reason
        if screen.table.move_to_id(item.id):
            await pilot.press("a")
            await pilot.pause()
            # No second decision started for it (the in-flight guard holds a started one).
            # A poll may have dropped the decided row and moved the cursor to the next
            # request meanwhile: a dialog for *that* request is legitimate, so close it.
            assert item.id not in screen.busy
            if isinstance(app.screen, DecisionModal):
                current = screen.table.current_item
                assert current is not None and current.id != item.id
                await pilot.press("escape")
        await wait_for_workers(pilot)
        assert changes(refunds_backend, item.id).count(("requested", "ready")) == 1


async def test_bulk_approve_25_with_typed_count(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        await pilot.press(*["space"] * 5)
        await pilot.press(*["shift+down"] * 19)
        assert len(screen.table.marks) == 25
        marked = set(screen.table.marks)
        total = sum(screen.known[i].amount for i in marked)
        await pilot.press("a")
        modal = await wait_for_screen(pilot, TypedConfirmModal)
        assert modal.expected == "25"
        assert f"{total:,.2f}" in modal.body_text
        await type_text(pilot, "24")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal  # a wrong count does not confirm
        await pilot.press("backspace", "5", "enter")
        await wait_until(
            pilot,
            lambda: all(screen.outcomes.get(i) and screen.outcomes[i].kind == "ok" for i in marked),
            what="25 approvals",
        )
        await wait_until(pilot, lambda: not screen.bulk_running, what="the bulk run to end")
        assert_no_error_toasts(app)
        for rid in marked:
            assert changes(refunds_backend, rid).count(("requested", "ready")) == 1
        assert screen.table.marks == set()
        ok = {e.object_ids[0] for e in journal(isolated_dirs).read() if e.outcome == "ok"}
        assert ok == marked


async def test_staff_cannot_decide(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app(role="staff")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        assert item is not None and item.can_approve is False
        blocked = str(screen.query_one("#refund-blocked").render())
        assert "staff" in blocked and "cannot approve" in blocked
        await pilot.press("a")
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        screen.start_decision("approve")  # even called directly: refused with the reason
        await pilot.pause()
        assert status_of(refunds_backend, item.id) == "requested"
        assert journal(isolated_dirs).read() == []


async def test_read_only_profile_cannot_decide(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        assert "read-only" in str(screen.query_one("#refund-blocked").render())
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        # Below the screen the store refuses too: nothing is sent or journalled.
        screen.busy.add(item.id)
        outcome = await screen.send_decision(item, "approve", None)
        assert outcome == "failed"
        assert "not sent" in screen.outcomes[item.id].text
        assert status_of(refunds_backend, item.id) == "requested"
        assert journal(isolated_dirs).read() == []


async def test_offline_refuses_decisions_and_keeps_marks(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("space")
        marked = set(screen.table.marks)
        refunds_backend.go_offline()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.ctx.offline, what="offline mode")
        await wait_until(
            pilot, lambda: "offline" in str(screen.query_one("#refund-blocked").render())
        )
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        assert screen.table.marks == marked  # a connection change keeps the marks
        assert status_of(refunds_backend, item.id) == "requested"
        refunds_backend.go_online()
        await pilot.press("r")
        await wait_until(pilot, lambda: not app.ctx.offline, what="back online")
        await wait_until(pilot, lambda: not str(screen.query_one("#refund-blocked").render()))


async def test_conflict_when_decided_elsewhere_is_shown_clearly(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        # A colleague rejects it in another session.
        transport = httpx.ASGITransport(app=refunds_backend.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as other:
            answer = await other.post(
                f"/v1/refund-requests/{item.id}/reject",
                json={"reason": "handled by phone"},
                headers={"Authorization": f"Bearer {refunds_backend.token('manager')}"},
            )
            assert answer.status_code == 200
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: screen.outcomes.get(item.id) and screen.outcomes[item.id].kind == "failed",
            what="the conflict",
        )
        assert screen.outcomes[item.id].text == "already rejected"
        assert screen.known[item.id].status == "rejected"
        notes = [n.message for n in app._notifications]
        assert any("already decided elsewhere" in m for m in notes)
        assert changes(refunds_backend, item.id)[-1] == ("requested", "rejected")
        assert ("requested", "ready") not in changes(refunds_backend, item.id)


async def test_live_progress_to_processed_without_refresh(
    refunds_app: AppFactory, refunds_backend: SandboxBackend
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: item.id in screen.tracked, what="the approval")
        await wait_until(
            pilot,
            lambda: str(screen.tracked[item.id].status) == "processed",
            within=15,
            what="processed on screen",
        )
        activity = screen.query_one("#refund-activity", DataTable)
        assert "processed" in str(activity.get_row(item.id)[4])
        assert [c for c in changes(refunds_backend, item.id) if c[0]] == [
            ("requested", "ready"),
            ("ready", "processing"),
            ("processing", "awaiting_gateway"),
            ("awaiting_gateway", "processed"),
        ]


async def test_failed_processing_raises_a_toast(frozen_clock: Any, isolated_dirs: Dirs) -> None:
    backend = SandboxBackend(requested_refunds=10, refund_failure_rate=1.0)
    app = AppFactory(backend, isolated_dirs)()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: item.id in screen.tracked and str(screen.tracked[item.id].status) == "failed",
            within=15,
            what="the failure",
        )
        await wait_until(
            pilot,
            lambda: any(n.title == "Refund failed" for n in app._notifications),
            what="the toast",
        )
        screen.table.move_to_id(item.id)
        await pilot.pause()
        screen.show_detail(screen.known[item.id])
        assert "gateway declined" in detail_text(screen, screen.known[item.id]).lower()


async def test_lost_answer_shows_unknown_and_is_resolved_by_rereading(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        faults = refunds_backend.state.faults
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        # Every answer is lost after the server committed the approval.
        faults.config = faults.config.model_copy(
            update={"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0}
        )
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: screen.outcomes.get(item.id) and screen.outcomes[item.id].kind == "unknown",
            what="unknown — checking",
        )
        assert item is not None and "checking" in str(screen.status_cell(item))
        faults.config = faults.config.model_copy(update={"error_rate": 0.0})
        await wait_until(
            pilot,
            lambda: screen.outcomes[item.id].kind == "ok",
            within=15,
            what="resolved by re-reading",
        )
        # Exactly once on the server, and the journal says ok (resolved after the re-read).
        assert changes(refunds_backend, item.id).count(("requested", "ready")) == 1
        entries = [e for e in journal(isolated_dirs).read() if item.id in e.object_ids]
        assert [e.outcome for e in entries] == ["ok"]
        assert "re-reading" in (entries[0].error or "")


# -- create ------------------------------------------------------------------------------------


async def test_refund_form_validates_and_creates(
    refunds_app: AppFactory, refunds_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        item = screen.table.current_item
        await pilot.press("n")
        form: RefundForm | None = None

        def form_up() -> bool:
            nonlocal form
            if isinstance(app.screen, RefundForm):
                form = app.screen
                return True
            from preo_tui.ui.widgets.choice import ChoiceModal

            if isinstance(app.screen, ChoiceModal):
                app.screen.dismiss(next(c.value for c in app.screen.choices if not c.disabled))
            return False

        await wait_until(pilot, form_up, what="the refund form")
        assert form is not None
        purchase = form.purchase
        # No reason yet.
        form.action_create()
        await wait_for_text(pilot, form, "#form-reason-error", "Choose a reason")
        # compensation implies a custom scope: the amount is required and bounded.
        form.query_one("#form-reason", Select).value = "compensation"
        await wait_for_text(pilot, form, "#form-implied", "purchase custom")
        amount = form.query_one("#form-amount", Input)
        assert not amount.disabled
        form.action_create()
        await wait_for_text(pilot, form, "#form-amount-error", "needs an amount")
        left = purchase.refundable_amount
        amount.value = str(left + 1)
        form.action_create()
        await wait_for_text(pilot, form, "#form-amount-error", "still refundable")
        amount.value = "1.50"
        form.query_one("#form-comment", Input).value = "goodwill"
        form.action_create()
        await wait_until(pilot, lambda: app.screen is screen, what="the form to close")
        await wait_for_workers(pilot)
        created = db_of(refunds_backend).one(
            "SELECT * FROM refund_requests WHERE purchase_id = ? AND comment = 'goodwill'",
            (purchase.id,),
        )
        assert created is not None
        assert created["scope"] == "purchase_custom" and created["amount"] == 1.5
        assert created["reason"] == "compensation"
        entries = journal(isolated_dirs).read()
        assert [(e.action, e.outcome) for e in entries] == [("refund", "ok")]
        assert item is not None
