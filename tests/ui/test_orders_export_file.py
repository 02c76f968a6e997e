"""The export's file is byte for byte the file the model path writes (``csv.writer`` over
``csv_row`` of every ``Order`` of ``Orders.list``, as the export wrote it before issue 20's fast
paths: SQLite-built pages, orjson, ``plain_csv``), on a demo sandbox whose orders hold hostile
text, commas, quotes and nulls."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from textual.app import App

from preo_tui.api.orders_export import CSV_COLUMNS
from preo_tui.ui.orders.export import ExportProgressModal, csv_row
from tests.api.conftest import preo_client
from tests.fixtures.app import wait_until
from tests.fixtures.sandbox import Sandbox

HOSTILE = [
    "Smith, John",  # a comma: the page goes through csv.writer
    'say "hi"',
    "\x1b]52;c;aGVsbG8=\x07",
    "line\nbreak\r\ttab",
    "\u202eevil\u2028",
    "Ødegård Søren",
    "\x9b2J \x85",
]


def spoil(sandbox: Sandbox, edition: str) -> None:
    """Hostile customers on orders spread over the list (so over several pages)."""
    db = sandbox.db
    rows = db.query(
        "SELECT id, customer_id FROM orders WHERE edition_id = ? ORDER BY created DESC",
        (edition,),
    )
    for n, text in enumerate(HOSTILE):
        row = rows[n * 37]
        db.execute(
            "UPDATE users SET first_name = ?, last_name = ?, phone = NULL WHERE id = ?",
            (text, text[::-1], row["customer_id"]),
        )
        db.execute("UPDATE orders SET transaction_id = NULL WHERE id = ?", (row["id"],))


async def test_the_file_is_the_model_paths_file(sandbox: Sandbox, tmp_path: Path) -> None:
    edition = sandbox.editions["current"]
    spoil(sandbox, edition)
    params: dict[str, Any] = {"edition_id": edition, "ordering": "-created"}
    async with preo_client(sandbox) as preo:
        before = io.StringIO(newline="")
        writer = csv.writer(before)
        writer.writerow(CSV_COLUMNS)
        page = 1
        while True:
            models = await preo.orders.list(**params, page=page, page_size=40)
            writer.writerows(csv_row(o) for o in models.results)
            if page * 40 >= models.count:
                break
            page += 1

        async def fetch(page: int, page_size: int) -> Any:
            return await preo.orders.export_page(**params, page=page, page_size=page_size)

        target = tmp_path / "orders.csv"
        app: App[None] = App()
        async with app.run_test(size=(80, 24)) as pilot:
            modal = ExportProgressModal(target, fetch, total=None, page_size=40)
            await app.push_screen(modal)
            await wait_until(pilot, lambda: modal.done or modal.failed, what="export done")
            assert modal.failed is None
    written = target.read_bytes()
    assert written == before.getvalue().encode("utf-8")
    assert written.count(b"\r\n") == models.count + 1 > 200
    assert b'"Smith, John"' in written and b"\x1b" not in written
