"""Refund decisions on the queue: the dialog, the pipeline, bulk runs and their outcomes.

The pipeline: ``a`` (or ``x``) opens the decision dialog at once (no worker in between);
confirming it marks the request as under way, draws "approving…" on its row and moves the
cursor to the next request that can still be decided *before* the dialog closes, then sends the
decision in the background. So ``a`` ``enter`` repeated at key-repeat speed decides successive
requests, one each; a request with a decision under way (dialog open, sent, or being checked)
cannot get a second one (``busy``).

The protocol lives below the screen, in :mod:`preo_tui.actions`: each decision is one durable
action (one idempotency key, kept until its outcome is known and reused by a retry), journalled
before it is sent, resolved by re-reading the request when its answer is lost (applied / not
applied / decided elsewhere). This module only shows what the runner reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual import events, on
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from preo_tui.actions import Action as Durable
from preo_tui.actions import ActionResult, make
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui import clock
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import IN_FLIGHT, row_only, status_text, total, words
from preo_tui.ui.refunds.decide import Action, DecisionInput, DecisionModal
from preo_tui.ui.refunds.detail import customer_label
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from preo_tui.ui.writes import ActionProgress, poster, runner_of

if TYPE_CHECKING:
    from preo_tui.ui.base import ListDetailScreen

    _Base = ListDetailScreen[RefundRequest]
else:
    _Base = object

log = logging.getLogger(__name__)

#: Decisions sent at the same time during a bulk action.
BULK_CONCURRENCY = 4
#: After a confirmed decision, an a/x within this many seconds, with no other key typed in
#: between, takes the burst path.
BURST_WINDOW = 0.5
#: An a/x with no other key routed to the list for this many seconds takes it too (the first
#: pair of a burst).
QUIET = 1.0
#: A confirmed decision is sent after the next frame, or after this many seconds at most.
FRAME_WAIT = 0.05

OutcomeKind = Literal["working", "ok", "failed", "unknown"]


@dataclass(slots=True)
class RowOutcome:
    """What happened to the last decision on a row (shown in its status cell)."""

    kind: OutcomeKind
    text: str
    action: Action | None = None


@dataclass(slots=True)
class PendingCheck:
    """A decision whose answer was lost and that no re-read could resolve yet (the poll
    keeps re-reading)."""

    request: RefundRequest
    action: Action
    durable: Durable


def decision_action(
    item: RefundRequest, verb: Action, text: str | None, currency: str | None
) -> Durable:
    """The durable action of one decision, its summary naming the order and the amount.

    It invalidates nothing beyond the request itself: the store follows the answer to the
    request's own order and purchase (``preo_tui.store.links``), so the other cached orders
    and purchases (the next requests' detail panes, loaded ahead) are not re-read."""
    # What an operator recognises first (the order and the money), then the request's id: a
    # narrow journal column keeps the beginning.
    summary = (
        f"{verb} order {item.order_number or '?'} · {money(item.amount, currency)}"
        f" · refund {item.id}"
    )
    if verb == "approve":
        return make("refunds.approve", summary, id=item.id, comment=text)
    return make(
        "refunds.reject",
        summary + (f" · {text}" if text else ""),
        id=item.id,
        reason=text or "",
    )


class RefundDecisions(_Base):
    """Decisions of :class:`~preo_tui.ui.refunds.screen.RefundsScreen` (a mixin)."""

    known: dict[str, RefundRequest]
    outcomes: dict[str, RowOutcome]
    busy: set[str]
    decisions: dict[tuple[str, str], Durable]
    tracked: dict[str, RefundRequest]
    pending_checks: dict[str, PendingCheck]
    bulk_running: bool
    _shown_id: str | None

    if TYPE_CHECKING:

        @property
        def currency(self) -> str | None: ...

        def global_block_reason(self) -> str | None: ...

        def item_block_reason(self, item: RefundRequest, action: Action) -> str | None: ...

        def _render_detail(self, item: RefundRequest | None) -> None: ...

        @staticmethod
        def _service_text(value: object) -> str: ...

        @property
        def timezone(self) -> str | None: ...

    # -- the burst path ---------------------------------------------------------------------------
    # a enter a enter… typed in one packet: the app reads every key before the list handles the
    # first a, so an ordinary binding would open the dialog after the enter meant for it has
    # gone to the list. So a/x act when the app reads them (a priority binding) when that
    # cannot overtake another key: right after a confirmed decision (the dialog's enter acts
    # when the app reads it) with no key routed to the list since, or when no key was routed
    # to the list for a while. Otherwise they take the ordinary path, after the keys typed
    # before them (``:journal`` typed in a burst must not approve on its "a").

    _armed_at: float | None = None
    _keys_routed: int = 0
    _routed_at_arm: int = -1
    _last_routed: float = 0.0

    def watch_keys(self, widget: Widget) -> None:
        """Count the keys routed to ``widget`` (the list): any key disarms the burst path."""
        forward = widget._forward_event

        def counted(event: events.Event) -> None:
            if isinstance(event, events.Key):
                self._keys_routed += 1
                self._last_routed = time.monotonic()
            forward(event)

        widget._forward_event = counted  # type: ignore[method-assign]  # counts the keys a widget forwards

    def burst_ready(self) -> bool:
        """Whether an a/x read now may act at once: straight after a confirmed decision with
        no key routed since, or with no key routed to the list for a while."""
        now = time.monotonic()
        armed = self._armed_at
        if armed is not None and now - armed <= BURST_WINDOW:
            return self._keys_routed == self._routed_at_arm
        return now - self._last_routed >= QUIET

    def action_approve_burst(self) -> None:
        self._armed_at = None
        self.start_decision("approve")

    def action_reject_burst(self) -> None:
        self._armed_at = None
        self.start_decision("reject")

    # -- one decision ---------------------------------------------------------------------------

    def action_approve(self) -> None:
        self._armed_at = None
        self.start_decision("approve")

    def action_reject(self) -> None:
        self._armed_at = None
        self.start_decision("reject")

    def start_decision(self, action: Action) -> None:
        """``a``/``x``: decide the marked requests, or the one under the cursor."""
        blocked = self.global_block_reason()
        if blocked:
            self.notify(f"Cannot {action}: {blocked}", severity="warning", timeout=5)
            return
        if self.table.marks:
            if self.bulk_running:
                self.notify("A bulk decision is still running.", severity="warning", timeout=4)
                return
            self.bulk_running = True
            self.run_job(self._bulk(action), group="refund-bulk")
            return
        item = self.table.current_item
        if item is None:
            return
        item = self.known.get(item.id, item)
        reason = self.item_block_reason(item, action)
        if reason:
            self.notify(f"Cannot {action}: {reason}", severity="warning", timeout=5)
            return
        self.busy.add(item.id)  # the in-flight guard: from the dialog to the known outcome
        verb = "Approve" if action == "approve" else "Reject"
        production = self.ctx.is_production
        modal = DecisionModal(
            action,
            f"{verb} the refund of {money(item.amount, self.currency)}?",
            f"Order {item.order_number or '—'} · {customer_label(item)}\n"
            f"{words(item.reason)} · {words(item.scope)}",
            production=production,
            typed=(item.order_number or item.id) if production else None,
            on_confirm=lambda answer: self._confirmed(item, answer),
        )
        target = item

        def closed(answer: DecisionInput | None) -> None:
            if answer is None:
                self.busy.discard(target.id)

        # Pushed at once (no worker in between): the enter that follows lands on the dialog.
        self.app.push_screen(modal, callback=closed)

    def _confirmed(self, item: RefundRequest, answer: DecisionInput) -> None:
        """The dialog was confirmed (called before it closes): mark the row "approving…" and
        move to the next request — the frame that closes the dialog shows both. The decision
        is sent after that frame (:meth:`_send_after_frame`)."""
        rid = item.id
        working = "approving" if answer.action == "approve" else "rejecting"
        # The row alone; the detail pane follows the cursor to the next request.
        self.set_outcome(rid, RowOutcome("working", working, answer.action), detail=False)
        self.move_to_next(rid)
        current = self.table.current_item
        if current is not None and current.id == rid and self._shown_id == rid:
            self._render_detail(self.known.get(rid, item))  # the last row: it stays shown
        self._armed_at, self._routed_at_arm = time.monotonic(), self._keys_routed
        drawn = asyncio.Event()
        # Asked now (before the dialog closes): set right after the next frame is drawn.
        self.call_after_refresh(drawn.set)
        self.run_job(
            self._send_after_frame(item, answer.action, answer.text, drawn),
            group=f"refund-decide-{rid}",
        )

    async def _send_after_frame(
        self, item: RefundRequest, action: Action, text: str | None, drawn: asyncio.Event
    ) -> OutcomeKind:
        """Send once the frame with the cursor on the next request is drawn (``drawn``; at
        most :data:`FRAME_WAIT` later): journalling and sending never delay that frame."""
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(drawn.wait(), FRAME_WAIT)
        except asyncio.CancelledError:
            # The screen went away within the frame: nothing was journalled or sent. Say so
            # (never a silently dropped decision); the request stays requested.
            self.busy.discard(item.id)
            self.set_outcome(item.id, RowOutcome("failed", "not sent", action))
            self.app.notify(
                f"Order {item.order_number or item.id}: the {action} was not sent "
                "(the queue closed before it left). Nothing changed; decide it again.",
                title="Not sent",
                severity="warning",
                timeout=8,
            )
            raise
        return await self.send_decision(item, action, text)

    def move_to_next(self, refund_id: str) -> None:
        """Put the cursor on the next request that can still be decided."""
        table = self.table
        items = table.items
        ids = [i.id for i in items]
        if refund_id not in ids:
            return
        start = ids.index(refund_id)
        for index in range(start + 1, len(items)):
            candidate = self.known.get(ids[index], items[index])
            if value_of(candidate.status) == "requested" and candidate.id not in self.busy:
                table.move_cursor(row=index)
                return
        if start + 1 < len(items):
            table.move_cursor(row=start + 1)

    async def _bulk(self, action: Action) -> None:
        try:
            await self._run_bulk(action)
        finally:
            self.bulk_running = False

    async def _run_bulk(self, action: Action) -> None:
        ids = sorted(self.table.marks)
        missing = [i for i in ids if i not in self.known]
        client = self.ctx.client
        if missing and client is not None:
            for rid in missing:
                with contextlib.suppress(Exception):
                    self.known[rid] = await client.refunds.get(rid)
        items = [self.known[i] for i in ids if i in self.known]
        eligible = [i for i in items if self.item_block_reason(i, action) is None]
        skipped = len(ids) - len(eligible)
        if not eligible:
            self.notify(
                f"None of the {len(ids):,} marked requests can be {action}d now "
                "(only requested ones can be decided).",
                severity="warning",
                timeout=6,
            )
            return
        count = len(eligible)
        amount = total(i.amount for i in eligible)
        verb = "Approve" if action == "approve" else "Reject"
        noun = "request" if count == 1 else "requests"
        body = f"{count:,} refund {noun}, total {money(amount, self.currency)}."
        if skipped:
            body += f"\n{skipped:,} marked requests are not requested any more and are skipped."
        text: str | None = None
        if action == "reject":
            answer = await self.app.push_screen_wait(
                DecisionModal(
                    "reject",
                    f"Reject {count:,} refund {noun}",
                    body,
                    production=self.ctx.is_production,
                    confirm_label="Next",
                )
            )
            if answer is None:
                return
            text = answer.text
        confirmed = await self.app.push_screen_wait(
            TypedConfirmModal(
                f"{verb} {count:,} refund {noun}",
                body,
                expected=str(count),
                prompt=f"Type {count} (the number of requests) to confirm",
                confirm_label=verb,
                production=self.ctx.is_production,
            )
        )
        if not confirmed:
            return
        for item in eligible:
            self.busy.add(item.id)
            self.set_outcome(item.id, RowOutcome("working", "queued", action))
        gate = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(item: RefundRequest) -> OutcomeKind:
            async with gate:
                return await self.send_decision(item, action, text)

        results = await asyncio.gather(*(one(i) for i in eligible), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("bulk decision failed unexpectedly", exc_info=result)
        done = [i.id for i, r in zip(eligible, results, strict=True) if r == "ok"]
        unknown = sum(1 for r in results if r == "unknown")
        failed = len(results) - len(done) - unknown
        self.table.set_marks(self.table.marks - set(done))
        past = "approved" if action == "approve" else "rejected"
        message = f"{len(done):,} of {count:,} {past}."
        if failed:
            message += f" {failed:,} failed and stay marked for a retry."
        if unknown:
            message += f" {unknown:,} unknown — still checking."
        self.notify(
            message,
            title=f"Bulk {action}",
            severity="information" if not failed and not unknown else "warning",
            timeout=8,
        )

    async def send_decision(
        self, item: RefundRequest, action: Action, text: str | None
    ) -> OutcomeKind:
        """Run one decision through the action runner and show its outcome on the row. The
        caller has put ``item.id`` in ``busy``; it leaves it when the outcome is known."""
        rid = item.id
        runner = runner_of(self.ctx)
        if runner is None:
            self.busy.discard(rid)
            self.set_outcome(rid, RowOutcome("failed", "not signed in", action))
            return "failed"
        # The same decision again (after "not applied") is the same action: same key.
        durable = decision_action(item, action, text, self.currency).continuing(
            self.decisions.get((rid, action))
        )
        self.decisions[(rid, action)] = durable
        if self.outcomes.get(rid) is None or self.outcomes[rid].kind != "working":
            working = "approving" if action == "approve" else "rejecting"
            self.set_outcome(rid, RowOutcome("working", working, action))
        try:
            result = await runner.run(durable, poster(self))
        except asyncio.CancelledError:
            self.set_outcome(rid, RowOutcome("unknown", "interrupted", action))
            raise
        return self._apply_result(item, action, result)

    @on(ActionProgress)
    def _decision_progress(self, message: ActionProgress) -> None:
        event = message.event
        if event.action.resource != "refunds" or event.phase != "checking":
            return
        rid = event.action.object_id
        if rid is not None and rid in self.busy:
            verb: Action = "approve" if event.action.name == "approve" else "reject"
            self.set_outcome(rid, RowOutcome("unknown", "unknown — checking", verb))

    def _apply_result(
        self, item: RefundRequest, action: Action, result: ActionResult
    ) -> OutcomeKind:
        rid = item.id
        outcome = result.outcome
        fresh = result.value if isinstance(result.value, RefundRequest) else None
        if outcome == "unknown":
            # Still unknown after the runner's re-reads: the poll keeps checking.
            self.pending_checks[rid] = PendingCheck(item, action, result.action)
            self.set_outcome(rid, RowOutcome("unknown", "unknown — checking", action))
            return "unknown"
        self.pending_checks.pop(rid, None)
        self.busy.discard(rid)
        if outcome == "applied" and fresh is not None:
            self.decisions.pop((rid, action), None)
            self._decided(fresh, action)
            return "ok"
        if outcome == "refused":
            # Nothing was sent; the decision (and its key) stays for the retry.
            self.set_outcome(rid, RowOutcome("failed", f"not sent: {result.message}", action))
            return "failed"
        if outcome == "not_applied":
            if fresh is not None:
                self._adopt(fresh)
            self.set_outcome(rid, RowOutcome("failed", "not applied — retry", action))
            return "failed"
        self.decisions.pop((rid, action), None)
        if outcome == "elsewhere":
            now = words(fresh.status) if fresh is not None else "decided"
            self.set_outcome(rid, RowOutcome("failed", f"already {now}", action))
            if fresh is not None:
                self._adopt(fresh)
            self.notify(
                f"Order {item.order_number or rid}: this request was already decided "
                f"elsewhere (now {now}). Nothing was sent twice.\n{result.message}",
                title="Conflict — already decided",
                severity="warning",
                timeout=10,
            )
            return "failed"
        report = describe_error(result.error or RuntimeError(result.message))
        self.set_outcome(rid, RowOutcome("failed", report.message, action))
        self.notify(report.toast_text(), title=report.title, severity=report.severity, timeout=8)
        return "failed"

    async def check_pending(self) -> None:
        """Re-read the decisions whose answers were lost (one re-read each per poll)."""
        runner = runner_of(self.ctx)
        if runner is None:
            return
        for check in list(self.pending_checks.values()):
            result = await runner.check(check.durable, attempts=1)
            if result.outcome != "unknown":
                self._apply_result(check.request, check.action, result)

    def _adopt(self, fresh: RefundRequest) -> None:
        """A fresher copy of a request: remember it and redraw its row and the detail."""
        self.known[fresh.id] = fresh
        if fresh.id in self.tracked:
            self.tracked[fresh.id] = fresh
            self._update_activity(fresh)
        with row_only(self.table, fresh.id):
            self.table.update_item(fresh)
        if self._shown_id == fresh.id:
            self._render_detail(fresh)

    def _decided(self, result: RefundRequest, action: Action) -> None:
        past = "approved" if action == "approve" else "rejected"
        self.set_outcome(result.id, RowOutcome("ok", past, action), redraw=False)
        self.tracked[result.id] = result
        self._adopt(result)
        self._update_activity(result)
        if value_of(result.status) in IN_FLIGHT:
            self._arm_poll()  # watch it move at the live interval

    def set_outcome(
        self, rid: str, outcome: RowOutcome, *, redraw: bool = True, detail: bool = True
    ) -> None:
        """Show ``outcome`` on the row (repainting that row only) and, when ``detail``, in the
        detail pane if it shows the request."""
        self.outcomes[rid] = outcome
        if rid in self.tracked:
            self._update_activity(self.tracked[rid])
        if redraw:
            item = self.known.get(rid)
            if item is not None:
                with contextlib.suppress(Exception), row_only(self.table, rid):
                    self.table._write_row_cells(rid, item)
                if detail and self._shown_id == rid:
                    self._render_detail(item)

    # -- this session's decisions (the activity strip) ---------------------------------------

    def _update_activity(self, item: RefundRequest) -> None:
        try:
            activity = self.query_one("#refund-activity", DataTable)
        except Exception:
            return
        outcome = self.outcomes.get(item.id)
        action = outcome.action if outcome is not None and outcome.action else "approve"
        status = value_of(item.status)
        note = ""
        if status == "failed":
            note = self._service_text(item.service_response).splitlines()[0]
        elif outcome is not None and outcome.kind != "ok":
            note = outcome.text
        cells = (
            # HH:MM in edition time (``clock.when`` ends with it; the column is 7 wide).
            clock.when(item.decided_at or datetime.now(UTC), self.timezone)[-5:],
            item.order_number or "—",
            Text(money(item.amount), justify="right"),
            "approve" if action == "approve" else "reject",
            status_text(status),
            note,
        )
        try:
            activity.get_row_index(item.id)
        except RowDoesNotExist:
            activity.add_row(*cells, key=item.id)
            activity.move_cursor(row=activity.row_count - 1)
        else:
            for column, value in zip(
                ("when", "order", "amount", "action", "status", "note"), cells, strict=True
            ):
                activity.update_cell(item.id, column, value)
        activity.add_class("-visible")


__all__ = ["BULK_CONCURRENCY", "PendingCheck", "RefundDecisions", "RowOutcome", "decision_action"]
