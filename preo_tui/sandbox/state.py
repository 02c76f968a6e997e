"""``SandboxState``: everything one running sandbox holds, and its start/stop.

The FastAPI lifespan calls ``await state.start()`` / ``await state.stop()``; tests that talk
to the app through ``httpx.ASGITransport`` (which runs no lifespan) call them directly.
Handlers reach the state with the ``StateDep`` dependency (``request.app.state.sandbox``).

Useful attributes: ``db`` (:class:`~preo_tui.sandbox.db.Database`), ``scheduler`` (background
state machines, speed-scaled), ``faults`` (fault injection knobs), ``webhooks`` (dispatcher),
``tokens`` (JWT service), ``static_tokens[role]`` (long-lived access tokens for ``admin``,
``manager``, ``staff``), ``accounts[role]`` (their account ids), ``pins[phone]`` (the last PIN
sent to a phone; the log shows it too), ``settings``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import logging
import secrets
import sqlite3
import sys
import time
from datetime import UTC
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from fastapi import Depends, Request

from . import clock, seed_fixups
from .db import CORE_SCHEMA, PAGE_SIZE, Database
from .events import RETRY_TASK, WebhookDispatcher
from .faults import FaultConfig, FaultInjector
from .ratelimit import RateLimiter
from .resources import load_modules
from .seeding import SCALES, SeedContext
from .settings import SandboxSettings
from .tokens import TokenService

if TYPE_CHECKING:
    from .auth import Principal

log = logging.getLogger("preo_tui.sandbox")

DEMO_ROLES = ("admin", "manager", "staff")
#: Name prefix of long-lived scheduler tasks that ``idle()`` does not wait for.
LOOP_PREFIX = "loop:"
DEMO_PASSWORD = "sandbox"


def demo_email(role: str) -> str:
    return f"{role}@sandbox.preo.dev"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (0 where unknown)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def split_schema(script: str) -> tuple[str, list[str]]:
    """``(tables DDL, [CREATE INDEX / CREATE TRIGGER statements])`` of a schema script.

    Indexes and triggers are created after their module's seed (bulk inserts stay fast); a
    module whose triggers maintain a derived table (e.g. a full-text index) rebuilds it at
    the end of its own ``seed``.
    """
    tables: list[str] = []
    indexes: list[str] = []
    for statement in sqlite3_statements(script):
        head = " ".join(statement.split()[:3]).upper()
        if head.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE TRIGGER")):
            indexes.append(statement)
        else:
            tables.append(statement)
    return ";\n".join(tables) + (";" if tables else ""), indexes


def sqlite3_statements(script: str) -> list[str]:
    """Split a DDL script into complete statements (comments dropped)."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip().rstrip(";"))
            buffer = ""
    if buffer.strip():
        out.append(buffer.strip().rstrip(";"))
    return out


class SandboxState:
    def __init__(
        self,
        settings: SandboxSettings,
        *,
        db: Database | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        modules: list[ModuleType] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db if db is not None else Database(settings.db)
        self.modules = modules if modules is not None else load_modules()
        self.scheduler = clock.Scheduler(settings.speed)
        self.faults = FaultInjector(
            FaultConfig(latency_ms=settings.latency_ms, error_rate=settings.error_rate),
            settings.fault_seed,
        )
        self.webhooks = WebhookDispatcher(self, webhook_transport)
        self.principals: dict[str, Principal] = {}
        self.pins: dict[str, str] = {}
        #: Sign-in rate limits (sandbox/ratelimit.py), in memory.
        self.rate_limits = RateLimiter()
        self.started = False
        self.seeded_now = False
        self.prepare()
        secret = settings.secret or self.db.get_meta("jwt_secret")
        if secret is None:  # pragma: no cover - prepare() always stores one
            secret = secrets.token_hex(32)
        self.tokens = TokenService(secret)
        self.accounts: dict[str, str] = {}
        self.static_tokens: dict[str, str] = {}
        for role in DEMO_ROLES:
            account = self.db.scalar("SELECT id FROM accounts WHERE email = ?", (demo_email(role),))
            if account:
                self.accounts[role] = str(account)
                self.static_tokens[role] = self.tokens.issue(str(account), "access", static=True)

    # -- schema and seed ---------------------------------------------------------------------------
    def schema_script(self) -> str:
        return "\n".join([CORE_SCHEMA, *(str(getattr(m, "SCHEMA", "")) for m in self.modules)])

    def schema_version(self) -> str:
        return hashlib.sha256(self.schema_script().encode()).hexdigest()[:16]

    def prepare(self) -> None:
        """Create the schema and seed when the database is new, outdated or ``reset``."""
        db = self.db
        version = self.schema_version()
        has_meta = db.scalar("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")
        current = db.get_meta("schema_version") if has_meta else None
        seeded = db.get_meta("seeded_at") if has_meta else None
        if self.settings.reset or current != version or seeded is None:
            if current is not None and current != version and not self.settings.reset:
                log.warning("database schema changed: reseeding %s", db.path)
            self.drop_all()
            self.fresh_pages()
            tables, _ = split_schema(self.schema_script())
            db.executescript(tables)
            self.seed()
            self.seeded_now = True
        else:
            scale, seed = db.get_meta("scale"), db.get_meta("seed")
            if scale != self.settings.scale or seed != str(self.settings.seed):
                log.info(
                    "keeping existing data (scale %s, seed %s); use --reset to reseed", scale, seed
                )

    def drop_all(self) -> None:
        db = self.db
        names = [
            str(r[0])
            for r in db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        virtual = [
            str(r[0])
            for r in db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
            )
        ]
        for name in virtual:
            db.execute(f'DROP TABLE IF EXISTS "{name}"')
        for name in names:
            db.execute(f'DROP TABLE IF EXISTS "{name}"')

    def fresh_pages(self) -> None:
        """Rebuild an emptied database file whose page size is not ``PAGE_SIZE`` (made by an
        older version) with it: milliseconds once the tables are dropped, and the file shrinks.
        """
        db = self.db
        if db.path == ":memory:" or db.scalar("PRAGMA page_size") == PAGE_SIZE:
            return
        db.execute("PRAGMA journal_mode=DELETE")  # WAL cannot change the page size
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        db.execute("VACUUM")
        db.execute("PRAGMA journal_mode=WAL")

    def seed(self) -> None:
        """Run every module's ``seed(ctx)`` in one transaction, in module order."""
        settings = self.settings
        base = settings.seed_now or clock.now()
        if base.tzinfo is None:
            base = base.replace(tzinfo=UTC)
        now = base.astimezone(UTC).replace(microsecond=0)
        scale = SCALES[settings.scale]
        if settings.requested_refunds is not None:
            scale = dataclasses.replace(scale, requested_refunds=settings.requested_refunds)
        ctx = SeedContext(self.db, settings.seed, scale, now)
        # One big transaction written once: a rollback journal on disk without syncs instead
        # of WAL (which writes every page twice: to the log, then at the checkpoint). A seed
        # cut short leaves no "seeded_at", so the next start reseeds anyway.
        on_disk = self.db.path != ":memory:"
        if on_disk:
            self.db.execute("PRAGMA journal_mode=DELETE")
            self.db.execute("PRAGMA synchronous=OFF")
        try:
            with self.db.transaction():
                for module in self.modules:
                    fn = getattr(module, "seed", None)
                    began, cpu = time.perf_counter(), time.process_time()
                    if fn is not None:
                        fn(ctx)
                    # Indexes are built right after their module's bulk insert (much faster than
                    # maintaining them row by row), before later modules query the data.
                    _, indexes = split_schema(str(getattr(module, "SCHEMA", "")))
                    for statement in indexes:
                        self.db.execute(statement)
                    log.debug(
                        "seeded %s in %.2f s (CPU %.2f s), peak RSS %.0f MB",
                        module.__name__,
                        time.perf_counter() - began,
                        time.process_time() - cpu,
                        peak_rss_mb(),
                    )
                _, core_indexes = split_schema(CORE_SCHEMA)
                for statement in core_indexes:
                    self.db.execute(statement)
                # After every module: times never in the future, long real-world names (demo).
                seed_fixups.settle_timestamps(self.db, ctx.ts())
                if scale.name != "tiny":
                    seed_fixups.add_long_names(self.db)
                db = self.db
                db.set_meta("schema_version", self.schema_version())
                db.set_meta("scale", settings.scale)
                db.set_meta("seed", str(settings.seed))
                db.set_meta("seeded_at", ctx.ts())
                if db.get_meta("jwt_secret") is None:
                    db.set_meta("jwt_secret", secrets.token_hex(32))
            self.db.execute("ANALYZE")
        finally:
            if on_disk:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")

    # -- life cycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start background work: resume in-flight state machines and pending webhooks."""
        if self.started:
            return
        self.started = True
        self.webhooks.bind_loop(asyncio.get_running_loop())
        for module in self.modules:
            fn = getattr(module, "start", None)
            if fn is not None:
                result = fn(self)
                if inspect.isawaitable(result):
                    await result
        await self.webhooks.resume()

    async def stop(self) -> None:
        """Cancel background tasks and close outgoing connections."""
        self.started = False
        await self.scheduler.stop()
        await self.webhooks.close()

    async def idle(self, within: float = 10.0, *, webhook_retries: bool = False) -> None:
        """Wait until every background task has finished (tests).

        Scheduled webhook *retries* (minutes apart at speed 1) are not waited for unless
        ``webhook_retries``; first delivery attempts are. Long-lived periodic tasks spawned
        with a name starting ``"loop:"`` (e.g. a due-time watcher) are never waited for;
        ``stop()`` cancels them like every other tracked task.
        """

        def ignore(name: str) -> bool:
            return name.startswith(LOOP_PREFIX) or (not webhook_retries and name == RETRY_TASK)

        await self.scheduler.idle(within, ignore=ignore)

    # -- events --------------------------------------------------------------------------------
    def emit_event(
        self, event: str, payload: dict[str, Any], organization_id: str, edition_id: str | None
    ) -> list[str]:
        """Queue webhook deliveries of ``event`` (see :mod:`preo_tui.sandbox.events`)."""
        return self.webhooks.emit(event, payload, organization_id, edition_id)


async def get_state(request: Request) -> SandboxState:
    """FastAPI dependency: the sandbox state of this app."""
    state: SandboxState = request.app.state.sandbox
    return state


StateDep = Annotated[SandboxState, Depends(get_state)]
