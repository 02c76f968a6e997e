"""Drawing a list's rows fast: ``FastRowsMixin`` for ``DataTable`` subclasses (``PagedTable``).

A ``pagedown`` draws a screenful of rows never drawn before. ``DataTable`` draws each one
through Rich's whole pipeline and, for every line, recomputes component styles from CSS
(``get_component_styles(...).rich_style`` walks the ancestors' backgrounds) and the ordered
column list. This mixin keeps the same caches and cache keys but:

- draws one-line text cells straight into segments (:mod:`.cell_render`);
- remembers the component styles per pseudo-class state (cleared when styles change) and the
  column widths per table update;
- builds a plain body row (row cursor, no fixed columns, no row labels) in one loop, and keeps
  the whole row's line per row and state (a cursor moving one row redraws two rows);
- hands its lines to the compositor itself when it has no border, padding or effects: Textual's
  styles cache would build a new strip for every line drawn again, so the filtered strips it
  made could not be kept (``_render_lines_direct``).

Anything else (the header, fixed rows/columns, labels, multi-line rows) goes to ``DataTable``.
The output is the same characters and styles: ``tests/ui/test_paged_table_drawing.py`` compares
both paths, ``tests/ui/test_paged_table_cache.py`` the caches with a table drawn from scratch.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual._segment_tools import line_crop
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets.data_table import RowKey

from preo_tui.ui.widgets.cell_render import render_simple_cell

#: Whole row lines kept (two or three screenfuls at 160x48; cleared when full).
ROW_STRIPS = 160

if TYPE_CHECKING:
    from textual.widgets import DataTable

    _Base = DataTable[Any]
else:
    _Base = object


class FastRowsMixin(_Base):
    """Fast paths for ``DataTable``'s row and cell drawing (see the module docstring)."""

    fast_rows: bool = True
    """False draws everything the ``DataTable`` way (the tests compare both)."""

    _fast_styles: dict[tuple[str, Any], Style]
    _fast_base_style: Style | None
    _fast_width: int | None
    _fast_widths: tuple[Any, list[int]] | None
    _fast_row_strips: dict[Any, Strip]

    def _fast_reset(self) -> None:
        self._fast_styles = {}
        self._fast_widths = None
        self._fast_row_strips = {}

    def _component_style(self, name: str) -> Style:
        key = (name, self._pseudo_class_state)
        styles = self.__dict__.get("_fast_styles")
        if styles is None:
            self._fast_reset()
            styles = self._fast_styles
        hit = styles.get(key)
        if hit is None:
            hit = styles[key] = self.get_component_styles(name).rich_style
        return hit

    def _column_widths_now(self) -> list[int]:
        key = (self._update_count, len(self.columns))
        cached: tuple[Any, list[int]] | None = self.__dict__.get("_fast_widths")
        if cached is not None and cached[0] == key:
            return cached[1]
        widths: list[int] = [column.get_render_width(self) for column in self.ordered_columns]
        self._fast_widths = (key, widths)
        return widths

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._fast_reset()

    def notify_style_update(self) -> None:
        self._fast_reset()
        super().notify_style_update()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        """``DataTable._render_cell`` (same cache key, same segments) with a fast path for
        one-line text cells of the body."""
        if (
            not self.fast_rows
            or row_index < self.fixed_rows
            or column_index < self.fixed_columns
            or row_index < 0
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        hit = cache.get(cache_key)
        if hit is not None:
            return hit
        row = self.rows.get(row_key)
        lines = None
        if row is not None and row.height == 1 and not row.auto_height:
            value = self._data.get(row_key, {}).get(column_key)
            component, post = self._body_cell_styles(hover, cursor)
            pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
            lines = render_simple_cell(
                self.app.console, value, width, self.cell_padding, pre + component, post
            )
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache[cache_key] = lines
        return lines

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> Any:
        """``DataTable._render_line_in_row`` for a plain body row (row cursor, no fixed
        columns, no labels); anything else goes to ``DataTable``."""
        if (
            not self.fast_rows
            or row_key is self._header_row_key
            or line_no != 0
            or self.cursor_type != "row"
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            self.cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        hit = self._row_render_cache.get(cache_key)
        if hit is not None:
            return hit
        row_index = self._row_locations.get(row_key)
        if row_index is None or row_index < self.fixed_rows:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        if self.zebra_stripes:
            row_style = self._component_style(
                "datatable--odd-row" if row_index % 2 else "datatable--even-row"
            )
        else:
            row_style = base_style
        cursor = row_index == cursor_location.row
        hover = row_index == hover_location.row
        widths = self._column_widths_now()
        scrollable_row = self._fast_cells(row_key, row_index, row_style, widths, cursor, hover)
        remaining_space = max(0, self.size.width - sum(widths) - self._row_label_column_width)
        extend_style = self._extend_style(row_style, row_index, cursor, hover)
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])
        row_pair: Any = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _body_cell_styles(self, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """DataTable's component and post styles for a body cell (not header, not fixed, not
        a row label): one place for the fast path's two callers."""
        return self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )

    def _extend_style(self, row_style: Style, row_index: int, cursor: bool, hover: bool) -> Style:
        """The style of the blank that fills a row past its last column."""
        extend_style, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            False, False,
        )  # fmt: skip
        extend_style = row_style + extend_style
        return extend_style + Style.from_meta(
            {"row": row_index, "column": 0, "out_of_bounds": True}
        )

    def _fast_cells(
        self,
        row_key: RowKey,
        row_index: int,
        row_style: Style,
        widths: list[int],
        cursor: bool,
        hover: bool,
        cached: bool = True,
    ) -> list[Any]:
        """The first line of each cell of a body row: ``_render_cell`` with what is the same
        for the whole row (styles, the row's data) worked out once. ``cached=False``: the
        caller keeps the whole row (no per-cell cache entries)."""
        component, post = self._body_cell_styles(hover, cursor)
        row = self.rows.get(row_key)
        simple = row is not None and row.height == 1 and not row.auto_height
        data = self._data.get(row_key, {})
        cache = self._cell_render_cache
        console = self.app.console
        padding = self.cell_padding
        styled_row = row_style + component
        show_hover, update_count, pseudo = (
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cells: list[Any] = []
        column_key_at = self._column_locations.get_key
        from_meta = Style.from_meta
        for index, width in enumerate(widths):
            column_key = column_key_at(index)
            lines = None
            if simple and column_key is not None:
                cache_key: Any = None
                if cached:
                    cache_key = (
                        row_key, column_key, row_style, cursor, hover, show_hover, update_count,
                        pseudo,
                    )  # fmt: skip
                    lines = cache.get(cache_key)
                if lines is None:
                    meta = from_meta({"row": row_index, "column": index})
                    lines = render_simple_cell(
                        console, data.get(column_key), width, padding, styled_row, post, meta
                    )
                    if lines is not None and cached:
                        cache[cache_key] = lines
            if lines is None:
                lines = self._render_cell(row_index, index, row_style, width, cursor, hover)
            cells.append(lines[0])
        return cells

    def render_lines(self, crop: Any) -> list[Strip]:
        """Work out the table's base style once per render, not once per line (``rich_style``
        walks every ancestor's styles: 45 times per frame at 160x48)."""
        self._fast_base_style = self.rich_style if self.fast_rows else None
        self._fast_width = self.size.width
        try:
            lines: list[Strip] | None = None
            if self.fast_rows:
                lines = self._render_lines_direct(crop)
            if lines is None:
                lines = super().render_lines(crop)
        finally:
            self._fast_base_style = None
            self._fast_width = None
        return lines

    def _render_lines_direct(self, crop: Region) -> list[Strip] | None:
        """``Widget.render_lines`` for a table without border, padding, outline, tint,
        opacity or hatch (None otherwise): Textual's styles cache then only pads each line to
        the width and applies the app's line filters, but it builds a new strip for every
        line it draws again, so nothing it did for a line is kept. Here each line is the
        table's own cached strip, and the filtered strip is cached on it (``apply_filter``):
        a row drawn before costs a dictionary lookup. Same segments as the styles cache."""
        styles = self.styles
        size = self.region.size
        if (
            self.content_region.size != size
            or styles.border
            or styles.outline
            or styles.tint.a
            or self.opacity != 1.0
            or styles.text_opacity != 1.0
            or (styles.has_rule("hatch") and styles.hatch != "none")
            or self._border_title is not None
            or self._border_subtitle is not None
            or self.hover_style._link_id
        ):
            return None
        self._pseudo_class_state = self.get_pseudo_class_state()  # as DataTable.render_lines
        base_background, background = self.background_colors
        inner = self._styles_cache.get_inner_outer(base_background, background)[0].rich_style
        width, height = size
        filters = self.get_line_filters()
        render_line = self.render_line
        strips: list[Strip] = []
        for y in crop.line_range:
            if y < height:
                strip = render_line(y).adjust_cell_length(width, inner)
            else:
                strip = Strip.blank(width, inner)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        """``DataTable.render_line`` with the base style of this render (see ``render_lines``)."""
        base_style: Style | None = self.__dict__.get("_fast_base_style")
        if base_style is None or self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.get_row_height(self._header_row_key) if self.show_header else 0):
            y += scroll_y
        width = self.__dict__.get("_fast_width") or self.size.width
        return self._render_line(y, scroll_x, scroll_x + width, base_style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """``DataTable._render_line`` without fixed columns (it summed their widths from a
        freshly built column list on every line); a plain body row comes whole from
        :meth:`_row_strip` (cached per row and state), cropped to the visible columns."""
        if self.fixed_columns or not self.fast_rows:
            return super()._render_line(y, x1, x2, base_style)
        width = self.__dict__.get("_fast_width") or self.size.width
        try:
            row_key, y_offset_in_row = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base_style)
        if (
            y_offset_in_row == 0
            and row_key is not self._header_row_key
            and self.cursor_type == "row"
            and not (self._labelled_row_exists and self.show_row_labels)
        ):
            whole = self._row_strip(row_key, base_style)
            if whole is not None:
                return whole.crop(x1, x2).adjust_cell_length(width, base_style)
        cache_key = (
            y,
            x1,
            x2,
            width,
            self.cursor_coordinate,
            self.hover_coordinate,
            base_style,
            self.cursor_type,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        hit = self._line_cache.get(cache_key)
        if hit is not None:
            return hit
        _fixed, scrollable = self._render_line_in_row(
            row_key,
            y_offset_in_row,
            base_style,
            cursor_location=self.cursor_coordinate,
            hover_location=self.hover_coordinate,
        )
        segments = line_crop(list(chain.from_iterable(scrollable)), x1, x2, width)
        # The fast cells come with their blanks joined: no simplify() pass (a third strip
        # per line); the characters and styles are the same (test_paged_table_drawing).
        strip = Strip(segments).adjust_cell_length(width, base_style)
        self._line_cache[cache_key] = strip
        return strip

    def _row_strip(self, row_key: RowKey, base_style: Style) -> Strip | None:
        """The whole line of a one-line body row (every column, the blank after the last),
        as ``_render_line_in_row`` draws it, built in one pass and kept per row and state:
        what it shows depends only on the row's cells (``_update_count``), its index (stripe,
        mouse meta), whether the cursor or the mouse is on it, the column widths (a change
        clears the caches) and the styles (``_pseudo_class_state``, ``base_style``, theme).
        A cursor moving one row redraws two rows; the others come from here."""
        row_index = self._row_locations.get(row_key)
        if row_index is None or row_index < self.fixed_rows:
            return None
        cursor = row_index == self.cursor_coordinate.row
        hover = row_index == self.hover_coordinate.row
        cache_key = (
            row_key,
            row_index,
            cursor,
            hover,
            base_style,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
            self.zebra_stripes,
        )
        rows: dict[Any, Strip] | None = self.__dict__.get("_fast_row_strips")
        if rows is None:
            self._fast_reset()
            rows = self._fast_row_strips
        hit = rows.get(cache_key)
        if hit is not None:
            return hit
        if self.zebra_stripes:
            row_style = self._component_style(
                "datatable--odd-row" if row_index % 2 else "datatable--even-row"
            )
        else:
            row_style = base_style
        widths = self._column_widths_now()
        cells = self._fast_cells(row_key, row_index, row_style, widths, cursor, hover, False)
        width = self.__dict__.get("_fast_width") or self.size.width
        remaining_space = max(0, width - sum(widths) - self._row_label_column_width)
        extend_style = self._extend_style(row_style, row_index, cursor, hover)
        segments = list(chain.from_iterable(cells))
        if remaining_space:
            segments.append(Segment(" " * remaining_space, extend_style))
        strip = Strip(segments, sum(widths) + remaining_space)
        if len(rows) >= ROW_STRIPS:
            rows.clear()  # a screenful or two is what is drawn again; start over
        rows[cache_key] = strip
        return strip


__all__ = ["FastRowsMixin"]
