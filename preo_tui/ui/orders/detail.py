"""The orders screen's detail pane: the order, its customer and transaction, its purchases with
amounts, deposits, fees and what is refunded, and the refund requests of its purchases.

The purchases are a small table of their own: its cursor picks the purchase ``n`` refunds
(``tab`` moves into it; from the list, ``n`` uses the highlighted purchase, the first one by
default).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui import clock
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.formatting import enum_text, money

STATUS_STYLE = {
    "completed": "green",
    "confirmed": "cyan",
    "pending": "yellow",
    "cancelled": "dim",
    "active": "green",
    "partially_refunded": "yellow",
    "refunded": "magenta",
    "requested": "yellow",
    "processed": "green",
    "failed": "bold red",
    "rejected": "dim",
    "invalid": "dim",
}


def status_text(value: object) -> Text:
    text = enum_text(value)
    return Text(text, style=STATUS_STYLE.get(text, ""))


def purchase_status(value: object) -> Text:
    """A purchase status short enough for its column (``partially_refunded`` → ``partial``)."""
    text = status_text(value)
    if text.plain == "partially_refunded":
        return Text("partial", style=text.style)
    return text


def _grid() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # whole values in the detail pane
    return table


def order_summary(order: Order, tz: str | None) -> Table:
    grid = _grid()
    grid.add_row("Order", Text(f"{order.order_number or '—'}  ({order.id})"))
    grid.add_row("Status", Text.assemble(status_text(order.status), f"  · {enum_text(order.type)}"))
    grid.add_row("Amount", money(order.amount, order.currency))
    grid.add_row("Created", clock.detail(order.created, tz, seconds=True))
    grid.add_row("Modified", clock.detail(order.modified, tz, seconds=True))
    return grid


def customer_block(order: Order) -> Table:
    grid = _grid()
    c = order.customer
    if c is None:
        grid.add_row("Customer", "—")
        return grid
    grid.add_row("Customer", Text(c.full_name or "—"))
    grid.add_row("Email", Text(c.email or "—"))
    grid.add_row("Phone", Text(c.phone or "—"))
    grid.add_row("Customer id", Text(c.id or "—"))
    return grid


def money_sum(values: Sequence[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def transaction_block(order: Order, purchases: Sequence[Purchase]) -> Table:
    grid = _grid()
    grid.add_row("Transaction", Text(order.transaction_id or "— (no payment yet)"))
    if purchases:
        cur = order.currency
        refunded = money_sum([p.refunded_amount for p in purchases])
        refundable = money_sum([p.refundable_amount for p in purchases])
        grid.add_row(
            "Deposits",
            money(
                money_sum([(p.deposit or Decimal(0)) * (p.quantity or 1) for p in purchases]), cur
            ),
        )
        grid.add_row("Fees", money(money_sum([p.fees for p in purchases]), cur))
        grid.add_row("Refunded", money(refunded, cur))
        grid.add_row("Refundable", money(refundable, cur))
    return grid


def refunds_table(
    refunds: Sequence[RefundRequest],
    tz: str | None,
    currency: str | None,
    products: dict[str, str] | None = None,
) -> Table:
    """Two lines per request (it fits a narrow pane): status, amount and reason, then when,
    which purchase and the request's id."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    for r in refunds:
        product = (products or {}).get(r.purchase_id or "", r.purchase_id or "transaction")
        first = Text.assemble(
            status_text(r.status), "  ", (money(r.amount, currency), "bold"), "  ",
            enum_text(r.reason), ("  " + enum_text(r.scope), "dim"),
        )  # fmt: skip
        second = Text(f"  {fmt_when(r.created, tz)} · {product} · {r.id}", style="dim")
        table.add_row(first)
        table.add_row(second)
    return table


class OrderDetail(Vertical):
    """Order · customer · transaction · purchases (a table with a cursor) · refund requests."""

    DEFAULT_CSS = """
    OrderDetail { height: auto; }
    OrderDetail .detail-heading { text-style: bold; margin-top: 1; color: $text-muted; }
    OrderDetail #order-purchases { height: auto; max-height: 12; }
    OrderDetail #order-note { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.order: Order | None = None
        self.purchases: list[Purchase] = []
        self.refunds: list[RefundRequest] = []

    def compose(self) -> ComposeResult:
        yield Static("No order selected", id="order-summary")
        yield Static("", id="order-note")
        yield Static("", id="order-customer")
        yield Static("", id="order-transaction")
        yield Label("Purchases  (tab: choose · n: refund)", classes="detail-heading")
        table: DataTable[object] = DataTable(
            id="order-purchases", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Label("Refund requests", classes="detail-heading", id="order-refunds-heading")
        yield Static("", id="order-refunds")

    def on_mount(self) -> None:
        table = self.query_one("#order-purchases", DataTable)
        table.add_column("Product", key="product", width=18)
        table.add_column("Amount", key="amount", width=9)
        table.add_column("Refunded", key="refunded", width=9)
        table.add_column("Status", key="status", width=9)
        table.add_column("Qty", key="qty", width=3)
        table.add_column("Unit", key="unit", width=8)
        table.add_column("Deposit", key="deposit", width=7)
        table.add_column("Fees", key="fees", width=6)

    @property
    def purchase_table(self) -> DataTable[object]:
        return self.query_one("#order-purchases", DataTable)

    def show_order(self, order: Order | None, tz: str | None, *, loading: bool) -> None:
        """The list's data at once (no purchases yet): the detail follows when loaded."""
        self.order = order
        if order is None:
            self.query_one("#order-summary", Static).update("No order selected")
            for name in ("note", "customer", "transaction", "refunds"):
                self.query_one(f"#order-{name}", Static).update("")
            self.purchases = []
            self.refunds = []
            self.purchase_table.clear()
            return
        self.query_one("#order-summary", Static).update(order_summary(order, tz))
        self.query_one("#order-customer", Static).update(customer_block(order))
        self.query_one("#order-note", Static).update("loading purchases…" if loading else "")
        self.query_one("#order-transaction", Static).update(transaction_block(order, []))

    def show_full(
        self,
        order: Order,
        purchases: Sequence[Purchase],
        refunds: Sequence[RefundRequest],
        tz: str | None,
        note: str = "",
    ) -> None:
        self.order = order
        self.purchases = list(purchases)
        self.refunds = list(refunds)
        self.query_one("#order-summary", Static).update(order_summary(order, tz))
        self.query_one("#order-customer", Static).update(customer_block(order))
        self.query_one("#order-note", Static).update(note)
        self.query_one("#order-transaction", Static).update(transaction_block(order, purchases))
        table = self.purchase_table
        row = table.cursor_row
        same = [str(k.value) for k in table.rows] == [p.id for p in purchases]
        table.clear()
        cur = order.currency
        for p in purchases:
            table.add_row(
                p.product_name or p.product_id or p.id,
                Text(money(p.amount), justify="right"),
                Text(money(p.refunded_amount), justify="right"),
                purchase_status(p.status),
                str(p.quantity or 0),
                Text(money(p.unit_price), justify="right"),
                Text(money(p.deposit), justify="right"),
                Text(money(p.fees), justify="right"),
                key=p.id,
            )
        if same and 0 <= row < len(purchases):
            table.move_cursor(row=row)
        box = self.query_one("#order-refunds", Static)
        if refunds:
            names = {p.id: p.product_name or p.id for p in purchases}
            box.update(refunds_table(refunds, tz, cur, names))
        else:
            box.update(Text("none", style="dim"))

    def show_error(self, message: str) -> None:
        self.query_one("#order-note", Static).update(Text(message, style="red"))

    @property
    def selected_purchase(self) -> Purchase | None:
        if not self.purchases:
            return None
        row = self.purchase_table.cursor_row
        if 0 <= row < len(self.purchases):
            return self.purchases[row]
        return self.purchases[0]
