"""Snapshots of the campaigns screen: the list, the compose form, the send confirmation and the
stats chart, at 80x24 and 160x48. Update with ``pytest --snapshot-update`` and review the SVGs in
``__snapshots__`` before committing."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from preo_tui.ui.campaigns.compose import CampaignComposeScreen
from preo_tui.ui.campaigns.stats import CampaignStatsScreen
from preo_tui.ui.widgets.confirm import TypedConfirmModal
from tests.fixtures.app import SIZES, AppFactory, wait_for_screen, wait_for_workers, wait_until
from tests.ui.helpers import select_by_name
from tests.ui.test_campaigns import choose, open_campaigns, open_compose

SIZE_IDS = list(SIZES)


async def settle(pilot: Any, *, workers: bool = True) -> None:
    if workers:
        await wait_for_workers(pilot)
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


async def compose_filled(pilot: Any) -> CampaignComposeScreen:
    compose = await open_compose(pilot)
    compose.query_one("#f-name", Input).value = "Autumn news"
    await pilot.press("ctrl+g")
    await choose(pilot, "Danish speakers")
    await wait_for_screen(pilot, CampaignComposeScreen)
    await pilot.press("ctrl+o")
    await choose(pilot, "Line-up announcement")
    await wait_for_screen(pilot, CampaignComposeScreen)
    await wait_until(pilot, lambda: compose.preview_text is not None, what="the preview")
    compose.query_one("#f-name", Input).focus()
    return compose


async def stats_of(pilot: Any, name: str) -> CampaignStatsScreen:
    screen = await open_campaigns(pilot)
    await select_by_name(pilot, screen, name)
    await pilot.press("v")
    stats: CampaignStatsScreen = await wait_for_screen(pilot, CampaignStatsScreen)
    await wait_until(pilot, lambda: stats.stats is not None, what="stats")
    return stats


@pytest.mark.parametrize("size", SIZE_IDS)
def test_campaigns_list(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_campaigns(pilot)
        # the seeded sends finish at once at the test speed: wait for the list to show it
        await wait_until(pilot, lambda: not screen.moving(), what="no send under way")
        await wait_until(pilot, lambda: not screen.status_note, what="no live note")
        await select_by_name(pilot, screen, "Thank you, big spenders")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_campaign_compose(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await compose_filled(pilot)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_campaign_send_confirmation(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_campaigns(pilot)
        await select_by_name(pilot, screen, "Early-bird for next year")
        await pilot.press("s")
        await wait_for_screen(pilot, TypedConfirmModal)
        await pilot.press(*"Early-bird")
        # the send job waits on the dialog: do not wait for the workers
        await settle(pilot, workers=False)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_campaign_stats(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await stats_of(pilot, "Line-up announcement (DA)")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)
