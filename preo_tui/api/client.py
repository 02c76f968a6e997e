"""``PreoClient``: the entry point. One resource object per tag of the contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Self

import httpx

from ._transport import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_SLOW_AFTER,
    ConnectionEvent,
    ConnectionState,
    HttpCore,
    Listener,
    RetryPolicy,
    Tokens,
    TokensCallback,
)
from .auth import Auth
from .campaigns import Campaigns
from .consents import Consents
from .data_imports import DataImports
from .editions import Editions
from .email_messages import EmailMessages
from .files import Files
from .orders import Orders
from .purchases import Purchases
from .refunds import Refunds
from .registry import Operation
from .segments import Segments
from .users import Users
from .webhooks import Webhooks

#: The resource classes, by attribute name on the client.
RESOURCES = {
    "auth": Auth,
    "editions": Editions,
    "orders": Orders,
    "purchases": Purchases,
    "users": Users,
    "refunds": Refunds,
    "campaigns": Campaigns,
    "segments": Segments,
    "email_messages": EmailMessages,
    "consents": Consents,
    "files": Files,
    "data_imports": DataImports,
    "webhooks": Webhooks,
}

#: Every operation the client can perform, in contract order.
ALL_OPERATIONS: tuple[Operation, ...] = tuple(
    op for cls in RESOURCES.values() for op in cls.operations.values()
)


class PreoClient:
    """The async Preo API client.

    >>> async with PreoClient(base_url="http://127.0.0.1:8765", token="...") as preo:
    ...     page = await preo.refunds.list(status="requested", ordering="-created")

    ``transport`` (e.g. ``httpx.ASGITransport(app)``) replaces the network; ``on_tokens`` is
    called with the new :class:`Tokens` whenever the client's tokens change (login, refresh),
    so the app can persist them; ``read_only`` refuses every write before anything is sent.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        refresh_token: str | None = None,
        *,
        read_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 8,
        timeout: float | httpx.Timeout = 10.0,
        retry: RetryPolicy | None = None,
        on_tokens: TokensCallback | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        slow_after: float = DEFAULT_SLOW_AFTER,
    ) -> None:
        self._core = HttpCore(
            base_url=base_url,
            token=token,
            refresh_token=refresh_token,
            read_only=read_only,
            transport=transport,
            max_concurrency=max_concurrency,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            on_tokens=on_tokens,
            headers=headers,
            sleep=sleep,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            slow_after=slow_after,
        )
        self.auth = Auth(self._core)
        self.editions = Editions(self._core)
        self.orders = Orders(self._core)
        self.purchases = Purchases(self._core)
        self.users = Users(self._core)
        self.refunds = Refunds(self._core)
        self.campaigns = Campaigns(self._core)
        self.segments = Segments(self._core)
        self.email_messages = EmailMessages(self._core)
        self.consents = Consents(self._core)
        self.files = Files(self._core)
        self.data_imports = DataImports(self._core)
        self.webhooks = Webhooks(self._core)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._core.aclose()

    # -- state -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def read_only(self) -> bool:
        return self._core.read_only

    @property
    def tokens(self) -> Tokens | None:
        """The current tokens (the values never appear in repr)."""
        return self._core.tokens

    async def set_tokens(self, access: str | None, refresh: str | None = None) -> None:
        """Use other tokens from now on (``None`` signs out). ``on_tokens`` is not called."""
        await self._core.set_tokens(access, refresh, notify=False)

    @property
    def state(self) -> ConnectionState | None:
        """The last connection state (``None`` before the first request)."""
        return self._core.state

    @property
    def writes_in_flight(self) -> int:
        """Writes (logical actions) under way, retries included."""
        return self._core.writes_in_flight

    @property
    def requests_sent(self) -> int:
        """HTTP attempts sent so far (retries count)."""
        return self._core.requests_sent

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(ConnectionEvent)`` on every connection event; returns a remover.
        Listeners are plain sync callables and must not block."""
        return self._core.add_listener(listener)

    @staticmethod
    def operations() -> tuple[Operation, ...]:
        return ALL_OPERATIONS

    def __repr__(self) -> str:
        mode = ", read_only" if self.read_only else ""
        return f"PreoClient({self.base_url!r}{mode})"


__all__ = ["ALL_OPERATIONS", "RESOURCES", "ConnectionEvent", "ConnectionState", "PreoClient"]
