"""Value-set warnings (issue 15): conditions comparing with values that cannot exist, checked
against the same sets completion offers; plain-words errors; product completion by name."""

from __future__ import annotations

import dataclasses

import pytest

from preo_tui.cel import check, complete
from preo_tui.cel.schema import Choice, DynamicValues, contract_context
from preo_tui.cel.values import value_warnings

CTX = dataclasses.replace(
    contract_context(),
    dynamic_values=DynamicValues(
        products=(Choice("prd_vip", "VIP Weekend Pass"), Choice("prd_camp", "Camping Spot")),
        order_statuses=("pending", "completed", "cancelled"),
        order_types=("online", "box_office"),
        purchase_statuses=("active", "refunded"),
        languages=("en", "da", "se", "nl", "pl"),
        consents=(Choice("cns_newsletter", "Newsletter"),),
    ),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'orders.exists(o, o.status == "paid")',
            "no order has status 'paid'; order statuses are pending, completed, cancelled",
        ),
        ('user.language == "sv"', "no user has language 'sv' (did you mean 'se'?)"),
        ('user.language in ["da", "sv"]', "no user has language 'sv'"),
        ('"cns_newsleter" in user.consents', "unknown consent 'cns_newsleter' (did you mean"),
        (
            'orders.exists(o, o.purchases.exists(p, p.product_id == "prd_nope"))',
            "unknown product id 'prd_nope'; product ids are prd_vip, prd_camp",
        ),
    ],
)
def test_impossible_values_are_warned_about(text: str, expected: str) -> None:
    assert check(text, CTX).ok  # valid CEL: a warning, not an error
    warnings = value_warnings(text, CTX)
    assert len(warnings) == 1
    assert warnings[0].message.startswith(expected)
    assert warnings[0].code == "unknown_value"


@pytest.mark.parametrize(
    "text",
    [
        'orders.exists(o, o.status == "completed")',
        'user.language == "se"',
        '"cns_newsletter" in user.consents',
        'user.email == "anything@example.com"',  # no known set: nothing to say
    ],
)
def test_possible_values_pass(text: str) -> None:
    assert value_warnings(text, CTX) == ()


def test_warnings_use_the_completion_sets() -> None:
    offered = complete('user.language == "', None, CTX).labels
    for value in offered:
        assert value_warnings(f'user.language == "{value}"', CTX) == ()


def test_product_completion_matches_names() -> None:
    text = 'orders.exists(o, o.purchases.exists(p, p.product_id == "camp'
    assert complete(text, None, CTX).labels == ["prd_camp"]


def test_a_field_of_a_list_is_explained_in_plain_words() -> None:
    result = check('orders.status == "completed"', CTX)
    assert len(result.diagnostics) == 1
    message = result.diagnostics[0].message
    assert message.startswith("orders is a list")
    assert "orders.exists(o, o.status" in message
    nested = check('orders.exists(o, o.purchases.status == "active")', CTX).diagnostics
    assert "o.purchases.exists(p, p.status" in nested[0].message


def test_an_unknown_field_lists_the_fields() -> None:
    message = check("user.a == 1", CTX).diagnostics[0].message
    assert "fields of user: id, email" in message
