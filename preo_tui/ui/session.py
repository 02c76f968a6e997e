"""How the app obtains a client and a sandbox: injectable factories.

The app never builds an ``httpx`` transport itself: it calls ``client_factory(spec)`` at sign-in.
The default factory builds a real :class:`~preo_tui.api.PreoClient`; the test fixtures pass one
that wires the client onto the in-process sandbox with an ASGI transport. A sandbox started by
``--sandbox`` is a :class:`SandboxHandle`: the app awaits ``ready()`` in a worker while the first
screen is already drawn, and calls ``stop()`` when it exits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ClientSpec:
    """What the app asks a client factory for (tokens are never shown: repr hides them)."""

    base_url: str
    token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    read_only: bool = False
    on_tokens: Callable[[Any], Awaitable[None] | None] | None = field(default=None, repr=False)
    #: The profile's method/path overrides by operation key (``[profiles.X.operations]``).
    operations: Mapping[str, str] = field(default_factory=dict)


ClientFactory = Callable[[ClientSpec], Any]


def default_client_factory(spec: ClientSpec) -> Any:
    """A real client over HTTP(S)."""
    from preo_tui.api import PreoClient

    return PreoClient(
        base_url=spec.base_url,
        token=spec.token,
        refresh_token=spec.refresh_token,
        read_only=spec.read_only,
        on_tokens=spec.on_tokens,
        operations=spec.operations,
    )


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox: where it listens and how to sign in as its admin."""

    base_url: str
    admin_token: str | None = field(default=None, repr=False)
    admin_email: str | None = None
    admin_password: str | None = field(default=None, repr=False)


class SandboxHandle(Protocol):
    """A sandbox the app started (``--sandbox``) or was given."""

    async def ready(self) -> SandboxInfo:
        """Wait until the sandbox answers; raise ``RuntimeError`` with a message if it can't."""
        ...

    def stop(self) -> None:
        """Stop it (idempotent, quick)."""
        ...

    @property
    def running(self) -> bool: ...

    # Optional: ``cache_identity: str`` names the app's disk cache for this sandbox (stable
    # across launches); without it the cache is named after the server URL.
