"""The sandbox's reading of uploaded import files: .xlsx worksheets (shared and inline
strings, gaps, cells without references), CSV encodings and dialects, the files it refuses,
and the column mappings it guesses and checks."""

from __future__ import annotations

import io
import zipfile

import pytest

from preo_tui.sandbox.resources.data_imports_files import (
    MAX_ROWS,
    guess_mappings,
    mapping_errors,
    parse_table,
    parse_xlsx,
)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook(sheet: str, shared: list[str] | None = None, *, name: str = "sheet1") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        if shared is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            zf.writestr("xl/sharedStrings.xml", f"<sst {NS}>{items}</sst>")
        if name:
            zf.writestr(
                f"xl/worksheets/{name}.xml",
                f"<worksheet {NS}><sheetData>{sheet}</sheetData></worksheet>",
            )
    return out.getvalue()


SHEET = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" t="inlineStr"><is><t>qty</t></is></c></row>'
    '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>3</v></c></row>'
    '<row r="3"><c t="inlineStr"><is><t>b@x</t></is></c><c><v>Mug</v></c><c><v/></c></row>'
    '<row r="4"></row>'
)


def test_xlsx_cells_by_reference_and_position() -> None:
    rows = parse_xlsx(workbook(SHEET, ["email", "product", "a@x"]))
    assert rows == [["email", "product", "qty"], ["a@x", "", "3"], ["b@x", "Mug", ""]]
    header, data = parse_table("orders.xlsx", workbook(SHEET, ["email", "product", "a@x"]))
    assert header == ["email", "product", "qty"] and data[0] == ["a@x", "", "3"]


def test_xlsx_files_that_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="no worksheet"):
        parse_table("x.xlsx", workbook("", [], name=""))
    with pytest.raises(ValueError, match="cannot read the Excel file"):
        parse_table("x.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="cannot read the Excel file"):
        parse_table("x.xlsx", workbook("<row><c", None))
    # A shared string index past the table.
    with pytest.raises(ValueError, match="cannot read the Excel file"):
        parse_table("x.xlsx", workbook('<row r="1"><c r="A1" t="s"><v>9</v></c></row>', ["a"]))


def test_csv_encodings_dialects_and_padding() -> None:
    latin = "email;product\nsøren@x;Kaffe\n".encode("latin-1")
    assert parse_table("o.csv", latin) == (["email", "product"], [["søren@x", "Kaffe"]])
    bom = "\ufeffemail,product\n,\na@x\n".encode()
    header, rows = parse_table("o.csv", bom)
    assert header == ["email", "product"] and rows == [["a@x", ""]]  # blank row skipped, padded
    single = parse_table("o.csv", b"email\na@x\n")
    assert single == (["email"], [["a@x"]])
    unnamed = parse_table("o.csv", b"email, \na@x,1\n")
    assert unnamed[0] == ["email", "column_2"]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\n , \n", "the file is empty"),
        (b"a,a\n1,2\n", "duplicate column names"),
        (b"a,b\n", "a header but no rows"),
    ],
)
def test_csv_files_refused(data: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_table("o.csv", data)


def test_too_many_rows_are_refused() -> None:
    data = b"email\n" + b"a@x\n" * (MAX_ROWS + 1)
    with pytest.raises(ValueError, match=f"more than {MAX_ROWS} rows"):
        parse_table("o.csv", data)


def test_guessed_mappings_take_each_target_once() -> None:
    header = ["E-mail", "Email", "Product_Name", "Qty", "Notes"]
    rows = [["a@x", "b@x", "Mug", "1", ""], ["", "c@x", "Cup", " ", ""]]
    mappings = guess_mappings(header, rows)
    assert [m["target"] for m in mappings] == ["email", None, "product", "quantity", None]
    assert mappings[0]["sample_values"] == ["a@x"]
    assert mappings[3]["sample_values"] == ["1"]
    assert mapping_errors(mappings) == []


def test_mapping_errors_say_what_is_missing_or_doubled() -> None:
    assert mapping_errors([{"target": "quantity"}]) == [
        "Map a column to email or phone so customers can be identified.",
        "Map a column to product.",
    ]
    doubled = [{"target": "phone"}, {"target": "product"}, {"target": "product"}]
    assert mapping_errors(doubled) == ['Target "product" is mapped from 2 columns.']
