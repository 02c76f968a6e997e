"""The refund queue at its last page while it shrinks (issue 19): approving until the last
page empties shows the new end of the queue, never "Not supported by this server"."""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.config import default_settings
from preo_tui.ui.refunds.decide import DecisionModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_refunds, quick_refund_polls

PAGE = 5


@pytest.fixture
def small_queue(frozen_clock: Any) -> SandboxBackend:
    return SandboxBackend(requested_refunds=12, refund_failure_rate=0.0)


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)


def requested_ids(backend: SandboxBackend, edition_id: str) -> list[str]:
    rows = backend.state.db.query(
        "SELECT id FROM refund_requests WHERE edition_id = ? AND status = 'requested'"
        " ORDER BY created, pk",
        (edition_id,),
    )
    return [row["id"] for row in rows]


async def test_approving_until_the_last_page_empties_shows_the_new_end(
    small_queue: SandboxBackend, isolated_dirs: Dirs
) -> None:
    settings = default_settings()
    settings = settings.model_copy(
        update={"app": settings.app.model_copy(update={"page_size": PAGE})}
    )
    app = AppFactory(small_queue, isolated_dirs)(settings=settings)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        table = screen.table
        total = table.total
        assert total is not None and total > PAGE
        last = table.total_pages
        await pilot.press("G")  # the window loads page after page down to the last one
        await wait_until(pilot, lambda: table.last_page == last, what="the last page")
        await wait_until(pilot, lambda: len(table.items) == total, what="every row")
        await wait_for_workers(pilot)
        on_last = [table.row_id(item) for item in table.items][(last - 1) * PAGE :]
        assert 1 <= len(on_last) <= PAGE
        edition = screen.ctx.edition
        assert edition is not None

        for refund_id in on_last:  # approve every request of the last page, bottom up
            await wait_until(pilot, lambda: table.current_item is not None, what="a row")
            table.move_to_id(refund_id)
            await pilot.press("a")
            await wait_for_screen(pilot, DecisionModal)
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda rid=refund_id: (
                    screen.outcomes.get(rid) is not None and screen.outcomes[rid].kind == "ok"
                ),
                what=f"{refund_id} approved",
            )
        assert not set(on_last) & set(requested_ids(small_queue, edition.id))

        await pilot.press("r")  # re-read: page `last` is now past the end of the queue
        await wait_until(pilot, lambda: table.last_page == last - 1, what="the new end")
        await wait_for_workers(pilot)
        remaining = requested_ids(small_queue, edition.id)
        assert table.total == len(remaining) == (last - 1) * PAGE
        assert [table.row_id(item) for item in table.items] == remaining
        assert table.cursor_row == len(table.items) - 1
        shown = [(n.title, n.message) for n in app._notifications]
        assert not [s for s in shown if "not supported" in f"{s[0]} {s[1]}".lower()], shown
        assert not [n for n in app._notifications if n.severity == "error"]
