"""Benchmark of preo-sandbox at the ``large`` scale (100,000 users and orders in one edition).

    python bench/sandbox.py [--db PATH] [--reset] [--runs 200]

Seeds ``large`` into a database file (reused by later runs unless ``--reset``), then measures,
in process through the ASGI transport (server work + HTTP framing, no network; ``--loopback``
measures over real HTTP to uvicorn on 127.0.0.1 instead):

- p50/p95 of ``GET /v1/orders?edition_id=…&page_size=100`` — first page, a deep page (the
  last one; pages past the middle are read from the other end of the index, so the middle
  page is the worst case and is measured too) and a filtered search (``search=`` on a customer e-mail fragment, plus a status
  filter);
- the time to recalculate a segment over the edition's users (``POST .../recalculate`` until
  ``completed``), when the segments resource is present.

Targets (issue #3): list p50 ≤ 10 ms, deep page p50 ≤ 20 ms, recalculation ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn

from preo_tui.sandbox.app import create_app
from preo_tui.sandbox.cli import listen_socket
from preo_tui.sandbox.settings import SandboxSettings


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def timed(
    client: httpx.AsyncClient, url: str, runs: int, before: Callable[[], object] | None = None
) -> tuple[float, float, int]:
    samples = []
    count = 0
    for _ in range(runs):
        if before is not None:
            before()
        began = time.perf_counter()
        r = await client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url} answered {r.status_code}: {r.text[:200]}")
        count = r.json()["count"]
    return statistics.median(samples), pct(samples, 0.95), count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default=str(Path(tempfile.gettempdir()) / "preo-sandbox-bench.sqlite3")
    )
    parser.add_argument("--reset", action="store_true", help="reseed even if the file exists")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--loopback", action="store_true", help="measure over real HTTP (uvicorn on 127.0.0.1)"
    )
    args = parser.parse_args()

    began = time.perf_counter()
    app = create_app(SandboxSettings(db=args.db, scale="large", reset=args.reset, speed=1000.0))
    state = app.state.sandbox
    seeded = time.perf_counter() - began
    if state.db.get_meta("scale") != "large":
        raise SystemExit(f"{args.db} holds scale {state.db.get_meta('scale')}; use --reset")
    print(f"database {args.db}: {'seeded' if state.seeded_now else 'reused'} in {seeded:.1f} s")
    server = None
    if args.loopback:
        sock = listen_socket("127.0.0.1", 0)
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        for _ in range(3000):  # up to 30 s
            if server.started:
                break
            await asyncio.sleep(0.01)
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport()
    else:
        base_url = "http://bench"
        transport = httpx.ASGITransport(app=app)
    print(f"measuring {'over loopback HTTP' if args.loopback else 'in process (ASGI)'}")
    await state.start()
    token = state.static_tokens["admin"]
    async with httpx.AsyncClient(
        transport=transport, base_url=base_url, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        edition = state.db.scalar(
            "SELECT edition_id FROM orders GROUP BY edition_id ORDER BY COUNT(*) DESC LIMIT 1"
        )
        total = state.db.scalar("SELECT COUNT(*) FROM orders WHERE edition_id = ?", (edition,))
        users = state.db.scalar("SELECT COUNT(*) FROM users")
        print(f"edition {edition}: {total} orders; {users} users in all")
        last = -(-total // 100)
        base = f"/v1/orders?edition_id={edition}&page_size=100"
        await c.get(base)  # warm-up
        uncached = state.db.count_cache.clear  # list counts are memoised until the next write
        cases: list[tuple[str, str, float | None, Callable[[], object] | None]] = [
            ("first page", base, 10.0, None),
            ("first page, count uncached", base, 10.0, uncached),
            (f"deep page ({last})", f"{base}&page={last}", 20.0, None),
            ("deep page, count uncached", f"{base}&page={last}", 20.0, uncached),
            (f"middle page ({last // 2}, worst case)", f"{base}&page={last // 2}", 20.0, uncached),
            ("search e-mail + status", f"{base}&search=hansen&status=completed", None, None),
            ("search, count uncached", f"{base}&search=hansen&status=completed", None, uncached),
            ("search, no match", f"{base}&search=zz-no-such-customer", None, uncached),
        ]
        print(
            f"\nGET /v1/orders, {args.runs} runs each        p50 ms   p95 ms   count   target p50"
        )
        for label, url, target, before in cases:
            p50, p95, count = await timed(c, url, args.runs, before)
            verdict = (
                ""
                if target is None
                else (f"<= {target:.0f} ms {'OK' if p50 <= target else 'MISSED'}")
            )
            print(f"  {label:<32} {p50:8.2f} {p95:8.2f} {count:7d}   {verdict}")

        if any(m.__name__.endswith(".segments") for m in state.modules):
            org = state.db.scalar("SELECT organization_id FROM editions WHERE id = ?", (edition,))
            r = await c.post(
                "/v1/segments",
                json={
                    "organization_id": org,
                    "edition_id": edition,
                    "name": "bench: Danes with orders",
                    "communication_type": "transactional",
                    "communication_channel": "any",
                    "condition": 'user.language == "da" && orders.exists(o, o.amount >= 500.0)',
                },
            )
            if r.status_code != 201:
                print(f"\nsegment create answered {r.status_code}: {r.text[:300]}")
            else:
                sid = r.json()["id"]
                began = time.perf_counter()
                r = await c.post(f"/v1/segments/{sid}/recalculate")
                status = r.json().get("status")
                seg = r.json()
                while status not in ("completed", "failed"):
                    await asyncio.sleep(0.01)
                    seg = (await c.get(f"/v1/segments/{sid}")).json()
                    status = seg["status"]
                elapsed = time.perf_counter() - began
                print(
                    f"\nsegment recalculation over the edition's users: {elapsed:.2f} s "
                    f"({status}, user_count {seg.get('user_count')}; target <= 2 s "
                    f"{'OK' if elapsed <= 2 and status == 'completed' else 'MISSED'})"
                )
    await state.stop()
    if server is not None:
        server.should_exit = True
        await serving


if __name__ == "__main__":
    asyncio.run(main())
