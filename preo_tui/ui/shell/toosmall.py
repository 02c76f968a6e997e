"""Shown while the terminal is smaller than the app can draw (nothing else is drawn, nothing
crashes; resizing back restores the screen underneath)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static


class TooSmallScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen Static { width: 100%; height: auto; content-align: center middle; text-align: center; }
    """

    def compose(self) -> ComposeResult:
        yield Static(self._text(self.app.size.width, self.app.size.height), id="too-small")

    def _text(self, width: int, height: int) -> str:
        from preo_tui.ui.app import MIN_HEIGHT, MIN_WIDTH

        return (
            f"Terminal too small ({width}×{height}).\n"
            f"preo-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}: enlarge the window. q quits."
        )

    def on_screen_resume(self) -> None:
        """Uncovered again (a screen pushed over it was closed) after the terminal grew:
        leave."""
        from preo_tui.ui.app import MIN_HEIGHT, MIN_WIDTH

        size = self.app.size
        if size.width >= MIN_WIDTH and size.height >= MIN_HEIGHT:
            self.app.call_later(self._leave)

    def _leave(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def update_size(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(self._text(width, height))
