"""The one-time display of a rotated webhook secret.

The secret is held by this modal only while it is open: not in the journal (the write's
summary names the endpoint only), not in the store or its cache, not in a log. ``y`` copies it
(OSC 52); ``enter`` or ``escape`` closes, after which it cannot be shown again.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class SecretModal(ModalScreen[None]):
    DEFAULT_CSS = """
    SecretModal { align: center middle; }
    SecretModal > Vertical {
        width: 84; max-width: 98%; height: auto; border: thick $warning;
        background: $panel; padding: 0 1;
    }
    SecretModal .secret-title { text-style: bold; width: 100%; }
    SecretModal #secret-value { background: $boost; padding: 0 1; margin: 1 0; width: 100%; }
    SecretModal .secret-warning { color: $warning; width: 100%; }
    SecretModal .secret-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    SecretModal Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy secret", id="webhooks.secret.copy"),
        Binding("enter", "close", "Done", id="webhooks.secret.done"),
        Binding("escape", "close", "Done", id="webhooks.secret.close", show=False),
    ]

    def __init__(self, endpoint_name: str, secret: str) -> None:
        super().__init__()
        self.endpoint_name = endpoint_name
        self._secret: str | None = secret
        self.copied = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                f"New signing secret for {self.endpoint_name}", classes="secret-title", markup=False
            )
            yield Static(self._secret or "", id="secret-value", markup=False)
            yield Static(
                "This secret will not be shown again: copy it now (y) and store it in the "
                "receiver's configuration. The old secret has stopped working.",
                classes="secret-warning",
                markup=False,
            )
            with Horizontal(classes="secret-buttons"):
                yield Button("Copy \\[y]", id="secret-copy", compact=True)
                yield Button("Done \\[enter]", id="secret-done", variant="primary", compact=True)

    def on_mount(self) -> None:
        # enter is the primary action (Done); y copies
        self.query_one("#secret-done", Button).focus()

    def action_copy(self) -> None:
        if self._secret:
            copy = getattr(self.app, "copy_text", None)
            if copy is not None:
                copy(self._secret, what="secret")
                self.copied = True

    def action_close(self) -> None:
        # the app remembers the last copied text (for "show it" fallbacks): not this one
        if self._secret is not None and getattr(self.app, "last_copied", None) == self._secret:
            self.app.last_copied = None  # type: ignore[attr-defined]  # PreoApp's, checked above
        self._secret = None
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "secret-copy":
            self.action_copy()
        else:
            self.action_close()
