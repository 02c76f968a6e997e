"""``Idempotency-Key`` on every POST (and PATCH/PUT/DELETE): the first response is replayed 24 h.

Like Stripe's keys:

- **Scope**: a key belongs to the authenticated principal (the subject of a correctly signed
  token). Requests without one (the login endpoints, a missing or forged token) and the token
  endpoints ``/v1/auth/*`` are never cached: a key can never hand one caller's answer — let
  alone their tokens — to another.
- **Binding**: the key is bound to a SHA-256 of the method, path and body of its first request.
  The same key with other parameters (another body, path or method) answers **422** with a
  message naming the key; nothing runs.
- **Replay**: the first complete response with a status below 500 (except 401 and 429, which a
  client retries after refreshing or waiting) is stored in SQLite and answered again, byte for
  byte with ``Idempotent-Replayed: true``, to any repeat; the handler does not run again.
  A repeat that arrives while the first is still being processed gets 409.

The middleware sits *inside* fault injection, so a response lost after commit is still stored
and replayed on retry.
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


#: Paths whose answers are never cached (login, refresh, PIN: tokens are per caller).
NEVER_CACHED = ("/v1/auth/",)


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    """SHA-256 over method, path, query string and body: the parameters a key is bound to."""
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


async def _read_body(receive: Any) -> bytes | None:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


class IdempotencyMiddleware:
    def __init__(self, app: Any, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.in_flight: set[tuple[str, str, str]] = set()

    def _principal(self, scope: Any) -> str | None:
        """The subject of a correctly signed token (expired or not), else ``None``."""
        auth = _header(scope, b"authorization") or ""
        if auth.lower().startswith("bearer "):
            subject = self.state.tokens.subject_unverified_expiry(auth[7:].strip())
            if subject:
                return subject
        return None

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
        principal = self._principal(scope)
        if principal is None or str(scope["path"]).startswith(NEVER_CACHED):
            # Anonymous callers and the token endpoints: never cached (tokens are per caller).
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        route = f"{scope['method']} {scope['path']}"
        digest = request_hash(
            scope["method"], str(scope["path"]), scope.get("query_string", b""), body
        )
        ident = (principal, route, key)
        db = self.state.db
        cutoff = clock.iso(clock.now() - TTL)
        row = db.one(
            "SELECT path, request_hash, status, headers, body FROM idempotency"
            " WHERE principal = ? AND key = ? AND created > ?",
            (principal, key, cutoff),
        )
        if row is not None and (row["request_hash"] != digest or row["path"] != route):
            await _json(
                send,
                422,
                {
                    "Idempotency-Key": [
                        f"Keys for idempotent requests can only be used with the same parameters"
                        f" they were first used with; this key was first used for {row['path']}"
                        " with other parameters. Use a new key for a new request."
                    ]
                },
            )
            return
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
        if (principal, "", key) in self.in_flight:
            await _json(
                send,
                409,
                {
                    "detail": "A request with this Idempotency-Key is still "
                    "being processed; retry later."
                },
            )
            return
        self.in_flight.add((principal, "", key))
        try:
            await self._run_and_store(scope, receive, send, ident, body, digest)
        finally:
            self.in_flight.discard((principal, "", key))

    async def _run_and_store(
        self,
        scope: Any,
        receive: Any,
        send: Any,
        ident: tuple[str, str, str],
        body: bytes,
        digest: str,
    ) -> None:
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
                        digest,
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
