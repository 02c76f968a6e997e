"""Local import files at their edges: sizes, encodings (BOMs, a sample cut mid-character,
unknown ones), Excel files, files that cannot be read, path completion corner cases, and
external-order files with missing or odd fields."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from preo_tui.imports_local import (
    TablePreview,
    complete_path,
    decode,
    detect_encoding,
    human_size,
    one_line,
    parse_external_orders,
    read_local,
    read_table_preview,
    safe_text,
    save_copy,
)


def test_human_size_and_one_line() -> None:
    assert human_size(None) == "—"
    assert human_size(512) == "512 B"
    assert human_size(2048) == "2.0 KB"
    assert human_size(5 * 1024**2) == "5.0 MB"
    assert human_size(3 * 1024**4) == "3072.0 GB"
    assert one_line("a\n\tb  c") == "a b c"
    assert one_line("x" * 10, limit=5) == "xxxx…"
    assert safe_text(None) == "" and safe_text(12) == "12"


def test_encoding_detection_by_bom_and_content() -> None:
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert detect_encoding("a,b\n".encode("utf-16")) == "utf-16"
    assert detect_encoding("ø,å".encode()) == "utf-8"
    # A sample cut inside a multi-byte character is still UTF-8.
    assert detect_encoding("abc,ø".encode()[:-1]) == "utf-8"
    assert detect_encoding("Søren,Århus,Café\n".encode("cp1252") * 5) == "cp1252"


def test_decode_names_the_encoding_it_failed_with() -> None:
    assert decode("\ufeffa".encode(), "utf-8") == "a"
    with pytest.raises(ValueError, match="not valid utf-8"):
        decode(b"\xff\xfe\xfa", "utf-8")
    with pytest.raises(ValueError, match="not valid no-such-codec"):
        decode(b"a", "no-such-codec")


def test_preview_of_excel_and_undecodable_files() -> None:
    xlsx = read_table_preview(b"PK\x03\x04rest", "orders.bin")
    assert xlsx.excel and xlsx.encoding == "binary" and not xlsx.delimiter_detected
    named = read_table_preview(b"whatever", "Orders.XLSX")
    assert named.excel
    bad = read_table_preview(b"a,b\n\xff\xfe,1\n", "x.csv", encoding="utf-8")
    assert bad.error.startswith("The file is not valid utf-8") and "another encoding" in bad.error
    assert not bad.encoding_detected


def test_preview_with_chosen_delimiter_and_labels() -> None:
    data = b"name|qty\nann|1\n"
    preview = read_table_preview(data, "x.csv", delimiter="|", encoding="utf-8")
    assert preview.header == ["name", "qty"] and preview.rows == [["ann", "1"]]
    assert preview.delimiter_label == "pipe |" and not preview.delimiter_detected
    odd = TablePreview("x", 0, "utf-8", ":", False, False)
    assert odd.delimiter_label == "':'"
    blank_header = read_table_preview(b" ,b\n1,2\n", "x.csv")
    assert blank_header.header == ["column_1", "b"]
    only_blank = read_table_preview(b",,\n , \n", "x.csv", delimiter=",")
    assert only_blank.error == "The file has no rows."


def test_read_local_explains_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_bytes(b"x")
    path, data = read_local("a.csv")
    assert path == tmp_path / "a.csv" and data == b"x"
    with pytest.raises(ValueError, match="Type the path"):
        read_local("  ")
    with pytest.raises(ValueError, match="is a folder"):
        read_local(str(tmp_path))
    with pytest.raises(ValueError, match="does not exist"):
        read_local("missing.csv")
    locked = tmp_path / "locked.csv"
    locked.write_bytes(b"x")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(ValueError, match="Cannot read"):
            read_local(str(locked))
    finally:
        locked.chmod(0o600)


def test_complete_path_corners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".hidden").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data.csv").write_text("")
    (tmp_path / "notes.md").write_text("")
    # Relative to the working directory; hidden entries only when asked for.
    assert complete_path("") == ("", ["data/", "data.csv", "notes.md"])
    assert complete_path(".h") == (".hidden", [".hidden"])
    assert complete_path("", suffixes=(".csv",)) == ("data", ["data/", "data.csv"])
    assert complete_path("zzz") == ("zzz", [])
    assert complete_path("nowhere/x") == ("nowhere/x", [])
    assert complete_path("", limit=1) == ("data/", ["data/"])
    monkeypatch.setenv("HOME", str(tmp_path))
    text, names = complete_path("~")
    assert text == "~/" and names == ["data/", "data.csv", "notes.md"]


def test_external_orders_json_shapes_and_problems() -> None:
    data = b"""{"service": "Shopify", "orders": [
        {"order_number": "A1", "email": "a@x", "purchases": [
            {"product_id": "prd_1", "quantity": "2", "price": "9,50"},
            {"product": "prd_2", "quantity": "many", "price": "free"},
            {"product_name": "T-shirt"},
            {"quantity": 4},
            "not a purchase"
        ]},
        {"order_number": "A2", "phone": "+45", "product": "Poster"},
        {"email": "b@x"},
        7
    ]}"""
    parsed = parse_external_orders(data, "orders.txt")
    assert parsed.service == "Shopify"
    first, second, third = parsed.orders
    assert first["purchases"] == [
        {"product_id": "prd_1", "quantity": 2, "price": 9.5},
        {"product_id": "prd_2", "quantity": "many", "price": "free"},
        {"product_name": "T-shirt", "quantity": 1},
        {"quantity": 4},
    ]
    assert second["purchases"] == [{"product_name": "Poster", "quantity": 1}]
    assert third == {"email": "b@x", "purchases": []}
    assert parsed.problems == [
        "A1: a purchase without a product",
        "order 3: no order_number",
        "order 3: no product",
        "order 4: not an object",
    ]
    plain = parse_external_orders(b'[{"order_number": "B1", "email": "x@y"}]', "o.json")
    assert plain.service is None and plain.problems == ["B1: no product"]


def test_external_orders_files_that_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_external_orders(b"{nope", "o.json")
    with pytest.raises(ValueError, match="Expected a list of orders"):
        parse_external_orders(b'{"orders": 3}', "o.json")
    with pytest.raises(ValueError, match="order_number column"):
        parse_external_orders(b"email,product\na@x,prd_1\n", "o.csv")


def test_external_orders_csv_groups_rows_and_reports_lines() -> None:
    data = b"Order_Number;Email;Product;Quantity\nC1;c@x;prd_9;1\nC1;c@x;Mug;3\n;d@x;Mug;1\nC2;;;\n"
    parsed = parse_external_orders(data, "orders.csv")
    assert [o["order_number"] for o in parsed.orders] == ["C1", "C2"]
    assert parsed.orders[0]["purchases"] == [
        {"product_id": "prd_9", "quantity": 1},
        {"product_name": "Mug", "quantity": 3},
    ]
    assert parsed.problems == [
        "line 4: no order_number",
        "C2: no email or phone",
        "C2: a purchase without a product",
    ]


def test_save_copy_cleans_up_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    save_copy(target, b"1")
    assert save_copy(target, b"2", overwrite=True).read_bytes() == b"2"
    with pytest.raises(TypeError):
        save_copy(tmp_path / "bad.csv", "not bytes")  # type: ignore[arg-type]  # the failure under test
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
