"""``Orders.export_page``: the CSV export's lean read of the orders list (issue 20) gives the same
cells as the ``Order`` models, keeps every cell terminal-safe, and fails as every other answer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from preo_tui.api import DecodeError, PreoClient
from preo_tui.api.orders_export import CSV_COLUMNS, body_is_safe, decode_rows
from preo_tui.text import is_safe
from preo_tui.ui.orders.export import csv_row

from .conftest import QUICK_RETRY

BASE = "http://preo.test"


async def current_edition(preo: PreoClient) -> str:
    editions = await preo.editions.list(status="current")
    return editions.results[0].id


async def test_export_rows_match_the_models_cells(preo: PreoClient) -> None:
    edition = await current_edition(preo)
    params: dict[str, Any] = {"edition_id": edition, "ordering": "-created", "page_size": 50}
    for page in (1, 2):
        models = await preo.orders.list(**params, page=page)
        lean = await preo.orders.export_page(**params, page=page)
        assert lean.count == models.count > 50
        assert lean.rows == [csv_row(o) for o in models.results]
        assert lean.ids == [o.id for o in models.results]
        assert all(len(row) == len(CSV_COLUMNS) for row in lean.rows)


async def test_a_page_past_the_end_is_empty(preo: PreoClient) -> None:
    edition = await current_edition(preo)
    first = await preo.orders.export_page(edition_id=edition, page=1, page_size=500)
    beyond = await preo.orders.export_page(
        edition_id=edition, page=-(-first.count // 500) + 2, page_size=500
    )
    assert beyond.past_end and beyond.rows == []


def answer(results: list[dict[str, Any]]) -> bytes:
    return json.dumps({"count": len(results), "results": results}, ensure_ascii=False).encode()


ORDER = {
    "id": "ord_1",
    "order_number": "NF26-000001",
    "customer": {"email": "a@example.org", "first_name": "Søren", "last_name": "Ødegård"},
    "status": "refunded-partly",  # unknown statuses are kept as text
    "amount": 12.5,
    "created": "2026-06-01T10:00:00",  # naive: taken as UTC, as the models do
    "purchase_count": 2,
    "unknown_field": {"nested": [1, 2]},
}


def test_a_plain_body_is_safe_as_it_is() -> None:
    body = answer([ORDER])
    assert body_is_safe(body)
    count, rows = decode_rows(body)
    assert count == 1
    row = dict(zip(CSV_COLUMNS, rows[0], strict=True))
    assert row["customer_first_name"] == "Søren" and row["status"] == "refunded-partly"
    assert row["created"] == "2026-06-01T10:00:00+00:00"
    assert row["amount"] == "12.50" and row["purchase_count"] == "2"


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]52;c;aGVsbG8=\x07",  # OSC 52 (an escape in the JSON: \u001b)
        "line\nbreak",  # \n escape
        "\u202eevil",  # a bidi override, unescaped in the body
        "\x9b2J",  # a C1 CSI
    ],
)
def test_every_cell_is_made_safe(hostile: str) -> None:
    order = {**ORDER, "order_number": hostile, "customer": {"last_name": hostile}}
    body = answer([order])
    assert not body_is_safe(body)
    _, rows = decode_rows(body)
    assert all(is_safe(cell) for cell in rows[0])
    assert rows[0][0] != hostile


def test_a_bare_list_is_one_page() -> None:
    count, rows = decode_rows(json.dumps([ORDER, {**ORDER, "id": "ord_2"}]).encode())
    assert count == 2 and [r[1] for r in rows] == ["ord_1", "ord_2"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        json.dumps({"count": 1, "results": [{"order_number": "x"}]}).encode(),  # no id
        json.dumps({"count": 1, "results": [{**ORDER, "amount": True}]}).encode(),
        json.dumps({"count": 1, "results": [{**ORDER, "purchase_count": "many"}]}).encode(),
        json.dumps({"count": 1, "results": "nope"}).encode(),
    ],
)
async def test_a_bad_answer_is_a_decode_error(body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async with PreoClient(
        BASE, token="t", transport=httpx.MockTransport(handler), retry=QUICK_RETRY
    ) as preo:
        with pytest.raises(DecodeError) as caught:
            await preo.orders.export_page(edition_id="edt_1", page=1, page_size=500)
    assert "many" not in str(caught.value) and "True" not in str(caught.value)
