"""Snapshots of ``:consents`` (list with customer and segment counts, detail with the preview)
at 80x24 and 160x48."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.ui.consents.screen import ConsentsScreen
from tests.fixtures.app import SIZES, AppFactory, wait_for_workers, wait_until
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_consents_list(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        screen = await open_first_page(pilot, "consents", ConsentsScreen, what="consents")
        await wait_until(pilot, lambda: screen.usage is not None, what="usage")
        first = screen.table.current_item
        assert first is not None
        await wait_until(pilot, lambda: first.id in screen.details, what="detail")
        await wait_for_workers(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
