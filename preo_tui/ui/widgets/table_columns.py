"""Columns of a ``PagedTable``: fixed widths (``DataTable`` never measures cells), the room
shared among the columns that need it (:func:`.columns.column_widths` on a sample of rows
around the cursor), header labels with the sort arrows, and sorting (``o``, header clicks go
through ``PagedTable``'s ``@on`` handler). A mixin: ``PagedTable`` holds the state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from preo_tui.ui.widgets.columns import (
    SCROLLBAR_ROOM,
    ColumnSpec,
    FitCell,
    cell_width,
    column_widths,
)

if TYPE_CHECKING:
    from textual.widgets import DataTable

    _Base = DataTable[Any]
else:
    _Base = object


def fit_columns(
    table: DataTable[Any],
    specs: Sequence[ColumnSpec],
    natural: dict[str, int],
    *,
    reserved: int = 0,
) -> None:
    """Give each of ``table``'s columns its :func:`column_widths` width for the table's current
    width (less ``reserved`` cells, e.g. a marks column); re-measure and redraw it if any
    width changed. For the plain DataTables of the journal and the operation map, and
    :class:`PagedTable`."""
    if not table.columns or table.size.width <= 0:
        return
    pad = table.cell_padding
    room = table.size.width - reserved - 2 * pad * len(specs) - SCROLLBAR_ROOM
    widths = column_widths(specs, natural, room)
    changed = False
    for spec in specs:
        column = table.columns.get(spec.key)  # type: ignore[call-overload]  # ColumnKey compares equal to its str
        if column is not None and column.width != widths[spec.key]:
            column.width = widths[spec.key]
            changed = True
    if changed:
        table._require_update_dimensions = True
        table._clear_caches()
        table.refresh()


class ColumnsMixin(_Base):
    """Column widths, headers and sorting for ``PagedTable``."""

    columns_spec: list[ColumnSpec]
    ordering: str | None
    markable: bool
    row_cells: Callable[[Any], Sequence[Any]]
    _items: list[Any]
    _ids: list[str]
    _dimensions_update_count: int

    if TYPE_CHECKING:

        def set_ordering(self, ordering: str | None) -> None: ...

    # -- DataTable measuring: skipped, every column has a fixed width --------------------------

    def _all_fixed_width(self) -> bool:
        return all(not column.auto_width for column in self.columns.values())

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        """With fixed column widths and one-line rows there is nothing to measure: only the
        virtual size changes (Textual would measure every cell of every new row)."""
        if not self._all_fixed_width():
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        new = Size(width + self._row_label_column_width, self._total_row_height + header)
        old = self.virtual_size
        width_rule, height_rule = self.styles.width, self.styles.height
        drawn_as_of = self.__dict__.get("_dimensions_update_count")
        self._dimensions_update_count = self._update_count
        if (
            (new.width != old.width and (width_rule is None or width_rule.is_auto))
            or (new.height != old.height and (height_rule is None or height_rule.is_auto))
            or not self.size
        ):
            self.virtual_size = new  # a layout pass (it may change the table's own size)
            return
        # Rows came (or went), or the columns were fitted again, in a table whose size is
        # set by its container (``1fr``): the screen's layout does not change, so no layout
        # pass (a whole-screen repaint, 8-25 ms, on every page loaded while scrolling and
        # after every search). Only the scroll range and the scrollbars follow; the table
        # repaints itself (a scrollbar that appears or disappears asks for its own layout).
        self.set_reactive(Widget.virtual_size, new)
        self._scroll_update(new)
        bottom = self.scroll_offset.y + self.size.height
        if (
            drawn_as_of != self._update_count
            or min(old.height, new.height) < bottom
            or new.width != old.width
        ):
            self.refresh()  # rows on screen changed (else only rows below it came or went)

    def _update_column_widths(self, updated_cells: set[Any]) -> None:
        if not self._all_fixed_width():
            super()._update_column_widths(updated_cells)
            return
        self._require_update_dimensions = True

    # -- column widths: the room goes to the columns that need it -----------------------------

    def _natural_widths(self) -> dict[str, int]:
        """The longest value of each growing column among the rows around the cursor (a
        sample: a window may hold 2,000 rows)."""
        growing = [i for i, spec in enumerate(self.columns_spec) if spec.priority > 0]
        if not growing:
            return {}
        centre = max(self.cursor_row, 0)
        start, end = max(0, centre - 50), min(len(self._items), centre + 100)
        natural = {
            self.columns_spec[i].key: cell_len(self.columns_spec[i].label) + 2 for i in growing
        }
        data = self._data
        for index in range(start, end):
            # the cells the table holds (built once per row), else built from the item
            row = data.get(self._ids[index]) if index < len(self._ids) else None  # type: ignore[call-overload]  # RowKey compares equal to its str
            if row is not None:
                for i in growing:
                    key = self.columns_spec[i].key
                    value = row.get(key)
                    if value is not None:
                        natural[key] = max(natural[key], cell_width(value))
                continue
            cells = self.row_cells(self._items[index])
            for i in growing:
                if i < len(cells):
                    key = self.columns_spec[i].key
                    natural[key] = max(natural[key], cell_width(cells[i]))
        return natural

    def _fit_columns(self) -> None:
        if not self.columns or self.size.width <= 0:
            return
        mark = 1 + 2 * self.cell_padding if self.markable else 0
        fit_columns(self, self.columns_spec, self._natural_widths(), reserved=mark)

    # -- headers and cells --------------------------------------------------------------------

    def _header_label(self, spec: ColumnSpec) -> Text:
        label = spec.label
        if spec.ordering and self.ordering:
            if self.ordering == spec.ordering:
                label += " ▼" if spec.reverse else " ▲"
            elif self.ordering == f"-{spec.ordering}":
                label += " ▲" if spec.reverse else " ▼"
        return Text(label)

    def _relabel_headers(self) -> None:
        for spec in self.columns_spec:
            column = self.columns.get(spec.key)  # type: ignore[call-overload]  # DataTable.columns is keyed by ColumnKey, which compares equal to its str
            if column is not None:
                column.label = self._header_label(spec)
        self.refresh()

    @staticmethod
    def _justify(spec: ColumnSpec, value: Any) -> Any:
        # Every str cell becomes plain Text: DataTable would parse a str as Rich markup, and a
        # customer named "[/]" (a crash) or "[@click=app.quit]" (an action) must stay text.
        if isinstance(value, str):
            value = Text(value, justify="right") if spec.justify == "right" else Text(value)
        if (spec.keep_end or spec.priority > 0) and isinstance(value, Text):
            return FitCell(value, keep_end=spec.keep_end)
        return value

    # -- sorting ------------------------------------------------------------------------------

    def sortable_columns(self) -> list[ColumnSpec]:
        return [spec for spec in self.columns_spec if spec.ordering]

    def sort_by(self, column_key: str) -> bool:
        """Sort by a column: ascending first, then descending. False when not sortable."""
        spec = next((s for s in self.columns_spec if s.key == column_key), None)
        if spec is None or spec.ordering is None:
            return False
        first = f"-{spec.ordering}" if spec.reverse else spec.ordering
        second = spec.ordering if spec.reverse else f"-{spec.ordering}"
        self.set_ordering(second if self.ordering == first else first)
        return True

    def action_sort_column(self) -> None:
        """Offer the sortable columns (ascending and descending) in a picker."""
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        specs = self.sortable_columns()
        if not specs:
            self.app.notify("This list cannot be sorted", severity="warning", timeout=3)
            return
        choices = []
        for spec in specs:
            assert spec.ordering is not None
            up, down = (
                (f"-{spec.ordering}", spec.ordering)
                if spec.reverse
                else (
                    spec.ordering,
                    f"-{spec.ordering}",
                )
            )
            choices.append(Choice(up, f"{spec.label} ▲ ascending"))
            choices.append(Choice(down, f"{spec.label} ▼ descending"))

        def chosen(value: str | None) -> None:
            if value is not None:
                self.set_ordering(value)

        self.app.push_screen(
            ChoiceModal("Sort by", choices, current=self.ordering), callback=chosen
        )


__all__ = ["ColumnsMixin"]
