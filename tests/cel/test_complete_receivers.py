"""Completion after receivers that are not plain variables: indexes, method results (filter,
map, size), nested comprehension variables, maps and durations, value lists inside ``in``
and method arguments, and receivers it cannot type (a conservative fallback, never an error)."""

from __future__ import annotations

import pytest

from preo_tui.cel import CelContext, complete
from tests.cel.test_complete import CTX

LIST = ["exists", "all", "exists_one", "filter", "map", "size"]
STRING = ["startsWith", "endsWith", "contains", "matches", "size"]
ORDER = ["id", "order_number", "status", "type", "amount", "created", "purchases"]
PURCHASE = ["product_id", "product_name", "quantity", "amount", "status"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders[0].", ORDER),
        ("orders[0].purchases[0].", PURCHASE),
        ("orders.exists(o, o.purchases.exists(p, p.", PURCHASE),
        ("orders.filter(o, o.amount > 1.0).", LIST),
        ("orders.map(o, o.id).", LIST),
        ("user.consents.exists(c, c.", STRING),
        ("edition.", ["id", "name", "start_date", "end_date"]),
        ("size(orders).", []),  # an int has no members
        ("user.email.size().", []),
        ("foo.", []),  # not a variable: nothing sensible to offer
    ],
)
def test_members_after_a_receiver(text: str, expected: list[str]) -> None:
    result = complete(text, None, CTX)
    assert result.situation == "member"
    assert result.labels[: len(expected)] == expected
    if not expected:
        assert result.labels == []


def test_timestamps_offer_their_getters() -> None:
    labels = complete("orders[0].created.", None, CTX).labels
    assert labels[:3] == ["getFullYear", "getMonth", "getDayOfMonth"]
    assert complete("now.", None, CTX).labels == labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user.language in ['da', '", ["en", "da", "se", "nl", "pl"]),
        ("orders.exists(o, o.status == '", ["pending", "confirmed", "completed", "cancelled"]),
        ("orders.exists(o, o.purchases.exists(p, p.product_id == '", ["prd_vip", "prd_day"]),
        (
            "orders.exists(o, o.purchases.exists(p, p.product_name in ['",
            ["VIP upgrade", "Day ticket"],
        ),
        ("user.consents.exists(c, c == '", ["cns_newsletter", "cns_sms"]),
        ("orders.exists(o, o.type.startsWith('", ["online", "in-person", "imported"]),
    ],
)
def test_values_inside_lists_and_method_arguments(text: str, expected: list[str]) -> None:
    result = complete(text, None, CTX)
    assert result.situation == "value" and result.labels == expected


def test_maps_durations_and_untyped_receivers() -> None:
    ctx = CelContext.from_schema(
        {"tags": "map(string, int)", "wait": "duration", "meta": "map(string, string)"}
    )
    assert complete("tags.", None, ctx).labels == ["exists", "all", "size"]
    assert complete("wait.", None, ctx).labels == [
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    ]
    # A comprehension over a map binds its keys; an index gives its values.
    assert complete("tags.exists(k, k.", None, ctx).labels == STRING
    assert complete('meta["a"].', None, ctx).labels == STRING
    # No value list for a plain map: nothing offered, not an error.
    assert complete('tags.all(k, k == "', None, ctx).labels == []
    # A parenthesised or unbalanced receiver cannot be typed: every member is offered.
    fallback = complete("(user).", None, CTX).labels
    assert fallback[:6] == LIST and "startsWith" in fallback and "getFullYear" in fallback
    assert complete("orders[0]].", None, CTX).labels[:6] == LIST


def test_a_cursor_outside_the_text_is_clamped() -> None:
    result = complete("user.", 99, CTX)
    assert (result.start, result.end) == (5, 5) and result.labels[0] == "id"
    assert complete("user.", -3, CTX).start == 0
