"""Email messages (contract section 9): list, create, get, update, delete, adopt, duplicate,
preview and template variables; seeds messages of every type and scope.

Choices made where the contract is silent [ours]:

- ``platform`` messages belong to no organization (``organization_id`` null), are visible to
  every operator, and are read-only: PATCH and DELETE answer 403. Listing with
  ``organization_id=X`` returns X's messages *and* the platform ones (X can use them).
- The list omits ``blocks`` (they can be long); the detail, create and update responses carry
  them.
- Delete is 409 while an edition (its receipt or refund-confirmation email) or a campaign that
  is not finished refers to the message; campaigns that are sent, failed or cancelled keep a
  copy of what they sent and do not block.
- Duplicating a platform message makes a ``template``-scoped copy in the caller's first
  (oldest) organization (or ``organization_id`` from the body).
- Preview renders ``{{ user.first_name }}``-style placeholders for a chosen user (any user with
  an order in the message's edition, or any user of the organization) or for sample data;
  unknown placeholders are left visible as written so the operator notices them.

The module holds the operations (paths, parameters, request bodies); beside it:
``email_messages_rows.py`` (the vocabulary, the JSON form, loading, inserting, default blocks,
the delete guard), ``email_messages_render.py`` (placeholders and the preview) and
``email_messages_seed.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, roles
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps
from ..errors import FieldErrors, bad_request, conflict, forbidden
from ..paging import PagingDep, Where, check_choice, marks, order_by, paginate
from ..state import StateDep
from .email_messages_render import TEMPLATE_VARIABLES, _values_for, render_preview
from .email_messages_rows import (
    BLOCK_TYPES,
    LANGUAGES,
    OPEN_CAMPAIGN_STATUSES,
    SCOPES,
    TEMPLATES,
    TYPES,
    _in_use_reason,
    _insert,
    default_blocks,
    get_message,
    message_out,
    raise_unless_campaign_message,
)
from .email_messages_seed import seed

__all__ = [
    "BLOCK_TYPES",
    "LANGUAGES",
    "OPEN_CAMPAIGN_STATUSES",
    "SCHEMA",
    "SCOPES",
    "TEMPLATES",
    "TYPES",
    "raise_unless_campaign_message",
    "router",
    "seed",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS email_messages (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT,
    edition_id TEXT,
    title TEXT NOT NULL,
    subject TEXT NOT NULL,
    type TEXT NOT NULL,
    scope TEXT NOT NULL,
    template TEXT NOT NULL,
    blocks TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS email_messages_org ON email_messages (organization_id, created);
CREATE INDEX IF NOT EXISTS email_messages_edition ON email_messages (edition_id, created);
CREATE INDEX IF NOT EXISTS email_messages_scope ON email_messages (scope, type);
"""

router = APIRouter(tags=["email messages"])

ORDERING = {"created": "t.created", "modified": "t.modified", "title": "t.title"}


def _home_organization(db: Database, principal: Principal) -> str | None:
    """The caller's first organization (the oldest one they belong to)."""
    orgs = principal.org_ids
    if not orgs:
        return None
    value = db.scalar(
        f"SELECT id FROM organizations WHERE id IN ({marks(orgs)}) ORDER BY pk LIMIT 1", orgs
    )
    return None if value is None else str(value)


def _edition(db: Database, principal: Principal, edition_id: str) -> Row:
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request("edition_id", "Unknown edition.")
    return row


# -- bodies ---------------------------------------------------------------------------------------
class BlockIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=64)
    type: Literal["heading", "text", "button", "image", "divider"]
    text: str | None = Field(None, max_length=20_000)
    url: str | None = Field(None, max_length=2_000)


class MessageCreate(BaseModel):
    organization_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    type: Literal[
        "receipt",
        "receipt_online",
        "reminder",
        "refund_confirmation",
        "user_portal_access",
        "campaign",
        "other",
    ]
    edition_id: str | None = Field(None, max_length=64)
    scope: Literal["platform", "template", "edition"] = "edition"
    template: Literal["modern"] = "modern"
    subject: str | None = Field(None, max_length=300)
    blocks: list[BlockIn] | None = Field(None, max_length=200)


class MessageUpdate(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    subject: str | None = Field(None, min_length=1, max_length=300)
    blocks: list[BlockIn] | None = Field(None, max_length=200)


class AdoptIn(BaseModel):
    edition_id: str = Field(min_length=1, max_length=64)


class DuplicateIn(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    organization_id: str | None = Field(None, max_length=64)


class PreviewIn(BaseModel):
    user_id: str | None = Field(None, max_length=64)
    language: Literal["en", "da", "se", "nl", "pl"] | None = None


def _blocks_json(blocks: list[BlockIn]) -> str:
    out = []
    errors = FieldErrors()
    for i, b in enumerate(blocks):
        if b.type in ("heading", "text", "button") and not (b.text or "").strip():
            errors.add("blocks", f"Block {i + 1} ({b.type}) needs a text.")
        if b.type in ("button", "image") and not (b.url or "").strip():
            errors.add("blocks", f"Block {i + 1} ({b.type}) needs a url.")
        out.append(
            {"id": b.id or f"blk_{i + 1}", "type": b.type, "text": b.text or "", "url": b.url}
        )
    errors.raise_if_any()
    return dumps(out)


# -- endpoints ------------------------------------------------------------------------------------
@router.get("/v1/email-messages", summary="List email messages")
async def list_messages(
    request: Request,
    state: StateDep,
    principal: PrincipalDep,
    paging: PagingDep,
    edition_id: str | None = None,
    organization_id: str | None = None,
    scope: Annotated[str | None, Query(description="platform, template or edition")] = None,
    type: Annotated[str | None, Query(description="receipt, campaign, ...")] = None,
    ordering: str | None = None,
) -> JSONResponse:
    check_choice("scope", scope, SCOPES)
    check_choice("type", type, TYPES)
    orgs = principal.org_ids
    where = Where()
    where.add(f"(t.scope = 'platform' OR t.organization_id IN ({marks(orgs)}))", *orgs)
    if organization_id:
        where.add("(t.organization_id = ? OR t.scope = 'platform')", organization_id)
    if edition_id:
        where.add("t.edition_id = ?", edition_id)
    if scope:
        where.add("t.scope = ?", scope)
    if type:
        where.add("t.type = ?", type)
    order = order_by(ordering, ORDERING, "-created")
    return JSONResponse(
        paginate(
            request,
            state.db,
            table="email_messages",
            where=where,
            order=order,
            paging=paging,
            serialize=lambda r: message_out(r, with_blocks=False),
        )
    )


@router.post("/v1/email-messages", status_code=201, summary="Create email message")
async def create_message(
    body: MessageCreate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    principal.require_member(body.organization_id)
    if body.scope == "platform":
        raise forbidden("Platform email messages are managed by Preo and cannot be created.")
    edition_id = body.edition_id
    if body.scope == "edition" and not edition_id:
        raise bad_request("edition_id", "An edition-scoped message needs an edition.")
    if edition_id:
        edition = _edition(db, principal, edition_id)
        if edition["organization_id"] != body.organization_id:
            raise bad_request("edition_id", "The edition belongs to another organization.")
    if body.scope == "template":
        edition_id = None
    blocks = (
        _blocks_json(body.blocks)
        if body.blocks is not None
        else dumps(default_blocks(body.type, body.title))
    )
    now = clock.now_iso()
    with db.transaction():
        mid = _insert(
            db,
            organization_id=body.organization_id,
            edition_id=edition_id,
            title=body.title.strip(),
            subject=(body.subject or body.title).strip(),
            kind=body.type,
            scope=body.scope,
            template=body.template,
            blocks=blocks,
            now=now,
        )
    row = db.one("SELECT * FROM email_messages WHERE id = ?", (mid,))
    assert row is not None
    return JSONResponse(message_out(row), status_code=201)


@router.get("/v1/email-messages/{id}", summary="Get email message details")
async def get_message_details(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(message_out(get_message(state.db, principal, id)))


@router.patch("/v1/email-messages/{id}", summary="Update email message")
async def update_message(
    id: str, body: MessageUpdate, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_message(db, principal, id)
    if row["scope"] == "platform":
        raise forbidden("Platform email messages are read-only; adopt or duplicate it to edit.")
    roles.require_message_write(db, principal, row)
    changes: dict[str, Any] = {}
    given = body.model_fields_set
    if "title" in given and body.title is not None:
        changes["title"] = body.title.strip()
    if "subject" in given and body.subject is not None:
        changes["subject"] = body.subject.strip()
    if "blocks" in given:
        if body.blocks is None:
            raise bad_request("blocks", "This field may not be null.")
        changes["blocks"] = _blocks_json(body.blocks)
    if changes:
        changes["modified"] = clock.now_iso()
        sets = ", ".join(f"{k} = ?" for k in changes)
        with db.transaction():
            db.execute(f"UPDATE email_messages SET {sets} WHERE id = ?", (*changes.values(), id))
    fresh = db.one("SELECT * FROM email_messages WHERE id = ?", (id,))
    assert fresh is not None
    return JSONResponse(message_out(fresh))


@router.delete("/v1/email-messages/{id}", status_code=204, summary="Delete email message")
async def delete_message(id: str, state: StateDep, principal: PrincipalDep) -> Response:
    db = state.db
    row = get_message(db, principal, id)
    if row["scope"] == "platform":
        raise forbidden("Platform email messages are read-only and cannot be deleted.")
    roles.require_message_write(db, principal, row)
    with db.transaction():
        reason = _in_use_reason(db, id)
        if reason:
            raise conflict(reason)
        db.execute("DELETE FROM email_messages WHERE id = ?", (id,))
    return Response(status_code=204)


@router.post("/v1/email-messages/{id}/adopt", status_code=201, summary="Adopt template to edition")
async def adopt_message(
    id: str, body: AdoptIn, state: StateDep, principal: PrincipalDep
) -> JSONResponse:
    db = state.db
    row = get_message(db, principal, id)
    edition = _edition(db, principal, body.edition_id)
    if row["organization_id"] is not None and row["organization_id"] != edition["organization_id"]:
        raise bad_request("edition_id", "The edition belongs to another organization.")
    now = clock.now_iso()
    with db.transaction():
        mid = _insert(
            db,
            organization_id=edition["organization_id"],
            edition_id=edition["id"],
            title=str(row["title"]),
            subject=str(row["subject"]),
            kind=str(row["type"]),
            scope="edition",
            template=str(row["template"]),
            blocks=str(row["blocks"]),
            now=now,
        )
    new = db.one("SELECT * FROM email_messages WHERE id = ?", (mid,))
    assert new is not None
    return JSONResponse(message_out(new), status_code=201)


@router.post(
    "/v1/email-messages/{id}/duplicate", status_code=201, summary="Duplicate email message"
)
async def duplicate_message(
    id: str, state: StateDep, principal: PrincipalDep, body: DuplicateIn | None = None
) -> JSONResponse:
    db = state.db
    row = get_message(db, principal, id)
    body = body or DuplicateIn()
    scope = str(row["scope"])
    org_id = row["organization_id"]
    if scope == "platform":
        org_id = body.organization_id or _home_organization(db, principal)
        principal.require_member(org_id)
        scope = "template"
    title = body.title.strip() if body.title else f"{row['title']} (copy)"
    now = clock.now_iso()
    with db.transaction():
        mid = _insert(
            db,
            organization_id=org_id,
            edition_id=row["edition_id"] if scope == "edition" else None,
            title=title[:200],
            subject=str(row["subject"]),
            kind=str(row["type"]),
            scope=scope,
            template=str(row["template"]),
            blocks=str(row["blocks"]),
            now=now,
        )
    new = db.one("SELECT * FROM email_messages WHERE id = ?", (mid,))
    assert new is not None
    return JSONResponse(message_out(new), status_code=201)


@router.post("/v1/email-messages/{id}/preview", summary="Preview email")
async def preview_message(
    id: str, state: StateDep, principal: PrincipalDep, body: PreviewIn | None = None
) -> JSONResponse:
    db = state.db
    row = get_message(db, principal, id)
    body = body or PreviewIn()
    values, user_language = _values_for(db, row, principal, body.user_id)
    language = body.language or user_language or "en"
    if language not in LANGUAGES:
        language = "en"
    return JSONResponse(render_preview(row, values, language))


@router.get("/v1/email-messages/{id}/template-variables", summary="Get template variables")
async def template_variables(id: str, state: StateDep, principal: PrincipalDep) -> JSONResponse:
    get_message(state.db, principal, id)
    return JSONResponse(
        [
            {"name": name, "description": desc, "example": example}
            for name, desc, example in TEMPLATE_VARIABLES
        ]
    )
