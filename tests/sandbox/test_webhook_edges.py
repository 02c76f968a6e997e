"""Webhook plumbing at its edges: signatures a receiver must refuse, an unknown event name,
the in-process sink receiving signed deliveries, a receiver that crashes (recorded, retried,
never killing the dispatcher), and pending deliveries resumed at start-up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from preo_tui.sandbox.events import MAX_ATTEMPTS, SINK_HOST, sign, verify
from tests.fixtures.sandbox import Sandbox, wait_for
from tests.sandbox.test_webhooks import approve_one, make_endpoint


def test_signatures_a_receiver_must_refuse() -> None:
    body = b'{"a": 1}'
    good = sign("s3cret", 1_700_000_000, body)
    assert good.startswith("t=1700000000,v1=") and verify("s3cret", good, body)
    assert not verify("other", good, body)
    assert not verify("s3cret", good, body + b" ")
    assert not verify("s3cret", "garbage", body)
    assert not verify("s3cret", "t=soon,v1=abc", body)
    assert not verify("s3cret", "v1=abc", body)


async def test_an_unknown_event_is_a_programming_error(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown webhook event 'order.exploded'"):
        sandbox.state.emit_event("order.exploded", {}, sandbox.organizations[0], None)


async def test_the_in_process_sink_receives_signed_deliveries(sandbox: Sandbox) -> None:
    c = sandbox.client()
    hook = await make_endpoint(c, sandbox, url=f"http://{SINK_HOST}/mine")
    await approve_one(c, sandbox)
    await sandbox.idle()
    sink = sandbox.state.webhooks.sink
    [received] = [r for r in sink.received if r["path"] == "/mine"]
    assert received["event"] == "refund_request.approved"
    deliveries = (await c.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["results"]
    assert [d["status"] for d in deliveries] == ["succeeded"]
    assert received["delivery"] == deliveries[0]["id"]


class Crashing(httpx.AsyncBaseTransport):
    """A transport whose receiver blows up with something that is not an HTTP error."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("receiver bug")


async def test_a_crashing_receiver_is_recorded_and_retried(sandbox_factory: Any) -> None:
    box = sandbox_factory(speed=100_000.0, webhook_transport=Crashing())
    await box.start()
    try:
        c = box.client()
        hook = await make_endpoint(c, box)
        await approve_one(c, box)

        def final() -> Any:
            return box.db.one(
                "SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'failed'",
                (hook["id"],),
            )

        # Every attempt crashes: retried up to the limit, then failed (time runs fast).
        delivery = await wait_for(final, within=10.0, message="the delivery to fail")
        assert delivery["attempt_count"] == MAX_ATTEMPTS
        assert delivery["response_body"] == "RuntimeError: receiver bug"
        assert delivery["response_status"] is None
    finally:
        await box.stop()


async def test_pending_deliveries_resume_at_start(sandbox_factory: Any) -> None:
    box = sandbox_factory(speed=100_000.0)
    c = box.client()
    hook = await make_endpoint(c, box, url=f"http://{SINK_HOST}/later")
    # Approved before the background tasks run: the delivery waits, pending.
    await approve_one(c, box)
    rows = box.db.query(
        "SELECT id, status FROM webhook_deliveries WHERE endpoint_id = ?", (hook["id"],)
    )
    assert [r["status"] for r in rows] == ["pending"]
    await box.start()
    try:
        await box.idle()
        status = box.db.scalar(
            "SELECT status FROM webhook_deliveries WHERE endpoint_id = ?", (hook["id"],)
        )
        assert status == "succeeded"
    finally:
        await box.stop()
