"""Editions over HTTP: list filters/ordering, derived status, create/update rules, duplicate,
field choices, healthcheck, roles."""

from __future__ import annotations

from tests.fixtures.sandbox import Sandbox


async def test_seeded_editions_and_derived_status(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        body = (await c.get("/v1/editions", params={"ordering": "created"})).json()
        by_id = {e["id"]: e for e in body["results"]}
        assert by_id[sandbox.editions["past"]]["status"] == "past"
        assert by_id[sandbox.editions["current"]]["status"] == "current"
        assert by_id[sandbox.editions["upcoming"]]["status"] == "upcoming"
        draft = by_id[sandbox.editions["draft"]]
        assert draft["status"] == "no_dates" and draft["is_draft"] is True
        assert by_id[sandbox.editions["second_org"]]["timezone"] == "Europe/Stockholm"
        for status in ("past", "current", "upcoming", "no_dates"):
            got = (await c.get("/v1/editions", params={"status": status})).json()["results"]
            assert got and {e["status"] for e in got} == {status}
        got = (await c.get("/v1/editions", params={"is_draft": "true"})).json()["results"]
        assert [e["id"] for e in got] == [sandbox.editions["draft"]]
        got = (await c.get("/v1/editions", params={"ordering": "-name"})).json()["results"]
        assert [e["name"] for e in got] == sorted((e["name"] for e in got), reverse=True)
        r = await c.get("/v1/editions", params={"status": "soon"})
        assert r.status_code == 400 and "status" in r.json()
    async with sandbox.client("staff") as c:
        got = (await c.get("/v1/editions")).json()
        assert sandbox.editions["second_org"] not in [e["id"] for e in got["results"]]


async def test_create_validates_and_generates_slug(sandbox: Sandbox) -> None:
    org = sandbox.organizations[0]
    event = sandbox.db.scalar(
        "SELECT event_id FROM editions WHERE id = ?", (sandbox.editions["current"],)
    )
    base = {
        "organization_id": org,
        "event_id": event,
        "name": "Spring Æble 2028",
        "start_date": "2028-04-01T10:00:00+02:00",
        "end_date": "2028-04-03T23:00:00+02:00",
        "timezone": "Europe/Copenhagen",
        "default_country_code": "+45",
        "default_language": "da",
        "enabled_languages": ["da", "en"],
        "tax_type": "vat",
    }
    async with sandbox.client("staff") as c:
        assert (await c.post("/v1/editions", json=base)).status_code == 403
    async with sandbox.client("manager") as c:
        r = await c.post("/v1/editions", json=base)
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["slug"] == "spring-aeble-2028" and created["status"] == "upcoming"
        assert created["start_date"] == "2028-04-01T08:00:00+00:00"
        r = await c.post("/v1/editions", json={**base, "slug": "spring-aeble-2028"})
        assert r.status_code == 400 and "slug" in r.json()
        r = await c.post("/v1/editions", json={**base, "slug": "bad slug!"})
        assert r.status_code == 400 and "slug" in r.json()
        r = await c.post(
            "/v1/editions",
            json={
                **base,
                "timezone": "Mars/Olympus",
                "default_language": "sv",
                "default_country_code": "+999",
                "end_date": "2020-01-01T00:00:00Z",
            },
        )
        body = r.json()
        assert r.status_code == 400
        assert {"default_language", "default_country_code"} <= set(body)
        r = await c.post(
            "/v1/editions",
            json={**base, "timezone": "Mars/Olympus", "end_date": "2020-01-01T00:00:00Z"},
        )
        assert set(r.json()) == {"timezone", "end_date"}
        r = await c.post("/v1/editions", json={**base, "organization_id": sandbox.organizations[1]})
        assert r.status_code == 403  # manager is only staff in the second organization


async def test_update_duplicate_and_roles(sandbox: Sandbox) -> None:
    eid = sandbox.editions["upcoming"]
    async with sandbox.client() as c:
        r = await c.patch(
            f"/v1/editions/{eid}", json={"name": "2027 (sold out)", "is_archived": True}
        )
        assert r.status_code == 200 and r.json()["is_archived"] is True
        r = await c.get("/v1/editions", params={"is_archived": "false"})
        assert eid not in [e["id"] for e in r.json()["results"]]
        r = await c.patch(f"/v1/editions/{eid}", json={"default_language": "pl"})
        assert r.status_code == 400 and "enabled_languages" in r.json()
        r = await c.patch(f"/v1/editions/{eid}", json={"name": None})
        assert r.status_code == 400 and "name" in r.json()
        r = await c.post(
            f"/v1/editions/{sandbox.editions['current']}/duplicate", json={"name": "2026 rehearsal"}
        )
        assert r.status_code == 201
        copy = r.json()
        assert copy["is_draft"] is True and copy["name"] == "2026 rehearsal"
        assert copy["id"] != sandbox.editions["current"]
        products = sandbox.db.scalar(
            "SELECT COUNT(*) FROM products WHERE edition_id = ?", (copy["id"],)
        )
        assert products == sandbox.db.scalar(
            "SELECT COUNT(*) FROM products WHERE edition_id = ?", (sandbox.editions["current"],)
        )
        r = await c.post(f"/v1/editions/{sandbox.editions['current']}/duplicate")
        assert r.status_code == 201 and r.json()["slug"] != copy["slug"]
        assert (await c.get("/v1/editions/edt_nope")).status_code == 404
    async with sandbox.client("staff") as c:
        assert (await c.patch(f"/v1/editions/{eid}", json={"name": "x"})).status_code == 403
        assert (await c.post(f"/v1/editions/{eid}/duplicate")).status_code == 403
        r = await c.get(f"/v1/editions/{sandbox.editions['second_org']}")
        assert r.status_code == 404


async def test_field_choices_and_healthcheck(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        choices = (await c.get(f"/v1/editions/{sandbox.editions['current']}/field-choices")).json()
        assert {
            "timezone",
            "default_language",
            "default_country_code",
            "tax_type",
            "enabled_languages",
        } <= set(choices)
        assert {"value": "se", "label": "Svenska"} in choices["default_language"]
        assert "Europe/Copenhagen" in [z["value"] for z in choices["timezone"]]
        assert [c["value"] for c in choices["tax_type"]] == ["none", "vat", "sales"]
        draft = (await c.get(f"/v1/editions/{sandbox.editions['draft']}/healthcheck")).json()
        codes = {ch["code"]: ch["level"] for ch in draft["checks"]}
        assert draft["ok"] is False and codes["merchant_account"] == "error"
        assert codes["dates"] == "warning" and codes["receipt_email"] == "warning"
        assert all(set(ch) == {"code", "level", "message"} for ch in draft["checks"])
        current = (await c.get(f"/v1/editions/{sandbox.editions['current']}/healthcheck")).json()
        assert current["ok"] is True
