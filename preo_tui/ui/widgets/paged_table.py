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
app's single failure handler. Split across mixins: drawing (``table_render``), columns and
sorting (``table_columns``), marks (``table_marks``); the window's bookkeeping is in ``paging``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic

from textual import on
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from preo_tui.ui.widgets.columns import (
    SCROLLBAR_ROOM,
    ColumnSpec,
    FitCell,
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
    dedupe,
    default_row_id,
    first_load_failed,
    trim_window,
)
from preo_tui.ui.widgets.table_columns import ColumnsMixin
from preo_tui.ui.widgets.table_marks import MarksMixin
from preo_tui.ui.widgets.table_render import FastRowsMixin
from preo_tui.ui.widgets.table_rows import BulkRowsMixin


class PagedTable(
    FastRowsMixin, BulkRowsMixin, ColumnsMixin, MarksMixin, DataTable[Any], Generic[T]
):
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
        self._refit_pending = False
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

    def update_item(self, item: T) -> None:
        """Replace one item (after a write) by id; cells change in place."""
        key = self.row_id(item)
        try:
            index = self._ids.index(key)
        except ValueError:
            return
        self._items[index] = item
        self._write_row_cells(key, item)
        if not self._refit_pending:  # a longer (or shorter) value: widths follow, once per batch
            self._refit_pending = True
            self.call_later(self._refit_after_updates)
        if index == self.cursor_row:
            self.post_message(self.CursorMoved(self, item))

    def _refit_after_updates(self) -> None:
        self._refit_pending = False
        self._fit_columns()

    def move_to_id(self, key: str) -> bool:
        try:
            index = self._ids.index(key)
        except ValueError:
            return False
        self.move_cursor(row=index)
        return True

    def on_resize(self) -> None:
        self._fit_columns()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Marks exist only on markable lists (the footer hides them elsewhere)."""
        return self.markable or action not in ("toggle_mark", "extend_mark")

    # -- DataTable setup ----------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.markable:
            self.add_column(" ", key=MARK_COLUMN, width=1)
        for spec in self.columns_spec:
            self.add_column(self._header_label(spec), key=spec.key, width=spec.width)
        self._fit_columns()
        self.reload()

    def _cells_for(self, key: str, item: T) -> list[Any]:
        cells = [
            self._justify(spec, value)
            for spec, value in zip(self.columns_spec, self.row_cells(item), strict=False)
        ]
        if self.markable:
            cells.insert(0, MARK_ON if key in self.marks else " ")
        return cells

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
        items, self.first_page, self.last_page = trim_window(
            items, self.first_page, self.last_page, self.page_size, self.max_rows, keep=keep
        )
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

    def _set_rows(
        self, items: list[T], *, keep_id: str | None, fallback_row: int | None = None
    ) -> None:
        """Replace the rows; the cursor goes to ``keep_id`` when present, else to
        ``fallback_row`` (default: the row it was on)."""
        old_row = self.cursor_row
        items, ids = dedupe(items, self.row_id)
        # Rows the window keeps (trimmed or extended at one end) keep the cells built for
        # them: a rebuild re-adds them without building their cells again.
        held = dict(zip(self._ids, self._items, strict=True))
        built, self._data = self._data, {}
        self.clear(columns=False)
        self._items = items
        self._ids = ids
        cells: list[Any] = []
        for key, item in zip(ids, items, strict=True):
            row = built.get(key) if held.get(key) is item else None  # type: ignore[call-overload]  # RowKey compares equal to its str
            if row is None:
                cells.append(self._cells_for(key, item))
            else:
                if self.markable:
                    row[MARK_COLUMN] = MARK_ON if key in self.marks else " "
                cells.append(row)
        self.add_rows_bulk(ids, cells)
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
        keys: list[str] = []
        cells: list[list[Any]] = []
        for item in items:
            key = self.row_id(item)
            if key in present:
                continue
            present.add(key)
            self._items.append(item)
            self._ids.append(key)
            keys.append(key)
            cells.append(self._cells_for(key, item))
        # rows at the end: the rows on screen are not drawn again
        self.add_rows_bulk(keys, cells, keep_drawn=True)
        self._after_change()

    def add_rows_keyed(self, items: Sequence[T], ids: Sequence[str]) -> None:
        self.add_rows_bulk(
            ids, [self._cells_for(key, item) for key, item in zip(ids, items, strict=True)]
        )

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
