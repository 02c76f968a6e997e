"""Orders as CSV rows, for exporting a whole list (100,000 orders) fast.

``Orders.export_page`` reads one page of ``GET /v1/orders`` (the same request as
``Orders.list``) straight into CSV rows. The full ``Page[Order]`` path spent most of an export in
building models: the text-safety walk (``safe_data``) ran over every order three times (the page,
each order, each customer) and every field went through the models' Python validators. Here:

- one pydantic ``TypeAdapter`` over ``TypedDict`` rows reads only the exported fields, with the
  same value types as :class:`~preo_tui.api.orders.Order` (``Timestamp``, ``Money``, ``Count``;
  statuses and types as plain text, as ``Tolerant`` keeps unknown ones); a wrong shape is a
  :class:`~preo_tui.api.errors.DecodeError` as for every other answer;
- the text-safety boundary (:mod:`preo_tui.text`) covers every cell: when the answer's body has
  no JSON escape (no backslash) and no unsafe character, every decoded string is a substring of
  it and so is safe as it is; otherwise every cell goes through :func:`~preo_tui.text.safe_cell`.

:data:`CSV_COLUMNS` and :func:`csv_cells` define the file; ``preo_tui.ui.orders.export`` writes it
(its ``csv_row`` maps an ``Order`` model onto the same columns: a test compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Required

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


def body_is_safe(content: bytes) -> bool:
    """True when every string decoded from this JSON body is terminal-safe as it is: with no
    backslash there is no escape, so each string is a substring of the body, and the body
    holds nothing :func:`~preo_tui.text.safe_text` would replace."""
    if b"\\" in content:
        return False
    return is_safe(content.decode("utf-8", errors="replace"))


def decode_rows(content: bytes) -> tuple[int, list[list[str]]]:
    """``(count, rows)`` of a list answer's body; raises ValueError/ValidationError."""
    answer = _ANSWER.validate_json(content)
    if isinstance(answer, list):
        results, count = answer, len(answer)
    else:
        results, count = answer.get("results", []), answer.get("count", 0)
    rows = [csv_cells(r) for r in results]
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

__all__ = ["CSV_COLUMNS", "OrderExportPage", "body_is_safe", "csv_cells", "decode_rows"]
