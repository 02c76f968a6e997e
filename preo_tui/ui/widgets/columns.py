"""List columns that use the room: each column declares a minimum and a priority, free width
goes to the columns that were cut (names and e-mails first), and a cut keeps the
distinguishing end where that matters ("(DA)"). Pure functions plus ``FitCell``, a cell that
is cut when drawn (no rows rewritten when the terminal is resized). No Textual here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: ``key`` names it, ``ordering`` is the contract's ordering field (or None
    when the server cannot sort by it). Widths are set by the table, never by measuring every
    cell while paging (see ``column_widths``):

    - ``width``: the column's usual width; ``min_width`` (default ``width``): what it keeps
      when the terminal is narrow;
    - ``priority``: columns with a priority above 0 grow into free width up to their longest
      value in the window, highest priority first (names and e-mails);
    - ``keep_end``: a value that must be cut keeps its distinguishing end ("Line-up
      announc… (DA)", "maria.fernanda…@gmail.com");
    - ``reverse``: the shown value sorts opposite to ``ordering`` (an "Age" column ordered by
      ``created``): the arrows in the header and the sort picker follow what is shown.
    """

    key: str
    label: str
    width: int = 12
    ordering: str | None = None
    justify: str = "left"
    min_width: int | None = None
    priority: int = 0
    keep_end: bool = False
    reverse: bool = False


# -- column widths (pure functions; the table calls them on resize and when rows arrive) ------

SCROLLBAR_ROOM = 2
"""Columns leave room for the vertical scrollbar (no horizontal scrollbar when it appears)."""

_TAIL = re.compile(r"(\s*[(\[][^()\[\]]{1,16}[)\]]|@[^@\s]{1,40})\s*$")


def cell_width(value: Any) -> int:
    if isinstance(value, Text):
        return value.cell_len
    if isinstance(value, FitCell):
        return cell_len(value.text.plain)
    return cell_len(str(value))


def column_widths(
    specs: Sequence[ColumnSpec], natural: dict[str, int], room: int
) -> dict[str, int]:
    """Each column's width for ``room`` cells of content.

    Every column gets its minimum; then, highest priority first, columns grow to their usual
    width and growing columns (priority > 0) on to their longest value (``natural``); within
    one priority the room is shared a cell at a time. With too little room, the minimums
    stand (the table scrolls sideways)."""
    widths = {s.key: max(1, s.min_width if s.min_width is not None else s.width) for s in specs}
    free = room - sum(widths.values())

    def want(spec: ColumnSpec) -> int:
        if spec.priority > 0:
            return max(widths[spec.key], natural.get(spec.key, spec.width))
        return max(widths[spec.key], spec.width)

    tiers = sorted({s.priority for s in specs}, reverse=True)
    # Pass 1: up to the usual width (growing columns: no more than their content needs).
    # Pass 2: growing columns on to their longest value.
    for cap in (lambda s: min(want(s), s.width) if s.priority > 0 else want(s), want):
        for tier in tiers:
            members = [s for s in specs if s.priority == tier]
            while free > 0:
                hungry = [s for s in members if widths[s.key] < cap(s)]
                if not hungry:
                    break
                for spec in hungry:
                    if free <= 0:
                        break
                    widths[spec.key] += 1
                    free -= 1
    return widths


def fit_text(text: str, width: int, *, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` cells with "…"; with ``keep_end`` a distinguishing end (a
    parenthesised tag such as "(DA)", an e-mail's domain) is kept when it fits."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if keep_end:
        match = _TAIL.search(text)
        if match is not None:
            tail = match.group(0).rstrip()
            head_room = width - cell_len(tail) - 1
            if head_room >= 4:
                head = set_cell_size(text[: match.start()], head_room).rstrip()
                return f"{head}…{tail}"
    return set_cell_size(text, width - 1).rstrip() + "…"


class FitCell:
    """A cell that is cut to its column's width when drawn (the width changes with the
    terminal; the rows are not rewritten): "…" shows the cut, ``keep_end`` keeps the end."""

    __slots__ = ("keep_end", "text")

    def __init__(self, value: str | Text, *, keep_end: bool = False) -> None:
        self.text = value if isinstance(value, Text) else Text(value)
        self.keep_end = keep_end

    def __str__(self) -> str:
        return self.text.plain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FitCell) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text.plain)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        plain = self.text.plain
        if cell_len(plain) <= width:
            out = self.text.copy()
        else:
            out = Text(fit_text(plain, width, keep_end=self.keep_end), style=self.text.style)
        out.no_wrap = True
        out.overflow = "crop"
        out.end = ""
        yield out

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        size = cell_len(self.text.plain)
        return Measurement(min(size, 4), size)


__all__ = ["SCROLLBAR_ROOM", "ColumnSpec", "FitCell", "cell_width", "column_widths", "fit_text"]
