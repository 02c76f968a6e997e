"""The sandbox's resources: one module per contract tag (or group of tags).

Every module in :data:`MODULES` exposes:

- ``router``: a FastAPI ``APIRouter`` with its operations (full paths, ``/v1/...``);
- ``SCHEMA``: its SQL DDL (tables and indexes, ``CREATE ... IF NOT EXISTS``);
- ``seed(ctx: SeedContext) -> None``: inserts its seed data (modules run in list order, so a
  module sees everything seeded before it);
- optionally ``async def start(state: SandboxState) -> None``: resume in-flight state machines
  / start periodic loops when the sandbox starts (tasks via ``state.scheduler``).

The order matters for seeding: core objects, then customers and orders, then what refers to
them. Marketing modules (email messages, segments, campaigns) come after orders and consents.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES: tuple[str, ...] = (
    "auth",
    "editions",
    "consents",
    "users",
    "orders",
    "refunds",
    "files",
    "data_imports",
    "email_messages",
    "segments",
    "campaigns",
    "webhooks",
)


def load_modules() -> list[ModuleType]:
    """Import every resource module in order (skipping one not written yet)."""
    loaded = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        loaded.append(module)
    return loaded
