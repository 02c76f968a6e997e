"""The CEL context of segment conditions (contract section 8) as data.

The context a condition is checked and evaluated against is described by a mapping of variable
names to *type descriptions*, exactly as ``GET /v1/segments/cel-context`` serves them::

    {"user": "{id: string, ..., created: timestamp, consents: list(string)}",
     "orders": "list({id: string, ..., purchases: list({product_id: string, ...})})",
     "edition": "{id: string, name: string, start_date: timestamp, end_date: timestamp}",
     "now": "timestamp"}

A type description is one of the scalar names (``string``, ``int``, ``uint``, ``double``,
``bool``, ``bytes``, ``timestamp``, ``duration``, ``dyn``), ``list(T)``, ``map(K, V)`` or an
object ``{field: T, ...}``. For tolerance towards a server that answers with structured JSON
instead, a description may also be a JSON object (``{"field": T}``, an object type) or a
one-element JSON array (``[T]``, a list type).

:class:`CelContext` bundles the variables with the function names and the dynamic values
(products, statuses, languages, consents) that the editor offers for completion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SCALARS: frozenset[str] = frozenset(
    {"string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "dyn", "null"}
)
_ALIASES = {
    "integer": "int",
    "float": "double",
    "number": "double",
    "boolean": "bool",
    "any": "dyn",
}


class SchemaError(ValueError):
    """A type description that cannot be understood."""


@dataclass(frozen=True, slots=True)
class CelType:
    """A node of a context type: ``kind`` is a scalar name, ``"list"``, ``"map"`` or ``"object"``."""

    kind: str
    element: CelType | None = None  # list element, map value
    key: CelType | None = None  # map key
    fields: tuple[tuple[str, CelType], ...] = ()  # object fields, in declaration order

    @property
    def is_object(self) -> bool:
        return self.kind == "object"

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    def field_type(self, name: str) -> CelType | None:
        for fname, ftype in self.fields:
            if fname == name:
                return ftype
        return None

    def describe(self) -> str:
        """The canonical type description (the grammar this module parses)."""
        if self.kind == "list":
            assert self.element is not None
            return f"list({self.element.describe()})"
        if self.kind == "map":
            assert self.key is not None and self.element is not None
            return f"map({self.key.describe()}, {self.element.describe()})"
        if self.kind == "object":
            return "{" + ", ".join(f"{n}: {t.describe()}" for n, t in self.fields) + "}"
        return self.kind

    def short(self) -> str:
        """A compact description for completion details: objects are shown as ``{...}``."""
        if self.kind == "list":
            assert self.element is not None
            return f"list({self.element.short()})"
        if self.kind == "map":
            assert self.key is not None and self.element is not None
            return f"map({self.key.short()}, {self.element.short()})"
        if self.kind == "object":
            return (
                "{"
                + ", ".join(n for n, _ in self.fields[:3])
                + (", …}" if len(self.fields) > 3 else "}")
            )
        return self.kind


_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(){},:<>\[\]]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _next(self) -> str:
        m = _TOKEN.match(self.text, self.pos)
        if not m:
            rest = self.text[self.pos :].strip()
            if not rest:
                raise SchemaError(f"unexpected end of type description {self.text!r}")
            raise SchemaError(f"unexpected {rest[:10]!r} in type description {self.text!r}")
        self.pos = m.end()
        return m.group(1) or m.group(2)

    def _peek(self) -> str | None:
        m = _TOKEN.match(self.text, self.pos)
        return (m.group(1) or m.group(2)) if m else None

    def _expect(self, tok: str) -> None:
        got = self._next()
        if got != tok:
            raise SchemaError(f"expected {tok!r}, got {got!r} in type description {self.text!r}")

    def parse(self) -> CelType:
        t = self.type_()
        if self.text[self.pos :].strip():
            raise SchemaError(f"trailing text in type description {self.text!r}")
        return t

    def type_(self) -> CelType:
        tok = self._next()
        if tok == "{":
            fields: list[tuple[str, CelType]] = []
            if self._peek() == "}":
                self._next()
                return CelType("object", fields=())
            while True:
                name = self._next()
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise SchemaError(f"bad field name {name!r} in type description {self.text!r}")
                self._expect(":")
                fields.append((name, self.type_()))
                sep = self._next()
                if sep == "}":
                    break
                if sep != ",":
                    raise SchemaError(f"expected ',' or '}}' in type description {self.text!r}")
            _check_unique(fields)
            return CelType("object", fields=tuple(fields))
        low = _ALIASES.get(tok.lower(), tok.lower())
        if low in ("list", "map"):
            opener = self._next()
            closer = {"(": ")", "<": ">", "[": "]"}.get(opener)
            if closer is None:
                raise SchemaError(f"expected '(' after {tok!r} in type description {self.text!r}")
            if low == "list":
                elem = self.type_()
                self._expect(closer)
                return CelType("list", element=elem)
            key = self.type_()
            self._expect(",")
            val = self.type_()
            self._expect(closer)
            return CelType("map", key=key, element=val)
        if low in SCALARS:
            return CelType(low)
        raise SchemaError(f"unknown type {tok!r} in type description {self.text!r}")


def _check_unique(fields: Sequence[tuple[str, CelType]]) -> None:
    seen: set[str] = set()
    for name, _ in fields:
        if name in seen:
            raise SchemaError(f"field {name!r} declared twice")
        seen.add(name)


def parse_type(description: Any) -> CelType:
    """Parse a type description (string, or the structured JSON forms) into a :class:`CelType`."""
    if isinstance(description, CelType):
        return description
    if isinstance(description, str):
        return _Parser(description).parse()
    if isinstance(description, Mapping):
        fields = [(str(k), parse_type(v)) for k, v in description.items()]
        _check_unique(fields)
        return CelType("object", fields=tuple(fields))
    if isinstance(description, list | tuple) and len(description) == 1:
        return CelType("list", element=parse_type(description[0]))
    raise SchemaError(f"cannot understand type description {description!r}")


# ---------------------------------------------------------------------------------------------
# The contract's context (section 8)

CONTRACT_VARIABLES: dict[str, str] = {
    "user": (
        "{id: string, email: string, phone: string, first_name: string, last_name: string, "
        "language: string, country_code: string, created: timestamp, consents: list(string)}"
    ),
    "orders": (
        "list({id: string, order_number: string, status: string, type: string, amount: double, "
        "created: timestamp, purchases: list({product_id: string, product_name: string, "
        "quantity: int, amount: double, status: string})})"
    ),
    "edition": "{id: string, name: string, start_date: timestamp, end_date: timestamp}",
    "now": "timestamp",
}

#: Macros: receiver-style comprehensions (``list.exists(x, pred)``) plus ``has(field)``.
MACROS: tuple[str, ...] = ("all", "exists", "exists_one", "filter", "map", "has")

#: Functions the contract names, plus the common standard ones the library provides.
CONTRACT_FUNCTIONS: tuple[str, ...] = (
    "size",
    "has",
    "exists",
    "all",
    "exists_one",
    "filter",
    "map",
    "startsWith",
    "endsWith",
    "contains",
    "matches",
    "timestamp",
    "duration",
    "in",
)

CONTRACT_EXAMPLES: tuple[str, ...] = (
    'user.language == "da"',
    'orders.exists(o, o.status == "completed" && o.amount >= 500.0)',
    # Only users with an order in the edition are evaluated, so "no orders at all"
    # (size(orders) == 0) can never match: "no completed order" is what can.
    '!orders.exists(o, o.status == "completed") && "cns_newsletter" in user.consents',
    'orders.exists(o, o.purchases.exists(p, p.product_id == "prd_vip" && p.status == "active"))',
    'user.created > now - duration("720h")',
)


@dataclass(frozen=True, slots=True)
class Choice:
    """A dynamic value offered for completion: ``value`` is what goes into the condition."""

    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class DynamicValues:
    products: tuple[Choice, ...] = ()
    order_statuses: tuple[str, ...] = ()
    order_types: tuple[str, ...] = ()
    purchase_statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    consents: tuple[Choice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "products": [{"id": c.value, "name": c.label} for c in self.products],
            "order_statuses": list(self.order_statuses),
            "order_types": list(self.order_types),
            "purchase_statuses": list(self.purchase_statuses),
            "languages": list(self.languages),
            "consents": [{"id": c.value, "name": c.label} for c in self.consents],
        }

    @classmethod
    def from_json(cls, data: Any) -> DynamicValues:
        if not isinstance(data, Mapping):
            return cls()

        def strings(key: str) -> tuple[str, ...]:
            raw = data.get(key)
            if not isinstance(raw, list):
                return ()
            out = []
            for item in raw:
                if isinstance(item, str):
                    out.append(item)
                elif isinstance(item, Mapping) and isinstance(item.get("value"), str):
                    out.append(item["value"])
            return tuple(out)

        def choices(key: str) -> tuple[Choice, ...]:
            raw = data.get(key)
            if not isinstance(raw, list):
                return ()
            out = []
            for item in raw:
                if isinstance(item, str):
                    out.append(Choice(item))
                elif isinstance(item, Mapping) and item.get("id") is not None:
                    out.append(Choice(str(item["id"]), str(item.get("name") or "")))
            return tuple(out)

        return cls(
            products=choices("products"),
            order_statuses=strings("order_statuses"),
            order_types=strings("order_types"),
            purchase_statuses=strings("purchase_statuses"),
            languages=strings("languages"),
            consents=choices("consents"),
        )


@dataclass(frozen=True)
class CelContext:
    """Variables (name -> type), function names and dynamic values of a CEL context."""

    variables: tuple[tuple[str, CelType], ...]
    functions: tuple[str, ...] = CONTRACT_FUNCTIONS
    dynamic_values: DynamicValues = field(default_factory=DynamicValues)

    @classmethod
    def from_schema(
        cls,
        variables: Mapping[str, Any],
        functions: Sequence[str] | None = None,
        dynamic_values: DynamicValues | None = None,
    ) -> CelContext:
        """Build from ``{name: type description}``; raises :class:`SchemaError` when invalid."""
        parsed = []
        for name, desc in variables.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                raise SchemaError(f"bad variable name {name!r}")
            parsed.append((str(name), parse_type(desc)))
        return cls(
            variables=tuple(parsed),
            functions=tuple(functions) if functions is not None else CONTRACT_FUNCTIONS,
            dynamic_values=dynamic_values or DynamicValues(),
        )

    @classmethod
    def from_json(cls, payload: Any) -> CelContext:
        """Build from a ``cel-context`` response body; raises :class:`SchemaError` when unusable."""
        if not isinstance(payload, Mapping) or not isinstance(payload.get("variables"), Mapping):
            raise SchemaError("the CEL context has no 'variables' object")
        raw_functions = payload.get("functions")
        functions = (
            tuple(str(f) for f in raw_functions if isinstance(f, str))
            if isinstance(raw_functions, list)
            else None
        )
        return cls.from_schema(
            payload["variables"], functions, DynamicValues.from_json(payload.get("dynamic_values"))
        )

    def to_json(self) -> dict[str, Any]:
        """The ``cel-context`` response body."""
        return {
            "variables": {name: t.describe() for name, t in self.variables},
            "functions": list(self.functions),
            "dynamic_values": self.dynamic_values.to_json(),
        }

    @property
    def variable_types(self) -> dict[str, CelType]:
        return dict(self.variables)

    @cached_property
    def schema_key(self) -> str:
        """A canonical string identifying the variables' types (for caching environments)."""
        return json.dumps([[n, t.describe()] for n, t in self.variables])


def contract_context(dynamic_values: DynamicValues | None = None) -> CelContext:
    """The contract's context (section 8), optionally with dynamic values."""
    return CelContext.from_schema(CONTRACT_VARIABLES, CONTRACT_FUNCTIONS, dynamic_values)
