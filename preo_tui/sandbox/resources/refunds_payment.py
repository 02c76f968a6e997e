"""The simulated payment side of an approved refund: ``ready`` → ``processing`` →
``awaiting_gateway`` → ``processed`` (booked on the purchases, the order touched) or
``failed`` (stable per refund id), each step scheduled with delays divided by ``--speed`` and
resumed when the sandbox starts."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .. import clock
from ..db import Database, Row, dumps
from .orders import money
from .refunds_rows import refund_out

if TYPE_CHECKING:
    from ..state import SandboxState

#: (next status, nominal seconds before it) of the payment side's steps.
STEPS: dict[str, tuple[str, float]] = {
    "ready": ("processing", 1.0),
    "processing": ("awaiting_gateway", 1.5),
    "awaiting_gateway": ("done", 2.0),
}


def fails(refund_id: str, rate: float) -> bool:
    """Whether the simulated gateway fails this refund (stable per id)."""
    digest = int(hashlib.sha256(refund_id.encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < rate


def schedule_step(state: SandboxState, refund_id: str, delay: float) -> None:
    async def run() -> None:
        advance(state, refund_id)

    state.scheduler.call_later(delay, run, f"refund:{refund_id}")


def apply_refund_to_purchases(db: Database, row: Row) -> None:
    """Book a processed refund on its purchase(s)."""
    remaining = float(row["amount"])
    if row["purchase_id"] and not str(row["scope"]).startswith("transaction"):
        purchases = db.query("SELECT * FROM purchases WHERE id = ?", (row["purchase_id"],))
    else:
        purchases = db.query(
            "SELECT * FROM purchases WHERE order_id = ? AND status != 'cancelled' ORDER BY pk",
            (row["order_id"],),
        )
    now = clock.now_iso()
    for p in purchases:
        if remaining <= 0:
            break
        room = float(p["amount"]) - float(p["refunded_amount"])
        take = min(room, remaining)
        if take <= 0:
            continue
        remaining = money(remaining - take)
        refunded = money(float(p["refunded_amount"]) + take)
        status = "refunded" if refunded >= float(p["amount"]) - 0.005 else "partially_refunded"
        db.execute(
            "UPDATE purchases SET refunded_amount = ?, status = ?, modified = ? WHERE id = ?",
            (refunded, status, now, p["id"]),
        )


def advance(state: SandboxState, refund_id: str) -> None:
    """One step of the payment side (ready → processing → awaiting_gateway → done)."""
    db = state.db
    row = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
    if row is None or row["status"] not in STEPS or row["next_step_at"] is None:
        return
    current = str(row["status"])
    target, _ = STEPS[current]
    now = clock.now_iso()
    event = None
    with db.transaction():
        if target == "done":
            if fails(refund_id, state.settings.refund_failure_rate):
                target = "failed"
                response = {
                    "code": "gateway_declined",
                    "message": "The payment gateway declined the refund (sandbox simulation).",
                    "gateway_reference": f"psp_{hashlib.sha1(refund_id.encode()).hexdigest()[:12]}",
                }
                db.execute(
                    "UPDATE refund_requests SET status = 'failed', service_response = ?,"
                    " next_step_at = NULL, modified = ? WHERE id = ?",
                    (dumps(response), now, refund_id),
                )
                event = "refund_request.failed"
            else:
                target = "processed"
                response = {
                    "code": "refunded",
                    "gateway_reference": f"psp_{hashlib.sha1(refund_id.encode()).hexdigest()[:12]}",
                }
                db.execute(
                    "UPDATE refund_requests SET status = 'processed', refund_date = ?,"
                    " service_response = ?, next_step_at = NULL, modified = ? WHERE id = ?",
                    (now, dumps(response), now, refund_id),
                )
                apply_refund_to_purchases(db, row)
                event = "refund_request.processed"
                order = db.one(
                    "SELECT id, order_number, edition_id, organization_id, customer_id, status,"
                    " type, amount, currency, transaction_id, created FROM orders WHERE id = ?",
                    (row["order_id"],),
                )
                if order is not None:
                    db.execute(
                        "UPDATE orders SET modified = ? WHERE id = ?", (now, row["order_id"])
                    )
                    payload = {**dict(order), "modified": now, "refunded": row["amount"]}
                    state.emit_event(
                        "order.updated", payload, row["organization_id"], row["edition_id"]
                    )
            delay = None
        else:
            delay = STEPS[target][1]
            db.execute(
                "UPDATE refund_requests SET status = ?, next_step_at = ?, modified = ?"
                " WHERE id = ?",
                (target, clock.shift(delay), now, refund_id),
            )
        db.record_state_change("refund_request", refund_id, current, target, None)
        if event:
            updated = db.one("SELECT * FROM refund_requests WHERE id = ?", (refund_id,))
            assert updated is not None
            state.emit_event(
                event, refund_out(updated, None), row["organization_id"], row["edition_id"]
            )
    if delay is not None:
        schedule_step(state, refund_id, delay)


async def start(state: SandboxState) -> None:
    """Resume refunds that were moving through the payment side when the server stopped."""
    now = clock.now()
    for row in state.db.query(
        "SELECT id, next_step_at FROM refund_requests WHERE next_step_at IS NOT NULL"
    ):
        wait = (clock.parse_iso(row["next_step_at"]) - now).total_seconds()
        schedule_step(state, str(row["id"]), max(0.0, wait))
