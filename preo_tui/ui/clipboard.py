"""Copy to the clipboard over SSH: OSC 52, wrapped for tmux and GNU screen, with a size cap;
when the terminal cannot take it the text is shown in a dialog to copy by hand."""

from __future__ import annotations

import base64
from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

#: Terminals (and tmux) drop larger OSC 52 payloads; above this we show the text instead.
MAX_OSC52_BYTES = 74_994


def osc52_sequence(text: str, *, env: Mapping[str, str]) -> str | None:
    """The escape sequence that puts ``text`` on the clipboard, or None when too large."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(payload) > MAX_OSC52_BYTES:
        return None
    sequence = f"\x1b]52;c;{payload}\x07"
    if env.get("TMUX"):
        # tmux passthrough: wrap in DCS and double every ESC inside.
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    if env.get("STY") or env.get("TERM", "").startswith("screen"):
        # GNU screen limits DCS strings; send the sequence in 76-byte chunks.
        chunks = [sequence[i : i + 76] for i in range(0, len(sequence), 76)]
        return "".join(f"\x1bP{chunk}\x1b\\" for chunk in chunks)
    return sequence


class ClipboardModal(ModalScreen[None]):
    """Shows text to copy by hand (select it with the terminal's own selection)."""

    DEFAULT_CSS = """
    ClipboardModal { align: center middle; }
    ClipboardModal > Vertical {
        width: 90%; height: auto; max-height: 90%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ClipboardModal TextArea { height: auto; max-height: 20; }
    """

    BINDINGS = [Binding("escape,enter", "close", "Close", id="clipboard.close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Copy this text (select it with your terminal; escape closes):")
            # Imported here: TextArea (and its syntax machinery) is only needed when the
            # fallback is shown, and this module is on the start-up path.
            from textual.widgets import TextArea

            yield TextArea(self.text, read_only=True, id="clipboard-text", soft_wrap=True)

    def action_close(self) -> None:
        self.dismiss(None)
