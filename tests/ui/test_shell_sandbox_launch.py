"""``preo-tui --sandbox``: a real ``preo-sandbox`` child process on a free loopback port (real
HTTP through uvicorn), signed in as its admin; first launch seeds, the next one reuses the data;
the child stops when the app exits."""

from __future__ import annotations

import stat

import pytest

from preo_tui.config import default_settings
from preo_tui.credentials import CredentialStore
from preo_tui.ui.app import PreoApp
from preo_tui.ui.context import EnvironmentKind
from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.sandbox_process import SandboxProcess
from tests.fixtures.app import Dirs, wait_for_home, wait_for_screen


@pytest.mark.slow
async def test_launch_with_sandbox_seeds_then_reuses(isolated_dirs: Dirs) -> None:
    db = isolated_dirs.data / "sandbox.sqlite3"
    settings = default_settings()
    profile = settings.profile("sandbox")
    for run in ("seeded", "reused"):
        sandbox = SandboxProcess(db, extra_args=("--scale", "tiny")).start()
        app = PreoApp(
            profile,
            settings=settings,
            credentials=CredentialStore(isolated_dirs.data),
            sandbox=sandbox,
            cache_dir=isolated_dirs.cache,
            remember_profile=False,
        )
        async with app.run_test(size=(80, 24)) as pilot:
            # The first screen is drawn at once, before the sandbox answers.
            await wait_for_screen(pilot, HomeScreen)
            await wait_for_home(pilot, within=90)
            assert app.ctx.base_url == sandbox.base_url
            assert app.ctx.environment is EnvironmentKind.SANDBOX
            assert app.ctx.role == "admin"
            assert sandbox.running
        assert not sandbox.running  # stopped with the app
        log = sandbox.log_path.read_text()
        assert f"{run} database" in log
        assert stat.S_IMODE(sandbox.log_path.stat().st_mode) == 0o600  # it holds the tokens


async def test_a_sandbox_that_cannot_start_is_reported(isolated_dirs: Dirs) -> None:
    db = isolated_dirs.data / "not-a-dir" / "x.sqlite3"
    db.parent.write_text("a file where the sandbox wants a directory")
    sandbox = SandboxProcess(db, extra_args=("--scale", "tiny"))
    settings = default_settings()
    app = PreoApp(
        settings.profile("sandbox"), settings=settings, sandbox=sandbox, remember_profile=False
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, HomeScreen)
        from tests.fixtures.app import wait_until

        await wait_until(
            pilot,
            lambda: any(n.title == "The sandbox did not start" for n in app._notifications),
            within=60,
            what="the failure message",
        )
        assert app.ctx.client is None


@pytest.mark.slow
async def test_real_sandbox_stopped_mid_session_goes_offline(isolated_dirs: Dirs) -> None:
    from tests.fixtures.app import wait_until

    db = isolated_dirs.data / "sandbox.sqlite3"
    settings = default_settings()
    sandbox = SandboxProcess(db, extra_args=("--scale", "tiny")).start()
    app = PreoApp(
        settings.profile("sandbox"),
        settings=settings,
        sandbox=sandbox,
        cache_dir=isolated_dirs.cache,
        remember_profile=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot, within=90)
        figures = home.summary
        sandbox.stop()  # the server goes away under the operator's feet
        await pilot.press("r")
        await wait_until(pilot, lambda: app.ctx.offline, within=30, what="offline mode")
        assert home.summary == figures
        assert app.connection_state == "offline"
