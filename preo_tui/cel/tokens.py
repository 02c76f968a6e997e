"""A small, fast, pure-Python CEL tokenizer (syntax highlighting, completion, diagnostics).

``tokenize(text)`` never raises: every character of the input ends up in exactly one token or
in skipped whitespace, and anything CEL cannot read becomes an ``error`` token with a reason
(an unclosed string, a stray character). Offsets are Python string indices (code points).

Kinds: ``comment``, ``string`` (also bytes and raw strings), ``number``, ``keyword``
(``true``, ``false``, ``null``, ``in``), ``reserved`` (words CEL reserves), ``variable`` (a
declared top-level variable), ``field`` (``.name``), ``macro`` (``exists(``, ``has(`` ...),
``function`` (any other ``name(``), ``identifier``, ``operator``, ``punctuation``, ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import NamedTuple

KEYWORDS = frozenset({"true", "false", "null", "in"})
RESERVED = frozenset(
    {
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    }
)
MACRO_NAMES = frozenset({"has", "all", "exists", "exists_one", "filter", "map"})
OPEN_TO_CLOSE = {"(": ")", "[": "]", "{": "}"}
CLOSE_TO_OPEN = {v: k for k, v in OPEN_TO_CLOSE.items()}


class Token(NamedTuple):
    kind: str
    start: int
    end: int
    error: str | None = None


_PREFIX = r"(?:[rR][bB]?|[bB][rR]?)?"
_PATTERN = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f]+)
  | (?P<comment>//[^\n]*)
  | (?P<tstring>"""
    + _PREFIX
    + r"""(?:\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''))
  | (?P<tbad>"""
    + _PREFIX
    + r"""(?:\"\"\"|'''))
  | (?P<string>"""
    + _PREFIX
    + r"""(?:"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'))
  | (?P<sbad>"""
    + _PREFIX
    + r"""(?:"(?:[^"\\\n\r]|\\.)*|'(?:[^'\\\n\r]|\\.)*))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>==|!=|<=|>=|&&|\|\||[<>+\-*/%!?:.])
  | (?P<punctuation>[()\[\]{},])
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CALL_AFTER = re.compile(r"[ \t\r\n\f]*\(")


def _raw_tokens(text: str) -> Iterator[Token]:
    for m in _PATTERN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        start, end = m.span()
        if kind in ("string", "tstring"):
            yield Token("string", start, end)
        elif kind == "sbad":
            yield Token("error", start, end, "unclosed string literal")
        elif kind == "tbad":
            # An opening triple quote without its closing one: the rest is the string.
            yield Token("error", start, len(text), "unclosed triple-quoted string literal")
            return
        elif kind == "ident":
            yield Token("identifier", start, end)
        elif kind == "bad":
            ch = m.group(0)
            yield Token("error", start, end, f"unexpected character {ch!r}")
        else:
            assert kind is not None
            yield Token(kind, start, end)


def tokenize(text: str, variables: Collection[str] = ()) -> list[Token]:
    """Split ``text`` into tokens; identifiers are classified by their neighbours."""
    tokens = list(_raw_tokens(text))
    prev: Token | None = None
    for i, tok in enumerate(tokens):
        if tok.kind == "identifier":
            word = text[tok.start : tok.end]
            after_dot = prev is not None and prev.kind == "operator" and text[prev.start] == "."
            is_call = _CALL_AFTER.match(text, tok.end) is not None
            if word in KEYWORDS and not after_dot:
                kind = "keyword"
            elif word in RESERVED and not after_dot:
                kind = "reserved"
            elif is_call:
                kind = "macro" if word in MACRO_NAMES else "function"
            elif after_dot:
                kind = "field"
            elif word in variables:
                kind = "variable"
            else:
                kind = "identifier"
            if kind != "identifier":
                tokens[i] = Token(kind, tok.start, tok.end)
        prev = tokens[i]
    return tokens


class BracketIssue(NamedTuple):
    offset: int
    length: int
    message: str


def bracket_issues(text: str, tokens: list[Token] | None = None) -> list[BracketIssue]:
    """Unmatched closing brackets and unclosed opening ones (strings and comments ignored).

    Returns at most one issue: the first closing bracket that does not match, else the
    innermost bracket left open at the end.
    """
    toks = tokenize(text) if tokens is None else tokens
    stack: list[tuple[str, int]] = []
    for tok in toks:
        if tok.kind != "punctuation":
            continue
        ch = text[tok.start]
        if ch in OPEN_TO_CLOSE:
            stack.append((ch, tok.start))
        elif ch in CLOSE_TO_OPEN:
            if not stack:
                return [BracketIssue(tok.start, 1, f"unmatched {ch!r}: nothing to close")]
            opener, pos = stack.pop()
            if OPEN_TO_CLOSE[opener] != ch:
                return [
                    BracketIssue(
                        tok.start,
                        1,
                        f"{ch!r} does not match {opener!r}; expected {OPEN_TO_CLOSE[opener]!r}",
                    )
                ]
    if stack:
        opener, pos = stack[-1]
        return [BracketIssue(pos, 1, f"{opener!r} is never closed: add {OPEN_TO_CLOSE[opener]!r}")]
    return []


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a string offset."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1


def position_to_offset(text: str, line: int, column: int) -> int:
    """String offset of a 1-based (line, column), clamped to the text."""
    start = 0
    for _ in range(max(0, line - 1)):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return min(start + max(0, column - 1), end)
