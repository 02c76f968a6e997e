"""Snapshots of the "Check this server" screen (80x24 and 160x48), over a sandbox made to
differ from the contract (two routes renamed, one field gone), problems and overrides shown."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.ui.doctor.screen import DoctorScreen
from tests.doctor.test_doctor import DIFF
from tests.doctor.wrapper import differing
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)


@pytest.mark.parametrize("size", list(SIZES))
def test_doctor_screen(
    snap_compare: Any,
    make_still_app: AppFactory,
    still_sandbox_backend: SandboxBackend,
    size: str,
) -> None:
    still_sandbox_backend.asgi = differing(still_sandbox_backend.asgi, DIFF)

    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        assert pilot.app.jump("doctor")
        screen = await wait_for_screen(pilot, DoctorScreen)
        await wait_until(pilot, lambda: screen.report is not None, within=30, what="report")
        await wait_for_workers(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
