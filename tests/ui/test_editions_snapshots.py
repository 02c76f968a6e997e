"""Snapshots of ``:editions`` at 80x24 and 160x48: the list with its detail pane (settings and
the healthcheck checklist), and the new / edit / duplicate forms (the last with field errors)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from preo_tui.ui.editions.form import DuplicateEditionModal, EditionFormModal
from preo_tui.ui.editions.screen import EditionsScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    no_blink,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page

SIZE_IDS = list(SIZES)


async def editions_with_detail(pilot: Any, name: str = "Winter 2027") -> EditionsScreen:
    screen = await open_first_page(pilot, "editions", EditionsScreen, what="editions")
    target = next(e for e in screen.table.items if e.name == name)
    screen.table.move_to_id(target.id)
    await wait_until(pilot, lambda: target.id in screen.health, what="healthcheck")
    await wait_for_workers(pilot)
    return screen


@pytest.mark.parametrize("size", SIZE_IDS)
def test_editions_list_and_detail(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await editions_with_detail(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_new_edition_form(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await editions_with_detail(pilot, "2026")
        await pilot.press("n")
        form = await wait_for_screen(pilot, EditionFormModal)
        form.query_one("#f-name", Input).value = "2028"
        form.query_one("#f-slug", Input).value = "nordlys 2028"
        form.query_one("#f-start_date", Input).value = "2028-07-04"
        form.query_one("#f-end_date", Input).value = "2028-07-01"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("slug") != "", what="errors")
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_edit_edition_form(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await editions_with_detail(pilot, "2026")
        await pilot.press("e")
        await wait_for_screen(pilot, EditionFormModal)
        await wait_for_workers(pilot)
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_duplicate_edition_form(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def before(pilot: Any) -> None:
        await editions_with_detail(pilot, "2026")
        await pilot.press("c")
        form = await wait_for_screen(pilot, DuplicateEditionModal)
        form.query_one("#f-name", Input).value = "2026 rerun"
        form.query_one("#f-start_date", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("start_date") != "", what="errors")
        no_blink(pilot.app)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=before)
