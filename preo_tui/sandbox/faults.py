"""Fault injection for resilience tests: latency, 5xx answers and dropped connections.

Applies to ``/v1`` requests only. ``latency_ms`` delays every request. With probability
``error_rate`` a request fails with one of ``kinds`` (``"500"``, ``"502"``, ``"503"``,
``"drop"``). A fraction ``after_commit_ratio`` of those failures strike *after* the handler ran
and committed: the write happened, the response is lost, as on a real network, so only an
``Idempotency-Key`` keeps a client's retry from acting twice. A ``drop`` starts a response,
sends part of it and breaks the connection (the client sees a protocol error).

Change the knobs at run time with ``GET``/``PUT /_sandbox/faults`` (sandbox-only, not under
``/v1``, not in the contract or the OpenAPI document).
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .state import SandboxState

FaultKind = Literal["500", "502", "503", "drop"]
ALL_KINDS: list[FaultKind] = ["500", "502", "503", "drop"]

_REASONS = {"500": "Internal Server Error", "502": "Bad Gateway", "503": "Service Unavailable"}


class FaultConfig(BaseModel):
    """The fault knobs (also the body of ``PUT /_sandbox/faults``; every field optional)."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    kinds: list[FaultKind] = Field(default_factory=lambda: list(ALL_KINDS), min_length=1)
    after_commit_ratio: float = Field(0.5, ge=0.0, le=1.0)


class FaultUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int | None = Field(None, ge=0, le=60_000)
    error_rate: float | None = Field(None, ge=0.0, le=1.0)
    kinds: list[FaultKind] | None = Field(None, min_length=1)
    after_commit_ratio: float | None = Field(None, ge=0.0, le=1.0)
    reset_stats: bool = False


class FaultInjector:
    """Holds the knobs, the dice and the counters."""

    def __init__(self, config: FaultConfig, seed: int | None = None) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.stats: dict[str, int] = {"requests": 0, "injected": 0, "after_commit": 0}

    def update(self, change: FaultUpdate) -> None:
        data = change.model_dump(exclude_none=True, exclude={"reset_stats"})
        self.config = self.config.model_copy(update=data)
        if change.reset_stats:
            self.stats = dict.fromkeys(self.stats, 0)

    def describe(self) -> dict[str, Any]:
        return {**self.config.model_dump(), "stats": dict(self.stats)}

    def roll(self) -> tuple[FaultKind, bool] | None:
        """Decide the fate of one request: ``None`` or ``(kind, after_commit)``."""
        cfg = self.config
        self.stats["requests"] += 1
        if cfg.error_rate <= 0 or self.rng.random() >= cfg.error_rate:
            return None
        kind = self.rng.choice(cfg.kinds)
        after = self.rng.random() < cfg.after_commit_ratio
        self.stats["injected"] += 1
        if after:
            self.stats["after_commit"] += 1
        return kind, after


class FaultMiddleware:
    """Outermost ASGI middleware applying :class:`FaultInjector` to ``/v1`` requests."""

    def __init__(self, app: Any, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1"):
            await self.app(scope, receive, send)
            return
        injector = self.state.faults
        if injector.config.latency_ms:
            await asyncio.sleep(injector.config.latency_ms / 1000)
        fate = injector.roll()
        if fate is None:
            await self.app(scope, receive, send)
            return
        kind, after = fate
        if after:

            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
        await self._fail(kind, after, send)

    async def _fail(self, kind: FaultKind, after: bool, send: Any) -> None:
        when = b"after-commit" if after else b"before-handler"
        if kind == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"count": 1', "more_body": True})
            raise httpx.RemoteProtocolError(
                f"connection dropped by sandbox fault injection ({when.decode()})"
            )
        status = int(kind)
        body = b'{"detail": "Injected fault: ' + f"{status} {_REASONS[kind]}".encode() + b'"}'
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-sandbox-fault", when),
        ]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
