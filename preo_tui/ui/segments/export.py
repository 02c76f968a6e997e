"""Segment CSV export helpers: the path dialog, path checks and the file placement
(split out of :mod:`preo_tui.ui.segments.screen`, which re-exports them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class ExportPathModal(ModalScreen[str | None]):
    """Ask where to write the CSV (prefilled); dismisses with the path text or None."""

    DEFAULT_CSS = """
    ExportPathModal { align: center middle; }
    ExportPathModal > Vertical {
        width: 90; max-width: 95%; height: auto;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ExportPathModal .export-title { text-style: bold; margin-bottom: 1; }
    ExportPathModal .export-error { color: $text-error; height: auto; }
    ExportPathModal .export-buttons { height: auto; align-horizontal: right; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="segments.export_cancel"),
    ]

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="export-title", markup=False)
            yield Label("Write the CSV to (enter to export, escape to cancel):", markup=False)
            yield Input(self.default, id="export-path")
            yield Label("", classes="export-error", id="export-error", markup=False)
            with Horizontal(classes="export-buttons"):
                yield Button("Cancel [esc]", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export")
    def _submit(self) -> None:
        value = self.query_one("#export-path", Input).value.strip()
        problem = export_path_problem(value)
        if problem:
            self.query_one("#export-error", Label).update(problem)
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def resolve_export_path(text: str) -> Path:
    return Path(text).expanduser().resolve()


def export_path_problem(text: str) -> str:
    """Why ``text`` cannot be exported to ("" when it can)."""
    if not text:
        return "Enter a file path."
    try:
        path = resolve_export_path(text)
    except (OSError, RuntimeError, ValueError) as exc:
        return f"Not a usable path: {exc}"
    if path.is_dir():
        return f"{path} is a directory: add a file name."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    return ""


def _place(tmp: Path, path: Path, replace: bool) -> bool:
    """Move the downloaded ``tmp`` to ``path``; without ``replace`` never clobber an existing
    file (False when one is there)."""
    if replace:
        os.replace(tmp, path)
        return True
    try:
        os.link(tmp, path)  # atomic: fails when the name exists
    except FileExistsError:
        return False
    except OSError:
        # no hard links on this file system: exclusive create and copy
        try:
            with path.open("xb") as out, tmp.open("rb") as src:
                shutil.copyfileobj(src, out)
        except FileExistsError:
            return False
    return True


def _count_csv_rows(path: Path) -> int:
    """Data rows of a CSV file (the header excluded; quoted newlines handled)."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return sum(1 for _ in reader)
