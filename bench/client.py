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
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _sandbox import free_port, large_template, launch_large, stop, wait_ready

from preo_tui.api import Page, PreoClient
from preo_tui.api.orders import Order

PAGES = 100
PAGE_SIZE = 100
APPROVALS = 100
CONCURRENCY = 8
TARGET_S = 3.0


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
    template = large_template()
    with tempfile.TemporaryDirectory(prefix="preo-bench-") as tmp:
        port = free_port()
        work = Path(tmp) / "sandbox.sqlite3"
        proc = launch_large(template, work, port)
        try:
            status = asyncio.run(run(f"http://127.0.0.1:{port}", proc, rounds))
        finally:
            stop(proc, within=10)
    raise SystemExit(status)


if __name__ == "__main__":
    main()
