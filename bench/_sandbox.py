"""Shared by the benchmark scripts: a sandbox on loopback in a separate process.

The scripts are run as ``python bench/<name>.py``, so this directory is on ``sys.path`` and they
import this module as ``_sandbox``.

The `large` sandbox (100,000 orders in the current edition) is seeded once into a template in the
user cache dir (about 40 s the first time); every run serves a fresh copy of it, so approvals
never run out.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import platformdirs

#: Requested refunds in the `large` template: enough for 5 rounds of 100 approvals.
REQUESTED = 100 * 5 + 50

LAUNCHER = """
import sys
import uvicorn
from preo_tui.sandbox.app import create_app
from preo_tui.sandbox.db import Database
from preo_tui.sandbox.settings import SandboxSettings
from preo_tui.sandbox.state import SandboxState

template, work, port, requested = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
settings = SandboxSettings(db=template, scale="large", requested_refunds=requested, speed=1000)
seeded = SandboxState(settings)  # seeds the cached template when missing or outdated
Database(work).copy_from(seeded.db)
seeded.db.close()
app = create_app(settings.model_copy(update={"db": work}))
print("ready to serve", flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def large_template() -> Path:
    """The cached `large` template (shared by every script); says so when it is still to seed."""
    cache = Path(platformdirs.user_cache_dir("preo-tui")) / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    template = cache / f"client-large-{REQUESTED}.sqlite3"
    if not template.exists():
        print("seeding the large sandbox once (cached for later runs; ~40 s)...", flush=True)
    return template


def launch_large(template: Path, work: Path, port: int) -> subprocess.Popen[bytes]:
    """Serve a copy of ``template`` (seeded first when missing) at ``work`` on ``port``."""
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(template), str(work), str(port), str(REQUESTED)],
        stdout=subprocess.DEVNULL,
    )


async def wait_ready(url: str, proc: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as raw:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the sandbox exited with status {proc.returncode}")
            try:
                if (await raw.get("/_sandbox/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start in time")
            await asyncio.sleep(0.2)


def stop(proc: subprocess.Popen[bytes], within: float) -> None:
    """Terminate the sandbox process; kill it when it has not ended ``within`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
