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
from dataclasses import dataclass, field, replace
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


#: ``"POST /v1/refunds/{id}/approve"``: an override of an operation's method and path.
_OVERRIDE_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def parse_override(text: str) -> tuple[HttpMethod, str]:
    """``"POST /v1/refunds/{id}/approve"`` as ``("POST", "/v1/refunds/{id}/approve")``;
    :class:`ValueError` (with a message for the operator) when it is not that shape."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not 'METHOD /path' (e.g. 'POST /v1/refunds/{{id}}/approve')")
    method, path = parts[0].upper(), parts[1]
    if method not in _OVERRIDE_METHODS:
        raise ValueError(f"{parts[0]!r} is not one of {', '.join(_OVERRIDE_METHODS)}")
    if not path.startswith("/") or "?" in path or "#" in path or "//" in path:
        raise ValueError(f"{path!r} is not a path starting with / (no query, no host)")
    return method, path  # type: ignore[return-value]  # checked against the allowed methods above


def overridden(op: Operation, text: str) -> Operation:
    """``op`` with the method and path of ``text`` (see :func:`parse_override`).

    The path must name the same parameters as the original (the client fills them in). An
    override never makes a write look like a read: the operation stays a write if it was one,
    and a read moved to another method than GET becomes a write (fail closed)."""
    method, path = parse_override(text)
    names = sorted(part[1:-1] for part in path.split("/") if part.startswith("{"))
    if names != sorted(op.params):
        want = ", ".join("{" + p + "}" for p in op.params) or "no parameters"
        raise ValueError(f"{op.key}: the path must name {want}, as {op.path} does")
    writes = op.is_write or (method != "GET" and op.method == "GET")
    return replace(op, method=method, path=path, writes=writes, mark="ours")


def apply_overrides(
    table: Mapping[str, Operation], overrides: Mapping[str, str]
) -> tuple[dict[str, Operation], list[str]]:
    """The overridden operations by key, and one message per override that could not be
    applied (unknown operation, bad shape). Nothing is guessed: a bad entry is skipped."""
    applied: dict[str, Operation] = {}
    problems: list[str] = []
    for key, text in overrides.items():
        op = table.get(key)
        if op is None:
            problems.append(f"{key}: no such operation (preo-tui doctor lists them all)")
            continue
        try:
            applied[key] = overridden(op, text)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    return applied, problems
