"""The orders export's fast reading of a page (orjson, a column at a time) gives exactly the
cells the pydantic adapter gives, or leaves the page to the adapter (issue 20).

Hypothesis builds pages of rows whose values are of the usual types or not (missing fields,
numbers as text, booleans, odd or impossible timestamps, hostile text): whenever the fast path
answers, its answer is the adapter's; when the adapter refuses a page, the fast path never
answers it. The usual rows (as the sandbox sends them) do take the fast path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from preo_tui.api import PreoClient
from preo_tui.api.orders_export import _fast_rows, adapter_rows, body_is_safe, decode_rows
from preo_tui.text import is_safe, safe_cell

MISSING = object()

USUAL_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        ["", "NF26-000001", "Søren Ødegård", "a,b", 'say "hi"', "\x1b[2J", "\u202eevil"]
    ),
)
ODD_TEXTS = st.one_of(st.integers(-5, 5), st.booleans(), st.lists(st.integers(), max_size=1))
USUAL_STAMPS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-06-01T10:00:00Z",
            "2026-06-01T10:00:00+00:00",
            "2026-06-01T10:00:00-00:00",
            "2026-06-01T10:00:00+05:30",
            "2026-06-01T10:00:00.5Z",
            "2026-06-01T10:00:00.123456+02:00",
            "2026-06-01T10:00:00.000000+00:00",
            "2026-06-01T10:00:00",  # naive: UTC
            "2026-06-01T10:00:00.25",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
ODD_STAMPS = st.one_of(
    st.sampled_from(
        [
            "2026-06-01 10:00:00Z",
            "2026-06-01",
            "2026-02-30T10:00:00Z",  # no such day
            "2026-06-01T24:00:00Z",
            "2026-06-01T10:00:00+24:00",
            "2026-06-01T10:00:00+05:75",  # fromisoformat: +06:15; the adapter: an error
            "2026-06-01T10:00:00-05:60",
            "2026-06-01T10:00:00.1234567Z",
            "not a time",
        ]
    ),
    st.integers(0, 2_000_000_000),  # epoch seconds: the adapter reads them
)
USUAL_AMOUNTS = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**18), 10**18),
    st.decimals(places=3, min_value=-1000, max_value=1000).map(float),
    st.sampled_from([12.5, 2.675, 0.125, 1e16, -0.0, 1e-7]),
)
ODD_AMOUNTS = st.sampled_from(["12.50", True, [1]])
USUAL_COUNTS = st.one_of(st.none(), st.integers(-3, 10**6))
ODD_COUNTS = st.sampled_from([True, "3", 3.0])


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> Any:
    """``usual`` 19 times in 20, else ``odd`` (so that whole pages are often usual)."""
    return st.integers(0, 19).flatmap(lambda n: odd if n == 0 else usual)


TEXTS = mostly(USUAL_TEXTS, ODD_TEXTS)
CUSTOMERS = mostly(
    st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(
                ("id", "email", "phone", "first_name", "last_name", "extra"), TEXTS
            ),
        ),
    ),
    st.sampled_from(["cus_1", [], 7]),
)


@st.composite
def rows(draw: st.DrawFn) -> Any:
    fields: dict[str, Any] = {
        "id": draw(mostly(st.text(max_size=5), st.sampled_from([MISSING, 5, None]))),
        "order_number": draw(TEXTS),
        "edition_id": draw(TEXTS),
        "customer": draw(CUSTOMERS),
        "status": draw(TEXTS),
        "type": draw(TEXTS),
        "amount": draw(mostly(USUAL_AMOUNTS, ODD_AMOUNTS)),
        "currency": draw(TEXTS),
        "transaction_id": draw(TEXTS),
        "created": draw(mostly(USUAL_STAMPS, ODD_STAMPS)),
        "modified": draw(mostly(USUAL_STAMPS, ODD_STAMPS)),
        "purchase_count": draw(mostly(USUAL_COUNTS, ODD_COUNTS)),
        "unknown": draw(st.one_of(st.none(), st.lists(st.integers(), max_size=2))),
    }
    row = {
        key: value
        for key, value in fields.items()
        if value is not MISSING and (key == "id" or draw(st.integers(0, 9)) > 0)
    }
    return draw(mostly(st.just(row), st.sampled_from(["not a row", None])))


def reference(body: bytes) -> Any:
    try:
        return adapter_rows(body)
    except (ValidationError, ValueError):
        return "refused"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rows(), max_size=4),
    st.sampled_from(["page", "page", "bare list", "count as text"]),
)
def test_the_fast_path_answers_as_the_adapter_or_not_at_all(results: list[Any], shape: str) -> None:
    if shape == "page":
        answer: Any = {"count": len(results), "next": None, "results": results}
    elif shape == "bare list":
        answer = results
    else:
        answer = {"count": str(len(results)), "results": results}
    body = json.dumps(answer, ensure_ascii=False).encode()
    fast = _fast_rows(body)
    if fast is not None:
        assert fast == reference(body)


USUAL = {
    "id": "ord_0123456789abcdef",
    "order_number": "NF26-000001",
    "edition_id": "edt_1",
    "organization_id": "org_1",
    "customer": {
        "id": "usr_1",
        "email": "søren@example.org",
        "phone": None,
        "first_name": "Søren",
        "last_name": "Ødegård",
    },
    "status": "completed",
    "type": "online",
    "amount": 2305.0,
    "currency": "EUR",
    "transaction_id": None,
    "created": "2026-11-30T05:40:50+00:00",
    "modified": "2026-11-30T05:49:50+00:00",
    "purchase_count": 2,
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"created": "2026-11-30T05:40:50Z", "modified": "2026-11-30T05:40:50.5-03:00"},
        {"amount": 12, "purchase_count": None, "customer": None},
        {"amount": 2.675},  # the adapter's Decimal('2.675') rounds half-even to 2.68
    ],
)
def test_the_usual_rows_take_the_fast_path(change: dict[str, Any]) -> None:
    body = json.dumps(
        {"count": 2, "results": [{**USUAL, **change}, USUAL]}, ensure_ascii=False
    ).encode()
    fast = _fast_rows(body)
    assert fast is not None
    assert fast == adapter_rows(body)


async def test_a_sandbox_page_takes_the_fast_path(preo: PreoClient) -> None:
    edition = (await preo.editions.list(status="current")).results[0].id
    response, _, _ = await preo.orders._send(
        "list", params={"edition_id": edition, "page_size": 100}
    )
    assert response is not None
    fast = _fast_rows(response.content)
    assert fast is not None and len(fast[1]) == 100
    assert fast == adapter_rows(response.content)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=4))
def test_body_is_safe_is_is_safe_of_the_decoded_body(texts: list[str]) -> None:
    body = json.dumps({"results": texts}, ensure_ascii=False).encode()
    expected = b"\\" not in body and is_safe(body.decode())
    assert body_is_safe(body) == expected


@pytest.mark.parametrize(
    "hostile", ["\x85", "Ø\x9b[2J", "\u2028", "\u061c", "\u2066", "Ø\u200e", "tab\there"]
)
def test_hostile_text_is_made_safe_on_the_fast_path(hostile: str) -> None:
    customer = {"id": "usr_1", "email": "a@example.org", "last_name": hostile}
    order = {**USUAL, "customer": customer}
    body = json.dumps({"count": 1, "results": [order]}, ensure_ascii=False).encode()
    assert not body_is_safe(body)
    _, cells = decode_rows(body)
    assert cells[0][13] == safe_cell(hostile) != hostile
    assert all(is_safe(cell) for cell in cells[0])
