"""``create_app(settings)``: the sandbox's FastAPI application.

Assembles every resource module's router (see :mod:`preo_tui.sandbox.resources`), the error
handlers, idempotency and fault injection, and the sandbox-only ``/_sandbox`` endpoints (not
in the contract and not in ``/openapi.json``):

- ``GET /_sandbox/faults`` / ``PUT /_sandbox/faults``: the fault knobs and counters;
- ``GET /_sandbox/webhook-sink``: what the in-process webhook receiver got;
- ``GET /_sandbox/state-changes?object_id=``: the transition log of one object;
- ``GET /_sandbox/health``: ``{"ok": true, "scale", "seed"}``.

All but health need an admin's bearer token (``sandbox.auth.sandbox_admin``), as does the
file download ``/_sandbox/files/...`` (``resources/files.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute

from .auth import sandbox_admin
from .errors import install_error_handlers
from .faults import FaultMiddleware, FaultUpdate
from .guards import InputGuardMiddleware
from .idempotency import IdempotencyMiddleware
from .schemas import COMMON_ERRORS
from .settings import SandboxSettings
from .state import SandboxState, StateDep

DESCRIPTION = """A complete local Preo management API with seeded data and real state machines.

Authenticate with `POST /v1/auth/token` (`admin@sandbox.preo.dev` / `sandbox`) and send
`Authorization: Bearer <access>`. POST requests honour `Idempotency-Key` for 24 hours."""


class RequestIdMiddleware:
    """Echo the caller's ``X-Request-ID`` (or a fresh one) on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        for key, value in scope.get("headers", ()):
            if key.lower() == b"x-request-id":
                rid = value[:200]
        if not rid:
            rid = secrets.token_hex(8).encode()

        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


def _sandbox_router() -> APIRouter:
    # Every endpoint but health needs the admin token (issue 14): they expose customer data.
    router = APIRouter(prefix="/_sandbox", include_in_schema=False)
    admin_only = APIRouter(dependencies=[Depends(sandbox_admin)])

    @admin_only.get("/faults")
    async def get_faults(state: StateDep) -> JSONResponse:
        return JSONResponse(state.faults.describe())

    @admin_only.put("/faults")
    async def put_faults(change: FaultUpdate, state: StateDep) -> JSONResponse:
        state.faults.update(change)
        return JSONResponse(state.faults.describe())

    @admin_only.get("/webhook-sink")
    async def webhook_sink(state: StateDep) -> JSONResponse:
        return JSONResponse({"received": list(state.webhooks.sink.received)})

    @admin_only.get("/state-changes")
    async def state_changes(state: StateDep, object_id: str) -> JSONResponse:
        rows = state.db.query(
            "SELECT object_type, object_id, from_status, to_status, actor_id, at"
            " FROM state_changes WHERE object_id = ? ORDER BY pk",
            (object_id,),
        )
        return JSONResponse({"results": [dict(r) for r in rows]})

    @router.get("/health")
    async def health(state: StateDep) -> JSONResponse:
        return JSONResponse(
            {"ok": True, "scale": state.db.get_meta("scale"), "seed": state.db.get_meta("seed")}
        )

    router.include_router(admin_only)
    return router


_ROUTES: dict[tuple[str, ...], list[BaseRoute]] = {}


def _api_routes(modules: Sequence[Any]) -> list[BaseRoute]:
    """The API's routes, built once per process and shared by every app made from the same
    resource modules. FastAPI prepares a route (dependencies, validators, response models) on
    its first request, about a second for this API: an app per test would pay it every time.
    Routes hold no state — handlers reach the sandbox through ``request.app.state.sandbox``
    (``StateDep``) — so sharing them between apps is safe; nothing here uses
    ``dependency_overrides``."""
    key = tuple(module.__name__ for module in modules)
    routes = _ROUTES.get(key)
    if routes is None:
        template = FastAPI()
        builtin = len(template.router.routes)  # /openapi.json, /docs: each app has its own
        for module in modules:
            router: Any = getattr(module, "router", None)
            if router is not None:
                template.include_router(router, responses=COMMON_ERRORS)
        template.include_router(_sandbox_router())
        routes = _ROUTES[key] = list(template.router.routes[builtin:])
    return routes


def create_app(
    settings: SandboxSettings | None = None,
    *,
    state: SandboxState | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the app. Pass ``state`` to reuse one (tests); otherwise it is made from settings."""
    if state is None:
        state = SandboxState(settings or SandboxSettings(), webhook_transport=webhook_transport)
    sandbox = state

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.stop()

    app = FastAPI(
        title="Preo API (preo-sandbox)",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    install_error_handlers(app)
    app.router.routes.extend(_api_routes(sandbox.modules))
    app.add_middleware(IdempotencyMiddleware, state=sandbox)
    app.add_middleware(FaultMiddleware, state=sandbox)
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost
    return app
