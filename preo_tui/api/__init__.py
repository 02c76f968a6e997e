"""The async, typed, resilient Preo API client.

One module per resource of the contract, pydantic models, the error hierarchy, paging and
auth. It may import httpx, pydantic, tenacity and the standard library; never Textual, never
``preo_tui.ui``, ``preo_tui.store`` or ``preo_tui.sandbox``.

>>> from preo_tui.api import PreoClient
>>> async with PreoClient(base_url="http://127.0.0.1:8765", token="...") as preo:
...     page = await preo.refunds.list(status="requested", ordering="-created")
"""

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
