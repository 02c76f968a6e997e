"""Files (multipart and base64 uploads) and data imports (the full mapping flow, external
orders) against the sandbox."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from preo_tui.api import Conflict, NotFound, PreoClient, ValidationFailed
from preo_tui.api.data_imports import ColumnTarget, Stage
from preo_tui.api.orders import OrderType

from .conftest import Sandbox, poll_until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_files_upload_list_update_delete(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    org = sandbox.organizations[0]
    path = tmp_path / "logo.png"
    path.write_bytes(PNG)
    from_path = await preo.files.upload(path, organization_id=org, tags=["logo", "client"])
    assert from_path.id == from_path.api_id and from_path.file_name == "logo.png"
    assert set(from_path.tags or []) == {"logo", "client"}
    from_b64 = await preo.files.upload(
        b"hello", organization_id=org, file_name="note.txt", as_base64=True, tags=["client"]
    )
    assert from_b64.file_name == "note.txt"
    from_obj = await preo.files.upload(io.BytesIO(PNG), organization_id=org, file_name="x.png")
    assert from_obj.api_id

    listed = await preo.files.list(organization_id=org, tags=["client"], ordering="file_name")
    assert {from_path.id, from_b64.id} <= {f.id for f in listed.results}
    assert "client" in listed.available_tags
    named = await preo.files.list(organization_id=org, file_name="note")
    assert [f.id for f in named.results] == [from_b64.id]
    assert {f.id async for f in preo.files.iterate(organization_id=org, page_size=5)} >= {
        from_path.id,
        from_b64.id,
        from_obj.id,
    }

    updated = await preo.files.update(from_path.id, caption="Our logo", image_alt_text="Logo")
    assert updated.caption == "Our logo" and updated.image_alt_text == "Logo"
    assert (await preo.files.get(from_path.id)).caption == "Our logo"
    await preo.files.delete(from_b64.id)
    with pytest.raises(NotFound):
        await preo.files.get(from_b64.id)

    with pytest.raises(ValidationFailed) as info:
        await preo.files.upload(tmp_path / "missing.png", organization_id=org)
    assert "file" in info.value.fields and info.value.status is None

    used = [
        f for f in (await preo.files.list(organization_id=org, page_size=500)).results if f.usages
    ]
    if used:
        with pytest.raises(Conflict):
            await preo.files.delete(used[0].id)
        await preo.files.delete(used[0].id, force=True)


CSV = (
    "Email,Phone,First name,Last name,Order no,Product,Qty,Price\n"
    "ann@example.com,+4511111111,Ann,Hansen,IMP-1,{p1},2,100\n"
    "bob@example.com,+4522222222,Bob,Jensen,IMP-2,{p2},1,50\n"
    "bob@example.com,+4522222222,Bob,Jensen,IMP-2,Mystery box,1,10\n"
)


async def test_data_import_full_flow(sandbox: Sandbox, preo: PreoClient) -> None:
    edition = sandbox.editions["current"]
    ctx = await preo.segments.cel_context(edition)
    products = ctx.dynamic_values.products
    assert len(products) >= 2
    csv_text = CSV.format(p1=products[0].name, p2=products[1].name)

    imp = await preo.data_imports.create(
        edition_id=edition, data_file=csv_text.encode(), data_file_name="orders.csv", name="Client"
    )
    assert imp.stage is Stage.NEEDS_COLUMN_MAPPING and imp.total_rows == 3
    mappings = await preo.data_imports.column_mappings(imp.id)
    assert [m.column for m in mappings][:2] == ["Email", "Phone"]
    targets = {
        "Email": ColumnTarget.EMAIL, "Phone": "phone", "First name": "first_name",
        "Last name": "last_name", "Order no": "order_number", "Product": "product",
        "Qty": "quantity", "Price": None,
    }  # fmt: skip
    updated = await preo.data_imports.update_column_mappings(
        imp.id, [m.model_copy(update={"target": targets[m.column]}) for m in mappings]
    )
    assert {m.column: m.target for m in updated}["Price"] is None
    check = await preo.data_imports.validate_column_mappings(imp.id)
    assert check.valid is True
    processed = await preo.data_imports.process_column_mappings(imp.id)
    assert processed.stage is Stage.NEEDS_PRODUCT_MAPPING

    product_maps = await preo.data_imports.product_mappings(imp.id)
    unknown = [m for m in product_maps if m.product_id is None]
    assert [m.source_name for m in unknown] == ["Mystery box"]
    fixed = await preo.data_imports.update_product_mappings(
        imp.id, [{"source_name": "Mystery box", "product_id": products[0].id}]
    )
    assert all(m.product_id for m in fixed)
    preview = await preo.data_imports.preview_orders(imp.id, page_size=1)
    assert preview.count == 2 and preview.has_next and preview.results[0].order_number
    assert len([o async for o in preo.data_imports.iterate_preview_orders(imp.id)]) == 2

    renamed = await preo.data_imports.update(imp.id, name="Client import")
    assert renamed.name == "Client import"
    started = await preo.data_imports.start(imp.id)
    assert started.stage in (Stage.IMPORTING, Stage.COMPLETED)
    done = await poll_until(
        lambda: preo.data_imports.get(imp.id),
        lambda i: i.stage in (Stage.COMPLETED, Stage.FAILED),
    )
    assert done.stage is Stage.COMPLETED and done.imported_orders == 2
    with pytest.raises(Conflict):
        await preo.data_imports.cancel(imp.id)
    imported = await preo.orders.list(edition_id=edition, type=OrderType.IMPORTED, search="IMP-")
    assert {o.order_number for o in imported.results} >= {"IMP-1", "IMP-2"}
    listed = await preo.data_imports.list(edition_id=edition, stage=Stage.COMPLETED)
    assert imp.id in {i.id for i in listed.results}


async def test_data_import_cancel_and_external_orders(sandbox: Sandbox, preo: PreoClient) -> None:
    edition = sandbox.editions["current"]
    imp = await preo.data_imports.create(
        edition_id=edition, data_file=b"a,b\n1,2\n", data_file_name="tiny.csv"
    )
    cancelled = await preo.data_imports.cancel(imp.id)
    assert cancelled.stage is Stage.CANCELLED
    visible = await preo.data_imports.list(edition_id=edition)
    assert imp.id not in {i.id for i in visible.results}
    everything = await preo.data_imports.list(edition_id=edition, include_cancelled=True)
    assert imp.id in {i.id for i in everything.results}

    products = (await preo.segments.cel_context(edition)).dynamic_values.products
    pushed = await preo.data_imports.external_orders(
        edition_id=edition,
        service="shopify",
        orders=[
            {
                "order_number": "EXT-1",
                "email": "ext@example.com",
                "purchases": [{"product_id": products[0].id, "quantity": 1}],
            }
        ],
    )
    assert pushed.stage in (Stage.IMPORTING, Stage.COMPLETED) and pushed.service == "shopify"
    done = await poll_until(
        lambda: preo.data_imports.get(pushed.id),
        lambda i: i.stage in (Stage.COMPLETED, Stage.FAILED),
    )
    assert done.stage is Stage.COMPLETED
    with pytest.raises(ValidationFailed):
        await preo.data_imports.create(edition_id=edition, data_file=b"x")  # no file name
