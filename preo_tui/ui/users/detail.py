"""The customers screen's detail pane: the customer, their totals, the consents they granted
and their orders across the organization's editions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from preo_tui.api.consents import Consent
from preo_tui.api.orders import Order
from preo_tui.api.users import User
from preo_tui.ui import clock
from preo_tui.ui.editions.fields import fmt_day
from preo_tui.ui.formatting import enum_text, money
from preo_tui.ui.orders.detail import status_text


def user_table(user: User, tz: str | None) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")  # the detail pane shows whole values, long e-mails too
    grid.add_row("Customer", Text(user.full_name or "—"))
    grid.add_row("Email", Text(user.email or "—"))
    grid.add_row("Phone", Text(user.phone or "—"))
    grid.add_row("Language", enum_text(user.language))
    grid.add_row("Country code", user.country_code or "—")
    grid.add_row("Id", user.id)
    grid.add_row("Created", clock.detail(user.created, tz))
    grid.add_row("Modified", clock.detail(user.modified, tz))
    return grid


def totals_text(user: User, orders: Sequence[Order] | None, currency: str | None) -> Text:
    count = user.order_count
    text = Text.assemble(
        ("Orders ", "bold"),
        f"{count:,}" if count is not None else "—",
        ("   Spent ", "bold"),
        money(user.total_spent, currency),
        (" (confirmed and completed)", "dim"),
    )
    if orders:
        by_status: dict[str, int] = {}
        for order in orders:
            key = enum_text(order.status)
            by_status[key] = by_status.get(key, 0) + 1
        text.append("\n")
        text.append(" · ".join(f"{n} {s}" for s, n in sorted(by_status.items())), style="dim")
    return text


def consents_renderable(user: User, consents: Mapping[str, Consent] | None) -> Any:
    granted = list(user.consents or [])
    if consents is None:
        if not granted:
            return Text("none granted", style="dim")
        return Text("\n".join(f"✔ {c}" for c in granted))
    lines = Table.grid(padding=(0, 1))
    lines.add_column(no_wrap=True)
    lines.add_column()
    shown = set()
    for cid, consent in consents.items():
        shown.add(cid)
        on = cid in granted
        mark = Text("✔", style="green") if on else Text("·", style="dim")
        label = Text(consent.name or cid, style="" if on else "dim")
        channel = enum_text(consent.channel) if consent.channel is not None else ""
        if channel and channel != "—":
            label.append(f"  ({channel})", style="dim")
        lines.add_row(mark, label)
    for cid in granted:
        if cid not in shown:
            lines.add_row(Text("✔", style="green"), Text(cid))
    return lines if consents or granted else Text("none", style="dim")


def orders_table(orders: Sequence[Order], editions: Mapping[str, str], tz: str | None) -> Any:
    if not orders:
        return Text("no orders", style="dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("Order", no_wrap=True, min_width=11)
    table.add_column("Edition", no_wrap=True, max_width=14, overflow="ellipsis")
    table.add_column("Date", no_wrap=True, min_width=10)
    table.add_column("Amount", justify="right", no_wrap=True, min_width=9)
    table.add_column("Status", no_wrap=True, min_width=9)
    for order in orders:
        table.add_row(
            order.order_number or order.id,
            editions.get(order.edition_id or "", order.edition_id or "—"),
            fmt_day(order.created, tz),
            money(order.amount),
            status_text(order.status),
        )
    return table


class UserDetail(Vertical):
    """Customer · totals · consents · orders across editions."""

    DEFAULT_CSS = """
    UserDetail { height: auto; }
    UserDetail .detail-heading { text-style: bold; margin-top: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("No customer selected", id="user-info")
        yield Static("", id="user-totals")
        yield Label("Consents", classes="detail-heading")
        yield Static("", id="user-consents")
        yield Label("Orders across editions", classes="detail-heading")
        yield Static("", id="user-orders")

    def show(
        self,
        user: User | None,
        tz: str | None,
        *,
        orders: Sequence[Order] | None = None,
        orders_total: int | None = None,
        consents: Mapping[str, Consent] | None = None,
        editions: Mapping[str, str] | None = None,
        note: str = "",
    ) -> None:
        info = self.query_one("#user-info", Static)
        if user is None:
            info.update("No customer selected")
            for name in ("totals", "consents", "orders"):
                self.query_one(f"#user-{name}", Static).update("")
            return
        info.update(user_table(user, tz))
        currency = next((o.currency for o in orders or [] if o.currency), None)
        self.query_one("#user-totals", Static).update(totals_text(user, orders, currency))
        self.query_one("#user-consents", Static).update(consents_renderable(user, consents))
        box = self.query_one("#user-orders", Static)
        if orders is None:
            box.update(Text(note or "loading…", style="dim"))
            return
        parts: list[Any] = [orders_table(orders, editions or {}, tz)]
        if orders_total is not None and orders_total > len(orders):
            parts.append(Text(f"latest {len(orders)} of {orders_total:,}", style="dim"))
        if note:
            parts.append(Text(note, style="red"))
        box.update(Group(*parts))
