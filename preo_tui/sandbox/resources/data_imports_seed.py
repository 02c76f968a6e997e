"""Seed data of the data imports: imports in every stage, each with a sample CSV of plausible
rows, guessed column mappings and (past column mapping) product mappings; completed imports
own some of the seeded imported orders."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from ..db import dumps
from ..seeding import SeedContext
from .data_imports_files import guess_mappings
from .data_imports_stages import STAGES
from .users import make_person

SEED_STAGES = list(STAGES)  # every stage, in the order an import goes through them
SEED_SERVICES = ["file", "file", "file", "eventbrite", "file", "ticketmaster", "file", "billetto"]


def sample_csv(
    rng: Any, n: int, products: list[str], first: int
) -> tuple[list[str], list[list[str]]]:
    header = [
        "Order",
        "E-mail",
        "Mobile",
        "First name",
        "Last name",
        "Ticket type",
        "Qty",
        "Order date",
    ]
    rows = []
    for i in range(n):
        p = make_person(rng, 900_000 + first + i)
        rows.append(
            [
                f"EXT-{first + i:05d}",
                p["email"],
                (p["phone"] or "").replace("+45", ""),
                p["first_name"],
                p["last_name"],
                rng.choice(products + ["Early Bird (old)"]),
                str(rng.choice((1, 1, 2))),
                "2026-03-0" + str(1 + i % 9) + "T12:00:00Z",
            ]
        )
    return header, rows


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("data_imports")
    db = ctx.db
    eid = ctx.shared["editions"]["current"]
    org = ctx.shared["organizations"][0]
    product_names = [
        str(r[0])
        for r in db.query("SELECT name FROM products WHERE edition_id = ? ORDER BY pk", (eid,))
    ]
    product_ids = {
        str(r["name"]).lower(): str(r["id"])
        for r in db.query("SELECT id, name FROM products WHERE edition_id = ?", (eid,))
    }
    imported = [
        str(r[0])
        for r in db.query(
            "SELECT id FROM orders WHERE edition_id = ? AND type = 'imported' ORDER BY pk", (eid,)
        )
    ]
    rows_out = []
    changes: list[tuple[Any, ...]] = []
    for n in range(ctx.scale.data_imports):
        stage = SEED_STAGES[n % len(SEED_STAGES)]
        iid = ctx.new_id("imp", rng)
        header, rows = sample_csv(rng, rng.randrange(8, 30), product_names[:4], n * 100)
        mappings = guess_mappings(header, rows)
        products: list[dict[str, Any]] = []
        if stage not in ("uploaded", "needs_column_mapping"):
            counts = Counter(r[5] for r in rows)
            products = [
                {"source_name": k, "row_count": v, "product_id": product_ids.get(k.lower())}
                for k, v in sorted(counts.items())
            ]
        created = ctx.ts(timedelta(days=-rng.uniform(1, 90)))
        total = len(rows)
        done = failed = 0
        error = None
        if stage == "completed":
            done, failed = total - 2, 2
            for oid in imported[:done]:
                db.execute("UPDATE orders SET data_import_id = ? WHERE id = ?", (iid, oid))
            imported = imported[done:]
        elif stage == "importing":
            done = total // 2
        elif stage == "failed":
            failed, error = total, "No row could be imported: the product column is empty."
        service = SEED_SERVICES[n % len(SEED_SERVICES)]
        rows_out.append(
            (
                iid,
                org,
                eid,
                f"{service.title()} import #{n + 1}",
                service,
                stage,
                f"orders-{n + 1}.csv",
                "+45",
                total,
                done,
                failed,
                error,
                dumps(header),
                dumps(rows),
                dumps(mappings),
                dumps(products),
                created,
                created,
            )
        )
        path = (
            SEED_STAGES[: SEED_STAGES.index(stage) + 1]
            if stage not in ("failed", "cancelled")
            else (
                ["uploaded", "needs_column_mapping", "needs_product_mapping", "importing", stage]
                if stage == "failed"
                else ["uploaded", "needs_column_mapping", "cancelled"]
            )
        )
        prev = None
        for step in path:
            changes.append(("data_import", iid, prev, step, created))
            prev = step
    db.executemany(
        "INSERT INTO data_imports (id, organization_id, edition_id, name, service, stage,"
        " data_file_name, default_country_code, total_rows, imported_orders, failed_rows,"
        " error_message, columns, rows, column_mappings, product_mappings, created, modified)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows_out,
    )
    db.executemany(
        "INSERT INTO state_changes (object_type, object_id, from_status, to_status, at)"
        " VALUES (?,?,?,?,?)",
        changes,
    )
