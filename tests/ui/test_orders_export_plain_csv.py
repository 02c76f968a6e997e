"""``plain_csv``: the export's lines for a page without ``csv.writer`` are exactly what
``csv.writer`` writes, or None (then the writer writes the page) (issue 20)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from preo_tui.ui.orders.export import plain_csv

CELLS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "a,b", 'say "hi"', "line\nbreak", "cr\r", "Ødegård", "NF26-000001"]),
)


def written(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=5))
def test_plain_lines_are_what_the_csv_writer_writes(rows: list[list[str]]) -> None:
    text = plain_csv(rows)
    if text is not None:
        assert text == written(rows)


def test_a_usual_page_is_written_plainly() -> None:
    rows = [
        ["NF26-000001", "ord_1", "2026-11-30T05:40:50+00:00", "", "completed", "12.50", "Søren"],
        ["NF26-000002", "ord_2", "2026-11-30T05:41:50+00:00", "x", "pending", "0.00", ""],
    ]
    assert plain_csv(rows) == written(rows)


def test_cells_that_need_quotes_are_left_to_the_writer() -> None:
    for cell in ("a,b", 'say "hi"', "line\nbreak", "cr\r"):
        assert plain_csv([["x", cell], ["y", "z"]]) is None
    assert plain_csv([[""], ["a", "b"]]) is None  # a lone empty cell is written as ""
    assert plain_csv([]) is None
