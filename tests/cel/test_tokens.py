"""The highlighting tokenizer."""

from __future__ import annotations

from preo_tui.cel import bracket_issues, offset_to_position, position_to_offset, tokenize


def kinds(text: str, variables: tuple[str, ...] = ("user", "orders")) -> list[tuple[str, str]]:
    return [(t.kind, text[t.start : t.end]) for t in tokenize(text, variables)]


def test_classifies_every_kind() -> None:
    text = 'orders.exists(o, o.amount >= 500.0) && size(user.consents) != 0x1F // note\n|| "a\\"b" in [r\'x\', b"y", 3u, 1e3] ? true : null'
    got = kinds(text)
    assert ("variable", "orders") in got
    assert ("macro", "exists") in got
    assert ("identifier", "o") in got
    assert ("field", "amount") in got
    assert ("operator", ">=") in got
    assert ("number", "500.0") in got
    assert ("function", "size") in got
    assert ("number", "0x1F") in got
    assert ("comment", "// note") in got
    assert ("string", '"a\\"b"') in got
    assert ("keyword", "in") in got
    assert ("string", "r'x'") in got and ("string", 'b"y"') in got
    assert ("number", "3u") in got and ("number", "1e3") in got
    assert ("keyword", "true") in got and ("keyword", "null") in got
    assert ("punctuation", "[") in got and ("operator", "?") in got


def test_errors_are_tokens_not_exceptions() -> None:
    toks = tokenize('user.name == "abc\n#')
    assert [(t.kind, t.error) for t in toks][-2:] == [
        ("error", "unclosed string literal"),
        ("error", "unexpected character '#'"),
    ]
    toks = tokenize('x == """abc\n def')
    assert toks[-1].kind == "error" and toks[-1].end == len('x == """abc\n def')
    assert kinds('"""a\nb""" == x')[0] == ("string", '"""a\nb"""')


def test_reserved_words_and_fields_named_like_keywords() -> None:
    assert kinds("if")[0][0] == "reserved"
    assert kinds("user.null")[-1] == ("field", "null")


def test_brackets_ignore_strings_and_comments() -> None:
    assert bracket_issues("f(\"(\", ')') // (\n") == []
    assert bracket_issues("((x)")[0].offset == 0
    assert bracket_issues("(x]")[0].offset == 2


def test_positions_round_trip() -> None:
    text = "ab\ncde\n\nf"
    for offset in range(len(text) + 1):
        line, col = offset_to_position(text, offset)
        assert position_to_offset(text, line, col) == offset
    assert offset_to_position(text, 4) == (2, 2)
    assert position_to_offset(text, 9, 9) == len(text)


def test_tokenizer_covers_a_long_expression_exactly() -> None:
    # (How fast it is, is measured in bench/cel.py.) A long text is tokenized completely: the
    # tokens cover the text in order with only white space between them, and every repetition
    # tokenizes alike.
    unit = 'orders.exists(o, o.status == "completed") && '
    text = unit * 200
    tokens = tokenize(text)
    assert tokens[0].start == 0 and text[tokens[-1].end :].strip() == ""
    gaps = [text[a.end : b.start] for a, b in zip(tokens, tokens[1:], strict=False)]
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:], strict=False))
    assert all(gap.strip() == "" for gap in gaps)
    assert not [tok for tok in tokens if tok.error]
    one = [(tok.kind, tok.end - tok.start) for tok in tokenize(unit)]
    assert len(tokens) == 200 * len(one)
    assert [(tok.kind, tok.end - tok.start) for tok in tokens[: len(one)]] == one
    strings = [text[tok.start : tok.end] for tok in tokens if tok.kind == "string"]
    assert strings == ['"completed"'] * 200
