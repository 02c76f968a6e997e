"""Arbitrary text never breaks the checker: always a verdict, never an exception. Huge inputs
are refused before parsing ("too_long"). How long the worst inputs take is measured by
``python bench/cel.py worst-inputs``, not asserted here."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preo_tui.cel import MAX_CONDITION_LENGTH, CheckResult, check, complete, tokenize

CEL_BITS = st.sampled_from(
    [
        "user",
        ".",
        "language",
        "orders",
        "exists",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        "o",
        "p",
        "==",
        "!=",
        "&&",
        "||",
        "!",
        "?",
        ":",
        '"',
        "'",
        '"""',
        "\\",
        "1",
        "2.5",
        "0x1F",
        "3u",
        " ",
        "\n",
        "\r\n",
        "\t",
        "in",
        "size",
        "has",
        "now",
        "duration",
        "timestamp",
        "é",
        "😀",
        "\u2028",
        "\x00",
        "//",
        "/*",
        "b'",
        'r"',
        "null",
        "true",
        "-",
        "+",
        "*",
        "%",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(CEL_BITS, max_size=120).map("".join),
    st.builds(
        lambda s, n: s * n,
        st.sampled_from(["(", "[", "{", "!", "-", "a.", "1+", '"']),
        st.integers(0, 5000),
    ),
)


def _assert_verdict(text: str, result: CheckResult) -> None:
    assert isinstance(result, CheckResult)
    if not result.ok:
        for d in result.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.end_column > d.column
            assert d.message
    else:
        assert result.result_type == "bool"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_checker_always_answers(text: str) -> None:
    result = check(text, use_cache=False)
    _assert_verdict(text, result)
    # the editor helpers must not raise on the same input either
    tokens = tokenize(text)
    assert all(0 <= t.start < t.end <= len(text) for t in tokens)
    complete(text, len(text) // 2)


def test_huge_inputs_are_refused_before_parsing() -> None:
    for text in ("x" * 10_000_000, "(" * (MAX_CONDITION_LENGTH + 1), "é" * 50_000):
        result = check(text)
        assert [d.code for d in result.diagnostics] == ["too_long"]


def test_largest_accepted_input_is_checked() -> None:
    text = " || ".join(['user.language == "da"'] * (MAX_CONDITION_LENGTH // 25))
    assert len(text) <= MAX_CONDITION_LENGTH
    result = check(text, use_cache=False)
    _assert_verdict(text, result)
    assert result.ok
