"""Segment CSV export: the ``x``/``y`` actions of the segments screen (:class:`SegmentExport`,
a mixin of it), the path dialog, path checks and the file placement (split out of
:mod:`preo_tui.ui.segments.screen`, which re-exports the dialog)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from preo_tui.api.segments import Segment
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.segments.common import _value, slug
from preo_tui.ui.widgets.confirm import ConfirmModal


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


if TYPE_CHECKING:
    _Base = ListDetailScreen[Segment]
else:
    _Base = object


class SegmentExport(_Base):
    """``x`` exports the selected segment's users as CSV to a file, ``y`` copies its path
    (a mixin of the segments screen, which binds the keys and shows the last export)."""

    # Set by the screen.
    current: Segment | None
    last_export: Path | None
    last_export_rows: int | None
    last_export_segment: str | None

    if TYPE_CHECKING:

        def _selected(self) -> Segment | None: ...

    # -- export ---------------------------------------------------------------------------------

    def default_export_path(self, item: Segment) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        return str(Path.cwd() / f"{slug(item.name or item.id)}-{stamp}.csv")

    def action_export(self) -> None:
        item = self._selected()
        if item is None:
            return
        if _value(item.status) != "completed":
            self.notify(
                f"{item.name} is {_value(item.status)}: only a completed segment can be "
                "exported. Recalculate it first (c).",
                severity="warning",
                timeout=6,
            )
            return
        self.run_job(self._export(item), group="export", exclusive=True)

    async def _export(self, item: Segment, path_text: str | None = None) -> Path | None:
        if path_text is None:
            path_text = await self.app.push_screen_wait(
                ExportPathModal(
                    f"Export the {item.user_count or 0:,} users of {item.name} as CSV",
                    self.default_export_path(item),
                )
            )
        if not path_text:
            return None
        problem = export_path_problem(path_text)
        if problem:
            self.notify(problem, title="Export", severity="error", timeout=6)
            return None
        path = resolve_export_path(path_text)
        replace = False
        if path.exists():
            replace = await self._confirm_replace(path, item)
            if not replace:
                return None
        client = self.ctx.client
        assert client is not None
        # Download beside the target first; then move it in without replacing a file that
        # appeared meanwhile unless the operator said so.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.download")
        try:
            await client.segments.export_csv(item.id, tmp)
            placed = await asyncio.to_thread(_place, tmp, path, replace)
            if not placed:
                if not await self._confirm_replace(path, item):
                    return None
                await asyncio.to_thread(_place, tmp, path, True)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        rows = await asyncio.to_thread(_count_csv_rows, path)
        self.last_export = path
        self.last_export_rows = rows
        self.last_export_segment = item.id
        self.show_detail(self.current)
        self.notify(
            f"{rows:,} users written to {path}  (y copies the path)", title="Exported", timeout=8
        )
        return path

    async def _confirm_replace(self, path: Path, item: Segment) -> bool:
        ok: bool = await self.app.push_screen_wait(
            ConfirmModal(
                "Replace the existing file?",
                f"{path} already exists. Replace it with the export of {item.name}?",
                confirm_label="Replace",
            )
        )
        if not ok:
            self.notify("Export cancelled; the file was left as it was.", timeout=4)
        return ok

    def action_copy_export_path(self) -> None:
        if self.last_export is None:
            self.notify("Nothing exported yet (x exports the selected segment).", timeout=4)
            return
        self.preo_app.copy_text(str(self.last_export), what="path")
