"""Evaluating a condition over plain values: compile once, evaluate per user.

The condition is type-checked against the typed environment (so only valid conditions are
evaluated), then compiled in the dynamic environment and evaluated on plain dicts and lists.
A runtime error (a missing key, a division by zero, a bad regex) is a *value* in this library;
it makes the user a non-member, and the first such error is kept for reporting.

cel-expr-python rejects ``datetime`` values nested inside dicts, so timestamps inside records
must be protobuf ``Timestamp`` messages: :func:`timestamp_value` makes one from a datetime, an
ISO 8601 string or epoch seconds, and :func:`normalize` converts a whole record against its
declared type (filling missing fields with their zero value, so that ``user.phone == ""``
works on a user without a phone instead of failing; ``has(user.phone)`` keeps the checker's
meaning, "set to a non-zero value", see :func:`proto_has_semantics`). Top-level ``timestamp``
variables (``now``) accept a plain ``datetime``.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

from .check import CheckResult, Diagnostic, check, normalize_newlines
from .env import environments_for
from .schema import CelContext, CelType, contract_context

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ConditionError(ValueError):
    """The condition does not check; ``diagnostics`` says where and why."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        self.diagnostics: tuple[Diagnostic, ...] = result.diagnostics
        super().__init__(result.summary())


def timestamp_value(value: Any) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp from a datetime, date, ISO 8601 string, epoch number or None (epoch)."""
    if isinstance(value, timestamp_pb2.Timestamp):
        return value
    ts = timestamp_pb2.Timestamp()
    if value is None or value == "":
        return ts
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = dt.datetime.fromisoformat(text)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        delta = value - _EPOCH
        ts.seconds = delta.days * 86400 + delta.seconds
        ts.nanos = delta.microseconds * 1000
        return ts
    if isinstance(value, dt.date):
        return timestamp_value(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC))
    if isinstance(value, int | float):
        seconds = int(value // 1)
        ts.seconds = seconds
        ts.nanos = int(round((value - seconds) * 1e9))
        return ts
    raise TypeError(f"cannot make a timestamp of {value!r}")


def duration_value(value: Any) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    if isinstance(value, dt.timedelta):
        d.FromTimedelta(value)
    elif isinstance(value, int | float):
        d.FromNanoseconds(int(value * 1e9))
    elif value is not None:
        raise TypeError(f"cannot make a duration of {value!r}")
    return d


def to_cel(value: Any) -> Any:
    """Convert an arbitrary plain value for the dynamic environment (no schema needed)."""
    if isinstance(value, dt.datetime | dt.date):
        return timestamp_value(value)
    if isinstance(value, dt.timedelta):
        return duration_value(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_cel(v) for v in value]
    return value


_ZERO: dict[str, Any] = {
    "string": "",
    "int": 0,
    "uint": 0,
    "double": 0.0,
    "bool": False,
    "bytes": b"",
    "dyn": None,
    "null": None,
}


def normalize(value: Any, cel_type: CelType, *, top_level: bool = False) -> Any:
    """Convert ``value`` to the declared type's runtime shape, filling absent fields."""
    kind = cel_type.kind
    if kind == "object":
        src = value if isinstance(value, Mapping) else {}
        return {name: normalize(src.get(name), ftype) for name, ftype in cel_type.fields}
    if kind == "list":
        assert cel_type.element is not None
        items = value if isinstance(value, list | tuple) else []
        return [normalize(v, cel_type.element) for v in items]
    if kind == "map":
        assert cel_type.element is not None
        src = value if isinstance(value, Mapping) else {}
        return {k: normalize(v, cel_type.element) for k, v in src.items()}
    if kind == "timestamp":
        if top_level and isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return timestamp_value(value)
    if kind == "duration":
        return duration_value(value)
    if value is None:
        return _ZERO.get(kind)
    if kind == "double":
        return float(value)
    if kind in ("int", "uint"):
        return int(value)
    if kind == "string":
        return str(value)
    if kind == "bool":
        return bool(value)
    return to_cel(value)


def normalize_activation(values: Mapping[str, Any], context: CelContext) -> dict[str, Any]:
    """Normalise every variable of a context (absent ones get their zero value)."""
    return {name: normalize(values.get(name), t, top_level=True) for name, t in context.variables}


@dataclass
class EvaluationStats:
    evaluated: int = 0
    matched: int = 0
    errors: int = 0
    first_error: str | None = None


class CompiledCondition:
    """A checked condition, compiled for evaluation over plain values."""

    def __init__(self, text: str, context: CelContext, expr: Any) -> None:
        self.text = text
        self.context = context
        self._expr = expr

    def evaluate(self, activation: Mapping[str, Any]) -> bool:
        """True when the condition holds; False when it does not or fails at run time."""
        try:
            return self._expr.eval(data=activation).value() is True
        except Exception:
            return False

    def evaluate_detailed(self, activation: Mapping[str, Any]) -> tuple[bool, str | None]:
        """(member, runtime error message or None)."""
        try:
            result = self._expr.eval(data=activation)
        except Exception as exc:
            return False, str(exc)
        value = result.value()
        if value is True:
            return True, None
        if value is False:
            return False, None
        return False, str(value)

    def select(
        self, activations: Iterable[Mapping[str, Any]], stats: EvaluationStats | None = None
    ) -> list[int]:
        """Indexes of the activations for which the condition holds.

        The cyclic garbage collector is paused for the pass (when it is on): the library's
        conversions allocate many short-lived objects without cycles, and collections they
        trigger would otherwise cost a large share of a 100k-record pass.
        """
        pause = gc.isenabled()
        if pause:
            gc.disable()
        try:
            return self._select(activations, stats)
        finally:
            if pause:
                gc.enable()

    def outcomes(self, activations: Iterable[Mapping[str, Any]]) -> list[bool | str]:
        """Per activation: ``True`` (holds), ``False`` (does not) or the runtime error message.

        For callers that evaluate each distinct activation once and map the outcomes back to
        many users (the sandbox's audiences); the GC is paused as in :meth:`select`.
        """
        pause = gc.isenabled()
        if pause:
            gc.disable()
        out: list[bool | str] = []
        append = out.append
        expr = self._expr
        try:
            for act in activations:
                try:
                    value = expr.eval(data=act).value()
                except Exception as exc:
                    append(str(exc) or type(exc).__name__)
                    continue
                if value is True or value is False:
                    append(value)
                else:
                    append(str(value) or "error")
        finally:
            if pause:
                gc.enable()
        return out

    def _select(
        self, activations: Iterable[Mapping[str, Any]], stats: EvaluationStats | None
    ) -> list[int]:
        out: list[int] = []
        expr = self._expr
        errors = 0
        first_error: str | None = None
        n = 0
        for n, act in enumerate(activations, start=1):
            try:
                value = expr.eval(data=act).value()
            except Exception as exc:
                errors += 1
                first_error = first_error or str(exc)
                continue
            if value is True:
                out.append(n - 1)
            elif value is not False:
                errors += 1
                first_error = first_error or str(value)
        if stats is not None:
            stats.evaluated += n
            stats.matched += len(out)
            stats.errors += errors
            stats.first_error = stats.first_error or first_error
        return out


def compile_condition(text: str, context: CelContext | None = None) -> CompiledCondition:
    """Check ``text`` and compile it for evaluation; raises :class:`ConditionError` if invalid."""
    ctx = context if context is not None else contract_context()
    result = check(text, ctx)
    if not result.ok:
        raise ConditionError(result)
    text = normalize_newlines(text)
    envs = environments_for(ctx)
    runtime_text = proto_has_semantics(text, ctx)
    try:
        expr = envs.dynamic.compile(runtime_text)
    except Exception:
        try:
            expr = envs.dynamic.compile(runtime_text, disable_check=True)
        except Exception as exc:
            raise ConditionError(
                CheckResult((Diagnostic(1, 1, 2, f"cannot compile: {exc}", "invalid"),))
            ) from exc
    return CompiledCondition(text, ctx, expr)


@dataclass(frozen=True)
class FieldUsage:
    """What a condition reads: top-level variables and field names (anywhere in the tree).

    Evaluating over records that carry only these fields gives the same result and is much
    faster (the library converts every value it is given).
    """

    variables: frozenset[str]
    fields: frozenset[str]


def field_usage(text: str, context: CelContext | None = None) -> FieldUsage | None:
    """The variables and fields ``text`` selects, or None when records must stay whole.

    Records must stay whole when an object is used as a value rather than through its fields:
    indexing with a string (``user["email"]``), a bare ``user``/``edition``, an indexed element
    used directly (``orders[0] == ...``), or a comprehension variable over objects used bare.
    """
    from .tokens import tokenize

    ctx = context if context is not None else contract_context()
    types = dict(ctx.variables)
    scalar_lists: set[str] = set()
    object_like: set[str] = set()

    def walk(name: str, t: CelType) -> None:
        if t.kind == "list" and t.element is not None:
            if t.element.kind in ("object", "map", "list"):
                object_like.add(name)
                walk(name, t.element)
            else:
                scalar_lists.add(name)
        elif t.kind == "object":
            for fname, ftype in t.fields:
                walk(fname, ftype)

    for vname, vtype in ctx.variables:
        walk(vname, vtype)
    tokens = tokenize(text, types)
    words = [text[t.start : t.end] for t in tokens]
    variables: set[str] = set()
    fields: set[str] = set()
    bound_over_objects: set[str] = set()
    n = len(tokens)
    for i, tok in enumerate(tokens):
        word = words[i]
        nxt = words[i + 1] if i + 1 < n else ""
        prev = words[i - 1] if i > 0 else ""
        if word == "[" and i + 1 < n and tokens[i + 1].kind == "string":
            return None
        if word == "]" and nxt != ".":
            return None
        if tok.kind == "macro" and prev == "." and nxt == "(" and i + 3 < n and words[i + 3] == ",":
            receiver = words[i - 2] if i >= 2 else ""
            if receiver not in scalar_lists:
                bound_over_objects.add(words[i + 2])
            continue
        if tok.kind == "variable":
            variables.add(word)
            vtype = types[word]
            if nxt != "." and vtype.kind in ("object", "map"):
                return None
            if nxt not in (".", "[") and vtype.kind == "list" and prev != "(":
                return None
        elif tok.kind == "field":
            fields.add(word)
        elif tok.kind == "identifier" and word in bound_over_objects and nxt not in (".", ","):
            # (the comprehension variable's own declaration is followed by ',')
            return None
    return FieldUsage(frozenset(variables), frozenset(fields))


_HAS_TESTS: dict[str, str] = {
    "string": '({0} != "")',
    "bytes": '({0} != b"")',
    "int": "({0} != 0)",
    "uint": "({0} != 0u)",
    "double": "({0} != 0.0)",
    "bool": "({0} == true)",
    "timestamp": '({0} != timestamp("1970-01-01T00:00:00Z"))',
    "duration": '({0} != duration("0s"))',
    "list": "(size({0}) > 0)",
    "map": "(size({0}) > 0)",
}


def proto_has_semantics(text: str, context: CelContext) -> str:
    """Rewrite ``has(x.field)`` on scalar and list fields the way the type checker means it.

    The checker types records as protobuf messages, where ``has()`` on a scalar field is true
    when the value is not the zero value (``has(user.phone)``: the user has a phone). Records
    are evaluated as dicts that always carry every field (zero values filled in), where
    ``has()`` would always be true. So, for evaluation only, ``has(user.phone)`` becomes
    ``(user.phone != "")``, ``has(u.consents)`` becomes ``(size(u.consents) > 0)``, and so on;
    ``has()`` on an object field (always present) is left alone.
    """
    if "has" not in text:
        return text
    from .complete import _Analysis  # the same receiver resolution as completion
    from .tokens import tokenize

    tokens = tokenize(text, dict(context.variables))
    edits: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "macro" or text[tok.start : tok.end] != "has":
            continue
        if i + 1 >= len(tokens) or text[tokens[i + 1].start] != "(":
            continue
        j = i + 2  # the argument: ident (. ident)+ then ')'
        while j < len(tokens) and text[tokens[j].start : tokens[j].end] != ")":
            j += 1
        if j >= len(tokens) or j - (i + 2) < 3:
            continue
        inner = tokens[i + 2 : j]
        words = [text[t.start : t.end] for t in inner]
        if any(w == "." for w in words[0::2]) or any(w != "." for w in words[1::2]):
            continue
        analysis = _Analysis(text, tokens[j].start, context)
        resolved = analysis.resolve_receiver(j - 1)
        if resolved.type is None:
            continue
        template = _HAS_TESTS.get(resolved.type.kind)
        if template is None:
            continue
        argument = text[inner[0].start : inner[-1].end]
        edits.append((tok.start, tokens[j].end, template.format(argument)))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


def slim(values: Mapping[str, Any], usage: FieldUsage | None) -> dict[str, Any]:
    """``values`` with only what a condition reads (see :func:`field_usage`).

    Top-level variables the condition does not mention are dropped, and inside the others
    every mapping keeps only the field names the condition selects (at any depth). With no
    usage (whole objects needed) the values are returned as they are.
    """
    if usage is None:
        return dict(values)
    keep = usage.fields

    def trim(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: trim(v) for k, v in value.items() if k in keep}
        if isinstance(value, list):
            return [trim(v) for v in value]
        return value

    return {
        name: (trim(value) if isinstance(value, Mapping | list) else value)
        for name, value in values.items()
        if name in usage.variables
    }
