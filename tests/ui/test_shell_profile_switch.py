"""Switching to production and back keeps the embedded sandbox (and its port): the sandbox
profile's URL comes from the running sandbox, not the profile's default port."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.config import default_settings
from preo_tui.ui.app import PreoApp
from preo_tui.ui.home.screen import HomeScreen
from tests.fixtures.app import Dirs, wait_for_screen


class FakeSandbox:
    def __init__(self) -> None:
        self.stopped = 0

    async def ready(self) -> Any:
        raise RuntimeError("not needed here")

    def stop(self) -> None:
        self.stopped += 1

    @property
    def running(self) -> bool:
        return not self.stopped


async def test_production_and_back_keeps_the_sandbox(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = default_settings()
    sandbox = FakeSandbox()
    app = PreoApp(
        settings.profile("sandbox"), settings=settings, sandbox=sandbox, remember_profile=False
    )
    sessions: list[Any] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, HomeScreen)
        monkeypatch.setattr(app, "start_session", lambda: sessions.append(app.sandbox))
        await app.switch_profile(settings.profile("production"))
        assert app.sandbox is None  # production never talks to the sandbox
        await app.switch_profile(settings.profile("sandbox"))
        assert app.sandbox is sandbox  # back: the same sandbox, so the same port
        assert sessions == [None, sandbox]
    assert sandbox.stopped  # still stopped with the app
