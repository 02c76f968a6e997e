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
from preo_tui.ui.widgets.paged_table import ColumnSpec, FitCell
from preo_tui.ui.widgets.table_columns import fit_columns


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
        self._natural: dict[str, int] = {}

    def compose_body(self) -> ComposeResult:
        reachable = sum(1 for r in self.rows if r.uses)
        pending = sum(1 for r in self.rows if r.uses and not any(u.ready for u in r.uses))
        summary = f"{reachable} of {len(self.rows)} operations have a screen and key"
        if pending:
            summary += f" ({pending} on screens being built)"
        yield Static(summary + "   enter opens the screen", id="ops-summary", markup=False)
        yield DataTable(id="ops-table", cursor_type="row", zebra_stripes=True)

    #: At 80 columns the operation, its screen and key fit (no sideways scrolling); the
    #: summary takes what is left and is cut with "…".
    COLUMNS = (
        ColumnSpec("operation", "Operation", 30, min_width=24, priority=3),
        ColumnSpec("method", "Method", 6),
        ColumnSpec("screen", "Screen", 14, min_width=10, priority=2),
        ColumnSpec("key", "Key", 11, min_width=9, priority=2),
        ColumnSpec("summary", "Summary", 30, min_width=1, priority=1),
    )

    def on_mount(self) -> None:
        table = self.query_one("#ops-table", DataTable)
        for spec in self.COLUMNS:
            table.add_column(spec.label, key=spec.key, width=spec.width)
        self._natural = {"operation": 0, "screen": 0, "key": 0, "summary": 0}
        for row in self.rows:
            uses = row.uses or ()
            self._natural["operation"] = max(self._natural["operation"], len(row.key))
            self._natural["summary"] = max(self._natural["summary"], len(row.summary))
            if not uses:
                table.add_row(
                    FitCell(row.key),
                    row.method,
                    Text("— none —", style="red"),
                    "",
                    FitCell(row.summary),
                )
                self.row_screens.append("")
                continue
            for use in uses:
                screen = Text(use.screen, style="" if use.ready else "dim")
                if not use.ready:
                    screen.append(" (being built)", style="dim")
                self._natural["screen"] = max(self._natural["screen"], screen.cell_len)
                self._natural["key"] = max(self._natural["key"], len(use.key))
                table.add_row(
                    FitCell(row.key), row.method, FitCell(screen), FitCell(use.key),
                    FitCell(row.summary),
                )  # fmt: skip
                self.row_screens.append(use.screen if use.ready else "")
        self.call_after_refresh(self._fit_columns)

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        # A resize can arrive before the table is composed or while the screen is removed.
        for table in self.query("#ops-table").results(DataTable):
            fit_columns(table, self.COLUMNS, self._natural)

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
