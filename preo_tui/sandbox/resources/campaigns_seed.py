"""Seed data of the campaigns: email and SMS campaigns in every status, consistent with the
seeded segments and email messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..seeding import SeedContext
from .campaigns_stats import _rng
from .segments import reachable

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
