"""Seed data of the editions: organizations' events and editions (past, current, upcoming,
draft, and one in the second organization), their products and pickup points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import clock
from ..db import dumps
from ..seeding import SeedContext
from .editions_rows import slugify

# -- seed ------------------------------------------------------------------------------------------
MAIN_PRODUCTS = [
    # id, name, kind, price, deposit, fee
    ("prd_vip", "VIP Weekend Pass", "ticket", 2450.0, 0.0, 45.0),
    ("prd_weekend", "Weekend Pass", "ticket", 1650.0, 0.0, 35.0),
    ("prd_day_fri", "Day Ticket Friday", "ticket", 850.0, 0.0, 25.0),
    ("prd_day_sat", "Day Ticket Saturday", "ticket", 895.0, 0.0, 25.0),
    ("prd_camping", "Camping Spot", "ticket", 450.0, 0.0, 15.0),
    ("prd_topup", "Wristband Top-up", "topup", 200.0, 0.0, 0.0),
    ("prd_locker", "Locker Rental", "rental", 300.0, 100.0, 10.0),
    ("prd_powerbank", "Power Bank Rental", "rental", 120.0, 250.0, 5.0),
    ("prd_cup", "Reusable Cup", "rental", 0.0, 20.0, 0.0),
]
OTHER_PRODUCTS = [
    ("Weekend Pass", "ticket", 1500.0, 0.0, 30.0),
    ("Day Ticket", "ticket", 800.0, 0.0, 20.0),
    ("Wristband Top-up", "topup", 200.0, 0.0, 0.0),
    ("Locker Rental", "rental", 280.0, 100.0, 10.0),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng("editions")
    db = ctx.db
    org_main, org_second = ctx.shared["organizations"]
    created_old = ctx.ts(timedelta(days=-800))
    event_main = ctx.new_id("evt", rng)
    event_second = ctx.new_id("evt", rng)
    db.executemany(
        "INSERT INTO events (id, organization_id, name, created, modified) VALUES (?,?,?,?,?)",
        [
            (event_main, org_main, "Nordlys Festival", created_old, created_old),
            (event_second, org_second, "Midsommar Live", created_old, created_old),
        ],
    )
    ctx.shared["events"] = {"main": event_main, "second_org": event_second}
    now = ctx.now
    day = timedelta(days=1)
    specs: list[dict[str, Any]] = [
        {
            "key": "past",
            "org": org_main,
            "event": event_main,
            "name": "2025",
            "full": "Nordlys Festival 2025",
            "start": now - 365 * day,
            "end": now - 361 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en"],
            "currency": "DKK",
            "draft": 0,
            "created": -700,
        },
        {
            "key": "current",
            "org": org_main,
            "event": event_main,
            "name": "2026",
            "full": "Nordlys Festival 2026",
            "start": now - 1 * day,
            "end": now + 2 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en", "se"],
            "currency": "DKK",
            "draft": 0,
            "created": -300,
        },
        {
            "key": "upcoming",
            "org": org_main,
            "event": event_main,
            "name": "2027",
            "full": "Nordlys Festival 2027",
            "start": now + 240 * day,
            "end": now + 243 * day,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "da",
            "langs": ["da", "en", "se"],
            "currency": "DKK",
            "draft": 0,
            "created": -60,
        },
        {
            "key": "draft",
            "org": org_main,
            "event": event_main,
            "name": "Winter 2027",
            "full": "Nordlys Festival Winter 2027",
            "start": None,
            "end": None,
            "tz": "Europe/Copenhagen",
            "cc": "+45",
            "lang": "en",
            "langs": ["en", "da"],
            "currency": "DKK",
            "draft": 1,
            "created": -5,
        },
        {
            "key": "second_org",
            "org": org_second,
            "event": event_second,
            "name": "2026",
            "full": "Midsommar Live 2026",
            "start": now + 30 * day,
            "end": now + 32 * day,
            "tz": "Europe/Stockholm",
            "cc": "+46",
            "lang": "se",
            "langs": ["se", "en"],
            "currency": "SEK",
            "draft": 0,
            "created": -200,
        },
    ]
    editions: dict[str, str] = {}
    rows = []
    for spec in specs:
        eid = ctx.new_id("edt", rng)
        editions[spec["key"]] = eid
        created = ctx.ts(timedelta(days=spec["created"]))
        rows.append(
            (
                eid,
                spec["org"],
                spec["event"],
                spec["name"],
                spec["full"],
                slugify(spec["full"]),
                spec["tz"],
                clock.iso(spec["start"]),
                clock.iso(spec["end"]),
                spec["cc"],
                spec["lang"],
                dumps(spec["langs"]),
                "vat",
                None if spec["draft"] else "fee_standard",
                None if spec["draft"] else f"ma_{spec['key']}_adyen",
                None,
                spec["draft"],
                0,
                spec["currency"],
                created,
                created,
            )
        )
    db.executemany(
        "INSERT INTO editions (id, organization_id, event_id, name, full_name, slug, timezone,"
        " start_date, end_date, default_country_code, default_language, enabled_languages,"
        " tax_type, fee_rule_id, merchant_account_id, meta_image_id, is_draft, is_archived,"
        " currency, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    ctx.shared["editions"] = editions
    products: dict[str, list[str]] = {}
    product_rows = []
    for key, eid in editions.items():
        ids = []
        if key == "current":
            for pid, name, kind, price, deposit, fee in MAIN_PRODUCTS:
                ids.append(pid)
                product_rows.append((pid, eid, name, kind, price, deposit, fee, created_old))
        elif key != "draft":
            for name, kind, price, deposit, fee in OTHER_PRODUCTS:
                pid = ctx.new_id("prd", rng)
                ids.append(pid)
                product_rows.append((pid, eid, name, kind, price, deposit, fee, created_old))
        products[eid] = ids
    db.executemany(
        "INSERT INTO products (id, edition_id, name, kind, price, deposit, fee, created)"
        " VALUES (?,?,?,?,?,?,?,?)",
        product_rows,
    )
    ctx.shared["products"] = products
    pickup_rows = []
    for key, eid in editions.items():
        if key == "draft":
            continue
        for name in ("Main Entrance Info Desk", "Camping Service Point"):
            pickup_rows.append((ctx.new_id("pkp", rng), eid, name))
    db.executemany("INSERT INTO pickup_points (id, edition_id, name) VALUES (?,?,?)", pickup_rows)
