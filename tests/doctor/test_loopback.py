"""Doctor over real HTTP: a ``preo-sandbox`` child process on a loopback port (uvicorn), signed
in with the sandbox admin's password, as ``preo-tui --sandbox doctor`` does."""

from __future__ import annotations

import pytest

from preo_tui.config import default_settings
from preo_tui.doctor.cli import check
from preo_tui.ui.sandbox_process import SandboxProcess
from tests.fixtures.app import Dirs


@pytest.mark.slow
async def test_doctor_over_loopback_holds_every_assumption(isolated_dirs: Dirs) -> None:
    sandbox = SandboxProcess(isolated_dirs.data / "sandbox.sqlite3", extra_args=("--scale", "tiny"))
    sandbox.start()
    try:
        info = await sandbox.ready()
        profile = default_settings().profile("sandbox").with_server(info.base_url)
        report = await check(
            profile, token=None, login=(info.admin_email or "", info.admin_password or "")
        )
    finally:
        sandbox.stop()
    assert report.server == info.base_url
    assert report.exit_code == 0, [r.note() for r in report.operations if r.failed]
    assert report.signed_in_as == info.admin_email
