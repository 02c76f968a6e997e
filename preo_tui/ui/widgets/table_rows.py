"""Adding many rows to a ``DataTable`` at once: ``BulkRowsMixin`` for ``PagedTable``.

``DataTable.add_row`` does per row what a page of rows needs once: it rebuilds the ordered
column list twice, re-validates the cursor (a reactive with its watchers), bumps the update
count (every render cache key) and checks idle. A page of 100 orders arriving while the
operator scrolls cost that a hundred times on the event loop, and a window rebuilt after
trimming (1,000 rows) a thousand times. :meth:`BulkRowsMixin.add_rows_bulk` fills the same
structures (``_row_locations``, ``_data``, ``rows``, ``_new_rows``) in one loop and does the
once-per-change work once; rows whose cells were already built (a window rebuilt around the
rows it keeps) pass their cell dicts as they are. Every row is one line, so a page up or down
moves the cursor by the page's height without walking the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual.widgets.data_table import ColumnKey, DuplicateKey, Row, RowKey

if TYPE_CHECKING:
    from textual.widgets import DataTable

    _Base = DataTable[Any]
else:
    _Base = object


class BulkRowsMixin(_Base):
    """``add_rows_bulk``: ``add_row`` for many one-line rows (see the module docstring)."""

    def add_rows_bulk(
        self,
        keys: Sequence[str],
        cells: Sequence[Sequence[Any] | Mapping[ColumnKey, Any]],
        *,
        keep_drawn: bool = False,
    ) -> None:
        """Append one-line rows keyed ``keys``; each entry of ``cells`` is the row's values in
        column order, or a ready ``{column key: value}`` dict (used as it is).

        ``keep_drawn``: the rows already held are drawn exactly as before (rows added at the
        end change no other row's index, stripe or cells), so the drawn rows and lines stay
        cached: only the row offsets are worked out again. Otherwise (``add_row``'s way) the
        update count changes and every cached row is drawn again."""
        if not keys:
            return
        columns = [column.key for column in self.ordered_columns]
        locations = self._row_locations
        data = self._data
        rows = self.rows
        new_rows = self._new_rows
        index = len(rows)
        was_empty = index == 0
        for key, values in zip(keys, cells, strict=True):
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            if isinstance(values, dict):
                data[row_key] = values
            else:
                if len(values) > len(columns):
                    raise ValueError("More values provided than there are columns.")
                row = dict.fromkeys(columns)
                row.update(zip(columns, values, strict=False))
                data[row_key] = row
            locations[row_key] = index
            rows[row_key] = Row(row_key, 1, None, False)
            new_rows.add(row_key)
            index += 1
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate  # clamped, as add_row does
        if was_empty and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        if keep_drawn:
            self._offset_cache.discard(self._update_count)  # the y -> row map grew
        else:
            self._update_count += 1
        self.check_idle()

    # -- a page up / down: every row is one line ----------------------------------------------

    def _page_rows(self) -> int | None:
        """Rows in a page when the cursor pages (None: ``DataTable``'s own way). Its
        ``action_page_down`` walks the ordered rows (the whole window, 2,000 rows, rebuilt
        after every page that arrives) to count lines; rows added here are one line each."""
        if not (self.show_cursor and self.cursor_type in ("cell", "row")) or not self.row_count:
            return None
        return self.scrollable_content_region.height - (
            self.header_height if self.show_header else 0
        )

    def action_page_down(self) -> None:
        height = self._page_rows()
        if height is None:
            super().action_page_down()
            return
        self._set_hover_cursor(False)
        row_index, _ = self.cursor_coordinate
        rows_to_scroll = min(height + 1, max(self.row_count - row_index, 0))
        self.scroll_relative(y=height, animate=False, force=True)
        self.move_cursor(row=row_index + rows_to_scroll - 1, scroll=False)

    def action_page_up(self) -> None:
        height = self._page_rows()
        if height is None:
            super().action_page_up()
            return
        self._set_hover_cursor(False)
        row_index, _ = self.cursor_coordinate
        rows_to_scroll = min(height + 1, row_index + 1)
        self.scroll_relative(y=-height, animate=False)
        self.move_cursor(row=row_index - rows_to_scroll + 1, scroll=False)


__all__ = ["BulkRowsMixin"]
