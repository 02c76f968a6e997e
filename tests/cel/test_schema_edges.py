"""Type descriptions at their edges: each malformed description named in its error, short
forms for completion details, empty objects, and variable names refused."""

from __future__ import annotations

import pytest

from preo_tui.cel import CelContext, CelType, SchemaError, parse_type


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("int int", "trailing text in type description 'int int'"),
        ("list[int", "unexpected end of type description 'list[int'"),
        ("list[int}", "expected ']', got '}'"),
        ("list int", "expected '(' after 'list'"),
        ("{a: int; b: int}", "unexpected '; b: int}'"),
        ("{a: int b: int}", "expected ',' or '}'"),
        ("{a: int, b: int, a: string}", "field 'a' declared twice"),
        ("{a int}", "expected ':', got 'int'"),
        ("map(string int)", "expected ',', got 'int'"),
    ],
)
def test_malformed_descriptions_are_named(text: str, message: str) -> None:
    with pytest.raises(SchemaError) as refused:
        parse_type(text)
    assert message in str(refused.value)


def test_structured_forms_refused() -> None:
    with pytest.raises(SchemaError, match="cannot understand type description"):
        parse_type(["int", "string"])
    same = CelType("int")
    assert parse_type(same) is same


def test_short_and_describe_forms() -> None:
    wide = parse_type("{a: int, b: string, c: bool, d: double}")
    assert wide.short() == "{a, b, c, …}"
    assert parse_type("{a: int}").short() == "{a}"
    assert parse_type("{}").describe() == "{}" and parse_type("{}").fields == ()
    nested = parse_type("map(string, list({a: int, b: int, c: int, d: int}))")
    assert nested.short() == "map(string, list({a, b, c, …}))"
    assert nested.describe() == "map(string, list({a: int, b: int, c: int, d: int}))"
    assert wide.is_object and not wide.is_list and parse_type("list(int)").is_list
    assert wide.field_type("b") == CelType("string") and wide.field_type("z") is None


def test_variable_names_are_identifiers() -> None:
    with pytest.raises(SchemaError, match="bad variable name 'my-user'"):
        CelContext.from_schema({"my-user": "string"})
    ctx = CelContext.from_schema({"user_2": "string"}, functions=["size"])
    assert ctx.functions == ("size",) and ctx.variable_types == {"user_2": CelType("string")}
