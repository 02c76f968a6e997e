"""Filters of the refund queue and the dialog that edits them.

:class:`RefundFilters` is the queue's filter state (statuses, reason, amount range, date range,
all editions of the organization); ``query_params()`` turns it into the list operation's query
(``status`` comma-separated, ``reason``, ``created_after``/``created_before``, and the amount
range as ``amount_min``/``amount_max`` — [ours] parameters of the list, see
``preo_tui/api/refunds.py``). :class:`RefundFilterModal` edits them: a picker for any set of the
eight statuses, the reason, the amount range and the date range, with each bad value named
inline (never a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList
from textual.widgets.selection_list import Selection

from preo_tui.ui.formatting import money
from preo_tui.ui.refunds.common import REASONS, STATUSES, parse_money, words

DEFAULT_STATUSES: frozenset[str] = frozenset({"requested"})


@dataclass(frozen=True, slots=True)
class RefundFilters:
    """What the queue shows (besides the ``/`` free text, which is the list's ``search``)."""

    statuses: frozenset[str] = DEFAULT_STATUSES
    reason: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    created_from: date | None = None
    created_to: date | None = None
    all_editions: bool = False

    @property
    def is_default(self) -> bool:
        return self == RefundFilters(all_editions=self.all_editions)

    @property
    def has_amount(self) -> bool:
        return self.amount_min is not None or self.amount_max is not None

    def query_params(self) -> dict[str, Any]:
        """The list operation's filter parameters (paging, ordering, search and the edition or
        organization are added by the screen)."""
        params: dict[str, Any] = {}
        if self.statuses and set(self.statuses) != set(STATUSES):
            params["status"] = sorted(self.statuses, key=STATUSES.index)
        if self.reason:
            params["reason"] = self.reason
        if self.amount_min is not None:
            params["amount_min"] = self.amount_min
        if self.amount_max is not None:
            params["amount_max"] = self.amount_max
        if self.created_from is not None:
            params["created_after"] = datetime.combine(self.created_from, time.min, UTC)
        if self.created_to is not None:
            end = datetime.combine(self.created_to + timedelta(days=1), time.min, UTC)
            params["created_before"] = end - timedelta(microseconds=1)
        return params

    def describe(self) -> str:
        """One line for the queue's filter bar."""
        if not self.statuses or set(self.statuses) == set(STATUSES):
            parts = ["all statuses"]
        else:
            parts = [", ".join(words(s) for s in sorted(self.statuses, key=STATUSES.index))]
        if self.reason:
            parts.append(f"reason {words(self.reason)}")
        if self.amount_min is not None and self.amount_max is not None:
            parts.append(f"amount {money(self.amount_min)}–{money(self.amount_max)}")
        elif self.amount_min is not None:
            parts.append(f"amount ≥ {money(self.amount_min)}")
        elif self.amount_max is not None:
            parts.append(f"amount ≤ {money(self.amount_max)}")
        if self.created_from or self.created_to:
            start = self.created_from.isoformat() if self.created_from else "…"
            end = self.created_to.isoformat() if self.created_to else "…"
            parts.append(f"created {start} – {end}")
        parts.append("all editions" if self.all_editions else "this edition")
        return " · ".join(parts)

    def matches_amount(self, amount: Decimal | None) -> bool:
        if amount is None:
            return True
        if self.amount_min is not None and amount < self.amount_min:
            return False
        return not (self.amount_max is not None and amount > self.amount_max)


def parse_day(text: str, field: str) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a date (use YYYY-MM-DD)") from None


class RefundFilterModal(ModalScreen[RefundFilters | None]):
    """Edit the queue's filters; ``enter`` applies, ``escape`` cancels, ``ctrl+r`` resets."""

    DEFAULT_CSS = """
    RefundFilterModal { align: center middle; }
    RefundFilterModal > Vertical {
        width: 76; max-width: 98%; height: auto; max-height: 98%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    RefundFilterModal .filter-title { text-style: bold; margin-bottom: 1; }
    RefundFilterModal SelectionList { height: auto; max-height: 10; }
    RefundFilterModal .filter-row { height: auto; }
    RefundFilterModal .filter-row Input { width: 1fr; margin-right: 1; }
    RefundFilterModal .filter-label { color: $text-muted; width: 100%; }
    RefundFilterModal #filter-error { color: $error; height: auto; width: 100%; }
    RefundFilterModal .filter-buttons { height: auto; align-horizontal: right; }
    RefundFilterModal Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="refund_filters.cancel"),
        Binding("ctrl+r", "reset", "Reset", id="refund_filters.reset"),
        # enter applies from anywhere (the status list would toggle a status with it: space
        # toggles); on the Reset or Cancel button enter presses that button
        Binding("enter", "enter", "Apply", id="refund_filters.apply", priority=True),
    ]

    def __init__(self, filters: RefundFilters) -> None:
        super().__init__()
        self.filters = filters

    def compose(self) -> ComposeResult:
        f = self.filters
        with Vertical():
            yield Label("Filter refund requests", classes="filter-title")
            yield Label("Status (space toggles)", classes="filter-label")
            yield SelectionList[str](
                *[Selection(words(s), s, s in f.statuses) for s in STATUSES],
                id="filter-statuses",
                compact=True,
            )
            yield Label("Reason", classes="filter-label")
            yield Select[str](
                [(words(r), r) for r in REASONS],
                value=f.reason if f.reason else Select.NULL,
                prompt="any reason",
                id="filter-reason",
                compact=True,
            )
            yield Label("Amount from – to", classes="filter-label")
            with Horizontal(classes="filter-row"):
                yield Input(
                    str(f.amount_min) if f.amount_min is not None else "",
                    placeholder="min",
                    id="filter-amount-min",
                    compact=True,
                )
                yield Input(
                    str(f.amount_max) if f.amount_max is not None else "",
                    placeholder="max",
                    id="filter-amount-max",
                    compact=True,
                )
            yield Label("Created from – to (YYYY-MM-DD)", classes="filter-label")
            with Horizontal(classes="filter-row"):
                yield Input(
                    f.created_from.isoformat() if f.created_from else "",
                    placeholder="from",
                    id="filter-from",
                    compact=True,
                )
                yield Input(
                    f.created_to.isoformat() if f.created_to else "",
                    placeholder="to",
                    id="filter-to",
                    compact=True,
                )
            yield Checkbox(
                "All editions of the organization", f.all_editions, id="filter-all", compact=True
            )
            yield Label("", id="filter-error")
            with Horizontal(classes="filter-buttons"):
                yield Button("Reset (ctrl+r)", id="reset", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Apply (enter)", id="apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#filter-statuses", SelectionList).focus()

    def collect(self) -> RefundFilters:
        """The filters as entered; raises ValueError naming the first bad field."""
        statuses = frozenset(self.query_one("#filter-statuses", SelectionList).selected)
        if not statuses:
            raise ValueError("Status: choose at least one status")
        reason_value = self.query_one("#filter-reason", Select).value
        reason = reason_value if isinstance(reason_value, str) else None
        low = self._amount("#filter-amount-min", "Amount from")
        high = self._amount("#filter-amount-max", "Amount to")
        if low is not None and high is not None and low > high:
            raise ValueError("Amount: 'from' is larger than 'to'")
        start = parse_day(self.query_one("#filter-from", Input).value, "Created from")
        end = parse_day(self.query_one("#filter-to", Input).value, "Created to")
        if start is not None and end is not None and start > end:
            raise ValueError("Created: 'from' is after 'to'")
        return RefundFilters(
            statuses=statuses,
            reason=reason,
            amount_min=low,
            amount_max=high,
            created_from=start,
            created_to=end,
            all_editions=self.query_one("#filter-all", Checkbox).value,
        )

    def _amount(self, selector: str, field: str) -> Decimal | None:
        text = self.query_one(selector, Input).value
        if not text.strip():
            return None
        try:
            value = parse_money(text)
        except ValueError as exc:
            raise ValueError(f"{field}: {exc}") from None
        if value < 0:
            raise ValueError(f"{field}: must not be negative")
        return value

    def action_enter(self) -> None:
        focused = self.focused
        if isinstance(focused, Button) and focused.id in ("reset", "cancel"):
            focused.press()
            return
        if isinstance(focused, Select) and focused.expanded:
            raise SkipAction()  # enter picks the highlighted reason
        self.action_apply()

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        try:
            filters = self.collect()
        except ValueError as exc:
            self.query_one("#filter-error", Label).update(str(exc))
            return
        self.dismiss(filters)

    @on(Button.Pressed, "#reset")
    def action_reset(self) -> None:
        self.dismiss(RefundFilters(all_editions=self.filters.all_editions))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["DEFAULT_STATUSES", "RefundFilterModal", "RefundFilters", "parse_day"]
