"""Doctor against a server that breaks the contract in the ways its checks look for: refused
or failing sign-in, forbidden and failing reads, broken paging envelopes, a 2xx or a bare 404
for an id that does not exist, a garbled validate-cel answer, an accepted or badly shaped 400,
and a CSV export of the wrong type. A test-only ASGI wrapper rewrites the sandbox's answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from preo_tui.api import PreoClient
from preo_tui.api.client import ALL_OPERATIONS
from preo_tui.doctor import Doctor, run_doctor
from preo_tui.doctor.report import OperationResult
from tests.api.conftest import QUICK_RETRY
from tests.fixtures.sandbox import BASE_URL, Sandbox

#: (status, JSON body or None) of the real answer -> (status, body, content type).
Rewrite = Callable[[int, Any], tuple[int, bytes, str]]


@dataclass
class Rule:
    method: str
    path: str
    rewrite: Rewrite
    query: str = ""


def fixed(status: int, body: Any, kind: str = "application/json") -> Rewrite:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda _status, _data: (status, raw, kind)


def edit(change: Callable[[Any], Any]) -> Rewrite:
    return lambda status, data: (status, json.dumps(change(data)).encode(), "application/json")


def rewriting(app: Any, rules: list[Rule]) -> Any:
    compiled = [(r.method, re.compile(f"^{r.path}$"), r.query, r.rewrite) for r in rules]

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        rule = None
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode()
            rule = next(
                (
                    rw
                    for m, pattern, q, rw in compiled
                    if m == scope["method"] and pattern.match(scope["path"]) and q in query
                ),
                None,
            )
        if rule is None:
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, capture)
        try:
            data = json.loads(b"".join(chunks))
        except ValueError:
            data = None
        status, body, kind = rule(start["status"], data)
        headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapper


def client_on(app: Any, box: Sandbox) -> PreoClient:
    return PreoClient(
        BASE_URL,
        token=box.tokens["admin"],
        transport=httpx.ASGITransport(app=app),
        retry=QUICK_RETRY,
    )


def findings(report: Any, key: str, check: str) -> list[tuple[str, str]]:
    return [(f.outcome, f.message) for f in report.operation(key).findings if f.check == check]


def general(report: Any, check: str) -> list[tuple[str, str]]:
    return [(f.outcome, f.message) for f in report.general if f.check == check]


async def test_a_refused_token_stops_after_signing_in(sandbox: Sandbox) -> None:
    app = rewriting(sandbox.app, [Rule("GET", "/v1/auth/me", fixed(401, {"detail": "expired"}))])
    async with client_on(app, sandbox) as client:
        report = await run_doctor(client, environment="staging")
        sent = client.requests_sent
    assert report.operation("auth.me").state == "failed"
    assert report.operation("auth.me").http_status == 401
    assert general(report, "auth") == [("failed", "signing in failed")]
    assert report.exit_code == 1
    assert sent == 1  # nothing else was read
    assert report.operation("refunds.list").state == "not checked"


def no_previous(data: Any) -> Any:
    del data["previous"]
    return data


def no_next(data: Any) -> Any:
    data["next"] = None
    data["count"] = max(int(data["count"]), 2)
    return data


def two_results(data: Any) -> Any:
    data["results"] = data["results"] * 2
    return data


def many_unknowns(data: Any) -> Any:
    for n in range(10):
        data[f"extra_{n}"] = n
    data["status"] = "weird_new_status"
    return data


MISSING = "doctor_missing_0"

RULES = [
    # Signing in fails with a server error: recorded, and the reads still go on.
    Rule("GET", "/v1/auth/me", fixed(500, {"detail": "boom"})),
    # Reads: forbidden, failing, refused, and broken paging envelopes.
    Rule("GET", "/v1/consents", fixed(403, {"detail": "not yours"})),
    Rule("GET", "/v1/files", fixed(500, {"detail": "disk on fire"})),
    Rule("GET", "/v1/campaigns/[^/]+/stats", fixed(409, {"detail": "not sent yet"})),
    Rule("GET", "/v1/webhooks", edit(no_previous)),
    Rule("GET", "/v1/users", edit(no_next)),
    Rule("GET", "/v1/email-messages", edit(two_results)),
    # The deliberate 404 answered otherwise.
    Rule("GET", f"/v1/editions/{MISSING}", fixed(200, {"id": MISSING})),
    Rule("GET", f"/v1/orders/{MISSING}", fixed(404, {"detail": ""})),
    Rule("GET", f"/v1/users/{MISSING}", fixed(404, b"<html>gone</html>", "text/html")),
    Rule("GET", f"/v1/segments/{MISSING}", fixed(400, {"id": ["bad id"]})),
    Rule("GET", f"/v1/webhooks/{MISSING}", fixed(418, {"detail": "teapot"})),
    Rule("GET", "/v1/editions/[^/]+", edit(many_unknowns)),
    # validate-cel answers garbage; the export answers JSON; the bad filter is accepted.
    Rule("POST", "/v1/segments/validate-cel", fixed(200, b"{not json")),
    Rule("GET", "/v1/segments/[^/]+/export-csv", fixed(200, b"{}")),
    Rule("GET", "/v1/refund-requests", fixed(200, b"{}"), query="not-a-date"),
]


async def test_each_broken_assumption_is_reported(sandbox: Sandbox) -> None:
    app = rewriting(sandbox.app, RULES)
    async with client_on(app, sandbox) as client:
        report = await run_doctor(client, environment="staging")
    states = {r.key: r.state for r in report.operations}

    assert states["auth.me"] == "failed"
    assert report.signed_in_as is None
    assert states["consents.list"] == "forbidden"
    assert findings(report, "consents.list", "route") == [
        ("unchecked", "HTTP 403: this account may not read it")
    ]
    # No list to take an id from: the object read is skipped, not failed.
    assert states["consents.get"] == "skipped"
    assert states["files.list"] == "failed" and states["files.get"] == "skipped"
    assert states["campaigns.stats"] == "refused"
    assert findings(report, "webhooks.list", "paging") == [
        ("failed", "paging envelope lacks previous")
    ]
    [(outcome, message)] = findings(report, "users.list", "paging")
    assert outcome == "failed" and message.endswith("but no next link")
    assert findings(report, "email_messages.list", "paging") == [
        ("failed", "page_size=1 answered 2 items")
    ]
    [(outcome, message)] = findings(report, "editions.get", "unknown fields")
    assert outcome == "info" and message.endswith("(+2)")
    [(outcome, message)] = findings(report, "editions.get", "enums")
    assert "weird_new_status" in message

    assert findings(report, "editions.get", "error 404") == [
        ("failed", "answered 2xx for an id that does not exist")
    ]
    # An empty detail is no detail: the same as a non-JSON 404.
    assert findings(report, "orders.get", "error 404") == [
        ("failed", "HTTP 404 without a JSON detail for no such id")
    ]
    assert findings(report, "users.get", "error 404") == [
        ("failed", "HTTP 404 without a JSON detail for no such id")
    ]
    assert findings(report, "segments.get", "error 404") == [("unchecked", "no such id: HTTP 400")]
    [(outcome, message)] = findings(report, "webhooks.get", "error 404")
    assert outcome == "failed" and message.startswith("no such id:")

    assert states["segments.validate_cel"] == "ok"
    assert [o for o, _ in findings(report, "segments.validate_cel", "decodes")] == ["failed"]
    assert findings(report, "segments.export_csv", "decodes") == [
        ("failed", "a CSV export answered application/json")
    ]
    assert general(report, "error 400") == [("unchecked", "an invalid date filter was accepted")]
    # Not every 404 held: no general "404 body" line.
    assert general(report, "error 404") == []
    assert report.exit_code == 1


async def test_a_badly_shaped_400_and_a_missing_refund_list(sandbox: Sandbox) -> None:
    shaped = rewriting(
        sandbox.app,
        [Rule("GET", "/v1/refund-requests", fixed(400, {"errors": 3}), query="not-a-date")],
    )
    async with client_on(shaped, sandbox) as client:
        doctor = Doctor(client, environment="staging", suggest=False)
        await doctor._check_error_bodies()
    assert general(doctor.report, "error 400") == [("failed", "HTTP 400 body is not field lists")]

    missing = rewriting(
        sandbox.app,
        [Rule("GET", "/v1/refund-requests", fixed(405, b"nope", "text/plain"), query="not-a-date")],
    )
    async with client_on(missing, sandbox) as client:
        doctor = Doctor(client, environment="staging", suggest=False)
        await doctor._check_error_bodies()
    assert general(doctor.report, "error 400") == [("unchecked", "refunds.list is missing")]


def remembering_ok() -> Rewrite:
    """A 404 answered as the last good object (a delete that did not take)."""
    last: dict[str, Any] = {}

    def rewrite(status: int, data: Any) -> tuple[int, bytes, str]:
        if status == 200:
            last["data"] = data
        return 200, json.dumps(last.get("data", data)).encode(), "application/json"

    return rewrite


async def test_write_round_trips_report_what_went_wrong(sandbox: Sandbox) -> None:
    from preo_tui.doctor.writes import round_trips

    app = rewriting(
        sandbox.app,
        [
            Rule("POST", "/v1/segments", fixed(403, {"detail": "no segments for you"})),
            Rule("DELETE", "/v1/consents/[^/]+", fixed(500, {"detail": "stuck"})),
            Rule("GET", "/v1/webhooks/[^/]+", remembering_ok()),
        ],
    )
    async with client_on(app, sandbox) as client:
        doctor = Doctor(client, environment="staging", write=True)
        for op in ALL_OPERATIONS:  # what run() sets up before checking
            doctor.results[op.key] = OperationResult(
                key=op.key,
                summary=op.summary,
                method=op.method,
                path=op.path,
                mark=op.mark,
                writes=op.is_write,
            )
        doctor.report.operations = list(doctor.results.values())
        await round_trips(doctor)  # nothing known yet: no organization to write in
        assert general(doctor.report, "write") == [
            ("unchecked", "no organization/edition to write in")
        ]
        doctor.report.general.clear()
        doctor.scope["organization_id"] = sandbox.organizations[0]
        doctor.scope["edition_id"] = sandbox.editions["current"]
        await round_trips(doctor)
    results = doctor.results
    assert results["segments.create"].state == "forbidden"
    assert results["consents.create"].state == "ok"
    assert results["consents.delete"].state == "failed"
    [(outcome, message)] = general(doctor.report, "write")
    assert outcome == "failed" and message.startswith("consents: ") and "left behind" in message
    assert results["webhooks.delete"].state == "ok"
    [(outcome, message)] = findings(doctor.report, "webhooks.delete", "deleted")
    assert outcome == "failed" and message.endswith("still answers after its delete")
