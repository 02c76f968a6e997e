"""The campaign send machine when things go wrong: no reachable recipient, the segment gone
while calculating, a cancel that supersedes the sender, and the due-time sweep starting
only the campaigns whose time has come."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from preo_tui.sandbox.resources.campaigns_send import start_sending, sweep_due
from tests.fixtures.sandbox import SANDBOX_NOW, Sandbox
from tests.sandbox.test_campaigns import new_campaign


async def empty_segment(c: httpx.AsyncClient, sandbox: Sandbox) -> str:
    r = await c.post(
        "/v1/segments",
        json={
            "organization_id": sandbox.organizations[0],
            "edition_id": sandbox.editions["current"],
            "name": "Nobody",
            "condition": "false",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def status_of(c: httpx.AsyncClient, cid: str) -> dict[str, Any]:
    body: dict[str, Any] = (await c.get(f"/v1/campaigns/{cid}")).json()
    return body


async def test_no_reachable_recipient_fails_the_campaign(sandbox: Sandbox) -> None:
    c = sandbox.client()
    seg = await empty_segment(c, sandbox)
    campaign = await new_campaign(c, sandbox, "sms", segment_id=seg)
    r = await c.post(f"/v1/campaigns/{campaign['id']}/send-now")
    assert r.status_code == 202 and r.json()["status"] == "calculating"
    await sandbox.idle()
    done = await status_of(c, campaign["id"])
    assert done["status"] == "failed"
    assert done["error_message"] == "The segment has no recipients reachable by sms."
    changes = [to for _, to in sandbox.db.state_changes(campaign["id"])]
    assert changes == ["draft", "calculating", "failed"]


async def test_a_segment_gone_while_calculating_fails_the_campaign(sandbox: Sandbox) -> None:
    c = sandbox.client()
    campaign = await new_campaign(c, sandbox, "sms")
    sandbox.db.execute(
        "UPDATE campaigns SET segment_id = 'seg_gone' WHERE id = ?", (campaign["id"],)
    )
    assert start_sending(sandbox.state, campaign["id"], ("draft",), None)
    await sandbox.idle()
    done = await status_of(c, campaign["id"])
    assert done["status"] == "failed"
    assert done["error_message"] == "The campaign's segment no longer exists."


async def test_start_sending_refuses_unknown_or_moved_campaigns(sandbox: Sandbox) -> None:
    c = sandbox.client()
    campaign = await new_campaign(c, sandbox, "sms")
    assert not start_sending(sandbox.state, "cmp_nope", ("draft",), None)
    assert not start_sending(sandbox.state, campaign["id"], ("scheduled",), None)
    assert (await status_of(c, campaign["id"]))["status"] == "draft"


async def test_a_cancel_supersedes_the_sender(sandbox: Sandbox) -> None:
    c = sandbox.client()
    when = (SANDBOX_NOW + timedelta(hours=1)).isoformat()
    campaign = await new_campaign(c, sandbox, "sms")
    r = await c.post(f"/v1/campaigns/{campaign['id']}/schedule", json={"scheduled_at": when})
    assert r.status_code == 200
    assert start_sending(sandbox.state, campaign["id"], ("scheduled",), None)
    r = await c.post(f"/v1/campaigns/{campaign['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    await sandbox.idle()
    done = await status_of(c, campaign["id"])
    assert done["status"] == "cancelled" and done["sent_count"] == 0


async def test_the_sweep_starts_only_due_campaigns(sandbox: Sandbox) -> None:
    c = sandbox.client()
    soon = await new_campaign(c, sandbox, "sms", name="Soon")
    later = await new_campaign(c, sandbox, "sms", name="Later")
    for cid, delta in ((soon["id"], 1), (later["id"], 48)):
        when = (SANDBOX_NOW + timedelta(hours=delta)).isoformat()
        r = await c.post(f"/v1/campaigns/{cid}/schedule", json={"scheduled_at": when})
        assert r.status_code == 200, r.text
    # Time passes (the clock is frozen): make the first one due by moving its time back.
    sandbox.db.execute(
        "UPDATE campaigns SET scheduled_at = ? WHERE id = ?",
        ((SANDBOX_NOW - timedelta(minutes=1)).isoformat(), soon["id"]),
    )
    started = sweep_due(sandbox.state)
    assert soon["id"] in started and later["id"] not in started
    assert (await status_of(c, later["id"]))["status"] == "scheduled"
    await sandbox.idle()
    assert (await status_of(c, soon["id"]))["status"] == "sent"
