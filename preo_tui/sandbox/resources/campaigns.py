"""Campaigns (contract section 7): CRUD, the send life cycle, a due-time scheduler and stats.

Life cycle [ours, as the contract writes it]: created ``draft``. ``schedule``:
``draft``/``scheduled`` → ``scheduled`` (the time must be in the future, else 400).
``send-now`` (202): ``draft``/``scheduled`` → ``calculating`` (the segment is evaluated again,
into a snapshot: ``user_count`` members, of whom ``total_recipients`` are reachable on the
campaign's channel)
→ ``sending`` (``sent_count`` and ``failed_count`` rise over about five seconds, divided by
``--speed``) → ``sent``; a segment that cannot be evaluated, or that selects nobody, ends in
``failed`` with ``error_message``. ``cancel``: ``scheduled``/``calculating`` → ``cancelled``.
Update only in ``draft``/``scheduled``; delete only in ``draft``/``cancelled``/``failed``;
anything else is 409. Webhooks: ``campaign.sent`` and ``campaign.failed``.

Rules [ours]:

- Sending (``send-now``, ``schedule``, ``cancel``) needs the admin or manager role (403 for
  staff); anyone in the organization may create, edit and delete drafts.
- ``send-now`` and ``schedule`` answer 400 when an email campaign has no email message of type
  ``campaign`` (on ``email_message_id``), an SMS campaign has no ``sms_body`` or a longer one
  than 612 characters (on ``sms_body``), or its segment is ``marketing`` without a consent (on
  ``segment_id``). Create and update already refuse a message of another type, an over-long SMS
  body and a segment of another edition.
- ``user_count`` is the segment's membership at send time (its own channel and consent rules);
  the recipients (``total_recipients``) are those members reachable on the campaign's channel:
  an email campaign needs a valid email address, an SMS campaign a phone number.
- Due scheduled campaigns are started by a background loop that looks every second (or faster
  at a higher ``--speed``) for ``scheduled`` campaigns whose ``scheduled_at`` has passed; a
  sandbox started after that time starts them at once. Campaigns caught in ``calculating`` or
  ``sending`` by a restart resume where they were.
- Stats are derived deterministically from the campaign id and its counts: delivered, bounced,
  opened, clicked and unsubscribed counts and an hourly ``timeline`` from ``started_at`` that
  only includes the hours already past (opens keep arriving for two days), so the totals equal
  the sums of the timeline.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import clock, roles
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict, not_found
from ..paging import PagingDep, Where, check_choice, like_pattern, order_by, paginate
from ..seeding import SeedContext
from ..state import LOOP_PREFIX, SandboxState, StateDep
from .email_messages import raise_unless_campaign_message
from .segments import Audience, AudienceError, compute_audience, reachable

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
#: Nominal seconds spent calculating the recipients, and sending (in SEND_STEPS steps).
CALCULATING_SECONDS = 1.5
SENDING_SECONDS = 5.0
SEND_STEPS = 10
#: Hours of opens/clicks after the send that the stats timeline covers.
TIMELINE_HOURS = 48

SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    segment_id TEXT,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    email_message_id TEXT,
    sms_body TEXT,
    status TEXT NOT NULL,
    scheduled_at TEXT,
    total_recipients INTEGER NOT NULL DEFAULT 0,
    sent_count INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0,
    user_count INTEGER,
    error_message TEXT,
    started_at TEXT,
    completed_at TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS campaigns_org_created ON campaigns (organization_id, created);
CREATE INDEX IF NOT EXISTS campaigns_edition_created ON campaigns (edition_id, created);
CREATE INDEX IF NOT EXISTS campaigns_status_scheduled ON campaigns (status, scheduled_at);
CREATE INDEX IF NOT EXISTS campaigns_segment ON campaigns (segment_id, status);
CREATE INDEX IF NOT EXISTS campaigns_message ON campaigns (email_message_id, status);
"""

router = APIRouter(tags=["campaigns"])

ORDERING = {
    "created": "t.created",
    "modified": "t.modified",
    "name": "t.name",
    "scheduled_at": "COALESCE(t.scheduled_at, '')",
    "total_recipients": "t.total_recipients",
}


# -- serialisation ----------------------------------------------------------------------------------
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


# -- bodies -----------------------------------------------------------------------------------------
class CampaignCreate(BaseModel):
    organization_id: str = Field(min_length=1, max_length=64)
    edition_id: str = Field(min_length=1, max_length=64)
    segment_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["email", "sms"]
    email_message_id: str | None = Field(None, max_length=64)
    sms_body: str | None = Field(None, max_length=SMS_MAX)


class CampaignUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    segment_id: str | None = Field(None, min_length=1, max_length=64)
    email_message_id: str | None = Field(None, max_length=64)
    sms_body: str | None = Field(None, max_length=SMS_MAX)


class ScheduleIn(BaseModel):
    scheduled_at: datetime = Field(description="UTC or with an offset; naive means UTC.")


def _check_segment(db: Database, errors: FieldErrors, segment_id: str, edition_id: str) -> None:
    seg = db.one("SELECT edition_id FROM segments WHERE id = ?", (segment_id,))
    if seg is None:
        errors.add("segment_id", "Unknown segment.")
    elif seg["edition_id"] != edition_id:
        errors.add("segment_id", "The segment belongs to another edition.")


def _check_message(db: Database, errors: FieldErrors, message_id: str, org: str) -> None:
    try:
        raise_unless_campaign_message(db, message_id, org)
    except ApiError as exc:
        for msg in exc.fields.get("email_message_id", ["Unknown email message."]):
            errors.add("email_message_id", msg)


def send_requirements(db: Database, row: Row) -> None:
    """400 unless the campaign has what sending needs (contract section 7)."""
    errors = FieldErrors()
    if row["channel"] == "email":
        if not row["email_message_id"]:
            errors.add(
                "email_message_id", "An email campaign needs an email message of type campaign."
            )
        else:
            _check_message(db, errors, str(row["email_message_id"]), str(row["organization_id"]))
    else:
        body = row["sms_body"] or ""
        if not body.strip():
            errors.add("sms_body", "An SMS campaign needs a text.")
        elif len(body) > SMS_MAX:
            errors.add("sms_body", f"An SMS text may have at most {SMS_MAX} characters.")
    seg = db.one("SELECT * FROM segments WHERE id = ?", (row["segment_id"],))
    if seg is None:
        errors.add("segment_id", "The campaign has no segment.")
    elif seg["communication_type"] == "marketing" and not seg["consent_id"]:
        errors.add("segment_id", "A marketing segment needs a consent before it can be sent to.")
    errors.raise_if_any()


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


# -- endpoints --------------------------------------------------------------------------------------
@router.get("/v1/campaigns", summary="List campaigns")
async def list_campaigns(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    channel: str | None = None,
    edition_id: str | None = None,
    organization_id: str | None = None,
    search: Annotated[str | None, Query(description="Name contains.")] = None,
    status: Annotated[
        str | None, Query(description="One status or a comma-separated list.")
    ] = None,
    ordering: str | None = None,
) -> JSONResponse:
    check_choice("channel", channel, CHANNELS)
    where = Where()
    where.add_in("t.organization_id", principal.org_ids)
    if organization_id:
        where.add("t.organization_id = ?", organization_id)
    if edition_id:
        where.add("t.edition_id = ?", edition_id)
    if channel:
        where.add("t.channel = ?", channel)
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        for s in wanted:
            check_choice("status", s, STATUSES)
        where.add_in("t.status", wanted)
    if search:
        where.add("t.name LIKE ? ESCAPE '\\'", like_pattern(search.strip()))
    order = order_by(ordering, ORDERING, "-created")
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="campaigns",
            where=where,
            order=order,
            paging=paging,
            serialize=campaign_out,
        )
    )


@router.post("/v1/campaigns", status_code=201, summary="Create campaign")
async def create_campaign(
    body: CampaignCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_member(body.organization_id)
    errors = FieldErrors()
    edition = db.one("SELECT organization_id FROM editions WHERE id = ?", (body.edition_id,))
    if edition is None or principal.role_in(edition["organization_id"]) is None:
        raise bad_request("edition_id", "Unknown edition.")
    if edition["organization_id"] != body.organization_id:
        errors.add("edition_id", "The edition belongs to another organization.")
    if not body.name.strip():
        errors.add("name", "This field may not be blank.")
    _check_segment(db, errors, body.segment_id, body.edition_id)
    if body.email_message_id:
        _check_message(db, errors, body.email_message_id, body.organization_id)
    errors.raise_if_any()
    cid = new_id("cmp")
    now = clock.now_iso()
    with db.transaction():
        db.execute(
            "INSERT INTO campaigns (id, organization_id, edition_id, segment_id, name, channel,"
            " email_message_id, sms_body, status, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,'draft',?,?)",
            (
                cid,
                body.organization_id,
                body.edition_id,
                body.segment_id,
                body.name.strip(),
                body.channel,
                body.email_message_id,
                body.sms_body,
                now,
                now,
            ),
        )
        db.record_state_change("campaign", cid, None, "draft", principal.id)
    return JSONResponse(campaign_out(_fresh(db, cid)), status_code=201)


@router.get("/v1/campaigns/{id}", summary="Retrieve campaign")
async def get_campaign_details(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(campaign_out(get_campaign(state.db, principal, id)))


@router.patch("/v1/campaigns/{id}", summary="Update campaign")
async def update_campaign(
    id: str, body: CampaignUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_campaign(db, principal, id)
    roles.require_campaign_write(principal, row)
    if row["status"] not in ("draft", "scheduled"):
        raise conflict(f"A {row['status']} campaign cannot be changed.")
    given = body.model_fields_set
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    if "name" in given:
        if body.name is None or not body.name.strip():
            errors.add("name", "This field may not be blank.")
        else:
            changes["name"] = body.name.strip()
    if "segment_id" in given:
        if body.segment_id is None:
            errors.add("segment_id", "This field may not be null.")
        else:
            _check_segment(db, errors, body.segment_id, str(row["edition_id"]))
            changes["segment_id"] = body.segment_id
    if "email_message_id" in given:
        if body.email_message_id:
            _check_message(db, errors, body.email_message_id, str(row["organization_id"]))
        changes["email_message_id"] = body.email_message_id or None
    if "sms_body" in given:
        changes["sms_body"] = body.sms_body
    errors.raise_if_any()
    if changes:
        changes["modified"] = clock.now_iso()
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            status = db.scalar("SELECT status FROM campaigns WHERE id = ?", (id,))
            if status not in ("draft", "scheduled"):
                raise conflict(f"A {status} campaign cannot be changed.")
            db.execute(f"UPDATE campaigns SET {sets} WHERE id = ?", (*changes.values(), id))
    return JSONResponse(campaign_out(_fresh(db, id)))


@router.delete("/v1/campaigns/{id}", status_code=204, summary="Delete campaign")
async def delete_campaign(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    roles.require_campaign_write(principal, get_campaign(db, principal, id))
    with db.transaction():
        status = db.scalar("SELECT status FROM campaigns WHERE id = ?", (id,))
        if status not in ("draft", "cancelled", "failed"):
            raise conflict(
                f"A {status} campaign cannot be deleted (only draft, cancelled or failed ones)."
            )
        db.execute("DELETE FROM campaigns WHERE id = ?", (id,))
    return Response(status_code=204)


@router.post("/v1/campaigns/{id}/cancel", summary="Cancel campaign")
async def cancel_campaign(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = get_campaign(db, principal, id)
    principal.require_role(row["organization_id"], *SENDER_ROLES)
    with db.transaction():
        status = db.scalar("SELECT status FROM campaigns WHERE id = ?", (id,))
        if not _move(
            db,
            id,
            ("scheduled", "calculating"),
            "cancelled",
            principal.id,
            generation=int(row["generation"]) + 1,
        ):
            raise conflict(
                f"A {status} campaign cannot be cancelled (only scheduled or calculating ones)."
            )
    return JSONResponse(campaign_out(_fresh(db, id)))


@router.post("/v1/campaigns/{id}/schedule", summary="Schedule campaign")
async def schedule_campaign(
    id: str, body: ScheduleIn, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_campaign(db, principal, id)
    principal.require_role(row["organization_id"], *SENDER_ROLES)
    if row["status"] not in ("draft", "scheduled"):
        raise conflict(f"A {row['status']} campaign cannot be scheduled.")
    try:
        when = clock.iso(body.scheduled_at)
    except (OverflowError, ValueError):
        when = None
    if when is None:
        raise bad_request("scheduled_at", "Enter a valid date and time.")
    if when <= clock.now_iso():
        raise bad_request("scheduled_at", "The time must be in the future.")
    send_requirements(db, row)
    with db.transaction():
        if not _move(db, id, ("draft", "scheduled"), "scheduled", principal.id, scheduled_at=when):
            raise conflict("The campaign changed meanwhile; reload it.")
    ensure_scheduler(state)
    return JSONResponse(campaign_out(_fresh(db, id)))


@router.post("/v1/campaigns/{id}/send-now", status_code=202, summary="Send campaign now")
async def send_now(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    row = get_campaign(db, principal, id)
    principal.require_role(row["organization_id"], *SENDER_ROLES)
    if row["status"] not in ("draft", "scheduled"):
        raise conflict(f"A {row['status']} campaign cannot be sent.")
    send_requirements(db, row)
    if not start_sending(state, id, ("draft", "scheduled"), principal.id):
        raise conflict("The campaign changed meanwhile; reload it.")
    return JSONResponse(campaign_out(_fresh(db, id)), status_code=202)


@router.get("/v1/campaigns/{id}/stats", summary="Get campaign stats")
async def campaign_stats(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    row = get_campaign(state.db, principal, id)
    return JSONResponse(compute_stats(row, clock.now()))


# -- stats ------------------------------------------------------------------------------------------
def _rng(campaign_id: str) -> random.Random:
    digest = hashlib.sha256(campaign_id.encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _split(total: int, weights: list[float]) -> list[int]:
    """Distribute ``total`` over buckets proportionally to ``weights`` (exact sum)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def compute_stats(row: Row, now: datetime) -> dict[str, Any]:
    """Totals, rates and an hourly timeline; deterministic for a campaign id, counts and time."""
    sent = int(row["sent_count"])
    total = int(row["total_recipients"])
    failed = int(row["failed_count"])
    rng = _rng(str(row["id"]))
    bounce_rate = rng.uniform(0.005, 0.02)
    is_email = row["channel"] == "email"
    open_rate = rng.uniform(0.35, 0.6) if is_email else 0.0
    click_share = rng.uniform(0.08, 0.25)
    unsub_rate = rng.uniform(0.001, 0.006) if is_email else rng.uniform(0.0005, 0.002)
    bounced = round(sent * bounce_rate)
    delivered = sent - bounced
    eventual_opens = round(delivered * open_rate)
    eventual_clicks = (
        round(eventual_opens * click_share) if is_email else round(delivered * click_share * 0.3)
    )
    timeline: list[dict[str, Any]] = []
    opened = clicked = 0
    if row["started_at"] and sent > 0:
        start = clock.parse_iso(str(row["started_at"]))
        weights = [0.5 ** (h / 6.0) for h in range(TIMELINE_HOURS)]
        opens = _split(eventual_opens, weights)
        clicks = _split(eventual_clicks, weights)
        elapsed_hours = int((now - start).total_seconds() // 3600)
        visible = max(0, min(TIMELINE_HOURS, elapsed_hours + 1))
        for h in range(visible):
            at = clock.iso(start + timedelta(hours=h))
            timeline.append(
                {
                    "at": at,
                    "sent": sent if h == 0 else 0,
                    "opened": opens[h],
                    "clicked": clicks[h],
                }
            )
            opened += opens[h]
            clicked += clicks[h]
    unsubscribed = round(delivered * unsub_rate) if sent else 0
    return {
        "total_recipients": total,
        "sent_count": sent,
        "failed_count": failed,
        "delivered_count": delivered,
        "opened_count": opened,
        "clicked_count": clicked,
        "bounced_count": bounced,
        "unsubscribed_count": unsubscribed,
        "open_rate": round(opened / delivered, 4) if delivered else 0.0,
        "click_rate": round(clicked / delivered, 4) if delivered else 0.0,
        "timeline": timeline,
    }


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


# -- seed -------------------------------------------------------------------------------------------
SMS_TEXTS = (
    "Nordlys: doors open at 14:00 on Friday. Bring your wristband and an ID. Reply STOP to opt out.",
    "Last tickets for Saturday! 20% off with code SUMMER until midnight.",
    "Heavy rain expected: wear boots and check the app for the updated running order.",
)


def seed(ctx: SeedContext) -> None:
    """Email and SMS campaigns in every status, consistent with their segments and messages."""
    db = ctx.db
    rng = ctx.rng("campaigns")
    segments: dict[str, str] = ctx.shared.get("segments", {})
    messages: dict[str, Any] = ctx.shared.get("email_messages", {})

    def message_for(edition_id: str, index: int) -> str | None:
        per = messages.get("editions", {}).get(edition_id, {})
        ids = per.get("campaign", [])
        return ids[index % len(ids)] if ids else None

    seg_rows = {
        key: db.one("SELECT * FROM segments WHERE id = ?", (sid,)) for key, sid in segments.items()
    }
    plans: list[tuple[str, str, str, str, int]] = [
        # segment key, name, channel, status, age in days
        ("danish", "Line-up announcement (DA)", "email", "sent", 30),
        ("big_spenders", "Thank you, big spenders", "email", "sent", 20),
        ("vip", "VIP lounge opening hours", "sms", "sent", 12),
        ("danish", "Last tickets reminder", "email", "scheduled", 2),
        ("swedes_sms", "Rain warning (SE)", "sms", "scheduled", 1),
        ("big_spenders", "Early-bird for next year", "email", "draft", 1),
        ("vip", "VIP upgrade offer", "sms", "draft", 0),
        ("broken_regex", "Corporate packages", "email", "failed", 9),
        ("danish", "Cancelled: wrong date", "email", "cancelled", 5),
        ("vip", "Gate change (SMS)", "sms", "calculating", 0),
        ("danish", "Weather update", "email", "sending", 0),
        ("returning", "Welcome back", "email", "sent", 190),
        ("second_org_all", "Välkommen tillbaka", "email", "sent", 40),
    ]
    rows = []
    for index, (seg_key, name, channel, status, age) in enumerate(plans):
        seg = seg_rows.get(seg_key)
        if seg is None:
            continue
        eid = str(seg["edition_id"])
        cid = ctx.new_id("cmp", rng)
        created = ctx.ts(timedelta(days=-age, hours=-6))
        message_id = message_for(eid, index) if channel == "email" else None
        sms_body = SMS_TEXTS[index % len(SMS_TEXTS)] if channel == "sms" else None
        total = sent = failed = 0
        user_count: int | None = None
        scheduled_at = started = completed = error = None
        if status in ("sent", "sending"):
            member_ids = [
                str(r[0])
                for r in db.query(
                    "SELECT user_id FROM segment_members WHERE segment_id = ? ORDER BY position",
                    (seg["id"],),
                )
            ]
            edition = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
            assert edition is not None
            total = len(reachable(db, edition, member_ids, channel))
            user_count = len(member_ids)
            fail_rate = _rng(cid).uniform(0.002, 0.015)
            failed_total = round(total * fail_rate)
            if status == "sent":
                failed, sent = failed_total, total - failed_total
                started = ctx.ts(timedelta(days=-age, hours=-5))
                completed = ctx.ts(timedelta(days=-age, hours=-5, minutes=3))
            else:
                done = total // 3
                failed = round(failed_total * done / total) if total else 0
                sent = done - failed
                started = ctx.ts(timedelta(minutes=-1))
            scheduled_at = ctx.ts(timedelta(days=-age, hours=-5)) if index % 2 else None
        elif status == "scheduled":
            scheduled_at = ctx.ts(timedelta(days=age + 1, hours=3))
        elif status == "failed":
            error = seg["error_message"] or "The segment could not be evaluated."
            started = None
            completed = ctx.ts(timedelta(days=-age, hours=-5))
        elif status == "cancelled":
            scheduled_at = ctx.ts(timedelta(days=-age + 3))
        modified = completed or started or created
        rows.append(
            (
                cid,
                seg["organization_id"],
                eid,
                seg["id"],
                name,
                channel,
                message_id,
                sms_body,
                status,
                scheduled_at,
                total,
                sent,
                failed,
                user_count,
                error,
                started,
                completed,
                created,
                modified,
            )
        )
    db.executemany(
        "INSERT INTO campaigns (id, organization_id, edition_id, segment_id, name, channel,"
        " email_message_id, sms_body, status, scheduled_at, total_recipients, sent_count,"
        " failed_count, user_count, error_message, started_at, completed_at, generation,"
        " created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?)",
        rows,
    )
    ctx.shared["campaigns"] = [r[0] for r in rows]
