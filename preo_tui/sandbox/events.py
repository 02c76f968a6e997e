"""Webhook events: ``emit_event`` records deliveries and really POSTs them, with retries.

``state.emit_event(event, payload, organization_id, edition_id)`` (or the module function
:func:`emit_event`) finds the active endpoints of the organization subscribed to ``event`` (an
endpoint with an ``edition_id`` only hears events of that edition), inserts one ``pending``
delivery each, and schedules the HTTP POST. Call it inside the handler's transaction so the
deliveries commit with the change; never ``await`` inside a transaction.

Body: ``{"id": "<delivery id>", "event", "created", "organization_id", "edition_id", "data":
payload}``. Headers: ``Content-Type: application/json``, ``Preo-Event``, ``Preo-Delivery`` and
``Preo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
A 2xx answer is ``succeeded``; otherwise the delivery stays ``pending`` with ``next_retry_at``
and is retried after 10 s, 1 min, 5 min, 30 min (scaled by ``--speed``), then ``failed``.

URLs on host ``webhooks.sandbox.invalid`` are delivered in-process to the sandbox's own sink
(see ``GET /_sandbox/webhook-sink``), so seeded endpoints succeed without any network.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from . import clock
from .db import dumps, new_id

if TYPE_CHECKING:
    from .state import SandboxState

log = logging.getLogger("preo_tui.sandbox")

SINK_HOST = "webhooks.sandbox.invalid"
RETRY_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0, 1800.0)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: Task name of a scheduled webhook retry (``state.idle()`` does not wait for these).
RETRY_TASK = "webhook-retry"

EVENTS: tuple[str, ...] = (
    "order.created",
    "order.updated",
    "order.cancelled",
    "refund_request.created",
    "refund_request.approved",
    "refund_request.rejected",
    "refund_request.processed",
    "refund_request.failed",
    "campaign.sent",
    "campaign.failed",
    "segment.calculated",
    "data_import.completed",
    "data_import.failed",
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Preo-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Check a ``Preo-Signature`` header (what a receiver does)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        expected = sign(secret, int(parts["t"]), body)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(expected, header)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The default, verifying TLS context, built once per process and shared by every sandbox's
    delivery client (each sandbox of a test run built its own: the CA bundle read every time)."""
    return httpx.create_ssl_context()


class WebhookSink:
    """An in-process receiver for ``http://webhooks.sandbox.invalid/...`` (ASGI app)."""

    def __init__(self, limit: int = 500) -> None:
        self.received: deque[dict[str, Any]] = deque(maxlen=limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append(
            {
                "path": scope["path"],
                "event": headers.get("preo-event"),
                "delivery": headers.get("preo-delivery"),
                "signature": headers.get("preo-signature"),
                "body": body.decode(errors="replace"),
                "received": clock.now_iso(),
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"received":true}'})


class WebhookDispatcher:
    """Creates delivery records and performs the POSTs in background tasks."""

    def __init__(self, state: SandboxState, transport: httpx.AsyncBaseTransport | None) -> None:
        self.state = state
        self.transport = transport
        self.sink = WebhookSink()
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # one TLS context per process: loading the CA file costs ~40 ms
            mounts: dict[str, httpx.AsyncBaseTransport | None] = {
                f"all://{SINK_HOST}": httpx.ASGITransport(app=self.sink)
            }
            self._client = httpx.AsyncClient(
                transport=self.transport,
                mounts=mounts,
                follow_redirects=False,
                verify=_tls_context(),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- emission ----------------------------------------------------------------------------
    def emit(
        self, event: str, payload: dict[str, Any], organization_id: str, edition_id: str | None
    ) -> list[str]:
        """Record one delivery per subscribed endpoint and schedule the first attempts."""
        if event not in EVENTS:
            raise ValueError(f"unknown webhook event {event!r}")
        db = self.state.db
        rows = db.query(
            "SELECT id, events FROM webhook_endpoints WHERE organization_id = ? AND is_active = 1"
            " AND (edition_id IS NULL OR edition_id = ?)",
            (organization_id, edition_id),
        )
        ids: list[str] = []
        now = clock.now_iso()
        for row in rows:
            if event not in json.loads(row["events"]):
                continue
            delivery_id = new_id("whd")
            body = dumps(
                {
                    "id": delivery_id,
                    "event": event,
                    "created": now,
                    "organization_id": organization_id,
                    "edition_id": edition_id,
                    "data": payload,
                }
            )
            with db.transaction():
                db.execute(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event, payload, status,"
                    " attempt_count, created, modified) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                    (delivery_id, row["id"], event, body, now, now),
                )
            ids.append(delivery_id)
        for delivery_id in ids:
            self.schedule(lambda d=delivery_id: self.attempt(d), 0.0)  # type: ignore[misc]  # a default argument binds the loop variable; mypy cannot type such lambdas
        return ids

    def schedule(
        self, fn: Callable[[], Awaitable[Any]], delay: float, name: str = "webhook"
    ) -> None:
        """Run ``fn`` after a nominal delay, from the loop or from a worker thread."""
        scheduler = self.state.scheduler
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
            if loop is None:
                log.warning("no event loop: webhook delivery not scheduled")
                return
            loop.call_soon_threadsafe(lambda: scheduler.call_later(delay, fn, name))
            return
        scheduler.call_later(delay, fn, name)

    # -- delivery ------------------------------------------------------------------------------
    async def attempt(self, delivery_id: str, *, manual: bool = False) -> None:
        """POST one delivery now and record the outcome (a retry is scheduled on failure)."""
        db = self.state.db
        row = db.one(
            "SELECT d.payload, d.status, d.attempt_count, d.event, e.url, e.secret,"
            " e.timeout_seconds FROM webhook_deliveries d"
            " JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?",
            (delivery_id,),
        )
        if row is None or (row["status"] != "pending" and not manual):
            return
        body = str(row["payload"]).encode()
        stamp = int(clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "preo-sandbox-webhooks/1",
            "Preo-Event": str(row["event"]),
            "Preo-Delivery": delivery_id,
            "Preo-Signature": sign(str(row["secret"]), stamp, body),
        }
        started = time.perf_counter()
        status: int | None = None
        text = ""
        try:
            response = await self._http().post(
                str(row["url"]),
                content=body,
                headers=headers,
                timeout=float(row["timeout_seconds"] or 10),
            )
            status = response.status_code
            text = response.text[:2048]
        except httpx.HTTPError as exc:
            text = f"{type(exc).__name__}: {exc}"[:2048]
        except Exception as exc:  # a broken receiver must never kill the dispatcher
            text = f"{type(exc).__name__}: {exc}"[:2048]
        duration = int((time.perf_counter() - started) * 1000)
        attempts = int(row["attempt_count"]) + 1
        ok = status is not None and 200 <= status < 300
        retry_delay: float | None = None
        if ok:
            new_status, next_retry = "succeeded", None
        elif attempts < MAX_ATTEMPTS:
            retry_delay = RETRY_DELAYS[attempts - 1]
            new_status, next_retry = "pending", clock.shift(retry_delay)
        else:
            new_status, next_retry = "failed", None
        with db.transaction():
            db.execute(
                "UPDATE webhook_deliveries SET status = ?, attempt_count = ?, response_status = ?,"
                " response_body = ?, duration_ms = ?, next_retry_at = ?, modified = ? WHERE id = ?",
                (
                    new_status,
                    attempts,
                    status,
                    text,
                    duration,
                    next_retry,
                    clock.now_iso(),
                    delivery_id,
                ),
            )
        if retry_delay is not None:
            self.schedule(lambda: self.attempt(delivery_id), retry_delay, RETRY_TASK)

    async def resume(self) -> None:
        """At start-up: reschedule deliveries still ``pending``."""
        rows = self.state.db.query(
            "SELECT id, next_retry_at FROM webhook_deliveries WHERE status = 'pending'"
        )
        now = clock.now()
        for row in rows:
            delay = 0.0
            if row["next_retry_at"]:
                delay = max(0.0, (clock.parse_iso(row["next_retry_at"]) - now).total_seconds())
            delivery_id = str(row["id"])
            self.schedule(
                lambda d=delivery_id: self.attempt(d),  # type: ignore[misc]  # a default argument binds the loop variable; mypy cannot type such lambdas
                delay,
                RETRY_TASK if delay > 0 else "webhook",
            )


def emit_event(
    state: SandboxState,
    event: str,
    payload: dict[str, Any],
    organization_id: str,
    edition_id: str | None,
) -> list[str]:
    """Module-level form of ``state.emit_event``; returns the new delivery ids."""
    return state.webhooks.emit(event, payload, organization_id, edition_id)
