"""The checker's words for each kind of mistake, and where it points: syntax (ends too early,
a dot with nothing after it, reserved words, stray characters, bad escapes, unclosed and
unmatched brackets), names (unknown variables, fields, functions, and a known function
called with the wrong arguments), types (operators, list selects) and non-bool results."""

from __future__ import annotations

import pytest

from preo_tui.cel import MAX_CONDITION_LENGTH, check

OPERAND = "an operand (a value, a variable, '(' or '!') is missing"

CASES: list[tuple[str, str, int, str]] = [
    ("user.email == 'a' &&", "syntax", 19, f"the condition ends too early: {OPERAND}"),
    ("1 +", "syntax", 3, f"the condition ends too early: {OPERAND}"),
    ("user.email.", "syntax", 11, "a field or function name is missing after '.'"),
    ("user.in == 1", "syntax", 6, "'in' is a reserved word and cannot be used as a field name"),
    ("x.true", "syntax", 3, "'true' is a reserved word and cannot be used as a field name"),
    (
        "user.email == 'a' user",
        "syntax",
        19,
        "unexpected 'user': an operator such as && or == is missing before it",
    ),
    ("user.email $ 1", "syntax", 12, "unexpected character '$'"),
    ("user.email == \x00", "syntax", 15, "unexpected character '\\x00'"),
    ("user.email == '\ud800'", "syntax", 16, "invalid character in the condition"),
    ("'a\\q' == 'a'", "syntax", 1, "invalid escape sequence in this string"),
    ("(user.email == 'a'", "syntax", 1, "'(' is never closed: add ')'"),
    ("user.email == 'a')", "syntax", 18, "unmatched ')': nothing to close"),
    ("1 == [", "syntax", 6, "'[' is never closed: add ']'"),
    (
        "user.emial == ''",
        "unknown_field",
        6,
        "unknown field 'emial' on user; did you mean 'email'?",
    ),
    ("user.orders", "unknown_field", 6, "(fields of user: id, email, phone"),
    ("usr.email == ''", "unknown_variable", 1, "unknown variable 'usr'; did you mean 'user'?"),
    ("foo(1)", "unknown_function", 1, "unknown function 'foo'"),
    ("edition.id.foo()", "unknown_function", 12, "unknown function 'foo'"),
    ("size(1, 2)", "type_mismatch", 1, "'size' does not take these arguments"),
    ("user.email + 1 == 2", "type_mismatch", 12, "'+' cannot be applied to string and int"),
    ("1 == 1.0", "type_mismatch", 3, "CEL never mixes int and double"),
    ("user.email.matches(1)", "type_mismatch", 12, "'matches' cannot be applied to (string, int)"),
    (
        "orders.status == 'x'",
        "list_select",
        7,
        "orders is a list (list(order)): use orders.exists(o, o.status …) (any order)",
    ),
    ("now.x == 1", "list_select", 4, "a timestamp has no fields: select an element first"),
    ("orders.size()", "not_bool", 1, "the condition must be a bool (true/false), but this is int"),
    ("has(user)", "invalid", 5, "has() argument must be a field selection"),
]


@pytest.mark.parametrize(("text", "code", "column", "message"), CASES)
def test_each_mistake_in_words(text: str, code: str, column: int, message: str) -> None:
    result = check(text, use_cache=False)
    assert not result.ok
    first = result.first
    assert first is not None
    assert (first.code, first.column) == (code, column)
    assert message in first.message
    assert check(text) == result  # the cache answers the same


def test_the_result_type_is_kept_for_non_bool_expressions() -> None:
    assert check("user.email == 'a' ? 1 : 2").result_type == "int"
    ok = check("orders.exists(o, o.amount > 10.0)")
    assert ok.ok and ok.result_type == "bool" and ok.first is None and ok.summary() == "valid"


def test_inputs_that_are_not_conditions() -> None:
    not_text = check(123)  # type: ignore[arg-type]  # a caller passing the wrong type
    assert not_text.diagnostics[0].message == "the condition must be text"
    assert check("   ").diagnostics[0].code == "empty"
    long = check("true || " * (MAX_CONDITION_LENGTH // 8) + "true")
    assert long.diagnostics[0].code == "too_long"
    assert long.summary().startswith("line 1, column 1: the condition is too long")


def test_positions_are_on_the_right_line_after_crlf() -> None:
    result = check("user.email == 'a' &&\r\nuser.emial == ''")
    first = result.first
    assert first is not None and (first.line, first.column) == (2, 6)
    assert str(first) == "2:6: " + first.message
