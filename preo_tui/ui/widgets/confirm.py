"""Confirmation dialogs for destructive and irreversible actions.

``ConfirmModal`` asks yes/no (``y``/``enter`` confirm, ``n``/``escape`` cancel). Use it for a
single destructive action. ``TypedConfirmModal`` asks the operator to type an exact text (the
count of items of a bulk action, or a campaign's name) and only then enables the confirm
button; use it for bulk actions and for anything on production. On production both dialogs show
the red PRODUCTION badge. Both dismiss with ``True`` when confirmed and ``False`` otherwise::

    ok = await self.app.push_screen_wait(TypedConfirmModal(
        "Approve 25 refund requests", "Total 6,250.00 EUR.", expected="25",
        prompt="Type the number of requests to confirm", production=ctx.is_production))
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from preo_tui.ui.widgets.badge import ProductionBanner


class ConfirmModal(ModalScreen[bool]):
    """Yes/no confirmation. Dismisses with ``True`` on confirm."""

    DEFAULT_CSS = """
    ConfirmModal, TypedConfirmModal {
        align: center middle;
    }
    ConfirmModal > Vertical, TypedConfirmModal > Vertical {
        width: 64;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $warning;
        background: $panel;
        padding: 0 1;
    }
    ConfirmModal.-danger > Vertical, TypedConfirmModal.-danger > Vertical {
        border: thick $error;
    }
    ConfirmModal .confirm-title, TypedConfirmModal .confirm-title {
        text-style: bold;
        width: 100%;
        margin-bottom: 1;
    }
    ConfirmModal .confirm-body, TypedConfirmModal .confirm-body {
        width: 100%;
        margin-bottom: 1;
    }
    ConfirmModal .confirm-buttons, TypedConfirmModal .confirm-buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmModal Button, TypedConfirmModal Button {
        margin-left: 1;
    }
    TypedConfirmModal .confirm-prompt {
        width: 100%;
        height: auto;
    }
    TypedConfirmModal .confirm-mismatch {
        color: $text-muted;
        width: 100%;
        height: 1;
    }
    """

    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n,escape", "cancel", "No", id="confirm.no"),
    ]

    def __init__(
        self,
        title: str,
        body: str = "",
        *,
        confirm_label: str = "Yes",
        cancel_label: str = "No",
        danger: bool = True,
        production: bool = False,
    ) -> None:
        super().__init__(classes="-danger" if danger else "")
        self.title_text = title
        self.body_text = body
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.production = production

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.production:
                yield ProductionBanner()
            yield Label(self.title_text, classes="confirm-title")
            if self.body_text:
                yield Static(self.body_text, classes="confirm-body", markup=False)
            with Horizontal(classes="confirm-buttons"):
                # \\[ : a literal bracket (the label is markup; "[n]" alone would vanish)
                yield Button(f"{self.cancel_label} \\[n]", id="cancel")
                yield Button(f"{self.confirm_label} \\[y]", id="confirm", variant="error")

    def on_mount(self) -> None:
        # Enter is the primary action of every dialog: the confirm button has the focus
        # (escape or n cancels).
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"))


def normalise_answer(text: str) -> str:
    """What a typed confirmation is compared on: case, runs of white space and the kind of
    dash (an en dash in a campaign's name cannot be typed) do not matter."""
    return " ".join(text.translate(_DASHES).casefold().split())


class TypedConfirmModal(ModalScreen[bool]):
    """Confirmation that requires typing ``expected`` (compared after
    :func:`normalise_answer`). The expected text is shown in full above the box; the box's
    placeholder never shows the answer."""

    DEFAULT_CSS = ConfirmModal.DEFAULT_CSS

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self,
        title: str,
        body: str = "",
        *,
        expected: str,
        prompt: str | None = None,
        confirm_label: str = "Confirm",
        production: bool = False,
    ) -> None:
        super().__init__(classes="-danger")
        self.title_text = title
        self.body_text = body
        self.expected = expected.strip()
        base = prompt or "Type this to confirm"
        # the answer is always shown in full (wrapped, never cut)
        self.prompt_text = base if self.expected in base else f"{base}:\n{self.expected}"
        self.confirm_label = confirm_label
        self.production = production

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.production:
                yield ProductionBanner()
            yield Label(self.title_text, classes="confirm-title")
            if self.body_text:
                yield Static(self.body_text, classes="confirm-body", markup=False)
            yield Label(self.prompt_text, classes="confirm-prompt", markup=False)
            yield Input(placeholder="type it here", id="typed")
            yield Label("", classes="confirm-mismatch", id="mismatch")
            with Horizontal(classes="confirm-buttons"):
                yield Button("Cancel \\[esc]", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    @property
    def matches(self) -> bool:
        typed = self.query_one("#typed", Input).value
        return normalise_answer(typed) == normalise_answer(self.expected)

    @on(Input.Changed, "#typed")
    def _typed_changed(self) -> None:
        ok = self.matches
        self.query_one("#confirm", Button).disabled = not ok
        value = self.query_one("#typed", Input).value
        self.query_one("#mismatch", Label).update("" if ok or not value else "does not match yet")

    @on(Input.Submitted, "#typed")
    def _typed_submitted(self) -> None:
        if self.matches:
            self.dismiss(True)
        else:
            self.query_one("#mismatch", Label).update(f"type exactly: {self.expected}")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self.matches:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
