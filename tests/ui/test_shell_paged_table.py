"""PagedTable: a window over a server-paged list (paging, marks by id, sorting, keyed refresh)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from textual.app import App, ComposeResult

from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageRequest, SimplePage
from tests.fixtures.app import wait_for_workers, wait_until


@dataclass(frozen=True)
class Row:
    id: str
    n: int
    label: str


class FakeServer:
    """A list of rows answering contract-style page requests, counting calls."""

    def __init__(self, size: int) -> None:
        self.rows = [Row(f"row_{i:06d}", i, f"item {i}") for i in range(1, size + 1)]
        self.requests: list[PageRequest] = []

    async def load(self, request: PageRequest) -> SimplePage[Row]:
        self.requests.append(request)
        rows = self.rows
        if request.search:
            rows = [r for r in rows if request.search in r.label]
        if request.ordering:
            key = request.ordering.lstrip("-")
            rows = sorted(
                rows, key=lambda r: getattr(r, key), reverse=request.ordering.startswith("-")
            )
        start = (request.page - 1) * request.page_size
        return SimplePage(count=len(rows), results=rows[start : start + request.page_size])


class TableApp(App[None]):
    def __init__(self, server: FakeServer, **options: Any) -> None:
        super().__init__()
        self.server = server
        self.options = options
        self.events: list[Any] = []

    def compose(self) -> ComposeResult:
        yield PagedTable[Row](
            columns=[ColumnSpec("n", "N", 8, ordering="n"), ColumnSpec("label", "Label", 20)],
            loader=self.server.load,
            row_cells=lambda r: (str(r.n), r.label),
            id="table",
            **self.options,
        )

    def on_mount(self) -> None:
        self.query_one(PagedTable).focus()

    def on_paged_table_window_changed(self, event: PagedTable.WindowChanged) -> None:
        self.events.append(event.label)


def table(app: App[None]) -> PagedTable[Row]:
    return app.query_one("#table", PagedTable)


async def test_first_page_and_count_label() -> None:
    app = TableApp(FakeServer(100_000))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total == 100_000, what="first page")
        t = table(app)
        assert t.row_count == 100
        assert t.window_label == "1–100 of 100,000"
        assert app.server.requests[0] == PageRequest(
            page=1, page_size=100, ordering=None, search=None
        )


async def test_next_page_loads_as_cursor_nears_end_and_window_is_bounded() -> None:
    server = FakeServer(100_000)
    app = TableApp(server, max_rows=300, prefetch=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        t = table(app)
        t.move_cursor(row=95)
        await wait_until(pilot, lambda: t.row_count == 200, what="second page")
        assert t.current_item is not None and t.current_item.n == 96
        # Walk far: the window never holds more than max_rows and the cursor keeps its item.
        for _ in range(8):
            t.move_cursor(row=t.row_count - 1)
            await wait_for_workers(pilot)
        assert t.row_count <= 300
        assert t.first_page > 1
        # One load per page: the edge loads never overlap or repeat.
        pages = [r.page for r in server.requests]
        assert len(pages) == len(set(pages))
        # Fixed widths: the scrollable size is known without measuring any cell.
        await pilot.pause()
        assert t.virtual_size.height == t.row_count + 1
        item = t.current_item
        assert item is not None
        first = (t.first_page - 1) * 100 + 1
        assert t.window_label.startswith(f"{first:,}–")
        assert t.items[0].n == first


async def test_G_jumps_to_the_last_page_and_g_back_to_the_first() -> None:
    server = FakeServer(1_050)
    app = TableApp(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        await pilot.press("G")
        t = table(app)
        await wait_until(
            pilot, lambda: t.current_item is not None and t.current_item.n == 1_050, what="last row"
        )
        assert t.window_label.startswith("1,001–1,050 of 1,050")
        await pilot.press("g")
        await wait_until(
            pilot, lambda: t.current_item is not None and t.current_item.n == 1, what="first row"
        )
        await pilot.press("j", "j", "k")
        assert t.current_item is not None and t.current_item.n == 2


async def test_marks_follow_ids_across_refresh_and_sort() -> None:
    server = FakeServer(500)
    app = TableApp(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        t = table(app)
        await pilot.press("space")  # marks row 1, cursor moves to row 2
        await pilot.press("shift+down", "shift+down")  # marks 2, 3, 4
        assert t.marks == {"row_000001", "row_000002", "row_000003", "row_000004"}
        # Sort descending: the marked rows are off screen but still marked by id.
        t.set_ordering("-n")
        await wait_until(pilot, lambda: t.items and t.items[0].n == 500, what="sorted")
        assert len(t.marks) == 4
        assert t.marked_items() == []
        t.set_ordering("n")
        await wait_until(pilot, lambda: t.items and t.items[0].n == 1, what="sorted back")
        assert [r.n for r in t.marked_items()] == [1, 2, 3, 4]
        assert t.get_cell("row_000002", "__mark__") == "●"
        assert t.get_cell("row_000005", "__mark__") == " "


async def test_refresh_updates_rows_in_place_keeping_cursor() -> None:
    server = FakeServer(300)
    app = TableApp(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        t = table(app)
        t.move_cursor(row=42)
        await pilot.pause()
        server.rows[42] = replace(server.rows[42], label="changed")
        await t.refresh_now()
        await pilot.pause()
        assert t.current_item is not None and t.current_item.id == "row_000043"
        assert t.current_item.label == "changed"
        assert str(t.get_cell("row_000043", "label")) == "changed"  # plain Text, never markup
        # A row inserted before the cursor: the window is rebuilt, the cursor stays on its id.
        server.rows.insert(0, Row("row_new", 0, "new"))
        await t.refresh_now()
        await pilot.pause()
        assert t.current_item is not None and t.current_item.id == "row_000043"
        assert t.cursor_row == 43


async def test_search_reloads_from_first_page() -> None:
    server = FakeServer(1_000)
    app = TableApp(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        t = table(app)
        t.set_search("item 99")
        await wait_until(pilot, lambda: t.total == 11, what="filtered")  # 99, 990..999
        assert server.requests[-1].search == "item 99"
        assert server.requests[-1].page == 1
        assert t.window_label == "1–11 of 11"


async def test_duplicate_ids_across_pages_are_dropped() -> None:
    server = FakeServer(150)
    server.rows[120] = server.rows[10]  # the server shifted: page 2 repeats an id of page 1
    app = TableApp(server, prefetch=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total is not None)
        t = table(app)
        t.move_cursor(row=99)
        await wait_until(pilot, lambda: t.last_page == 2, what="second page")
        assert t.row_count == 149


class GrowingApp(TableApp):
    """A growing label column (priority 1): its width follows the longest value shown."""

    def compose(self) -> ComposeResult:
        yield PagedTable[Row](
            columns=[
                ColumnSpec("n", "N", 8, ordering="n"),
                ColumnSpec("label", "Label", 8, min_width=6, priority=1),
            ],
            loader=self.server.load,
            row_cells=lambda r: (str(r.n), r.label),
            id="table",
        )


def label_width(app: App[None]) -> int:
    return next(c.width for c in table(app).columns.values() if c.key.value == "label")


async def test_an_updated_row_refits_the_growing_column() -> None:
    """Values that change after the first page (a name resolved from an id) re-fit the
    columns: neither kept cut nor kept wide for a value no longer shown."""
    server = FakeServer(5)
    server.rows = [replace(r, label="a-rather-long-identifier") for r in server.rows]
    app = GrowingApp(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total == 5, what="first page")
        wide = label_width(app)
        assert wide >= len("a-rather-long-identifier")
        for row in server.rows:
            table(app).update_item(replace(row, label="short"))
        await wait_until(pilot, lambda: label_width(app) < wide, what="the column to narrow")
        assert label_width(app) == len("Label") + 2  # the label's own room wins over "short"
        table(app).update_item(replace(server.rows[0], label="x" * 40))
        await wait_until(pilot, lambda: label_width(app) >= 40, what="the column to grow")
