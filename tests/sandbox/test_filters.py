"""The remaining list filters of the tags owned by the core sandbox, one table of cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.sandbox import Sandbox

Case = tuple[str, Callable[[Sandbox], dict[str, str]], Callable[[Sandbox, dict[str, Any]], bool]]

CASES: list[Case] = [
    (
        "/v1/users",
        lambda b: {"organization_id": b.organizations[1]},
        lambda b, u: u["phone"] is None or u["country_code"] is not None,
    ),
    (
        "/v1/files",
        lambda b: {"organization_id": b.organizations[1]},
        lambda b, f: f["organization_id"] == b.organizations[1],
    ),
    (
        "/v1/webhooks",
        lambda b: {"edition_id": b.editions["current"]},
        lambda b, w: w["edition_id"] == b.editions["current"],
    ),
    (
        "/v1/webhooks",
        lambda b: {"organization_id": b.organizations[1], "ordering": "-created"},
        lambda b, w: w["organization_id"] == b.organizations[1],
    ),
    ("/v1/consents", lambda b: {"channel": "sms"}, lambda b, c: c["channel"] == "sms"),
    ("/v1/consents", lambda b: {"search": "NEWS"}, lambda b, c: "news" in c["name"].lower()),
    ("/v1/data-imports", lambda b: {"stage": "failed"}, lambda b, i: i["stage"] == "failed"),
    (
        "/v1/data-imports",
        lambda b: {"created_before": "2026-07-01T00:00:00Z"},
        lambda b, i: i["created"] <= "2026-07-01T00:00:00+00:00",
    ),
    (
        "/v1/data-imports",
        lambda b: {"edition_id": b.editions["current"], "ordering": "-modified"},
        lambda b, i: i["edition_id"] == b.editions["current"],
    ),
    (
        "/v1/editions",
        lambda b: {"organization_id": b.organizations[1]},
        lambda b, e: e["organization_id"] == b.organizations[1],
    ),
    (
        "/v1/refund-requests",
        lambda b: {"organization_id": b.organizations[1]},
        lambda b, r: r["organization"] == b.organizations[1],
    ),
]


@pytest.mark.parametrize("path,params,ok", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
async def test_filter(
    sandbox: Sandbox,
    path: str,
    params: Callable[[Sandbox], dict[str, str]],
    ok: Callable[[Sandbox, dict[str, Any]], bool],
) -> None:
    async with sandbox.client() as c:
        query = params(sandbox)
        filtered = (await c.get(path, params={**query, "page_size": 500})).json()
        everything = (
            await c.get(path, params={"page_size": 500, "include_cancelled": "true"})
        ).json()
        assert 0 < filtered["count"] < everything["count"]
        assert filtered["count"] > 0
        assert all(ok(sandbox, item) for item in filtered["results"]), query
        ordering = query.get("ordering")
        if ordering:
            key = ordering.lstrip("-")
            values = [item[key] for item in filtered["results"]]
            assert values == sorted(values, reverse=ordering.startswith("-"))


async def test_users_organization_filter_respects_membership(sandbox: Sandbox) -> None:
    async with sandbox.client("staff") as c:
        got = (
            await c.get("/v1/users", params={"organization_id": sandbox.organizations[1]})
        ).json()
        assert got["count"] == 0
    async with sandbox.client() as c:
        second = (
            await c.get("/v1/users", params={"organization_id": sandbox.organizations[1]})
        ).json()
        main = (
            await c.get("/v1/users", params={"organization_id": sandbox.organizations[0]})
        ).json()
        assert second["count"] == 30 and main["count"] == 240
