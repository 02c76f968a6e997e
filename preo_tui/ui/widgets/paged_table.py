"""A server-paged table: one window of rows of a list that may hold 100,000.

``PagedTable`` is a Textual ``DataTable`` that never holds the whole list. It asks a *loader*
for pages (``page``/``page_size``/``ordering``/``search``, the contract's paging) and keeps a
window of at most ``max_rows`` rows; as the cursor nears the end of the window it loads the next
page (and near the top, the previous one), dropping pages at the other end when the window is
full. ``g``/``G`` jump to the first/last page of the whole list. Rows are keyed by id, so a
refresh updates cells in place and the cursor stays on the same item. Marks are a set of ids
that survive refreshes, re-sorting and paging. Sorting maps a column onto the contract's
``ordering`` value (``o`` on the cursor column, or a header click).

Usage from a screen::

    table = PagedTable[Order](
        columns=[ColumnSpec("number", "Order", 10, ordering="order_number"), ...],
        loader=self.load_orders,            # async (PageRequest) -> Page[Order]
        row_cells=lambda o: (o.order_number, ...),
        ordering="-created",
    )

The table posts ``PagedTable.CursorMoved`` (the item under the cursor), ``WindowChanged``
("1–100 of 100,000") and ``MarksChanged``. Load failures raise inside a worker and reach the
app's single failure handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Generic

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from preo_tui.ui.widgets.columns import (
    SCROLLBAR_ROOM,
    ColumnSpec,
    FitCell,
    cell_width,
    column_widths,
    fit_text,
)
from preo_tui.ui.widgets.paging import (
    MARK_COLUMN,
    MARK_ON,
    Loader,
    PageLike,
    PageRequest,
    SimplePage,
    T,
    _answered_page,
    _job,
    default_row_id,
    first_load_failed,
)
from preo_tui.ui.widgets.table_render import FastRowsMixin


class PagedTable(FastRowsMixin, DataTable[Any], Generic[T]):
    """A ``DataTable`` holding one window of a server-paged list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("space", "toggle_mark", "Mark", id="list.mark"),
        Binding("shift+down", "extend_mark(1)", "Mark down", show=False, id="list.mark_down"),
        Binding("shift+up", "extend_mark(-1)", "Mark up", show=False, id="list.mark_up"),
        Binding("o", "sort_column", "Sort", id="list.sort"),
    ]

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
    }
    """

    class CursorMoved(Message):
        """The item under the cursor changed (``item`` is None when the table is empty)."""

        def __init__(self, table: PagedTable[Any], item: Any) -> None:
            super().__init__()
            self.table = table
            self.item = item

        @property
        def control(self) -> PagedTable[Any]:
            return self.table

    class WindowChanged(Message):
        """The loaded window or the total changed."""

        def __init__(self, table: PagedTable[Any], label: str) -> None:
            super().__init__()
            self.table = table
            self.label = label

        @property
        def control(self) -> PagedTable[Any]:
            return self.table

    class MarksChanged(Message):
        """The set of marked ids changed."""

        def __init__(self, table: PagedTable[Any], marks: frozenset[str]) -> None:
            super().__init__()
            self.table = table
            self.marks = marks

        @property
        def control(self) -> PagedTable[Any]:
            return self.table

    def __init__(
        self,
        *,
        columns: Sequence[ColumnSpec],
        loader: Loader[T],
        row_cells: Callable[[T], Sequence[Any]],
        row_id: Callable[[T], str] = default_row_id,
        ordering: str | None = None,
        page_size: int = 100,
        max_rows: int = 2000,
        prefetch: int = 20,
        markable: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        # A window shows ~50 rows: DataTable's default render caches (10,000 cells, 1,000 rows)
        # would hold most of the live heap after scrolling (slow garbage collections).
        self._cell_render_cache = LRUCache(1500)
        self._row_render_cache = LRUCache(200)
        self._row_renderable_cache = LRUCache(200)
        self._line_cache = LRUCache(200)
        self.columns_spec = list(columns)
        self.loader = loader
        self.row_cells = row_cells
        self.row_id = row_id
        self.ordering = ordering
        self.search: str | None = None
        self.page_size = page_size
        self.max_rows = max(max_rows, page_size * 3)
        self.prefetch = prefetch
        self.markable = markable
        self.total: int | None = None
        self.first_page = 1
        self.last_page = 0
        self._items: list[T] = []
        self._ids: list[str] = []
        self.marks: set[str] = set()
        self._generation = 0
        self._lock = asyncio.Lock()
        self._edges_in_flight: set[str] = set()
        self._last_cursor_id: str | None = None
        self.load_error: BaseException | None = None
        """Why the first page could not be loaded (None once a page arrived)."""

    def on_worker_state_changed(self, event: Any) -> None:
        """Load failures go to the app's single failure handler (worker messages don't bubble)."""
        from textual.worker import WorkerState

        if event.state is WorkerState.ERROR and event.worker.error is not None:
            if self.total is None:
                # A first visit that failed: say so instead of "loading…" for ever.
                self.load_error = event.worker.error
                self._post_window()
            report = getattr(self.app, "report_error", None)
            if report is not None:
                report(event.worker.error, node=self)

    # -- public API ---------------------------------------------------------------------------

    @property
    def items(self) -> list[T]:
        """The items currently held (the window, not the whole list)."""
        return list(self._items)

    @property
    def current_item(self) -> T | None:
        row = self.cursor_row
        if 0 <= row < len(self._items):
            return self._items[row]
        return None

    @property
    def window_label(self) -> str:
        if self.total is None:
            if self.load_error is not None:
                return first_load_failed(self.load_error)
            return "loading…"
        if not self._items:
            return f"0 of {self.total:,}"
        first = (self.first_page - 1) * self.page_size + 1
        last = first + len(self._items) - 1
        return f"{first:,}–{last:,} of {self.total:,}"

    @property
    def total_pages(self) -> int:
        if not self.total:
            return 1
        return max(1, -(-self.total // self.page_size))

    def marked_items(self) -> list[T]:
        """Marked items that are in the window (marks outside it are ids only)."""
        return [item for item, key in zip(self._items, self._ids, strict=True) if key in self.marks]

    def reload(self, *, keep_cursor: bool = False) -> None:
        """Start over from the first page (after a filter or sort change)."""
        self._generation += 1
        keep = self._last_cursor_id if keep_cursor else None
        self.run_worker(
            _job(self._load_first, self._generation, keep),
            group="paged-table",
            exclusive=True,
            exit_on_error=False,
        )

    def refresh_window(self) -> None:
        """Re-read the pages in the window; update rows in place, keep the cursor on its id."""
        if not self._items and self.total is None:
            self.reload()
            return
        self.run_worker(
            _job(self._refresh_window, self._generation),
            group="paged-table-refresh",
            exclusive=True,
            exit_on_error=False,
        )

    async def refresh_now(self) -> None:
        """``refresh_window`` awaited (for pollers that re-arm only when it finished)."""
        if not self._items and self.total is None:
            await self.reload_and_wait()
        else:
            await self._refresh_window(self._generation)

    async def reload_and_wait(self) -> None:
        """``reload`` for callers that want to await the first page (tests, benchmarks)."""
        self._generation += 1
        await self._load_first(self._generation, None)

    def set_search(self, text: str | None) -> None:
        text = (text or "").strip() or None
        if text != self.search:
            self.search = text
            self.reload()

    def set_ordering(self, ordering: str | None) -> None:
        """Re-sort: the list starts over at its first row, scrolled to the top (staying on
        the previously selected row, wherever it landed, looked like a broken sort)."""
        if ordering != self.ordering:
            self.ordering = ordering
            self._relabel_headers()
            self.reload()

    def set_marks(self, ids: Iterable[str]) -> None:
        self.marks = set(ids)
        self._redraw_marks()

    def add_marks(self, ids: Iterable[str]) -> None:
        self.marks.update(ids)
        self._redraw_marks()

    def clear_marks(self) -> None:
        self.marks.clear()
        self._redraw_marks()

    def update_item(self, item: T) -> None:
        """Replace one item (after a write) by id; cells change in place."""
        key = self.row_id(item)
        try:
            index = self._ids.index(key)
        except ValueError:
            return
        self._items[index] = item
        self._write_row_cells(key, item)
        if index == self.cursor_row:
            self.post_message(self.CursorMoved(self, item))

    def move_to_id(self, key: str) -> bool:
        try:
            index = self._ids.index(key)
        except ValueError:
            return False
        self.move_cursor(row=index)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Marks exist only on markable lists (the footer hides them elsewhere)."""
        return self.markable or action not in ("toggle_mark", "extend_mark")

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
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def _update_column_widths(self, updated_cells: set[Any]) -> None:
        if not self._all_fixed_width():
            super()._update_column_widths(updated_cells)
            return
        self._require_update_dimensions = True

    # -- column widths: the room goes to the columns that need it -----------------------------

    def on_resize(self) -> None:
        self._fit_columns()

    def _natural_widths(self) -> dict[str, int]:
        """The longest value of each growing column among the rows around the cursor (a
        sample: a window may hold 2,000 rows)."""
        growing = [i for i, spec in enumerate(self.columns_spec) if spec.priority > 0]
        if not growing:
            return {}
        centre = max(self.cursor_row, 0)
        sample = self._items[max(0, centre - 50) : centre + 100]
        natural = {
            self.columns_spec[i].key: cell_len(self.columns_spec[i].label) + 2 for i in growing
        }
        for item in sample:
            cells = self.row_cells(item)
            for i in growing:
                if i < len(cells):
                    key = self.columns_spec[i].key
                    natural[key] = max(natural[key], cell_width(cells[i]))
        return natural

    def _fit_columns(self) -> None:
        if not self.columns or self.size.width <= 0:
            return
        pad = self.cell_padding
        mark = 1 + 2 * pad if self.markable else 0
        room = self.size.width - mark - 2 * pad * len(self.columns_spec) - SCROLLBAR_ROOM
        widths = column_widths(self.columns_spec, self._natural_widths(), room)
        changed = False
        for spec in self.columns_spec:
            column = self.columns.get(spec.key)  # type: ignore[call-overload]  # ColumnKey compares equal to its str
            if column is not None and column.width != widths[spec.key]:
                column.width = widths[spec.key]
                changed = True
        if changed:
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()

    # -- DataTable setup ----------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.markable:
            self.add_column(" ", key=MARK_COLUMN, width=1)
        for spec in self.columns_spec:
            self.add_column(self._header_label(spec), key=spec.key, width=spec.width)
        self._fit_columns()
        self.reload()

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

    def _cells_for(self, key: str, item: T) -> list[Any]:
        cells = [
            self._justify(spec, value)
            for spec, value in zip(self.columns_spec, self.row_cells(item), strict=False)
        ]
        if self.markable:
            cells.insert(0, MARK_ON if key in self.marks else " ")
        return cells

    @staticmethod
    def _justify(spec: ColumnSpec, value: Any) -> Any:
        # Every str cell becomes plain Text: DataTable would parse a str as Rich markup, and a
        # customer named "[/]" (a crash) or "[@click=app.quit]" (an action) must stay text.
        if isinstance(value, str):
            value = Text(value, justify="right") if spec.justify == "right" else Text(value)
        if (spec.keep_end or spec.priority > 0) and isinstance(value, Text):
            return FitCell(value, keep_end=spec.keep_end)
        return value

    def _write_row_cells(self, key: str, item: T) -> None:
        cells = self._cells_for(key, item)
        keys = ([MARK_COLUMN] if self.markable else []) + [spec.key for spec in self.columns_spec]
        for column_key, value in zip(keys, cells, strict=False):
            try:
                self.update_cell(key, column_key, value)
            except (RowDoesNotExist, KeyError):
                return

    # -- loading ------------------------------------------------------------------------------

    async def _fetch(self, page: int) -> PageLike[T]:
        return await self.loader(
            PageRequest(
                page=page, page_size=self.page_size, ordering=self.ordering, search=self.search
            )
        )

    async def _load_first(self, generation: int, keep_id: str | None, page: int = 1) -> None:
        async with self._lock:
            if generation != self._generation:
                return
            if not self._items:
                self.loading = True
            try:
                result = await self._fetch(page)
            finally:
                self.loading = False
            if generation != self._generation:
                return
            page = _answered_page(result, page)
            self.total = result.count
            self.load_error = None
            self.first_page = page
            self.last_page = page
            self._set_rows(list(result.results), keep_id=keep_id, fallback_row=0)

    async def _load_edge(self, generation: int, edge: str) -> None:
        try:
            async with self._lock:
                if generation != self._generation:
                    return
                page = self.last_page + 1 if edge == "next" else self.first_page - 1
                if page < 1 or page > self.total_pages:
                    return
                result = await self._fetch(page)
                if generation != self._generation:
                    return
                self.total = result.count
                if _answered_page(result, page) != page:
                    return  # the list shrank: no page there any more
                items = list(result.results)
                if edge == "next":
                    self.last_page = page
                    if len(self._items) + len(items) <= self.max_rows:
                        self._append_rows(items)  # cheap: no rebuild
                    else:
                        self._set_rows(
                            self._trim(self._items + items, keep="end"),
                            keep_id=self._last_cursor_id,
                        )
                else:
                    self.first_page = page
                    self._set_rows(
                        self._trim(items + self._items, keep="start"), keep_id=self._last_cursor_id
                    )
        finally:
            self._edges_in_flight.discard(edge)
            if generation == self._generation:
                self.call_later(self._check_edges)

    def _trim(self, items: list[T], *, keep: str) -> list[T]:
        """Over ``max_rows``: drop whole pages from the far end down to about half of it in
        one go (hysteresis), so the next rebuild is several pages away."""
        if len(items) <= self.max_rows:
            return items
        target = max(self.max_rows // 2, self.page_size * 2)
        while len(items) > target and self.last_page > self.first_page:
            if keep == "end":
                items = items[self.page_size :]
                self.first_page += 1
            else:
                last_len = len(items) - (self.last_page - self.first_page) * self.page_size
                items = items[: len(items) - max(last_len, 0)]
                self.last_page -= 1
        return items

    async def _refresh_window(self, generation: int) -> None:
        """Re-read the pages around the cursor (not the whole window): rows whose item
        changed are rewritten in place; if ids moved, the window is rebuilt on the cursor's id."""
        async with self._lock:
            if generation != self._generation:
                return
            row = max(self.cursor_row, 0)
            cursor_page = self.first_page + row // self.page_size
            pages = [
                p
                for p in (cursor_page - 1, cursor_page, cursor_page + 1)
                if self.first_page <= p <= self.last_page
            ]
            if not pages:
                pages = [self.first_page]
            total = self.total
            rebuilt = list(self._items)
            moved = False
            for page in pages:
                result = await self._fetch(page)
                if generation != self._generation:
                    return
                total = result.count
                fresh = list(result.results)
                end = _answered_page(result, page)
                if end != page:  # the list shrank below this page: show its end
                    keep = rebuilt[: max(end - self.first_page, 0) * self.page_size]
                    self.first_page = min(self.first_page, end)
                    self.last_page = end
                    self.total = total
                    rows = keep + fresh
                    self._set_rows(rows, keep_id=self._last_cursor_id, fallback_row=len(rows) - 1)
                    return
                start = (page - self.first_page) * self.page_size
                held = rebuilt[start : start + self.page_size]
                if [self.row_id(i) for i in fresh] == [self.row_id(i) for i in held]:
                    for index, (item, old) in enumerate(zip(fresh, held, strict=True)):
                        if item != old:  # only changed rows are redrawn
                            rebuilt[start + index] = item
                            self._items[start + index] = item
                            self._write_row_cells(self.row_id(item), item)
                else:
                    rebuilt[start : start + len(held)] = fresh
                    moved = True
            self.total = total
            if moved:
                self._set_rows(rebuilt, keep_id=self._last_cursor_id)
            else:
                self.post_message(self.CursorMoved(self, self.current_item))
                self._post_window()

    def _dedupe(self, items: list[T]) -> tuple[list[T], list[str]]:
        seen: set[str] = set()
        out: list[T] = []
        ids: list[str] = []
        for item in items:
            key = self.row_id(item)
            if key in seen:
                continue
            seen.add(key)
            out.append(item)
            ids.append(key)
        return out, ids

    def _set_rows(
        self, items: list[T], *, keep_id: str | None, fallback_row: int | None = None
    ) -> None:
        """Replace the rows; the cursor goes to ``keep_id`` when present, else to
        ``fallback_row`` (default: the row it was on)."""
        old_row = self.cursor_row
        items, ids = self._dedupe(items)
        self.clear(columns=False)
        self._items = items
        self._ids = ids
        self.add_rows_keyed(items, ids)
        if items:
            if keep_id is not None and keep_id in ids:
                target = ids.index(keep_id)
            else:
                target = old_row if fallback_row is None else fallback_row
            target = min(max(target, 0), len(items) - 1)
            self.move_cursor(row=target, animate=False, scroll=True)
        self._after_change()

    def _append_rows(self, items: list[T]) -> None:
        present = set(self._ids)
        for item in items:
            key = self.row_id(item)
            if key in present:
                continue
            present.add(key)
            self._items.append(item)
            self._ids.append(key)
            self.add_row(*self._cells_for(key, item), key=key)
        self._after_change()

    def add_rows_keyed(self, items: Sequence[T], ids: Sequence[str]) -> None:
        for key, item in zip(ids, items, strict=True):
            self.add_row(*self._cells_for(key, item), key=key)

    def _after_change(self) -> None:
        self._fit_columns()
        self._post_window()
        item = self.current_item
        self._last_cursor_id = self.row_id(item) if item is not None else None
        self.post_message(self.CursorMoved(self, item))

    def _post_window(self) -> None:
        self.post_message(self.WindowChanged(self, self.window_label))

    # -- cursor and edges ---------------------------------------------------------------------

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        item = self.current_item
        key = self.row_id(item) if item is not None else None
        if key != self._last_cursor_id:
            self._last_cursor_id = key
            self.post_message(self.CursorMoved(self, item))
        self._check_edges()

    def _check_edges(self) -> None:
        """Load the next (previous) page when the cursor is within a couple of screens of
        the window's end (start); one load per direction at a time."""
        if self.total is None or not self._items:
            return
        row = self.cursor_row
        visible = max(self.scrollable_content_region.height, 1)
        threshold = max(self.prefetch, 2 * visible)
        if row >= len(self._items) - threshold and self.last_page < self.total_pages:
            self._start_edge("next")
        elif row < threshold and self.first_page > 1:
            self._start_edge("previous")

    def _start_edge(self, edge: str) -> None:
        if edge in self._edges_in_flight:
            return
        self._edges_in_flight.add(edge)
        self.run_worker(
            _job(self._load_edge, self._generation, edge),
            group=f"paged-table-edge-{edge}",
            exit_on_error=False,
        )

    def action_first(self) -> None:
        if self.first_page == 1:
            self.move_cursor(row=0)
        else:
            self._generation += 1
            self.run_worker(
                _job(self._load_first, self._generation, None, page=1),
                group="paged-table",
                exclusive=True,
                exit_on_error=False,
            )

    def action_last(self) -> None:
        if self.last_page >= self.total_pages:
            self.move_cursor(row=max(len(self._items) - 1, 0))
        else:
            self._generation += 1
            self.run_worker(
                _job(self._jump_last, self._generation),
                group="paged-table",
                exclusive=True,
                exit_on_error=False,
            )

    async def _jump_last(self, generation: int) -> None:
        await self._load_first(generation, None, page=self.total_pages)
        if generation == self._generation and self._items:
            self.move_cursor(row=len(self._items) - 1)

    # -- marks --------------------------------------------------------------------------------

    def _redraw_marks(self) -> None:
        if self.markable:
            for key in self._ids:
                try:
                    self.update_cell(key, MARK_COLUMN, MARK_ON if key in self.marks else " ")
                except (RowDoesNotExist, KeyError):
                    continue
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))

    def _set_mark(self, key: str, on: bool) -> None:
        if on:
            self.marks.add(key)
        else:
            self.marks.discard(key)
        if self.markable:
            try:
                self.update_cell(key, MARK_COLUMN, MARK_ON if on else " ")
            except (RowDoesNotExist, KeyError):
                pass

    def action_toggle_mark(self) -> None:
        if not self.markable:
            return
        item = self.current_item
        if item is None:
            return
        key = self.row_id(item)
        self._set_mark(key, key not in self.marks)
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))
        if self.cursor_row < len(self._items) - 1:
            self.move_cursor(row=self.cursor_row + 1)

    def action_extend_mark(self, step: int) -> None:
        """Mark the current row and the one ``step`` away, moving the cursor there."""
        if not self.markable:
            return
        item = self.current_item
        if item is None:
            return
        self._set_mark(self.row_id(item), True)
        target = self.cursor_row + step
        if 0 <= target < len(self._items):
            self.move_cursor(row=target)
            self._set_mark(self._ids[target], True)
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))

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

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))


__all__ = [
    "SCROLLBAR_ROOM",
    "ColumnSpec",
    "FitCell",
    "column_widths",
    "fit_text",
    "Loader",
    "PageLike",
    "PageRequest",
    "PagedTable",
    "SimplePage",
]
