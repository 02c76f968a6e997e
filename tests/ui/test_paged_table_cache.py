"""PagedTable's drawing caches (ui/widgets/table_render.py): a whole row's line is kept per
row and state, and the table's lines skip Textual's styles cache. Whatever changes — an
item, a column width, the cursor, the mouse, the theme, focus, rows appended — the lines
drawn through the caches are the lines a table drawing from scratch shows (characters and
styles), and the changed line does change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageRequest, SimplePage
from tests.fixtures.app import wait_until


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    n: int


def cells(item: Item) -> tuple[Any, ...]:
    return (
        Text(item.id),
        Text(item.name),
        Text(f"{item.n:,}", justify="right"),
        Text("open" if item.n % 2 else "closed", style="bold green" if item.n % 2 else ""),
    )


COLUMNS = [
    ColumnSpec("id", "Id", 6),
    ColumnSpec("name", "Name", 12, min_width=8, priority=3),
    ColumnSpec("n", "N", 8, justify="right"),
    ColumnSpec("state", "State", 8),
]


async def load(request: PageRequest) -> SimplePage[Item]:
    start = (request.page - 1) * request.page_size
    items = [Item(f"i{n}", f"name {n}", n * 7) for n in range(start, start + request.page_size)]
    return SimplePage(300, items)


class CacheApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PagedTable[Item](columns=COLUMNS, loader=load, row_cells=cells, page_size=50)


Line = list[tuple[str, Style | None]]


def pairs(strip: Strip) -> Line:
    return [(c, s.style) for s in strip if not s.control for c in s.text]


def drawn(table: PagedTable[Any]) -> list[Line]:
    """The table as the compositor asks for it (``render_lines``), through every cache."""
    region = Region(0, 0, table.size.width, table.size.height)
    return [pairs(strip) for strip in table.render_lines(region)]


def fresh(table: PagedTable[Any]) -> list[Line]:
    """The same lines drawn from scratch, through Textual's own styles cache."""
    table._clear_caches()
    table._styles_cache.clear()
    table._pseudo_class_state = table.get_pseudo_class_state()
    region = Region(0, 0, table.size.width, table.size.height)
    return [pairs(strip) for strip in Widget.render_lines(table, region)]


def row_line(table: PagedTable[Any], lines: list[Line], row: int) -> str:
    y = row - round(table.scroll_y) + (table.header_height if table.show_header else 0)
    return "".join(char for char, _ in lines[y])


async def test_cached_lines_follow_every_change() -> None:
    app = CacheApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(PagedTable)
        await wait_until(pilot, lambda: table.row_count > 0, what="rows")
        table.focus()
        await pilot.pause()
        before = drawn(table)
        assert before == fresh(table)

        # the cursor moves: the rows it left and reached change, and only those
        table.move_cursor(row=2)
        await pilot.pause()
        moved = drawn(table)
        assert moved == fresh(table)
        changed = [y for y, (a, b) in enumerate(zip(before, moved, strict=True)) if a != b]
        header = table.header_height
        assert changed == [header + 0, header + 2]

        # an item changes: its line shows the new value
        item = table.items[3]
        table.update_item(Item(item.id, "renamed", item.n))
        await pilot.pause()
        updated = drawn(table)
        assert "renamed" in row_line(table, updated, 3)
        assert updated == fresh(table)

        # the mouse hovers a row
        table.hover_coordinate = Coordinate(4, 1)
        table._show_hover_cursor = True
        assert drawn(table) == fresh(table)

        # a column gets another width
        key = table._column_locations.get_key(1)
        assert key is not None
        name = table.columns[key]
        name.width = 20
        table._clear_caches()
        table._require_update_dimensions = True
        await pilot.pause()
        wide = drawn(table)
        assert wide == fresh(table)
        assert wide != updated

        # focus leaves the table (its background and cursor colours change)
        table.blur()
        await pilot.pause()
        assert drawn(table) == fresh(table)

        # the theme changes
        themed_before = drawn(table)
        app.theme = "textual-light"
        await pilot.pause()
        themed = drawn(table)
        assert themed == fresh(table)
        assert themed != themed_before


async def test_scrolled_and_appended_rows_draw_as_from_scratch() -> None:
    app = CacheApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(PagedTable)
        await wait_until(pilot, lambda: table.row_count > 0, what="rows")
        table.focus()
        await pilot.pause()
        for _ in range(8):  # through appended pages
            await pilot.press("pagedown")
            await pilot.pause()
            assert drawn(table) == fresh(table)
        assert table.row_count > 50
        # a crop of the columns (the compositor asks for part of a line)
        part = Region(3, 1, 20, 5)
        cut = [pairs(strip) for strip in table.render_lines(part)]
        table._clear_caches()
        table._styles_cache.clear()
        assert cut == [pairs(strip) for strip in Widget.render_lines(table, part)]


async def test_page_keys_move_as_datatable_does() -> None:
    """``pagedown``/``pageup`` without walking the rows (table_rows.py) land where
    DataTable's own actions land, at the start, in the middle and at the ends of the window."""
    from textual.widgets import DataTable

    app = CacheApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(PagedTable)
        await wait_until(pilot, lambda: table.row_count > 0, what="rows")
        table.focus()
        await pilot.pause()
        rows = table.row_count
        for start in (0, 1, 5, rows // 2, rows - 12, rows - 2, rows - 1):
            for ours, theirs in (
                (table.action_page_down, DataTable.action_page_down),
                (table.action_page_up, DataTable.action_page_up),
            ):
                table.move_cursor(row=start, scroll=False)
                ours()
                landed = table.cursor_row
                table.move_cursor(row=start, scroll=False)
                theirs(table)
                assert landed == table.cursor_row, (start, ours.__name__)
