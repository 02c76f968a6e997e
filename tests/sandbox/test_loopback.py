"""The sandbox over real loopback HTTP (uvicorn started by the test on a free port), and the
``preo-sandbox`` command line (restart keeps data, ``--reset`` reseeds)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from preo_tui.sandbox.cli import listen_socket
from tests.fixtures.sandbox import Sandbox


@pytest.mark.slow
async def test_real_loopback_server(sandbox: Sandbox) -> None:
    sock = listen_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP  # so asyncio sets TCP_NODELAY on each connection
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await sandbox.wait_for(lambda: server.started, within=10)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            r = await c.post(
                "/v1/auth/token", json={"email": "manager@sandbox.preo.dev", "password": "sandbox"}
            )
            assert r.status_code == 200
            auth = {"Authorization": f"Bearer {r.json()['access']}"}
            listing = (
                await c.get(
                    "/v1/refund-requests",
                    headers=auth,
                    params={"status": "requested", "page_size": 2},
                )
            ).json()
            assert listing["next"].startswith(f"{base}/v1/refund-requests?")
            rid = listing["results"][0]["id"]
            # every accepted keep-alive connection has Nagle off (no 40 ms per small response)
            connections = list(server.server_state.connections)
            assert connections
            for conn in connections:
                raw = conn.transport.get_extra_info("socket")
                assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            r = await c.post(f"/v1/refund-requests/{rid}/approve", headers=auth)
            assert r.status_code == 200 and r.json()["status"] == "ready"
            await sandbox.idle()
            r = await c.get(f"/v1/refund-requests/{rid}", headers=auth)
            assert r.json()["status"] in ("processed", "failed")
            # a dropped connection is a real protocol error on the wire
            admin = {"Authorization": f"Bearer {sandbox.tokens['admin']}"}
            await c.put(
                "/_sandbox/faults", json={"error_rate": 1.0, "kinds": ["drop"]}, headers=admin
            )
            with pytest.raises(httpx.TransportError):
                await c.get("/v1/editions", headers=auth)
            await c.put("/_sandbox/faults", json={"error_rate": 0.0}, headers=admin)
            r = await c.get("/v1/editions", headers=auth)
            assert r.status_code == 200
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def run_cli(*args: str, timeout: float = 60) -> str:
    """Start preo-sandbox, wait for its start-up banner, stop it (SIGTERM), return stdout."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "preo_tui.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Application startup complete" in line or "Traceback" in line:
                break
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=timeout)
        lines.append(out)
    return "".join(lines)


@pytest.mark.slow
def test_cli_seeds_once_then_reuses_and_resets(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    first = run_cli("--db", str(db), "--scale", "tiny", "--seed", "7")
    assert "seeded" in first and "listening on http://127.0.0.1:" in first
    assert "admin@sandbox.preo.dev" in first and "  staff    ey" in first
    second = run_cli("--db", str(db), "--scale", "tiny", "--seed", "7")
    assert "reused" in second
    third = run_cli("--db", str(db), "--scale", "tiny", "--seed", "7", "--reset")
    assert "seeded" in third


def test_cli_rejects_bad_flags(capsys: Any) -> None:
    from preo_tui.sandbox.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--error-rate", "3", "--db", ":memory:"])
    assert exc.value.code == 2
    assert "--error-rate" in capsys.readouterr().err


async def test_restart_keeps_data_and_resumes_payouts(tmp_path: Path) -> None:
    from preo_tui.sandbox.db import Database
    from preo_tui.sandbox.settings import SandboxSettings
    from preo_tui.sandbox.state import SandboxState
    from tests.fixtures.sandbox import SANDBOX_NOW, make_sandbox

    path = tmp_path / "keep.sqlite3"
    template = make_sandbox()
    file_db = Database(path)
    file_db.copy_from(template.db)
    template.db.close()
    slow = SandboxSettings(db=str(path), scale="tiny", seed_now=SANDBOX_NOW, speed=0.001)
    first = SandboxState(slow, db=file_db)
    assert not first.seeded_now
    await first.start()
    rid = first.db.scalar("SELECT id FROM refund_requests WHERE status = 'requested' LIMIT 1")
    from preo_tui.sandbox.app import create_app

    app = create_app(state=first)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://x",
        headers={"Authorization": f"Bearer {first.static_tokens['admin']}"},
    ) as c:
        assert (await c.post(f"/v1/refund-requests/{rid}/approve")).status_code == 200
    await first.stop()  # the payout step was pending (speed 0.001: 1000 s away)
    first.db.close()

    second = SandboxState(slow.model_copy(update={"speed": 100_000.0}))
    assert not second.seeded_now
    assert second.db.scalar("SELECT status FROM refund_requests WHERE id = ?", (rid,)) == "ready"
    await second.start()
    await second.idle()
    final = second.db.scalar("SELECT status FROM refund_requests WHERE id = ?", (rid,))
    assert final in ("processed", "failed")
    await second.stop()
    second.db.close()
