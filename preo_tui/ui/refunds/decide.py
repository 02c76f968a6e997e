"""The dialog of one refund decision: approve (optional comment) or reject (reason required).

It is the confirmation of a single decision: it names the request (order, customer, amount)
and the action, ``enter`` confirms, ``escape`` cancels. Approving is ``a`` then ``enter``; a
rejection cannot be confirmed without a reason. On production the red badge shows and the order
number must be typed as well. Bulk decisions use it to collect the comment or reason (with the
count and total in the title) and then ask for the typed count through ``TypedConfirmModal``.

Dismisses with a :class:`DecisionInput` or ``None`` when cancelled.

The queue behind the dialog is not dimmed (a transparent background): closing the dialog then
changes only what the dialog covered, and the queue repaints just that (with the row decided
and the cursor on the next request) instead of every line of the screen — see
``RefundsScreen.dialog_closing``. A dimmed queue changed every cell of the terminal twice per
decision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from preo_tui.ui.refunds.common import keys_pending
from preo_tui.ui.widgets.badge import ProductionBanner
from preo_tui.ui.widgets.confirm import normalise_answer

Action = Literal["approve", "reject"]


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """What the operator confirmed: the action and its comment (approve) or reason (reject)."""

    action: Action
    text: str | None


class DecisionModal(ModalScreen[DecisionInput | None]):
    """Confirm one decision (or collect the comment/reason of a bulk one)."""

    DEFAULT_CSS = """
    DecisionModal { align: center middle; }
    DecisionModal > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $warning; background: $panel; padding: 0 1;
    }
    DecisionModal.-reject > Vertical { border: thick $error; }
    DecisionModal .decision-title { text-style: bold; width: 100%; margin-bottom: 1; }
    DecisionModal .decision-body { width: 100%; margin-bottom: 1; }
    DecisionModal .decision-label { width: 100%; color: $text-muted; }
    DecisionModal .decision-error { width: 100%; height: auto; color: $error; }
    DecisionModal .decision-buttons { height: auto; align-horizontal: right; }
    DecisionModal Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="refund_decision.cancel"),
        # A priority binding: the app acts on enter when it reads the key, not when the dialog
        # gets round to it. So in a burst (a enter a enter… in one packet) the dialog is
        # confirmed and closed before the next key is routed, which then reaches the queue.
        Binding(
            "enter", "enter", "Confirm", show=False, priority=True, id="refund_decision.confirm"
        ),
    ]

    def __init__(
        self,
        action: Action,
        title: str,
        body: str = "",
        *,
        production: bool = False,
        typed: str | None = None,
        confirm_label: str | None = None,
        on_confirm: Callable[[DecisionInput], None] | None = None,
    ) -> None:
        super().__init__(classes=f"-{action}")
        # Not dimming the queue behind (see the module's docstring). Set here, not in CSS: the
        # app's stylesheet gives every ModalScreen a tint, and it outranks DEFAULT_CSS.
        self.styles.background = Color(0, 0, 0, 0)
        #: Called with the answer when confirmed, *before* the dialog closes (the refund queue
        #: moves its cursor on there, so the next key already acts on the next request).
        self.on_confirm = on_confirm
        self.confirmed = False
        self.action = action
        self.title_text = title
        self.body_text = body
        self.production = production
        #: Text the operator must type as well (the order number on production).
        self.typed = typed.strip() if typed else None
        self.confirm_label = confirm_label or ("Approve" if action == "approve" else "Reject")

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.production:
                yield ProductionBanner()
            yield Label(self.title_text, classes="decision-title", markup=False)
            if self.body_text:
                yield Static(self.body_text, classes="decision-body", markup=False)
            if self.action == "approve":
                yield Label("Comment (optional)", classes="decision-label")
                yield Input(
                    placeholder="comment for the record",
                    id="decision-text",
                    compact=True,
                    validate_on=(),  # nothing to validate; leaving it restyled it on close
                )
            else:
                yield Label("Reason (required; the customer may see it)", classes="decision-label")
                yield Input(
                    placeholder="why this refund is rejected",
                    id="decision-text",
                    compact=True,
                    validate_on=(),
                )
            if self.typed:
                yield Label(f"Production: type {self.typed} to confirm", classes="decision-label")
                yield Input(
                    placeholder="type it here", id="decision-typed", compact=True, validate_on=()
                )
            yield Label("", classes="decision-error", id="decision-error")
            with Horizontal(classes="decision-buttons"):
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button(
                    f"{self.confirm_label} (enter)",
                    id="confirm",
                    variant="error" if self.action == "reject" else "warning",
                    compact=True,
                )

    def on_mount(self) -> None:
        self.query_one("#decision-text", Input).focus()

    def drawn_regions(self) -> list[Region] | None:
        """What this dialog draws over the screen beneath (the box, toasts, a tooltip): the
        rest of the screen shows the screen beneath unchanged. None when it tints the screen
        beneath after all (a theme's or a user's stylesheet): then every cell changes."""
        if self.styles.background.a > 0:
            return None
        visible = self._compositor.visible_widgets.items()
        shown = [
            region.intersection(clip) for widget, (region, clip) in visible if widget is not self
        ]
        return [region for region in shown if region]

    def dismiss(self, result: DecisionInput | None = None) -> AwaitComplete:
        """Close; the screen beneath (the queue) is told what to repaint."""
        stack = self.app.screen_stack
        beneath = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        regions = self.drawn_regions() if beneath is not None else None
        closed = super().dismiss(result)
        closing = getattr(beneath, "dialog_closing", None)
        if regions and callable(closing):
            closing(regions, closed)
        return closed

    def problem(self) -> str | None:
        """Why the dialog cannot be confirmed yet (None: it can)."""
        text = self._value("#decision-text")
        if self.action == "reject" and not text:
            return "A rejection needs a reason."
        if self.typed:
            typed = self._value("#decision-typed")
            if normalise_answer(typed) != normalise_answer(self.typed):
                return f"Type {self.typed} exactly to confirm on production."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Text typed before this enter goes first (Input.Submitted confirms then).
        return not (action == "enter" and keys_pending(self.focused or self))

    def _value(self, selector: str) -> str:
        """An input's text ("" while the dialog is still being composed)."""
        try:
            return self.query_one(selector, Input).value.strip()
        except NoMatches:
            return ""

    def action_enter(self) -> None:
        """Enter: press the focused button; in the comment/reason box on production, go on to
        the typed confirmation; otherwise confirm."""
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()
            return
        if (
            isinstance(focused, Input)
            and focused.id == "decision-text"
            and self.typed
            and self.problem()
            and (self.action == "approve" or bool(focused.value.strip()))
        ):
            self.query_one("#decision-typed", Input).focus()
            return
        self.action_confirm()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.problem()
        if problem and self.typed and event.input.id == "decision-text":
            text_ok = self.action == "approve" or bool(event.value.strip())
            if text_ok:
                self.query_one("#decision-typed", Input).focus()
                return
        self.action_confirm()

    @on(Input.Changed)
    def _changed(self) -> None:
        self.query_one("#decision-error", Label).update("")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        problem = self.problem()
        if problem:
            with contextlib.suppress(NoMatches):
                self.query_one("#decision-error", Label).update(problem)
            return
        if self.confirmed:
            return  # a second enter while closing: one decision per dialog
        self.confirmed = True
        text = self._value("#decision-text")
        answer = DecisionInput(self.action, text or None)
        if self.on_confirm is not None:
            self.on_confirm(answer)
        self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Cancel; a typed comment or reason is never thrown away without asking."""
        typed = self.query_one("#decision-text", Input).value.strip()
        if not typed:
            self.dismiss(None)
            return
        from preo_tui.ui.widgets.confirm import ConfirmModal

        what = "comment" if self.action == "approve" else "reason"

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)
            else:
                self.query_one("#decision-text", Input).focus()

        self.app.push_screen(
            ConfirmModal(
                f"Discard the typed {what}?",
                f"“{typed[:60]}” will be lost and nothing is decided.",
                confirm_label="Discard",
                cancel_label="Keep editing",
            ),
            callback=answered,
        )


__all__ = ["Action", "DecisionInput", "DecisionModal"]
