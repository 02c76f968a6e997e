"""The local checker: positions, messages and result types against the contract's context."""

from __future__ import annotations

import pytest

from preo_tui.cel import (
    CONTRACT_EXAMPLES,
    MAX_CONDITION_LENGTH,
    CelContext,
    Diagnostic,
    check,
    contract_context,
)


@pytest.mark.parametrize("text", CONTRACT_EXAMPLES)
def test_contract_examples_are_valid_bools(text: str) -> None:
    result = check(text)
    assert result.ok, result.diagnostics
    assert result.result_type == "bool"


def only(text: str) -> Diagnostic:
    result = check(text)
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


def test_unknown_field_points_at_the_field_name() -> None:
    d = only('user.agee == "x"')
    assert (d.line, d.column, d.end_column) == (1, 6, 10)
    assert d.code == "unknown_field"
    assert "agee" in d.message and "user" in d.message


def test_unknown_field_inside_macro_names_the_element_type_and_suggests() -> None:
    text = "orders.exists(o, o.purchases.exists(p, p.quantty > 1))"
    d = only(text)
    assert text[d.column - 1 : d.end_column - 1] == "quantty"
    assert "purchase" in d.message and "'quantity'" in d.message


def test_unknown_field_on_a_later_line() -> None:
    d = only('user.language ==\n  "da" &&\n user.agee')
    assert (d.line, d.column, d.end_column) == (3, 7, 11)


def test_unclosed_string() -> None:
    d = only('user.language == "da')
    assert (d.line, d.column) == (1, 18)
    assert d.code == "syntax" and "unclosed string" in d.message


@pytest.mark.parametrize(
    ("text", "column", "needle"),
    [
        ("orders.exists(o, o.amount >= 500.0", 14, "'(' is never closed"),
        ("(((", 3, "'(' is never closed"),
        ("[1, 2", 1, "'[' is never closed"),
        ("true) && (false", 5, "unmatched ')'"),
        ('user.language in ["da"]]', 24, "unmatched ']'"),
        ("(true]", 6, "does not match '('"),
    ],
)
def test_unbalanced_brackets(text: str, column: int, needle: str) -> None:
    d = only(text)
    assert d.column == column and needle in d.message and d.code == "syntax"


def test_not_bool_reports_the_type() -> None:
    result = check("size(orders)")
    assert result.result_type == "int"
    assert result.diagnostics[0].code == "not_bool"
    assert (
        "must be a bool" in result.diagnostics[0].message and "int" in result.diagnostics[0].message
    )
    assert check("orders.filter(o, o.amount > 1.0)").result_type == "list(order)"


def test_type_mismatch_on_the_operator() -> None:
    d = only("user.language == 1")
    assert (d.column, d.end_column) == (15, 17)
    assert d.code == "type_mismatch" and "string and int" in d.message


def test_int_double_mix_gets_a_hint() -> None:
    d = only("orders.exists(o, o.amount >= 500)")
    assert d.code == "type_mismatch" and "500.0" in d.message


def test_wrong_argument_type_points_at_the_function() -> None:
    text = "user.language.startsWith(1)"
    d = only(text)
    assert text[d.column - 1 : d.end_column - 1] == "startsWith"
    assert "(string, int)" in d.message


def test_unknown_function() -> None:
    d = only('foo(user.email) == "x"')
    assert (d.column, d.end_column, d.code) == (1, 4, "unknown_function")
    assert "unknown function 'foo'" in d.message
    text = 'user.email.endsWithh("x")'
    d = only(text)
    assert text[d.column - 1 : d.end_column - 1] == "endsWithh"
    assert "endsWith" in d.message


def test_unknown_variable_with_suggestion() -> None:
    d = only('usr.language == "da"')
    assert (d.column, d.end_column, d.code) == (1, 4, "unknown_variable")
    assert "'user'" in d.message


def test_several_checker_errors_are_all_reported() -> None:
    result = check('user.agee == "x" && user.language == 1')
    assert [d.code for d in result.diagnostics] == ["unknown_field", "type_mismatch"]


@pytest.mark.parametrize(
    ("text", "code", "needle"),
    [
        ("", "empty", "empty"),
        ("  \n ", "empty", "empty"),
        ("user.", "syntax", "missing after '.'"),
        ('user.language == "da" &&', "syntax", "ends too early"),
        ("a b", "syntax", "unexpected 'b'"),
        ("é == 1", "syntax", "unexpected character"),
        ("'\\q' == user.email", "syntax", "invalid escape"),
        ("x" * (MAX_CONDITION_LENGTH + 1), "too_long", "too long"),
        ("(" * 40 + "true" + ")" * 40, "too_complex", "nested too deeply"),
        ("\ud800 == 1", "syntax", "invalid character"),
    ],
)
def test_other_errors(text: str, code: str, needle: str) -> None:
    d = only(text)
    assert d.code == code and needle in d.message


def test_windows_newlines_keep_positions() -> None:
    d = only('user.language == "da" &&\r\n user.agee')
    assert (d.line, d.column) == (2, 7)


def test_unicode_columns_count_characters() -> None:
    text = '"é€😀" == user.agee'
    d = only(text)
    assert text[d.column - 1 : d.end_column - 1] == "agee"


def test_context_built_from_a_served_schema() -> None:
    ctx = CelContext.from_json(
        {
            "variables": {
                "customer": "{name: string, tags: list(string), score: int}",
                "now": "timestamp",
            },
            "functions": ["size"],
        }
    )
    assert check('customer.score > 3 && "vip" in customer.tags', ctx).ok
    d = check("customer.scor > 3", ctx).diagnostics[0]
    assert d.code == "unknown_field" and "customer" in d.message
    assert check("user.language == 'da'", ctx).diagnostics[0].code == "unknown_variable"
    # building the contract context again (a new descriptor pool) still works
    assert check('user.language == "da"', contract_context()).ok


def test_summary_and_json() -> None:
    result = check('user.agee == "x"')
    assert result.summary().startswith("line 1, column 6: unknown field 'agee' on user")
    assert result.diagnostics[0].to_json() == {
        "message": "unknown field 'agee' on user (fields of user: id, email, phone, first_name,"
        " last_name, language, country_code, created, consents)",
        "line": 1,
        "column": 6,
        "end_column": 10,
    }
