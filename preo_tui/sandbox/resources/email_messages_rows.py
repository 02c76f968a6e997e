"""An email message's row and words: its types, scopes, templates, block types and
languages; its JSON form (:func:`message_out`), loading one with its access check (platform
messages: everyone), inserting one, the default blocks of each type, what still refers to it
(the delete guard), and the check campaigns make of their message."""

from __future__ import annotations

from typing import Any

from ..auth import Principal
from ..db import Database, Row, loads, new_id
from ..errors import ApiError, not_found
from ..paging import marks

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
