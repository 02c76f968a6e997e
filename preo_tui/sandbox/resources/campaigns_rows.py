"""A campaign's row: its statuses and channels, its JSON form (:func:`campaign_out`),
loading one with its access check, moving it between statuses (recorded as state changes)
and queuing its webhook events."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .. import clock
from ..auth import Principal
from ..db import Database, Row
from ..errors import not_found

if TYPE_CHECKING:
    from ..state import SandboxState

log = logging.getLogger("preo_tui.sandbox")


def _emit(
    state: SandboxState, event: str, payload: dict[str, Any], org: str, edition: str | None
) -> None:
    """Queue a webhook event; a delivery problem never undoes the state change."""
    try:
        with state.db.transaction():
            state.emit_event(event, payload, org, edition)
    except Exception:
        log.exception("could not queue the %s webhook event", event)


STATUSES = ("draft", "scheduled", "calculating", "sending", "sent", "failed", "cancelled")
CHANNELS = ("email", "sms")
SMS_MAX = 612
SENDER_ROLES = ("admin", "manager")


def campaign_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "organization_id": row["organization_id"],
        "edition_id": row["edition_id"],
        "segment_id": row["segment_id"],
        "channel": row["channel"],
        "email_message_id": row["email_message_id"],
        "sms_body": row["sms_body"],
        "status": row["status"],
        "scheduled_at": row["scheduled_at"],
        "total_recipients": row["total_recipients"],
        "sent_count": row["sent_count"],
        "failed_count": row["failed_count"],
        "user_count": row["user_count"],
        "error_message": row["error_message"],
        "started_at": row["started_at"],
        "completed_at": row["completed_at"],
        "created": row["created"],
        "modified": row["modified"],
    }


def get_campaign(db: Database, principal: Principal, campaign_id: str) -> Row:
    row = db.one("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
    if row is None:
        raise not_found("Campaign not found.")
    principal.require_access(row["organization_id"], "Campaign not found.")
    return row


def _fresh(db: Database, campaign_id: str) -> Row:
    row = db.one("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
    assert row is not None
    return row


def _move(
    db: Database, cid: str, frm: tuple[str, ...], to: str, actor: str | None, **values: Any
) -> bool:
    row = db.one("SELECT status FROM campaigns WHERE id = ?", (cid,))
    if row is None or row["status"] not in frm:
        return False
    values["status"] = to
    values["modified"] = clock.now_iso()
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE campaigns SET {sets} WHERE id = ?", (*values.values(), cid))
    db.record_state_change("campaign", cid, str(row["status"]), to, actor)
    return True
