"""Files and data imports over HTTP."""

from __future__ import annotations

import base64
import io
import zipfile

from tests.fixtures.sandbox import Sandbox


async def test_upload_multipart_and_base64_then_list(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/files",
            data={"organization_id": org, "tags": "poster, 2026"},
            files={"file": ("poster.png", b"\x89PNG fake", "image/png")},
        )
        assert r.status_code == 201, r.text
        up = r.json()
        assert up["api_id"].startswith("fil_") and up["tags"] == ["poster", "2026"]
        assert up["file_url"].startswith("http://sandbox.test/_sandbox/files/")
        assert (await c.get(up["file_url"])).content == b"\x89PNG fake"
        r = await c.post(
            "/v1/files",
            json={
                "organization_id": org,
                "file_name": "terms.txt",
                "file_base64": base64.b64encode(b"hello").decode(),
                "tags": ["legal"],
                "caption": "Terms",
            },
        )
        assert r.status_code == 201 and r.json()["caption"] == "Terms"
        r = await c.post(
            "/v1/files", json={"organization_id": org, "file_name": "x.txt", "file_base64": "***"}
        )
        assert r.status_code == 400 and "file_base64" in r.json()
        r = await c.post("/v1/files", json={"file_name": "x.txt", "file_base64": "aGk="})
        assert r.status_code == 400 and r.json()["organization_id"] == ["This field is required."]
        r = await c.post("/v1/files", data={"organization_id": org})
        assert r.status_code == 400 and "file" in r.json()
        listing = (await c.get("/v1/files", params={"tags": "legal,2026"})).json()
        names = {f["file_name"] for f in listing["results"]}
        assert {"poster.png", "terms.txt", "lineup-poster.png"} <= names
        assert all({"legal", "2026"} & set(f["tags"]) for f in listing["results"])
        assert {"legal", "poster", "logo"} <= set(listing["available_tags"])
        named = (
            await c.get("/v1/files", params={"file_name": "POSTER", "ordering": "file_name"})
        ).json()
        file_names = [f["file_name"] for f in named["results"]]
        assert file_names == sorted(file_names) and "poster.png" in file_names
        r = await c.patch(
            f"/v1/files/{up['api_id']}", json={"image_alt_text": "Poster", "tags": ["a"]}
        )
        assert r.json()["image_alt_text"] == "Poster" and r.json()["tags"] == ["a"]


async def test_delete_in_use_needs_force(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        edition = (await c.get(f"/v1/editions/{sandbox.editions['current']}")).json()
        fid = edition["meta_image_id"]
        got = (await c.get(f"/v1/files/{fid}")).json()
        assert {"model": "edition", "id": edition["id"]} in got["usages"]
        r = await c.delete(f"/v1/files/{fid}")
        assert r.status_code == 409 and "force=true" in r.json()["detail"]
        assert (await c.delete(f"/v1/files/{fid}", params={"force": "true"})).status_code == 204
        assert (await c.get(f"/v1/files/{fid}")).status_code == 404
        edition = (await c.get(f"/v1/editions/{sandbox.editions['current']}")).json()
        assert edition["meta_image_id"] is None


CSV = (
    "Order;E-mail;Mobile;First name;Last name;Ticket type;Qty;Order date\n"
    "X-1;ann@example.com;20123456;Ann;Berg;Weekend Pass;2;2026-05-01T10:00:00Z\n"
    "X-1;ann@example.com;20123456;Ann;Berg;Camping Spot;1;2026-05-01T10:00:00Z\n"
    "X-2;bo@example.com;+46701112233;Bo;Ek;VIP weekend pass;1;2026-05-02T10:00:00Z\n"
    "X-3;broken-email;;Cy;Dahl;Mystery Box;1;2026-05-03T10:00:00Z\n"
)


def xlsx(rows: list[list[str]]) -> bytes:
    cells = "".join(
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row) + "</row>"
        for row in rows
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


async def test_csv_import_end_to_end(sandbox: Sandbox) -> None:
    eid = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/data-imports",
            json={
                "edition_id": eid,
                "data_file_name": "orders.csv",
                "data_file_base64": base64.b64encode(CSV.encode()).decode(),
            },
        )
        assert r.status_code == 201, r.text
        imp = r.json()
        assert imp["stage"] == "needs_column_mapping" and imp["total_rows"] == 4
        iid = imp["id"]
        cols = (await c.get(f"/v1/data-imports/{iid}/column-mappings")).json()
        targets = {m["column"]: m["target"] for m in cols}
        assert targets["E-mail"] == "email" and targets["Ticket type"] == "product"
        assert cols[0]["sample_values"][:1] == ["X-1"]
        r = await c.post(f"/v1/data-imports/{iid}/start")
        assert r.status_code == 409
        r = await c.patch(
            f"/v1/data-imports/{iid}/column-mappings",
            json=[{"column": "Ticket type", "target": None}],
        )
        assert r.status_code == 200
        check = (await c.post(f"/v1/data-imports/{iid}/validate-column-mappings")).json()
        assert check["valid"] is False and any("product" in e for e in check["errors"])
        r = await c.post(f"/v1/data-imports/{iid}/process-column-mappings")
        assert r.status_code == 400
        r = await c.patch(
            f"/v1/data-imports/{iid}/column-mappings",
            json=[{"column": "Ticket type", "target": "product"}],
        )
        r = await c.patch(
            f"/v1/data-imports/{iid}/column-mappings", json=[{"column": "Nope", "target": "email"}]
        )
        assert r.status_code == 400
        assert (await c.post(f"/v1/data-imports/{iid}/validate-column-mappings")).json()["valid"]
        r = await c.get(f"/v1/data-imports/{iid}/preview-orders")
        assert r.status_code == 409  # nothing to preview before the columns are processed
        r = await c.patch(f"/v1/data-imports/{iid}/product-mappings", json=[])
        assert r.status_code == 409
        r = await c.post(f"/v1/data-imports/{iid}/process-column-mappings")
        assert r.json()["stage"] == "needs_product_mapping"
        r = await c.post(f"/v1/data-imports/{iid}/process-column-mappings")
        assert r.status_code == 409 and "needs_product_mapping" in r.json()["detail"]
        r = await c.patch(
            f"/v1/data-imports/{iid}/column-mappings", json=[{"column": "Qty", "target": None}]
        )
        assert r.status_code == 409
        products = {
            m["source_name"]: m
            for m in (await c.get(f"/v1/data-imports/{iid}/product-mappings")).json()
        }
        assert products["Weekend Pass"]["product_id"] == "prd_weekend"
        assert products["VIP weekend pass"]["product_id"] == "prd_vip"
        assert products["Mystery Box"]["product_id"] is None
        r = await c.patch(
            f"/v1/data-imports/{iid}/product-mappings",
            json=[{"source_name": "Mystery Box", "product_id": "prd_elsewhere"}],
        )
        assert r.status_code == 400 and "product_id" in r.json()
        preview = (
            await c.get(f"/v1/data-imports/{iid}/preview-orders", params={"page_size": 2})
        ).json()
        assert preview["count"] == 3 and preview["next"]
        first = preview["results"][0]
        assert first["order_number"] == "X-1" and len(first["purchases"]) == 2 and first["valid"]
        assert first["customer"]["phone"] == "+4520123456"
        r = await c.post(f"/v1/data-imports/{iid}/start")
        assert r.status_code == 202 and r.json()["stage"] == "importing"
        await sandbox.idle()
        done = (await c.get(f"/v1/data-imports/{iid}")).json()
        assert done["stage"] == "completed"
        assert done["imported_orders"] == 2 and done["failed_rows"] == 1
        orders = (
            await c.get("/v1/orders", params={"edition_id": eid, "search": "ann@example.com"})
        ).json()
        assert orders["count"] == 1 and orders["results"][0]["type"] == "imported"
        assert orders["results"][0]["status"] == "completed"
        assert (await c.post(f"/v1/data-imports/{iid}/cancel")).status_code == 409
        changes = [to for _, to in sandbox.db.state_changes(iid)]
        assert changes == [
            "uploaded",
            "needs_column_mapping",
            "needs_product_mapping",
            "importing",
            "completed",
        ]


async def test_xlsx_cancel_and_bad_files(sandbox: Sandbox) -> None:
    eid = sandbox.editions["current"]
    data = xlsx([["Email", "Product"], ["a@b.dk", "Weekend Pass"]])
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/data-imports",
            json={
                "edition_id": eid,
                "data_file_name": "orders.xlsx",
                "data_file_base64": base64.b64encode(data).decode(),
                "name": "Box office",
            },
        )
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
        cols = (await c.get(f"/v1/data-imports/{iid}/column-mappings")).json()
        assert [m["target"] for m in cols] == ["email", "product"]
        assert (await c.post(f"/v1/data-imports/{iid}/cancel")).json()["stage"] == "cancelled"
        listed = (await c.get("/v1/data-imports", params={"edition_id": eid})).json()
        assert iid not in [i["id"] for i in listed["results"]]
        listed = (await c.get("/v1/data-imports", params={"include_cancelled": "true"})).json()
        assert iid in [i["id"] for i in listed["results"]]
        for payload in (b"", b"only,a,header\n", b"PK\x03\x04garbage"):
            r = await c.post(
                "/v1/data-imports",
                json={
                    "edition_id": eid,
                    "data_file_name": "x.csv",
                    "data_file_base64": base64.b64encode(payload).decode(),
                },
            )
            assert r.status_code == 400 and "data_file_base64" in r.json(), payload
        r = await c.post(
            "/v1/data-imports",
            json={"edition_id": "edt_nope", "data_file_name": "x.csv", "data_file_base64": "YQ=="},
        )
        assert r.status_code == 400 and "edition_id" in r.json()
    async with sandbox.client("staff") as c:
        r = await c.post(
            "/v1/data-imports",
            json={
                "edition_id": eid,
                "data_file_name": "x.csv",
                "data_file_base64": base64.b64encode(CSV.encode()).decode(),
            },
        )
        assert r.status_code == 403


async def test_seeded_stages_filters_and_external_orders(sandbox: Sandbox) -> None:
    eid = sandbox.editions["current"]
    async with sandbox.client() as c:
        every = (
            await c.get(
                "/v1/data-imports", params={"include_cancelled": "true", "ordering": "stage"}
            )
        ).json()
        stages = [i["stage"] for i in every["results"]]
        assert set(stages) == {
            "uploaded",
            "needs_column_mapping",
            "needs_product_mapping",
            "importing",
            "completed",
            "failed",
            "cancelled",
        }
        assert stages == sorted(stages)
        got = (await c.get("/v1/data-imports", params={"service": "eventbrite"})).json()
        assert got["count"] >= 1 and {i["service"] for i in got["results"]} == {"eventbrite"}
        r = await c.post(
            "/v1/data-imports/external-orders",
            json={
                "edition_id": eid,
                "service": "eventbrite",
                "orders": [
                    {
                        "order_number": "EB-1",
                        "email": "eb1@example.com",
                        "purchases": [{"product_id": "prd_day_fri", "quantity": 2}],
                    },
                    {
                        "order_number": "EB-2",
                        "phone": "+4522334455",
                        "purchases": [{"product_name": "camping spot"}],
                    },
                    {
                        "order_number": "EB-3",
                        "email": "eb3@example.com",
                        "purchases": [{"product_id": "prd_nope"}],
                    },
                ],
            },
        )
        assert r.status_code == 201 and r.json()["stage"] == "importing"
        await sandbox.idle()
        done = (await c.get(f"/v1/data-imports/{r.json()['id']}")).json()
        assert done["stage"] == "completed" and done["imported_orders"] == 2
        assert done["failed_rows"] == 1
        r = await c.post(
            "/v1/data-imports/external-orders",
            json={"edition_id": eid, "service": "x", "orders": []},
        )
        assert r.status_code == 400 and "orders" in r.json()
