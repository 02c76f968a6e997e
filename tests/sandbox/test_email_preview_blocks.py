"""Email previews of every block kind (heading, image with and without alt text, divider)
for a message without an edition, a preview for a user of another organization refused,
and campaigns refusing a message that is not of type campaign."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.sandbox import Sandbox


async def create_message(c: httpx.AsyncClient, org: str, **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"organization_id": org, "title": "Blocks", "type": "other"}
    payload.update(body)
    r = await c.post("/v1/email-messages", json=payload)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def test_every_block_kind_renders_in_html_and_text(sandbox: Sandbox) -> None:
    c = sandbox.client()
    org = sandbox.organizations[0]
    msg = await create_message(
        c,
        org,
        scope="template",
        subject="Hello {{ user.first_name }} <3",
        blocks=[
            {"type": "heading", "text": "News for {{ organization.name }}"},
            {"type": "image", "url": "https://cdn.example/a.png?x=1&y=2", "text": "A <poster>"},
            {"type": "image", "url": "https://cdn.example/b.png"},
            {"type": "divider"},
        ],
    )
    r = await c.post(f"/v1/email-messages/{msg['id']}/preview")
    assert r.status_code == 200
    preview = r.json()
    org_name = sandbox.db.scalar("SELECT name FROM organizations WHERE id = ?", (org,))
    assert preview["subject"] == "Hello Freja <3"  # the subject is text, not HTML
    html, text = preview["html"], preview["text"]
    assert f"<h1>News for {org_name}</h1>" in html
    assert '<img src="https://cdn.example/a.png?x=1&amp;y=2" alt="A &lt;poster&gt;">' in html
    assert '<img src="https://cdn.example/b.png" alt="">' in html
    assert "<hr>" in html and "<title>Hello Freja &lt;3</title>" in html
    lines = [line for line in text.splitlines() if line]
    assert lines[:3] == [f"News for {org_name}", "[A <poster>]", "-" * 40]
    # No edition: its placeholders keep their sample values.
    assert "edition" not in text


async def test_a_user_of_another_organization_cannot_be_previewed(sandbox: Sandbox) -> None:
    admin = sandbox.client()
    c = sandbox.client("staff")  # a member of the first organization only
    mine = sandbox.organizations[0]
    msg = await create_message(admin, mine, edition_id=sandbox.editions["current"])
    foreign = sandbox.db.scalar("SELECT id FROM users WHERE organization_id != ? LIMIT 1", (mine,))
    assert foreign is not None
    r = await c.post(f"/v1/email-messages/{msg['id']}/preview", json={"user_id": foreign})
    assert r.status_code == 400 and r.json() == {"user_id": ["Unknown user."]}


async def test_campaigns_need_a_message_of_type_campaign(sandbox: Sandbox) -> None:
    c = sandbox.client()
    org = sandbox.organizations[0]
    other = await create_message(c, org, edition_id=sandbox.editions["current"])
    seg = (await c.get("/v1/segments", params={"edition_id": sandbox.editions["current"]})).json()
    r = await c.post(
        "/v1/campaigns",
        json={
            "organization_id": org,
            "edition_id": sandbox.editions["current"],
            "segment_id": seg["results"][0]["id"],
            "name": "Wrong message",
            "channel": "email",
            "email_message_id": other["id"],
        },
    )
    assert r.status_code == 400
    assert r.json() == {
        "email_message_id": ["A campaign needs an email message of type campaign, not other."]
    }
