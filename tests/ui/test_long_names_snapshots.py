"""Lists with long real-world names (the demo seed's, ``sandbox/seed_fixups.add_long_names``)
at 80x24 and 160x48: names and e-mails take the free width, a cut keeps the distinguishing end
("… (DA)" / "… (SE)"), the detail pane shows the whole value (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.sandbox.seed_fixups import add_long_names
from preo_tui.ui.campaigns.screen import CampaignsScreen
from preo_tui.ui.emails.screen import EmailsScreen
from preo_tui.ui.segments.screen import SegmentsScreen
from preo_tui.ui.users.screen import UsersScreen
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)

LISTS: dict[str, tuple[str, type, str, str]] = {
    # list: (jump name, screen, search text, id of the row to select)
    "campaigns": ("campaigns", CampaignsScreen, "Festival guide", "cmp_long_names_1"),
    # (the contract's email list has no free-text search: the row is found in the window)
    "emails": ("emails", EmailsScreen, "", "eml_long_names"),
    "segments": ("segments", SegmentsScreen, "camping ticket", "seg_long_names"),
    "customers": ("users", UsersScreen, "maria.fernanda", ""),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(LISTS))
def test_long_names(
    snap_compare: Any,
    make_still_app: AppFactory,
    still_sandbox_backend: SandboxBackend,
    name: str,
    size: str,
) -> None:
    db = still_sandbox_backend.state.db
    with db.transaction():
        add_long_names(db)
    jump, screen_type, search, row_id = LISTS[name]

    async def run_before(pilot: Any) -> None:
        await wait_for_home(pilot)
        assert pilot.app.jump(jump)
        screen: Any = await wait_for_screen(pilot, screen_type)
        await wait_until(pilot, lambda: screen.table.total is not None, what="first page")
        screen.apply_filter(search)
        await wait_until(
            pilot,
            lambda: (
                screen.table.items
                and all(
                    search.lower() in str(screen.row_cells(i)).lower() for i in screen.table.items
                )
            ),
            what="the long names",
        )
        if row_id:
            assert screen.table.move_to_id(row_id)
        await wait_until(pilot, lambda: screen.table.current_item is not None, what="row")
        await wait_for_workers(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_still_app(), terminal_size=SIZES[size], run_before=run_before)
