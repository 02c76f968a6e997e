"""preo_tui.imports_local (no terminal): terminal-safe text, CSV preview with encoding and
delimiter detection and overrides, re-encoding for upload, path completion, external orders,
saving a copy; and the files client's download (token only to the API's own origin)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from preo_tui.api import PreoClient
from preo_tui.api.files import File
from preo_tui.imports_local import (
    complete_path,
    human_size,
    normalized_csv,
    one_line,
    parse_external_orders,
    read_table_preview,
    safe_text,
    save_copy,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"


def test_safe_text_escapes_controls_and_bidi() -> None:
    # the shared boundary (preo_tui.text): C0 controls as control pictures, others escaped
    assert safe_text("a\x1b[31mb\x07c\u202ed\x9b") == "a\u241b[31mb\u2407c\\u202ed\\x9b"
    assert (
        safe_text("tab\tand\nnewline kept, ø and 日本 too")
        == "tab\tand\nnewline kept, ø and 日本 too"
    )
    assert safe_text(None) == "" and safe_text(12) == "12"
    assert one_line("a\nb\tc\x1b", 40) == "a b c\u241b"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"


def test_preview_detects_utf8_bom_and_semicolons() -> None:
    data = (FIXTURES / "boxoffice.csv").read_bytes()
    p = read_table_preview(data, "boxoffice.csv", max_rows=3)
    assert (p.encoding, p.delimiter, p.row_count, p.error) == ("utf-8-sig", ";", 6, "")
    assert p.encoding_detected and p.delimiter_detected
    assert p.header[:2] == ["Order", "E-mail"] and len(p.rows) == 3
    assert p.rows[1][2] == "Søren"


def test_preview_detects_cp1252_and_can_be_overridden() -> None:
    data = (FIXTURES / "latin1.csv").read_bytes()
    p = read_table_preview(data, "latin1.csv")
    assert p.encoding == "cp1252" and p.rows[0][0] == "Søren Kjær"
    forced = read_table_preview(data, "latin1.csv", encoding="utf-8")
    assert not forced.encoding_detected and "not valid utf-8" in forced.error
    as_comma = read_table_preview(data, "latin1.csv", delimiter=",")
    assert as_comma.header == ["Navn;Billet"] and not as_comma.delimiter_detected


def test_preview_problems() -> None:
    assert read_table_preview(b"  \n", "e.csv").error == "The file is empty."
    assert "no rows" in read_table_preview(b"a,b\n", "h.csv").error
    assert "duplicate columns: a" in read_table_preview(b"a,a\n1,2\n", "d.csv").error
    assert read_table_preview(b"PK\x03\x04rest", "book.xlsx").excel


def test_normalized_csv_is_utf8_with_commas() -> None:
    data = (FIXTURES / "latin1.csv").read_bytes()
    out = normalized_csv(data, "cp1252", ";").decode("utf-8")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["Navn", "Billet"] and rows[3][0] == "Jørgen Æbelø"


def test_complete_path(tmp_path: Path) -> None:
    (tmp_path / "orders-june.csv").write_text("x")
    (tmp_path / "orders-july.csv").write_text("x")
    (tmp_path / "orders-notes.pdf").write_text("x")
    (tmp_path / "ordersdir").mkdir()
    text, names = complete_path(f"{tmp_path}/ord", suffixes=(".csv",))
    assert text == f"{tmp_path}/orders"
    assert names == ["orders-july.csv", "orders-june.csv", "ordersdir/"]
    text, names = complete_path(f"{tmp_path}/ordersd")
    assert (text, names) == (f"{tmp_path}/ordersdir/", ["ordersdir/"])
    assert complete_path(f"{tmp_path}/nothing-here") == (f"{tmp_path}/nothing-here", [])


def test_external_orders_json_and_csv() -> None:
    parsed = parse_external_orders((FIXTURES / "external.json").read_bytes(), "external.json")
    assert parsed.service == "partner-shop" and len(parsed.orders) == 3
    assert parsed.orders[1]["purchases"] == [{"product_name": "Camping Spot", "quantity": 2}]
    parsed = parse_external_orders((FIXTURES / "external.csv").read_bytes(), "external.csv")
    assert [o["order_number"] for o in parsed.orders] == ["EXC-1", "EXC-2"]
    assert parsed.orders[0]["purchases"] == [
        {"product_name": "Weekend Pass", "quantity": 1},
        {"product_id": "prd_camping", "quantity": 1},
    ]
    assert parsed.problems == ["EXC-2: no email or phone"]
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_external_orders(b"{oops", "x.json")
    with pytest.raises(ValueError, match="order_number"):
        parse_external_orders(b"email\nx@y.z\n", "x.csv")


def test_save_copy_never_overwrites_unasked(tmp_path: Path) -> None:
    target = tmp_path / "copy.bin"
    save_copy(target, b"one")
    with pytest.raises(FileExistsError):
        save_copy(target, b"two")
    assert target.read_bytes() == b"one"
    save_copy(target, b"two", overwrite=True)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["copy.bin"]
    assert human_size(512) == "512 B" and human_size(1536) == "1.5 KB"


async def test_download_sends_the_token_only_to_the_api_origin() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization")))
        return httpx.Response(200, content=b"content of " + request.url.host.encode())

    async with PreoClient(
        "https://api.example.test", token="secret-token", transport=httpx.MockTransport(handler)
    ) as preo:
        own = File(api_id="fil_1", file_url="https://api.example.test/_files/fil_1/a.csv")
        cdn = File(api_id="fil_2", file_url="https://cdn.example.test/fil_2/a.csv")
        assert await preo.files.download(own) == b"content of api.example.test"
        assert await preo.files.download(cdn) == b"content of cdn.example.test"
    assert seen == [
        ("https://api.example.test/_files/fil_1/a.csv", "Bearer secret-token"),
        ("https://cdn.example.test/fil_2/a.csv", None),
    ]
