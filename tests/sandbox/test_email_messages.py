"""Email messages over HTTP: scopes, filters, CRUD, the platform read-only rule, 409s, adopt,
duplicate, preview and template variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.fixtures.sandbox import Sandbox

TYPES = {
    "receipt",
    "receipt_online",
    "reminder",
    "refund_confirmation",
    "user_portal_access",
    "campaign",
    "other",
}


async def messages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/v1/email-messages", params={"page_size": 500, **params})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def test_seed_has_every_type_and_scope(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        everything = await messages(c)
        assert {m["type"] for m in everything} == TYPES
        assert {m["scope"] for m in everything} == {"platform", "template", "edition"}
        platform = await messages(c, scope="platform")
        assert {m["type"] for m in platform} == TYPES
        assert all(m["organization_id"] is None and m["edition_id"] is None for m in platform)
        assert all("blocks" not in m for m in everything)
        edition = await messages(c, edition_id=sandbox.editions["current"])
        assert edition and all(m["edition_id"] == sandbox.editions["current"] for m in edition)
        assert {m["type"] for m in edition} == TYPES
        campaigns = await messages(c, type="campaign", scope="edition")
        assert campaigns and all(m["type"] == "campaign" for m in campaigns)
        org = await messages(c, organization_id=sandbox.organizations[0])
        assert {m["organization_id"] for m in org} == {sandbox.organizations[0], None}
        titles = [m["title"] for m in await messages(c, ordering="title")]
        assert titles == sorted(titles)
        created = [m["created"] for m in await messages(c, ordering="-created")]
        assert created == sorted(created, reverse=True)
        for bad in ({"scope": "global"}, {"type": "sms"}, {"ordering": "subject"}):
            r = await c.get("/v1/email-messages", params=bad)
            assert r.status_code == 400 and list(r.json()) == [next(iter(bad))]
    async with sandbox.client("staff") as staff:
        visible = await messages(staff)
        assert all(m["organization_id"] in (None, sandbox.organizations[0]) for m in visible)


async def test_create_get_update_delete(sandbox: Sandbox) -> None:
    org, edition = sandbox.organizations[0], sandbox.editions["current"]
    async with sandbox.client() as c:
        r = await c.post(
            "/v1/email-messages",
            json={
                "organization_id": org,
                "title": "Gate times",
                "type": "campaign",
                "edition_id": edition,
            },
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["scope"] == "edition" and made["template"] == "modern"
        assert made["subject"] == "Gate times" and made["blocks"][0]["type"] == "heading"
        assert (await c.get(f"/v1/email-messages/{made['id']}")).json() == made
        blocks = [
            {"type": "heading", "text": "Hi {{ user.first_name }}"},
            {"type": "button", "text": "Map", "url": "https://example.com/map"},
            {"type": "divider"},
        ]
        r = await c.patch(
            f"/v1/email-messages/{made['id']}",
            json={"subject": "Gates open at 14", "blocks": blocks},
        )
        assert r.status_code == 200
        assert r.json()["subject"] == "Gates open at 14"
        assert [b["type"] for b in r.json()["blocks"]] == ["heading", "button", "divider"]
        r = await c.patch(
            f"/v1/email-messages/{made['id']}", json={"blocks": [{"type": "button", "text": "x"}]}
        )
        assert r.status_code == 400 and "url" in r.json()["blocks"][0]
        r = await c.patch(f"/v1/email-messages/{made['id']}", json={"blocks": [{"type": "video"}]})
        assert r.status_code == 400 and "blocks" in r.json()
        assert (await c.delete(f"/v1/email-messages/{made['id']}")).status_code == 204
        assert (await c.get(f"/v1/email-messages/{made['id']}")).status_code == 404
        # bad bodies
        for body, field in (
            (
                {"organization_id": org, "title": "x", "type": "newsletter", "edition_id": edition},
                "type",
            ),
            ({"organization_id": org, "title": "x", "type": "other"}, "edition_id"),
            ({"organization_id": org, "type": "other", "edition_id": edition}, "title"),
            (
                {"organization_id": org, "title": "x", "type": "other", "edition_id": "edt_x"},
                "edition_id",
            ),
        ):
            r = await c.post("/v1/email-messages", json=body)
            assert r.status_code == 400 and field in r.json(), body
        r = await c.post(
            "/v1/email-messages",
            json={"organization_id": org, "title": "T", "type": "reminder", "scope": "template"},
        )
        assert r.status_code == 201 and r.json()["edition_id"] is None
        r = await c.post(
            "/v1/email-messages",
            json={"organization_id": org, "title": "P", "type": "other", "scope": "platform"},
        )
        assert r.status_code == 403


async def test_platform_messages_are_read_only(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        platform = (await messages(c, scope="platform"))[0]
        assert (await c.get(f"/v1/email-messages/{platform['id']}")).status_code == 200
        r = await c.patch(f"/v1/email-messages/{platform['id']}", json={"title": "Mine now"})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
        assert (await c.delete(f"/v1/email-messages/{platform['id']}")).status_code == 403


async def test_delete_is_409_while_referenced(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    async with box.client() as c:
        receipt = box.db.scalar(
            "SELECT transaction_receipt_email_id FROM editions WHERE id = ?",
            (box.editions["current"],),
        )
        r = await c.delete(f"/v1/email-messages/{receipt}")
        assert r.status_code == 409 and "edition" in r.json()["detail"]
        used = box.db.one(
            "SELECT email_message_id FROM campaigns WHERE status = 'draft' AND channel = 'email'"
        )
        assert used is not None
        r = await c.delete(f"/v1/email-messages/{used[0]}")
        assert r.status_code == 409 and "campaign" in r.json()["detail"]
        finished = box.db.query(
            "SELECT email_message_id FROM campaigns WHERE status = 'sent' AND email_message_id NOT IN"
            " (SELECT email_message_id FROM campaigns WHERE status IN"
            " ('draft','scheduled','calculating','sending') AND email_message_id IS NOT NULL)"
        )
        if finished:
            r = await c.delete(f"/v1/email-messages/{finished[0][0]}")
            assert r.status_code == 204


async def test_adopt_and_duplicate(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        template = (await messages(c, scope="template", organization_id=sandbox.organizations[0]))[
            0
        ]
        upcoming = sandbox.editions["upcoming"]
        r = await c.post(
            f"/v1/email-messages/{template['id']}/adopt", json={"edition_id": upcoming}
        )
        assert r.status_code == 201
        adopted = r.json()
        assert adopted["scope"] == "edition" and adopted["edition_id"] == upcoming
        assert adopted["id"] != template["id"] and adopted["title"] == template["title"]
        full = (await c.get(f"/v1/email-messages/{template['id']}")).json()
        assert adopted["blocks"] == full["blocks"]
        r = await c.post(
            f"/v1/email-messages/{template['id']}/adopt",
            json={"edition_id": sandbox.editions["second_org"]},
        )
        assert r.status_code == 400
        r = await c.post(f"/v1/email-messages/{template['id']}/adopt", json={})
        assert r.status_code == 400 and "edition_id" in r.json()
        r = await c.post(f"/v1/email-messages/{template['id']}/duplicate")
        assert r.status_code == 201 and r.json()["title"] == f"{template['title']} (copy)"
        r = await c.post(f"/v1/email-messages/{template['id']}/duplicate", json={"title": "Mine"})
        assert r.json()["title"] == "Mine" and r.json()["scope"] == "template"
        platform = (await messages(c, scope="platform", type="receipt"))[0]
        r = await c.post(f"/v1/email-messages/{platform['id']}/duplicate")
        assert r.status_code == 201
        copy = r.json()
        assert copy["scope"] == "template" and copy["organization_id"] == sandbox.organizations[0]
        r = await c.patch(f"/v1/email-messages/{copy['id']}", json={"title": "Editable"})
        assert r.status_code == 200


async def test_preview_and_template_variables(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:
        msg = (await messages(c, edition_id=sandbox.editions["current"], type="campaign"))[0]
        r = await c.get(f"/v1/email-messages/{msg['id']}/template-variables")
        assert r.status_code == 200
        names = {v["name"] for v in r.json()}
        assert {"user.first_name", "edition.name", "unsubscribe_url"} <= names
        assert all(v["description"] and v["example"] for v in r.json())
        await c.patch(
            f"/v1/email-messages/{msg['id']}",
            json={
                "subject": "Hi {{ user.first_name }}, news about {{edition.name}}",
                "blocks": [
                    {
                        "type": "text",
                        "text": "Dear {{ user.first_name }} <b>{{ user.last_name }}</b>",
                    },
                    {"type": "text", "text": "Unknown: {{ user.shoe_size }}"},
                    {"type": "button", "text": "Tickets", "url": "{{ user_portal_url }}"},
                ],
            },
        )
        sample = (await c.post(f"/v1/email-messages/{msg['id']}/preview")).json()
        assert set(sample) == {"subject", "html", "text"}
        edition_name = sandbox.db.scalar(
            "SELECT name FROM editions WHERE id = ?", (sandbox.editions["current"],)
        )
        assert sample["subject"] == f"Hi Freja, news about {edition_name}"
        assert "&lt;b&gt;Nielsen&lt;/b&gt;" in sample["html"]  # literal text is escaped
        assert "{{ user.shoe_size }}" in sample["text"]  # unknown placeholders stay visible
        assert 'lang="en"' in sample["html"]
        user = sandbox.db.one(
            "SELECT * FROM users WHERE id IN (SELECT customer_id FROM orders WHERE edition_id = ?)"
            " AND language = 'da' LIMIT 1",
            (sandbox.editions["current"],),
        )
        assert user is not None
        mine = (
            await c.post(f"/v1/email-messages/{msg['id']}/preview", json={"user_id": user["id"]})
        ).json()
        assert mine["subject"].startswith(f"Hi {user['first_name']},")
        assert 'lang="da"' in mine["html"] and "billet" in mine["text"]
        forced = (
            await c.post(
                f"/v1/email-messages/{msg['id']}/preview",
                json={"user_id": user["id"], "language": "se"},
            )
        ).json()
        assert 'lang="se"' in forced["html"]
        r = await c.post(f"/v1/email-messages/{msg['id']}/preview", json={"user_id": "usr_nope"})
        assert r.status_code == 400 and "user_id" in r.json()
        r = await c.post(f"/v1/email-messages/{msg['id']}/preview", json={"language": "fr"})
        assert r.status_code == 400 and "language" in r.json()
        r = await c.get("/v1/email-messages/eml_nope/template-variables")
        assert r.status_code == 404
