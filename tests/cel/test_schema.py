"""Type descriptions (the cel-context schema) parse, print back and reject garbage."""

from __future__ import annotations

import pytest

from preo_tui.cel import (
    CONTRACT_VARIABLES,
    CelContext,
    Choice,
    DynamicValues,
    SchemaError,
    contract_context,
    parse_type,
)


def test_contract_schema_round_trips() -> None:
    ctx = contract_context()
    served = ctx.to_json()
    assert served["variables"] == CONTRACT_VARIABLES
    again = CelContext.from_json(served)
    assert again.variables == ctx.variables
    orders = again.variable_types["orders"]
    assert orders.kind == "list" and orders.element is not None
    purchases = orders.element.field_type("purchases")
    assert purchases is not None and purchases.element is not None
    assert purchases.element.field_type("quantity") == parse_type("int")


def test_structured_and_alias_forms() -> None:
    t = parse_type({"a": "integer", "b": ["string"], "c": "map<string, double>"})
    assert t.describe() == "{a: int, b: list(string), c: map(string, double)}"
    assert parse_type("list< {x: bool} >").describe() == "list({x: bool})"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "list(",
        "{a string}",
        "{a: string",
        "frob",
        "map(string)",
        "{a: int, a: int}",
        3,
        "{1: int}",
    ],
)
def test_bad_descriptions(bad: object) -> None:
    with pytest.raises(SchemaError):
        parse_type(bad)


def test_from_json_rejects_missing_variables_and_keeps_dynamic_values() -> None:
    with pytest.raises(SchemaError):
        CelContext.from_json({"functions": []})
    ctx = CelContext.from_json(
        {
            "variables": {"now": "timestamp"},
            "dynamic_values": {
                "products": [{"id": "prd_vip", "name": "VIP"}, "prd_x", 7],
                "languages": ["da", {"value": "en"}, 3],
                "consents": "nope",
            },
        }
    )
    assert ctx.dynamic_values.products == (Choice("prd_vip", "VIP"), Choice("prd_x"))
    assert ctx.dynamic_values.languages == ("da", "en")
    assert ctx.dynamic_values.consents == ()
    assert DynamicValues.from_json(None) == DynamicValues()
