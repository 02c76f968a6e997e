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
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import clock, roles
from ..auth import Principal, PrincipalDep
from ..db import Database, Row, dumps, loads, new_id
from ..errors import ApiError, FieldErrors, bad_request, conflict, forbidden, not_found
from ..paging import PagingDep, Where, check_choice, marks, order_by, paginate
from ..seeding import SeedContext
from ..state import StateDep

TYPES = (
    "receipt",
    "receipt_online",
    "reminder",
    "refund_confirmation",
    "user_portal_access",
    "campaign",
    "other",
)
SCOPES = ("platform", "template", "edition")
TEMPLATES = ("modern",)
BLOCK_TYPES = ("heading", "text", "button", "image", "divider")
LANGUAGES = ("en", "da", "se", "nl", "pl")
#: Campaign statuses that still need their message (delete is 409 while one refers to it).
OPEN_CAMPAIGN_STATUSES = ("draft", "scheduled", "calculating", "sending")

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

TEMPLATE_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("user.first_name", "The recipient's first name", "Freja"),
    ("user.last_name", "The recipient's last name", "Nielsen"),
    ("user.email", "The recipient's email address", "freja.nielsen@example.com"),
    ("user.phone", "The recipient's phone number", "+4528123456"),
    ("user.language", "The recipient's language code", "da"),
    ("edition.name", "The edition's name", "Nordlys 2026"),
    ("edition.start_date", "First day of the edition (in its time zone)", "2026-07-02"),
    ("edition.end_date", "Last day of the edition (in its time zone)", "2026-07-05"),
    ("organization.name", "The organizer's name", "Nordlys Festivals ApS"),
    ("order.order_number", "The recipient's latest order number in the edition", "NL-100234"),
    ("order.amount", "That order's amount with currency", "1,650.00 DKK"),
    ("user_portal_url", "Link to the recipient's ticket portal", "https://my.preo.dev/p/abc123"),
    ("unsubscribe_url", "Link to unsubscribe from marketing", "https://my.preo.dev/u/abc123"),
)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")

FOOTER = {
    "en": "You receive this email because you bought a ticket.",
    "da": "Du modtager denne e-mail, fordi du har købt en billet.",
    "se": "Du får detta mejl eftersom du har köpt en biljett.",
    "nl": "Je ontvangt deze e-mail omdat je een ticket hebt gekocht.",
    "pl": "Otrzymujesz tę wiadomość, ponieważ kupiłeś bilet.",
}


# -- serialisation ------------------------------------------------------------------------------
def message_out(row: Row, *, with_blocks: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "subject": row["subject"],
        "type": row["type"],
        "scope": row["scope"],
        "template": row["template"],
        "organization_id": row["organization_id"],
        "edition_id": row["edition_id"],
        "created": row["created"],
        "modified": row["modified"],
    }
    if with_blocks:
        out["blocks"] = loads(row["blocks"]) or []
    return out


def get_message(db: Database, principal: Principal, message_id: str) -> Row:
    """The message row, or 404 when unknown or in another organization (platform: everyone)."""
    row = db.one("SELECT * FROM email_messages WHERE id = ?", (message_id,))
    if row is None:
        raise not_found("Email message not found.")
    if row["scope"] != "platform":
        principal.require_access(row["organization_id"], "Email message not found.")
    return row


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


def default_blocks(kind: str, title: str) -> list[dict[str, Any]]:
    """Sensible starting blocks per message type (placeholders included)."""
    body = {
        "receipt": "Thank you for your order {{ order.order_number }} for {{ edition.name }}.",
        "receipt_online": "Your online order {{ order.order_number }} is confirmed.",
        "reminder": "{{ edition.name }} starts on {{ edition.start_date }}. See you there!",
        "refund_confirmation": "We have refunded your purchase. It may take a few days to arrive.",
        "user_portal_access": "Open your tickets and top up your wristband in the portal.",
        "campaign": "We have news about {{ edition.name }} for you.",
        "other": "A message from {{ organization.name }}.",
    }[kind]
    blocks: list[dict[str, Any]] = [
        {"id": "blk_1", "type": "heading", "text": "Hi {{ user.first_name }}!", "url": None},
        {"id": "blk_2", "type": "text", "text": body, "url": None},
    ]
    if kind in ("user_portal_access", "receipt_online", "campaign"):
        blocks.append(
            {"id": "blk_3", "type": "button", "text": "Open", "url": "{{ user_portal_url }}"}
        )
    blocks.append({"id": "blk_9", "type": "divider", "text": "", "url": None})
    return blocks


def _in_use_reason(db: Database, message_id: str) -> str | None:
    edition = db.one(
        "SELECT name FROM editions WHERE transaction_receipt_email_id = ?"
        " OR refund_confirmation_email_id = ? LIMIT 1",
        (message_id, message_id),
    )
    if edition is not None:
        return f"The edition {edition['name']} uses this email message; choose another one there first."
    has_campaigns = db.scalar(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='campaigns'"
    )
    if has_campaigns:
        campaign = db.one(
            f"SELECT name, status FROM campaigns WHERE email_message_id = ?"
            f" AND status IN ({marks(OPEN_CAMPAIGN_STATUSES)}) LIMIT 1",
            (message_id, *OPEN_CAMPAIGN_STATUSES),
        )
        if campaign is not None:
            return (
                f"The campaign {campaign['name']!r} ({campaign['status']}) uses this email"
                " message; change or delete the campaign first."
            )
    return None


def _insert(
    db: Database,
    *,
    organization_id: str | None,
    edition_id: str | None,
    title: str,
    subject: str,
    kind: str,
    scope: str,
    template: str,
    blocks: str,
    now: str,
    message_id: str | None = None,
) -> str:
    mid = message_id or new_id("eml")
    db.execute(
        "INSERT INTO email_messages (id, organization_id, edition_id, title, subject, type, scope,"
        " template, blocks, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (mid, organization_id, edition_id, title, subject, kind, scope, template, blocks, now, now),
    )
    return mid


# -- rendering ------------------------------------------------------------------------------------
def render(text: str, values: dict[str, str], *, escape: bool) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in values:
            value = values[name]
            return html.escape(value) if escape else value
        return html.escape(m.group(0)) if escape else m.group(0)

    if escape:
        # escape the literal text but keep placeholders recognisable
        parts = []
        last = 0
        for m in _PLACEHOLDER.finditer(text):
            parts.append(html.escape(text[last : m.start()]))
            parts.append(sub(m))
            last = m.end()
        parts.append(html.escape(text[last:]))
        return "".join(parts)
    return _PLACEHOLDER.sub(sub, text)


def _sample_values() -> dict[str, str]:
    return {name: example for name, _desc, example in TEMPLATE_VARIABLES}


def _values_for(
    db: Database, message: Row, principal: Principal, user_id: str | None
) -> tuple[dict[str, str], str | None]:
    values = _sample_values()
    language: str | None = None
    edition = None
    if message["edition_id"]:
        edition = db.one("SELECT * FROM editions WHERE id = ?", (message["edition_id"],))
    if edition is not None:
        values["edition.name"] = str(edition["name"])
        values["edition.start_date"] = str(edition["start_date"] or "")[:10]
        values["edition.end_date"] = str(edition["end_date"] or "")[:10]
    org_id = message["organization_id"]
    if org_id:
        org = db.one("SELECT name, currency FROM organizations WHERE id = ?", (org_id,))
        if org is not None:
            values["organization.name"] = str(org["name"])
    if user_id is None:
        return values, language
    user = db.one("SELECT * FROM users WHERE id = ?", (user_id,))
    if user is None:
        raise bad_request("user_id", "Unknown user.")
    if principal.role_in(user["organization_id"]) is None:
        raise bad_request("user_id", "Unknown user.")
    for name in ("first_name", "last_name", "email", "phone", "language"):
        values[f"user.{name}"] = str(user[name] or "")
    language = str(user["language"]) if user["language"] else None
    token = str(user["id"]).split("_", 1)[-1][:8]
    values["user_portal_url"] = f"https://my.preo.dev/p/{token}"
    values["unsubscribe_url"] = f"https://my.preo.dev/u/{token}"
    if edition is not None:
        order = db.one(
            "SELECT order_number, amount, currency FROM orders WHERE edition_id = ?"
            " AND customer_id = ? ORDER BY created DESC LIMIT 1",
            (edition["id"], user_id),
        )
        if order is not None:
            values["order.order_number"] = str(order["order_number"])
            values["order.amount"] = f"{float(order['amount']):,.2f} {order['currency']}"
    return values, language


def render_preview(message: Row, values: dict[str, str], language: str) -> dict[str, str]:
    blocks = loads(message["blocks"]) or []
    subject = render(str(message["subject"]), values, escape=False)
    html_parts = [
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body class="template-{html.escape(str(message["template"]))}">'
    ]
    text_parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        text = str(block.get("text") or "")
        url = str(block.get("url") or "")
        if kind == "heading":
            html_parts.append(f"<h1>{render(text, values, escape=True)}</h1>")
            text_parts.append(render(text, values, escape=False))
        elif kind == "text":
            html_parts.append(f"<p>{render(text, values, escape=True)}</p>")
            text_parts.append(render(text, values, escape=False))
        elif kind == "button":
            href = render(url, values, escape=True)
            html_parts.append(
                f'<p><a class="button" href="{href}">{render(text, values, escape=True)}</a></p>'
            )
            text_parts.append(
                f"{render(text, values, escape=False)}: {render(url, values, escape=False)}"
            )
        elif kind == "image":
            src = render(url, values, escape=True)
            html_parts.append(f'<img src="{src}" alt="{render(text, values, escape=True)}">')
            if text:
                text_parts.append(f"[{render(text, values, escape=False)}]")
        elif kind == "divider":
            html_parts.append("<hr>")
            text_parts.append("-" * 40)
    footer = FOOTER.get(language, FOOTER["en"])
    html_parts.append(f'<p class="footer">{html.escape(footer)}</p></body></html>')
    text_parts.append(footer)
    return {"subject": subject, "html": "".join(html_parts), "text": "\n\n".join(text_parts)}


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


# -- seed -----------------------------------------------------------------------------------------
PLATFORM_TITLES = {
    "receipt": ("Receipt (Preo default)", "Your receipt for {{ edition.name }}"),
    "receipt_online": ("Online receipt (Preo default)", "Order {{ order.order_number }} confirmed"),
    "reminder": ("Event reminder (Preo default)", "{{ edition.name }} is almost here"),
    "refund_confirmation": ("Refund confirmation (Preo default)", "Your refund is on its way"),
    "user_portal_access": (
        "Ticket portal access (Preo default)",
        "Your tickets for {{ edition.name }}",
    ),
    "campaign": ("Campaign (Preo default)", "News from {{ organization.name }}"),
    "other": ("Plain message (Preo default)", "A message from {{ organization.name }}"),
}
EDITION_CAMPAIGNS = (
    ("Line-up announcement", "The full line-up for {{ edition.name }} is out"),
    ("Last tickets", "Last chance: tickets for {{ edition.name }}"),
    ("Thank you", "Thank you for coming to {{ edition.name }}"),
)


def seed(ctx: SeedContext) -> None:
    """Platform messages of every type, templates per organization, edition-scoped messages."""
    db = ctx.db
    rng = ctx.rng("email_messages")
    orgs: list[str] = ctx.shared.get("organizations", [])
    editions: dict[str, str] = ctx.shared.get("editions", {})
    messages: dict[str, Any] = {"platform": {}, "templates": {}, "editions": {}}
    age = 0

    def stamp() -> str:
        nonlocal age
        age += 1
        return ctx.ts(timedelta(days=-400 + age))

    for kind in TYPES:
        title, subject = PLATFORM_TITLES[kind]
        created = stamp()
        mid = _insert(
            db,
            organization_id=None,
            edition_id=None,
            title=title,
            subject=subject,
            kind=kind,
            scope="platform",
            template="modern",
            blocks=dumps(default_blocks(kind, title)),
            now=created,
            message_id=ctx.new_id("eml", rng),
        )
        messages["platform"][kind] = mid
    for org in orgs:
        for kind in ("receipt", "campaign", "reminder"):
            created = stamp()
            messages["templates"].setdefault(org, {})[kind] = _insert(
                db,
                organization_id=org,
                edition_id=None,
                title=f"House style {kind.replace('_', ' ')}",
                subject=PLATFORM_TITLES[kind][1],
                kind=kind,
                scope="template",
                template="modern",
                blocks=dumps(default_blocks(kind, kind)),
                now=created,
                message_id=ctx.new_id("eml", rng),
            )
    org_of = {
        str(r["id"]): str(r["organization_id"])
        for r in db.query("SELECT id, organization_id FROM editions")
    }
    for key, eid in editions.items():
        if eid not in org_of:
            continue
        org = org_of[eid]
        per: dict[str, list[str]] = {}
        kinds = list(TYPES) if key in ("current", "upcoming") else ["receipt", "campaign"]
        for kind in kinds:
            title, subject = PLATFORM_TITLES[kind]
            created = stamp()
            per.setdefault(kind, []).append(
                _insert(
                    db,
                    organization_id=org,
                    edition_id=eid,
                    title=title.replace("(Preo default)", f"({key} edition)"),
                    subject=subject,
                    kind=kind,
                    scope="edition",
                    template="modern",
                    blocks=dumps(default_blocks(kind, title)),
                    now=created,
                    message_id=ctx.new_id("eml", rng),
                )
            )
        if key != "draft":
            for title, subject in EDITION_CAMPAIGNS:
                created = stamp()
                blocks = default_blocks("campaign", title)
                blocks[1]["text"] = (
                    subject.replace("{{ edition.name }}", "{{ edition.name }}") + "."
                )
                per["campaign"].append(
                    _insert(
                        db,
                        organization_id=org,
                        edition_id=eid,
                        title=title,
                        subject=subject,
                        kind="campaign",
                        scope="edition",
                        template="modern",
                        blocks=dumps(blocks),
                        now=created,
                        message_id=ctx.new_id("eml", rng),
                    )
                )
        messages["editions"][eid] = per
        # Editions that are live use their own receipt and refund confirmation (delete: 409).
        if key != "draft" and per.get("receipt"):
            refund = per.get("refund_confirmation", [None])[0]
            db.execute(
                "UPDATE editions SET transaction_receipt_email_id = ?,"
                " refund_confirmation_email_id = COALESCE(?, refund_confirmation_email_id)"
                " WHERE id = ?",
                (per["receipt"][0], refund, eid),
            )
    ctx.shared["email_messages"] = messages


def raise_unless_campaign_message(
    db: Database, message_id: str, organization_id: str, field: str = "email_message_id"
) -> Row:
    """For campaigns: the message must exist, be visible to the organization and be ``campaign``."""
    row = db.one("SELECT * FROM email_messages WHERE id = ?", (message_id,))
    if row is None or (row["scope"] != "platform" and row["organization_id"] != organization_id):
        raise ApiError(400, fields={field: ["Unknown email message."]})
    if row["type"] != "campaign":
        raise ApiError(
            400,
            fields={
                field: [f"A campaign needs an email message of type campaign, not {row['type']}."]
            },
        )
    return row
