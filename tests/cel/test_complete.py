"""Completion candidates for the editor."""

from __future__ import annotations

import pytest

from preo_tui.cel import CelContext, Choice, DynamicValues, complete, contract_context

DV = DynamicValues(
    products=(Choice("prd_vip", "VIP upgrade"), Choice("prd_day", "Day ticket")),
    order_statuses=("pending", "confirmed", "completed", "cancelled"),
    order_types=("online", "in-person", "imported"),
    purchase_statuses=("active", "partially_refunded", "refunded", "cancelled"),
    languages=("en", "da", "se", "nl", "pl"),
    consents=(Choice("cns_newsletter", "Newsletter"), Choice("cns_sms", "SMS offers")),
)
CTX = contract_context(DV)


def labels(text: str, cursor: int | None = None) -> list[str]:
    return complete(text, cursor, CTX).labels


def test_user_fields_with_types() -> None:
    result = complete("user.", None, CTX)
    assert result.situation == "member" and (result.start, result.end) == (5, 5)
    assert result.labels == [
        "id",
        "email",
        "phone",
        "first_name",
        "last_name",
        "language",
        "country_code",
        "created",
        "consents",
    ]
    details = {c.label: c.detail for c in result.items}
    assert details["created"] == "timestamp" and details["consents"] == "list(string)"


def test_prefix_filters_and_sets_the_replace_range() -> None:
    result = complete('user.language == "da" && user.la', None, CTX)
    assert result.labels == ["last_name", "language"]
    assert (result.start, result.end, result.prefix) == (30, 32, "la")


def test_macro_variable_gets_the_element_type() -> None:
    assert labels("orders.exists(o, o.")[:3] == ["id", "order_number", "status"]
    assert labels("orders.exists(o, o.purchases.exists(p, p.") == [
        "product_id",
        "product_name",
        "quantity",
        "amount",
        "status",
    ]
    assert labels("orders.filter(x, x.amount > 1.0)[0].pur") == ["purchases"]
    assert labels("orders.exists(o, o.status == 'x') && o.") == []  # o is out of scope here


def test_members_by_type() -> None:
    assert labels("orders.")[:5] == ["exists", "all", "exists_one", "filter", "map"]
    assert "startsWith" in labels("user.email.")
    assert "getFullYear" in labels("user.created.")
    assert complete("orders.ex", None, CTX).items[0].insert == "exists("


def test_names_include_scope_variables_functions_and_keywords() -> None:
    got = labels("orders.exists(o, ")
    assert got[0] == "o"
    assert {"user", "orders", "edition", "now", "size", "has", "duration", "true"} <= set(got)
    assert labels("us") == ["user"]
    assert "in" in labels('"cns_newsletter" ')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('orders.exists(o, o.status == "', ["pending", "confirmed", "completed", "cancelled"]),
        ('orders.exists(o, o.type != "in', ["in-person"]),
        ('orders.exists(o, o.purchases.exists(p, p.product_id == "prd_v', ["prd_vip"]),
        (
            'orders.exists(o, o.purchases.exists(p, p.status == "',
            ["active", "partially_refunded", "refunded", "cancelled"],
        ),
        ('user.language in ["da", "', ["en", "da", "se", "nl", "pl"]),
        ('user.consents.exists(c, c == "', ["cns_newsletter", "cns_sms"]),
        ('user.language.startsWith("s', ["se"]),
        ('"cns', ["cns_newsletter", "cns_sms"]),
    ],
)
def test_dynamic_values_inside_strings(text: str, expected: list[str]) -> None:
    result = complete(text, None, CTX)
    assert result.situation == "value"
    assert result.labels == expected


def test_product_names_are_details_and_string_before_in() -> None:
    result = complete('orders.exists(o, o.purchases.exists(p, p.product_id == "', None, CTX)
    assert {c.label: c.detail for c in result.items}["prd_vip"] == "VIP upgrade"
    text = '"" in user.consents'
    assert complete(text, 1, CTX).labels == ["cns_newsletter", "cns_sms"]


def test_nothing_inside_numbers_and_comments_and_never_raises() -> None:
    assert labels("size(orders) > 12") == []
    assert labels("true // us") == []
    for text in ("", ")))", "((((.", '"""', "orders[", "a.b.c.d.", "\x00."):
        complete(text, None, CTX)
        complete(text, 0, CTX)


def test_a_served_context_drives_completion() -> None:
    ctx = CelContext.from_json({"variables": {"account": "{plan: string, seats: int}"}})
    assert complete("account.", None, ctx).labels == ["plan", "seats"]
