"""Field errors of the editor forms (campaign compose, email message editor), and
``TracksChanges``: the unsaved-changes state of a modal form.

Each field has a ``Static`` with id ``err-<field>`` under it: hidden while the field is fine,
showing the problem otherwise. The screen's CSS styles ``.field-error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, SelectionList, Static


def field_error(field: str) -> Static:
    """The (empty) error line of ``field``, to yield under its input."""
    return Static("", id=f"err-{field}", classes="field-error", markup=False)


def hide_field_errors(root: DOMNode, fields: Iterable[str]) -> None:
    """Hide the error lines of ``fields`` (on mount: nothing to say yet)."""
    for field in fields:
        root.query_one(f"#err-{field}", Static).display = False


def show_field_error(root: DOMNode, field: str, text: str, *, visible: bool | None = None) -> None:
    """Show ``text`` under ``field``; the line is hidden when ``visible`` is False (by default:
    when ``text`` is empty)."""
    widget = root.query_one(f"#err-{field}", Static)
    widget.update(text)
    widget.display = bool(text) if visible is None else visible


class TracksChanges:
    """Mixin for a form screen: ``dirty`` once the operator changed one of its controls
    (a change made while the control, or something inside it, has focus — values the form
    fills in itself do not count). The app asks before anything closes a dirty form."""

    DIRTY_WHAT: ClassVar[str] = "The form"
    #: False for dialogs whose contents are not work (a filter dialog).
    ASK_BEFORE_DISCARD: ClassVar[bool] = True
    _touched: bool = False

    @property
    def dirty(self) -> bool:
        return self.ASK_BEFORE_DISCARD and self._touched

    def _note_change(self, control: Widget) -> None:
        focused = getattr(self, "focused", None)
        if focused is not None and (focused is control or control in focused.ancestors):
            self._touched = True

    def on_input_changed(self, event: Input.Changed) -> None:
        self._note_change(event.input)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._note_change(event.select)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._note_change(event.checkbox)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[Any]) -> None:
        self._note_change(event.selection_list)

    def on_text_area_changed(self, event: Any) -> None:  # TextArea.Changed (imported lazily)
        self._note_change(event.text_area)

    def close_asking(self, close: Callable[[], object]) -> None:
        """``close()`` now, or after the operator agreed to discard unsaved changes."""
        if not self.dirty:
            close()
            return
        from preo_tui.ui.widgets.confirm import ConfirmModal

        def answered(ok: bool | None) -> None:
            if ok:
                close()

        app: Any = getattr(self, "app")  # noqa: B009 - the mixin lives on a Screen
        app.push_screen(
            ConfirmModal(
                "Discard your changes?",
                f"{self.DIRTY_WHAT} has unsaved changes.",
                confirm_label="Discard",
                cancel_label="Keep editing",
            ),
            callback=answered,
        )
