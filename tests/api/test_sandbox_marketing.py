"""Segments (with CEL) and campaigns against the sandbox."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from preo_tui.api import Conflict, PreoClient, ValidationFailed
from preo_tui.api.campaigns import CampaignStatus, Channel
from preo_tui.api.editions import EditionStatus
from preo_tui.api.email_messages import EmailType
from preo_tui.api.segments import (
    CommunicationChannel,
    CommunicationType,
    Segment,
    SegmentStatus,
)

from .conftest import poll_until


async def ids(preo: PreoClient) -> tuple[str, str]:
    edition = (await preo.editions.list(status=EditionStatus.CURRENT)).results[0]
    assert edition.organization_id
    return edition.organization_id, edition.id


async def completed_segment(preo: PreoClient, org: str, edition: str, condition: str) -> Segment:
    seg = await preo.segments.create(
        organization_id=org,
        edition_id=edition,
        name=f"Client {condition[:20]}",
        condition=condition,
        communication_type=CommunicationType.TRANSACTIONAL,
        communication_channel=CommunicationChannel.ANY,
    )
    assert seg.status is SegmentStatus.DRAFT
    started = await preo.segments.recalculate(seg.id)
    assert started.status in ("pending", "processing", "completed")
    return await poll_until(
        lambda: preo.segments.get(seg.id),
        lambda s: s.status in (SegmentStatus.COMPLETED, SegmentStatus.FAILED),
    )


async def test_cel_context_and_validation(preo: PreoClient) -> None:
    _, edition = await ids(preo)
    ctx = await preo.segments.cel_context(edition)
    assert {"user", "orders", "edition", "now"} <= set(ctx.variables)
    assert "size" in ctx.functions and ctx.dynamic_values.products
    ok = await preo.segments.validate_cel('user.language == "da"', edition)
    assert ok.valid is True and ok.estimated_user_count is not None and not ok.errors
    bad = await preo.segments.validate_cel("user.language ==", edition)
    assert bad.valid is False and bad.errors and bad.errors[0].line == 1
    assert bad.errors[0].column is not None and bad.errors[0].column >= 1


async def test_validate_cel_audience_rules_narrow_the_estimate(preo: PreoClient) -> None:
    _, edition = await ids(preo)
    condition = "size(orders) > 0"
    everyone = await preo.segments.validate_cel(condition, edition)
    consenting = await preo.segments.validate_cel(
        condition,
        edition,
        communication_type=CommunicationType.MARKETING,
        communication_channel="email",
        consent_id="cns_newsletter",
    )
    assert everyone.valid and consenting.valid
    assert everyone.estimated_user_count is not None
    assert consenting.estimated_user_count is not None
    # Only users who granted the newsletter consent remain: some, but not everyone.
    assert 0 < consenting.estimated_user_count < everyone.estimated_user_count


async def test_segment_life_cycle_and_export(preo: PreoClient, tmp_path: Path) -> None:
    org, edition = await ids(preo)
    seg = await completed_segment(preo, org, edition, 'user.language == "da"')
    assert seg.status is SegmentStatus.COMPLETED and seg.user_count and seg.last_calculated
    listed = await preo.segments.list(edition_id=edition, status=SegmentStatus.COMPLETED)
    assert seg.id in {s.id for s in listed.results}

    data = await preo.segments.export_csv(seg.id)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == seg.user_count
    assert list(rows[0]) == ["id", "email", "phone", "first_name", "last_name", "language"]
    assert {r["language"] for r in rows} == {"da"}
    target = tmp_path / "segment.csv"
    assert await preo.segments.export_csv(seg.id, target) == target
    assert target.read_bytes() == data
    chunks = [c async for c in preo.segments.iter_export_csv(seg.id, chunk_size=64)]
    assert b"".join(chunks) == data

    changed = await preo.segments.update(seg.id, condition='user.language == "se"', name="Swedes")
    assert changed.status is SegmentStatus.DRAFT and changed.name == "Swedes"
    with pytest.raises(Conflict):
        await preo.segments.export_csv(seg.id, tmp_path / "draft.csv")
    assert not (tmp_path / "draft.csv").exists()
    assert os.listdir(tmp_path) == ["segment.csv"]  # no partial files left
    with pytest.raises(Conflict):
        await preo.segments.reset_to_draft(seg.id)  # only stuck (pending/processing) segments
    await preo.segments.delete(seg.id)


async def test_segment_validation(preo: PreoClient) -> None:
    org, edition = await ids(preo)
    with pytest.raises(ValidationFailed) as info:
        await preo.segments.create(
            organization_id=org, edition_id=edition, name="Bad", condition="orders.nope("
        )
    assert "condition" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        await preo.segments.create(
            organization_id=org,
            edition_id=edition,
            name="Marketing without consent",
            condition="true",
            communication_type=CommunicationType.MARKETING,
        )
    assert info.value.fields


async def test_campaigns(preo: PreoClient) -> None:
    org, edition = await ids(preo)
    seg = await completed_segment(preo, org, edition, "size(orders) > 0")
    message = await preo.email_messages.create(
        organization_id=org, title="Campaign mail", type=EmailType.CAMPAIGN, edition_id=edition,
        subject="Hello {{ user.first_name }}",
    )  # fmt: skip
    sms = await preo.campaigns.create(
        organization_id=org, edition_id=edition, segment_id=seg.id, name="Client SMS",
        channel=Channel.SMS, sms_body="Gates open at 10!",
    )  # fmt: skip
    assert sms.status is CampaignStatus.DRAFT and sms.segment_id == seg.id
    renamed = await preo.campaigns.update(sms.id, name="Client SMS 2")
    assert renamed.name == "Client SMS 2"
    when = datetime.now(UTC) + timedelta(days=2)
    scheduled = await preo.campaigns.schedule(sms.id, when)
    assert scheduled.status is CampaignStatus.SCHEDULED and scheduled.scheduled_at
    assert abs((scheduled.scheduled_at - when).total_seconds()) < 1
    with pytest.raises(ValidationFailed):
        await preo.campaigns.schedule(sms.id, datetime(2000, 1, 1))
    cancelled = await preo.campaigns.cancel(sms.id)
    assert cancelled.status is CampaignStatus.CANCELLED
    with pytest.raises(Conflict):
        await preo.campaigns.send_now(sms.id)
    await preo.campaigns.delete(sms.id)

    mail = await preo.campaigns.create(
        organization_id=org, edition_id=edition, segment_id=seg.id, name="Client mail",
        channel="email", email_message_id=message.id,
    )  # fmt: skip
    sending = await preo.campaigns.send_now(mail.id)
    assert sending.status in ("calculating", "sending", "sent")
    done = await poll_until(
        lambda: preo.campaigns.get(mail.id),
        lambda c: c.status in (CampaignStatus.SENT, CampaignStatus.FAILED),
    )
    assert done.status is CampaignStatus.SENT and done.user_count == seg.user_count
    stats = await preo.campaigns.stats(mail.id)
    assert stats.total_recipients == done.total_recipients and stats.sent_count is not None
    with pytest.raises(Conflict):
        await preo.campaigns.delete(mail.id)
    listed = await preo.campaigns.list(edition_id=edition, channel=Channel.EMAIL, search="Client")
    assert mail.id in {c.id for c in listed.results}
