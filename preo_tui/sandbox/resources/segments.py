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

This module holds the table, the routes and the request bodies; the calculation is in
:mod:`.segments_calc`, shared helpers (serialisation, lookups, the member snapshot) in
:mod:`.segments_common`, the tables and triggers in :mod:`.segments_schema`, the seeded
segments in :mod:`.segments_seed`, and the evaluation in
:mod:`preo_tui.sandbox.audience` (all names stay importable from here).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
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
    compute_audience,
    edition_context,
    reachable,
)
from ..auth import PrincipalDep
from ..db import new_id
from ..errors import FieldErrors, conflict
from ..paging import PagingDep, Where, check_choice, like_pattern, marks, order_by, paginate
from ..state import StateDep
from .segments_calc import (
    PENDING_SECONDS,
    PROCESSING_SECONDS,
    WARM_UP_ORDERS,
    run_calculation,
    start,
)
from .segments_common import (
    check_consent,
    condition_error,
    edition_row,
    emit,
    fresh,
    get_segment,
    segment_out,
    store_members,
)
from .segments_schema import SCHEMA
from .segments_seed import SEED_SEGMENTS, SeedSegment, seed

log = logging.getLogger("preo_tui.sandbox")

__all__ = [  # the evaluation lives in ..audience, the calculation, helpers and seed beside
    "LANGUAGES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "PENDING_SECONDS",
    "PROCESSING_SECONDS",
    "PURCHASE_STATUSES",
    "SCHEMA",
    "SEED_SEGMENTS",
    "WARM_UP_ORDERS",
    "Audience",
    "AudienceError",
    "SeedSegment",
    "compute_audience",
    "emit",
    "get_segment",
    "reachable",
    "router",
    "run_calculation",
    "seed",
    "segment_out",
    "start",
    "store_members",
]


STATUSES = ("draft", "pending", "processing", "completed", "failed")
TYPES = ("transactional", "marketing")
CHANNELS = ("any", "email", "sms", "pass_push")
#: Campaign statuses during which the segment may not be deleted.
OPEN_CAMPAIGN_STATUSES = ("draft", "scheduled", "calculating", "sending")
#: validate-cel evaluates every user up to this many, a deterministic sample above
#: (5,000 evenly spread users: within about 1.5 % of the exact count, and the editor's
#: estimate stays well under 300 ms on a 63,000-user edition; issue 20).
ESTIMATE_EXACT_LIMIT = 5_000


router = APIRouter(tags=["segments"])

ORDERING = {
    "created": "t.created",
    "modified": "t.modified",
    "name": "t.name",
    "user_count": "COALESCE(t.user_count, -1)",
    "last_calculated": "COALESCE(t.last_calculated, '')",
}


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
    edition = edition_row(state.db, principal, edition_id)
    return JSONResponse(edition_context(state.db, edition).to_json())


@router.post("/v1/segments/validate-cel", summary="Validate CEL expression")
async def validate_cel(body: ValidateIn, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    edition = edition_row(db, principal, body.edition_id) if body.edition_id else None
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
    edition = edition_row(db, principal, body.edition_id)
    errors = FieldErrors()
    if edition["organization_id"] != body.organization_id:
        errors.add("edition_id", "The edition belongs to another organization.")
    if not body.name.strip():
        errors.add("name", "This field may not be blank.")
    if body.communication_type == "marketing" and not body.consent_id:
        errors.add("consent_id", "A marketing segment needs a consent.")
    check_consent(db, errors, body.consent_id, body.organization_id, body.edition_id)
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
    return JSONResponse(segment_out(fresh(db, sid)), status_code=201)


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
        check_consent(db, errors, merged_consent, row["organization_id"], row["edition_id"])
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
    return JSONResponse(segment_out(fresh(db, id)))


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
        row = fresh(db, id)
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
    return JSONResponse(segment_out(fresh(db, id)), status_code=202)


@router.post("/v1/segments/{id}/reset-to-draft", summary="Reset stuck segment to draft")
async def reset_to_draft(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    db = state.db
    get_segment(db, principal, id)
    with db.transaction():
        row = fresh(db, id)
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
    return JSONResponse(segment_out(fresh(db, id)))
