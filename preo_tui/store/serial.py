"""Turning cached values into JSON and back, generically over pydantic models.

A value is stored as ``model_dump(mode="json", by_alias=True)`` plus a *type tag* naming its
type: ``"preo_tui.api._base:Page[preo_tui.api.refunds:RefundRequest]"``, ``"list[...]"`` or
``"json"`` for plain JSON data. Rebuilding looks the tag up in a :class:`TypeRegistry`: types
are registered automatically when a value is stored, explicitly with ``register``, or
imported by name when they live in ``preo_tui`` (a cache file never makes us import anything
else). Generic models (``Page[T]``) are re-parametrised from their pydantic generic metadata.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from typing import Any, TypeAlias

from pydantic import BaseModel, TypeAdapter

JsonValue: TypeAlias = Any
JSON_TAG = "json"
TRUSTED_PREFIXES = ("preo_tui.",)


class SerialError(Exception):
    """A value cannot be stored, or a stored value cannot be rebuilt."""


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def type_tag(tp: Any) -> str:
    """The tag of a type: a model class, a parametrised generic model, or ``list[...]``."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        meta = tp.__pydantic_generic_metadata__
        origin = meta.get("origin")
        if origin is not None:
            args = ",".join(type_tag(a) for a in meta.get("args", ()))
            return f"{_name(origin)}[{args}]"
        return _name(tp)
    raise SerialError(f"cannot name type {tp!r} for the cache")


def tag_of(value: Any) -> str:
    """The tag of a value about to be stored."""
    if isinstance(value, BaseModel):
        return type_tag(type(value))
    if isinstance(value, list | tuple):
        models = [v for v in value if isinstance(v, BaseModel)]
        if not value:
            return "list[]"
        if len(models) == len(value):
            first = type_tag(type(models[0]))
            if all(type_tag(type(m)) == first for m in models):
                return f"list[{first}]"
            raise SerialError("a cached list mixes model types")
    _ = json.dumps(value)  # raises TypeError for anything that is not plain JSON
    return JSON_TAG


def dump(value: Any) -> JsonValue:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple) and value and isinstance(value[0], BaseModel):
        return [v.model_dump(mode="json", by_alias=True) for v in value]
    return value


def _split_args(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if text[start:]:
        parts.append(text[start:])
    return parts


class TypeRegistry:
    """Maps type tags to types, and caches a TypeAdapter per tag."""

    def __init__(self, types: Iterable[type[BaseModel]] = ()) -> None:
        self._names: dict[str, type] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        self._typed: dict[Any, TypeAdapter[Any]] = {}
        for tp in types:
            self.register(tp)

    def register(self, tp: Any) -> str:
        """Register a model type (or parametrised generic) so cached values can be rebuilt."""
        tag = type_tag(tp)
        self._names[tag] = tp
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            meta = tp.__pydantic_generic_metadata__
            origin = meta.get("origin")
            if origin is not None:
                self._names.setdefault(_name(origin), origin)
                for arg in meta.get("args", ()):
                    if isinstance(arg, type) and issubclass(arg, BaseModel):
                        self.register(arg)
        return tag

    def note(self, value: Any) -> str:
        """The tag of ``value``, registering its type on the way."""
        tag = tag_of(value)
        if isinstance(value, BaseModel):
            self.register(type(value))
        elif tag.startswith("list[") and tag != "list[]":
            self.register(type(value[0]))
        return tag

    def resolve(self, tag: str) -> Any:
        """The type a tag names."""
        if tag == JSON_TAG:
            return Any
        if tag == "list[]":
            return list[Any]
        if tag in self._names:
            return self._names[tag]
        if tag.startswith("list[") and tag.endswith("]"):
            return list[self.resolve(tag[5:-1])]  # type: ignore[misc]  # a generic alias built at run time from a resolved tag
        if "[" in tag:
            if not tag.endswith("]"):
                raise SerialError(f"malformed type tag {tag!r}")
            base, _, rest = tag.partition("[")
            origin = self.resolve(base)
            args = tuple(self.resolve(a) for a in _split_args(rest[:-1]))
            try:
                tp = origin[args if len(args) > 1 else args[0]]
            except TypeError as exc:
                raise SerialError(f"cannot rebuild {tag!r}: {exc}") from None
            self._names[tag] = tp
            return tp
        module, sep, qualname = tag.partition(":")
        if not sep or not module.startswith(TRUSTED_PREFIXES):
            raise SerialError(f"unknown cached type {tag!r}")
        try:
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            raise SerialError(f"cached type {tag!r} no longer exists") from None
        if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
            raise SerialError(f"cached type {tag!r} is not a model")
        self._names[tag] = obj
        return obj

    def adapter(self, tag: str) -> TypeAdapter[Any]:
        found = self._adapters.get(tag)
        if found is None:
            found = TypeAdapter(self.resolve(tag))
            self._adapters[tag] = found
        return found

    def encode(self, value: Any) -> tuple[str, str]:
        """``(tag, payload)`` for storing ``value``."""
        try:
            tag = self.note(value)
            return tag, json.dumps(dump(value), separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise SerialError(f"value cannot be cached: {exc}") from None

    def decode(self, tag: str, payload: str, tp: Any = None) -> Any:
        """Rebuild a stored value (with ``tp`` when the caller knows the type)."""
        try:
            data = json.loads(payload)
            if tp is not None:
                try:
                    adapter = self._typed.get(tp)
                    if adapter is None:
                        adapter = self._typed[tp] = TypeAdapter(tp)
                except TypeError:  # an unhashable type expression: no caching
                    adapter = TypeAdapter(tp)
                return adapter.validate_python(data)
            return self.adapter(tag).validate_python(data)
        except SerialError:
            raise
        except Exception as exc:  # validation errors, bad JSON: the entry is unusable
            raise SerialError(f"cached {tag!r} cannot be rebuilt: {type(exc).__name__}") from None
