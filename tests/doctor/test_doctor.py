"""``preo-tui doctor`` against the sandbox: as it is (every assumption holds), and made to
differ from the contract (two routes renamed, one field gone) — reported, exit non-zero, the
suggested overrides right, and with them applied the client works."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from rich.console import Console

from preo_tui.api import PreoClient
from preo_tui.config import Profile
from preo_tui.doctor import Doctor, WriteRefused, render, run_doctor
from preo_tui.doctor.cli import DoctorError, check, emit
from preo_tui.ui import cli
from tests.api.conftest import QUICK_RETRY
from tests.fixtures.app import Dirs
from tests.fixtures.sandbox import BASE_URL, Sandbox

from .wrapper import Differences, differing

#: consents.list moves to the singular, data_imports.column_mappings to an underscore, and the
#: refund request detail stops sending order_number.
DIFF = Differences(
    renames=[
        ("GET", r"/v1/consent", "/v1/consents"),
        (
            "GET",
            r"/v1/data-imports/(?P<id>[^/]+)/column_mappings",
            "/v1/data-imports/{id}/column-mappings",
        ),
    ],
    dropped=[("GET", r"/v1/refund-requests/[^/]+", "order_number")],
)
SUGGESTED = {
    "consents.list": "GET /v1/consent",
    "data_imports.column_mappings": "GET /v1/data-imports/{id}/column_mappings",
}


def client_on(app: Any, box: Sandbox, **kw: Any) -> PreoClient:
    return PreoClient(
        BASE_URL,
        token=box.tokens["admin"],
        transport=httpx.ASGITransport(app=app),
        retry=QUICK_RETRY,
        **kw,
    )


def failed_keys(report: Any) -> set[str]:
    return {r.key for r in report.operations if r.failed}


async def test_the_sandbox_holds_every_assumption(sandbox: Sandbox) -> None:
    async with client_on(sandbox.app, sandbox) as client:
        report = await run_doctor(client, environment="sandbox")
    assert failed_keys(report) == set() and report.failed == 0
    assert report.exit_code == 0
    assert report.held > 100
    states = {r.key: r.state for r in report.operations}
    reads = [r for r in report.operations if r.method == "GET"]
    assert all(states[r.key] in ("ok", "refused") for r in reads), states
    assert states["refunds.approve"] == "not checked"  # reads only
    assert report.suggestions == {}
    held = {f.check for f in report.general if f.outcome == "held"}
    assert {"auth", "error 400"} <= held
    objects = [r for r in reads if "{" in r.path and r.state == "ok"]
    assert len(objects) > 10
    for result in objects:  # the deliberate 404, per object operation
        assert [f.outcome for f in result.findings if f.check == "error 404"] == ["held"], (
            result.key
        )
    refunds = report.operation("refunds.list")
    assert [f.check for f in refunds.findings if f.outcome == "held"] == [
        "route", "decodes", "fields", "paging",
    ]  # fmt: skip
    text = _text(report)
    assert text.strip().endswith(
        f"{report.held} of {report.held} assumptions held ({report.unchecked} not checked)."
    )


async def test_a_differing_server_is_reported_with_the_overrides_to_apply(
    sandbox: Sandbox,
) -> None:
    app = differing(sandbox.app, DIFF)
    async with client_on(app, sandbox) as client:
        report = await run_doctor(client, environment="staging")

    assert failed_keys(report) == {
        "consents.list",
        "data_imports.column_mappings",
        "refunds.get",
    }
    assert report.exit_code == 1
    assert report.operation("consents.list").state == "missing"
    assert report.operation("data_imports.column_mappings").state == "missing"
    assert report.operation("refunds.get").missing_fields == ["order_number"]
    assert report.operation("refunds.list").missing_fields == []  # only the detail lost it
    assert report.operation("consents.get").state == "ok"  # its id came from the suggestion
    assert report.suggestions == SUGGESTED
    toml = report.override_toml("staging")
    assert toml.splitlines() == [
        "[profiles.staging.operations]",
        '"consents.list" = "GET /v1/consent"',
        '"data_imports.column_mappings" = "GET /v1/data-imports/{id}/column_mappings"',
    ]
    text = _text(report)
    assert "never sent: order_number" in text and "answers at GET /v1/consent" in text
    data = json.loads(report.dumps())
    assert data["exit_code"] == 1 and data["suggested_overrides"] == SUGGESTED

    # Without the override the app would say so, naming the operation, its path and doctor.
    async with client_on(app, sandbox) as client:
        with pytest.raises(Exception) as missing:
            await client.consents.list()
    message = str(missing.value)
    assert "List consents" in message and "consents.list: GET /v1/consents" in message
    assert "doctor" in message

    # With the suggested overrides the client works, and doctor says they held.
    async with client_on(app, sandbox, operations=report.suggestions) as client:
        consents = await client.consents.list(page_size=5)
        assert consents.count > 0 and consents.results
        imports = await client.data_imports.list(page_size=1)
        mappings = await client.data_imports.column_mappings(imports.results[0].id)
        assert mappings is not None
        again = await run_doctor(client, environment="staging")
    assert failed_keys(again) == {"refunds.get"}  # the missing field is not a path matter
    for key in SUGGESTED:
        assert again.operation(key).state == "ok" and again.operation(key).overridden
    assert again.operation("consents.get").state == "ok"  # its id came from the list


async def test_write_round_trip_leaves_nothing_behind(sandbox: Sandbox) -> None:
    before = _count(sandbox, "webhook_endpoints"), _count(sandbox, "segments")
    async with client_on(sandbox.app, sandbox) as client:
        report = await run_doctor(client, environment="sandbox", write=True)
    assert report.exit_code == 0, _text(report)
    for key in ("segments.create", "segments.delete", "consents.create", "consents.delete",
                "webhooks.create", "webhooks.delete"):  # fmt: skip
        assert report.operation(key).state == "ok", key
    assert report.operation("webhooks.delete").findings[-1].check == "deleted"
    assert (_count(sandbox, "webhook_endpoints"), _count(sandbox, "segments")) == before


def _count(box: Sandbox, table: str) -> int:
    return int(box.db.scalar(f"SELECT COUNT(*) FROM {table}"))


def production() -> Profile:
    return Profile(name="production", server="https://api.preo.cloud")


async def test_write_is_refused_on_production_before_anything_is_sent(sandbox: Sandbox) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(500)

    async with PreoClient("https://api.preo.cloud", token="t",
                          transport=httpx.MockTransport(handler)) as client:  # fmt: skip
        with pytest.raises(WriteRefused):
            Doctor(client, environment="production", write=True, production=True)
    with pytest.raises(DoctorError, match="refused on a production server"):
        await check(production(), token="t", write=True)
    assert sent == []


def test_the_command_refuses_write_on_production(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["doctor", "--server", "https://api.preo.cloud", "--write"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("preo-tui: --write is refused on a production server")
    assert err.count("\n") == 1


def test_the_command_needs_a_sign_in(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["doctor", "--profile", "staging"]) == 2
    assert "not signed in" in capsys.readouterr().err


async def test_the_command_checks_a_profile_and_writes_json(
    sandbox: Sandbox, tmp_path: Any
) -> None:
    profile = Profile(name="lab", server=BASE_URL, operations=SUGGESTED)
    app = differing(sandbox.app, DIFF)
    report = await check(
        profile, token=sandbox.tokens["admin"], transport=httpx.ASGITransport(app=app)
    )
    out = tmp_path / "report.json"
    buffer = _Buffer()
    code = emit(report, profile="lab", json_path=str(out), out=buffer)
    assert code == 1  # the dropped field still fails
    data = json.loads(out.read_text())
    assert {op["key"] for op in data["operations"] if op["overridden"]} == set(SUGGESTED)
    assert "refunds.get" in buffer.getvalue() and "1 failed" in buffer.getvalue()


class _Buffer(io.StringIO):
    """A text stream that is not a terminal (StringIO.isatty() is False)."""


def _text(report: Any) -> str:
    console = Console(width=200, record=True, file=_Buffer())
    console.print(render(report))
    return console.export_text()


async def test_an_unreachable_server_stops_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with PreoClient(
        "https://api.preo.dev", token="t", transport=httpx.MockTransport(handler), retry=QUICK_RETRY
    ) as client:
        report = await run_doctor(client, environment="development")
    assert report.exit_code == 1
    assert [f.check for f in report.general if f.outcome == "failed"] == ["server"]
    assert client.requests_sent == QUICK_RETRY.attempts  # auth.me only, with its retries
