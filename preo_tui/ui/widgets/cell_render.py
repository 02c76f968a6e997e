"""Drawing a one-line list cell straight into segments (no Textual here).

``DataTable`` draws every cell through Rich's full pipeline (``Styled(Padding(cell))`` →
``console.render_lines``: wrapping, measuring, cropping, padding), about 0.1 ms a cell. A
``pagedown`` shows a screenful of rows never drawn before (45 rows × 8 cells at 160x48), so
that pipeline alone cost a frame's budget several times over. The cells of a list are almost
always one line of ``Text`` (or a ``FitCell``) that fits its column; for those,
:func:`render_simple_cell` builds the same segments directly (same characters, same styles,
row/column meta included) and answers None for anything else, which the table then draws the
usual way. ``tests/ui/test_paged_table_drawing.py`` compares both paths.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from preo_tui.ui.widgets.columns import FitCell, fit_text

_NULL = Style.null()


def render_simple_cell(
    console: Console,
    value: Any,
    width: int,
    padding: int,
    pre_style: Style,
    post_style: Style,
) -> list[list[Segment]] | None:
    """One line of segments for ``value`` in a ``width``-cell column with ``padding`` cells
    each side, as ``Styled(Padding(value, (0, padding)), pre_style, post_style)`` renders it
    at height 1 without wrapping; None when ``value`` is not a simple one-line text."""
    inner = width - 2 * padding
    if inner <= 0:
        return None
    if isinstance(value, FitCell):
        text = value.text
        plain = text.plain
        if text._spans or "\n" in plain or "\t" in plain:
            return None
        if cell_len(plain) > inner:
            plain = fit_text(plain, inner, keep_end=value.keep_end)
        justify = "default"  # FitCell draws its fitted text unjustified
    elif isinstance(value, Text):
        text = value
        plain = text.plain
        if text._spans or "\n" in plain or "\t" in plain or cell_len(plain) > inner:
            return None
        justify = text.justify or "default"
        if justify not in ("default", "left", "right"):
            return None
    else:
        return None
    style = console.get_style(text.style, default=_NULL) if text.style else _NULL
    used = cell_len(plain)
    gap = inner - used
    styled = pre_style + style if style else pre_style
    if post_style:
        styled = styled + post_style
    bare = pre_style + post_style if post_style else pre_style
    pad = " " * padding
    line: list[Segment] = []
    if padding:
        line.append(Segment(pad, bare))
    if justify == "right" and gap:
        line.append(Segment(" " * gap + plain, styled))
    elif justify == "left" and gap:
        # Rich pads a left-justified line inside the text (the text's style covers it)
        line.append(Segment(plain + " " * gap, styled))
    else:
        if plain:
            line.append(Segment(plain, styled))
        if gap:
            line.append(Segment(" " * gap, bare))
    if padding:
        line.append(Segment(pad, bare))
    return [line]


__all__ = ["render_simple_cell"]
