"""The value types of the HTTP core (``_transport.py``): connection states and the events the
UI listens to, tokens, the retry policy, the defaults of bounded requests, listener and
token callback types, and a request's body."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ConnectionState(StrEnum):
    ONLINE = "online"
    SLOW = "slow"
    RETRYING = "retrying"
    OFFLINE = "offline"
    AUTH_EXPIRED = "auth_expired"
    TOKENS_REFRESHED = "tokens_refreshed"


@dataclass(frozen=True)
class ConnectionEvent:
    """What the UI's connection indicator listens to. ``detail`` never holds a secret."""

    state: ConnectionState
    detail: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Tokens:
    """An access token and (optionally) a refresh token. Their values never appear in repr."""

    access: str = field(repr=False)
    refresh: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries. ``attempts`` counts the first try."""

    attempts: int = 4
    backoff_initial: float = 0.2
    backoff_max: float = 4.0
    jitter: float = 0.2
    max_retry_after: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter added: attempt 1 -> ~initial, 2 -> ~2x..."""
        base = min(self.backoff_initial * (2.0 ** max(attempt - 1, 0)), self.backoff_max)
        return base + random.uniform(0, self.jitter) if self.jitter > 0 else base


#: Defaults of the bounded requests (issue 14); ``PreoClient(deadline=..., ...)`` changes them.
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_SLOW_AFTER = 3.0

Listener = Callable[[ConnectionEvent], None]
TokensCallback = Callable[[Tokens], Awaitable[None] | None]


@dataclass
class Body:
    """What a request sends: JSON, or multipart files + form fields."""

    json: Any = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    data: Mapping[str, str] | None = None
