"""The orders screen's filters (contract §4) and the form that edits them.

``OrderFilters`` holds status (any set of the four), type, created after/before, customer email
and phone, order number and transaction id; ``params()`` gives the client's keyword arguments.
The form checks dates (read in the edition's time zone; after must not be later than before),
the email's shape and the phone's documented prefix before the list is reloaded, so a bad
filter never reaches the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Select, SelectionList
from textual.widgets.selection_list import Selection

from preo_tui.api.orders import OrderStatus, OrderType
from preo_tui.ui.editions.fields import (
    DATE_HINT,
    FieldError,
    FormModal,
    check_email,
    fmt_input_when,
    normalize_phone,
    parse_when,
)

STATUSES: tuple[str, ...] = tuple(s.value for s in OrderStatus)
TYPES: tuple[str, ...] = tuple(t.value for t in OrderType)


@dataclass(frozen=True)
class OrderFilters:
    """The list's server-side filters (the ``/`` text is the contract's ``search``)."""

    status: tuple[str, ...] = ()
    type: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    order_number: str | None = None
    transaction_id: str | None = None
    #: How the dates were typed (shown back in the form and the summary).
    texts: dict[str, str] = field(default_factory=dict, compare=False)

    def params(self) -> dict[str, Any]:
        return {
            "status": list(self.status) if self.status else None,
            "type": self.type,
            "created_after": self.created_after,
            "created_before": self.created_before,
            "customer_email": self.customer_email,
            "customer_phone": self.customer_phone,
            "order_number": self.order_number,
            "transaction_id": self.transaction_id,
        }

    @property
    def active(self) -> bool:
        return any(v not in (None, (), "") for v in self.params().values())

    def summary(self, tz: str | None = None) -> str:
        parts = []
        if self.status:
            parts.append("status " + "|".join(self.status))
        if self.type:
            parts.append(f"type {self.type}")
        if self.created_after is not None:
            parts.append("after " + fmt_input_when(self.created_after, tz))
        if self.created_before is not None:
            parts.append("before " + fmt_input_when(self.created_before, tz))
        for name, label in (
            ("customer_email", "email"),
            ("customer_phone", "phone"),
            ("order_number", "number"),
            ("transaction_id", "transaction"),
        ):
            value = getattr(self, name)
            if value:
                parts.append(f"{label} {value}")
        return " · ".join(parts) if parts else "no filters"

    def without(self, name: str) -> OrderFilters:
        empty: Any = () if name == "status" else None
        return replace(self, **{name: empty})


class OrderFilterModal(FormModal[OrderFilters]):
    """Edit the filters; dismisses with the new :class:`OrderFilters` (nothing is sent)."""

    FORM_TITLE: ClassVar[str] = "Filter orders"
    ASK_BEFORE_DISCARD = False
    SAVE_LABEL: ClassVar[str] = "Apply"

    def __init__(self, filters: OrderFilters, *, timezone: str | None = None) -> None:
        super().__init__(subtitle=f"dates in {timezone or 'UTC'}; / searches free text")
        self.filters = filters
        self.timezone = timezone

    def compose_fields(self) -> ComposeResult:
        f = self.filters
        yield from self.field_row(
            "status",
            "Status",
            SelectionList[str](*[Selection(s, s, s in f.status) for s in STATUSES], id="f-status"),
        )
        yield from self.field_row(
            "type",
            "Type",
            Select[str](
                [(t, t) for t in TYPES],
                id="f-type",
                prompt="any type",
                value=f.type if f.type else Select.NULL,
            ),
        )
        for name, label in (
            ("created_after", "Created after"),
            ("created_before", "Created before"),
        ):
            value = f.texts.get(name) or fmt_input_when(getattr(f, name), self.timezone)
            yield from self.field_row(
                name, label, Input(value, id=f"f-{name}", placeholder=DATE_HINT)
            )
        for name, label, hint in (
            ("customer_email", "Customer email", "exact address"),
            ("customer_phone", "Customer phone", "+4520123456"),
            ("order_number", "Order number", "part of the number"),
            ("transaction_id", "Transaction", "trx_…"),
        ):
            yield from self.field_row(
                name, label, Input(getattr(f, name) or "", id=f"f-{name}", placeholder=hint)
            )

    def focus_first(self) -> None:
        self.query_one("#f-status", SelectionList).focus()

    def collect(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": tuple(s for s in STATUSES if s in self.choices("status")),
            "type": self.choice("type"),
        }
        texts = {}
        for name in ("created_after", "created_before"):
            text = self.text(name)
            try:
                values[name] = parse_when(text, self.timezone, end_of_day=name == "created_before")
            except FieldError as exc:
                self.fail(name, str(exc))
                values[name] = None
            if text.strip():
                texts[name] = text.strip()
        after, before = values["created_after"], values["created_before"]
        if after is not None and before is not None and before < after:
            self.fail("created_before", "'Created before' is earlier than 'created after'.")
        email = self.text("customer_email").strip()
        if email:
            try:
                email = check_email(email)
            except FieldError as exc:
                self.fail("customer_email", f"{exc} For part of an address use /.")
        phone = self.text("customer_phone").strip()
        if phone:
            try:
                phone = normalize_phone(phone)
            except FieldError as exc:
                self.fail("customer_phone", str(exc))
        values["customer_email"] = email or None
        values["customer_phone"] = phone or None
        values["order_number"] = self.text("order_number").strip() or None
        values["transaction_id"] = self.text("transaction_id").strip() or None
        values["texts"] = texts
        return values

    def action_save(self) -> None:
        self.errors = {}
        values = self.collect()
        if self.errors:
            self.show_errors(self.errors)
            return
        self.dismiss(OrderFilters(**values))
