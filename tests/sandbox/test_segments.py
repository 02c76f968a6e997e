"""Segments over HTTP: seed, filters, ordering, CEL checks, the calculation life cycle, 409s.

Counts are checked against an independent reference computed with SQL and plain Python from
the seeded tables, never against the sandbox's own evaluation.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.sandbox import Sandbox

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+\d{6,15}$")


def edition_users(sandbox: Sandbox, edition_id: str) -> list[dict[str, Any]]:
    """Reference: the users with ≥1 order in the edition, with their orders and consents."""
    db = sandbox.db
    users = [
        dict(r)
        for r in db.query(
            "SELECT * FROM users WHERE id IN (SELECT customer_id FROM orders WHERE edition_id = ?)",
            (edition_id,),
        )
    ]
    for u in users:
        u["orders"] = [
            dict(o)
            for o in db.query(
                "SELECT * FROM orders WHERE edition_id = ? AND customer_id = ?",
                (edition_id, u["id"]),
            )
        ]
        for o in u["orders"]:
            o["purchases"] = [
                dict(p) for p in db.query("SELECT * FROM purchases WHERE order_id = ?", (o["id"],))
            ]
        u["consents"] = {
            str(r[0])
            for r in db.query("SELECT consent_id FROM user_consents WHERE user_id = ?", (u["id"],))
        }
    return users


def reference_count(
    sandbox: Sandbox,
    edition_id: str,
    predicate: Callable[[dict[str, Any]], bool],
    channel: str = "any",
    consent: str | None = None,
) -> int:
    n = 0
    for u in edition_users(sandbox, edition_id):
        if channel == "email" and not EMAIL.match(u["email"] or ""):
            continue
        if channel == "sms" and not PHONE.match(u["phone"] or ""):
            continue
        if channel == "pass_push" and not any(
            o["status"] in ("confirmed", "completed")
            and any(p["status"] == "active" for p in o["purchases"])
            for o in u["orders"]
        ):
            continue
        if consent is not None and consent not in u["consents"]:
            continue
        n += bool(predicate(u))
    return n


async def segments(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/v1/segments", params={"page_size": 500, **params})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def by_name(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    found = [s for s in await segments(client) if s["name"] == name]
    assert found, name
    return found[0]


async def create(client: httpx.AsyncClient, sandbox: Sandbox, **body: Any) -> httpx.Response:
    payload = {
        "organization_id": sandbox.organizations[0],
        "edition_id": sandbox.editions["current"],
        "name": "Test segment",
        "communication_type": "transactional",
        "communication_channel": "any",
        "condition": 'user.language == "da"',
        **body,
    }
    return await client.post("/v1/segments", json=payload)


# -- seed ------------------------------------------------------------------------------------------
async def test_seed_has_every_status_with_real_counts(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()  # not started: the seeded statuses as they are
    async with box.client() as c:
        all_segments = await segments(c)
        assert {s["status"] for s in all_segments} == {
            "draft",
            "pending",
            "processing",
            "completed",
            "failed",
        }
        danish = next(s for s in all_segments if s["name"] == "Danish speakers")
        expected = reference_count(
            box, box.editions["current"], lambda u: u["language"] == "da", channel="email"
        )
        assert danish["user_count"] == expected > 0
        assert danish["last_calculated"] is not None
        vip = next(s for s in all_segments if s["name"] == "VIP pass holders")
        assert vip["user_count"] == reference_count(
            box,
            box.editions["current"],
            lambda u: any(
                p["product_id"] == "prd_vip" and p["status"] == "active"
                for o in u["orders"]
                for p in o["purchases"]
            ),
            channel="pass_push",
        )
        failed = next(s for s in all_segments if s["status"] == "failed")
        assert "regular expression" in failed["error_message"]
        for s in all_segments:
            assert s["condition"].strip()


# -- list ------------------------------------------------------------------------------------------
async def test_filters_and_ordering(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        everything = await segments(c)
        assert len(everything) >= 8
        current = await segments(c, edition_id=sandbox.editions["current"])
        assert current and all(s["edition_id"] == sandbox.editions["current"] for s in current)
        marketing = await segments(c, communication_type="marketing")
        assert marketing and all(s["communication_type"] == "marketing" for s in marketing)
        sms = await segments(c, communication_channel="sms")
        assert sms and all(s["communication_channel"] == "sms" for s in sms)
        done = await segments(c, status="completed,failed")
        assert {s["status"] for s in done} == {"completed", "failed"}
        assert [s["name"] for s in await segments(c, search="SPEND")] == ["Big spenders"]
        org2 = await segments(c, organization_id=sandbox.organizations[1])
        assert org2 and all(s["organization_id"] == sandbox.organizations[1] for s in org2)
        names = [s["name"] for s in await segments(c, ordering="name")]
        assert names == sorted(names)
        counts = [
            s["user_count"] for s in await segments(c, ordering="-user_count", status="completed")
        ]
        assert counts == sorted(counts, reverse=True)
        page = (await c.get("/v1/segments", params={"page_size": 3, "ordering": "created"})).json()
        assert len(page["results"]) == 3 and page["count"] == len(everything)
        assert page["next"].startswith("http") and page["previous"] is None
        for bad in ({"status": "done"}, {"communication_channel": "fax"}, {"ordering": "colour"}):
            r = await c.get("/v1/segments", params=bad)
            assert r.status_code == 400, bad
            assert list(r.json()) == [next(iter(bad))]


async def test_staff_sees_only_their_organization(sandbox: Sandbox) -> None:
    async with sandbox.client("admin") as admin, sandbox.client("staff") as staff:
        other = (await segments(admin, organization_id=sandbox.organizations[1]))[0]
        assert all(s["organization_id"] == sandbox.organizations[0] for s in await segments(staff))
        r = await staff.get(f"/v1/segments/{other['id']}")
        assert r.status_code == 404 and r.json() == {"detail": "Segment not found."}
        r = await staff.get("/v1/segments")
        assert r.status_code == 200
        r = await sandbox.client(None).get("/v1/segments")
        assert r.status_code == 401


# -- create and update ---------------------------------------------------------------------------------
async def test_create_validates_the_condition_with_its_position(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await create(c, sandbox, condition='user.agee == "x"')
        assert r.status_code == 400
        assert r.json() == {
            "condition": [
                "line 1, column 6: unknown field 'agee' on user (fields of user: id, email, "
                "phone, first_name, last_name, language, country_code, created, consents)"
            ]
        }
        r = await create(c, sandbox, condition="size(orders)")
        assert r.status_code == 400 and "must be a bool" in r.json()["condition"][0]
        r = await create(c, sandbox, condition='user.language == "da')
        assert "unclosed string" in r.json()["condition"][0]
        r = await create(c, sandbox, communication_type="marketing")
        assert r.status_code == 400 and "consent_id" in r.json()
        r = await create(c, sandbox, edition_id="edt_nope")
        assert r.status_code == 400 and r.json() == {"edition_id": ["Unknown edition."]}
        r = await create(c, sandbox, communication_channel="fax")
        assert r.status_code == 400 and "communication_channel" in r.json()
        r = await create(c, sandbox, consent_id="cns_nope")
        assert r.status_code == 400 and r.json() == {"consent_id": ["Unknown consent."]}
        r = await create(c, sandbox, communication_type="marketing", consent_id="cns_newsletter")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "draft" and body["user_count"] is None
        assert body["id"].startswith("seg_")
        assert sandbox.db.state_changes(body["id"]) == [(None, "draft")]
        assert (await c.get(f"/v1/segments/{body['id']}")).json() == body


async def test_condition_change_puts_a_completed_segment_back_to_draft(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        seg = await by_name(c, "Danish speakers")
        assert seg["status"] == "completed"
        r = await c.patch(f"/v1/segments/{seg['id']}", json={"name": "Danes"})
        assert r.status_code == 200 and r.json()["status"] == "completed"
        r = await c.patch(f"/v1/segments/{seg['id']}", json={"condition": "user.agee > 1"})
        assert r.status_code == 400
        assert r.json()["condition"][0].startswith("line 1, column 6: unknown field 'agee'")
        assert (await c.get(f"/v1/segments/{seg['id']}")).json()["status"] == "completed"
        r = await c.patch(f"/v1/segments/{seg['id']}", json={"condition": 'user.language == "se"'})
        assert r.status_code == 200
        assert r.json()["status"] == "draft" and r.json()["condition"] == 'user.language == "se"'
        assert sandbox.db.state_changes(seg["id"])[-1] == ("completed", "draft")
        r = await c.get(f"/v1/segments/{seg['id']}/export-csv")
        assert r.status_code == 409


# -- the calculation -------------------------------------------------------------------------------
async def test_recalculate_runs_to_completed_with_the_real_count(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await create(
            c,
            sandbox,
            communication_channel="sms",
            condition='orders.exists(o, o.status == "completed" && o.amount >= 500.0)',
        )
        sid = r.json()["id"]
        r = await c.post(f"/v1/segments/{sid}/recalculate")
        assert r.status_code == 202 and r.json()["status"] == "pending"

        async def finished() -> dict[str, Any] | None:
            got = (await c.get(f"/v1/segments/{sid}")).json()
            return got if got["status"] in ("completed", "failed") else None

        done = await sandbox.wait_for(finished)
        expected = reference_count(
            sandbox,
            edition,
            lambda u: any(o["status"] == "completed" and o["amount"] >= 500.0 for o in u["orders"]),
            channel="sms",
        )
        assert done["status"] == "completed" and done["user_count"] == expected > 0
        assert done["last_calculated"] is not None
        assert sandbox.db.state_changes(sid) == [
            (None, "draft"),
            ("draft", "pending"),
            ("pending", "processing"),
            ("processing", "completed"),
        ]
        subscribed = sandbox.db.query(
            "SELECT 1 FROM webhook_endpoints WHERE events LIKE '%segment.calculated%'"
            " AND is_active = 1 AND organization_id = ?",
            (sandbox.organizations[0],),
        )
        events = sandbox.db.query(
            "SELECT event FROM webhook_deliveries WHERE payload LIKE ?", (f"%{sid}%",)
        )
        assert [e["event"] for e in events] == ["segment.calculated"] * len(subscribed)
        r = await c.get(f"/v1/segments/{sid}/export-csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["id", "email", "phone", "first_name", "last_name", "language"]
        assert len(rows) - 1 == done["user_count"]
        assert len({row[0] for row in rows[1:]}) == done["user_count"]
        assert all(PHONE.match(row[2]) for row in rows[1:])


async def test_marketing_counts_only_consenting_users(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await create(
            c,
            sandbox,
            communication_type="marketing",
            consent_id="cns_newsletter",
            communication_channel="email",
            condition="size(orders) >= 1",
        )
        sid = r.json()["id"]
        await c.post(f"/v1/segments/{sid}/recalculate")
        await sandbox.idle()
        got = (await c.get(f"/v1/segments/{sid}")).json()
        expected = reference_count(sandbox, edition, lambda u: True, "email", "cns_newsletter")
        everyone = reference_count(sandbox, edition, lambda u: True)
        assert got["user_count"] == expected
        assert 0 < expected < everyone


async def test_a_condition_failing_for_everyone_fails_the_calculation(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await create(c, sandbox, condition='user.email.matches("(")')
        sid = r.json()["id"]
        await c.post(f"/v1/segments/{sid}/recalculate")
        await sandbox.idle()
        got = (await c.get(f"/v1/segments/{sid}")).json()
        assert got["status"] == "failed" and "regular expression" in got["error_message"]
        assert sandbox.db.state_changes(sid)[-1] == ("processing", "failed")
        r = await c.post(f"/v1/segments/{sid}/recalculate")  # failed may be recalculated
        assert r.status_code == 202 and r.json()["error_message"] is None


async def test_recalculate_409_and_reset_to_draft(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory(speed=0.001)  # nothing moves on its own during this test
    await box.start()
    try:
        async with box.client() as c:
            seg = await by_name(c, "Danish speakers")
            r = await c.post(f"/v1/segments/{seg['id']}/reset-to-draft")
            assert r.status_code == 409 and "completed" in r.json()["detail"]
            r = await c.post(f"/v1/segments/{seg['id']}/recalculate")
            assert r.status_code == 202 and r.json()["status"] == "pending"
            r = await c.post(f"/v1/segments/{seg['id']}/recalculate")
            assert r.status_code == 409 and "pending" in r.json()["detail"]
            r = await c.post(f"/v1/segments/{seg['id']}/reset-to-draft")
            assert r.status_code == 200 and r.json()["status"] == "draft"
            stuck = await by_name(c, "Swedish speakers with a phone")
            assert stuck["status"] == "processing"
            r = await c.post(f"/v1/segments/{stuck['id']}/reset-to-draft")
            assert r.status_code == 200 and r.json()["status"] == "draft"
            assert box.db.state_changes(stuck["id"]) == [("processing", "draft")]
            r = await c.get(f"/v1/segments/{seg['id']}/export-csv")
            assert r.status_code == 409 and "draft" in r.json()["detail"]
    finally:
        await box.stop()


async def test_reset_discards_a_calculation_in_flight(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        seg = await by_name(c, "Danish speakers")
        await c.post(f"/v1/segments/{seg['id']}/recalculate")
        r = await c.post(f"/v1/segments/{seg['id']}/reset-to-draft")
        if r.status_code == 200:  # the calculation had not finished: it must never land
            await sandbox.idle()
            assert (await c.get(f"/v1/segments/{seg['id']}")).json()["status"] == "draft"
            assert sandbox.db.state_changes(seg["id"])[-1][1] == "draft"
        else:  # it finished first (fast machine): then reset is refused
            assert r.status_code == 409


# -- delete, export, 404 -----------------------------------------------------------------------------
async def test_delete_is_409_while_a_campaign_uses_the_segment(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()
    async with box.client() as c:
        seg = await by_name(c, "Danish speakers")  # used by scheduled and draft campaigns
        r = await c.delete(f"/v1/segments/{seg['id']}")
        assert r.status_code == 409 and "campaign" in r.json()["detail"]
        r = await create(c, box)
        sid = r.json()["id"]
        assert (await c.delete(f"/v1/segments/{sid}")).status_code == 204
        r = await c.get(f"/v1/segments/{sid}")
        assert r.status_code == 404 and r.json() == {"detail": "Segment not found."}
        assert (await c.delete(f"/v1/segments/{sid}")).status_code == 404


async def test_export_of_seeded_completed_segments_matches_user_count(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        for seg in await segments(c, status="completed"):
            r = await c.get(f"/v1/segments/{seg['id']}/export-csv")
            assert r.status_code == 200
            lines = r.text.splitlines()
            assert lines[0] == "id,email,phone,first_name,last_name,language"
            assert len(lines) - 1 == seg["user_count"], seg["name"]


# -- CEL context and validate-cel ------------------------------------------------------------------------
async def test_cel_context_serves_schema_and_dynamic_values(sandbox: Sandbox) -> None:
    from preo_tui.cel import CONTRACT_VARIABLES, CelContext, check

    async with sandbox.client() as c:
        r = await c.get(
            "/v1/segments/cel-context", params={"edition_id": sandbox.editions["current"]}
        )
        assert r.status_code == 200
        body = r.json()
        assert body["variables"] == CONTRACT_VARIABLES
        assert {"size", "exists", "matches", "duration"} <= set(body["functions"])
        dv = body["dynamic_values"]
        assert {"id": "prd_vip", "name": "VIP Weekend Pass"} in dv["products"]
        assert dv["order_statuses"] == ["pending", "confirmed", "completed", "cancelled"]
        assert dv["order_types"] == ["online", "in-person", "imported"]
        assert "partially_refunded" in dv["purchase_statuses"]
        assert dv["languages"] == ["en", "da", "se", "nl", "pl"]
        assert any(x["id"] == "cns_newsletter" for x in dv["consents"])
        # the served structure drives the local checker exactly like the built-in one
        ctx = CelContext.from_json(body)
        assert check('user.agee == "x"', ctx).diagnostics[0].column == 6
        assert ctx.dynamic_values.products[0].label
        r = await c.get("/v1/segments/cel-context")
        assert r.status_code == 400 and "edition_id" in r.json()
        r = await c.get("/v1/segments/cel-context", params={"edition_id": "edt_nope"})
        assert r.status_code == 400


@pytest.mark.parametrize(
    ("condition", "line", "column", "needle"),
    [
        ('user.agee == "x"', 1, 6, "unknown field 'agee'"),
        ('user.language == "da" &&\n  user.lang == "x"', 2, 8, "unknown field 'lang'"),
        ('user.language == "da', 1, 18, "unclosed string"),
        ("size(orders)", 1, 1, "must be a bool"),
        ("frobnicate(user.email)", 1, 1, "unknown function 'frobnicate'"),
        ("orders.exists(o, o.amount > 1", 1, 14, "never closed"),
        ("user.language == 1", 1, 15, "string and int"),
    ],
)
async def test_validate_cel_reports_diagnostics(
    sandbox: Sandbox, condition: str, line: int, column: int, needle: str
) -> None:
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/segments/validate-cel",
            json={"condition": condition, "edition_id": sandbox.editions["current"]},
        )
        assert r.status_code == 200
        body = r.json()
        assert body["valid"] is False
        first = body["errors"][0]
        assert (first["line"], first["column"]) == (line, column)
        assert needle in first["message"]


async def test_validate_cel_estimate_is_exact_at_small_scale(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    async with sandbox.client("staff") as c:
        r = await c.post(
            "/v1/segments/validate-cel",
            json={"condition": 'user.language == "da"', "edition_id": edition},
        )
        body = r.json()
        assert body["valid"] is True and body["estimate_exact"] is True
        assert body["estimated_user_count"] == reference_count(
            sandbox, edition, lambda u: u["language"] == "da"
        )
        assert body["total_user_count"] == len(edition_users(sandbox, edition))
        r = await c.post("/v1/segments/validate-cel", json={"condition": "true"})
        assert r.json() == {"valid": True, "estimated_user_count": None, "total_user_count": None}
        r = await c.post("/v1/segments/validate-cel", json={"edition_id": edition})
        assert r.status_code == 400 and "condition" in r.json()
        r = await c.post(
            "/v1/segments/validate-cel", json={"condition": "(" * 50_000, "edition_id": edition}
        )
        assert r.status_code == 200 and r.json()["errors"][0]["message"].startswith(
            "the condition is too long"
        )


@pytest.mark.parametrize(
    "condition",
    [
        'user.language == "da"',
        'orders.exists(o, o.status == "completed" && o.amount >= 500.0)',
        'size(orders) == 1 && "cns_newsletter" in user.consents',
        'orders.exists(o, o.purchases.exists(p, p.product_id == "prd_vip" && p.status == "active"))',
        'user.created > now - duration("8760h") && edition.name != ""',
        "orders.map(o, o.amount).exists(a, a > 1000.0)",
        'size(user.consents) > 0 && user.consents[0] == "cns_newsletter"',
        'orders.filter(o, o.type == "online").size() > 0',
        "has(user.phone) && orders.exists(o, has(o.purchases))",
        'orders.all(o, o.purchases.all(p, p.quantity >= 1)) && user.phone.startsWith("+45")',
    ],
)
def test_slim_records_select_the_same_users_as_whole_records(
    sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch, condition: str
) -> None:
    """Evaluation hands the library only the fields a condition reads; that changes nothing."""
    from preo_tui.sandbox import audience as module

    box = sandbox_factory()
    edition = box.db.one("SELECT * FROM editions WHERE id = ?", (box.editions["current"],))
    assert edition is not None
    slim = module.compute_audience(box.db, edition, condition)
    monkeypatch.setattr(module, "field_usage", lambda text: None)
    whole = module.compute_audience(box.db, edition, condition)
    assert slim.user_ids == whole.user_ids
    assert slim.evaluated == whole.evaluated == slim.population


async def test_validate_cel_estimate_can_apply_the_audience_rules(sandbox: Sandbox) -> None:
    edition = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/segments/validate-cel",
            json={
                "condition": "size(orders) >= 1",
                "edition_id": edition,
                "communication_channel": "sms",
                "communication_type": "marketing",
                "consent_id": "cns_newsletter",
            },
        )
        body = r.json()
        assert body["estimate_exact"] is True
        assert body["estimated_user_count"] == reference_count(
            sandbox, edition, lambda u: True, "sms", "cns_newsletter"
        )
        assert body["estimated_user_count"] < body["total_user_count"]
        r = await c.post(
            "/v1/segments/validate-cel",
            json={"condition": "true", "edition_id": edition, "communication_channel": "fax"},
        )
        assert r.status_code == 400 and "communication_channel" in r.json()


def test_large_editions_are_estimated_from_an_even_sample(
    sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from preo_tui.sandbox.resources import segments as module

    box = sandbox_factory()
    edition = box.db.one("SELECT * FROM editions WHERE id = ?", (box.editions["current"],))
    assert edition is not None
    full = module.compute_audience(box.db, edition, 'user.language == "da"')
    sampled = module.compute_audience(box.db, edition, 'user.language == "da"', sample=50)
    assert sampled.evaluated == 50 and sampled.eligible == full.eligible == full.population
    assert set(sampled.user_ids) <= set(full.user_ids)
    estimate = len(sampled.user_ids) * sampled.eligible / sampled.evaluated
    assert abs(estimate - len(full.user_ids)) < 0.25 * full.population


async def test_validate_cel_says_when_the_estimate_is_sampled(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preo_tui.sandbox.resources import segments as module

    monkeypatch.setattr(module, "ESTIMATE_EXACT_LIMIT", 60)
    edition = sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/segments/validate-cel",
            json={"condition": 'user.language == "da"', "edition_id": edition},
        )
        body = r.json()
    exact = reference_count(sandbox, edition, lambda u: u["language"] == "da")
    assert body["estimate_exact"] is False
    assert body["total_user_count"] > 60
    assert abs(body["estimated_user_count"] - exact) < 0.25 * body["total_user_count"]


async def test_audience_rule_changes_also_reset_and_an_empty_edition_counts_zero(
    sandbox: Sandbox,
) -> None:
    async with sandbox.client() as c:
        seg = await by_name(c, "VIP pass holders")
        r = await c.patch(f"/v1/segments/{seg['id']}", json={"communication_channel": "sms"})
        assert r.json()["status"] == "draft"
        r = await c.post(
            "/v1/segments",
            json={
                "organization_id": sandbox.organizations[0],
                "edition_id": sandbox.editions["draft"],
                "name": "Nobody yet",
                "condition": "true",
            },
        )
        sid = r.json()["id"]
        await c.post(f"/v1/segments/{sid}/recalculate")
        await sandbox.idle()
        got = (await c.get(f"/v1/segments/{sid}")).json()
        assert (got["status"], got["user_count"]) == ("completed", 0)
        r = await c.get(f"/v1/segments/{sid}/export-csv")
        assert r.text.splitlines() == ["id,email,phone,first_name,last_name,language"]
