"""The async, typed, resilient Preo API client.

One module per resource of the contract, pydantic models, the error hierarchy, paging and
auth. It may import httpx, pydantic, tenacity and the standard library; never Textual, never
``preo_tui.ui``, ``preo_tui.store`` or ``preo_tui.sandbox``.

>>> from preo_tui.api import PreoClient
>>> async with PreoClient(base_url="http://127.0.0.1:8765", token="...") as preo:
...     page = await preo.refunds.list(status="requested", ordering="-created")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import Page, PreoModel
    from ._transport import ConnectionEvent, ConnectionState, RetryPolicy, Tokens
    from .client import ALL_OPERATIONS, RESOURCES, PreoClient
    from .errors import (
        AuthError,
        Conflict,
        DecodeError,
        NetworkError,
        NotFound,
        PermissionDenied,
        PreoError,
        RateLimited,
        ReadOnlyError,
        ServerError,
        Unsupported,
        ValidationFailed,
    )
    from .registry import Operation

_LAZY: dict[str, str] = {
    "Page": "._base",
    "PreoModel": "._base",
    "ConnectionEvent": "._transport",
    "ConnectionState": "._transport",
    "RetryPolicy": "._transport",
    "Tokens": "._transport",
    "ALL_OPERATIONS": ".client",
    "RESOURCES": ".client",
    "PreoClient": ".client",
    "AuthError": ".errors",
    "Conflict": ".errors",
    "DecodeError": ".errors",
    "NetworkError": ".errors",
    "NotFound": ".errors",
    "PermissionDenied": ".errors",
    "PreoError": ".errors",
    "RateLimited": ".errors",
    "ReadOnlyError": ".errors",
    "ServerError": ".errors",
    "Unsupported": ".errors",
    "ValidationFailed": ".errors",
    "Operation": ".registry",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use (PEP 562): importing one submodule, such as
    ``preo_tui.api.errors``, must not pull in the client and every resource model."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ALL_OPERATIONS",
    "RESOURCES",
    "AuthError",
    "Conflict",
    "ConnectionEvent",
    "ConnectionState",
    "DecodeError",
    "NetworkError",
    "NotFound",
    "Operation",
    "Page",
    "PermissionDenied",
    "PreoClient",
    "PreoError",
    "PreoModel",
    "RateLimited",
    "ReadOnlyError",
    "RetryPolicy",
    "ServerError",
    "Tokens",
    "Unsupported",
    "ValidationFailed",
]
