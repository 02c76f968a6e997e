"""Benchmark of the API client against a `large` sandbox over real loopback HTTP.

    python bench/client.py [--rounds 3]

Starts its own sandbox (scale `large`: 100,000 orders in the current edition) in a separate
process with uvicorn on a free loopback port. The seeded database is built once and cached in
the user cache dir (about 40 s the first time); every run works on a fresh copy, so approvals
never run out. Then it measures, over HTTP, with the real client:

1. fetch and parse 100 pages of 100 orders, one page after the other (target <= 3 s);
2. bulk approval of 100 `requested` refunds at concurrency 8 (target <= 3 s).

It also reports the client-side share of (1): parsing the same 100 pages into models, without
the network. Figures are the median of ``--rounds`` rounds; each round approves new refunds.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import platformdirs

from preo_tui.api import Page, PreoClient
from preo_tui.api.orders import Order

PAGES = 100
PAGE_SIZE = 100
APPROVALS = 100
CONCURRENCY = 8
TARGET_S = 3.0
REQUESTED = 100 * 5 + 50  # enough requested refunds for 5 rounds

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


async def biggest_edition(preo: PreoClient) -> str:
    best, most = "", -1
    async for edition in preo.editions.iterate():
        count = (await preo.orders.list(edition_id=edition.id, page_size=1)).count
        if count > most:
            best, most = edition.id, count
    if most < PAGES * PAGE_SIZE:
        raise SystemExit(f"the sandbox has only {most} orders in its biggest edition")
    return best


async def fetch_pages(preo: PreoClient, edition_id: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    for number in range(1, PAGES + 1):
        page = await preo.orders.list(edition_id=edition_id, page=number, page_size=PAGE_SIZE)
        rows += len(page.results)
    return time.perf_counter() - started, rows


async def raw_and_parse(url: str, token: str, edition_id: str) -> tuple[float, float]:
    """The same 100 pages with plain httpx (server + network alone), then parsed alone."""
    bodies = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as raw:
        started = time.perf_counter()
        for number in range(1, PAGES + 1):
            params = {"edition_id": edition_id, "page": number, "page_size": PAGE_SIZE}
            bodies.append((await raw.get("/v1/orders", params=params)).content)
        fetched = time.perf_counter() - started
    started = time.perf_counter()
    for body in bodies:
        Page[Order].model_validate_json(body)
    return fetched, time.perf_counter() - started


async def approve_batch(preo: PreoClient) -> tuple[float, int]:
    page = await preo.refunds.list(status="requested", page_size=APPROVALS, ordering="created")
    ids = [r.id for r in page.results]
    if len(ids) < APPROVALS:
        raise SystemExit(f"only {len(ids)} requested refunds left")
    started = time.perf_counter()
    results = await asyncio.gather(*(preo.refunds.approve(i) for i in ids))
    elapsed = time.perf_counter() - started
    return elapsed, sum(1 for r in results if r.status == "ready")


async def run(url: str, proc: subprocess.Popen[bytes], rounds: int) -> int:
    await wait_ready(url, proc, within=600)
    async with PreoClient(url, max_concurrency=CONCURRENCY, timeout=30) as preo:
        await preo.auth.login("admin@sandbox.preo.dev", "sandbox")
        token = preo.tokens.access if preo.tokens else ""
        edition_id = await biggest_edition(preo)
        await preo.orders.list(edition_id=edition_id, page_size=PAGE_SIZE)  # warm-up
        fetches, approvals, parses, raws = [], [], [], []
        for _ in range(rounds):
            seconds, rows = await fetch_pages(preo, edition_id)
            assert rows == PAGES * PAGE_SIZE, rows
            fetches.append(seconds)
            raw_s, parse_s = await raw_and_parse(url, token, edition_id)
            raws.append(raw_s)
            parses.append(parse_s)
            seconds, done = await approve_batch(preo)
            assert done == APPROVALS, done
            approvals.append(seconds)

    fetch, approve, parse, raw = (statistics.median(x) for x in (fetches, approvals, parses, raws))
    ok_fetch, ok_approve = fetch <= TARGET_S, approve <= TARGET_S
    print(f"client benchmark: large sandbox over loopback HTTP, median of {rounds} round(s)")
    print(
        f"  fetch+parse {PAGES} pages x {PAGE_SIZE} orders: {fetch:6.2f} s "
        f"({PAGES / fetch:5.1f} pages/s; plain httpx {raw:.2f} s, parsing {parse * 1000:.0f} ms)  "
        f"target <= {TARGET_S:.0f} s  {'OK' if ok_fetch else 'SLOW'}"
    )
    print(
        f"  approve {APPROVALS} refunds at concurrency {CONCURRENCY}:   {approve:6.2f} s "
        f"({APPROVALS / approve:5.1f} /s)  target <= {TARGET_S:.0f} s  "
        f"{'OK' if ok_approve else 'SLOW'}"
    )
    print(f"  all rounds: fetch {[round(x, 2) for x in fetches]}, "
          f"approve {[round(x, 2) for x in approvals]}")  # fmt: skip
    return 0 if ok_fetch and ok_approve else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds to take the median of (1-5)")
    args = parser.parse_args()
    rounds = min(max(args.rounds, 1), 5)
    cache = Path(platformdirs.user_cache_dir("preo-tui")) / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    template = cache / f"client-large-{REQUESTED}.sqlite3"
    if not template.exists():
        print("seeding the large sandbox once (cached for later runs; ~40 s)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="preo-bench-") as tmp:
        port = free_port()
        work = Path(tmp) / "sandbox.sqlite3"
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(template), str(work), str(port), str(REQUESTED)],
            stdout=subprocess.DEVNULL,
        )
        try:
            status = asyncio.run(run(f"http://127.0.0.1:{port}", proc, rounds))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    raise SystemExit(status)


if __name__ == "__main__":
    main()
