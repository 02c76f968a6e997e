"""A data import across a server restart and a cancel: an import started while the background
work was not running resumes at start-up and completes; one cancelled while importing stops
and stays cancelled."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.sandbox.test_import_row_errors import HEADER, imported


async def test_an_import_resumes_at_start_up(sandbox_factory: Any) -> None:
    box = sandbox_factory()
    c = box.client()
    iid = await imported(c, box, HEADER + "S-1;s@example.com;;Weekend Pass;1;;\n")
    # What a server stopped in the middle of an import leaves behind (no task runs it now).
    box.db.execute(
        "UPDATE data_imports SET stage = 'importing', running = 1, next_row = 0 WHERE id = ?",
        (iid,),
    )
    assert (await c.get(f"/v1/data-imports/{iid}")).json()["stage"] == "importing"
    await box.start()
    try:
        await box.idle()
        done = (await c.get(f"/v1/data-imports/{iid}")).json()
        assert (done["stage"], done["imported_orders"]) == ("completed", 1)
    finally:
        await box.stop()


async def test_a_cancel_while_importing_stops_it(sandbox_factory: Any) -> None:
    box = sandbox_factory(speed=1.0)  # the importer waits 0.5 s before its first chunk
    c = box.client()
    iid = await imported(c, box, HEADER + "T-1;t@example.com;;Weekend Pass;1;;\n")
    assert (await c.post(f"/v1/data-imports/{iid}/start")).status_code == 202
    [importer] = [t for t in asyncio.all_tasks() if t.get_name() == f"data-import:{iid}"]
    r = await c.post(f"/v1/data-imports/{iid}/cancel")
    assert r.status_code == 200 and r.json()["stage"] == "cancelled"
    await asyncio.wait_for(importer, 10)  # it wakes up, sees the cancel and stops
    done = (await c.get(f"/v1/data-imports/{iid}")).json()
    assert (done["stage"], done["imported_orders"]) == ("cancelled", 0)
    assert box.db.scalar("SELECT COUNT(*) FROM orders WHERE order_number = 'T-1'") == 0
