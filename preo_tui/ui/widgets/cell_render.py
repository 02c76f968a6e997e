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

from functools import lru_cache
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from preo_tui.ui.widgets.columns import FitCell, fit_text

_NULL = Style.null()


@lru_cache(maxsize=1024)
def _cell_styles(pre_style: Style, style: Style, post_style: Style) -> tuple[Style, Style, bool]:
    """The styles of a cell's text and of its blanks (before the cell's meta), and whether
    they are the same: a few per table state and column style, worked out once."""
    styled = pre_style + style if style else pre_style
    if post_style:
        styled = styled + post_style
    bare = pre_style + post_style if post_style else pre_style
    return styled, bare, styled == bare


def render_simple_cell(
    console: Console,
    value: Any,
    width: int,
    padding: int,
    pre_style: Style,
    post_style: Style,
    meta: Style | None = None,
) -> list[list[Segment]] | None:
    """One line of segments for ``value`` in a ``width``-cell column with ``padding`` cells
    each side, as ``Styled(Padding(value, (0, padding)), pre_style + meta, post_style)``
    renders it at height 1 without wrapping; None when ``value`` is not a simple one-line text.

    ``meta`` (the cell's row/column meta, a style with nothing else) is added last: the styles
    without it are the same for every row (Rich caches those sums), so a cell costs two new
    styles instead of four. Adjacent segments of the same style come out joined: a text without a
    style of its own makes the whole cell one segment (fewer segments to build, filter and cut
    for every line drawn)."""
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
    if meta is not None and style._meta:
        pre_style, meta = pre_style + meta, None  # the text's own meta merges after the cell's
    styled, bare, same = _cell_styles(pre_style, style, post_style)
    if meta is not None:
        styled = styled + meta
        bare = bare + meta
    pad = " " * padding
    line: list[Segment] = []
    if same:
        # The text has no style of its own: the cell is one segment (fewer segments to
        # build, filter and cut for every line drawn; the same characters and styles).
        if justify == "right":
            line.append(Segment(pad + " " * gap + plain + pad, styled))
        else:
            line.append(Segment(pad + plain + " " * gap + pad, styled))
    elif justify == "right" and gap:
        if padding:
            line.append(Segment(pad, bare))
        line.append(Segment(" " * gap + plain, styled))
        if padding:
            line.append(Segment(pad, bare))
    elif justify == "left" and gap:
        # Rich pads a left-justified line inside the text (the text's style covers it)
        if padding:
            line.append(Segment(pad, bare))
        line.append(Segment(plain + " " * gap, styled))
        if padding:
            line.append(Segment(pad, bare))
    else:
        if plain:
            if padding:
                line.append(Segment(pad, bare))
            line.append(Segment(plain, styled))
            if gap or padding:
                line.append(Segment(" " * (gap + padding), bare))
        elif inner + 2 * padding:
            line.append(Segment(" " * (inner + 2 * padding), bare))
    return [line]


__all__ = ["render_simple_cell"]
