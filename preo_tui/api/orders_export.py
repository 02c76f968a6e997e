"""Orders as CSV rows, for exporting a whole list (100,000 orders) fast.

``Orders.export_page`` reads one page of ``GET /v1/orders`` (the same request as
``Orders.list``) straight into CSV rows. The full ``Page[Order]`` path spent most of an export in
building models: the text-safety walk (``safe_data``) ran over every order three times (the page,
each order, each customer) and every field went through the models' Python validators. Here:

- one pydantic ``TypeAdapter`` over ``TypedDict`` rows reads only the exported fields, with the
  same value types as :class:`~preo_tui.api.orders.Order` (``Timestamp``, ``Money``, ``Count``;
  statuses and types as plain text, as ``Tolerant`` keeps unknown ones); a wrong shape is a
  :class:`~preo_tui.api.errors.DecodeError` as for every other answer;
- before it, a faster reading of the usual answer (issue 20: the adapter was a third of the
  export's CPU): ``orjson`` parses the body and :func:`_fast_cells` writes the cells of every row
  whose values have exactly the usual JSON types (text or null; an integer count; a number for
  the amount; a timestamp of the usual ISO form), the same cells as the adapter's values give
  (tests/api/test_orders_export_fast.py compares them). Anything else in a page (a missing
  ``id``, a number as text, an odd timestamp, bad JSON) and the whole page is read by the
  adapter, whose answer (rows or a DecodeError) is the one that counts;
- the text-safety boundary (:mod:`preo_tui.text`) covers every cell: when the answer's body has
  no JSON escape (no backslash) and no unsafe character, every decoded string is a substring of
  it and so is safe as it is; otherwise every cell goes through :func:`~preo_tui.text.safe_cell`.

:data:`CSV_COLUMNS` and :func:`csv_cells` define the file; ``preo_tui.ui.orders.export`` writes it
(its ``csv_row`` maps an ``Order`` model onto the same columns: a test compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Required

import orjson
from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on Python 3.11

from preo_tui.text import is_safe, safe_cell

from ._base import Count, Money, Timestamp
from ._resource import answer_error, decode, is_page_past_end, page_number
from .errors import NotFound, Unsupported

if TYPE_CHECKING:
    from .orders import Orders

CSV_COLUMNS: tuple[str, ...] = (
    "order_number",
    "id",
    "created",
    "modified",
    "status",
    "type",
    "amount",
    "currency",
    "purchase_count",
    "customer_id",
    "customer_email",
    "customer_phone",
    "customer_first_name",
    "customer_last_name",
    "transaction_id",
    "edition_id",
)


class _Customer(TypedDict, total=False):
    id: str | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None


class _Row(TypedDict, total=False):
    id: Required[str]
    order_number: str | None
    edition_id: str | None
    customer: _Customer | None
    status: str | None
    type: str | None
    amount: Money | None
    currency: str | None
    transaction_id: str | None
    created: Timestamp | None
    modified: Timestamp | None
    purchase_count: Count | None


class _Page(TypedDict, total=False):
    count: Count
    results: list[_Row]


#: A DRF page, or (tolerance, as ``Page``) a bare list read as one complete page.
_ANSWER: TypeAdapter[_Page | list[_Row]] = TypeAdapter(_Page | list[_Row])


@dataclass(slots=True)
class OrderExportPage:
    """One page of orders as CSV rows (:data:`CSV_COLUMNS` order, every cell text-safe)."""

    count: int
    rows: list[list[str]] = field(default_factory=list)
    page: int = 1
    #: The page asked for was past the end of a list that shrank (no rows).
    past_end: bool = False

    @property
    def ids(self) -> list[str]:
        return [row[1] for row in self.rows]


def csv_cells(row: Mapping[str, Any]) -> list[str]:
    """One order (a validated ``_Row``) as CSV cells, as ``ui.orders.export.csv_row`` writes
    an ``Order``."""
    c = row.get("customer") or {}
    created = row.get("created")
    modified = row.get("modified")
    amount = row.get("amount")
    count = row.get("purchase_count")
    return [
        row.get("order_number") or "",
        row["id"],
        created.isoformat() if created else "",
        modified.isoformat() if modified else "",
        row.get("status") or "",
        row.get("type") or "",
        f"{amount:.2f}" if amount is not None else "",
        row.get("currency") or "",
        "" if count is None else str(count),
        c.get("id") or "",
        c.get("email") or "",
        c.get("phone") or "",
        c.get("first_name") or "",
        c.get("last_name") or "",
        row.get("transaction_id") or "",
        row.get("edition_id") or "",
    ]


#: UTF-8 bytes that are part of no character safe_text replaces: printable ASCII, and the
#: lead and continuation bytes 0xA0-0xFF (every control, C1 control, bidi mark or line separator
#: has a byte 0x00-0x1F, 0x7F or 0x80-0x9F in its UTF-8 form); as Latin-1, the safe characters
_SAFE_BYTES = bytes(range(0x20, 0x7F)) + bytes(range(0xA0, 0x100))


def body_is_safe(content: bytes) -> bool:
    """True when every string decoded from this JSON body is terminal-safe as it is: with no
    backslash there is no escape, so each string is a substring of the body, and the body
    holds nothing :func:`~preo_tui.text.safe_text` would replace."""
    if b"\\" in content:
        return False
    if not content.translate(None, _SAFE_BYTES):  # in C, without decoding: safe
        return True
    text = content.decode("utf-8", errors="replace")
    try:
        latin = text.encode("latin-1")
    except UnicodeEncodeError:
        # isprintable() is False for every character safe_text replaces (controls, format
        # characters such as the bidi marks, line and paragraph separators) and runs in C
        return text.isprintable() or is_safe(text)
    # Latin-1 text (Søren, Ødegård): its unsafe characters are the C0 and C1 controls and DEL,
    # the bytes _SAFE_BYTES leaves
    return not latin.translate(None, _SAFE_BYTES)


class _Unusual(Exception):
    """A value :func:`_fast_rows` leaves to the adapter."""


#: the timestamps read without the adapter (any other form goes through it): the adapter and
#: ``datetime.fromisoformat`` read these the same
_DAY_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
#: an offset; fromisoformat alone reads +05:75 as +06:15 (the adapter: an error)
_OFFSET = r"[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]"
_USUAL_STAMP = re.compile(rf"{_DAY_TIME}(?:\.[0-9]{{1,6}})?(?:Z|{_OFFSET})?")
#: amounts read without the adapter: beyond, the adapter's Decimal decides the digits
_USUAL_AMOUNT = 1e15
_NONE = type(None)
_TEXT = frozenset({str, _NONE})


def _text(values: list[Any]) -> list[str]:
    """A column of text or null (``""``)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return values
    if kinds <= _TEXT:
        return ["" if v is None else v for v in values]
    raise _Unusual


#: seconds and an offset other than -00:00: ``isoformat()`` writes the text as it is
_ISO_AS_IS = re.compile(rf"{_DAY_TIME}(?!-00:00){_OFFSET}")


def _stamps(values: list[Any]) -> list[str]:
    """A column of ``Timestamp`` (aware, naive read as UTC) or null, as ``csv_cells`` writes
    them (``datetime.isoformat``)."""
    kinds = set(map(type, values))
    if kinds == {str} and all(map(_ISO_AS_IS.fullmatch, values)):
        try:  # the usual column: each value a real instant, written as it is
            list(map(datetime.fromisoformat, values))
        except ValueError:  # 2026-02-30, 25:00 ...: the adapter's error
            raise _Unusual from None
        return values
    if not kinds <= _TEXT:
        raise _Unusual
    texts = [v for v in values if v is not None]
    if not all(map(_USUAL_STAMP.fullmatch, texts)):
        raise _Unusual
    try:
        list(map(datetime.fromisoformat, texts))
    except ValueError:
        raise _Unusual from None
    out = []
    for v in values:
        if v is None:
            out.append("")
        elif len(v) == 20:  # seconds and Z
            out.append(v[:19] + "+00:00")
        elif _ISO_AS_IS.fullmatch(v):
            out.append(v)
        else:
            moment = datetime.fromisoformat(v)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            out.append(moment.isoformat())
    return out


def _amounts(values: list[Any]) -> list[str]:
    """A column of ``Money`` (the Decimal of a JSON number's shortest form, as pydantic reads
    it) or null, as ``csv_cells`` writes them."""
    numbers = [v for v in values if v is not None]
    if not set(map(type, numbers)) <= {int, float}:
        raise _Unusual
    if numbers and not (min(numbers) > -_USUAL_AMOUNT and max(numbers) < _USUAL_AMOUNT):
        raise _Unusual
    return ["" if v is None else f"{Decimal(repr(v)):.2f}" for v in values]


def _counts(values: list[Any]) -> list[str]:
    kinds = set(map(type, values))
    if kinds == {int}:
        return list(map(str, values))
    if kinds <= {int, _NONE}:
        return ["" if v is None else str(v) for v in values]
    raise _Unusual


#: the fields of a row and of its customer that the file shows
_ROW_KEYS = (
    "order_number",
    "id",
    "created",
    "modified",
    "status",
    "type",
    "amount",
    "currency",
    "purchase_count",
    "customer",
    "transaction_id",
    "edition_id",
)
_CUSTOMER_KEYS = ("id", "email", "phone", "first_name", "last_name")


def _columns(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[list[Any]]:
    """The values of ``keys`` in every row, a list per key (null for a missing key)."""
    if not rows:
        return [[] for _ in keys]
    try:
        values = list(map(itemgetter(*keys), rows))  # in C when every row has every key
    except KeyError:
        values = [tuple(row.get(key) for key in keys) for row in rows]
    return [list(column) for column in zip(*values, strict=True)]


def _fast_cells(results: list[Any]) -> list[list[str]]:
    """:func:`csv_cells` of every row, a column at a time, when the values have the usual
    JSON types; raises _Unusual otherwise."""
    if not results:
        return []
    if set(map(type, results)) != {dict}:
        raise _Unusual
    (number, ids, created, modified, status, kind, amount, currency, count, customers, trx,
     edition) = _columns(results, _ROW_KEYS)  # fmt: skip
    if set(map(type, ids)) != {str}:
        raise _Unusual  # the one required field
    kinds = set(map(type, customers))
    if not kinds <= {dict, _NONE}:
        raise _Unusual
    if _NONE in kinds:
        customers = [c or {} for c in customers]
    c_id, c_email, c_phone, c_first, c_last = _columns(customers, _CUSTOMER_KEYS)
    columns = (
        _text(number),
        ids,
        _stamps(created),
        _stamps(modified),
        _text(status),
        _text(kind),
        _amounts(amount),
        _text(currency),
        _counts(count),
        _text(c_id),
        _text(c_email),
        _text(c_phone),
        _text(c_first),
        _text(c_last),
        _text(trx),
        _text(edition),
    )
    return list(map(list, zip(*columns, strict=True)))


def _fast_rows(content: bytes) -> tuple[int, list[list[str]]] | None:
    """``(count, rows)`` of the usual answer without the adapter; None when anything in it is
    unusual (the adapter then reads the page)."""
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if type(answer) is list:
        results, count = answer, len(answer)
    elif type(answer) is dict:
        results, count = answer.get("results", []), answer.get("count", 0)
        if type(results) is not list or type(count) is not int:
            return None
    else:
        return None
    try:
        return count, _fast_cells(results)
    except _Unusual:
        return None


def adapter_rows(content: bytes) -> tuple[int, list[list[str]]]:
    """``(count, rows)`` as the adapter reads the body (before the text-safety pass); raises
    ValueError/ValidationError. The reference :func:`_fast_rows` must agree with."""
    answer = _ANSWER.validate_json(content)
    if isinstance(answer, list):
        results, count = answer, len(answer)
    else:
        results, count = answer.get("results", []), answer.get("count", 0)
    return count, [csv_cells(r) for r in results]


def decode_rows(content: bytes) -> tuple[int, list[list[str]]]:
    """``(count, rows)`` of a list answer's body; raises ValueError/ValidationError."""
    count, rows = _fast_rows(content) or adapter_rows(content)
    if not body_is_safe(content):
        rows = [[safe_cell(cell) for cell in row] for row in rows]
    return count, rows


async def export_page(orders: Orders, params: Mapping[str, Any]) -> OrderExportPage:
    """One page of ``GET /v1/orders`` (``params`` as ``Orders.list`` takes them) as CSV rows. A
    page past the end of a list that shrank is an empty page with ``past_end`` set."""
    number = page_number(params)
    try:
        response, op, path = await orders._send("list", params=params)
    except (Unsupported, NotFound) as exc:
        if not is_page_past_end(exc, number):
            raise
        return OrderExportPage(count=0, page=number, past_end=True)
    if response is None:
        return OrderExportPage(count=0, page=number)
    try:
        count, rows = decode_rows(response.content)
    except (ValidationError, ValueError, TypeError, RecursionError):
        # The usual wording of a bad answer (DecodeError naming the fields, never values).
        decode(_ANSWER_TYPE, response, op, path)
        raise answer_error("Unexpected answer shape", response, op, path) from None
    return OrderExportPage(count=count, rows=rows, page=number)


_ANSWER_TYPE: Any = _Page | list[_Row]

__all__ = [
    "CSV_COLUMNS",
    "OrderExportPage",
    "adapter_rows",
    "body_is_safe",
    "csv_cells",
    "decode_rows",
]
