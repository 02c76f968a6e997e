"""Shared words and formatting for refund requests: status colours, reason and scope labels,
money, ages, and the amount a scope implies (contract §5).

Used by the refunds screen, the refund form and the decision dialogs; the orders screen can use
them too. Nothing here talks to the server. Also: ``keys_pending`` (keys still on their way, for
the burst path) and ``row_only`` (one changed row repaints that row, not the whole table).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey

from preo_tui.api.refunds import RefundReason, RefundScope, RefundStatus
from preo_tui.ui.formatting import money, value_of

#: The eight statuses, in life-cycle order (contract §5).
STATUSES: tuple[str, ...] = tuple(s.value for s in RefundStatus)
REASONS: tuple[str, ...] = tuple(r.value for r in RefundReason)
SCOPES: tuple[str, ...] = tuple(s.value for s in RefundScope)
#: Statuses on the payment side after an approval (they move without the operator).
IN_FLIGHT: frozenset[str] = frozenset({"ready", "processing", "awaiting_gateway"})
#: Statuses that never change again.
TERMINAL: frozenset[str] = frozenset({"processed", "failed", "rejected", "invalid"})
CUSTOM_SCOPES: frozenset[str] = frozenset({"purchase_custom", "transaction_custom"})

#: Default scope per reason [ours, contract §5]; every other reason → ``purchase_price``.
DEFAULT_SCOPE: dict[str, str] = {
    "deposit_reclaim": "purchase_deposit",
    "rental_return": "purchase_deposit",
    "event_cancelled": "purchase_full",
    "duplicate_purchase": "purchase_full",
    "compensation": "purchase_custom",
    "overcharge": "purchase_custom",
}

STATUS_STYLE: dict[str, str] = {
    "requested": "bold",
    "ready": "cyan",
    "processing": "cyan",
    "awaiting_gateway": "cyan",
    "processed": "green",
    "failed": "bold red",
    "rejected": "magenta",
    "invalid": "dim",
}

SCOPE_SHORT: dict[str, str] = {
    "purchase_price": "price",
    "purchase_deposit": "deposit",
    "purchase_full": "full",
    "purchase_custom": "custom",
    "transaction_full": "order full",
    "transaction_custom": "order custom",
}


def default_scope(reason: str | None) -> str:
    return DEFAULT_SCOPE.get(str(reason or ""), "purchase_price")


def words(value: Any) -> str:
    """``awaiting_gateway`` → ``awaiting gateway`` (unknown values shown as they are)."""
    return value_of(value).replace("_", " ")


def status_text(status: Any, *, width: int | None = None) -> Text:
    name = value_of(status)
    label = words(name) or "?"
    if width is not None and len(label) > width:
        label = label[: width - 1] + "…"
    return Text(label, style=STATUS_STYLE.get(name, "yellow"))


def parse_money(text: str) -> Decimal:
    """A typed amount (``1,234.50``, ``12``); raises ValueError with a readable message."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not cleaned:
        raise ValueError("enter an amount")
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text.strip()!r} is not a number")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]  # Decimal.as_tuple().exponent is int for finite numbers (checked before)
        raise ValueError("at most two decimals")
    return value


def age(when: datetime | None, now: datetime | None = None) -> str:
    """Compact age: ``45s``, ``12m``, ``5h``, ``3d``, ``7w``."""
    if when is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = max(0.0, (now - when).total_seconds())
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 14:
        return f"{int(seconds // 86400)}d"
    return f"{int(seconds // (86400 * 7))}w"


def person_name(person: Any) -> str:
    """A requester/decider (object or id) as a short name."""
    if person is None:
        return "—"
    if isinstance(person, str):
        return person
    first = getattr(person, "first_name", None) or ""
    last = getattr(person, "last_name", None) or ""
    name = f"{first} {last}".strip()
    return name or str(getattr(person, "email", None) or getattr(person, "id", None) or "—")


def total(amounts: Iterable[Decimal | None]) -> Decimal:
    return sum((a for a in amounts if a is not None), Decimal(0))


def implied_amount(scope: str, purchase: Any, order: Any = None) -> Decimal | None:
    """What a scope refunds of ``purchase`` (None for the custom scopes or when unknown):
    price = quantity × unit price, deposit = quantity × deposit, full = what is left of the
    purchase, order full = what is left of the whole order."""
    quantity = Decimal(getattr(purchase, "quantity", None) or 1)
    if scope == "purchase_price" and getattr(purchase, "unit_price", None) is not None:
        return quantity * Decimal(purchase.unit_price)
    if scope == "purchase_deposit" and getattr(purchase, "deposit", None) is not None:
        return quantity * Decimal(purchase.deposit)
    if scope == "purchase_full":
        return refundable(purchase)
    if scope == "transaction_full" and order is not None:
        return order_refundable(order)
    return None


def refundable(purchase: Any) -> Decimal | None:
    amount = getattr(purchase, "amount", None)
    if amount is None:
        return None
    return Decimal(amount) - Decimal(getattr(purchase, "refunded_amount", None) or 0)


def order_refundable(order: Any) -> Decimal | None:
    purchases = getattr(order, "purchases", None)
    if not purchases:
        return None
    return total(
        refundable(p) for p in purchases if value_of(getattr(p, "status", None)) != "cancelled"
    )


def max_for_scope(scope: str, purchase: Any, order: Any = None) -> Decimal | None:
    """The most a custom scope may ask for (what is still refundable), when known."""
    if scope == "transaction_custom":
        return order_refundable(order) if order is not None else None
    return refundable(purchase)


__all__ = [
    "CUSTOM_SCOPES",
    "keys_pending",
    "DEFAULT_SCOPE",
    "IN_FLIGHT",
    "REASONS",
    "SCOPES",
    "SCOPE_SHORT",
    "STATUSES",
    "STATUS_STYLE",
    "TERMINAL",
    "age",
    "default_scope",
    "implied_amount",
    "max_for_scope",
    "money",
    "order_refundable",
    "parse_money",
    "person_name",
    "refundable",
    "row_only",
    "status_text",
    "total",
    "value_of",
    "words",
]


def keys_pending(node: object) -> bool:
    """Whether keys typed earlier are still on their way through ``node`` (the focused
    widget) and its ancestors up to the app: queued there, or bubbling back to the app's
    bindings. A priority binding acts when the app reads its key; with earlier keys still
    under way it would overtake them (the ``a`` of ``:journal`` typed in one burst would
    approve), so it then lets its key follow them instead."""
    from textual import events

    chain = getattr(node, "ancestors_with_self", None) or ()
    for each in chain:
        queue = getattr(each, "_message_queue", None)
        for message in getattr(queue, "_queue", ()):
            if isinstance(message, events.Key) and message.is_forwarded:
                return True
    return False


@contextlib.contextmanager
def row_only(table: DataTable[Any], key: str) -> Iterator[None]:
    """Cell updates of the row ``key`` inside this block repaint that row only.

    Textual's ``DataTable.update_cell`` bumps the table's update counter, part of every cached
    cell's key, and refreshes the whole table (which also drops every cached line of its
    styles cache): one changed cell re-renders every visible row (10 columns × 35 rows at
    160x48, the bulk of the frame after a decision was confirmed or answered, and, with the
    cursor moved in the same frame, not one row found in the row cache).

    So the table's plain repaints are held back inside the block; afterwards the counter is
    put back, only this row's cached renders are dropped (its cells, its lines; the heights
    and order of rows are unchanged) and only its lines are repainted. A refresh asking for
    more (a layout, a recompose) goes through as asked, after the block."""
    before = table._update_count
    held: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def hold(*regions: Any, **options: Any) -> Any:
        held.append((regions, options))
        return table

    outer = table.__dict__.get("refresh")  # an enclosing block's
    table.refresh = hold  # type: ignore[method-assign]  # held back for the block only (restored below)
    try:
        yield
    finally:
        if outer is None:
            del table.refresh  # the class's method again
        else:
            table.refresh = outer  # type: ignore[method-assign]  # the enclosing block's hold
    whole = False
    for regions, options in held:
        if regions or options.get("layout") or options.get("recompose"):
            table.refresh(*regions, **options)  # a region, a layout, a recompose: as asked
        elif options.get("repaint", True):
            whole = True
    if table._update_count == before:
        if whole:
            table.refresh()  # not a cell update of this row: as asked
        return
    try:
        index = table.get_row_index(key)
    except RowDoesNotExist:
        table.refresh()  # the row went away meanwhile: the new counter stands (a full redraw)
        return
    table._update_count = before
    row_key = RowKey(key)
    caches: tuple[Any, ...] = (table._cell_render_cache, table._row_render_cache)
    for cache in caches:
        cached = cache.keys()  # an LRUCache: not iterable itself
        for stale in [k for k in cached if k[0] == row_key]:
            cache.discard(stale)
    table._row_renderable_cache.discard((before, index))
    table._line_cache.clear()  # keyed by screen line; rebuilt from the row caches
    table.refresh_row(index)
