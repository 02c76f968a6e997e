"""``--sandbox`` starts from its disk cache: the cache is named after the sandbox's database, not
its port (new on every launch), so a second launch draws the previous home before the sandbox
answers, then replaces it with fresh figures."""

from __future__ import annotations

import asyncio
from pathlib import Path

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.sandbox_process import SandboxProcess
from preo_tui.ui.session import SandboxInfo
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


class HeldSandbox:
    """A sandbox handle on the in-process backend, on a given port, that answers when let."""

    def __init__(self, backend: SandboxBackend, db: Path, port: int) -> None:
        self.backend = backend
        self.port = port
        self.gate = asyncio.Event()
        self.gate.set()
        self._identity = SandboxProcess(db, port=port).cache_identity

    @property
    def cache_identity(self) -> str:
        return self._identity

    async def ready(self) -> SandboxInfo:
        await self.gate.wait()
        return SandboxInfo(
            base_url=f"http://127.0.0.1:{self.port}", admin_token=self.backend.token("admin")
        )

    def stop(self) -> None:
        pass

    @property
    def running(self) -> bool:
        return True


def test_the_cache_identity_ignores_the_port(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    assert (
        SandboxProcess(db, port=1111).cache_identity == SandboxProcess(db, port=2222).cache_identity
    )
    assert (
        SandboxProcess(db).cache_identity != SandboxProcess(tmp_path / "b.sqlite3").cache_identity
    )


async def test_second_sandbox_launch_draws_the_cached_home_then_fresh_figures(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    first = make_app(role=None, sandbox=HeldSandbox(sandbox_backend, db, 1111))
    async with first.run_test(size=(80, 24)) as pilot:
        cached = (await wait_for_home(pilot)).summary
    assert cached.refunds_waiting
    # The server's data changes while the app is closed.
    edition = cached.edition_id
    with sandbox_backend.state.db.transaction() as db_:
        db_.execute(
            "UPDATE refund_requests SET status = 'rejected' WHERE pk = (SELECT pk FROM"
            " refund_requests WHERE edition_id = ? AND status = 'requested' LIMIT 1)",
            (edition,),
        )
    cache_files = sorted(p.name for p in first.cache_dir.iterdir())

    held = HeldSandbox(sandbox_backend, db, 2222)  # a new port, as on every launch
    held.gate.clear()
    second = make_app(role=None, sandbox=held)
    async with second.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, HomeScreen)
        # Drawn from the disk cache while the sandbox has not answered yet.
        await wait_until(pilot, lambda: screen.summary is not None, what="cached figures")
        assert not second.session_ready.is_set()
        assert screen.summary.model_dump(mode="json") == cached.model_dump(mode="json")
        held.gate.set()
        await wait_for_home(pilot)
        await wait_until(
            pilot,
            lambda: screen.summary.refunds_waiting == cached.refunds_waiting - 1,
            what="fresh figures replacing the cached ones",
        )
    # the same cache file both times: no file per launch
    assert sorted(p.name for p in second.cache_dir.iterdir()) == cache_files
