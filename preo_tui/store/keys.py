"""Cache keys: a resource name plus normalised query parameters and the org/edition scope.

Two queries that mean the same thing get the same key: ``None`` and empty values are dropped,
parameters are sorted, booleans become ``true``/``false``, sets are sorted, enums give their
value, dates their ISO form, and ``1.0`` equals ``1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

Params = tuple[tuple[str, str], ...]


def normalize_value(value: Any) -> str | None:
    """The canonical string of one query value, ``None`` when it means "not given"."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return normalize_value(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        normal = value.normalize()
        return format(normal, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, set | frozenset):
        items = sorted(v for v in (normalize_value(x) for x in value) if v is not None)
        return ",".join(items) if items else None
    if isinstance(value, list | tuple):
        items = [v for v in (normalize_value(x) for x in value) if v is not None]
        return ",".join(items) if items else None
    return str(value)


def normalize_params(params: Mapping[str, Any] | None) -> Params:
    if not params:
        return ()
    out: list[tuple[str, str]] = []
    for name, value in params.items():
        text = normalize_value(value)
        if text is not None:
            out.append((str(name), text))
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Key:
    """The identity of one cached query."""

    resource: str
    params: Params = ()
    organization: str | None = None
    edition: str | None = None

    @classmethod
    def of(
        cls,
        resource: str,
        params: Mapping[str, Any] | None = None,
        *,
        organization: str | None = None,
        edition: str | None = None,
    ) -> Key:
        if not resource:
            raise ValueError("a cache key needs a resource name")
        return cls(resource, normalize_params(params), organization or None, edition or None)

    @property
    def param_dict(self) -> dict[str, str]:
        return dict(self.params)

    def get(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def id(self) -> str:
        """A stable text form (the on-disk primary key)."""
        return json.dumps(
            [self.resource, self.organization, self.edition, [list(p) for p in self.params]],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_id(cls, text: str) -> Key:
        resource, organization, edition, params = json.loads(text)
        return cls(
            str(resource),
            tuple((str(k), str(v)) for k, v in params),
            organization,
            edition,
        )

    def __str__(self) -> str:
        scope = "/".join(s for s in (self.organization, self.edition) if s)
        query = "&".join(f"{k}={v}" for k, v in self.params)
        text = self.resource
        if scope:
            text += f"@{scope}"
        if query:
            text += f"?{query}"
        return text
