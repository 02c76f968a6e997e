"""PagedTable's fast drawing (ui/widgets/table_render.py, cell_render.py) gives the same
characters and styles as DataTable's own drawing, for every kind of cell a list shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate

from preo_tui.ui.widgets.cell_render import render_simple_cell
from preo_tui.ui.widgets.columns import FitCell
from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageRequest, SimplePage
from tests.fixtures.app import wait_until


@dataclass(frozen=True)
class Item:
    id: str
    n: int


NAMES = [
    "short",
    "maria.fernanda.de.los.angeles.rodriguez@gmail.com",
    "Line-up announcement for the second weekend (DA)",
    "",
    "ümlaut 中文 wide",
    "[bold]not markup[/]",
]


def cells(item: Item) -> tuple[Any, ...]:
    n = item.n
    return (
        Text(f"NF26-{n:06d}"),
        Text(NAMES[n % len(NAMES)]),
        Text(f"{n * 13.37:,.2f}", justify="right"),
        Text("completed" if n % 2 else "pending", style="green" if n % 2 else "bold red"),
        Text(NAMES[(n + 1) % len(NAMES)] * (n % 3)),  # fixed column: sometimes too long
        Text("x", justify="left"),
        Text.assemble(("two", "bold"), " styles"),  # spans: drawn the DataTable way
        str(n),
    )


COLUMNS = [
    ColumnSpec("number", "Order", 11),
    ColumnSpec("customer", "Customer", 20, min_width=12, priority=3, keep_end=True),
    ColumnSpec("amount", "Amount", 10, justify="right"),
    ColumnSpec("status", "Status", 9),
    ColumnSpec("note", "Note", 8),
    ColumnSpec("left", "L", 3),
    ColumnSpec("spans", "Spans", 12),
    ColumnSpec("plain", "Plain", 6, justify="right"),
]


async def load(request: PageRequest) -> SimplePage[Item]:
    start = (request.page - 1) * request.page_size
    return SimplePage(500, [Item(f"i{n}", n) for n in range(start, start + request.page_size)])


class DrawApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PagedTable[Item](columns=COLUMNS, loader=load, row_cells=cells, id="t")


def drawn(table: PagedTable[Any], fast: bool) -> list[list[tuple[str, Style | None]]]:
    """Every visible line as (character, style) pairs, drawn with or without the fast paths."""
    table.fast_rows = fast
    table._clear_caches()
    table._pseudo_class_state = table.get_pseudo_class_state()
    lines = []
    for y in range(table.size.height):
        strip = table.render_line(y)
        pairs: list[tuple[str, Style | None]] = []
        for segment in strip:
            text, style, control = segment
            if not control:
                pairs.extend((char, style) for char in text)
        lines.append(pairs)
    return lines


async def check_same(table: PagedTable[Any]) -> None:
    fast = drawn(table, True)
    slow = drawn(table, False)
    assert len(fast) == len(slow)
    for y, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a == b, f"line {y} differs"


async def test_fast_drawing_matches_datatable_at_both_sizes(monkeypatch: Any) -> None:
    import preo_tui.ui.widgets.table_render as table_render

    used: list[int] = []

    def counted(*args: Any) -> Any:
        used.append(1)
        return render_simple_cell(*args)

    monkeypatch.setattr(table_render, "render_simple_cell", counted)
    for size in ((80, 24), (160, 48)):
        app = DrawApp()
        async with app.run_test(size=size) as pilot:
            table = app.query_one(PagedTable)
            await wait_until(pilot, lambda t=table: t.row_count > 0, what="rows")
            await check_same(table)  # not focused
            table.focus()
            table.move_cursor(row=3)
            await pilot.pause()
            await check_same(table)  # focused, cursor on a row
            table.hover_coordinate = Coordinate(5, 1)
            table._show_hover_cursor = True
            await check_same(table)  # a hovered row
            await pilot.press("pagedown")
            await pilot.pause()
            await check_same(table)  # scrolled
            table.marks.add(table._ids[table.cursor_row])
            table._redraw_marks()
            await check_same(table)  # a mark
    assert len(used) > 500  # the fast path drew most cells


def test_simple_cell_refuses_what_it_cannot_draw() -> None:
    from rich.console import Console

    console = Console()
    base = Style(bgcolor="blue")
    assert render_simple_cell(console, Text("two\nlines"), 10, 1, base, Style()) is None
    assert render_simple_cell(console, Text("far too long for it"), 8, 1, base, Style()) is None
    assert render_simple_cell(console, Text("x", justify="center"), 8, 1, base, Style()) is None
    assert render_simple_cell(console, 42, 8, 1, base, Style()) is None
    cut = render_simple_cell(
        console, FitCell("far too long (DA)", keep_end=True), 12, 1, base, Style()
    )
    assert cut is not None
    assert "".join(s.text for s in cut[0]) == " far… (DA)  "
    assert Segment.get_line_length(cut[0]) == 12


def test_simple_cell_matches_rich_with_pre_and_post_styles() -> None:
    from rich.console import Console
    from rich.padding import Padding
    from textual.renderables.styled import Styled

    console = Console(width=200)
    pre = Style(bgcolor="blue", meta={"row": 1, "column": 2})
    post = Style(color="yellow", bgcolor="black")
    values: list[Any] = [
        Text("left"),
        Text("right", justify="right"),
        Text("justified left", justify="left"),
        Text("red", style="bold red"),
        Text(""),
        FitCell("maria.fernanda.rodriguez@gmail.com", keep_end=True),
        FitCell(Text("short", style="italic")),
    ]
    for value in values:
        for post_style in (Style(), post):
            fast = render_simple_cell(console, value, 16, 1, pre, post_style)
            assert fast is not None
            options = console.options.update_dimensions(16, 1).update(no_wrap=True)
            slow = console.render_lines(
                Styled(Padding(value, (0, 1)), pre_style=pre, post_style=post_style), options
            )

            def pairs(line: list[Segment]) -> list[tuple[str, Style | None]]:
                return [(c, s.style) for s in line if not s.control for c in s.text]

            assert pairs(fast[0]) == pairs(slow[0]), value


def on_screen(table: PagedTable[Any]) -> list[str]:
    """The visible lines as text, through the table's caches as a frame draws them."""
    table._pseudo_class_state = table.get_pseudo_class_state()
    return ["".join(s.text for s in table.render_line(y)) for y in range(table.size.height)]


async def test_rows_appended_while_scrolling_draw_as_a_fresh_table() -> None:
    """Pages appended at the window's end keep the drawn rows cached (BulkRowsMixin's
    ``keep_drawn``): what is drawn afterwards is what a table drawing from scratch shows,
    including the rows that were beyond the end before the page arrived."""
    app = DrawApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(PagedTable)
        await wait_until(pilot, lambda: table.row_count > 0, what="rows")
        table.focus()
        await pilot.pause()
        for _ in range(12):  # through several appended pages
            before = table.row_count
            await pilot.press("pagedown")
            await pilot.pause()
            shown = on_screen(table)
            table._clear_caches()
            assert shown == on_screen(table)
            if table.row_count > before:
                assert table.get_row_at(table.row_count - 1)[1].plain.startswith("NF26-")
        assert table.row_count > 100  # pages were appended
        last = table.row_count - 1
        table.move_cursor(row=last)
        await pilot.pause()
        shown = on_screen(table)
        table._clear_caches()
        assert shown == on_screen(table)
        assert any(f"NF26-{last:06d}" in line for line in shown)
