"""``PreoClient``: the entry point. One resource object per tag of the contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ._resource import Resource, query
from ._transport import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_SLOW_AFTER,
    Body,
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
from .registry import Operation, apply_overrides
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
        operations: Mapping[str, str] | None = None,
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
        #: ``{"refunds.approve": "POST /v1/refunds/{id}/approve"}`` from the profile
        #: (``[profiles.X.operations]``): applied to every call; entries that cannot be
        #: applied are skipped and listed in ``override_problems`` (doctor shows them).
        self._overrides, self.override_problems = apply_overrides(
            {op.key: op for op in ALL_OPERATIONS}, operations or {}
        )
        self.auth = Auth(self._core, self._overrides)
        self.editions = Editions(self._core, self._overrides)
        self.orders = Orders(self._core, self._overrides)
        self.purchases = Purchases(self._core, self._overrides)
        self.users = Users(self._core, self._overrides)
        self.refunds = Refunds(self._core, self._overrides)
        self.campaigns = Campaigns(self._core, self._overrides)
        self.segments = Segments(self._core, self._overrides)
        self.email_messages = EmailMessages(self._core, self._overrides)
        self.consents = Consents(self._core, self._overrides)
        self.files = Files(self._core, self._overrides)
        self.data_imports = DataImports(self._core, self._overrides)
        self.webhooks = Webhooks(self._core, self._overrides)

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

    @property
    def overrides(self) -> dict[str, Operation]:
        """The profile's overrides that are in effect, by operation key."""
        return dict(self._overrides)

    def operation(self, key: str) -> Operation:
        """``"refunds.approve"`` as this client sends it (overrides applied)."""
        resource, _, name = key.partition(".")
        target = getattr(self, resource, None)
        if not isinstance(target, Resource) or name not in target.operations:
            raise KeyError(key)
        return target.operation(name)

    # -- diagnostics (doctor) ------------------------------------------------------------------

    async def send(
        self,
        op: Operation,
        *,
        ids: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send ``op`` as it is (auth, retries, errors as usual) and return the raw answer,
        undecoded: for tools that check the server itself (``preo_tui.doctor``)."""
        path = op.url_path(ids)
        response = await self._core.request(
            op,
            path,
            params=query(params) if params else None,
            body=Body(json=json_body) if json_body is not None else None,
        )
        if response is None:  # a DELETE retry that found the object gone
            return httpx.Response(204)
        return response

    async def send_head(
        self, op: Operation, *, ids: Mapping[str, str] | None = None
    ) -> tuple[int, str]:
        """Send a GET ``op`` and read only its status and content type (a CSV export can be
        large: its body is not read)."""
        async with self._core.stream(op, op.url_path(ids)) as response:
            return response.status_code, response.headers.get("content-type", "")

    def __repr__(self) -> str:
        mode = ", read_only" if self.read_only else ""
        return f"PreoClient({self.base_url!r}{mode})"


__all__ = ["ALL_OPERATIONS", "RESOURCES", "ConnectionEvent", "ConnectionState", "PreoClient"]
