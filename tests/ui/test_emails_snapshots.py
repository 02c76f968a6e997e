"""Snapshots of the email messages screen (list with detail) and the rendered preview, at
80x24 and 160x48. Update with ``pytest --snapshot-update`` and review the SVGs."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.ui.emails.preview import EmailPreviewScreen
from tests.fixtures.app import SIZES, AppFactory, wait_for_screen, wait_until
from tests.ui.test_campaigns_snapshots import settle
from tests.ui.test_emails import open_emails, select

SIZE_IDS = list(SIZES)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_emails_list(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_emails(pilot)
        await select(pilot, screen, "Line-up announcement")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_email_preview(snap_compare: Any, make_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_emails(pilot)
        await select(pilot, screen, "Line-up announcement")
        await pilot.press("p")
        preview: EmailPreviewScreen = await wait_for_screen(pilot, EmailPreviewScreen)
        await wait_until(pilot, lambda: preview.preview is not None, what="the preview")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)
