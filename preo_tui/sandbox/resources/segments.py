"""Segments and CEL (contract section 8), computed for real with :mod:`preo_tui.cel`.

A segment's condition is evaluated once per user of its edition (the users with at least one
order in it) with the contract's CEL context: ``user``, ``orders`` (the user's orders in the
edition, with their purchases), ``edition`` and ``now``. The typed check (400 on ``condition``,
``validate-cel`` diagnostics) and the evaluation both come from :mod:`preo_tui.cel`; the CEL
context served at ``cel-context`` is the same data structure the checker is built from.

Audience rules [ours], applied before the condition:

- ``communication_channel``: ``email`` needs a valid email address, ``sms`` a phone number in
  international format, ``pass_push`` an *active wallet pass*: in the sandbox a user holds one
  when they have a ``confirmed`` or ``completed`` order in the edition with at least one
  ``active`` purchase (the pass is issued with the ticket); ``any`` takes everyone.
- ``marketing`` segments only take users who granted the segment's consent.
- A runtime error of the condition for a user (a missing value, a bad regular expression) makes
  that user a non-member. When it fails for *every* user the calculation ``failed`` with the
  first error as ``error_message``.

Life cycle: created ``draft``; ``recalculate`` moves ``draft``/``completed``/``failed`` →
``pending`` → ``processing`` → ``completed`` (``user_count``, ``last_calculated`` and the member
snapshot that ``export-csv`` returns) or ``failed``; the evaluation runs in a worker thread.
``reset-to-draft`` takes a ``pending``/``processing`` segment back to ``draft`` (a calculation
still running is then discarded). Changing the condition, channel, type or consent puts the
segment back to ``draft`` (the stored count no longer describes it); delete is 409 while a
campaign that is not finished (draft, scheduled, calculating, sending) uses the segment.

``validate-cel`` estimates the audience over the edition's users: of the condition alone, or,
when the request also carries the optional [ours] fields ``communication_channel``,
``communication_type`` and ``consent_id``, with the segment's audience rules applied as above.
The count is exact up to :data:`ESTIMATE_EXACT_LIMIT` users; above that it evaluates an evenly
spread, deterministic sample of that many users and scales the result (``estimate_exact:
false`` says so).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...cel import check
from .. import clock, roles
from ..audience import (
    BARE_CONTEXT,
    LANGUAGES,
    ORDER_STATUSES,
    ORDER_TYPES,
    PURCHASE_STATUSES,
    Audience,
    AudienceError,
    audience_for_segment,
    compute_audience,
    edition_context,
    reachable,
    warm_up,
)
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, new_id
from ..errors import FieldErrors, bad_request, conflict, not_found
from ..paging import PagingDep, Where, check_choice, like_pattern, marks, order_by, paginate
from ..seeding import SeedContext
from ..state import SandboxState, StateDep

log = logging.getLogger("preo_tui.sandbox")

__all__ = [  # the evaluation lives in ..audience; these names stay importable from here
    "LANGUAGES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "PURCHASE_STATUSES",
    "Audience",
    "AudienceError",
    "compute_audience",
    "reachable",
    "router",
    "seed",
    "start",
]


def _emit(
    state: SandboxState, event: str, payload: dict[str, Any], org: str, edition: str | None
) -> None:
    """Queue a webhook event; a delivery problem never undoes the state change."""
    try:
        with state.db.transaction():
            state.emit_event(event, payload, org, edition)
    except Exception:
        log.exception("could not queue the %s webhook event", event)


STATUSES = ("draft", "pending", "processing", "completed", "failed")
TYPES = ("transactional", "marketing")
CHANNELS = ("any", "email", "sms", "pass_push")
#: Campaign statuses during which the segment may not be deleted.
OPEN_CAMPAIGN_STATUSES = ("draft", "scheduled", "calculating", "sending")
#: validate-cel evaluates every user up to this many, a deterministic sample above
#: (5,000 evenly spread users: within about 1.5 % of the exact count, and the editor's
#: estimate stays well under 300 ms on a 63,000-user edition; issue 20).
ESTIMATE_EXACT_LIMIT = 5_000
#: Nominal seconds a recalculation waits in ``pending`` (divided by ``--speed``).
PENDING_SECONDS = 1.0
#: Nominal minimum seconds in ``processing``, so the state is visible at speed 1.
PROCESSING_SECONDS = 1.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    edition_id TEXT NOT NULL,
    consent_id TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    communication_type TEXT NOT NULL,
    communication_channel TEXT NOT NULL,
    condition TEXT NOT NULL,
    status TEXT NOT NULL,
    user_count INTEGER,
    last_calculated TEXT,
    error_message TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_org_created ON segments (organization_id, created);
CREATE INDEX IF NOT EXISTS segments_edition_created ON segments (edition_id, created);
CREATE INDEX IF NOT EXISTS segments_status ON segments (status);
CREATE INDEX IF NOT EXISTS segments_consent ON segments (consent_id);
-- a counter of writes to the data a condition reads: the key of the evaluation cache
-- (see _fingerprint). Every insert, update or delete of a user, order, purchase or consent
-- grant bumps it, whichever module or connection writes; triggers come after the seed.
CREATE TABLE IF NOT EXISTS segment_data (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO segment_data (id, version) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS segment_data_users_insert AFTER INSERT ON users BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_users_update AFTER UPDATE ON users BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_users_delete AFTER DELETE ON users BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_insert AFTER INSERT ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_update AFTER UPDATE ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_orders_delete AFTER DELETE ON orders BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_insert AFTER INSERT ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_update AFTER UPDATE ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_purchases_delete AFTER DELETE ON purchases BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_insert AFTER INSERT ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_update AFTER UPDATE ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS segment_data_user_consents_delete AFTER DELETE ON user_consents BEGIN
    UPDATE segment_data SET version = version + 1;
END;
-- the members found by the last completed calculation (what export-csv returns)
CREATE TABLE IF NOT EXISTS segment_members (
    segment_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, position)
) WITHOUT ROWID;
"""

router = APIRouter(tags=["segments"])

ORDERING = {
    "created": "t.created",
    "modified": "t.modified",
    "name": "t.name",
    "user_count": "COALESCE(t.user_count, -1)",
    "last_calculated": "COALESCE(t.last_calculated, '')",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+\d{6,15}$")


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


def _fresh(db: Database, segment_id: str) -> Row:
    row = db.one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    assert row is not None
    return row


def condition_error(text: str, edition: Row | None, db: Database) -> str | None:
    """The 400 message for an invalid condition ("line L, column C: ..."), or None."""
    ctx = edition_context(db, edition) if edition is not None else BARE_CONTEXT
    result = check(text, ctx)
    return None if result.ok else result.summary()


def _edition_row(db: Database, principal: Principal, edition_id: str) -> Row:
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request("edition_id", "Unknown edition.")
    return row


def _check_consent(
    db: Database, errors: FieldErrors, consent_id: str | None, org: str, edition_id: str
) -> None:
    if consent_id is None:
        return
    row = db.one("SELECT organization_id, edition_id FROM consents WHERE id = ?", (consent_id,))
    if row is None or row["organization_id"] != org:
        errors.add("consent_id", "Unknown consent.")
    elif row["edition_id"] is not None and row["edition_id"] != edition_id:
        errors.add("consent_id", "This consent belongs to another edition.")


# -- bodies ----------------------------------------------------------------------------------------
Channel = Literal["any", "email", "sms", "pass_push"]
CommType = Literal["transactional", "marketing"]


class SegmentCreate(BaseModel):
    organization_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    edition_id: str = Field(min_length=1, max_length=64)
    consent_id: str | None = Field(None, max_length=64)
    description: str = Field("", max_length=2000)
    communication_type: CommType = "transactional"
    communication_channel: Channel = "any"
    condition: str = Field(min_length=1, max_length=20_000)


class SegmentUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    consent_id: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=2000)
    communication_type: CommType | None = None
    communication_channel: Channel | None = None
    condition: str | None = Field(None, min_length=1, max_length=20_000)


class ValidateIn(BaseModel):
    condition: str = Field(max_length=100_000)
    edition_id: str | None = Field(None, max_length=64)
    # [ours] optional: estimate with the segment's audience rules as the editor has them
    communication_channel: Channel | None = None
    communication_type: CommType | None = None
    consent_id: str | None = Field(None, max_length=64)


# -- endpoints -------------------------------------------------------------------------------------
@router.get("/v1/segments", summary="List segments")
async def list_segments(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    communication_channel: str | None = None,
    communication_type: str | None = None,
    edition_id: str | None = None,
    organization_id: str | None = None,
    search: Annotated[str | None, Query(description="Name or description contains.")] = None,
    status: Annotated[
        str | None, Query(description="One status or a comma-separated list.")
    ] = None,
    ordering: str | None = None,
) -> JSONResponse:
    check_choice("communication_channel", communication_channel, CHANNELS)
    check_choice("communication_type", communication_type, TYPES)
    orgs = principal.org_ids
    where = Where()
    where.add_in("t.organization_id", orgs)
    if organization_id:
        where.add("t.organization_id = ?", organization_id)
    if edition_id:
        where.add("t.edition_id = ?", edition_id)
    if communication_channel:
        where.add("t.communication_channel = ?", communication_channel)
    if communication_type:
        where.add("t.communication_type = ?", communication_type)
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        for s in wanted:
            check_choice("status", s, STATUSES)
        where.add_in("t.status", wanted)
    if search:
        pattern = like_pattern(search.strip())
        where.add(
            "(t.name LIKE ? ESCAPE '\\' OR t.description LIKE ? ESCAPE '\\')", pattern, pattern
        )
    order = order_by(ordering, ORDERING, "-created")
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="segments",
            where=where,
            order=order,
            paging=paging,
            serialize=segment_out,
        )
    )


@router.get("/v1/segments/cel-context", summary="Get CEL context schema and dynamic values")
async def cel_context(
    state: StateDep,
    principal: PrincipalDep,
    edition_id: Annotated[str, Query(min_length=1, description="The edition evaluated over.")],
) -> JSONResponse:
    edition = _edition_row(state.db, principal, edition_id)
    return JSONResponse(edition_context(state.db, edition).to_json())


@router.post("/v1/segments/validate-cel", summary="Validate CEL expression")
async def validate_cel(body: ValidateIn, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    edition = _edition_row(db, principal, body.edition_id) if body.edition_id else None
    ctx = edition_context(db, edition) if edition is not None else BARE_CONTEXT
    result = check(body.condition, ctx)
    if not result.ok:
        return JSONResponse({"valid": False, "errors": [d.to_json() for d in result.diagnostics]})
    if edition is None:
        return JSONResponse({"valid": True, "estimated_user_count": None, "total_user_count": None})
    try:
        audience = await asyncio.to_thread(
            compute_audience,
            db,
            edition,
            body.condition,
            channel=body.communication_channel or "any",
            consent_id=body.consent_id,
            marketing=body.communication_type == "marketing",
            sample=ESTIMATE_EXACT_LIMIT,
        )
    except AudienceError as exc:
        return JSONResponse(
            {"valid": False, "errors": [{"message": str(exc), "line": 1, "column": 1}]}
        )
    exact = audience.evaluated >= audience.eligible
    matched = len(audience.user_ids)
    estimate = matched if exact else round(matched * audience.eligible / max(1, audience.evaluated))
    return JSONResponse(
        {
            "valid": True,
            "estimated_user_count": estimate,
            "total_user_count": audience.population,
            "estimate_exact": exact,
            "runtime_errors": audience.errors,
        }
    )


@router.post("/v1/segments", status_code=201, summary="Create segment")
async def create_segment(
    body: SegmentCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_member(body.organization_id)
    edition = _edition_row(db, principal, body.edition_id)
    errors = FieldErrors()
    if edition["organization_id"] != body.organization_id:
        errors.add("edition_id", "The edition belongs to another organization.")
    if not body.name.strip():
        errors.add("name", "This field may not be blank.")
    if body.communication_type == "marketing" and not body.consent_id:
        errors.add("consent_id", "A marketing segment needs a consent.")
    _check_consent(db, errors, body.consent_id, body.organization_id, body.edition_id)
    message = condition_error(body.condition, edition, db)
    if message:
        errors.add("condition", message)
    errors.raise_if_any()
    now = clock.now_iso()
    sid = new_id("seg")
    with db.transaction():
        db.execute(
            "INSERT INTO segments (id, organization_id, edition_id, consent_id, name, description,"
            " communication_type, communication_channel, condition, status, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,'draft',?,?)",
            (
                sid,
                body.organization_id,
                body.edition_id,
                body.consent_id,
                body.name.strip(),
                body.description,
                body.communication_type,
                body.communication_channel,
                body.condition,
                now,
                now,
            ),
        )
        db.record_state_change("segment", sid, None, "draft", principal.id)
    return JSONResponse(segment_out(_fresh(db, sid)), status_code=201)


@router.get("/v1/segments/{id}", summary="Retrieve segment")
async def get_segment_details(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(segment_out(get_segment(state.db, principal, id)))


@router.patch("/v1/segments/{id}", summary="Update segment")
async def update_segment(
    id: str, body: SegmentUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_segment(db, principal, id)
    given = body.model_fields_set
    if {"condition", "communication_type", "communication_channel", "consent_id"} & given:
        roles.require_segment_audience_write(db, principal, row)  # issue 14: role matrix
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    for name in ("name", "description", "communication_type", "communication_channel", "condition"):
        if name in given:
            value = getattr(body, name)
            if value is None:
                errors.add(name, "This field may not be null.")
            elif value != row[name]:
                changes[name] = value.strip() if name == "name" else value
    if "consent_id" in given and body.consent_id != row["consent_id"]:
        changes["consent_id"] = body.consent_id
    if "name" in changes and not changes["name"]:
        errors.add("name", "This field may not be blank.")
    merged_type = changes.get("communication_type", row["communication_type"])
    merged_consent = changes.get("consent_id", row["consent_id"])
    if merged_type == "marketing" and not merged_consent:
        errors.add("consent_id", "A marketing segment needs a consent.")
    if "consent_id" in changes:
        _check_consent(db, errors, merged_consent, row["organization_id"], row["edition_id"])
    if "condition" in changes:
        edition = db.one("SELECT * FROM editions WHERE id = ?", (row["edition_id"],))
        message = condition_error(changes["condition"], edition, db)
        if message:
            errors.add("condition", message)
    errors.raise_if_any()
    if changes:
        audience_changed = bool(
            {"condition", "communication_type", "communication_channel", "consent_id"}
            & set(changes)
        )
        now = clock.now_iso()
        with db.transaction():
            if audience_changed and row["status"] != "draft":
                changes["status"] = "draft"
                changes["generation"] = int(row["generation"]) + 1
                db.record_state_change("segment", id, row["status"], "draft", principal.id)
            changes["modified"] = now
            sets = ", ".join(f"{k} = ?" for k in changes)
            db.execute(f"UPDATE segments SET {sets} WHERE id = ?", (*changes.values(), id))
    return JSONResponse(segment_out(_fresh(db, id)))


@router.delete("/v1/segments/{id}", status_code=204, summary="Delete segment")
async def delete_segment(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    roles.require_segment_audience_write(db, principal, get_segment(db, principal, id))
    with db.transaction():
        if db.scalar("SELECT name FROM sqlite_master WHERE type='table' AND name='campaigns'"):
            campaign = db.one(
                f"SELECT name, status FROM campaigns WHERE segment_id = ?"
                f" AND status IN ({marks(OPEN_CAMPAIGN_STATUSES)}) LIMIT 1",
                (id, *OPEN_CAMPAIGN_STATUSES),
            )
            if campaign is not None:
                raise conflict(
                    f"The campaign {campaign['name']!r} ({campaign['status']}) uses this segment;"
                    " cancel or delete it first."
                )
        db.execute("DELETE FROM segment_members WHERE segment_id = ?", (id,))
        db.execute("DELETE FROM segments WHERE id = ?", (id,))
    return Response(status_code=204)


@router.get("/v1/segments/{id}/export-csv", summary="Export segment users as CSV")
async def export_csv(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    row = get_segment(db, principal, id)
    if row["status"] != "completed":
        raise conflict(
            f"Only a completed segment can be exported; this one is {row['status']}."
            " Recalculate it first."
        )
    rows = db.query(
        "SELECT u.id, u.email, u.phone, u.first_name, u.last_name, u.language"
        " FROM segment_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.segment_id = ? ORDER BY m.position",
        (id,),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "email", "phone", "first_name", "last_name", "language"])
    for r in rows:
        writer.writerow([r[0], r[1], r[2] or "", r[3], r[4], r[5]])
    filename = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(row["name"])).strip("-") or id
    return Response(
        content=buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


@router.post("/v1/segments/{id}/recalculate", status_code=202, summary="Recalculate segment")
async def recalculate(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    get_segment(db, principal, id)
    with db.transaction():
        row = _fresh(db, id)
        if row["status"] not in ("draft", "completed", "failed"):
            raise conflict(
                f"The segment is already being calculated ({row['status']});"
                " wait for it or reset it to draft."
            )
        generation = int(row["generation"]) + 1
        db.execute(
            "UPDATE segments SET status = 'pending', generation = ?, error_message = NULL,"
            " modified = ? WHERE id = ?",
            (generation, clock.now_iso(), id),
        )
        db.record_state_change("segment", id, row["status"], "pending", principal.id)
    state.scheduler.spawn(run_calculation(state, id, generation), name=f"segment:{id}")
    return JSONResponse(segment_out(_fresh(db, id)), status_code=202)


@router.post("/v1/segments/{id}/reset-to-draft", summary="Reset stuck segment to draft")
async def reset_to_draft(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    get_segment(db, principal, id)
    with db.transaction():
        row = _fresh(db, id)
        if row["status"] not in ("pending", "processing"):
            raise conflict(
                f"Only a pending or processing segment can be reset; this one is {row['status']}."
            )
        db.execute(
            "UPDATE segments SET status = 'draft', generation = generation + 1, modified = ?"
            " WHERE id = ?",
            (clock.now_iso(), id),
        )
        db.record_state_change("segment", id, row["status"], "draft", principal.id)
    return JSONResponse(segment_out(_fresh(db, id)))


# -- the calculation -------------------------------------------------------------------------------
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


def store_members(db: Database, segment_id: str, user_ids: Sequence[str]) -> None:
    db.execute("DELETE FROM segment_members WHERE segment_id = ?", (segment_id,))
    db.executemany(
        "INSERT INTO segment_members (segment_id, position, user_id) VALUES (?,?,?)",
        ((segment_id, i, uid) for i, uid in enumerate(user_ids)),
    )


async def run_calculation(state: SandboxState, segment_id: str, generation: int) -> None:
    """pending → processing → completed/failed, unless reset or changed meanwhile."""
    db = state.db
    await state.scheduler.sleep(PENDING_SECONDS)
    with db.transaction():
        if not _move(db, segment_id, generation, "pending", "processing"):
            return
    row = _fresh(db, segment_id)
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
            fresh = _fresh(db, segment_id)
            _emit(
                state,
                "segment.calculated",
                {"segment": segment_out(fresh)},
                str(fresh["organization_id"]),
                str(fresh["edition_id"]),
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


# -- seed ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedSegment:
    key: str
    edition: str
    name: str
    description: str
    condition: str
    comm_type: str
    channel: str
    consent: str | None
    status: str
    age_days: int


SEED_SEGMENTS: tuple[SeedSegment, ...] = (
    SeedSegment(
        key="danish",
        edition="current",
        name="Danish speakers",
        description="Everyone who reads Danish.",
        condition='user.language == "da"',
        comm_type="transactional",
        channel="email",
        consent=None,
        status="completed",
        age_days=40,
    ),
    SeedSegment(
        key="big_spenders",
        edition="current",
        name="Big spenders",
        description="A completed order of 500 or more.",
        condition='orders.exists(o, o.status == "completed" && o.amount >= 500.0)',
        comm_type="marketing",
        channel="email",
        consent="cns_newsletter",
        status="completed",
        age_days=35,
    ),
    SeedSegment(
        key="vip",
        edition="current",
        name="VIP pass holders",
        description="Active VIP Weekend Pass holders.",
        condition='orders.exists(o, o.purchases.exists(p, p.product_id == "prd_vip" && p.status == "active"))',
        comm_type="transactional",
        channel="pass_push",
        consent=None,
        status="completed",
        age_days=30,
    ),
    SeedSegment(
        key="newsletter_no_orders",
        edition="current",
        name="Newsletter, no orders",
        # Only users with an order in the edition are evaluated: "size(orders) == 0" could
        # never match. "No completed order" can.
        description="Newsletter subscribers without a completed order (draft: refine before use).",
        condition='!orders.exists(o, o.status == "completed") && "cns_newsletter" in user.consents',
        comm_type="marketing",
        channel="email",
        consent="cns_newsletter",
        status="draft",
        age_days=20,
    ),
    SeedSegment(
        key="new_customers",
        edition="current",
        name="New customers (30 days)",
        description="Signed up in the last 30 days.",
        condition='user.created > now - duration("720h")',
        comm_type="marketing",
        channel="sms",
        consent="cns_sms_offers",
        status="pending",
        age_days=3,
    ),
    SeedSegment(
        key="swedes_sms",
        edition="current",
        name="Swedish speakers with a phone",
        description="For the Swedish SMS push.",
        condition='user.language == "se" && user.phone.startsWith("+46")',
        comm_type="transactional",
        channel="sms",
        consent=None,
        status="processing",
        age_days=2,
    ),
    SeedSegment(
        key="broken_regex",
        edition="current",
        name="Corporate addresses",
        description="Imported from an old tool.",
        condition='user.email.matches("[a-z")',
        comm_type="transactional",
        channel="email",
        consent=None,
        status="failed",
        age_days=12,
    ),
    SeedSegment(
        key="returning",
        edition="past",
        name="Came last year",
        description="Completed an order at the past edition.",
        condition='orders.exists(o, o.status == "completed")',
        comm_type="transactional",
        channel="any",
        consent=None,
        status="completed",
        age_days=200,
    ),
    SeedSegment(
        key="early_birds",
        edition="upcoming",
        name="Early birds",
        description="Bought for next year already.",
        condition="size(orders) >= 1",
        comm_type="transactional",
        channel="email",
        consent=None,
        status="completed",
        age_days=10,
    ),
    SeedSegment(
        key="second_org_all",
        edition="second_org",
        name="Alla kunder",
        description="Everyone with an order.",
        condition="size(orders) > 0",
        comm_type="transactional",
        channel="email",
        consent=None,
        status="completed",
        age_days=50,
    ),
)


def seed(ctx: SeedContext) -> None:
    """Segments with the contract's example conditions, in every status, with real counts."""
    db = ctx.db
    rng = ctx.rng("segments")
    editions: dict[str, str] = ctx.shared.get("editions", {})
    ids: dict[str, str] = {}
    for spec in SEED_SEGMENTS:
        eid = editions.get(spec.edition)
        if eid is None:
            continue
        edition = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
        if edition is None:
            continue
        consent = spec.consent
        if (
            consent is not None
            and db.one("SELECT 1 FROM consents WHERE id = ?", (consent,)) is None
        ):
            consent = None
        comm_type = spec.comm_type if consent is not None else "transactional"
        sid = ctx.new_id("seg", rng)
        created = ctx.ts(timedelta(days=-spec.age_days))
        modified = created
        user_count: int | None = None
        last_calculated: str | None = None
        error_message: str | None = None
        members: list[str] = []
        status = spec.status
        if status in ("completed", "failed"):
            try:
                audience = compute_audience(
                    db,
                    edition,
                    spec.condition,
                    channel=spec.channel,
                    consent_id=consent,
                    marketing=comm_type == "marketing",
                    now=ctx.now,
                    keep_records=False,
                )
                members = audience.user_ids
                user_count = len(members)
                status = "completed"
                last_calculated = ctx.ts(timedelta(days=-spec.age_days, hours=2))
            except AudienceError as exc:
                status, error_message = "failed", str(exc)
            modified = ctx.ts(timedelta(days=-spec.age_days, hours=2))
        elif status in ("pending", "processing"):
            # a calculation that never finished (the sandbox was stopped): reset-to-draft
            modified = ctx.ts(timedelta(hours=-spec.age_days))
        db.execute(
            "INSERT INTO segments (id, organization_id, edition_id, consent_id, name, description,"
            " communication_type, communication_channel, condition, status, user_count,"
            " last_calculated, error_message, generation, created, modified)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?)",
            (
                sid,
                edition["organization_id"],
                eid,
                consent,
                spec.name,
                spec.description,
                comm_type,
                spec.channel,
                spec.condition,
                status,
                user_count,
                last_calculated,
                error_message,
                created,
                modified,
            ),
        )
        if members:
            store_members(db, sid, members)
        ids[spec.key] = sid
    ctx.shared["segments"] = ids
