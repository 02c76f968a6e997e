"""Field errors of the editor forms (campaign compose, email message editor).

Each field has a ``Static`` with id ``err-<field>`` under it: hidden while the field is fine,
showing the problem otherwise. The screen's CSS styles ``.field-error``.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.dom import DOMNode
from textual.widgets import Static


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
