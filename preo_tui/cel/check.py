"""Checking a condition: ``check(text, context) -> CheckResult`` with 1-based diagnostics.

The library (cel-expr-python) reports errors as one ``RuntimeError`` whose text holds lines
like ``ERROR: <input>:1:5: undefined field 'agee' not found in struct 'pkg.User'``. Those are
turned into :class:`Diagnostic` values with readable messages and a span on the culprit (the
field name, the function name, the operator). Syntax errors are made precise with the local
tokenizer (an unclosed string, an unbalanced bracket). ``check`` never raises, and inputs are
capped at :data:`MAX_CONDITION_LENGTH` characters so it always answers quickly.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from .env import Environments, environments_for
from .schema import CelContext, contract_context
from .tokens import Token, bracket_issues, offset_to_position, position_to_offset, tokenize

#: Longest condition accepted (in characters). Real conditions are a few hundred characters.
MAX_CONDITION_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem at ``line``/``column`` (1-based); ``end_column`` is exclusive (same line).

    ``code`` classifies it: ``syntax``, ``unknown_field``, ``unknown_variable``,
    ``unknown_function``, ``type_mismatch``, ``not_bool``, ``empty``, ``too_long``,
    ``too_complex``, ``list_select`` (a field of a list), ``invalid``; and, for warnings
    (``preo_tui.cel.values``), ``unknown_value``.
    """

    line: int
    column: int
    end_column: int
    message: str
    code: str = "invalid"

    def to_json(self) -> dict[str, object]:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
        }

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on a condition: valid when there is no diagnostic."""

    diagnostics: tuple[Diagnostic, ...] = ()
    #: the expression's type as the context names it (``bool``, ``int``, ``list(order)``), when
    #: the expression type-checks; None otherwise
    result_type: str | None = None

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    @property
    def first(self) -> Diagnostic | None:
        return self.diagnostics[0] if self.diagnostics else None

    def summary(self) -> str:
        """A one-line description suitable for an API 400 message."""
        if self.ok:
            return "valid"
        return "; ".join(f"line {d.line}, column {d.column}: {d.message}" for d in self.diagnostics)


_ERROR_LINE = re.compile(r"ERROR: <input>:(-?\d+):(-?\d+): ([^\n]*)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPR_START = "an operand (a value, a variable, '(' or '!')"
_OPERATORS = {
    "_==_": "==",
    "_!=_": "!=",
    "_<_": "<",
    "_<=_": "<=",
    "_>_": ">",
    "_>=_": ">=",
    "_+_": "+",
    "_-_": "-",
    "_*_": "*",
    "_/_": "/",
    "_%_": "%",
    "_&&_": "&&",
    "_||_": "||",
    "!_": "!",
    "-_": "-",
    "@in": "in",
    "_[_]": "[]",
    "_?_:_": "?:",
}


class _Text:
    """The checked text with helpers to turn library positions into spans."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens: list[Token] | None = None

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = tokenize(self.text)
        return self._tokens

    def offset(self, line: int, column: int) -> int:
        return position_to_offset(self.text, line, column)

    def diag(self, offset: int, length: int, message: str, code: str) -> Diagnostic:
        line, col = offset_to_position(self.text, offset)
        line_end = self.text.find("\n", offset)
        line_end = len(self.text) if line_end < 0 else line_end
        span = max(1, min(length, line_end - offset))
        return Diagnostic(line, col, col + span, message, code)

    def token_at(self, offset: int) -> int | None:
        for i, tok in enumerate(self.tokens):
            if tok.start <= offset < tok.end:
                return i
            if tok.start > offset:
                return None
        return None

    def token_before(self, offset: int) -> int | None:
        found = None
        for i, tok in enumerate(self.tokens):
            if tok.end <= offset:
                found = i
            else:
                break
        return found

    def word(self, i: int) -> str:
        tok = self.tokens[i]
        return self.text[tok.start : tok.end]

    def is_ident(self, i: int | None) -> bool:
        return i is not None and self.tokens[i].kind in (
            "identifier",
            "variable",
            "field",
            "function",
            "macro",
        )


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _expected(spec: str) -> str:
    """ANTLR's ``{']', ','}`` as ``']' or ','``."""
    spec = spec.strip()
    if spec.startswith("{") and spec.endswith("}"):
        items = [i.strip() for i in spec[1:-1].split(",")]
        items = [i for i in items if i] or [spec]
        if len(items) > 1:
            return ", ".join(items[:-1]) + " or " + items[-1]
        return items[0]
    return spec


def _friendly_syntax(msg: str, at_eof: bool) -> str:
    m = re.match(r"Syntax error: (.*)", msg)
    body = m.group(1) if m else msg
    if "mismatched input '<EOF>'" in body or (at_eof and "no viable alternative" in body):
        exp = re.search(r"expecting (.*)$", body)
        expected = exp.group(1) if exp else ""
        if "IDENTIFIER" in expected or not expected:
            return f"the condition ends too early: {_EXPR_START} is missing"
        return f"the condition ends too early: expected {_expected(expected)}"
    if m2 := re.match(r"missing '(.*)' at '(.*)'", body):
        where = "at the end" if m2.group(2) == "<EOF>" else f"before {m2.group(2)!r}"
        return f"missing {m2.group(1)!r} {where}"
    if m2 := re.match(r"extraneous input '(.*)' expecting <EOF>", body):
        return f"unexpected {m2.group(1)!r}: an operator such as && or == is missing before it"
    if m2 := re.match(r"(?:extraneous|mismatched) input '(.*)' expecting (.*)", body):
        expected = m2.group(2)
        if "IDENTIFIER" in expected:
            expected = _EXPR_START
        elif expected == "<EOF>":
            return f"unexpected {m2.group(1)!r}: an operator such as && or == is missing before it"
        return f"unexpected {m2.group(1)!r}, expected {_expected(expected)}"
    if m2 := re.match(r"no viable alternative at input '(.*)'", body):
        bad = m2.group(1)
        word = bad[1:].strip()
        if bad.startswith(".") and word in ("in", "true", "false", "null"):
            return f"{word!r} is a reserved word and cannot be used as a field name"
        return f"cannot read the expression at {bad[-20:]!r}"
    if m2 := re.match(r"token recognition error at: '(.*)'", body, re.DOTALL):
        return f"unexpected character {m2.group(1)[:1]!r}"
    return body


def _syntax_diagnostics(src: _Text, errors: list[tuple[int, int, str]]) -> list[Diagnostic]:
    text = src.text
    # An unclosed string or stray character is the root cause of what follows it.
    for tok in src.tokens:
        if tok.kind == "error" and tok.error is not None:
            code_len = tok.end - tok.start if tok.error.startswith("unclosed") else 1
            return [src.diag(tok.start, code_len, tok.error, "syntax")]
    issues = bracket_issues(text, src.tokens)
    first = next(((ln, col, msg) for ln, col, msg in errors if ln > 0), None)
    if issues:
        issue = issues[0]
        if first is not None:
            first_off = src.offset(first[0], first[1])
            eof = first_off >= len(text.rstrip())
            if first_off < issue.offset and not eof:
                return [src.diag(first_off, 1, _friendly_syntax(first[2], False), "syntax")]
        return [src.diag(issue.offset, issue.length, issue.message, "syntax")]
    if first is None:
        return [src.diag(0, len(text), "the condition cannot be parsed", "syntax")]
    off = src.offset(first[0], first[1])
    eof = off >= len(text.rstrip())
    message = _friendly_syntax(first[2], eof)
    i = src.token_at(off)
    if "token recognition error" in first[2] and i is not None and src.tokens[i].kind == "string":
        tok = src.tokens[i]
        return [
            src.diag(
                tok.start,
                tok.end - tok.start,
                "invalid escape sequence in this string (use \\\\, \\\", \\', \\n, \\t or \\uXXXX)",
                "syntax",
            )
        ]
    if eof and text.rstrip().endswith("."):
        return [
            src.diag(
                len(text.rstrip()) - 1, 1, "a field or function name is missing after '.'", "syntax"
            )
        ]
    length = 1
    i = src.token_at(off)
    if i is not None:
        length = src.tokens[i].end - src.tokens[i].start
    if eof:
        # Point at the last character written rather than past the end of the text.
        stripped = len(text.rstrip())
        off = max(0, stripped - 1) if stripped else 0
        j = src.token_at(off)
        if j is not None:
            off, length = src.tokens[j].start, src.tokens[j].end - src.tokens[j].start
    return [src.diag(off, length, message, "syntax")]


def _chain_start(src: _Text, i: int) -> int:
    """Walk back over ``ident . ident . ident`` to the first identifier of a chain."""
    while i >= 2 and src.word(i - 1) == "." and src.is_ident(i - 2):
        i -= 2
    return i


def _checker_diagnostic(
    src: _Text, envs: Environments, line: int, col: int, msg: str
) -> Diagnostic:
    text = src.text
    off = src.offset(line, col)
    msg = envs.humanize(msg)
    if m := re.match(r"undefined field '([^']*)' not found in struct '([^']*)'", msg):
        name, owner = m.group(1), m.group(2)
        # The library points at the '.'; underline the field name after it.
        fm = _IDENT.match(text, off + 1 if text[off : off + 1] == "." else off)
        if text[off : off + 1] == ".":
            ws = re.compile(r"[ \t\r\n\f]*").match(text, off + 1)
            fm = _IDENT.match(text, ws.end() if ws else off + 1)
        fields = [n for n, _ in envs.objects[owner].fields] if owner in envs.objects else []
        hint = _suggest(name, fields)
        if not hint and fields:
            hint = f" (fields of {owner}: {', '.join(fields)})"
        if fm:
            return src.diag(
                fm.start(),
                fm.end() - fm.start(),
                f"unknown field {name!r} on {owner}{hint}",
                "unknown_field",
            )
        return src.diag(off, 1, f"unknown field {name!r} on {owner}{hint}", "unknown_field")
    if m := re.match(r"undeclared reference to '([^']*)'", msg):
        ref = m.group(1)
        i = src.token_at(off)
        is_call = i is not None and src.word(i) == "("
        if is_call or (i is not None and src.word(i) == "."):
            i = src.token_before(src.tokens[i].start) if i is not None else None
        if i is not None and src.is_ident(i):
            if is_call:
                name = src.word(i)
                funcs = sorted(set(envs.context.functions) - {"in"})
                if name in funcs:
                    # A known global function called with the wrong number of arguments
                    # (``size(1, 2)``): the library reports it as undeclared.
                    return src.diag(
                        src.tokens[i].start,
                        src.tokens[i].end - src.tokens[i].start,
                        f"{name!r} does not take these arguments",
                        "type_mismatch",
                    )
                return src.diag(
                    src.tokens[i].start,
                    src.tokens[i].end - src.tokens[i].start,
                    f"unknown function {name!r}{_suggest(name, funcs)}",
                    "unknown_function",
                )
            start = _chain_start(src, i)
            name = src.word(start)
            known = [n for n, _ in envs.context.variables]
            return src.diag(
                src.tokens[start].start,
                src.tokens[start].end - src.tokens[start].start,
                f"unknown variable {name!r}{_suggest(name, known)}"
                + ("" if _suggest(name, known) else f" (available: {', '.join(known)})"),
                "unknown_variable",
            )
        return src.diag(off, 1, f"unknown name {ref.split('.')[0]!r}", "unknown_variable")
    if m := re.match(r"found no matching overload for '([^']*)' applied to '\((.*)\)'", msg):
        fn, args = m.group(1), m.group(2)
        i = src.token_at(off)
        if fn in _OPERATORS:
            op = _OPERATORS[fn]
            length = src.tokens[i].end - src.tokens[i].start if i is not None else 1
            hint = ""
            if "int" in args and "double" in args:
                hint = " (CEL never mixes int and double: write 500.0 for a double, or convert with int() / double())"
            parts = [a.strip() for a in args.split(",")]
            what = " and ".join(parts) if len(parts) > 1 else parts[0]
            return src.diag(
                off, length, f"{op!r} cannot be applied to {what}{hint}", "type_mismatch"
            )
        j = i
        if i is not None and src.word(i) == "(":
            j = src.token_before(src.tokens[i].start)
        if j is not None and src.is_ident(j):
            return src.diag(
                src.tokens[j].start,
                src.tokens[j].end - src.tokens[j].start,
                f"{fn!r} cannot be applied to ({args})",
                "type_mismatch",
            )
        return src.diag(off, 1, f"{fn!r} cannot be applied to ({args})", "type_mismatch")
    if m := re.match(r"expression of type '([^']*)' cannot be the operand of a select", msg):
        return _list_select(src, off, m.group(1))
    if "*error*" in msg:  # a consequence of an error already reported
        return src.diag(off, 1, "", "consequence")
    i = src.token_at(off)
    length = src.tokens[i].end - src.tokens[i].start if i is not None else 1
    return src.diag(off, length, msg, "invalid")


def _list_select(src: _Text, off: int, type_name: str) -> Diagnostic:
    """``orders.status``: a field of a list. Say so in plain words, with the macro to use."""
    text = src.text
    dot = off if text[off : off + 1] == "." else text.find(".", off)
    field = _IDENT.match(text, dot + 1) if dot >= 0 else None
    i = src.token_before(dot) if dot >= 0 else None
    receiver = ""
    if i is not None and src.is_ident(i):
        start = _chain_start(src, i)
        receiver = text[src.tokens[start].start : src.tokens[i].end]
    if not receiver or not type_name.startswith("list("):
        return src.diag(
            off, 1, f"a {type_name} has no fields: select an element first", "list_select"
        )
    element = type_name[5:-1] or "element"
    var = element[:1] or "x"
    name = field.group(0) if field else "…"
    message = (
        f"{receiver} is a list ({type_name}): use {receiver}.exists({var}, {var}.{name} …) "
        f"(any {element}) or {receiver}.all({var}, {var}.{name} …) (every {element})"
    )
    end = field.end() if field else dot + 1
    return src.diag(dot, max(1, end - dot), message, "list_select")


def _whole(src: _Text, message: str, code: str) -> Diagnostic:
    text = src.text
    stripped = text.lstrip()
    start = len(text) - len(stripped)
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    return src.diag(start, max(1, line_end - start), message, code)


def _check_uncached(text: str, envs: Environments) -> CheckResult:
    src = _Text(text)
    if not text.strip():
        return CheckResult((Diagnostic(1, 1, 2, "the condition is empty", "empty"),))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return CheckResult(
            (src.diag(exc.start, 1, "invalid character in the condition", "syntax"),)
        )
    if "\x00" in text:
        return CheckResult(
            (src.diag(text.index("\x00"), 1, "unexpected character '\\x00'", "syntax"),)
        )
    try:
        expr = envs.typed.compile(text)
    except Exception as exc:  # the library raises RuntimeError; guard against anything else
        return CheckResult(tuple(_from_library_error(src, envs, str(exc))))
    try:
        rtype = envs.type_name(expr.return_type())
    except Exception:
        rtype = "unknown"
    if rtype != "bool":
        return CheckResult(
            (
                _whole(
                    src,
                    f"the condition must be a bool (true/false), but this is {rtype}",
                    "not_bool",
                ),
            ),
            result_type=rtype,
        )
    return CheckResult((), result_type="bool")


def _from_library_error(src: _Text, envs: Environments, message: str) -> list[Diagnostic]:
    located = [(int(ln), int(col), msg.strip()) for ln, col, msg in _ERROR_LINE.findall(message)]
    if "recursion" in message or "max recursion depth" in message:
        return [
            _whole(src, "the condition is nested too deeply (at most 32 levels)", "too_complex")
        ]
    if "codepoint limit" in message:
        return [_whole(src, "the condition is too long", "too_long")]
    syntax = [e for e in located if e[2].startswith("Syntax error")]
    if syntax or any(t.kind == "error" for t in src.tokens):
        return _syntax_diagnostics(src, syntax or located)
    out: list[Diagnostic] = []
    seen: set[tuple[int, int, str]] = set()
    for ln, col, msg in located:
        if ln < 1 or col < 1:
            continue
        d = _checker_diagnostic(src, envs, ln, col, msg)
        if d.code == "consequence":
            continue
        key = (d.line, d.column, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    if not out:
        first_line = next((ln for ln in message.splitlines() if ln.strip()), "invalid condition")
        first_line = re.sub(r"^[A-Z_]+: ", "", first_line).replace("[INVALID_ARGUMENT]", "").strip()
        out.append(_whole(src, envs.humanize(first_line) or "invalid condition", "invalid"))
    return out


@lru_cache(maxsize=512)
def _check_cached(text: str, schema_key: str) -> CheckResult:
    envs = _envs_by_key[schema_key]
    return _check_uncached(text, envs)


_envs_by_key: dict[str, Environments] = {}


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n`` (positions then match what editors show)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def check(text: str, context: CelContext | None = None, *, use_cache: bool = True) -> CheckResult:
    """Parse and type-check ``text`` against ``context`` (the contract's by default).

    Never raises: every problem, including an internal failure, is a diagnostic. Results are
    memoised per (text, context types) unless ``use_cache`` is False.
    """
    try:
        if not isinstance(text, str):
            return CheckResult((Diagnostic(1, 1, 2, "the condition must be text", "invalid"),))
        if len(text) > MAX_CONDITION_LENGTH:
            return CheckResult(
                (
                    Diagnostic(
                        1,
                        1,
                        2,
                        f"the condition is too long ({len(text):,} characters; "
                        f"at most {MAX_CONDITION_LENGTH:,})",
                        "too_long",
                    ),
                )
            )
        text = normalize_newlines(text)
        ctx = context if context is not None else _default_context()
        envs = environments_for(ctx)
        if not use_cache:
            return _check_uncached(text, envs)
        _envs_by_key.setdefault(ctx.schema_key, envs)
        return _check_cached(text, ctx.schema_key)
    except Exception as exc:  # never let a checker bug reach the caller as a traceback
        return CheckResult(
            (Diagnostic(1, 1, 2, f"the condition could not be checked: {exc}", "invalid"),)
        )


@lru_cache(maxsize=1)
def _default_context() -> CelContext:
    return contract_context()
