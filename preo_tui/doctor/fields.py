"""What a decoded answer says about the client's models: fields the server sent that the model
does not know, fields the model expects that never came, enum values outside the known sets.

"Expected" means declared on the model: every field of a response model is a field the
contract names, so a key the server never sends (not even as ``null``) is an assumption that
did not hold. Values are never reported, only field names (enum values are the exception: a
status name is not a secret and is what the operator needs to see).
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from preo_tui.api._base import Page

#: Shown at most this many values per enum field (a broken server could send thousands).
MAX_VALUES = 5


@dataclass
class FieldFindings:
    """Field-level findings for one operation (names are ``model.field`` or ``field``)."""

    unknown: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    enum_values: dict[str, set[str]] = field(default_factory=dict)
    #: How many objects were looked at (0: nothing to judge the fields by).
    objects: int = 0

    def merge(self, other: FieldFindings) -> None:
        self.unknown |= other.unknown
        self.missing |= other.missing
        for name, values in other.enum_values.items():
            self.enum_values.setdefault(name, set()).update(values)
        self.objects += other.objects


def _enums_in(annotation: Any) -> list[type[Enum]]:
    """The Enum classes anywhere in an annotation (``Tolerant[X] | None`` -> ``[X]``)."""
    found: list[type[Enum]] = []
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [annotation]
    origin = get_origin(annotation)
    if origin is None:
        return found
    for arg in get_args(annotation):
        if origin is not Union and origin is not types.UnionType and not _annotated(origin):
            continue  # list[X] etc. are walked through the value, not here
        found.extend(_enums_in(arg))
    return found


def _annotated(origin: Any) -> bool:
    return getattr(origin, "__name__", "") == "Annotated" or str(origin).endswith("Annotated")


def _enum_of(model: type[BaseModel], name: str) -> list[type[Enum]]:
    info = model.model_fields.get(name)
    if info is None:
        return []
    enums = _enums_in(info.annotation)
    for meta in info.metadata:
        enums.extend(_enums_in(meta) if isinstance(meta, type) else [])
    return enums


def inspect_object(
    obj: BaseModel, raw: Any, prefix: str = "", *, listed: bool = False
) -> FieldFindings:
    """Compare one decoded model with the raw JSON object it came from, recursively (missing
    fields only at the top level: nested objects are often abbreviated on purpose)."""
    found = FieldFindings(objects=1)
    if isinstance(obj, Page):
        found.objects = 0
        raw_items = raw.get("results", []) if isinstance(raw, dict) else raw
        for item, raw_item in zip(obj.results, raw_items or [], strict=False):
            if isinstance(item, BaseModel):
                found.merge(inspect_object(item, raw_item, prefix, listed=True))
        extra = set(obj.extra_fields) if isinstance(raw, dict) else set()
        found.unknown |= {f"{prefix}{name}" for name in extra}
        return found
    model = type(obj)
    if not isinstance(raw, dict):
        return found
    label = prefix or ""
    absent_by_design: frozenset[str] = getattr(
        model, "ONLY_ON_DETAIL" if listed else "ONLY_ON_LIST", frozenset()
    ) | getattr(model, "NOT_PROMISED", frozenset())
    for name, info in model.model_fields.items():
        key = info.alias or name
        if not prefix and key not in raw and key not in absent_by_design:
            found.missing.add(key)
    for name in obj.__pydantic_extra__ or {}:
        found.unknown.add(f"{label}{name}")
    for name in model.model_fields:
        value = getattr(obj, name, None)
        key = model.model_fields[name].alias or name
        enums = _enum_of(model, name)
        if enums and isinstance(value, str) and not isinstance(value, Enum):
            known = {str(m.value) for e in enums for m in e}
            if value not in known:
                found.enum_values.setdefault(f"{label}{key}", set()).add(value[:40])
        for child, raw_child in _children(value, raw.get(key)):
            sub = inspect_object(child, raw_child, f"{label}{key}.")
            sub.objects = 0
            found.merge(sub)
    return found


def _children(value: Any, raw: Any) -> Iterable[tuple[BaseModel, Any]]:
    if isinstance(value, BaseModel):
        yield value, raw
    elif isinstance(value, list) and isinstance(raw, list):
        for item, raw_item in zip(value, raw, strict=False):
            if isinstance(item, BaseModel):
                yield item, raw_item


def inspect_answer(decoded: Any, raw: Any) -> FieldFindings:
    """Findings for a whole answer: one model, a page, a list or a mapping of models."""
    found = FieldFindings()
    if isinstance(decoded, BaseModel):
        found.merge(inspect_object(decoded, raw))
    elif isinstance(decoded, list) and isinstance(raw, list):
        for item, raw_item in zip(decoded, raw, strict=False):
            if isinstance(item, BaseModel):
                found.merge(inspect_object(item, raw_item))
    elif isinstance(decoded, dict) and isinstance(raw, dict):
        for key, value in decoded.items():
            found.merge(inspect_answer(value, raw.get(key)))
    return found


def enum_text(values: dict[str, set[str]]) -> list[str]:
    out = []
    for name, seen in sorted(values.items()):
        shown = sorted(seen)[:MAX_VALUES]
        more = len(seen) - len(shown)
        out.append(f"{name}: {', '.join(shown)}" + (f" (+{more})" if more > 0 else ""))
    return out
