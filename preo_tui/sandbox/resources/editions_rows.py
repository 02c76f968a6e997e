"""An edition's row: its status derived from the dates (in Python and as SQL), its JSON form
(:func:`edition_out`), loading one with its access check, slugs and the time zones offered."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any

from .. import clock
from ..auth import Principal
from ..db import Database, Row, loads
from ..errors import bad_request, not_found


@functools.cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def slugify(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "a", "ö": "o", "ü": "u"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug or "edition"


def derive_status(start: str | None, end: str | None, now: str) -> str:
    if not start or not end:
        return "no_dates"
    if now < start:
        return "upcoming"
    if now > end:
        return "past"
    return "current"


def status_sql(alias: str = "t") -> str:
    """SQL expression of the derived status; bind the current ISO time twice."""
    return (
        f"CASE WHEN {alias}.start_date IS NULL OR {alias}.end_date IS NULL THEN 'no_dates'"
        f" WHEN ? < {alias}.start_date THEN 'upcoming' WHEN ? > {alias}.end_date THEN 'past'"
        " ELSE 'current' END"
    )


def edition_out(row: Row, now: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "organization_id": row["organization_id"],
        "event_id": row["event_id"],
        "name": row["name"],
        "full_name": row["full_name"],
        "slug": row["slug"],
        "timezone": row["timezone"],
        "status": derive_status(row["start_date"], row["end_date"], now or clock.now_iso()),
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "default_country_code": row["default_country_code"],
        "default_language": row["default_language"],
        "enabled_languages": loads(row["enabled_languages"]),
        "tax_type": row["tax_type"],
        "fee_rule_id": row["fee_rule_id"],
        "merchant_account_id": row["merchant_account_id"],
        "meta_image_id": row["meta_image_id"],
        "transaction_receipt_email_id": row["transaction_receipt_email_id"],
        "refund_confirmation_email_id": row["refund_confirmation_email_id"],
        "is_draft": bool(row["is_draft"]),
        "is_archived": bool(row["is_archived"]),
        "currency": row["currency"],
        "created": row["created"],
        "modified": row["modified"],
    }


def get_edition(db: Database, principal: Principal, edition_id: str) -> Row:
    """The edition row, or 404 when unknown or in another organization."""
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None:
        raise not_found("Edition not found.")
    principal.require_access(row["organization_id"], "Edition not found.")
    return row


def _unique_slug(db: Database, org_id: str, base: str) -> str:
    slug, n = base, 2
    while db.one("SELECT 1 FROM editions WHERE organization_id = ? AND slug = ?", (org_id, slug)):
        slug = f"{base}-{n}"
        n += 1
    return slug


def edition_or_400(
    db: Database, principal: Principal, edition_id: str, field: str = "edition_id"
) -> Row:
    """For bodies naming an edition: 400 on ``field`` when unknown or not accessible."""
    row = db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))
    if row is None or principal.role_in(row["organization_id"]) is None:
        raise bad_request(field, "Unknown edition.")
    return row
