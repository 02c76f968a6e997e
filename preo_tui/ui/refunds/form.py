"""The refund form: create a refund request for one purchase (contract §5,
``POST /v1/purchases/{id}/refund``). Used by the refunds screen and the orders screen.

Fields: reason (required; the line under it shows the default scope it implies and the amount
that scope refunds), scope override (admin/manager; "default" lets the server derive it),
amount (required and bounded by what is still refundable for the two custom scopes, not asked
otherwise), comment, pickup point (a picker when the server lists the edition's pickup points,
else an optional id). ``enter`` in a field creates, ``escape`` cancels. Bad input is named
inline; the server's field errors (400) appear next to the form, never as a traceback.

Exactly once: the request is a durable action (``preo_tui.actions``: journalled, resolved by
re-reading when the answer is lost). The form keeps the last action until it applied — pressing
Create again resends the same draft with the same key; changing a field makes it a new action.

From a screen, inside a worker::

    created = await open_refund_form(self, purchase, order=order)   # RefundRequest | None
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from preo_tui.actions import Action, make
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import (
    CUSTOM_SCOPES,
    REASONS,
    SCOPES,
    default_scope,
    implied_amount,
    max_for_scope,
    parse_money,
    refundable,
    words,
)
from preo_tui.ui.widgets.badge import ProductionBanner
from preo_tui.ui.widgets.forms import TracksChanges
from preo_tui.ui.writes import perform

if TYPE_CHECKING:
    from preo_tui.ui.base import PreoScreen

#: The scope select's value for "let the reason decide".
DEFAULT = "__default__"


@dataclass(frozen=True, slots=True)
class RefundDraft:
    """What the form sends. ``scope`` None: derived from the reason by the server."""

    reason: str
    scope: str | None = None
    amount: Decimal | None = None
    comment: str | None = None
    pickup_point_id: str | None = None

    @property
    def effective_scope(self) -> str:
        return self.scope or default_scope(self.reason)


#: The action that creates a draft's refund request (key and arguments included).
ActionFor = Callable[[RefundDraft], Action]
#: Runs an action and returns the created request (raises when it did not apply).
Submit = Callable[[Action], Awaitable[RefundRequest]]


class FormError(ValueError):
    """A field the operator must fix (``field`` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class RefundForm(TracksChanges, ModalScreen[RefundRequest | None]):
    """Create a refund request for ``purchase``; dismisses with the created request."""

    DIRTY_WHAT = "The refund request"

    DEFAULT_CSS = """
    RefundForm { align: center middle; }
    RefundForm > Vertical {
        width: 78; max-width: 98%; height: auto; max-height: 98%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    RefundForm VerticalScroll { height: auto; max-height: 100%; }
    RefundForm .form-title { text-style: bold; }
    RefundForm .form-purchase { color: $text-muted; margin-bottom: 1; }
    RefundForm #form-cancelled { color: $warning; text-style: bold; margin-bottom: 1; }
    RefundForm .form-label { color: $text-muted; width: 100%; }
    RefundForm .form-hint { color: $accent; width: 100%; height: auto; }
    RefundForm .form-field-error { color: $error; width: 100%; height: auto; }
    RefundForm .form-field-error { display: none; }
    RefundForm .form-field-error.-shown { display: block; }
    RefundForm #form-error { color: $error; width: 100%; height: auto; }
    RefundForm .form-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    RefundForm Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="refund_form.cancel"),
    ]

    def __init__(
        self,
        purchase: Purchase,
        *,
        submit: Submit,
        action_for: ActionFor,
        order: Any = None,
        currency: str | None = None,
        pickup_points: Sequence[tuple[str, str]] = (),
        allow_scope_override: bool = True,
        production: bool = False,
    ) -> None:
        super().__init__()
        self.purchase = purchase
        self.order = order
        self.currency = currency or getattr(order, "currency", None)
        self.pickup_points = list(pickup_points)
        self.allow_scope_override = allow_scope_override
        self.production = production
        self.submit = submit
        self.action_for = action_for
        self.sending = False
        #: The last action sent and not known to have applied (Create again reuses its key).
        self._last: Action | None = None
        self._select_values: dict[str, object] = {}

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        p = self.purchase
        with Vertical():
            if self.production:
                yield ProductionBanner()
            yield Label("New refund request", classes="form-title")
            yield Static(
                f"{p.product_name or p.id} × {p.quantity or 1} · paid {money(p.amount, self.currency)}"
                f" · refunded {money(p.refunded_amount or Decimal(0))}"
                f" · left {money(refundable(p))}",
                classes="form-purchase",
                markup=False,
            )
            warning = cancelled_warning(p, self.order)
            if warning:
                yield Static(warning, id="form-cancelled", markup=False)
            with VerticalScroll():
                yield Label("Reason", classes="form-label")
                yield Select[str](
                    [(words(r), r) for r in REASONS],
                    prompt="choose a reason",
                    id="form-reason",
                    compact=True,
                )
                yield Label("", classes="form-hint", id="form-implied")
                yield Label("", classes="form-field-error", id="form-reason-error")
                yield Label("Scope", classes="form-label")
                yield Select[str](
                    [("default for the reason", DEFAULT)] + [(words(s), s) for s in SCOPES],
                    value=DEFAULT,
                    allow_blank=False,
                    id="form-scope",
                    disabled=not self.allow_scope_override,
                    compact=True,
                )
                yield Label("", classes="form-field-error", id="form-scope-error")
                yield Label("Amount", classes="form-label", id="form-amount-label")
                yield Input(
                    placeholder="only for custom scopes",
                    id="form-amount",
                    disabled=True,
                    compact=True,
                )
                yield Label("", classes="form-field-error", id="form-amount-error")
                yield Label("Comment", classes="form-label")
                yield Input(placeholder="optional", id="form-comment", compact=True)
                yield Label("", classes="form-field-error", id="form-comment-error")
                yield Label("Pickup point", classes="form-label")
                if self.pickup_points:
                    yield Select[str](
                        [(label, value) for value, label in self.pickup_points],
                        prompt="none",
                        id="form-pickup",
                        compact=True,
                    )
                else:
                    yield Input(
                        placeholder="optional pickup point id (pkp_…)",
                        id="form-pickup",
                        compact=True,
                    )
                yield Label("", classes="form-field-error", id="form-pickup_point_id-error")
            yield Label("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Create (enter)", id="create", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#form-reason", Select).focus()
        self._update_implied()
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Keep the buttons on screen on short terminals: the fields scroll instead."""
        # A resize can arrive before the form is composed or while it is removed.
        for scroll in self.query(VerticalScroll).results(VerticalScroll):
            scroll.styles.max_height = max(4, self.app.size.height - 10)

    # -- live hints ---------------------------------------------------------------------------

    def _reason(self) -> str | None:
        value = self.query_one("#form-reason", Select).value
        return value if isinstance(value, str) else None

    def _scope_choice(self) -> str | None:
        value = self.query_one("#form-scope", Select).value
        return value if isinstance(value, str) and value != DEFAULT else None

    def effective_scope(self) -> str | None:
        reason = self._reason()
        chosen = self._scope_choice()
        if chosen:
            return chosen
        return default_scope(reason) if reason else None

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        # A Select announces its initial value when it mounts: that is no change, and must
        # not wipe an error shown meanwhile.
        key = event.select.id or ""
        if key in self._select_values and self._select_values[key] != event.value:
            self._clear_errors()
        self._select_values[key] = event.value
        self._update_implied()

    def _update_implied(self) -> None:
        reason = self._reason()
        scope = self.effective_scope()
        hint = self.query_one("#form-implied", Label)
        amount = self.query_one("#form-amount", Input)
        label = self.query_one("#form-amount-label", Label)
        if reason is None:
            hint.update("Choose a reason: it sets the default scope.")
        else:
            implied = default_scope(reason)
            text = f"Default scope for {words(reason)}: {words(implied)}"
            value = implied_amount(implied, self.purchase, self.order)
            if value is not None:
                text += f" → {money(value, self.currency)}"
            elif implied in CUSTOM_SCOPES:
                text += " → you enter the amount"
            if self._scope_choice() and self._scope_choice() != implied:
                text += f"; overridden: {words(self._scope_choice())}"
            hint.update(text)
        custom = scope in CUSTOM_SCOPES if scope else False
        amount.disabled = not custom
        if custom and scope is not None:
            most = max_for_scope(scope, self.purchase, self.order)
            bound = f"0.01 – {money(most)}" if most is not None else "more than 0"
            label.update(f"Amount (required: {bound})")
            amount.placeholder = bound
        else:
            label.update("Amount (set by the scope)")
            amount.placeholder = "only for custom scopes"

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self.query_one("#form-error", Label).update("")

    def _clear_errors(self) -> None:
        for widget in self.query(".form-field-error"):
            if isinstance(widget, Label):
                widget.update("")
                widget.remove_class("-shown")
        self.query_one("#form-error", Label).update("")

    # -- validation ---------------------------------------------------------------------------

    def draft(self) -> RefundDraft:
        """The draft as entered; raises :class:`FormError` naming the field to fix."""
        reason = self._reason()
        if reason is None:
            raise FormError("reason", "Choose a reason.")
        scope = self._scope_choice()
        effective = scope or default_scope(reason)
        amount: Decimal | None = None
        if effective in CUSTOM_SCOPES:
            text = self.query_one("#form-amount", Input).value
            try:
                amount = parse_money(text)
            except ValueError as exc:
                raise FormError(
                    "amount", f"A {words(effective)} refund needs an amount: {exc}."
                ) from None
            if amount <= 0:
                raise FormError("amount", "The amount must be more than 0.")
            most = max_for_scope(effective, self.purchase, self.order)
            if most is not None and amount > most:
                raise FormError(
                    "amount", f"At most {money(most, self.currency)} is still refundable."
                )
        comment = self.query_one("#form-comment", Input).value.strip() or None
        pickup_widget = self.query_one("#form-pickup")
        pickup: str | None = None
        if isinstance(pickup_widget, Select):
            value = pickup_widget.value
            pickup = value if isinstance(value, str) else None
        elif isinstance(pickup_widget, Input):
            pickup = pickup_widget.value.strip() or None
        return RefundDraft(reason, scope, amount, comment, pickup)

    def show_field_error(self, field: str, message: str) -> None:
        try:
            label = self.query_one(f"#form-{field}-error", Label)
            label.update(message)
            label.add_class("-shown")
        except Exception:
            self.query_one("#form-error", Label).update(f"{field}: {message}")

    # -- submit -------------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        if self.sending:
            return
        self._clear_errors()
        try:
            draft = self.draft()
        except FormError as exc:
            self.show_field_error(exc.field, str(exc))
            return
        # The same draft again (after a lost answer) is the same action: same key.
        action = self.action_for(draft).continuing(self._last)
        self._last = action
        self.sending = True
        self.query_one("#create", Button).disabled = True
        self.query_one("#form-error", Label).update("Sending…")
        self._send(action)

    @work(group="refund-form", exclusive=True, exit_on_error=False)
    async def _send(self, action: Action) -> None:
        try:
            created = await self.submit(action)
        except Exception as exc:
            report = describe_error(exc)
            self.query_one("#form-error", Label).update("")
            if report.fields:
                for name, messages in report.fields.items():
                    self.show_field_error(name, " ".join(messages))
                if set(report.fields) <= {"non_field_errors"}:
                    self.query_one("#form-error", Label).update(report.message)
            else:
                note = ""
                if report.kind in ("NetworkError", "ServerError"):
                    note = " — the answer was lost; Create resends the same request safely."
                self.query_one("#form-error", Label).update(
                    f"{report.title}: {report.message}{note}"
                )
            return
        finally:
            self.sending = False
            with contextlib.suppress(Exception):
                self.query_one("#create", Button).disabled = False
        self._last = None
        self.dismiss(created)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.close_asking(lambda: self.dismiss(None))


def cancelled_warning(purchase: Purchase, order: Any = None) -> str:
    """A warning when the purchase (or its order) is cancelled: its money is usually back
    already, and a refund would pay it twice."""
    status = value_of(purchase.status)
    order_status = value_of(getattr(order, "status", None))
    if status == "cancelled":
        what = "This purchase is cancelled"
    elif order_status == "cancelled":
        what = "This purchase's order is cancelled"
    else:
        return ""
    return f"⚠ {what}: check the money is not already back before refunding it."


async def pickup_point_choices(client: Any, edition_id: str | None) -> list[tuple[str, str]]:
    """The edition's pickup points as (id, name), from the edition's field choices when the
    server lists them there ([ours]); empty when it does not."""
    if client is None or not edition_id:
        return []
    try:
        choices = await client.editions.field_choices(edition_id)
    except Exception:
        return []
    found = choices.get("pickup_point_id") or choices.get("pickup_point") or []
    out: list[tuple[str, str]] = []
    for choice in found:
        value = getattr(choice, "value", None)
        if value:
            out.append((str(value), str(getattr(choice, "label", None) or value)))
    return out


async def open_refund_form(
    screen: PreoScreen, purchase: Purchase, *, order: Any = None
) -> RefundRequest | None:
    """Show the refund form for ``purchase`` and create the request through the store (so it
    is journalled and the cached refunds, orders and purchases are invalidated). Call it from
    a worker (it waits for the dialog). Returns the created request, or None when cancelled."""
    ctx = screen.ctx
    client = ctx.client
    if client is None:
        screen.notify("Not signed in.", severity="warning")
        return None
    edition_id = purchase.edition_id or (ctx.edition.id if ctx.edition else None)
    pickups = await pickup_point_choices(client, edition_id)

    def action_for(draft: RefundDraft) -> Action:
        amount = f", {money(draft.amount)}" if draft.amount is not None else ""
        order_number = getattr(order, "order_number", None)
        return make(
            "purchases.refund",
            f"create refund for {purchase.product_name or purchase.id}"
            + (f" · order {order_number}" if order_number else "")
            + f" ({words(draft.effective_scope)}{amount})",
            id=purchase.id,
            cache_resource="refunds",
            invalidates=("orders", "purchases"),
            reason=draft.reason,
            scope=draft.scope,
            amount=draft.amount,
            comment=draft.comment,
            pickup_point_id=draft.pickup_point_id,
        )

    async def submit(action: Action) -> RefundRequest:
        created: RefundRequest = await perform(ctx, action)
        return created

    role = ctx.role
    form = RefundForm(
        purchase,
        submit=submit,
        action_for=action_for,
        order=order,
        currency=getattr(order, "currency", None)
        or (ctx.edition.currency if ctx.edition else None),
        pickup_points=pickups,
        allow_scope_override=role in ("admin", "manager"),
        production=ctx.is_production,
    )
    created: RefundRequest | None = await screen.app.push_screen_wait(form)
    return created


__all__ = [
    "DEFAULT",
    "FormError",
    "RefundDraft",
    "RefundForm",
    "Submit",
    "open_refund_form",
    "pickup_point_choices",
]
