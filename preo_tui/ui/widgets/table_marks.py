"""Marks of a ``PagedTable``: a set of ids that survives refreshes, re-sorting and paging
(``space`` toggles, ``shift+up/down`` extend), drawn in the mark column. A mixin:
``PagedTable`` holds the state and the ``MarksChanged`` message."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.widgets.data_table import RowDoesNotExist

from preo_tui.ui.widgets.paging import MARK_COLUMN, MARK_ON

if TYPE_CHECKING:
    from textual.widgets import DataTable

    _Base = DataTable[Any]
else:
    _Base = object


class MarksMixin(_Base):
    """Marks by id for ``PagedTable``."""

    marks: set[str]
    markable: bool
    row_id: Callable[[Any], str]
    _items: list[Any]
    _ids: list[str]

    if TYPE_CHECKING:
        MarksChanged: ClassVar[Any]

        @property
        def current_item(self) -> Any: ...

    def marked_items(self) -> list[Any]:
        """Marked items that are in the window (marks outside it are ids only)."""
        return [item for item, key in zip(self._items, self._ids, strict=True) if key in self.marks]

    def set_marks(self, ids: Iterable[str]) -> None:
        self.marks = set(ids)
        self._redraw_marks()

    def add_marks(self, ids: Iterable[str]) -> None:
        self.marks.update(ids)
        self._redraw_marks()

    def clear_marks(self) -> None:
        self.marks.clear()
        self._redraw_marks()

    # -- marks --------------------------------------------------------------------------------

    def _redraw_marks(self) -> None:
        if self.markable:
            for key in self._ids:
                try:
                    self.update_cell(key, MARK_COLUMN, MARK_ON if key in self.marks else " ")
                except (RowDoesNotExist, KeyError):
                    continue
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))

    def _set_mark(self, key: str, on: bool) -> None:
        if on:
            self.marks.add(key)
        else:
            self.marks.discard(key)
        if self.markable:
            try:
                self.update_cell(key, MARK_COLUMN, MARK_ON if on else " ")
            except (RowDoesNotExist, KeyError):
                pass

    def action_toggle_mark(self) -> None:
        if not self.markable:
            return
        item = self.current_item
        if item is None:
            return
        key = self.row_id(item)
        self._set_mark(key, key not in self.marks)
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))
        if self.cursor_row < len(self._items) - 1:
            self.move_cursor(row=self.cursor_row + 1)

    def action_extend_mark(self, step: int) -> None:
        """Mark the current row and the one ``step`` away, moving the cursor there."""
        if not self.markable:
            return
        item = self.current_item
        if item is None:
            return
        self._set_mark(self.row_id(item), True)
        target = self.cursor_row + step
        if 0 <= target < len(self._items):
            self.move_cursor(row=target)
            self._set_mark(self._ids[target], True)
        self.post_message(self.MarksChanged(self, frozenset(self.marks)))


__all__ = ["MarksMixin"]
