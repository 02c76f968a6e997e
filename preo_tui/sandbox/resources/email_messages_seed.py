"""Seed data of the email messages: platform messages of every type, templates per
organization and each edition's own messages (campaign ones included), wired to the
editions' receipt and refund-confirmation e-mails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..db import dumps
from ..seeding import SeedContext
from .email_messages_rows import TYPES, _insert, default_blocks

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
