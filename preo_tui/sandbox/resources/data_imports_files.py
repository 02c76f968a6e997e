"""Reading an uploaded import file: CSV (dialect sniffed, UTF-8 or Latin-1) or .xlsx (first
worksheet), the mapping targets with the column guesses made from the headers, and the
checks of a column mapping. Used by ``data_imports.py`` (create, validate, process) and its
seed."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from typing import Any, Literal
from xml.etree import ElementTree

TARGETS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "order_number",
    "product",
    "quantity",
    "price",
    "created",
)
Target = Literal[
    "email",
    "phone",
    "first_name",
    "last_name",
    "order_number",
    "product",
    "quantity",
    "price",
    "created",
]
HEADER_GUESSES: dict[str, str] = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "phone number": "phone",
    "first name": "first_name",
    "firstname": "first_name",
    "first_name": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "last_name": "last_name",
    "order": "order_number",
    "order number": "order_number",
    "order_number": "order_number",
    "order id": "order_number",
    "product": "product",
    "ticket": "product",
    "ticket type": "product",
    "product name": "product",
    "quantity": "quantity",
    "qty": "quantity",
    "amount": "price",
    "price": "price",
    "created": "created",
    "date": "created",
    "order date": "created",
    "purchased": "created",
}
MAX_ROWS = 50_000


# -- file parsing ----------------------------------------------------------------------------------
def parse_xlsx(data: bytes) -> list[list[str]]:
    """The first worksheet of an .xlsx file as rows of strings (shared and inline strings)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            root = ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
        sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
        if not sheets:
            raise ValueError("the workbook has no worksheet")
        root = ElementTree.fromstring(zf.read(sheets[0]))
    rows: list[list[str]] = []
    for row in root.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        position = 0
        for cell in row.findall("m:c", ns):
            ref = cell.get("r", "")
            letters = "".join(ch for ch in ref if ch.isalpha())
            if letters:  # "C7" -> column 3; cells without a reference follow the previous one
                position = 0
                for ch in letters:
                    position = position * 26 + (ord(ch.upper()) - 64)
            else:
                position += 1
            col = position
            kind = cell.get("t")
            value = cell.find("m:v", ns)
            if kind == "s" and value is not None and value.text is not None:
                text = shared[int(value.text)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t"))
            else:
                text = value.text if value is not None and value.text is not None else ""
            cells[col - 1] = text
        if cells:
            rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
    return rows


def parse_table(name: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of a CSV or .xlsx file; ValueError with a readable message."""
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        try:
            table = parse_xlsx(data)
        except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, IndexError) as exc:
            raise ValueError(f"cannot read the Excel file ({exc})") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        table = [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    if not table:
        raise ValueError("the file is empty")
    header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(table[0])]
    if len(set(header)) != len(header):
        raise ValueError("the header row has duplicate column names")
    rows = [(r + [""] * len(header))[: len(header)] for r in table[1:]]
    if not rows:
        raise ValueError("the file has a header but no rows")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"the file has more than {MAX_ROWS} rows")
    return header, rows


def guess_mappings(header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    used: set[str] = set()
    out = []
    for i, column in enumerate(header):
        target = HEADER_GUESSES.get(column.strip().lower().replace("_", " ")) or HEADER_GUESSES.get(
            column.strip().lower()
        )
        if target in used:
            target = None
        if target:
            used.add(target)
        samples = [r[i] for r in rows if r[i].strip()][:3]
        out.append({"column": column, "sample_values": samples, "target": target})
    return out


def mapping_errors(mappings: list[dict[str, Any]]) -> list[str]:
    targets = [m["target"] for m in mappings if m.get("target")]
    errors = []
    for target, n in Counter(targets).items():
        if n > 1:
            errors.append(f'Target "{target}" is mapped from {n} columns.')
    if "email" not in targets and "phone" not in targets:
        errors.append("Map a column to email or phone so customers can be identified.")
    if "product" not in targets:
        errors.append("Map a column to product.")
    return errors
