"""Typed and dynamic cel-expr-python environments built from a :class:`CelContext`.

*Checking* uses a typed environment: every object type of the context becomes a protobuf
message, built at run time in a private descriptor pool under a package name unique to this
build (so a context can be built any number of times per process, and two different contexts
never clash). The checker then knows every field and its type.

*Evaluation* uses a second environment where the object variables are ``dyn`` and are fed
plain Python dicts and lists (converting 100k records to protobuf messages would cost seconds).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    struct_pb2,
    timestamp_pb2,
)

from .schema import CelContext, CelType

_F = descriptor_pb2.FieldDescriptorProto
_SCALAR_FIELD: dict[str, int] = {
    "string": _F.TYPE_STRING,
    "int": _F.TYPE_INT64,
    "uint": _F.TYPE_UINT64,
    "double": _F.TYPE_DOUBLE,
    "bool": _F.TYPE_BOOL,
    "bytes": _F.TYPE_BYTES,
}
_WELL_KNOWN: dict[str, str] = {
    "timestamp": ".google.protobuf.Timestamp",
    "duration": ".google.protobuf.Duration",
    "dyn": ".google.protobuf.Value",
    "null": ".google.protobuf.Value",
}
_WELL_KNOWN_FILES = (timestamp_pb2, duration_pb2, struct_pb2)
_counter = itertools.count(1)
_lock = threading.Lock()


def _scalar_cel_type(kind: str) -> Any:
    return {
        "string": cel.Type.STRING,
        "int": cel.Type.INT,
        "uint": cel.Type.UINT,
        "double": cel.Type.DOUBLE,
        "bool": cel.Type.BOOL,
        "bytes": cel.Type.BYTES,
        "timestamp": cel.Type.TIMESTAMP,
        "duration": cel.Type.DURATION,
        "dyn": cel.Type.DYN,
        "null": cel.Type.DYN,
    }[kind]


def _camel(name: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts) or "T"
    return out if out[0].isalpha() else "T" + out


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name


@dataclass
class Environments:
    """The two environments of one context, and the names that make messages readable."""

    context: CelContext
    typed: Any  # cel.Env over protobuf messages, for checking
    dynamic: Any  # cel.Env over plain values, for evaluation
    package: str
    #: full protobuf message name -> friendly name ("preo_cel_ctx3.Order" -> "order")
    friendly: dict[str, str]
    #: friendly name -> the object type, for "unknown field" suggestions
    objects: dict[str, CelType]

    def humanize(self, text: str) -> str:
        """Replace internal type names in a library message by the context's own names."""
        text = text.replace("google.protobuf.Timestamp", "timestamp")
        text = text.replace("google.protobuf.Duration", "duration")
        text = text.replace("google.protobuf.Value", "dyn")
        text = text.replace("google.protobuf.ListValue", "list(dyn)")
        text = text.replace("google.protobuf.Struct", "map(string, dyn)")
        if self.package in text:
            text = re.sub(
                re.escape(self.package) + r"\.([A-Za-z0-9_.]+)",
                lambda m: self.friendly.get(f"{self.package}.{m.group(1)}", m.group(1).lower()),
                text,
            )
        return text

    def type_name(self, cel_type: Any) -> str:
        """A readable name for a library type (``LIST<pkg.Order>`` -> ``list(order)``)."""
        try:
            raw = str(cel_type.name())
        except Exception:
            return "unknown"
        raw = self.humanize(raw)

        def lower_words(m: re.Match[str]) -> str:
            word = m.group(0)
            return word.lower() if word.isupper() else word

        out = re.sub(r"[A-Za-z_][A-Za-z0-9_.]*", lower_words, raw)
        return out.replace("<", "(").replace(">", ")")


class _Builder:
    def __init__(self, package: str) -> None:
        self.package = package
        self.file = descriptor_pb2.FileDescriptorProto(
            name=f"{package}/context.proto",
            package=package,
            syntax="proto3",
            dependency=[m.DESCRIPTOR.name for m in _WELL_KNOWN_FILES],
        )
        self.used: set[str] = set()
        self.friendly: dict[str, str] = {}
        self.objects: dict[str, CelType] = {}

    def _unique(self, base: str) -> str:
        name = _camel(base)
        candidate, n = name, 2
        while candidate in self.used:
            candidate, n = f"{name}{n}", n + 1
        self.used.add(candidate)
        return candidate

    def message(self, hint: str, obj: CelType) -> str:
        """Add a message for an object type; return its fully qualified name."""
        msg_name = self._unique(hint)
        full = f"{self.package}.{msg_name}"
        friendly = hint if hint not in self.objects else msg_name.lower()
        self.friendly[full] = friendly
        self.objects[friendly] = obj
        msg = self.file.message_type.add(name=msg_name)
        for number, (fname, ftype) in enumerate(obj.fields, start=1):
            self._field(msg, fname, ftype, number)
        return full

    def _field(self, msg: Any, fname: str, ftype: CelType, number: int) -> None:
        label = _F.LABEL_OPTIONAL
        target = ftype
        if ftype.kind == "list":
            assert ftype.element is not None
            if ftype.element.kind in ("list", "map"):
                msg.field.add(
                    name=fname,
                    number=number,
                    type=_F.TYPE_MESSAGE,
                    label=label,
                    type_name=".google.protobuf.ListValue",
                )
                return
            label, target = _F.LABEL_REPEATED, ftype.element
        if target.kind == "map":
            assert target.key is not None and target.element is not None
            if target.key.kind not in ("string", "int", "uint", "bool") or target.element.kind in (
                "list",
                "map",
            ):
                msg.field.add(
                    name=fname,
                    number=number,
                    type=_F.TYPE_MESSAGE,
                    label=label,
                    type_name=".google.protobuf.Struct",
                )
                return
            entry = msg.nested_type.add(name=_camel(fname) + "Entry")
            entry.options.map_entry = True
            entry.field.add(
                name="key", number=1, type=_SCALAR_FIELD[target.key.kind], label=_F.LABEL_OPTIONAL
            )
            self._field(entry, "value", target.element, 2)
            msg.field.add(
                name=fname,
                number=number,
                type=_F.TYPE_MESSAGE,
                label=_F.LABEL_REPEATED,
                type_name=f".{self.package}.{msg.name}.{entry.name}",
            )
            return
        if target.kind == "object":
            hint = _singular(fname) if label == _F.LABEL_REPEATED else fname
            full = self.message(hint, target)
            msg.field.add(
                name=fname, number=number, type=_F.TYPE_MESSAGE, label=label, type_name="." + full
            )
        elif target.kind in _SCALAR_FIELD:
            msg.field.add(name=fname, number=number, type=_SCALAR_FIELD[target.kind], label=label)
        else:
            msg.field.add(
                name=fname,
                number=number,
                type=_F.TYPE_MESSAGE,
                label=label,
                type_name=_WELL_KNOWN[target.kind],
            )

    def variable_type(self, name: str, t: CelType) -> Any:
        if t.kind == "object":
            return cel.Type(self.message(name, t))
        if t.kind == "list":
            assert t.element is not None
            return cel.Type.List(self.variable_type(_singular(name), t.element))
        if t.kind == "map":
            assert t.key is not None and t.element is not None
            return cel.Type.Map(
                self.variable_type(name + "_key", t.key), self.variable_type(name, t.element)
            )
        return _scalar_cel_type(t.kind)


def _dynamic_type(t: CelType) -> Any:
    """Evaluation env types: objects are ``dyn`` (plain dicts), everything else as declared."""
    if t.kind in ("object", "map"):
        return cel.Type.DYN
    if t.kind == "list":
        return cel.Type.List(cel.Type.DYN)
    return _scalar_cel_type(t.kind)


def build_environments(context: CelContext) -> Environments:
    """Build both environments for a context (a few milliseconds; callers cache the result)."""
    with _lock:
        package = f"preo_cel_ctx{next(_counter)}"
    builder = _Builder(package)
    variables = {name: builder.variable_type(name, t) for name, t in context.variables}
    pool = descriptor_pool.DescriptorPool()
    for module in _WELL_KNOWN_FILES:
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    pool.Add(builder.file)
    typed = cel.NewEnv(pool, variables=variables)
    dynamic = cel.NewEnv(variables={name: _dynamic_type(t) for name, t in context.variables})
    return Environments(
        context=context,
        typed=typed,
        dynamic=dynamic,
        package=package,
        friendly=builder.friendly,
        objects=builder.objects,
    )


_cache: dict[str, Environments] = {}


def environments_for(context: CelContext) -> Environments:
    """The (cached) environments of a context, keyed by its variables' types."""
    key = context.schema_key
    envs = _cache.get(key)
    if envs is None:
        envs = build_environments(context)
        with _lock:
            if len(_cache) > 32:
                _cache.clear()
            envs = _cache.setdefault(key, envs)
    if envs.context is not context and envs.context != context:
        # Same types, different dynamic values or functions: share the environments.
        envs = Environments(
            context=context,
            typed=envs.typed,
            dynamic=envs.dynamic,
            package=envs.package,
            friendly=envs.friendly,
            objects=envs.objects,
        )
    return envs
