"""``GET /v1/orders`` pages built by SQLite (``paginate_json`` over ``LIST_JSON``, issue 20) are
the JSON the model path (``order_out`` + ``JSONResponse``) writes: the same keys in the same
order and the same values, hostile text, nulls and awkward amounts included."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import preo_tui.sandbox.resources.orders as orders_module
from preo_tui.sandbox.paging import paginate_json
from tests.fixtures.sandbox import Sandbox

HOSTILE = [
    'quote " and backslash \\ and slash /',
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52
    "\x00nul \x08\x0c\x7f\x9b",  # NUL, \b, \f, DEL, a C1 CSI
    "line\nbreak\r\ttab",
    "\u202eevil\u2028\u2029\u061c",
    "emoji 😀 ünïcödé Ødegård",
    "<script>&amp;</script>",
    "",
]


def ordered(body: bytes) -> Any:
    """The JSON with every object as its list of (key, value) pairs: order counts."""
    return json.loads(body, object_pairs_hook=list)


#: what the list endpoint calls for a page built by SQLite (tests swap it)
current: dict[str, Callable[..., bytes | None]] = {"paginate_json": paginate_json}


@pytest.fixture(autouse=True)
def swappable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        orders_module, "paginate_json", lambda *a, **k: current["paginate_json"](*a, **k)
    )


@pytest.fixture
def served() -> Iterator[dict[str, int]]:
    """Counts the pages the SQLite path served (``fast``) and those it left (``fallback``)."""
    calls = {"fast": 0, "fallback": 0}

    def counting(*args: Any, **kwargs: Any) -> bytes | None:
        body = paginate_json(*args, **kwargs)
        calls["fast" if body is not None else "fallback"] += 1
        return body

    current["paginate_json"] = counting
    try:
        yield calls
    finally:
        current["paginate_json"] = paginate_json


async def both(sandbox: Sandbox, params: dict[str, Any]) -> tuple[bytes, bytes]:
    """The body of one list request by the SQLite path, then by the model path."""
    async with sandbox.client() as c:
        fast = await c.get("/v1/orders", params=params)
        real = current["paginate_json"]
        current["paginate_json"] = lambda *a, **k: None  # the model path
        try:
            model = await c.get("/v1/orders", params=params)
        finally:
            current["paginate_json"] = real
    assert fast.status_code == model.status_code == 200
    assert fast.headers["content-type"] == model.headers["content-type"]
    return fast.content, model.content


def make_hostile(sandbox: Sandbox, edition: str) -> list[str]:
    """Hostile text in the first orders' numbers and customers, nulls in their phones and
    transactions; returns those orders' ids."""
    db = sandbox.db
    rows = db.query(
        "SELECT id, customer_id FROM orders WHERE edition_id = ? ORDER BY created DESC LIMIT ?",
        (edition, len(HOSTILE)),
    )
    for row, text in zip(rows, HOSTILE, strict=True):
        db.execute(
            "UPDATE orders SET order_number = ?, transaction_id = NULL WHERE id = ?",
            (text or "NF26-x", row["id"]),
        )
        db.execute(
            "UPDATE users SET first_name = ?, last_name = ?, email = ?, phone = NULL WHERE id = ?",
            (text, text[::-1], f"{text}@example.org", row["customer_id"]),
        )
    return [str(r["id"]) for r in rows]


async def test_pages_are_the_model_paths_json(sandbox: Sandbox, served: dict[str, int]) -> None:
    edition = sandbox.editions["current"]
    make_hostile(sandbox, edition)
    cases: list[dict[str, Any]] = [
        {"edition_id": edition},
        {"edition_id": edition, "page_size": 500},
        {"edition_id": edition, "page_size": 7, "page": 3, "ordering": "amount,-order_number"},
        {"edition_id": edition, "page_size": 50, "page": 6},  # read from the list's end
        {"edition_id": edition, "status": "completed,pending", "ordering": "-modified"},
        {"edition_id": edition, "search": "example"},
        {"organization_id": sandbox.organizations[0], "page_size": 20, "page": 2},
    ]
    for params in cases:
        fast, model = await both(sandbox, params)
        assert ordered(fast) == ordered(model), params
        assert fast == model, params  # and byte for byte (SQLite writes what json.dumps does)
    assert served["fast"] == len(cases) and served["fallback"] == 0


async def test_the_hostile_rows_come_back_as_stored(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    ids = make_hostile(sandbox, edition)
    fast, _ = await both(sandbox, {"edition_id": edition, "page_size": len(HOSTILE)})
    results = json.loads(fast)["results"]
    assert [o["id"] for o in results] == ids
    for order, text in zip(results, HOSTILE, strict=True):
        assert order["customer"]["first_name"] == text
        assert order["customer"]["last_name"] == text[::-1]
        assert order["customer"]["phone"] is None and order["transaction_id"] is None


@pytest.mark.parametrize(
    "amount", [0.1 + 0.2, 1e16 + 2, 123456789.123456789, 5e-324, 0.00001, 1e15]
)
async def test_an_amount_sqlite_would_round_is_served_by_the_model_path(
    sandbox: Sandbox, served: dict[str, int], amount: float
) -> None:
    edition = sandbox.editions["current"]
    first = sandbox.db.scalar(
        "SELECT id FROM orders WHERE edition_id = ? ORDER BY created DESC LIMIT 1", (edition,)
    )
    sandbox.db.execute("UPDATE orders SET amount = ? WHERE id = ?", (amount, first))
    fast, model = await both(sandbox, {"edition_id": edition, "page_size": 5})
    assert fast == model
    assert json.loads(fast)["results"][0]["amount"] == amount
    assert served == {"fast": 0, "fallback": 1}
    # the next page, without that amount, is SQLite's again
    await both(sandbox, {"edition_id": edition, "page_size": 5, "page": 2})
    assert served == {"fast": 1, "fallback": 1}


async def test_a_page_past_the_end_and_an_empty_list(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.get("/v1/orders", params={"edition_id": edition, "page": 99})
        assert r.status_code == 404 and r.json()["detail"] == "Invalid page."
    fast, model = await both(sandbox, {"edition_id": edition, "search": "no such text"})
    assert fast == model and json.loads(fast) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
