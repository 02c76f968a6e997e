"""Webhook endpoints and deliveries against the sandbox (delivered to its in-process sink)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest

from preo_tui.api import Conflict, NotFound, PreoClient, ValidationFailed
from preo_tui.api.editions import EditionStatus
from preo_tui.api.webhooks import DeliveryStatus, WebhookEvent

from .conftest import Sandbox, control, poll_until

SINK = "http://webhooks.sandbox.invalid"


def signature_ok(secret: str, header: str, body: str) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


async def test_webhook_endpoint_crud_deliveries_and_secret(
    sandbox: Sandbox, preo: PreoClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="preo_tui.api")
    edition = (await preo.editions.list(status=EditionStatus.CURRENT)).results[0]
    assert edition.organization_id
    seeded = await preo.webhooks.list(organization_id=edition.organization_id, is_active=True)
    assert seeded.results and all(w.is_active for w in seeded.results)

    hook = await preo.webhooks.create(
        organization_id=edition.organization_id,
        name="Client hook",
        url=f"{SINK}/client",
        events=[WebhookEvent.REFUND_REQUEST_APPROVED, "refund_request.rejected"],
        edition_id=edition.id,
        timeout_seconds=5,
    )
    assert hook.secret and "secret" not in repr(hook).replace("rotate", "")
    assert hook.events == ["refund_request.approved", "refund_request.rejected"]
    assert (await preo.webhooks.get(hook.id)).name == "Client hook"

    refund = (await preo.refunds.list(edition_id=edition.id, status="requested")).results[0]
    await preo.refunds.approve(refund.id)
    page = await poll_until(
        lambda: preo.webhooks.deliveries(hook.id),
        lambda p: bool(p.results) and p.results[0].status != DeliveryStatus.PENDING,
    )
    delivery = page.results[0]
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.response_status == 200
    assert delivery.event is WebhookEvent.REFUND_REQUEST_APPROVED
    assert (await preo.webhooks.delivery(hook.id, delivery.id)).id == delivery.id
    received = (await control(sandbox, "GET", "/_sandbox/webhook-sink"))["received"]
    mine = [r for r in received if r["delivery"] == delivery.id]
    assert mine and signature_ok(hook.secret, mine[0]["signature"], mine[0]["body"])
    assert json.loads(mine[0]["body"])["data"]["id"] == refund.id

    new_secret = await preo.webhooks.rotate_secret(hook.id)
    assert new_secret != hook.secret
    # only a failed delivery can be retried: this one succeeded
    with pytest.raises(Conflict):
        await preo.webhooks.retry_delivery(hook.id, delivery.id)
    assert (await preo.webhooks.delivery(hook.id, delivery.id)).attempt_count == 1
    # the next delivery is signed with the new secret, not the old one
    other = (await preo.refunds.list(edition_id=edition.id, status="requested")).results[0]
    await preo.refunds.approve(other.id)
    page = await poll_until(
        lambda: preo.webhooks.deliveries(hook.id),
        lambda p: p.count == 2 and all(d.status != DeliveryStatus.PENDING for d in p.results),
    )
    second = next(d for d in page.results if d.id != delivery.id)
    received = (await control(sandbox, "GET", "/_sandbox/webhook-sink"))["received"]
    last = [r for r in received if r["delivery"] == second.id][-1]
    assert signature_ok(new_secret, last["signature"], last["body"])
    assert not signature_ok(hook.secret, last["signature"], last["body"])
    all_deliveries = [d.id async for d in preo.webhooks.iterate_deliveries(hook.id)]
    assert delivery.id in all_deliveries

    paused = await preo.webhooks.update(hook.id, is_active=False, name="Paused hook")
    assert paused.is_active is False and paused.name == "Paused hook"
    with pytest.raises(ValidationFailed):
        await preo.webhooks.update(hook.id, events=["no.such.event"])
    await preo.webhooks.delete(hook.id)
    with pytest.raises(NotFound):
        await preo.webhooks.get(hook.id)
    for secret in (hook.secret, new_secret):
        assert secret not in caplog.text
