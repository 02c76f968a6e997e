"""Shown while the terminal is smaller than the app can draw (nothing else is drawn, nothing
crashes; resizing back restores the screen underneath)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center
from textual.screen import ModalScreen
from textual.widgets import Static

from preo_tui.ui.context import EnvironmentKind
from preo_tui.ui.widgets.badge import EnvironmentBadge


class TooSmallScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen #too-small { width: 100%; height: auto; content-align: center middle; text-align: center; }
    TooSmallScreen Center { height: 1; }
    """

    def compose(self) -> ComposeResult:
        # The environment stays marked (PRODUCTION in red) while the header cannot be drawn.
        ctx = getattr(self.app, "ctx", None)
        kind = getattr(ctx, "environment", None)
        with Center():
            yield EnvironmentBadge(
                kind if isinstance(kind, EnvironmentKind) else EnvironmentKind.CUSTOM,
                id="too-small-badge",
            )
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
