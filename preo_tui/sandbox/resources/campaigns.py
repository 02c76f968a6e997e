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

The module holds the operations (paths, parameters, request bodies and the checks before a
send); beside it: ``campaigns_rows.py`` (statuses, the JSON form, status moves),
``campaigns_send.py`` (the send machine and the due-time scheduler), ``campaigns_stats.py``
and ``campaigns_seed.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import clock, roles
from ..auth import PrincipalDep
from ..db import Database, Row, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict
from ..paging import PagingDep, Where, check_choice, like_pattern, order_by, paginate
from ..state import StateDep
from .campaigns_rows import (
    CHANNELS,
    SENDER_ROLES,
    SMS_MAX,
    STATUSES,
    _fresh,
    _move,
    campaign_out,
    get_campaign,
)
from .campaigns_seed import seed
from .campaigns_send import ensure_scheduler, start, start_sending, sweep_due
from .campaigns_stats import compute_stats
from .email_messages import raise_unless_campaign_message

__all__ = ["SCHEMA", "router", "seed", "start", "sweep_due"]

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
