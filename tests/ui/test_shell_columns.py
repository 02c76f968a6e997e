"""Columns that use the room, lists that tell the truth about their order (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from textual.app import App, ComposeResult

from preo_tui.ui.widgets.choice import ChoiceModal
from preo_tui.ui.widgets.columns import ColumnSpec, FitCell, column_widths, fit_text
from preo_tui.ui.widgets.paged_table import PagedTable, PageRequest, SimplePage
from tests.fixtures.app import wait_for_screen, wait_until

LONG = "Line-up announcement: the last three headliners and the Sunday schedule (DA)"


def test_a_cut_keeps_the_distinguishing_end() -> None:
    cut = fit_text(LONG, 24, keep_end=True)
    assert len(cut) <= 24 and cut.endswith("(DA)") and "…" in cut
    email = fit_text("maria.fernanda.rodriguez.garcia@example-mail.com", 30, keep_end=True)
    assert email.endswith("@example-mail.com") and email.startswith("maria.")
    assert fit_text("short", 24, keep_end=True) == "short"
    plain = fit_text(LONG, 12)
    assert plain == "Line-up ann…"


def test_free_width_goes_to_cut_columns_names_first() -> None:
    specs = [
        ColumnSpec("name", "Name", 20, min_width=12, priority=3, keep_end=True),
        ColumnSpec("chan", "Chan", 5),
        ColumnSpec("where", "Where", 12, priority=1),
    ]
    natural = {"name": len(LONG), "where": 30}
    roomy = column_widths(specs, natural, 200)
    assert roomy == {"name": len(LONG), "chan": 5, "where": 30}
    # 60 cells: minimums first, then the usual widths, then the name grows before "where".
    tight = column_widths(specs, natural, 60)
    assert tight["chan"] == 5 and tight["where"] == 12
    assert tight["name"] == 60 - 5 - 12
    # Too little room: the minimums stand.
    assert column_widths(specs, natural, 10) == {"name": 12, "chan": 5, "where": 12}
    # A growing column never takes more than its content needs.
    assert column_widths(specs, {"name": 8, "where": 3}, 200)["name"] == 12


def test_fit_cell_draws_at_the_column_width() -> None:
    console = Console(width=20, record=True, color_system=None)
    console.print(FitCell(LONG, keep_end=True), width=20)
    out = console.export_text().strip()
    assert out.endswith("(DA)") and len(out) == 20
    assert str(FitCell(LONG)) == LONG  # the whole value stays available (detail, copy)


@dataclass(frozen=True)
class Row:
    id: str
    n: int
    name: str


class Server:
    def __init__(self) -> None:
        names = [
            f"Campaign {i} — festival reminder for everyone who bought (DA)" for i in range(300)
        ]
        self.rows = [Row(f"r{i:04d}", i, names[i]) for i in range(300)]

    async def load(self, request: PageRequest) -> SimplePage[Row]:
        rows = list(self.rows)
        if request.ordering:
            key = request.ordering.lstrip("-")
            rows.sort(key=lambda r: getattr(r, key), reverse=request.ordering.startswith("-"))
        start = (request.page - 1) * request.page_size
        return SimplePage(count=len(rows), results=rows[start : start + request.page_size])


class ColumnsApp(App[None]):
    def __init__(self, **spec: Any) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        yield PagedTable[Row](
            columns=[
                ColumnSpec("n", "Age", 6, ordering="n", **self.spec),
                ColumnSpec("name", "Name", 20, min_width=12, priority=3, keep_end=True),
            ],
            loader=Server().load,
            row_cells=lambda r: (str(r.n), r.name),
            id="table",
        )


def table(app: App[None]) -> PagedTable[Row]:
    return app.query_one("#table", PagedTable)


async def test_names_use_the_free_width_and_shrink_on_resize() -> None:
    app = ColumnsApp()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: table(app).total == 300, what="rows")
        t = table(app)
        await wait_until(
            pilot,
            lambda: t.columns["name"].width > 20,
            what="name grows",
        )
        longest = max(len(r.name) for r in t.items)
        assert t.columns["name"].width == longest
        await pilot.resize_terminal(40, 20)
        await wait_until(
            pilot,
            lambda: t.columns["name"].width < longest,
            what="name shrinks",
        )
        assert t.columns["name"].width >= 12


async def test_re_sorting_goes_to_the_first_row() -> None:
    app = ColumnsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total == 300, what="rows")
        t = table(app)
        t.focus()
        t.move_cursor(row=60)
        await pilot.pause()
        t.set_ordering("-n")
        await wait_until(pilot, lambda: t.items and t.items[0].n == 299, what="sorted")
        await wait_until(pilot, lambda: t.cursor_row == 0, what="cursor on the first row")
        assert t.scroll_y == 0


async def test_a_reversed_column_shows_the_arrow_of_what_is_shown() -> None:
    # "Age" ordered by created: ascending age is newest first (-created).
    app = ColumnsApp(reverse=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: table(app).total == 300, what="rows")
        t = table(app)
        t.focus()
        await pilot.press("o")
        picker = await wait_for_screen(pilot, ChoiceModal)
        labels = {c.value: c.label for c in picker.choices}
        assert labels["-n"] == "Age ▲ ascending"
        assert labels["n"] == "Age ▼ descending"
        await pilot.press("escape")
        t.set_ordering("n")
        await wait_until(pilot, lambda: "▼" in str(t.columns["n"].label), what="arrow")
        assert t.sort_by("n")
        assert t.ordering == "-n"
