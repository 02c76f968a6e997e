"""Consents and email messages against the sandbox."""

from __future__ import annotations

import pytest

from preo_tui.api import Conflict, NotFound, PermissionDenied, PreoClient, ValidationFailed
from preo_tui.api.consents import ConsentChannel
from preo_tui.api.editions import EditionStatus
from preo_tui.api.email_messages import Block, BlockType, EmailScope, EmailType


async def main_ids(preo: PreoClient) -> tuple[str, str]:
    """(organization id, current edition id) of the main organization."""
    page = await preo.editions.list(status=EditionStatus.CURRENT)
    edition = page.results[0]
    assert edition.organization_id
    return edition.organization_id, edition.id


async def test_consents_crud(preo: PreoClient) -> None:
    org, edition = await main_ids(preo)
    listed = await preo.consents.list(organization_id=org)
    assert "cns_newsletter" in {c.id for c in listed.results}
    created = await preo.consents.create(
        organization_id=org,
        name="Client SMS",
        channel=ConsentChannel.SMS,
        edition_id=edition,
        description="Texts about the festival",
    )
    assert created.channel is ConsentChannel.SMS and created.is_active in (True, None)
    got = await preo.consents.get(created.id)
    assert got.name == "Client SMS" and got.edition_id == edition
    updated = await preo.consents.update(created.id, is_active=False, description="Off")
    assert updated.is_active is False and updated.description == "Off"
    await preo.consents.delete(created.id)
    with pytest.raises(NotFound):
        await preo.consents.get(created.id)
    with pytest.raises(ValidationFailed) as info:
        await preo.consents.create(organization_id=org, name="", channel="fax")
    assert set(info.value.fields) == {"name", "channel"}


async def test_email_messages_crud_and_actions(preo: PreoClient) -> None:
    org, edition = await main_ids(preo)
    templates = await preo.email_messages.list(organization_id=org, scope=EmailScope.TEMPLATE)
    assert templates.results and all(m.scope is EmailScope.TEMPLATE for m in templates.results)
    campaign_msgs = await preo.email_messages.list(edition_id=edition, type=EmailType.CAMPAIGN)
    assert all(m.type is EmailType.CAMPAIGN for m in campaign_msgs.results)

    created = await preo.email_messages.create(
        organization_id=org, title="Client hello", type=EmailType.CAMPAIGN, edition_id=edition,
        scope=EmailScope.EDITION, subject="Hi {{ user.first_name }}",
    )  # fmt: skip
    detail = await preo.email_messages.get(created.id)
    assert detail.blocks is not None
    updated = await preo.email_messages.update(
        created.id,
        title="Client hello 2",
        blocks=[
            Block(type=BlockType.HEADING, text="Welcome"),
            {"type": "button", "text": "Tickets", "url": "https://example.test"},
        ],
    )
    assert updated.title == "Client hello 2"
    assert updated.blocks and [b.type for b in updated.blocks] == ["heading", "button"]

    variables = await preo.email_messages.template_variables(created.id)
    assert "user.first_name" in {v.name for v in variables}
    preview = await preo.email_messages.preview(created.id, language="da")
    assert preview.subject and preview.html and preview.text

    copy = await preo.email_messages.duplicate(created.id, title="Copy")
    assert copy.id != created.id and copy.title == "Copy"
    adopted = await preo.email_messages.adopt(templates.results[0].id, edition)
    assert adopted.scope is EmailScope.EDITION and adopted.edition_id == edition

    await preo.email_messages.delete(copy.id)
    with pytest.raises(NotFound):
        await preo.email_messages.get(copy.id)
    with pytest.raises(ValidationFailed) as info:
        await preo.email_messages.update(created.id, blocks=[{"type": "button", "text": "x"}])
    assert "blocks" in info.value.fields


async def test_email_message_conflicts_and_permissions(preo: PreoClient) -> None:
    org, edition = await main_ids(preo)
    ed = await preo.editions.get(edition)
    assert ed.transaction_receipt_email_id
    with pytest.raises(Conflict):
        await preo.email_messages.delete(ed.transaction_receipt_email_id)
    platform = await preo.email_messages.list(scope="platform")
    if platform.results:
        with pytest.raises(PermissionDenied):
            await preo.email_messages.update(platform.results[0].id, title="Mine now")
