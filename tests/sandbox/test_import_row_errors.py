"""A data import whose rows are wrong in each way the sandbox checks: the preview names each
problem by row, the import skips those orders (counting their rows as failed), and an import
where no row can be imported ends ``failed`` with a reason."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.fixtures.sandbox import Sandbox

HEADER = "Order;E-mail;Mobile;Ticket type;Qty;Amount;Order date\n"
ROWS = (
    "R-1;ok@example.com;;Weekend Pass;1;;2026-05-01T10:00:00Z\n"
    "R-2;not-an-email;;Weekend Pass;1;;\n"
    "R-3;;;Weekend Pass;1;;\n"
    "R-4;q@example.com;;Weekend Pass;0;;\n"
    "R-5;p@example.com;;Weekend Pass;1;cheap;\n"
    "R-6;d@example.com;;Weekend Pass;1;;someday\n"
    "R-7;m@example.com;;Mystery Box;1;;\n"
    "R-8;c@example.com;;Weekend Pass;2;99,5;\n"
)


async def imported(c: httpx.AsyncClient, sandbox: Sandbox, csv_text: str) -> str:
    r = await c.post(
        "/v1/data-imports",
        json={
            "edition_id": sandbox.editions["current"],
            "data_file_name": "orders.csv",
            "data_file_base64": base64.b64encode(csv_text.encode()).decode(),
        },
    )
    assert r.status_code == 201, r.text
    iid = str(r.json()["id"])
    r = await c.post(f"/v1/data-imports/{iid}/process-column-mappings")
    assert r.status_code == 200 and r.json()["stage"] == "needs_product_mapping", r.text
    return iid


async def previews(c: httpx.AsyncClient, iid: str) -> dict[str, Any]:
    r = await c.get(f"/v1/data-imports/{iid}/preview-orders", params={"page_size": 100})
    assert r.status_code == 200, r.text
    return {o["order_number"]: o for o in r.json()["results"]}


async def test_each_row_problem_is_named_and_skipped(sandbox: Sandbox) -> None:
    c = sandbox.client()
    iid = await imported(c, sandbox, HEADER + ROWS)
    orders = await previews(c, iid)
    # (rows are counted from the first data row, as in the preview's "rows")
    errors = {n: o["errors"] for n, o in orders.items()}
    assert errors == {
        "R-1": [],
        "R-2": ["row 2: invalid email 'not-an-email'"],
        "R-3": ["row 3: no email or phone"],
        "R-4": ["row 4: invalid quantity '0'"],
        "R-5": ["row 5: invalid price 'cheap'"],
        "R-6": ["row 6: invalid date 'someday'"],
        "R-7": ["row 7: product 'Mystery Box' is not mapped"],
        "R-8": [],
    }
    assert [n for n, o in orders.items() if o["valid"]] == ["R-1", "R-8"]
    [purchase] = orders["R-8"]["purchases"]
    assert (purchase["quantity"], purchase["unit_price"]) == (2, 99.5)

    r = await c.post(f"/v1/data-imports/{iid}/start")
    assert r.status_code == 202
    await sandbox.idle()
    done = (await c.get(f"/v1/data-imports/{iid}")).json()
    assert (done["stage"], done["imported_orders"], done["failed_rows"]) == ("completed", 2, 6)
    numbers = {
        row["order_number"]
        for row in sandbox.db.query("SELECT order_number FROM orders WHERE order_number LIKE 'R-%'")
    }
    assert numbers == {"R-1", "R-8"}


async def test_an_import_with_no_importable_row_fails(sandbox: Sandbox) -> None:
    c = sandbox.client()
    iid = await imported(
        c, sandbox, HEADER + "Z-1;;;Weekend Pass;1;;\nZ-2;x@example.com;;Weekend Pass;-2;;\n"
    )
    r = await c.post(f"/v1/data-imports/{iid}/start")
    assert r.status_code == 202
    await sandbox.idle()
    done = (await c.get(f"/v1/data-imports/{iid}")).json()
    assert done["stage"] == "failed"
    assert done["error_message"] == "No row could be imported; check the mappings."
    assert (done["imported_orders"], done["failed_rows"]) == (0, 2)
    changes = [to for _, to in sandbox.db.state_changes(iid)]
    assert changes[-2:] == ["importing", "failed"]
