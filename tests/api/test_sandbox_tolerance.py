"""Contract §11 against the sandbox: a missing endpoint is Unsupported while the rest keeps
working; a missing object is NotFound; 429 carries Retry-After; request ids round-trip."""

from __future__ import annotations

import dataclasses

import pytest

from preo_tui.api import NotFound, PreoClient, RateLimited, Unsupported
from preo_tui.api.editions import Editions

from .conftest import Sandbox, preo_client


async def test_missing_endpoint_is_unsupported_and_the_rest_keeps_working(
    sandbox: Sandbox, preo: PreoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = dict(Editions.operations)
    for name, path in (
        ("healthcheck", "/v1/editions/{id}/health-report"),  # object path, unknown route
        ("list", "/v1/edition-list"),  # collection, unknown route
    ):
        ops[name] = dataclasses.replace(ops[name], path=path)
    monkeypatch.setattr(Editions, "operations", ops)
    edition = sandbox.editions["current"]
    with pytest.raises(Unsupported) as info:
        await preo.editions.healthcheck(edition)
    assert info.value.status == 404 and "Run edition healthcheck" in info.value.message
    with pytest.raises(Unsupported):
        await preo.editions.list()
    assert (await preo.editions.get(edition)).id == edition  # the rest keeps working
    with pytest.raises(NotFound) as missing:
        await preo.editions.get("edt_nope")
    assert missing.value.request_id and len(missing.value.request_id) >= 8


async def test_pin_lockout_is_rate_limited_with_retry_after(sandbox: Sandbox) -> None:
    phone = "+4520000003"
    async with preo_client(sandbox, None) as preo:
        await preo.auth.request_pin(phone)
        pin = sandbox.state.pins[phone]
        wrong = "999999" if pin != "999999" else "888888"
        for _ in range(5):
            with pytest.raises(Exception) as info:
                await preo.auth.verify_pin(phone, wrong)
            if isinstance(info.value, RateLimited):
                break
        sent_before = preo.requests_sent
        with pytest.raises(RateLimited) as limited:
            await preo.auth.verify_pin(phone, pin)
        assert limited.value.retry_after and limited.value.retry_after > 30
        # a Retry-After beyond the client's patience is raised at once, not slept on
        assert preo.requests_sent == sent_before + 1
