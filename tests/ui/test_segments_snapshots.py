"""Snapshots of the segments screen (list, detail) and the segment editor (an error shown,
completion open) at 80x24 and 160x48. Update with ``pytest --snapshot-update`` and review the
SVGs in ``__snapshots__`` before committing."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from preo_tui.ui.segments.editor import SegmentEditorScreen
from preo_tui.ui.segments.screen import SegmentsScreen
from tests.fixtures.app import SIZES, AppFactory, wait_for_screen, wait_for_workers, wait_until
from tests.ui.helpers import select_by_name
from tests.ui.test_segments import open_segments

SIZE_IDS = list(SIZES)


async def _settle(pilot: Any) -> None:
    await wait_for_workers(pilot)
    for widget in pilot.app.screen.query("TextArea"):
        widget.cursor_blink = False
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


async def _editor(pilot: Any, text: str) -> Any:
    await open_segments(pilot)
    await pilot.press("n")
    screen: SegmentEditorScreen = await wait_for_screen(pilot, SegmentEditorScreen)
    await wait_until(pilot, lambda: screen.context_source == "edition", what="context")
    await wait_for_workers(pilot)
    screen.query_one("#f-name", Input).value = "Returning Danes"
    screen.query_one("#f-description", Input).value = "Danish speakers who ordered before"
    # (typing is covered by the Pilot tests; here the text is loaded at once)
    screen.editor.focus_input()
    screen.editor.text = text
    area = screen.editor.area
    area.move_cursor(area.document.end)
    await wait_until(pilot, lambda: screen.editor.text == text, what="the text")
    return screen


@pytest.mark.parametrize("size", SIZE_IDS)
def test_segments_list(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await open_segments(pilot)
        await _settle(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_segments_detail(snap_compare: Any, make_still_app: AppFactory, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        screen: SegmentsScreen = await open_segments(pilot)
        await select_by_name(pilot, screen, "Corporate addresses")
        await _settle(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_segment_editor_with_an_error(
    snap_compare: Any, make_still_app: AppFactory, size: str
) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await _editor(pilot, 'user.language == "da" && user.agee > 30')
        await wait_until(pilot, lambda: screen.editor.diagnostics != (), what="the error")
        if screen.editor.menu.is_open:
            await pilot.press("escape")
        await _settle(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_segment_editor_with_completion_open(
    snap_compare: Any, make_still_app: AppFactory, size: str
) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await _editor(pilot, 'orders.exists(o, o.status == "completed") && user.')
        assert screen.editor.open_completion()
        await _settle(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_segment_editor_with_estimate(
    snap_compare: Any, make_still_app: AppFactory, size: str
) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await _editor(
            pilot, 'user.language == "da" &&\n  orders.exists(o, o.amount >= 500.0)'
        )
        await wait_until(pilot, lambda: screen.editor.server_state == "ok", what="estimate")
        if screen.editor.menu.is_open:
            await pilot.press("escape")
        await _settle(pilot)

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)
