"""Closing the decision dialog repaints only what changed, and the terminal still shows the
queue exactly (issue 13: approve → the cursor on the next request within one frame).

The queue is not dimmed behind the decision dialog, so when it closes the queue repaints the
dialog's box and the rows that changed instead of every line of the screen. A repaint that is
too narrow leaves stale cells in the terminal (a dimmed queue, the dialog's border), which no
snapshot sees: snapshots render the whole screen afresh. So these tests replay every update the
app hands to the terminal onto a grid of cells, as a terminal would, and compare that grid with
the screen rendered in full.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from rich.segment import ControlType, Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate

from preo_tui.ui.refunds.decide import DecisionModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_refunds, quick_refund_polls

Cell = tuple[str, str]


def look(char: str, style: Style | None) -> str:
    """How a cell looks: its style without meta; a blank's foreground colour shows nothing."""
    if style is None:
        return ""
    if char == " " and not (style.reverse or style.underline or style.strike or style.overline):
        return f"on {style.bgcolor.name if style.bgcolor else None}"
    return str(style.clear_meta_and_links())


class Terminal:
    """The cells a terminal shows after the app's updates (text and style, meta left out)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: list[list[Cell]] = [[(" ", "")] * width for _ in range(height)]
        #: Per update: how many lines it wrote (a whole-screen repaint writes every line).
        self.lines_written: list[int] = []

    def apply(self, segments: Any) -> None:
        x = y = 0
        touched: set[int] = set()
        for segment in segments:
            text, style, control = segment
            if control:
                for code in control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            if text == "\n":
                x, y = 0, y + 1
                continue
            for char in text:
                shown = look(char, style)
                width = cell_len(char)
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.cells[y][x] = (char, shown)
                    touched.add(y)
                    for extra in range(1, width):
                        if x + extra < self.width:
                            self.cells[y][x + extra] = ("", shown)
                x += width
        self.lines_written.append(len(touched))

    def update(self, renderable: Any, console: Any) -> None:
        if isinstance(renderable, (LayoutUpdate, ChopsUpdate)):
            self.apply(renderable.__rich_console__(console, console.options))

    def rows(self) -> list[list[Cell]]:
        return [list(row) for row in self.cells]


def full_render(app: Any) -> list[list[Cell]]:
    """The current screen drawn from scratch (what a full repaint would write)."""
    terminal = Terminal(*app.size)
    strips = app.screen._compositor.render_strips()
    segments: list[Any] = []
    for y, strip in enumerate(strips):
        segments.append(Segment("", None, [(ControlType.CURSOR_MOVE_TO, 0, y)]))
        segments.extend(strip)
    terminal.apply(segments)
    return terminal.rows()


def attach(app: Any) -> Terminal:
    """A terminal showing the screen as it is now, then fed with every update displayed."""
    terminal = Terminal(*app.size)
    terminal.cells = full_render(app)
    display = app._display

    def shown(screen: Any, renderable: Any) -> None:
        if renderable is not None and not app._batch_count:
            terminal.update(renderable, app.console)
        display(screen, renderable)

    app._display = shown
    return terminal


@pytest.fixture
def refunds_backend(frozen_clock: Any) -> SandboxBackend:
    return SandboxBackend(requested_refunds=12, refund_failure_rate=0.0)


@pytest.fixture
def refunds_app(refunds_backend: SandboxBackend, isolated_dirs: Dirs) -> AppFactory:
    return AppFactory(refunds_backend, isolated_dirs)


@pytest.fixture(autouse=True)
def fast_live(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_refund_polls(monkeypatch)


async def settled_and_exact(pilot: Any, terminal: Terminal) -> None:
    """Wait until nothing is left to draw and the terminal shows the screen exactly (a stale
    cell never goes away by itself: this times out)."""
    await wait_for_workers(pilot)
    await wait_until(
        pilot,
        lambda: terminal.rows() == full_render(pilot.app),
        within=15,
        what="the terminal to match",
    )


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_confirming_repaints_part_of_the_screen_and_leaves_it_exact(
    refunds_app: AppFactory, size: tuple[int, int]
) -> None:
    app = refunds_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_refunds(pilot)
        terminal = attach(app)
        first, second = screen.table.items[0], screen.table.items[1]
        await pilot.press("a")
        modal = await wait_for_screen(pilot, DecisionModal)
        assert modal.styles.background.a == 0  # the queue is not dimmed behind the dialog
        await settled_and_exact(pilot, terminal)
        before = len(terminal.lines_written)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, what="the dialog closed")
        await wait_until(pilot, lambda: screen.outcomes[first.id].kind == "ok", what="approved")
        assert screen.table.current_item.id == second.id
        await settled_and_exact(pilot, terminal)
        # The frame that closed the dialog wrote its box and the changed rows, not the screen.
        written = terminal.lines_written[before:]
        assert written and written[0] < size[1] * 3 // 4, written


async def test_cancelling_leaves_the_screen_exact(refunds_app: AppFactory) -> None:
    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        terminal = attach(app)
        await pilot.press("x")
        await wait_for_screen(pilot, DecisionModal)
        await settled_and_exact(pilot, terminal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="the dialog closed")
        await settled_and_exact(pilot, terminal)


async def test_a_tinted_dialog_repaints_the_whole_screen(refunds_app: AppFactory) -> None:
    """Should a stylesheet tint the dialog after all, closing it repaints everything (every
    cell changed): the terminal stays exact."""
    app = refunds_app()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_refunds(pilot)
        terminal = attach(app)
        await pilot.press("a")
        modal = await wait_for_screen(pilot, DecisionModal)
        modal.styles.background = "black 50%"
        await settled_and_exact(pilot, terminal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, what="the dialog closed")
        await settled_and_exact(pilot, terminal)


async def test_the_footer_behind_the_decision_dialog_is_not_rebuilt(
    refunds_app: AppFactory,
) -> None:
    """Opening and closing the decision dialog leaves the queue's footer as it is (rebuilding
    its keys twice per decision delayed sending the decision)."""
    from textual.widgets._footer import FooterKey

    from preo_tui.ui.widgets.footer import StableFooter

    app = refunds_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        footer = screen.query_one(StableFooter)
        await wait_until(pilot, lambda: footer.query(FooterKey), what="the footer")
        before = list(footer.query(FooterKey))
        first = screen.table.items[0]
        await pilot.press("a")
        await wait_for_screen(pilot, DecisionModal)
        await wait_for_workers(pilot)
        assert list(footer.query(FooterKey)) == before  # the same widgets behind the dialog
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcomes[first.id].kind == "ok", what="approved")
        await wait_for_workers(pilot)
        assert list(footer.query(FooterKey)) == before
        assert "Approve" in {key.description for key in before}
