"""Snapshots of the shell: sign-in, home, help overlay (80x24 and 160x48) and the production
badge. The clock is frozen at the sandbox seed's instant, so figures and ages are stable."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.config import default_settings
from preo_tui.ui.shell.help import HelpScreen
from preo_tui.ui.shell.signin import SignInScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    no_blink,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
)

SIZE_IDS = list(SIZES)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_sign_in_screen(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_screen(pilot, SignInScreen)
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(role=None), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_home_screen(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_help_overlay(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


def test_production_badge(snap_compare: Any, make_still_app: AppFactory) -> None:
    production = default_settings().profile("production")

    async def before(pilot: Any) -> None:
        await wait_for_home(pilot)

    assert snap_compare(
        make_still_app(profile=production), terminal_size=SIZES["80x24"], run_before=before
    )
