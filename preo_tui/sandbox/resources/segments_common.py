"""Segments' shared helpers: serialisation, lookups, checks, the member snapshot, events.

Used by the endpoints (:mod:`.segments`), the calculation (:mod:`.segments_calc`) and the seed
(:mod:`.segments_seed`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ...cel import check
from ..audience import BARE_CONTEXT, edition_context
from ..auth import Principal
from ..db import Database, Row
from ..errors import FieldErrors, bad_request, not_found
from ..state import SandboxState

log = logging.getLogger("preo_tui.sandbox")


def emit(
    state: SandboxState, event: str, payload: dict[str, Any], org: str, edition: str | None
) -> None:
    """Queue a webhook event; a delivery problem never undoes the state change."""
    try:
        with state.db.transaction():
            state.emit_event(event, payload, org, edition)
    except Exception:
        log.exception("could not queue the %s webhook event", event)


# -- serialisation and lookups ---------------------------------------------------------------------
def segment_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "edition_id": row["edition_id"],
        "consent_id": row["consent_id"],
        "name": row["name"],
        "description": row["description"],
        "communication_type": row["communication_type"],
        "communication_channel": row["communication_channel"],
        "condition": row["condition"],
        "status": row["status"],
        "user_count": row["user_count"],
        "last_calculated": row["last_calculated"],
        "error_message": row["error_message"],
        "created": row["created"],
        "modified": row["modified"],
    }


def get_segment(db: Database, principal: Principal, segment_id: str) -> Row:
    row = db.one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    if row is None:
        raise not_found("Segment not found.")
    principal.require_access(row["organization_id"], "Segment not found.")
    return row


def fresh(db: Database, segment_id: str) -> Row:
    row = db.one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    assert row is not None
    return row


def condition_error(text: str, edition: Row | None, db: Database) -> str | None:
    """The 400 message for an invalid condition ("line L, column C: ..."), or None."""
    ctx = edition_context(db, edition) if edition is not None else BARE_CONTEXT
    result = check(text, ctx)
    return None if result.ok else result.summary()


def edition_row(db: Database, principal: Principal, edition_id: str) -> Row:
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request("edition_id", "Unknown edition.")
    return row


def check_consent(
    db: Database, errors: FieldErrors, consent_id: str | None, org: str, edition_id: str
) -> None:
    if consent_id is None:
        return
    row = db.one("SELECT organization_id, edition_id FROM consents WHERE id = ?", (consent_id,))
    if row is None or row["organization_id"] != org:
        errors.add("consent_id", "Unknown consent.")
    elif row["edition_id"] is not None and row["edition_id"] != edition_id:
        errors.add("consent_id", "This consent belongs to another edition.")


def store_members(db: Database, segment_id: str, user_ids: Sequence[str]) -> None:
    """Replace the member snapshot (inside the transaction that completes the calculation)."""
    db.execute("DELETE FROM segment_members WHERE segment_id = ?", (segment_id,))
    db.executemany(
        "INSERT INTO segment_members (segment_id, position, user_id) VALUES (?,?,?)",
        ((segment_id, i, uid) for i, uid in enumerate(user_ids)),
    )
