"""The table of API operations.

Each resource module declares its operations (HTTP method + path, the one place its paths
live) with :func:`operations`; :data:`ALL_OPERATIONS` in ``preo_tui.api.client`` collects them,
so tests and tools can enumerate every operation the client can perform.

``writes`` says whether the operation changes server state. A read-only client refuses every
operation whose method is not GET, except the short list of side-effect-free POSTs marked
``writes=False`` below (signing in must work in a read-only profile; checking a CEL condition
or previewing an email changes nothing). The list is deliberately small and explicit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from .errors import ValidationFailed

HttpMethod = Literal["GET", "POST", "PATCH", "PUT", "DELETE"]


@dataclass(frozen=True)
class Operation:
    """One API operation: ``refunds.approve`` is ``POST /v1/refund-requests/{id}/approve``."""

    resource: str
    name: str
    method: HttpMethod
    path: str
    summary: str
    #: Changes server state (blocked in read-only mode). Defaults to ``method != "GET"``.
    writes: bool | None = None
    #: Sends the bearer token (the token endpoints do not).
    authenticated: bool = True
    #: ``"doc"`` when the path is Preo's published one, ``"ours"`` when it is our assumption.
    mark: Literal["doc", "ours"] = "ours"
    #: Path parameters, in order, derived from ``path``.
    params: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.writes is None:
            object.__setattr__(self, "writes", self.method != "GET")
        names = tuple(
            part[1:-1]
            for part in self.path.split("/")
            if part.startswith("{") and part.endswith("}")
        )
        object.__setattr__(self, "params", names)

    @property
    def key(self) -> str:
        return f"{self.resource}.{self.name}"

    @property
    def is_write(self) -> bool:
        return bool(self.writes)

    @property
    def addresses_object(self) -> bool:
        """The path names an object (``/v1/orders/{id}``), not only a collection."""
        return bool(self.params)

    def url_path(self, values: Mapping[str, str] | None = None) -> str:
        """The path with each parameter filled in and percent-encoded as one segment."""
        values = values or {}
        path = self.path
        for name in self.params:
            value = values.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationFailed(
                    f"{name} must be a non-empty id",
                    fields={name: ["This field must be a non-empty id."]},
                    method=self.method,
                    path=self.path,
                )
            path = path.replace("{" + name + "}", quote(value.strip(), safe=""))
        return path


def operations(*ops: Operation) -> dict[str, Operation]:
    """A resource's table, keyed by method name (names must be unique per resource)."""
    table: dict[str, Operation] = {}
    for op in ops:
        if op.name in table:
            raise ValueError(f"duplicate operation {op.key}")
        table[op.name] = op
    return table
