"""Local files for the data-import wizard and the files screen (no Textual here).

- :func:`safe_text`: make untrusted text (CSV cells, file names, server messages) terminal-safe.
  (The shared sanitizer another change adds should replace it; until then this is the one the
  imports and files screens use.)
- :func:`read_table_preview`: the size, encoding, delimiter, header and first rows of a CSV;
  encoding detected with ``charset-normalizer``, delimiter with ``csv.Sniffer``, both
  overridable.
- :func:`normalized_csv`: the file re-encoded as UTF-8 with ``,`` as delimiter, so the server
  reads it the way the operator saw it in the preview.
- :func:`complete_path`: completion of a path typed in an input (``~``, directories).
- :func:`parse_external_orders`: a JSON or CSV file of external orders into the bodies of
  "Import external orders", with the problems found locally.
- :func:`human_size`, :func:`save_copy`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preo_tui.text import safe_text as shared_safe_text

#: Encodings offered in the wizard besides "auto".
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
#: Delimiters offered besides "auto" (label, character).
DELIMITERS: tuple[tuple[str, str], ...] = (
    ("comma ,", ","),
    ("semicolon ;", ";"),
    ("tab", "\t"),
    ("pipe |", "|"),
)
#: How many bytes of a file are used to detect its encoding and delimiter.
SAMPLE_BYTES = 64 * 1024
#: Files the import wizard offers in its completion (directories are always offered).
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def safe_text(value: object) -> str:
    """``value`` as text made terminal-safe by the one text-safety boundary
    (:func:`preo_tui.text.safe_text`); file content keeps its tabs and newlines."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return shared_safe_text(text, multiline=True)


def one_line(value: object, limit: int = 60) -> str:
    """:func:`safe_text` on one line (newlines and tabs as spaces), cut at ``limit``."""
    text = " ".join(safe_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


# -- CSV preview --------------------------------------------------------------------------------


@dataclass
class TablePreview:
    """What the wizard shows of a local CSV before uploading it."""

    name: str
    size: int
    encoding: str
    delimiter: str
    encoding_detected: bool
    delimiter_detected: bool
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: data rows in the whole file (without the header)
    row_count: int = 0
    #: a problem that stops the upload (empty file, duplicate columns, cannot decode…)
    error: str = ""
    #: Excel files are sent as they are (the server reads them); no local preview
    excel: bool = False

    @property
    def delimiter_label(self) -> str:
        for label, char in DELIMITERS:
            if char == self.delimiter:
                return label
        return repr(self.delimiter)


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data`` (a sample is enough): UTF-8 (with its BOM as ``utf-8-sig``)
    when it decodes, else charset-normalizer's best guess, else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a sample cut inside a multi-byte character
            return "utf-8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return "cp1252"
    best = matches[0]
    # Short Western European text fits several code pages equally well: prefer the one
    # spreadsheets on Windows write (cp1252) when it is as good as the first guess.
    for match in matches:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + 0.01:
            return "cp1252"
    return str(best.encoding).replace("_", "-")


def detect_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:SAMPLE_BYTES], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def decode(data: bytes, encoding: str) -> str:
    """``data`` decoded; ValueError with words when it does not decode."""
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValueError(f"The file is not valid {encoding} ({exc.__class__.__name__}).") from None
    return text.removeprefix("\ufeff")


def read_table_preview(
    data: bytes,
    name: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int = 8,
) -> TablePreview:
    """The preview of a CSV (``encoding``/``delimiter`` None: detected)."""
    preview = TablePreview(
        name=name,
        size=len(data),
        encoding=encoding or "",
        delimiter=delimiter or ",",
        encoding_detected=encoding is None,
        delimiter_detected=delimiter is None,
    )
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        preview.excel = True
        preview.encoding, preview.delimiter_detected = "binary", False
        return preview
    if not data.strip():
        preview.encoding = preview.encoding or "utf-8"
        preview.error = "The file is empty."
        return preview
    preview.encoding = encoding or detect_encoding(data[:SAMPLE_BYTES])
    try:
        text = decode(data, preview.encoding)
    except ValueError as exc:
        preview.error = str(exc) + " Choose another encoding."
        return preview
    preview.delimiter = delimiter or detect_delimiter(text)
    try:
        rows = [
            r
            for r in csv.reader(io.StringIO(text), delimiter=preview.delimiter)
            if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        preview.error = f"The file is not valid CSV: {exc}."
        return preview
    if not rows:
        preview.error = "The file has no rows."
        return preview
    preview.header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(rows[0])]
    preview.rows = rows[1 : 1 + max_rows]
    preview.row_count = len(rows) - 1
    dupes = sorted({h for h in preview.header if preview.header.count(h) > 1})
    if dupes:
        preview.error = "The header has duplicate columns: " + ", ".join(dupes) + "."
    elif preview.row_count == 0:
        preview.error = "The file has a header but no rows."
    return preview


def normalized_csv(data: bytes, encoding: str, delimiter: str) -> bytes:
    """The CSV as UTF-8 with ``,`` between cells (what the server reads without guessing)."""
    text = decode(data, encoding)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(text), delimiter=delimiter))
    return out.getvalue().encode("utf-8")


def read_local(path_text: str) -> tuple[Path, bytes]:
    """Read a local file typed by the operator; ValueError with words."""
    path = expand(path_text)
    if not str(path_text).strip():
        raise ValueError("Type the path of a file.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: choose a file in it (tab completes).")
    try:
        return path, path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ValueError(f"Cannot read {path}: {exc.strerror or exc}.") from None


# -- path completion ----------------------------------------------------------------------------


def expand(text: str) -> Path:
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def complete_path(
    text: str, *, suffixes: Sequence[str] = (), limit: int = 50
) -> tuple[str, list[str]]:
    """``(completed text, candidates)`` for a path being typed: the longest common
    completion of the entries starting with what was typed after the last ``/`` (folders end
    with ``/``; files only with ``suffixes`` when given). ``~`` is kept as typed."""
    typed = text.strip()
    if typed in ("~", "~/"):
        typed = "~/"
    head, sep, prefix = typed.rpartition("/")
    folder_text = head + sep
    folder = Path(folder_text).expanduser() if folder_text else Path.cwd()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name.lower())
    except OSError:
        return text, []
    names: list[str] = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            names.append(entry.name + "/")
        elif not suffixes or entry.name.lower().endswith(tuple(suffixes)):
            names.append(entry.name)
        if len(names) >= limit:
            break
    if not names:
        return text, []
    common = os.path.commonprefix(names)
    return folder_text + (common if len(common) > len(prefix) else prefix), names


# -- external orders ----------------------------------------------------------------------------


@dataclass
class ExternalOrdersFile:
    """The orders of a JSON/CSV file, ready for "Import external orders"."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    service: str | None = None
    #: problems found locally, by order number (or "file")
    problems: list[str] = field(default_factory=list)


ORDER_FIELDS = ("order_number", "email", "phone", "first_name", "last_name", "created")


def parse_external_orders(data: bytes, name: str) -> ExternalOrdersFile:
    """A JSON file (a list of orders, or ``{service, orders}``) or a CSV (one purchase a row,
    grouped by ``order_number``; ``product`` is a product id or name). ValueError with words
    when the file cannot be read at all."""
    text = decode(data, detect_encoding(data[:SAMPLE_BYTES]))
    if name.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        return _orders_from_json(text)
    return _orders_from_csv(text)


def _orders_from_json(text: str) -> ExternalOrdersFile:
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"The file is not valid JSON ({exc}).") from None
    out = ExternalOrdersFile()
    if isinstance(raw, dict):
        service = raw.get("service")
        out.service = str(service) if isinstance(service, str) else None
        raw = raw.get("orders")
    if not isinstance(raw, list):
        raise ValueError('Expected a list of orders, or an object with "orders".')
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            out.problems.append(f"order {n}: not an object")
            continue
        order: dict[str, Any] = {
            k: str(item[k]) for k in ORDER_FIELDS if item.get(k) not in (None, "")
        }
        purchases = item.get("purchases")
        if not isinstance(purchases, list):
            purchases = [item] if item.get("product") or item.get("product_name") else []
        order["purchases"] = [p for p in (_purchase(p) for p in purchases) if p]
        _check(order, n, out.problems)
        out.orders.append(order)
    return out


def _purchase(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    out: dict[str, Any] = {}
    product = item.get("product_id") or ""
    named = item.get("product_name") or item.get("product") or ""
    if isinstance(product, str) and product.startswith("prd_"):
        out["product_id"] = product
    elif isinstance(named, str) and named.startswith("prd_"):
        out["product_id"] = named
    elif named or product:
        out["product_name"] = str(named or product)
    quantity = item.get("quantity", 1)
    try:
        out["quantity"] = int(quantity)
    except (TypeError, ValueError):
        out["quantity"] = quantity  # the server says why
    price = item.get("price")
    if price not in (None, ""):
        try:
            out["price"] = float(str(price).replace(",", "."))
        except ValueError:
            out["price"] = price
    return out


def _check(order: dict[str, Any], n: int, problems: list[str]) -> None:
    label = order.get("order_number") or f"order {n}"
    if not order.get("order_number"):
        problems.append(f"{label}: no order_number")
    if not order.get("email") and not order.get("phone"):
        problems.append(f"{label}: no email or phone")
    if not order["purchases"]:
        problems.append(f"{label}: no product")
    elif any("product_id" not in p and "product_name" not in p for p in order["purchases"]):
        # (a CSV row of this order with an empty product cell, or a purchase without one)
        problems.append(f"{label}: a purchase without a product")


def _orders_from_csv(text: str) -> ExternalOrdersFile:
    delimiter = detect_delimiter(text)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "order_number" not in header:
        raise ValueError("The CSV needs an order_number column (one purchase a row).")
    out = ExternalOrdersFile()
    by_number: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        number = clean.get("order_number", "")
        if not number:
            out.problems.append(f"line {n}: no order_number")
            continue
        order = by_number.get(number)
        if order is None:
            order = {k: clean[k] for k in ORDER_FIELDS if clean.get(k)}
            order["purchases"] = []
            by_number[number] = order
        purchase = _purchase(clean)
        if purchase:
            order["purchases"].append(purchase)
    for n, order in enumerate(by_number.values(), start=1):
        _check(order, n, out.problems)
        out.orders.append(order)
    return out


# -- saving -------------------------------------------------------------------------------------


def save_copy(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed into place; an existing
    file is replaced only with ``overwrite`` (FileExistsError otherwise)."""
    if path.exists() and not overwrite:
        raise FileExistsError(str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
