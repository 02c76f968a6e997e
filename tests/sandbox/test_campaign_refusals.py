"""Campaign writes the sandbox refuses, each with its status and field: bad references on
create and update, changes to campaigns that moved on, and the send requirements (an SMS
without text, an email without a message, a marketing segment without a consent)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.fixtures.sandbox import SANDBOX_NOW, Sandbox
from tests.sandbox.test_campaigns import campaign_message, campaigns, new_campaign, segment_named

FUTURE = (SANDBOX_NOW + timedelta(days=1)).isoformat()


def fields_of(r: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    return body


async def payload(c: httpx.AsyncClient, sandbox: Sandbox, **changes: Any) -> dict[str, Any]:
    seg = await segment_named(c, "Danish speakers")
    body: dict[str, Any] = {
        "organization_id": sandbox.organizations[0],
        "edition_id": sandbox.editions["current"],
        "segment_id": seg["id"],
        "name": "Refusal test",
        "channel": "sms",
        "sms_body": "Hello",
    }
    body.update(changes)
    return body


async def test_create_refuses_bad_references(sandbox: Sandbox) -> None:
    c = sandbox.client()
    bad = await c.post("/v1/campaigns", json=await payload(c, sandbox, edition_id="edt_nope"))
    assert (bad.status_code, list(fields_of(bad))) == (400, ["edition_id"])

    other = await c.post(
        "/v1/campaigns", json=await payload(c, sandbox, edition_id=sandbox.editions["second_org"])
    )
    assert other.status_code == 400
    assert other.json()["edition_id"] == ["The edition belongs to another organization."]
    # (its segment belongs to another edition, too)
    assert other.json()["segment_id"] == ["The segment belongs to another edition."]

    blank = await c.post("/v1/campaigns", json=await payload(c, sandbox, name="   "))
    assert blank.json() == {"name": ["This field may not be blank."]}

    no_seg = await c.post("/v1/campaigns", json=await payload(c, sandbox, segment_id="seg_nope"))
    assert no_seg.json() == {"segment_id": ["Unknown segment."]}

    no_msg = await c.post(
        "/v1/campaigns",
        json=await payload(c, sandbox, channel="email", email_message_id="eml_nope"),
    )
    assert no_msg.json() == {"email_message_id": ["Unknown email message."]}


async def test_update_refusals_and_partial_changes(sandbox: Sandbox) -> None:
    c = sandbox.client()
    draft = await new_campaign(c, sandbox, "sms")
    url = f"/v1/campaigns/{draft['id']}"
    r = await c.patch(url, json={"name": " ", "segment_id": None})
    assert r.status_code == 400
    assert r.json() == {
        "name": ["This field may not be blank."],
        "segment_id": ["This field may not be null."],
    }
    r = await c.patch(url, json={"segment_id": "seg_nope", "email_message_id": "eml_nope"})
    assert r.json() == {
        "segment_id": ["Unknown segment."],
        "email_message_id": ["Unknown email message."],
    }
    message = await campaign_message(c, sandbox.editions["current"])
    r = await c.patch(url, json={"sms_body": "New text", "email_message_id": message})
    assert r.status_code == 200
    assert (r.json()["sms_body"], r.json()["email_message_id"]) == ("New text", message)
    r = await c.patch(url, json={"email_message_id": ""})
    assert r.status_code == 200 and r.json()["email_message_id"] is None
    # Nothing to change: the campaign as it is.
    same = await c.patch(url, json={})
    assert same.status_code == 200 and same.json()["modified"] == r.json()["modified"]

    [sent] = (await campaigns(c, status="sent"))[:1]
    r = await c.patch(f"/v1/campaigns/{sent['id']}", json={"name": "x"})
    assert r.status_code == 409 and "sent campaign cannot be changed" in r.json()["detail"]


async def test_state_refusals(sandbox: Sandbox) -> None:
    c = sandbox.client()
    [sent] = (await campaigns(c, status="sent"))[:1]
    [scheduled] = (await campaigns(c, status="scheduled"))[:1]
    draft = await new_campaign(c, sandbox, "sms")

    r = await c.delete(f"/v1/campaigns/{scheduled['id']}")
    assert r.status_code == 409 and "only draft, cancelled or failed" in r.json()["detail"]
    r = await c.post(f"/v1/campaigns/{draft['id']}/cancel")
    assert r.status_code == 409 and r.json()["detail"].startswith("A draft campaign cannot")
    r = await c.post(f"/v1/campaigns/{sent['id']}/schedule", json={"scheduled_at": FUTURE})
    assert r.status_code == 409 and "cannot be scheduled" in r.json()["detail"]
    r = await c.post(f"/v1/campaigns/{sent['id']}/send-now")
    assert r.status_code == 409 and "cannot be sent" in r.json()["detail"]
    past = (SANDBOX_NOW - timedelta(minutes=1)).isoformat()
    r = await c.post(f"/v1/campaigns/{draft['id']}/schedule", json={"scheduled_at": past})
    assert r.json() == {"scheduled_at": ["The time must be in the future."]}
    r = await c.post(f"/v1/campaigns/{draft['id']}/schedule", json={"scheduled_at": "soon"})
    assert r.status_code in (400, 422) and "scheduled_at" in r.text
    assert (await c.get(f"/v1/campaigns/{draft['id']}")).json()["status"] == "draft"


async def test_send_requirements(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sms = await new_campaign(c, sandbox, "sms", sms_body="   ")
    r = await c.post(f"/v1/campaigns/{sms['id']}/send-now")
    assert r.json() == {"sms_body": ["An SMS campaign needs a text."]}

    email = await new_campaign(c, sandbox, "email", email_message_id=None)
    r = await c.post(f"/v1/campaigns/{email['id']}/schedule", json={"scheduled_at": FUTURE})
    assert r.json() == {
        "email_message_id": ["An email campaign needs an email message of type campaign."]
    }

    # A marketing segment whose consent was removed behind the API's back.
    seg = await segment_named(c, "Danish speakers")
    sandbox.db.execute(
        "UPDATE segments SET communication_type = 'marketing', consent_id = NULL WHERE id = ?",
        (seg["id"],),
    )
    ok = await new_campaign(c, sandbox, "sms")
    r = await c.post(f"/v1/campaigns/{ok['id']}/send-now")
    assert r.json() == {
        "segment_id": ["A marketing segment needs a consent before it can be sent to."]
    }
    # Its segment deleted behind the API's back.
    sandbox.db.execute("UPDATE campaigns SET segment_id = 'seg_gone' WHERE id = ?", (ok["id"],))
    r = await c.post(f"/v1/campaigns/{ok['id']}/send-now")
    assert r.json() == {"segment_id": ["The campaign has no segment."]}
    assert (await c.get(f"/v1/campaigns/{ok['id']}")).json()["status"] == "draft"
