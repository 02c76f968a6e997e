"""The HTTP core shared by every resource: auth, retries, limits, errors, logging, events.

Decisions (documented here because the contract leaves them open):

* **Timeouts** on every request (``timeout=``, default 10 s connect/read/write/pool), and an
  **overall deadline** per request (``deadline=``, default 30 s): connect, the full body and
  every retry must fit in it, so a server that trickles its body a byte at a time cannot hold
  a request for minutes (httpx's read timeout restarts with every byte). A request over its
  deadline raises :class:`NetworkError` ("No complete answer within 30 s"), not retried.
  Streamed downloads (``stream=True``) are bounded up to their headers only.
* **Response size cap** (``max_response_bytes=``, default 64 MiB, after decompression): a
  bigger answer (or a gzip bomb) is cut off and raises :class:`DecodeError`.
* **Honest status**: a request still unanswered after ``slow_after`` seconds (default 3)
  emits ``slow``; ``online`` follows once no request is slow any more.
* **Idempotency.** Every write (POST, PATCH, DELETE) carries an ``Idempotency-Key``: one per
  logical action (a method call), or the caller's ``idempotency_key=``, reused across every
  retry and across the replay after a token refresh. The contract only promises the key on
  POST; PATCH bodies set absolute values and DELETE is idempotent by nature, so replaying them
  is safe even on a server that ignores the key. A DELETE that answers 404 on a *retry* (an
  earlier attempt may have deleted the object before its answer was lost) counts as done.
* **Retries** (tenacity; exponential backoff with jitter) for every request, because every
  request is idempotent as sent: on connection errors and timeouts, on 429 (waiting at least
  ``Retry-After``; a ``Retry-After`` longer than ``RetryPolicy.max_retry_after`` is raised to
  the caller at once), and on 500/502/503/504. 500 is retried too: a replay of a GET, or of a
  write carrying the same idempotency key, cannot double an action, and a transient 500 is what
  the sandbox's fault injection (and real overloaded servers) produce. Never on
  400/401/403/404/405/409/422: those answers do not change on a retry.
* **Auth.** A 401 with ``code: token_not_valid`` (or an "expired" detail) while a refresh token
  is known triggers one refresh (single-flight: concurrent requests share it) and one replay.
  New tokens are handed to ``on_tokens`` so the app can persist them; a failed refresh raises
  :class:`AuthError` and emits ``auth_expired``.
* **Concurrency**: one semaphore per client (default 8 requests in flight); it is held while a
  request is on the wire, not while a retry waits.
* **404 vs Unsupported** (contract §11): see :func:`is_missing_endpoint`.
* **Logging** on the ``preo_tui.api`` logger: one DEBUG line per attempt (method, path, status,
  duration, request id), bodies at DEBUG with secret fields redacted; retries at INFO. The
  Authorization header is never logged.

The value types live in ``_transport_types.py`` and the mapping of error answers in
``_errormap.py``; both are re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._bounded import deadline_error, read_capped
from ._errormap import (
    FRAMEWORK_ROUTE_404,
    _json_or_none,
    error_from_response,
    is_missing_endpoint,
    parse_retry_after,
    unsupported_message,
)
from ._redact import redact, secret_values
from ._transport_types import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_SLOW_AFTER,
    Body,
    ConnectionEvent,
    ConnectionState,
    Listener,
    RetryPolicy,
    Tokens,
    TokensCallback,
)
from .errors import (
    AuthError,
    NetworkError,
    NotFound,
    PreoError,
    RateLimited,
    ReadOnlyError,
    ServerError,
    check_token,
    scrub,
)
from .registry import Operation

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_SLOW_AFTER",
    "FRAMEWORK_ROUTE_404",
    "Body",
    "ConnectionEvent",
    "ConnectionState",
    "HttpCore",
    "Listener",
    "RetryPolicy",
    "Tokens",
    "TokensCallback",
    "error_from_response",
    "is_missing_endpoint",
    "parse_retry_after",
    "unsupported_message",
]

log = logging.getLogger("preo_tui.api")


class HttpCore:
    """Sends operations. One per :class:`~preo_tui.api.PreoClient`."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        refresh_token: str | None,
        read_only: bool,
        transport: httpx.AsyncBaseTransport | None,
        max_concurrency: int,
        timeout: float | httpx.Timeout,
        retry: RetryPolicy,
        on_tokens: TokensCallback | None,
        headers: Mapping[str, str] | None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        slow_after: float = DEFAULT_SLOW_AFTER,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        scheme, _, rest = base_url.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.strip("/"):
            raise ValueError(
                f"the server URL must start with http:// or https://, not {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.read_only = read_only
        self.retry = retry
        # Refused here, with a clear message, rather than as an untyped header error later.
        self._access = check_token(token) if token is not None else None
        self._refresh = check_token(refresh_token, "refresh token") if refresh_token else None
        self._on_tokens = on_tokens
        self._listeners: list[Listener] = []
        self._sem = asyncio.Semaphore(max_concurrency)
        self._refresh_lock = asyncio.Lock()
        self._dead_refresh: str | None = None
        self._sleep = sleep or asyncio.sleep
        self.state: ConnectionState | None = None
        self.writes_in_flight = 0
        self.requests_sent = 0
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.slow_after = slow_after
        self._slow: set[str] = set()
        base_headers = {"Accept": "application/json", "User-Agent": "preo-tui"}
        base_headers.update(headers or {})
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            headers=base_headers,
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
            follow_redirects=False,
        )

    # -- tokens -----------------------------------------------------------------------------

    @property
    def tokens(self) -> Tokens | None:
        return Tokens(self._access, self._refresh) if self._access else None

    def secrets(self) -> list[str]:
        return [s for s in (self._access, self._refresh) if s]

    async def set_tokens(self, access: str | None, refresh: str | None, *, notify: bool) -> None:
        access = check_token(access) if access is not None else None
        refresh = check_token(refresh, "refresh token") if refresh else refresh
        self._access = access
        if refresh is not None or access is None:
            self._refresh = refresh
        self._dead_refresh = None
        if notify and access and self._on_tokens is not None:
            result = self._on_tokens(Tokens(access, self._refresh))
            if result is not None:
                await result

    # -- events -----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def emit(self, state: ConnectionState, detail: str = "") -> None:
        transition = state in (ConnectionState.ONLINE, ConnectionState.OFFLINE)
        if transition and state == self.state:
            return
        self.state = state
        event = ConnectionEvent(state, scrub(detail, self.secrets()))
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the client
                log.exception("connection listener failed")

    # -- requests ---------------------------------------------------------------------------

    async def request(
        self,
        op: Operation,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Body | None = None,
        idempotency_key: str | None = None,
        stream: bool = False,
    ) -> httpx.Response | None:
        """Send ``op`` (retrying, refreshing) and return the successful response.

        ``None`` only for a DELETE whose retry found the object already gone. With
        ``stream=True`` the response body is not read: the caller must close it.
        """
        if self.read_only and op.is_write:
            raise ReadOnlyError(
                f"Read-only mode: {op.summary} was not sent",
                method=op.method,
                path=path,
                operation=op.key,
            )
        key = None
        if op.method != "GET":
            key = idempotency_key or str(uuid.uuid4())
        if op.is_write:
            self.writes_in_flight += 1
        deadline_at = time.monotonic() + self.deadline
        try:
            for replay in (False, True):
                sent_with = self._access
                try:
                    return await self._with_retries(
                        op, path, params, body, key, stream, deadline_at
                    )
                except AuthError as exc:
                    if not replay and self._should_refresh(op, exc):
                        await self._refresh_after(sent_with, exc)
                        continue
                    if op.authenticated:
                        self.emit(ConnectionState.AUTH_EXPIRED, exc.message)
                    raise
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            if op.is_write:
                self.writes_in_flight -= 1

    def _should_refresh(self, op: Operation, exc: AuthError) -> bool:
        if not op.authenticated or not self._refresh:
            return False
        if exc.code == "token_not_valid":
            return True
        return "expired" in exc.message.lower()

    async def _refresh_after(self, sent_with: str | None, cause: AuthError) -> None:
        """Refresh once for everyone who saw ``sent_with`` rejected."""
        from .auth import OPERATIONS as AUTH_OPS

        async with self._refresh_lock:
            if self._access != sent_with:
                return  # another request already refreshed
            if self._dead_refresh is not None and self._dead_refresh == self._refresh:
                self.emit(ConnectionState.AUTH_EXPIRED, "The session expired; sign in again")
                raise AuthError(
                    "The session expired; sign in again",
                    method=cause.method,
                    path=cause.path,
                    status=401,
                    request_id=cause.request_id,
                )
            op = AUTH_OPS["refresh"]
            path = op.url_path()
            try:
                response = await self._with_retries(
                    op, path, None, Body(json={"refresh": self._refresh}), str(uuid.uuid4()), False
                )
            except AuthError as exc:
                self._dead_refresh = self._refresh
                self.emit(ConnectionState.AUTH_EXPIRED, "The session expired; sign in again")
                raise AuthError(
                    "The session expired; sign in again",
                    method=exc.method,
                    path=exc.path,
                    status=exc.status,
                    request_id=exc.request_id,
                ) from None
            assert response is not None
            data = _json_or_none(response)
            access = data.get("access") if isinstance(data, dict) else None
            if not isinstance(access, str) or not access:
                from .errors import DecodeError

                raise DecodeError(
                    "The token refresh answer carried no access token",
                    method=op.method,
                    path=path,
                    status=response.status_code,
                )
            new_refresh = data.get("refresh") if isinstance(data, dict) else None
            await self.set_tokens(
                access, new_refresh if isinstance(new_refresh, str) else None, notify=True
            )
            log.info("access token refreshed")
            self.emit(ConnectionState.TOKENS_REFRESHED, "Access token refreshed")

    def _retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, NetworkError):
            return not getattr(exc, "deadline_exceeded", False)
        if isinstance(exc, RateLimited):
            return exc.retry_after is None or exc.retry_after <= self.retry.max_retry_after
        if isinstance(exc, ServerError):
            return exc.status in self.retry.retry_statuses
        return False

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = self.retry.backoff(state.attempt_number)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return float(delay)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        what = exc.message if isinstance(exc, PreoError) else repr(exc)
        where = exc.where if isinstance(exc, PreoError) else ""
        detail = (
            f"{where}: {what}; retry {state.attempt_number}/{self.retry.attempts - 1} "
            f"in {wait:.1f}s"
        )
        log.info("retrying %s", detail)
        self.emit(ConnectionState.RETRYING, detail)

    async def _with_retries(
        self,
        op: Operation,
        path: str,
        params: Mapping[str, str] | None,
        body: Body | None,
        key: str | None,
        stream: bool,
        deadline_at: float | None = None,
    ) -> httpx.Response | None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(self.retry.attempts, 1)),
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        response: httpx.Response | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        response = await self._attempt(
                            op, path, params, body, key, stream, deadline_at
                        )
                    except NotFound:
                        if op.method == "DELETE" and attempt.retry_state.attempt_number > 1:
                            log.info(
                                "%s %s: already gone on retry; counted as done", op.method, path
                            )
                            response = None
                        else:
                            raise
        except (NetworkError, ServerError) as exc:
            if isinstance(exc, NetworkError) or exc.status in (502, 503, 504):
                self.emit(ConnectionState.OFFLINE, exc.message)
            raise
        return response

    async def _attempt(
        self,
        op: Operation,
        path: str,
        params: Mapping[str, str] | None,
        body: Body | None,
        key: str | None,
        stream: bool,
        deadline_at: float | None = None,
    ) -> httpx.Response:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        if key is not None:
            headers["Idempotency-Key"] = key
        if op.authenticated and self._access:
            headers["Authorization"] = f"Bearer {self._access}"
        request = self.http.build_request(
            op.method,
            path,
            params=params,
            json=body.json if body and body.files is None else None,
            files=body.files if body else None,
            data=body.data if body and body.files is not None else None,
            headers=headers,
        )
        if log.isEnabledFor(logging.DEBUG) and body is not None and body.json is not None:
            log.debug(
                "%s %s body %s", op.method, path, json.dumps(redact(body.json), default=str)[:2000]
            )
        async with self._sem:
            started = time.perf_counter()
            budget = deadline_at if deadline_at is not None else time.monotonic() + self.deadline
            budget -= time.monotonic()
            if budget <= 0:
                raise self._deadline_error(op, path, request_id)
            self.requests_sent += 1
            slow = asyncio.get_running_loop().call_later(
                min(self.slow_after, budget), self._mark_slow, request_id, op, path
            )
            try:
                async with asyncio.timeout(budget):
                    response = await self.http.send(request, stream=True)
                    if not stream or response.status_code >= 400:
                        await self._read_capped(response, op, path, request_id)
            except TimeoutError:
                self._log_failure(op, path, started, request_id, TimeoutError())
                raise self._deadline_error(op, path, request_id) from None
            except httpx.TimeoutException as exc:
                self._log_failure(op, path, started, request_id, exc)
                raise NetworkError(
                    f"Timed out ({type(exc).__name__})",
                    method=op.method,
                    path=path,
                    request_id=request_id,
                    operation=op.key,
                ) from None
            except (httpx.TransportError, OSError) as exc:
                self._log_failure(op, path, started, request_id, exc)
                raise NetworkError(
                    f"Connection failed ({type(exc).__name__})",
                    method=op.method,
                    path=path,
                    request_id=request_id,
                    operation=op.key,
                ) from None
            except asyncio.CancelledError:
                raise
            except PreoError:
                raise
            except Exception as exc:  # an in-process server that dies mid-request
                self._log_failure(op, path, started, request_id, exc)
                raise NetworkError(
                    f"The connection broke ({type(exc).__name__})",
                    method=op.method,
                    path=path,
                    request_id=request_id,
                    operation=op.key,
                ) from None
            finally:
                slow.cancel()
                self._slow.discard(request_id)
            elapsed = (time.perf_counter() - started) * 1000
        rid = response.headers.get("x-request-id") or request_id
        log.debug(
            "%s %s -> %s in %.1f ms [request %s]",
            op.method,
            path,
            response.status_code,
            elapsed,
            rid,
        )
        if response.status_code >= 400:
            if response.status_code < 500 and response.status_code != 401:
                self._settled()  # reachable, whatever it said
            sent = secret_values(body.json) if body is not None and body.json is not None else []
            raise error_from_response(op, op.method, path, response, rid, self.secrets() + sent)
        self._settled()
        return response

    # -- bounded requests (issue 14) ----------------------------------------------------------

    def _deadline_error(self, op: Operation, path: str, request_id: str) -> NetworkError:
        return deadline_error(self.deadline, op, path, request_id)

    def _mark_slow(self, request_id: str, op: Operation, path: str) -> None:
        self._slow.add(request_id)
        self.emit(
            ConnectionState.SLOW, f"{op.method} {path}: no answer after {self.slow_after:g} s"
        )

    def _settled(self) -> None:
        """``online`` unless another request is still slow."""
        if self._slow:
            return
        self.emit(ConnectionState.ONLINE, "")

    async def _read_capped(
        self, response: httpx.Response, op: Operation, path: str, request_id: str
    ) -> None:
        await read_capped(response, self.max_response_bytes, op, path, request_id)

    def _log_failure(
        self, op: Operation, path: str, started: float, request_id: str, exc: BaseException
    ) -> None:
        log.debug(
            "%s %s -> %s after %.1f ms [request %s]",
            op.method,
            path,
            type(exc).__name__,
            (time.perf_counter() - started) * 1000,
            request_id,
        )

    @contextlib.asynccontextmanager
    async def stream(
        self, op: Operation, path: str, *, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        response = await self.request(op, path, params=params, stream=True)
        assert response is not None
        try:
            yield response
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()
