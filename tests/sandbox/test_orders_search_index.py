"""The orders search's narrow index (``orders_search_rows``) and the seeded ``edition_users``:
the same answers as the plain definitions, page after page, with and without the index; ids of
the big tables unique by an index declared apart from the table (built after the seed)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from preo_tui.sandbox.db import Database
from tests.fixtures.sandbox import Sandbox

TERMS = ("gmail", "nf26-000", "trx_", "+45", "hansen", "zz-no-such-customer")
# (ordering parameter, sort key of a reference row, descending)
ORDERINGS: tuple[tuple[str | None, str, bool], ...] = (
    (None, "created", True),
    ("created", "created", False),
    ("-amount", "amount", True),
    ("status", "status", False),
)
COUNT_SQL = (
    "SELECT COUNT(*) FROM orders t WHERE t.edition_id IN (?) AND t.pk IN"
    " (SELECT rowid FROM orders_search WHERE orders_search MATCH ?)"
)


def plan(db: Database, eid: str, salt: str = "") -> str:
    """The search count's query plan (``salt``: another statement text, so the sqlite3
    statement cache does not answer with a plan compiled before a schema change)."""
    rows = db.query(f"EXPLAIN QUERY PLAN {COUNT_SQL} {salt}", (eid, '"gm"'))
    return " ".join(str(r[3]) for r in rows)


def reference(
    db: Database, eid: str, term: str, status: str | None, key: str, desc: bool
) -> list[str]:
    """The search's definition, computed without SQL filtering: ``term`` in ``orders.search``."""
    rows = [
        r
        for r in db.query("SELECT * FROM orders WHERE edition_id = ?", (eid,))
        if term.lower() in r["search"] and (status is None or r["status"] == status)
    ]
    rows.sort(key=lambda r: (r[key], r["pk"]), reverse=desc)
    return [str(r["id"]) for r in rows]


async def every_page(c: Any, params: dict[str, Any]) -> tuple[int, list[str]]:
    """``(count, ids of every page in order)``, walking the pages of 7."""
    ids: list[str] = []
    page, count = 1, 0
    while True:
        body = (await c.get("/v1/orders", params={**params, "page": page, "page_size": 7})).json()
        count = body["count"]
        ids += [o["id"] for o in body["results"]]
        if body["next"] is None:
            return count, ids
        page += 1


async def searches(sandbox: Sandbox) -> dict[tuple[Any, ...], tuple[int, list[str]]]:
    eid = sandbox.editions["current"]
    out = {}
    async with sandbox.client() as c:
        for term in TERMS:
            for status in (None, "completed"):
                for ordering, _, _ in ORDERINGS:
                    params = {"edition_id": eid, "search": term}
                    if status:
                        params["status"] = status
                    if ordering:
                        params["ordering"] = ordering
                    out[(term, status, ordering)] = await every_page(c, params)
    return out


async def test_search_pages_are_the_searchs_definition(sandbox: Sandbox) -> None:
    db, eid = sandbox.db, sandbox.editions["current"]
    got = await searches(sandbox)
    for term in TERMS:
        for status in (None, "completed"):
            for ordering, key, desc in ORDERINGS:
                want = reference(db, eid, term, status, key, desc)
                assert got[(term, status, ordering)] == (len(want), want), (term, status, ordering)
    assert got[("gmail", None, None)][0] > 20  # several pages: the walk is tested
    assert got[("zz-no-such-customer", None, None)] == (0, [])


async def test_search_answers_the_same_without_the_narrow_index(sandbox: Sandbox) -> None:
    db, eid = sandbox.db, sandbox.editions["current"]
    assert "orders_search_rows" in plan(db, eid)  # the search's row probes read the narrow index
    with_index = await searches(sandbox)
    db.execute("DROP INDEX orders_search_rows")
    db.count_cache.clear()
    assert "orders_search_rows" not in plan(db, eid, "-- without")
    assert await searches(sandbox) == with_index


async def test_seeded_edition_users_are_the_customers_of_each_edition(sandbox: Sandbox) -> None:
    want = sandbox.db.query(
        "SELECT DISTINCT o.edition_id, u.pk, u.created, u.email, u.last_name FROM orders o"
        " JOIN users u ON u.id = o.customer_id ORDER BY 1, 2"
    )
    got = sandbox.db.query(
        "SELECT edition_id, user_pk, created, email, last_name FROM edition_users ORDER BY 1, 2"
    )
    assert [tuple(r) for r in got] == [tuple(r) for r in want]
    assert len({r[0] for r in got}) >= 4


async def test_ids_stay_unique_with_the_unique_index_declared_apart(sandbox: Sandbox) -> None:
    db = sandbox.db
    for table in ("users", "orders", "purchases"):
        taken = db.scalar(f"SELECT id FROM {table} ORDER BY pk LIMIT 1")
        names = [str(r[1]) for r in db.query(f"PRAGMA table_info({table})")]
        columns = ", ".join(n for n in names if n != "pk")
        copy = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = ?"
        refused = pytest.raises(
            sqlite3.IntegrityError, match=f"UNIQUE constraint failed: {table}.id"
        )
        with refused, db.transaction():
            db.execute(copy, (taken,))
        assert db.scalar(f"SELECT COUNT(*) FROM {table} WHERE id = ?", (taken,)) == 1
