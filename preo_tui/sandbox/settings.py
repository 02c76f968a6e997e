"""Settings of one sandbox instance (the CLI flags, plus test-only knobs)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field

Scale = Literal["tiny", "demo", "large"]


def default_db_path() -> str:
    """``<user data dir of preo-tui>/sandbox.sqlite3`` (platformdirs; ``PREO_DATA_DIR``
    overrides), the same file ``preo-tui --sandbox`` uses."""
    try:
        from preo_tui.config import sandbox_db_path
    except ImportError:  # pragma: no cover - config is part of the package
        return str(
            Path(platformdirs.user_data_dir("preo-tui", appauthor=False)) / "sandbox.sqlite3"
        )
    return str(sandbox_db_path())


class SandboxSettings(BaseModel):
    """How to run a sandbox. ``db=":memory:"`` keeps everything in RAM (tests)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    db: str = Field(default_factory=default_db_path)
    seed: int = 42
    scale: Scale = "demo"
    speed: float = Field(1.0, gt=0, description="Divides every state-machine delay.")
    latency_ms: int = Field(0, ge=0, description="Added to every /v1 request.")
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="Fraction of /v1 requests failed.")
    reset: bool = False
    #: Reference instant for the seed's relative timestamps (default: the clock's now).
    seed_now: datetime | None = None
    #: Fixed JWT secret (default: a random one stored in the database, so restarts keep tokens).
    secret: str | None = None
    #: Override the scale's number of `requested` refund requests in the current edition.
    requested_refunds: int | None = Field(None, ge=0, le=100_000)
    #: Share of approved refunds the simulated payment gateway fails (decided per refund id).
    refund_failure_rate: float = Field(0.05, ge=0.0, le=1.0)
    #: Seed for the fault-injection dice (deterministic failures in tests).
    fault_seed: int | None = None
