"""Adapting to a server without code: ``[profiles.X.operations]`` in the configuration file,
applied by the client (and never silently: an entry it cannot apply is reported)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from preo_tui.api import PreoClient, Unsupported
from preo_tui.api.registry import overridden, parse_override
from preo_tui.config import load_settings
from preo_tui.doctor.suggest import candidates, segment_variants
from preo_tui.ui.errors import describe_error

CONFIG = """\
[profiles.staging.operations]
"refunds.approve" = "POST /v1/refunds/{id}/approve"
"consents.list" = "get /v1/consent"
"refunds.reject" = "POST v1/no-slash"
"Bad Key" = "GET /v1/x"
"""


def test_the_file_parses_overrides_and_reports_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    result = load_settings(path)
    staging = result.settings.profile("staging")
    assert staging.operations == {
        "refunds.approve": "POST /v1/refunds/{id}/approve",
        "consents.list": "GET /v1/consent",
    }
    fields = sorted(w.field or "" for w in result.warnings)
    assert len(fields) == 2 and all(f.startswith("profiles.staging.operations") for f in fields)
    lines = sorted(w.line for w in result.warnings if w.line is not None)
    assert lines == [4, 5]
    assert result.settings.profile("production").operations == {}


def test_parse_override_shapes() -> None:
    assert parse_override("post  /v1/a/{id}/b") == ("POST", "/v1/a/{id}/b")
    for bad in ("POST", "FETCH /v1/a", "GET v1/a", "GET /v1/a?x=1", "GET //evil.example/a"):
        with pytest.raises(ValueError):
            parse_override(bad)


def test_an_override_keeps_the_parameters_and_never_makes_a_write_a_read() -> None:
    from preo_tui.api.refunds import OPERATIONS

    approve = overridden(OPERATIONS["approve"], "POST /v1/refunds/{id}/approve")
    assert approve.path == "/v1/refunds/{id}/approve" and approve.params == ("id",)
    assert approve.is_write
    assert overridden(OPERATIONS["approve"], "GET /v1/refunds/{id}/approve").is_write
    assert overridden(OPERATIONS["list"], "POST /v1/refunds/search").is_write  # fail closed
    assert not overridden(OPERATIONS["list"], "GET /v1/refunds").is_write
    with pytest.raises(ValueError, match=r"must name \{id\}"):
        overridden(OPERATIONS["approve"], "POST /v1/refunds/{pk}/approve")


async def test_the_client_applies_overrides_and_lists_what_it_could_not_apply() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v1/refunds/rfr_1/approve":
            return httpx.Response(200, json={"id": "rfr_1", "status": "ready"})
        return httpx.Response(404, json={"detail": "Not Found"})

    async with PreoClient(
        "https://api.preo.dev",
        token="t",
        transport=httpx.MockTransport(handler),
        operations={
            "refunds.approve": "POST /v1/refunds/{id}/approve",
            "refunds.nope": "GET /v1/x",
            "refunds.get": "GET /v1/refunds/{pk}",
        },
    ) as client:
        done = await client.refunds.approve("rfr_1")
        assert done.status == "ready"
        assert client.operation("refunds.approve").path == "/v1/refunds/{id}/approve"
        assert set(client.overrides) == {"refunds.approve"}
        assert [p.split(":")[0] for p in client.override_problems] == [
            "refunds.nope",
            "refunds.get",
        ]
        with pytest.raises(Unsupported) as missing:
            await client.refunds.get("rfr_1")  # not overridden: the contract's path
    assert seen == ["POST /v1/refunds/rfr_1/approve", "GET /v1/refund-requests/rfr_1"]
    report = describe_error(missing.value)
    assert report.title == "Not supported by this server"
    assert report.message.startswith(
        "Retrieve refund request details (refunds.get: GET /v1/refund-requests/{id})."
    )
    assert "Check this server" in report.message


def test_neighbour_paths_follow_the_reference_naming_patterns() -> None:
    assert segment_variants("consents") == ["consent"]
    assert segment_variants("column-mappings")[:2] == ["column-mapping", "column_mappings"]
    found = list(candidates("refunds", "/v1/refund-requests/{id}/approve"))
    assert found[0] == "/v1/refund-requests/{id}/approves"
    assert "/v1/refunds/{id}/approve" in found
    assert "/v1/refund_requests/{id}/approve" in found
    assert "/v1/refund-requests/{id}/approve/" in found
    assert "/v1/refund-requests/{id}/approve" not in found
    assert len(found) == len(set(found)) <= 25


def test_the_command_line_parser_does_not_load_the_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from preo_tui.ui import cli\n"
        "cli.build_parser()\n"
        "sys.exit(1 if 'preo_tui.api.client' in sys.modules else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
