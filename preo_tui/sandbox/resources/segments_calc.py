"""A segment's calculation: ``pending`` → ``processing`` → ``completed``/``failed``.

The audience is computed in a worker thread (:mod:`preo_tui.sandbox.audience`); the new
status, count and member snapshot are written in one transaction, unless the segment was
reset or changed meanwhile (its ``generation`` moved on). At start-up the evaluation data of
big editions is loaded in the background, so the first estimate is fast.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .. import clock
from ..audience import Audience, AudienceError, audience_for_segment, warm_up
from ..db import Database
from ..state import SandboxState
from .segments_common import emit, fresh, segment_out, store_members

log = logging.getLogger("preo_tui.sandbox")

#: Nominal seconds a recalculation waits in ``pending`` (divided by ``--speed``).
PENDING_SECONDS = 1.0
#: Nominal minimum seconds in ``processing``, so the state is visible at speed 1.
PROCESSING_SECONDS = 1.0


def _move(db: Database, segment_id: str, generation: int, frm: str, to: str, **values: Any) -> bool:
    """Change status when the row is still at ``generation``/``frm`` (inside a transaction)."""
    row = db.one("SELECT status, generation FROM segments WHERE id = ?", (segment_id,))
    if row is None or int(row["generation"]) != generation or row["status"] != frm:
        return False
    values["status"] = to
    values["modified"] = clock.now_iso()
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE segments SET {sets} WHERE id = ?", (*values.values(), segment_id))
    db.record_state_change("segment", segment_id, frm, to, None)
    return True


async def run_calculation(state: SandboxState, segment_id: str, generation: int) -> None:
    """pending → processing → completed/failed, unless reset or changed meanwhile."""
    db = state.db
    await state.scheduler.sleep(PENDING_SECONDS)
    with db.transaction():
        if not _move(db, segment_id, generation, "pending", "processing"):
            return
    row = fresh(db, segment_id)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        audience: Audience | None = await asyncio.to_thread(audience_for_segment, db, row)
        error = None
    except AudienceError as exc:
        audience, error = None, str(exc)
    except Exception as exc:  # a bug must not leave the segment processing forever
        log.exception("segment %s calculation failed", segment_id)
        audience, error = None, f"Internal error while calculating: {exc}"
    remaining = state.scheduler.scaled(PROCESSING_SECONDS) - (loop.time() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    with db.transaction():
        if audience is not None:
            if not _move(
                db,
                segment_id,
                generation,
                "processing",
                "completed",
                user_count=len(audience.user_ids),
                last_calculated=clock.now_iso(),
                error_message=None,
            ):
                return
            store_members(db, segment_id, audience.user_ids)
            done = fresh(db, segment_id)
            emit(
                state,
                "segment.calculated",
                {"segment": segment_out(done)},
                str(done["organization_id"]),
                str(done["edition_id"]),
            )
        else:
            _move(db, segment_id, generation, "processing", "failed", error_message=error)


# -- start-up ------------------------------------------------------------------------------------
#: Editions with at least this many orders get their evaluation data loaded at start-up.
WARM_UP_ORDERS = 20_000


async def start(state: SandboxState) -> None:
    """Load the evaluation data of big editions in the background (first estimate is fast).

    Not a tracked task: ``state.idle()`` must not wait for an optional cache warm-up.
    """
    rows = state.db.query(
        "SELECT edition_id FROM orders GROUP BY edition_id HAVING COUNT(*) >= ?",
        (WARM_UP_ORDERS,),
    )
    if rows:
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, warm_up, state.db, [str(r[0]) for r in rows])
