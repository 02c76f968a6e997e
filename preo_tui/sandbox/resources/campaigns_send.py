"""The send machine of a campaign: ``calculating`` (the segment evaluated into a snapshot of
members and reachable recipients) → ``sending`` (counts rising in steps) → ``sent`` or
``failed``, superseded runs stopping quietly; and the due-time scheduler that starts
scheduled campaigns, resumed when the sandbox starts."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .. import clock
from ..db import Database, Row
from ..state import LOOP_PREFIX
from .campaigns_rows import _emit, _fresh, _move, campaign_out
from .campaigns_stats import _rng
from .segments import Audience, AudienceError, compute_audience, reachable

if TYPE_CHECKING:
    from ..state import SandboxState

log = logging.getLogger("preo_tui.sandbox")

#: Nominal seconds spent calculating the recipients, and sending (in SEND_STEPS steps).
CALCULATING_SECONDS = 1.5
SENDING_SECONDS = 5.0
SEND_STEPS = 10


# -- the send machine -------------------------------------------------------------------------------
def start_sending(state: SandboxState, cid: str, frm: tuple[str, ...], actor: str | None) -> bool:
    """Move to ``calculating`` and spawn the sender (False when the status did not allow it)."""
    db = state.db
    with db.transaction():
        row = db.one("SELECT generation FROM campaigns WHERE id = ?", (cid,))
        if row is None:
            return False
        generation = int(row["generation"]) + 1
        if not _move(
            db,
            cid,
            frm,
            "calculating",
            actor,
            generation=generation,
            error_message=None,
            sent_count=0,
            failed_count=0,
        ):
            return False
    state.scheduler.spawn(run_send(state, cid, generation), name=f"campaign:{cid}")
    return True


def _audience(db: Database, campaign: Row) -> tuple[int, list[str]]:
    """(segment members now, those reachable on the campaign's channel)."""
    seg = db.one("SELECT * FROM segments WHERE id = ?", (campaign["segment_id"],))
    if seg is None:
        raise AudienceError("The campaign's segment no longer exists.")
    edition = db.one("SELECT * FROM editions WHERE id = ?", (seg["edition_id"],))
    if edition is None:
        raise AudienceError("The segment's edition no longer exists.")
    audience: Audience = compute_audience(
        db,
        edition,
        str(seg["condition"]),
        channel=str(seg["communication_channel"]),
        consent_id=seg["consent_id"],
        marketing=seg["communication_type"] == "marketing",
    )
    return len(audience.user_ids), reachable(
        db, edition, audience.user_ids, str(campaign["channel"])
    )


def _fail(state: SandboxState, cid: str, generation: int, frm: str, message: str) -> None:
    db = state.db
    with db.transaction():
        if db.scalar("SELECT generation FROM campaigns WHERE id = ?", (cid,)) != generation:
            return
        if not _move(
            db, cid, (frm,), "failed", None, error_message=message, completed_at=clock.now_iso()
        ):
            return
        row = _fresh(db, cid)
        _emit(
            state,
            "campaign.failed",
            {"campaign": campaign_out(row)},
            str(row["organization_id"]),
            str(row["edition_id"]),
        )


async def run_send(state: SandboxState, cid: str, generation: int) -> None:
    """calculating → sending → sent/failed (stops quietly when cancelled or superseded)."""
    db = state.db

    def current() -> Row | None:
        row = db.one("SELECT * FROM campaigns WHERE id = ?", (cid,))
        if row is None or int(row["generation"]) != generation:
            return None
        return row

    row = current()
    if row is None:
        return
    if row["status"] == "calculating":
        await state.scheduler.sleep(CALCULATING_SECONDS)
        row = current()
        if row is None or row["status"] != "calculating":
            return
        try:
            audience = await asyncio.to_thread(_audience, db, row)
        except AudienceError as exc:
            _fail(state, cid, generation, "calculating", str(exc))
            return
        except Exception as exc:  # never leave a campaign calculating forever
            log.exception("campaign %s: recipient calculation failed", cid)
            _fail(state, cid, generation, "calculating", f"Internal error: {exc}")
            return
        members, reached = audience
        recipients = len(reached)
        if recipients == 0:
            _fail(
                state,
                cid,
                generation,
                "calculating",
                f"The segment has no recipients reachable by {row['channel']}.",
            )
            return
        with db.transaction():
            if db.scalar("SELECT generation FROM campaigns WHERE id = ?", (cid,)) != generation:
                return
            if not _move(
                db,
                cid,
                ("calculating",),
                "sending",
                None,
                user_count=members,
                total_recipients=recipients,
                started_at=clock.now_iso(),
            ):
                return
        row = current()
        if row is None:
            return
    if row["status"] != "sending":
        return
    total = int(row["total_recipients"])
    rng = _rng(cid)
    fail_rate = rng.uniform(0.002, 0.015) if row["channel"] == "email" else rng.uniform(0.01, 0.03)
    failed_total = min(total, round(total * fail_rate))
    done = int(row["sent_count"]) + int(row["failed_count"])
    step = 0
    while done < total:
        step += 1
        await state.scheduler.sleep(SENDING_SECONDS / SEND_STEPS)
        target = total if step >= SEND_STEPS else max(done, round(total * step / SEND_STEPS))
        failed_target = round(failed_total * target / total)
        with db.transaction():
            if db.scalar("SELECT generation FROM campaigns WHERE id = ?", (cid,)) != generation:
                return
            db.execute(
                "UPDATE campaigns SET sent_count = ?, failed_count = ?, modified = ?"
                " WHERE id = ? AND status = 'sending'",
                (target - failed_target, failed_target, clock.now_iso(), cid),
            )
        done = target
    with db.transaction():
        if db.scalar("SELECT generation FROM campaigns WHERE id = ?", (cid,)) != generation:
            return
        if not _move(db, cid, ("sending",), "sent", None, completed_at=clock.now_iso()):
            return
        fresh = _fresh(db, cid)
        _emit(
            state,
            "campaign.sent",
            {"campaign": campaign_out(fresh)},
            str(fresh["organization_id"]),
            str(fresh["edition_id"]),
        )


# -- the due-time scheduler -------------------------------------------------------------------------
# The watcher is a scheduler task named ``loop:...``: ``state.stop()`` cancels it, and
# ``state.idle()`` (tests waiting for state machines) does not wait for it.
_loops: dict[int, asyncio.Task[Any]] = {}


def sweep_due(state: SandboxState) -> list[str]:
    """Start every scheduled campaign whose time has come; returns their ids."""
    db = state.db
    due = [
        str(r["id"])
        for r in db.query(
            "SELECT id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= ?"
            " ORDER BY scheduled_at, pk",
            (clock.now_iso(),),
        )
    ]
    return [cid for cid in due if start_sending(state, cid, ("scheduled",), None)]


async def _due_loop(state: SandboxState) -> None:
    interval = min(1.0, max(0.02, 1.0 / state.scheduler.speed))
    try:
        while state.started:
            try:
                sweep_due(state)
            except Exception:
                log.exception("campaign scheduler sweep failed")
            await asyncio.sleep(interval)
    finally:
        _loops.pop(id(state), None)


def ensure_scheduler(state: SandboxState) -> None:
    """Make sure the due-time watcher of this sandbox runs (idempotent)."""
    if not state.started:
        return
    task = _loops.get(id(state))
    if task is not None and not task.done():
        return
    _loops[id(state)] = state.scheduler.spawn(_due_loop(state), name=f"{LOOP_PREFIX}campaigns")


async def start(state: SandboxState) -> None:
    """Resume campaigns caught calculating or sending, start due ones, watch scheduled ones."""
    db = state.db
    for r in db.query(
        "SELECT id, generation FROM campaigns WHERE status IN ('calculating', 'sending')"
    ):
        state.scheduler.spawn(
            run_send(state, str(r["id"]), int(r["generation"])), name=f"campaign:{r['id']}"
        )
    sweep_due(state)
    ensure_scheduler(state)
