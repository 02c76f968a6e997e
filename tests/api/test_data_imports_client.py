"""The data-imports client at its edges: uploading from a path, a path it cannot read and
bytes without a name refused before sending, and mapping lists accepted bare or wrapped
(``{"column_mappings": [...]}``, a page) but refused when they are not mappings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from preo_tui.api import PreoClient
from preo_tui.api.errors import DecodeError, ValidationFailed
from tests.api.conftest import QUICK_RETRY, preo_client
from tests.fixtures.sandbox import Sandbox

CSV = "Order;E-mail;Ticket type;Qty\nP-1;p@example.com;Weekend Pass;1\n"


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


async def test_upload_from_a_path_and_refusals_before_sending(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(CSV)
    made = await preo.data_imports.create(edition_id=sandbox.editions["current"], data_file=source)
    assert made.stage == "needs_column_mapping" and made.total_rows == 1
    columns = await preo.data_imports.column_mappings(made.id)
    assert [m.column for m in columns] == ["Order", "E-mail", "Ticket type", "Qty"]

    sent = preo.requests_sent
    with pytest.raises(ValidationFailed) as unreadable:
        await preo.data_imports.create(
            edition_id=sandbox.editions["current"], data_file=tmp_path / "missing.csv"
        )
    assert list(unreadable.value.fields) == ["data_file"]
    with pytest.raises(ValidationFailed) as nameless:
        await preo.data_imports.create(edition_id=sandbox.editions["current"], data_file=b"a,b")
    assert nameless.value.fields == {"data_file_name": ["This field is required."]}
    assert preo.requests_sent == sent  # nothing was sent


MAPPINGS = [{"column": "E-mail", "sample_values": ["a@x"], "target": "email"}]


def answering(body: Any) -> PreoClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(body).encode())

    return PreoClient(
        "http://preo.test", token="t", transport=httpx.MockTransport(handler), retry=QUICK_RETRY
    )


@pytest.mark.parametrize(
    "body",
    [
        MAPPINGS,
        {"column_mappings": MAPPINGS},
        {"count": 1, "next": None, "previous": None, "results": MAPPINGS},
        {"mappings": MAPPINGS},
    ],
)
async def test_mapping_lists_bare_or_wrapped(body: Any) -> None:
    async with answering(body) as client:
        [mapping] = await client.data_imports.column_mappings("dim_1")
    assert (mapping.column, mapping.target) == ("E-mail", "email")


async def test_mapping_lists_of_the_wrong_shape_are_decode_errors() -> None:
    async with answering({"column_mappings": [{"sample_values": 3}]}) as client:
        with pytest.raises(DecodeError, match="problem"):
            await client.data_imports.column_mappings("dim_1")
    async with answering({"detail": "not a list"}) as client:
        with pytest.raises(DecodeError):
            await client.data_imports.product_mappings("dim_1")
