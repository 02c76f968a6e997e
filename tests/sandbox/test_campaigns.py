"""Campaigns over HTTP: seed, filters, ordering, the send life cycle, scheduling, 409s, roles, stats."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import time_machine

from tests.fixtures.sandbox import SANDBOX_NOW, Sandbox

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def campaigns(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/v1/campaigns", params={"page_size": 500, **params})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def segment_named(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    r = await client.get("/v1/segments", params={"search": name, "page_size": 50})
    found = [s for s in r.json()["results"] if s["name"] == name]
    assert found, name
    return found[0]


async def campaign_message(
    client: httpx.AsyncClient, edition_id: str, kind: str = "campaign"
) -> str:
    r = await client.get(
        "/v1/email-messages", params={"edition_id": edition_id, "type": kind, "page_size": 50}
    )
    return str(r.json()["results"][0]["id"])


async def new_campaign(
    client: httpx.AsyncClient, sandbox: Sandbox, channel: str = "email", **body: Any
) -> dict[str, Any]:
    edition = sandbox.editions["current"]
    seg = await segment_named(client, "Danish speakers")
    payload: dict[str, Any] = {
        "organization_id": sandbox.organizations[0],
        "edition_id": edition,
        "segment_id": seg["id"],
        "name": f"Test {channel} campaign",
        "channel": channel,
    }
    if channel == "email":
        payload["email_message_id"] = await campaign_message(client, edition)
    else:
        payload["sms_body"] = "Doors open at 14:00."
    payload.update(body)
    r = await client.post("/v1/campaigns", json=payload)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def reference_danish_reachable(sandbox: Sandbox, channel: str) -> int:
    """Reference for the "Danish speakers" segment (channel email) sent on ``channel``."""
    rows = sandbox.db.query(
        "SELECT email, phone FROM users WHERE language = 'da' AND id IN"
        " (SELECT customer_id FROM orders WHERE edition_id = ?)",
        (sandbox.editions["current"],),
    )
    members = [r for r in rows if EMAIL.match(r["email"] or "")]
    if channel == "email":
        return len(members)
    return sum(1 for r in members if re.match(r"^\+\d{6,15}$", r["phone"] or ""))


# -- seed and list ---------------------------------------------------------------------------------
async def test_seed_has_every_status_on_both_channels(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()
    async with box.client() as c:
        seeded = await campaigns(c)
        assert {x["status"] for x in seeded} == {
            "draft",
            "scheduled",
            "calculating",
            "sending",
            "sent",
            "failed",
            "cancelled",
        }
        assert {x["channel"] for x in seeded} == {"email", "sms"}
        for x in seeded:
            if x["status"] == "sent":
                assert x["sent_count"] + x["failed_count"] == x["total_recipients"] > 0
                assert x["started_at"] and x["completed_at"]
            if x["status"] == "scheduled":
                assert x["scheduled_at"] > SANDBOX_NOW.isoformat()
            if x["status"] == "failed":
                assert x["error_message"]
            if x["channel"] == "sms":
                assert x["sms_body"] and x["email_message_id"] is None
            else:
                assert x["email_message_id"]


async def test_filters_and_ordering(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        everything = await campaigns(c)
        sms = await campaigns(c, channel="sms")
        assert sms and all(x["channel"] == "sms" for x in sms)
        picked = await campaigns(c, status="sent,cancelled")
        assert picked and {x["status"] for x in picked} <= {"sent", "cancelled"}
        current = await campaigns(c, edition_id=sandbox.editions["current"])
        assert current and len(current) < len(everything)
        assert all(x["edition_id"] == sandbox.editions["current"] for x in current)
        org2 = await campaigns(c, organization_id=sandbox.organizations[1])
        assert org2 and all(x["organization_id"] == sandbox.organizations[1] for x in org2)
        assert [x["name"] for x in await campaigns(c, search="vip lounge")] == [
            "VIP lounge opening hours"
        ]
        names = [x["name"] for x in await campaigns(c, ordering="-name")]
        assert names == sorted(names, reverse=True)
        totals = [x["total_recipients"] for x in await campaigns(c, ordering="total_recipients")]
        assert totals == sorted(totals)
        r = await c.get("/v1/campaigns", params={"page_size": 2, "page": 2})
        assert r.json()["previous"] and len(r.json()["results"]) == 2
        for bad in ({"status": "posted"}, {"channel": "fax"}, {"ordering": "segment"}):
            r = await c.get("/v1/campaigns", params=bad)
            assert r.status_code == 400 and list(r.json()) == [next(iter(bad))]


# -- create / update / delete ------------------------------------------------------------------------
async def test_create_validates_references(sandbox: Sandbox) -> None:
    async with sandbox.client("staff") as c:  # staff may prepare drafts
        draft = await new_campaign(c, sandbox)
        assert draft["status"] == "draft" and draft["id"].startswith("cmp_")
        assert draft["total_recipients"] == 0 and draft["scheduled_at"] is None
        receipt = await campaign_message(c, sandbox.editions["current"], "receipt")
        seg = await segment_named(c, "Danish speakers")
        base = {
            "organization_id": sandbox.organizations[0],
            "edition_id": sandbox.editions["current"],
            "segment_id": seg["id"],
            "name": "x",
            "channel": "email",
        }
        r = await c.post("/v1/campaigns", json={**base, "email_message_id": receipt})
        assert r.status_code == 400 and "type campaign" in r.json()["email_message_id"][0]
        r = await c.post("/v1/campaigns", json={**base, "channel": "sms", "sms_body": "x" * 613})
        assert r.status_code == 400 and "612" in r.json()["sms_body"][0]
        past = await segment_named(c, "Came last year")
        r = await c.post("/v1/campaigns", json={**base, "segment_id": past["id"]})
        assert r.status_code == 400 and "another edition" in r.json()["segment_id"][0]
        r = await c.post("/v1/campaigns", json={**base, "channel": "pigeon"})
        assert r.status_code == 400 and "channel" in r.json()
        r = await c.post("/v1/campaigns", json={k: v for k, v in base.items() if k != "name"})
        assert r.status_code == 400 and r.json()["name"] == ["This field is required."]


async def test_update_and_delete_only_in_allowed_states(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()
    async with box.client() as c:
        seeded = {x["status"]: x for x in await campaigns(c, edition_id=box.editions["current"])}
        for status in ("sent", "sending", "calculating", "failed", "cancelled"):
            r = await c.patch(f"/v1/campaigns/{seeded[status]['id']}", json={"name": "new"})
            assert r.status_code == 409, status
        for status in ("draft", "scheduled"):
            r = await c.patch(f"/v1/campaigns/{seeded[status]['id']}", json={"name": f"{status}!"})
            assert r.status_code == 200 and r.json()["name"] == f"{status}!"
        for status in ("scheduled", "calculating", "sending", "sent"):
            r = await c.delete(f"/v1/campaigns/{seeded[status]['id']}")
            assert r.status_code == 409 and status in r.json()["detail"], status
        for status in ("draft", "cancelled", "failed"):
            r = await c.delete(f"/v1/campaigns/{seeded[status]['id']}")
            assert r.status_code == 204, status
            assert (await c.get(f"/v1/campaigns/{seeded[status]['id']}")).status_code == 404
        r = await c.patch(
            f"/v1/campaigns/{seeded['scheduled']['id']}", json={"sms_body": "y" * 700}
        )
        assert r.status_code == 400


# -- sending ----------------------------------------------------------------------------------------
async def test_send_now_runs_to_sent_with_rising_counts(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory(speed=20.0)  # the whole send takes ~0.3 s: slow enough to watch
    await box.start()
    try:
        async with box.client("manager") as c:
            draft = await new_campaign(c, box)
            r = await c.post(f"/v1/campaigns/{draft['id']}/send-now")
            assert r.status_code == 202 and r.json()["status"] == "calculating"
            seen: list[tuple[str, int]] = []

            async def sent() -> dict[str, Any] | None:
                got = (await c.get(f"/v1/campaigns/{draft['id']}")).json()
                seen.append((got["status"], got["sent_count"]))
                return got if got["status"] in ("sent", "failed") else None

            final = await box.wait_for(sent, within=10.0)
            expected = reference_danish_reachable(box, "email")
            assert final["status"] == "sent"
            assert final["total_recipients"] == final["user_count"] == expected > 0
            assert final["sent_count"] + final["failed_count"] == expected
            assert final["started_at"] and final["completed_at"]
            counts = [n for status, n in seen if status == "sending"]
            assert any(0 < n < final["sent_count"] for n in counts), seen
            assert counts == sorted(counts)
            assert box.db.state_changes(draft["id"]) == [
                (None, "draft"),
                ("draft", "calculating"),
                ("calculating", "sending"),
                ("sending", "sent"),
            ]
            r = await c.post(f"/v1/campaigns/{draft['id']}/send-now")
            assert r.status_code == 409
            r = await c.post(f"/v1/campaigns/{draft['id']}/cancel")
            assert r.status_code == 409
    finally:
        await box.stop()


async def test_sms_send_reaches_phones_and_emits_webhook(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        draft = await new_campaign(c, sandbox, channel="sms")
        await c.post(f"/v1/campaigns/{draft['id']}/send-now")
        await sandbox.idle()
        done = (await c.get(f"/v1/campaigns/{draft['id']}")).json()
        assert done["status"] == "sent"
        assert done["total_recipients"] == reference_danish_reachable(sandbox, "sms")
        assert done["user_count"] == reference_danish_reachable(sandbox, "email")
        assert done["total_recipients"] < done["user_count"]  # a few have no phone
        events = [
            r["event"]
            for r in sandbox.db.query(
                "SELECT event FROM webhook_deliveries WHERE payload LIKE ?", (f"%{draft['id']}%",)
            )
        ]
        subscribed = sandbox.db.query(
            "SELECT 1 FROM webhook_endpoints WHERE events LIKE '%campaign.sent%' AND is_active = 1"
            " AND organization_id = ?",
            (sandbox.organizations[0],),
        )
        assert events == (["campaign.sent"] * len(subscribed))


async def test_send_requirements_are_400(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        email = await new_campaign(c, sandbox, email_message_id=None)
        r = await c.post(f"/v1/campaigns/{email['id']}/send-now")
        assert r.status_code == 400 and "email_message_id" in r.json()
        sms = await new_campaign(c, sandbox, channel="sms", sms_body=None)
        r = await c.post(f"/v1/campaigns/{sms['id']}/send-now")
        assert r.status_code == 400 and r.json() == {"sms_body": ["An SMS campaign needs a text."]}
        r = await c.post(
            f"/v1/campaigns/{sms['id']}/schedule",
            json={"scheduled_at": (SANDBOX_NOW + timedelta(days=1)).isoformat()},
        )
        assert r.status_code == 400 and "sms_body" in r.json()
        marketing = await segment_named(c, "Big spenders")
        with sandbox.db.transaction():  # a consent that vanished from a marketing segment
            sandbox.db.execute(
                "UPDATE segments SET consent_id = NULL WHERE id = ?", (marketing["id"],)
            )
        bad = await new_campaign(c, sandbox, segment_id=marketing["id"])
        r = await c.post(f"/v1/campaigns/{bad['id']}/send-now")
        assert r.status_code == 400 and "consent" in r.json()["segment_id"][0]
        assert (await c.get(f"/v1/campaigns/{bad['id']}")).json()["status"] == "draft"


async def test_a_segment_without_recipients_fails_the_campaign(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/segments",
            json={
                "organization_id": sandbox.organizations[0],
                "edition_id": sandbox.editions["current"],
                "name": "Nobody",
                "condition": "size(orders) == 0",
            },
        )
        nobody = r.json()
        draft = await new_campaign(c, sandbox, segment_id=nobody["id"])
        await c.post(f"/v1/campaigns/{draft['id']}/send-now")
        await sandbox.idle()
        got = (await c.get(f"/v1/campaigns/{draft['id']}")).json()
        assert got["status"] == "failed" and "no recipients" in got["error_message"]
        assert sandbox.db.state_changes(draft["id"])[-1] == ("calculating", "failed")
        events = sandbox.db.query(
            "SELECT event FROM webhook_deliveries WHERE payload LIKE ?", (f"%{draft['id']}%",)
        )
        assert [e["event"] for e in events] == ["campaign.failed"]  # the seeded subscriber
        assert (await c.delete(f"/v1/campaigns/{draft['id']}")).status_code == 204


async def test_staff_cannot_send_schedule_or_cancel(sandbox: Sandbox) -> None:
    async with sandbox.client("staff") as staff:
        draft = await new_campaign(staff, sandbox)
        for action, body in (
            ("send-now", None),
            ("schedule", {"scheduled_at": (SANDBOX_NOW + timedelta(hours=1)).isoformat()}),
            ("cancel", None),
        ):
            r = await staff.post(f"/v1/campaigns/{draft['id']}/{action}", json=body)
            assert r.status_code == 403, action
            assert "admin or manager" in r.json()["detail"]
        assert (await staff.get(f"/v1/campaigns/{draft['id']}")).json()["status"] == "draft"


# -- scheduling and cancelling -----------------------------------------------------------------------
async def test_schedule_then_due_time_starts_the_send(
    sandbox: Sandbox, frozen_clock: time_machine.Traveller
) -> None:
    async with sandbox.client() as c:
        draft = await new_campaign(c, sandbox)
        r = await c.post(
            f"/v1/campaigns/{draft['id']}/schedule",
            json={"scheduled_at": (SANDBOX_NOW - timedelta(minutes=1)).isoformat()},
        )
        assert r.status_code == 400 and "future" in r.json()["scheduled_at"][0]
        r = await c.post(f"/v1/campaigns/{draft['id']}/schedule", json={"scheduled_at": "soon"})
        assert r.status_code == 400
        when = SANDBOX_NOW + timedelta(minutes=30)
        r = await c.post(
            f"/v1/campaigns/{draft['id']}/schedule", json={"scheduled_at": when.isoformat()}
        )
        assert r.status_code == 200
        assert r.json()["status"] == "scheduled"
        assert r.json()["scheduled_at"] == "2026-07-03T10:30:00+00:00"
        # rescheduling a scheduled campaign is allowed, editing too
        when = SANDBOX_NOW + timedelta(minutes=45)
        r = await c.post(
            f"/v1/campaigns/{draft['id']}/schedule", json={"scheduled_at": when.isoformat()}
        )
        assert r.json()["scheduled_at"] == "2026-07-03T10:45:00+00:00"
        frozen_clock.move_to(SANDBOX_NOW + timedelta(minutes=44))

        async def status() -> str:
            return str((await c.get(f"/v1/campaigns/{draft['id']}")).json()["status"])

        assert await status() == "scheduled"
        frozen_clock.move_to(SANDBOX_NOW + timedelta(minutes=46))

        async def sent() -> bool:
            return await status() == "sent"

        await sandbox.wait_for(sent)
        assert sandbox.db.state_changes(draft["id"])[:4] == [
            (None, "draft"),
            ("draft", "scheduled"),
            ("scheduled", "scheduled"),
            ("scheduled", "calculating"),
        ]


async def test_cancel_scheduled_and_calculating(
    sandbox_factory: Callable[..., Sandbox], frozen_clock: time_machine.Traveller
) -> None:
    box = sandbox_factory(speed=0.001)  # calculating lasts ~25 min: it waits for the cancel
    await box.start()
    try:
        async with box.client() as c:
            seeded = {
                x["status"]: x for x in await campaigns(c, edition_id=box.editions["current"])
            }
            r = await c.post(f"/v1/campaigns/{seeded['scheduled']['id']}/cancel")
            assert r.status_code == 200 and r.json()["status"] == "cancelled"
            draft = await new_campaign(c, box)
            r = await c.post(f"/v1/campaigns/{draft['id']}/cancel")
            assert r.status_code == 409 and "draft" in r.json()["detail"]
            r = await c.post(f"/v1/campaigns/{draft['id']}/send-now")
            assert r.status_code == 202
            r = await c.post(f"/v1/campaigns/{draft['id']}/cancel")
            assert r.status_code == 200 and r.json()["status"] == "cancelled"
            assert box.db.state_changes(draft["id"])[-2:] == [
                ("draft", "calculating"),
                ("calculating", "cancelled"),
            ]
            r = await c.post(f"/v1/campaigns/{seeded['sent']['id']}/cancel")
            assert r.status_code == 409
            r = await c.post(f"/v1/campaigns/{seeded['sending']['id']}/send-now")
            assert r.status_code == 409
    finally:
        await box.stop()


# -- stats ------------------------------------------------------------------------------------------
async def test_stats_are_consistent_and_deterministic(
    sandbox: Sandbox, frozen_clock: time_machine.Traveller
) -> None:
    async with sandbox.client() as c:
        sent = [x for x in await campaigns(c, status="sent") if x["channel"] == "email"]
        assert sent
        one = sent[0]
        first = (await c.get(f"/v1/campaigns/{one['id']}/stats")).json()
        assert first == (await c.get(f"/v1/campaigns/{one['id']}/stats")).json()
        assert first["sent_count"] == one["sent_count"]
        assert first["total_recipients"] == one["total_recipients"]
        assert first["delivered_count"] + first["bounced_count"] == first["sent_count"]
        tl = first["timeline"]
        assert len(tl) == 48  # sent days ago: the whole two days of opens are in
        assert sum(p["sent"] for p in tl) == first["sent_count"]
        assert sum(p["opened"] for p in tl) == first["opened_count"] > 0
        assert sum(p["clicked"] for p in tl) == first["clicked_count"] > 0
        assert first["open_rate"] == round(first["opened_count"] / first["delivered_count"], 4)
        assert [p["at"] for p in tl] == sorted(p["at"] for p in tl)

        draft = await new_campaign(c, sandbox)
        empty = (await c.get(f"/v1/campaigns/{draft['id']}/stats")).json()
        assert empty["timeline"] == [] and empty["sent_count"] == 0 and empty["open_rate"] == 0.0

        await c.post(f"/v1/campaigns/{draft['id']}/send-now")
        await sandbox.idle()
        early = (await c.get(f"/v1/campaigns/{draft['id']}/stats")).json()
        assert len(early["timeline"]) == 1
        frozen_clock.move_to(SANDBOX_NOW + timedelta(hours=5, minutes=1))
        later = (await c.get(f"/v1/campaigns/{draft['id']}/stats")).json()
        assert len(later["timeline"]) == 6
        assert later["opened_count"] > early["opened_count"]
        assert later["timeline"][0] == early["timeline"][0]
        r = await c.get("/v1/campaigns/cmp_nope/stats")
        assert r.status_code == 404 and r.json() == {"detail": "Campaign not found."}


async def test_start_resumes_sends_and_starts_overdue_campaigns(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()
    # a month after the seed: every seeded scheduled campaign is overdue
    with time_machine.travel(SANDBOX_NOW + timedelta(days=30), tick=True):
        async with box.client() as c:
            before = {x["id"]: x for x in await campaigns(c)}
            await box.start()
            try:
                await box.idle()
                after = {x["id"]: x for x in await campaigns(c)}
            finally:
                await box.stop()
    for cid, old in before.items():
        new = after[cid]
        if old["status"] in ("scheduled", "calculating", "sending"):
            assert new["status"] in ("sent", "failed"), (old["name"], new["status"])
            if new["status"] == "sent":
                assert new["sent_count"] + new["failed_count"] == new["total_recipients"] > 0
        else:
            assert new["status"] == old["status"]
