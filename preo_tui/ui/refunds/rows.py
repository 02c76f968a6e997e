"""The refund queue's rows: its columns and the cells of one request (its status cell shows
this session's decision on it). A changed row is redrawn alone (``common.row_only``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import SCOPE_SHORT, age, status_text, words
from preo_tui.ui.refunds.detail import DetailData, customer_label, extra
from preo_tui.ui.widgets.columns import ColumnSpec

if TYPE_CHECKING:
    from preo_tui.ui.refunds.decisions import RowOutcome

#: Short reason labels for the list (the detail pane and the filter dialog say them in full).
REASON_SHORT: dict[str, str] = {
    "deposit_reclaim": "deposit back",
    "sold_out": "sold out",
    "event_cancelled": "cancelled",
    "product_defect": "defect",
    "duplicate_purchase": "duplicate",
    "customer_request": "on request",
    "compensation": "compensation",
    "overcharge": "overcharge",
    "other": "other",
    "rental_return": "rental back",
}

#: The decision's facts, in the order they are read (issue 15). At 160x48 the list pane
#: beside the 48-column detail pane has room for every column at its full value (Customer and
#: Product, the long ones, grow into what the others leave); at 80x24 (the detail pane below)
#: Age to Status come first, the rest is cut with "…" and scrolls sideways. Who filed the request is in the
#: detail pane ("Requested by").
COLUMNS: Sequence[ColumnSpec] = (
    ColumnSpec("age", "Age", 3, ordering="created", reverse=True),
    ColumnSpec("order", "Order", 11),
    ColumnSpec("customer", "Customer", 14, min_width=8, priority=2),
    ColumnSpec("amount", "Amount", 9, ordering="amount", justify="right"),
    ColumnSpec("status", "Status", 12, ordering="status"),
    ColumnSpec("reason", "Reason", 12, min_width=8, priority=1),
    ColumnSpec("scope", "Scope", 7, min_width=5, priority=1),
    ColumnSpec("product", "Product", 14, min_width=8, priority=3, keep_end=True),
)


def row_cells(
    item: RefundRequest, detail: DetailData | None, outcome: RowOutcome | None
) -> tuple[Any, ...]:
    """The cells of one request, in :data:`COLUMNS` order (Text: no markup parsing, and a
    "[" in a name stays a "[")."""
    product = extra(item, "product_name")
    if product is None:
        purchase = detail.purchase if detail else None
        product = purchase.product_name if purchase is not None else None
    if product is None and value_of(item.scope).startswith("transaction"):
        product = "whole order"
    return (
        Text(age(item.created)),
        Text(item.order_number or "—"),
        Text(customer_label(item)),
        Text(money(item.amount), justify="right"),
        status_cell(item, outcome),
        Text(REASON_SHORT.get(value_of(item.reason), words(item.reason))),
        Text(SCOPE_SHORT.get(value_of(item.scope), words(item.scope))),
        Text(str(product or "—")),
    )


def status_cell(item: RefundRequest, outcome: RowOutcome | None) -> Text:
    """The status, or what happened to this session's last decision on the row."""
    if outcome is None:
        return status_text(item.status, width=12)
    if outcome.kind == "working":
        return Text(f"⋯ {outcome.text}", style="yellow")
    if outcome.kind == "unknown":
        return Text("? checking", style="bold yellow")
    if outcome.kind == "failed":
        return Text(f"✗ {outcome.text}"[:12], style="bold red")
    label = status_text(item.status, width=10)
    return Text.assemble(("✓ ", "green"), label)


__all__ = ["COLUMNS", "REASON_SHORT", "row_cells", "status_cell"]
