"""``:ops`` — every API operation of the client's registry with the screen and key that performs
it (the same map as ``preo-tui --operations``, see ``preo_tui.ui.operations``). ``enter`` jumps to
the screen of the operation under the cursor.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.ui.base import PreoScreen
from preo_tui.ui.operations import MapRow, operation_map
from preo_tui.ui.registry import register_screen


@register_screen(
    "ops",
    title="Operations",
    description="Every API operation and the screen and key performing it",
    aliases=("operations",),
    needs_edition=False,
)
class OperationsScreen(PreoScreen):
    SCREEN_TITLE = "Operations"
    AUTO_FOCUS = "#ops-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open screen", id="ops.open"),
    ]

    DEFAULT_CSS = """
    OperationsScreen #ops-summary { height: 1; padding: 0 1; color: $text-muted; }
    OperationsScreen #ops-table { height: 1fr; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.rows: list[MapRow] = operation_map()
        self.row_screens: list[str] = []

    def compose_body(self) -> ComposeResult:
        reachable = sum(1 for r in self.rows if r.uses)
        pending = sum(1 for r in self.rows if r.uses and not any(u.ready for u in r.uses))
        summary = f"{reachable} of {len(self.rows)} operations have a screen and key"
        if pending:
            summary += f" ({pending} on screens being built)"
        yield Static(summary + "   enter opens the screen", id="ops-summary", markup=False)
        yield DataTable(id="ops-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#ops-table", DataTable)
        table.add_columns("Operation", "Method", "Screen", "Key", "Summary")
        for row in self.rows:
            uses = row.uses or ()
            if not uses:
                table.add_row(row.key, row.method, Text("— none —", style="red"), "", row.summary)
                self.row_screens.append("")
                continue
            for use in uses:
                screen = Text(use.screen, style="" if use.ready else "dim")
                if not use.ready:
                    screen.append(" (being built)", style="dim")
                table.add_row(row.key, row.method, screen, use.key, row.summary)
                self.row_screens.append(use.screen if use.ready else "")

    @on(DataTable.RowSelected, "#ops-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#ops-table", DataTable)
        index = table.cursor_row
        if not 0 <= index < len(self.row_screens):
            return
        screen = self.row_screens[index]
        if not screen.startswith(":"):
            self.notify("That operation has no screen to open here.", severity="warning")
            return
        self.preo_app.jump(screen[1:].split(" ")[0])
