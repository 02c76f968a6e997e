"""Seed data of the refund requests: a plan of statuses per edition (requested, in flight,
processed, failed, rejected, invalid), on paid purchases, with the purchases' refunded
amounts and the state changes that lead to each status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import clock
from ..db import Row, dumps
from ..seeding import SeedContext
from .orders import money
from .refunds_rows import OPEN_STATUSES, default_scope, person

SEED_PLAN = [
    # edition key, status, count (None = scale.requested_refunds)
    ("current", "requested", None),
    ("current", "ready", 3),
    ("current", "processing", 3),
    ("current", "awaiting_gateway", 3),
    ("current", "processed", 25),
    ("current", "failed", 5),
    ("current", "rejected", 12),
    ("current", "invalid", 4),
    ("past", "processed", 15),
    ("past", "rejected", 5),
    ("second_org", "requested", 6),
    ("second_org", "processed", 3),
]
COMMENTS = [
    "Customer could not attend because of illness.",
    "Charged twice at the gate.",
    "Locker returned on Sunday, please refund the deposit.",
    "Wristband stopped working on Friday.",
    "Booked the wrong day.",
    None,
    None,
]
REJECT_REASONS = [
    "Tickets are non-refundable after the festival started.",
    "The deposit was already paid out at the pickup point.",
    "Duplicate of an earlier request.",
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("refunds")
    db = ctx.db
    accounts = {
        role: person(
            db.one("SELECT id, email, first_name, last_name FROM accounts WHERE id = ?", (aid,))
        )
        for role, aid in ctx.shared["accounts"].items()
    }
    used: set[str] = set()
    pools: dict[str, list[Row]] = {}
    needed: dict[str, int] = {}
    for key, _, count in SEED_PLAN:
        needed[key] = needed.get(key, 0) + (ctx.scale.requested_refunds if count is None else count)
    rows: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    for key, status, count in SEED_PLAN:
        eid = ctx.shared["editions"][key]
        n = ctx.scale.requested_refunds if count is None else count
        if eid not in pools:
            pools[eid] = db.query(
                "SELECT p.*, o.organization_id, o.order_number, o.customer_id, o.currency,"
                " u.email, u.first_name, u.last_name, o.created AS order_created FROM purchases p"
                " JOIN orders o ON o.id = p.order_id JOIN users u ON u.id = o.customer_id"
                " WHERE p.edition_id = ? AND o.status IN ('confirmed', 'completed')"
                " ORDER BY p.pk LIMIT ?",
                (eid, max(6000, 3 * needed[key])),
            )
        candidates = pools[eid]
        pickups = db.query("SELECT id, name FROM pickup_points WHERE edition_id = ?", (eid,))
        pool = [c for c in candidates if c["id"] not in used]
        rng.shuffle(pool)
        for p in pool[:n]:
            used.add(str(p["id"]))
            if float(p["deposit"]) > 0 and rng.random() < 0.7:
                reason = rng.choice(["deposit_reclaim", "rental_return"])
            else:
                reason = rng.choice(
                    [
                        "customer_request",
                        "product_defect",
                        "duplicate_purchase",
                        "event_cancelled",
                        "compensation",
                        "overcharge",
                        "other",
                        "sold_out",
                    ]
                )
            scope = default_scope(reason)
            qty = int(p["quantity"])
            if scope == "purchase_deposit":
                amount = qty * float(p["deposit"])
            elif scope == "purchase_full":
                amount = float(p["amount"])
            elif scope == "purchase_custom":
                amount = float(rng.choice((50, 75, 100, 150, 200)))
                amount = min(amount, float(p["amount"]))
            else:
                amount = qty * float(p["unit_price"])
            if amount <= 0:
                scope, amount = "purchase_price", qty * float(p["unit_price"]) or float(p["amount"])
            base = clock.parse_iso(p["order_created"])
            age_days = rng.uniform(0.2, 10.0) if status in OPEN_STATUSES else rng.uniform(3, 40)
            created_dt = max(base + timedelta(hours=1), ctx.now - timedelta(days=age_days))
            if created_dt > ctx.now:
                created_dt = ctx.now - timedelta(minutes=rng.randrange(5, 600))
            created = clock.iso(created_dt)
            decided = clock.iso(created_dt + timedelta(hours=rng.uniform(1, 30)))
            if decided and decided > ctx.ts():
                decided = ctx.ts(timedelta(minutes=-rng.randrange(1, 60)))
            decider = (
                accounts[rng.choice(["admin", "manager"])]
                if key != "second_org"
                else accounts["admin"]
            )
            customer = {
                "id": p["customer_id"],
                "email": p["email"],
                "first_name": p["first_name"],
                "last_name": p["last_name"],
            }
            requested_by = customer if rng.random() < 0.75 else accounts["staff"]
            pickup = rng.choice(pickups) if pickups and rng.random() < 0.3 else None
            rid = ctx.new_id("rfr", rng)
            decided_by = decided_at = rejection = service = refund_date = None
            if status not in ("requested", "invalid"):
                decided_by, decided_at = dumps(decider), decided
            if status == "rejected":
                rejection = rng.choice(REJECT_REASONS)
            if status == "processed":
                refund_date = decided
                service = dumps({"code": "refunded", "gateway_reference": f"psp_{rid[4:16]}"})
                refunded = money(float(p["refunded_amount"]) + amount)
                pstatus = (
                    "refunded" if refunded >= float(p["amount"]) - 0.005 else "partially_refunded"
                )
                db.execute(
                    "UPDATE purchases SET refunded_amount = ?, status = ? WHERE id = ?",
                    (refunded, pstatus, p["id"]),
                )
            if status == "failed":
                service = dumps(
                    {"code": "gateway_declined", "message": "The card issuer declined the refund."}
                )
            if status == "invalid":
                db.execute("UPDATE purchases SET status = 'cancelled' WHERE id = ?", (p["id"],))
            rows.append(
                (
                    rid,
                    p["organization_id"],
                    eid,
                    p["id"],
                    p["order_id"],
                    p["order_number"],
                    p["email"],
                    reason,
                    scope,
                    money(amount),
                    rng.choice(COMMENTS),
                    status,
                    service,
                    refund_date,
                    dumps({"id": pickup["id"], "name": pickup["name"]}) if pickup else None,
                    dumps(requested_by),
                    decided_by,
                    decided_at,
                    rejection,
                    f"{p['order_number']} {p['email']}".lower(),
                    created,
                    decided_at or created,
                    f"{p['first_name']} {p['last_name']}",
                    p["product_name"],
                )
            )
            changes.append(
                (
                    "refund_request",
                    rid,
                    None,
                    "requested" if status != "invalid" else "invalid",
                    created,
                )
            )
            path = {
                "ready": ["ready"],
                "processing": ["ready", "processing"],
                "awaiting_gateway": ["ready", "processing", "awaiting_gateway"],
                "processed": ["ready", "processing", "awaiting_gateway", "processed"],
                "failed": ["ready", "processing", "awaiting_gateway", "failed"],
                "rejected": ["rejected"],
            }.get(status, [])
            prev = "requested"
            for step in path:
                changes.append(("refund_request", rid, prev, step, decided_at or created))
                prev = step
    db.executemany(
        "INSERT INTO refund_requests (id, organization_id, edition_id, purchase_id, order_id,"
        " order_number, customer_email, reason, scope, amount, comment, status, service_response,"
        " refund_date, pickup_point, requested_by, decided_by, decided_at, rejection_reason,"
        " search, created, modified, customer_name, product_name)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.executemany(
        "INSERT INTO state_changes (object_type, object_id, from_status, to_status, at)"
        " VALUES (?,?,?,?,?)",
        changes,
    )
