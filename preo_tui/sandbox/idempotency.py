"""``Idempotency-Key`` on every POST (and PATCH/PUT/DELETE): the first response is replayed 24 h.

Scope: caller (the token's subject, or ``anonymous``) + path + key. The first complete
response with a status below 500 (except 401 and 429, which a client retries after refreshing
or waiting) is stored in SQLite and answered again, byte for byte with the header
``Idempotent-Replayed: true``, to any repeat; the handler does not run again. A repeat that
arrives while the first is still being processed gets 409. The middleware sits *inside* fault
injection, so a response lost after commit is still stored and replayed on retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from . import clock

if TYPE_CHECKING:
    from .state import SandboxState

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
#: The contract requires POST; PATCH, PUT and DELETE are honoured the same way.
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _json(send: Any, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class IdempotencyMiddleware:
    def __init__(self, app: Any, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.in_flight: set[tuple[str, str, str]] = set()

    def _principal(self, scope: Any) -> str:
        auth = _header(scope, b"authorization") or ""
        if auth.lower().startswith("bearer "):
            subject = self.state.tokens.subject_unverified_expiry(auth[7:].strip())
            if subject:
                return subject
        return "anonymous"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in WRITE_METHODS
            or not str(scope.get("path", "")).startswith("/v1")
        ):
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _json(
                send,
                400,
                {
                    "Idempotency-Key": [
                        f"Must be a non-empty string of at most {MAX_KEY_LENGTH} characters."
                    ]
                },
            )
            return
        ident = (self._principal(scope), f"{scope['method']} {scope['path']}", key)
        db = self.state.db
        cutoff = clock.iso(clock.now() - TTL)
        row = db.one(
            "SELECT status, headers, body FROM idempotency"
            " WHERE principal = ? AND path = ? AND key = ? AND created > ?",
            (*ident, cutoff),
        )
        if row is not None:
            headers = [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(row["headers"])
            ]
            headers.append((b"idempotent-replayed", b"true"))
            await send(
                {"type": "http.response.start", "status": int(row["status"]), "headers": headers}
            )
            await send({"type": "http.response.body", "body": bytes(row["body"])})
            return
        if ident in self.in_flight:
            await _json(
                send,
                409,
                {
                    "detail": "A request with this Idempotency-Key is still "
                    "being processed; retry later."
                },
            )
            return
        self.in_flight.add(ident)
        try:
            await self._run_and_store(scope, receive, send, ident)
        finally:
            self.in_flight.discard(ident)

    async def _run_and_store(
        self, scope: Any, receive: Any, send: Any, ident: tuple[str, str, str]
    ) -> None:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent_body = False

        async def replay_receive() -> Any:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0
        headers: list[tuple[bytes, bytes]] = []
        out: list[bytes] = []
        complete = False

        async def capture(message: Any) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete = True

        await self.app(scope, replay_receive, capture)
        if complete and status < 500 and status not in (401, 429):
            db = self.state.db
            now = clock.now_iso()
            cutoff = clock.iso(clock.now() - TTL)
            with db.transaction():
                db.execute("DELETE FROM idempotency WHERE created <= ?", (cutoff,))
                db.execute(
                    "INSERT OR REPLACE INTO idempotency (principal, path, key, request_hash,"
                    " status, headers, body, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *ident,
                        hashlib.sha256(body).hexdigest(),
                        status,
                        json.dumps(
                            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
                        ),
                        b"".join(out),
                        now,
                    ),
                )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(out)})
