"""The orders CSV export redraws its progress a few times a second, not per page, and still
writes every row in order and ends with the exact count."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import ProgressBar

import preo_tui.ui.orders.export as export
from preo_tui.api.orders import Order
from preo_tui.api.orders_export import CSV_COLUMNS
from preo_tui.ui.orders.export import ExportProgressModal
from preo_tui.ui.widgets.paging import SimplePage
from tests.fixtures.app import wait_until

TOTAL = 2_000
PAGE = 100


async def fetch(page: int, page_size: int) -> SimplePage[Order]:
    await asyncio.sleep(0)
    start = (page - 1) * page_size
    orders = [
        Order.model_validate({"id": f"ord_{n:05d}", "order_number": f"NF26-{n:06d}"})
        for n in range(start, min(start + page_size, TOTAL))
    ]
    return SimplePage(TOTAL, orders)


async def test_progress_is_throttled_and_the_file_complete(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(export, "PROGRESS_EVERY", 3600.0)  # one redraw at the start, then none
    updates: list[Any] = []
    original = ProgressBar.update

    def counted(self: ProgressBar, **kwargs: Any) -> None:
        if "progress" in kwargs:
            updates.append(kwargs["progress"])
        original(self, **kwargs)

    monkeypatch.setattr(ProgressBar, "update", counted)
    target = tmp_path / "orders.csv"
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = ExportProgressModal(target, fetch, total=None, page_size=PAGE)
        await app.push_screen(modal)
        await wait_until(pilot, lambda: modal.done, what="export done")
        # the first page, then the final count only (none of the 18 pages between)
        assert set(updates) - {0} == {PAGE, TOTAL}
        result = modal.query_one("#export-result")
        assert f"Wrote {TOTAL:,} orders" in str(result.render())
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[1] for r in rows[1:]] == [f"ord_{n:05d}" for n in range(TOTAL)]
