"""Read-only mode: every write method is refused before anything is sent.

The table below calls every non-GET operation of the client through its public method. The
test first proves the table covers the whole registry (a new write operation without a row
fails here), then that each write raises ReadOnlyError with zero requests sent, and that the
only non-GET operations let through are the documented side-effect-free ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from preo_tui.api import ALL_OPERATIONS, PreoClient, ReadOnlyError

from .helpers import make_client

Call = Callable[[PreoClient], Awaitable[Any]]

NON_GET_CALLS: dict[str, Call] = {
    "auth.login": lambda p: p.auth.login("a@b.c", "pw"),
    "auth.refresh": lambda p: p.auth.refresh("tok-refresh-xyz"),
    "auth.request_pin": lambda p: p.auth.request_pin("+4511111111"),
    "auth.verify_pin": lambda p: p.auth.verify_pin("+4511111111", "123456"),
    "editions.create": lambda p: p.editions.create(
        organization_id="org_1", event_id="evt_1", name="2027"
    ),
    "editions.update": lambda p: p.editions.update("edt_1", name="x"),
    "editions.duplicate": lambda p: p.editions.duplicate("edt_1", name="copy"),
    "purchases.refund": lambda p: p.purchases.refund("pur_1", reason="other"),
    "users.update": lambda p: p.users.update("usr_1", first_name="A"),
    "refunds.create": lambda p: p.refunds.create(purchase_id="pur_1", reason="other"),
    "refunds.approve": lambda p: p.refunds.approve("rfr_1"),
    "refunds.reject": lambda p: p.refunds.reject("rfr_1", reason="no"),
    "campaigns.create": lambda p: p.campaigns.create(
        organization_id="org_1", edition_id="edt_1", segment_id="seg_1", name="c", channel="sms"
    ),
    "campaigns.update": lambda p: p.campaigns.update("cmp_1", name="c2"),
    "campaigns.delete": lambda p: p.campaigns.delete("cmp_1"),
    "campaigns.cancel": lambda p: p.campaigns.cancel("cmp_1"),
    "campaigns.schedule": lambda p: p.campaigns.schedule("cmp_1", "2030-01-01T00:00:00Z"),
    "campaigns.send_now": lambda p: p.campaigns.send_now("cmp_1"),
    "segments.create": lambda p: p.segments.create(
        organization_id="org_1", name="s", edition_id="edt_1", condition="true"
    ),
    "segments.update": lambda p: p.segments.update("seg_1", name="s2"),
    "segments.delete": lambda p: p.segments.delete("seg_1"),
    "segments.recalculate": lambda p: p.segments.recalculate("seg_1"),
    "segments.reset_to_draft": lambda p: p.segments.reset_to_draft("seg_1"),
    "segments.validate_cel": lambda p: p.segments.validate_cel("true", "edt_1"),
    "email_messages.create": lambda p: p.email_messages.create(
        organization_id="org_1", title="t", type="campaign"
    ),
    "email_messages.update": lambda p: p.email_messages.update("eml_1", title="t2"),
    "email_messages.delete": lambda p: p.email_messages.delete("eml_1"),
    "email_messages.adopt": lambda p: p.email_messages.adopt("eml_1", "edt_1"),
    "email_messages.duplicate": lambda p: p.email_messages.duplicate("eml_1"),
    "email_messages.preview": lambda p: p.email_messages.preview("eml_1"),
    "consents.create": lambda p: p.consents.create(
        organization_id="org_1", name="n", channel="email"
    ),
    "consents.update": lambda p: p.consents.update("cns_1", name="n2"),
    "consents.delete": lambda p: p.consents.delete("cns_1"),
    "files.upload": lambda p: p.files.upload(b"abc", organization_id="org_1", file_name="a.txt"),
    "files.update": lambda p: p.files.update("fil_1", caption="c"),
    "files.delete": lambda p: p.files.delete("fil_1", force=True),
    "data_imports.create": lambda p: p.data_imports.create(
        edition_id="edt_1", data_file=b"a,b\n1,2\n", data_file_name="x.csv"
    ),
    "data_imports.update": lambda p: p.data_imports.update("imp_1", name="n"),
    "data_imports.cancel": lambda p: p.data_imports.cancel("imp_1"),
    "data_imports.update_column_mappings": lambda p: p.data_imports.update_column_mappings(
        "imp_1", [{"column": "a", "target": "email"}]
    ),
    "data_imports.validate_column_mappings": lambda p: p.data_imports.validate_column_mappings(
        "imp_1"
    ),
    "data_imports.process_column_mappings": lambda p: p.data_imports.process_column_mappings(
        "imp_1"
    ),
    "data_imports.update_product_mappings": lambda p: p.data_imports.update_product_mappings(
        "imp_1", [{"source_name": "VIP", "product_id": "prd_1"}]
    ),
    "data_imports.start": lambda p: p.data_imports.start("imp_1"),
    "data_imports.external_orders": lambda p: p.data_imports.external_orders(
        edition_id="edt_1", service="shopify", orders=[{"order_number": "1"}]
    ),
    "webhooks.create": lambda p: p.webhooks.create(
        organization_id="org_1", name="w", url="https://x.test", events=["order.created"]
    ),
    "webhooks.update": lambda p: p.webhooks.update("whe_1", name="w2"),
    "webhooks.delete": lambda p: p.webhooks.delete("whe_1"),
    "webhooks.retry_delivery": lambda p: p.webhooks.retry_delivery("whe_1", "whd_1"),
    "webhooks.rotate_secret": lambda p: p.webhooks.rotate_secret("whe_1"),
}

#: Non-GET operations that change no data and so stay available in read-only mode.
ALLOWED_IN_READ_ONLY = {
    "auth.login",
    "auth.refresh",
    "auth.request_pin",
    "auth.verify_pin",
    "segments.validate_cel",
    "email_messages.preview",
}


def test_table_covers_every_non_get_operation() -> None:
    non_get = {op.key for op in ALL_OPERATIONS if op.method != "GET"}
    assert set(NON_GET_CALLS) == non_get
    allowed = {op.key for op in ALL_OPERATIONS if op.method != "GET" and not op.is_write}
    assert allowed == ALLOWED_IN_READ_ONLY
    assert all(op.is_write is False for op in ALL_OPERATIONS if op.method == "GET")


@pytest.mark.parametrize("key", sorted(set(NON_GET_CALLS) - ALLOWED_IN_READ_ONLY))
async def test_read_only_refuses_write_before_sending(key: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"read-only client sent {request.method} {request.url}")

    preo, rec = make_client(handler, read_only=True)
    async with preo:
        with pytest.raises(ReadOnlyError) as info:
            await NON_GET_CALLS[key](preo)
        assert preo.writes_in_flight == 0
    assert rec.requests == []
    assert info.value.status is None and info.value.method in ("POST", "PATCH", "DELETE")
    assert "Read-only" in str(info.value)


@pytest.mark.parametrize("key", sorted(ALLOWED_IN_READ_ONLY))
async def test_side_effect_free_posts_still_work_read_only(key: str) -> None:
    answers: dict[str, Any] = {
        "/v1/auth/token": {"access": "tok-a-1111", "refresh": "tok-r-2222"},
        "/v1/auth/token/refresh": {"access": "tok-a-3333"},
        "/v1/auth/pin/verify": {"access": "tok-a-4444", "refresh": "tok-r-5555"},
        "/v1/segments/validate-cel": {"valid": True, "estimated_user_count": 3},
        "/v1/email-messages/eml_1/preview": {"subject": "s", "html": "<p/>", "text": "t"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/pin":
            return httpx.Response(204)
        return httpx.Response(200, json=answers[request.url.path])

    preo, rec = make_client(handler, read_only=True)
    async with preo:
        await NON_GET_CALLS[key](preo)
    assert len(rec.requests) == 1


async def test_reads_work_read_only() -> None:
    preo, rec = make_client(
        lambda r: httpx.Response(200, json={"id": "rfr_1", "status": "requested"}), read_only=True
    )
    async with preo:
        rr = await preo.refunds.get("rfr_1")
    assert rr.id == "rfr_1" and preo.read_only
