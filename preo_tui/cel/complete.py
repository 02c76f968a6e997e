"""Completion candidates for the condition editor (pure: text + cursor + context in, items out).

``complete(text, cursor, context)`` looks at what is being typed at ``cursor`` (a string offset):

* after ``receiver.`` it offers what the receiver's type has: an object's fields (``user.``,
  ``edition.``, and inside ``orders.exists(o, o.`` the fields of an order, since the iteration
  variable of a macro takes the element type of the list it ranges over), a list's macros and
  ``size``, a string's ``startsWith``/``endsWith``/``contains``/``matches``, a timestamp's
  accessors;
* inside a string literal compared with a known field (``o.status == "``,
  ``p.product_id == "``, ``user.language in ["``, ``"…" in user.consents``) it offers the
  context's dynamic values (order statuses, product ids with their names, languages, consents);
* elsewhere: the variables (including the macro variables in scope), functions, macros and
  literals.

Candidates are filtered by the prefix typed so far (case-insensitively) and replace the range
``[start, end)`` of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import CelContext, CelType, contract_context
from .tokens import MACRO_NAMES, Token, tokenize

_IDENT_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_AFTER_STRING_IN = re.compile(
    r"""\A[^"'\n]*["']\s*in\s+([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)"""
)


@dataclass(frozen=True, slots=True)
class Completion:
    """One candidate. ``insert`` is the text that replaces the typed prefix."""

    label: str
    kind: str  # variable, field, function, macro, value, keyword
    detail: str = ""
    insert: str = ""
    #: more text the typed prefix may match (a product's name for its id: "camp" finds
    #: "prd_camping" through "Camping Spot")
    match: str = ""

    @property
    def text(self) -> str:
        return self.insert or self.label


@dataclass(frozen=True, slots=True)
class Completions:
    start: int
    end: int
    prefix: str
    items: tuple[Completion, ...]
    #: what is being completed: "member", "value", "name" or "" when nothing applies
    situation: str = ""

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.items]


#: Which dynamic values go with which field (paths through the context, list elements folded).
VALUE_SOURCES: dict[str, str] = {
    "user.language": "languages",
    "user.consents": "consents",
    "orders.status": "order_statuses",
    "orders.type": "order_types",
    "orders.purchases.status": "purchase_statuses",
    "orders.purchases.product_id": "products",
    "orders.purchases.product_name": "product_names",
}

GLOBAL_FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("size", "size(list | string | map) -> int"),
    ("has", "has(x.field) -> bool  (macro: is the field set?)"),
    ("timestamp", 'timestamp("2026-01-01T00:00:00Z") -> timestamp'),
    ("duration", 'duration("720h") -> duration'),
    ("int", "int(x) -> int"),
    ("double", "double(x) -> double"),
    ("string", "string(x) -> string"),
    ("matches", "matches(string, regex) -> bool"),
)
LIST_MEMBERS: tuple[tuple[str, str, str], ...] = (
    ("exists", "macro", "exists(x, predicate) -> bool: at least one element matches"),
    ("all", "macro", "all(x, predicate) -> bool: every element matches"),
    ("exists_one", "macro", "exists_one(x, predicate) -> bool: exactly one matches"),
    ("filter", "macro", "filter(x, predicate) -> list: the matching elements"),
    ("map", "macro", "map(x, expression) -> list: transform each element"),
    ("size", "function", "size() -> int"),
)
STRING_MEMBERS: tuple[tuple[str, str, str], ...] = (
    ("startsWith", "function", "startsWith(string) -> bool"),
    ("endsWith", "function", "endsWith(string) -> bool"),
    ("contains", "function", "contains(string) -> bool"),
    ("matches", "function", "matches(regex) -> bool (RE2)"),
    ("size", "function", "size() -> int"),
)
TIMESTAMP_MEMBERS: tuple[tuple[str, str, str], ...] = tuple(
    (name, "function", f"{name}() -> int")
    for name in (
        "getFullYear",
        "getMonth",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
    )
)
DURATION_MEMBERS: tuple[tuple[str, str, str], ...] = tuple(
    (name, "function", f"{name}() -> int")
    for name in ("getHours", "getMinutes", "getSeconds", "getMilliseconds")
)
KEYWORDS: tuple[str, ...] = ("true", "false", "null")


@dataclass(frozen=True, slots=True)
class _Resolved:
    type: CelType | None
    path: str  # "orders.purchases" ("" when unknown)


def _insert_for(name: str, kind: str) -> str:
    if kind == "macro" and name != "has":
        return f"{name}("
    if kind in ("function", "macro"):
        return f"{name}("
    return name


class _Analysis:
    def __init__(self, text: str, cursor: int, context: CelContext) -> None:
        self.text = text
        self.cursor = cursor
        self.context = context
        self.before = text[:cursor]
        self.tokens: list[Token] = tokenize(self.before)
        self.variables = dict(context.variables)

    def word(self, i: int) -> str:
        tok = self.tokens[i]
        return self.text[tok.start : tok.end]

    def is_ident(self, i: int) -> bool:
        return 0 <= i < len(self.tokens) and self.tokens[i].kind in (
            "identifier",
            "variable",
            "field",
            "function",
            "macro",
        )

    # -- scopes -------------------------------------------------------------------------------
    def scopes(self, upto: int) -> list[tuple[str, int, int]]:
        """Macro frames open before token ``upto``: (variable, receiver_end_token, open_token)."""
        stack: list[tuple[str, int, int] | None] = []
        toks = self.tokens
        for i in range(min(upto, len(toks))):
            tok = toks[i]
            if tok.kind != "punctuation":
                continue
            ch = self.text[tok.start]
            if ch in "([{":
                frame = None
                if (
                    ch == "("
                    and i >= 2
                    and toks[i - 1].kind == "macro"
                    and self.word(i - 1) in MACRO_NAMES
                    and self.word(i - 1) != "has"
                    and self.word(i - 2) == "."
                    and i + 2 < len(toks)
                    and self.is_ident(i + 1)
                    and self.word(i + 2) == ","
                    and i + 2 < upto
                ):
                    frame = (self.word(i + 1), i - 3, i)
                stack.append(frame)
            elif ch in ")]}" and stack:
                stack.pop()
        return [f for f in stack if f is not None]

    # -- receivers ----------------------------------------------------------------------------
    def resolve_receiver(self, end: int) -> _Resolved:
        """Type of the expression whose last token is ``end`` (a chain of fields/indexes)."""
        steps: list[tuple[str, str]] = []  # ("field", name) | ("index", "") | ("call", name)
        i = end
        while i >= 0:
            w = self.word(i)
            if w == "]":
                depth, j = 0, i
                while j >= 0:
                    ch = self.word(j)
                    if ch == "]":
                        depth += 1
                    elif ch == "[":
                        depth -= 1
                        if depth == 0:
                            break
                    j -= 1
                if j < 0:
                    return _Resolved(None, "")
                steps.append(("index", ""))
                i = j - 1
                continue
            if w == ")":
                depth, j = 0, i
                while j >= 0:
                    ch = self.word(j)
                    if ch == ")":
                        depth += 1
                    elif ch == "(":
                        depth -= 1
                        if depth == 0:
                            break
                    j -= 1
                if j < 1 or not self.is_ident(j - 1):
                    return _Resolved(None, "")
                steps.append(("call", self.word(j - 1)))
                i = j - 2
                if i >= 0 and self.word(i) == ".":
                    i -= 1
                    continue
                # a global call such as size(x): its result type is not tracked
                return _Resolved(_call_result(self.word(j - 1), None), "")
            if self.is_ident(i):
                name = w
                if i >= 1 and self.word(i - 1) == ".":
                    steps.append(("field", name))
                    i -= 2
                    continue
                steps.append(("root", name))
                break
            return _Resolved(None, "")
        if not steps or steps[-1][0] != "root":
            return _Resolved(None, "")
        steps.reverse()
        root = steps[0][1]
        current = self.root(root, i)
        for kind, name in steps[1:]:
            if current.type is None or current.type.kind == "unknown":
                return current
            ctype = current.type
            if kind == "field":
                ft = ctype.field_type(name) if ctype.kind == "object" else None
                current = _Resolved(ft, f"{current.path}.{name}" if current.path else "")
            elif kind == "index":
                elem = ctype.element if ctype.kind in ("list", "map") else None
                current = _Resolved(elem, current.path)
            else:
                current = _Resolved(_call_result(name, current.type), current.path)
        return current

    def root(self, name: str, at: int) -> _Resolved:
        for var, recv_end, _open in reversed(self.scopes(at)):
            if var == name:
                recv = self.resolve_receiver(recv_end)
                if recv.type is not None and recv.type.kind == "list":
                    return _Resolved(recv.type.element, recv.path)
                if recv.type is not None and recv.type.kind == "map":
                    return _Resolved(recv.type.key, recv.path)
                return _Resolved(None, "")
        t = self.variables.get(name)
        if t is None:  # not a variable of the context: nothing sensible to offer after it
            return _Resolved(CelType("unknown"), "")
        return _Resolved(t, name)


def _call_result(name: str, receiver: CelType | None) -> CelType | None:
    if name == "filter" and receiver is not None and receiver.kind == "list":
        return receiver
    if name in (
        "exists",
        "all",
        "exists_one",
        "startsWith",
        "endsWith",
        "contains",
        "matches",
        "has",
    ):
        return CelType("bool")
    if name == "size" or name.startswith("get"):
        return CelType("int")
    if name == "map":
        return CelType("list", element=CelType("dyn"))
    return None


def _matches(prefix: str, label: str) -> bool:
    return label.lower().startswith(prefix.lower())


def _matches_name(prefix: str, name: str) -> bool:
    """A word of ``name`` starts with ``prefix`` ("camp" → "Camping Spot")."""
    wanted = prefix.lower()
    return bool(wanted) and any(w.startswith(wanted) for w in re.split(r"[\W_]+", name.lower()))


def _rank(prefix: str, items: list[Completion]) -> tuple[Completion, ...]:
    out = [
        c
        for c in items
        if _matches(prefix, c.label) or (c.match and _matches_name(prefix, c.match))
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in out:
        key = (c.label, c.kind)
        if key not in seen:
            seen.add(key)
            unique.append(c)
    # Exact-case prefix matches first, then the rest, each in their given order.
    return tuple(sorted(unique, key=lambda c: (not c.label.startswith(prefix), c.label == prefix)))


def _members(t: CelType | None) -> list[Completion]:
    if t is not None and t.kind == "unknown":
        return []
    if t is None or t.kind == "dyn":
        rows = LIST_MEMBERS + STRING_MEMBERS + TIMESTAMP_MEMBERS
    elif t.kind == "object":
        return [Completion(name, "field", ft.short(), name) for name, ft in t.fields]
    elif t.kind == "list":
        rows = LIST_MEMBERS
    elif t.kind == "string":
        rows = STRING_MEMBERS
    elif t.kind == "timestamp":
        rows = TIMESTAMP_MEMBERS
    elif t.kind == "duration":
        rows = DURATION_MEMBERS
    elif t.kind == "map":
        rows = LIST_MEMBERS[:2] + (("size", "function", "size() -> int"),)
    else:
        rows = ()
    return [Completion(n, k, d, _insert_for(n, k)) for n, k, d in rows]


def _values(context: CelContext, source: str) -> list[Completion]:
    dv = context.dynamic_values
    if source == "products":
        return [Completion(c.value, "value", c.label, c.value, c.label) for c in dv.products]
    if source == "product_names":
        return [Completion(c.label, "value", c.value, c.label) for c in dv.products if c.label]
    if source == "consents":
        return [Completion(c.value, "value", c.label, c.value, c.label) for c in dv.consents]
    plain = {
        "order_statuses": dv.order_statuses,
        "order_types": dv.order_types,
        "purchase_statuses": dv.purchase_statuses,
        "languages": dv.languages,
    }.get(source, ())
    return [Completion(v, "value", source.replace("_", " ").rstrip("s"), v) for v in plain]


def _string_context(a: _Analysis, string_tok: int) -> str:
    """The value source for a string literal being typed at token ``string_tok``."""
    toks = a.tokens
    i = string_tok - 1
    # inside a list literal: walk back to its '[' (skipping other elements)
    if i >= 0 and a.word(i) in (",", "["):
        depth, j = 0, i
        while j >= 0:
            w = a.word(j)
            if w in ("]", ")"):
                depth += 1
            elif w in ("[", "("):
                if depth == 0:
                    break
                depth -= 1
            j -= 1
        if j >= 1 and a.word(j) == "[" and a.word(j - 1) == "in":
            return _source_of(a.resolve_receiver(j - 2))
        if j >= 3 and a.word(j) == "(" and toks[j - 1].kind == "function" and a.word(j - 2) == ".":
            return _source_of(a.resolve_receiver(j - 3))
        return ""
    if i >= 0 and a.word(i) in ("==", "!="):
        return _source_of(a.resolve_receiver(i - 1))
    if i >= 0 and a.word(i) == "(" and i >= 2 and a.word(i - 2) == ".":
        return _source_of(a.resolve_receiver(i - 3))
    # "value" in <list>: the list comes after the cursor
    after = _AFTER_STRING_IN.match(a.text[a.cursor :])
    if after:
        path = re.sub(r"\s+", "", after.group(1))
        sub = _Analysis(path + ".", len(path) + 1, a.context)
        return _source_of(sub.resolve_receiver(len(sub.tokens) - 2))
    return ""


def _source_of(r: _Resolved) -> str:
    return VALUE_SOURCES.get(r.path, "") if r.path else ""


def complete(
    text: str, cursor: int | None = None, context: CelContext | None = None
) -> Completions:
    """Candidates for the position ``cursor`` (a string offset; the end of ``text`` by default)."""
    ctx = context if context is not None else contract_context()
    cursor = len(text) if cursor is None else max(0, min(cursor, len(text)))
    try:
        return _complete(text, cursor, ctx)
    except Exception:  # completion is a convenience: never let it break the editor
        return Completions(cursor, cursor, "", ())


def _complete(text: str, cursor: int, ctx: CelContext) -> Completions:
    a = _Analysis(text, cursor, ctx)
    toks = a.tokens
    last = toks[-1] if toks else None
    # Inside a string literal (unterminated up to the cursor)?
    if (
        last is not None
        and last.kind == "error"
        and last.end == cursor
        and last.error
        and last.error.startswith("unclosed")
    ):
        raw = text[last.start : cursor]
        quote_at = min(p for p in (raw.find('"'), raw.find("'")) if p >= 0)
        content_start = last.start + quote_at + 1
        if raw[quote_at : quote_at + 3] in ('"""', "'''"):
            content_start += 2
        prefix = text[content_start:cursor]
        source = _string_context(a, len(toks) - 1)
        if source:
            values = _values(ctx, source)
        elif prefix:
            values = _values(ctx, "consents") + _values(ctx, "products")
        else:
            values = []
        return Completions(content_start, cursor, prefix, _rank(prefix, values), "value")
    if last is not None and last.kind in ("comment", "string", "number") and last.end == cursor:
        return Completions(cursor, cursor, "", ())
    m = _IDENT_TAIL.search(a.before)
    prefix = m.group(0) if m else ""
    start = cursor - len(prefix)
    # the token index before the prefix
    idx = len(toks) - (2 if prefix and last is not None and last.end == cursor else 1)
    if prefix and idx + 1 < len(toks) and toks[idx + 1].kind == "number":
        return Completions(cursor, cursor, "", ())
    if idx >= 0 and a.word(idx) == ".":
        recv = a.resolve_receiver(idx - 1)
        return Completions(start, cursor, prefix, _rank(prefix, _members(recv.type)), "member")
    items: list[Completion] = []
    for var, recv_end, _open in reversed(a.scopes(len(toks))):
        recv = a.resolve_receiver(recv_end)
        elem = recv.type.element if recv.type is not None and recv.type.kind == "list" else None
        items.append(
            Completion(
                var,
                "variable",
                f"element of {recv.path or 'list'}" + (f": {elem.short()}" if elem else ""),
                var,
            )
        )
    for name, t in ctx.variables:
        items.append(Completion(name, "variable", t.short(), name))
    known = {n for n, _ in GLOBAL_FUNCTIONS}
    for name, detail in GLOBAL_FUNCTIONS:
        kind = "macro" if name == "has" else "function"
        items.append(Completion(name, kind, detail, _insert_for(name, kind)))
    for name in ctx.functions:
        if (
            name not in known
            and name not in MACRO_NAMES
            and name != "in"
            and re.fullmatch(r"[A-Za-z_]\w*", name)
        ):
            items.append(Completion(name, "function", "", f"{name}("))
    for kw in KEYWORDS:
        items.append(Completion(kw, "keyword", "literal", kw))
    if (
        idx >= 0
        and toks[idx].kind in ("identifier", "variable", "field", "string", "number", "keyword")
        or (idx >= 0 and a.word(idx) in (")", "]"))
    ):
        items.append(Completion("in", "keyword", "membership: x in list", "in"))
    return Completions(start, cursor, prefix, _rank(prefix, items), "name")
