"""The seeded segments: the contract's example conditions in every status, with real counts
(computed by :func:`~preo_tui.sandbox.audience.compute_audience` over the seeded data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..audience import AudienceError, compute_audience
from ..seeding import SeedContext
from .segments_common import store_members


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
