"""The dialogs of ``:files``: upload, edit, details, save a copy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker

from preo_tui.api.files import File
from preo_tui.imports_local import human_size, one_line, read_local, save_copy
from preo_tui.ui.base import forward_worker_failure
from preo_tui.ui.errors import describe_error
from preo_tui.ui.imports.common import PathInput
from preo_tui.ui.orders.export import check_export_path

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90; max-width: 98%; height: auto; max-height: 95%; border: thick $primary;
    background: $panel; padding: 0 1;
}}
{name} .f-title {{ text-style: bold; margin-bottom: 1; }}
{name} .f-row {{ height: 1; margin-top: 1; }}
FileEditModal .f-row {{ margin-top: 0; }}
{name} .f-label {{ width: 11; color: $text-muted; }}
{name} .f-row Input {{ width: 1fr; }}
{name} .f-error {{ color: $text-error; height: auto; margin-left: 11; }}
{name} .f-note {{ color: $text-muted; height: auto; }}
{name} .f-buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; }}
"""


def parse_tags(text: str) -> list[str]:
    return [t for t in dict.fromkeys(p.strip() for p in text.split(",")) if t]


class FileUploadModal(ModalScreen[tuple[Path, bytes, list[str]] | None]):
    """Choose a local file and its tags; dismiss with ``(path, content, tags)``."""

    DEFAULT_CSS = FORM_CSS.format(name="FileUploadModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="file_upload.cancel"),
    ]

    def __init__(self, known_tags: list[str]) -> None:
        super().__init__()
        self.known_tags = known_tags
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Upload a file", classes="f-title")
            with Horizontal(classes="f-row"):
                yield Label("File", classes="f-label")
                yield PathInput(
                    placeholder="~/poster.png (tab completes)", id="u-path", compact=True
                )
            yield Static("", id="u-candidates", classes="f-note", markup=False)
            with Horizontal(classes="f-row"):
                yield Label("Tags", classes="f-label")
                yield Input(
                    placeholder="comma-separated, e.g. poster, 2026", id="u-tags", compact=True
                )
            yield Static(
                "tags in use: " + (one_line(", ".join(self.known_tags), 200) or "none"),
                classes="f-note",
                markup=False,
            )
            yield Static("", id="u-error", classes="f-error", markup=False)
            with Horizontal(classes="f-buttons"):
                yield Button("Cancel \\[esc]", id="u-cancel")
                yield Button("Upload \\[enter]", id="u-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#u-path", PathInput).focus()

    @on(PathInput.Completed, "#u-path")
    def _completed(self, event: PathInput.Completed) -> None:
        shown = self.query_one("#u-candidates", Static)
        shown.update(
            "  ".join(one_line(n, 40) for n in event.candidates[:30])
            if len(event.candidates) > 1
            else ""
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#u-go")
    def action_go(self) -> None:
        self.run_worker(self._go(), group="read", exclusive=True, exit_on_error=False)

    async def _go(self) -> None:
        try:
            path, data = await asyncio.to_thread(
                read_local, self.query_one("#u-path", PathInput).value
            )
        except ValueError as exc:
            self.error_text = str(exc)
            self.query_one("#u-error", Static).update(self.error_text)
            return
        if not data:
            self.error_text = f"{path.name} is empty."
            self.query_one("#u-error", Static).update(self.error_text)
            return
        self.dismiss((path, data, parse_tags(self.query_one("#u-tags", Input).value)))

    @on(Button.Pressed, "#u-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FileEditModal(ModalScreen[File | None]):
    """Edit a file's name, tags and texts; the server's refusal shows beside its field."""

    DEFAULT_CSS = FORM_CSS.format(name="FileEditModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="file_edit.cancel"),
        Binding("ctrl+s", "save", "Save", id="file_edit.save", priority=True),
    ]
    FIELDS = ("file_name", "tags", "image_alt_text", "caption", "copyright")
    LABELS = {"file_name": "Name", "tags": "Tags", "image_alt_text": "Alt text",
              "caption": "Caption", "copyright": "Copyright"}  # fmt: skip

    def __init__(
        self,
        item: File,
        known_tags: list[str],
        save: Callable[[File, dict[str, Any]], Awaitable[File]],
    ) -> None:
        super().__init__()
        self.item = item
        self.known_tags = known_tags
        self.save = save
        self.errors: dict[str, str] = {}

    def initial(self, field: str) -> str:
        if field == "tags":
            return ", ".join(self.item.tags or [])
        return str(getattr(self.item, field) or "")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit {one_line(self.item.file_name, 60)}", classes="f-title")
            for field in self.FIELDS:
                with Horizontal(classes="f-row"):
                    yield Label(self.LABELS[field], classes="f-label")
                    yield Input(self.initial(field), id=f"e-{field}", compact=True)
                yield Static("", id=f"err-{field}", classes="f-error", markup=False)
            yield Static(
                "tags in use: " + (one_line(", ".join(self.known_tags), 200) or "none"),
                classes="f-note",
                markup=False,
            )
            yield Static("", id="e-error", classes="f-error", markup=False)
            with Horizontal(classes="f-buttons"):
                yield Button("Cancel \\[esc]", id="e-cancel")
                yield Button("Save \\[enter]", id="e-go", variant="primary")

    def on_mount(self) -> None:
        for line in self.query(".f-error"):
            line.display = False
        self.query_one("#e-tags", Input).focus()

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in self.FIELDS:
            value = self.query_one(f"#e-{field}", Input).value.strip()
            if value != self.initial(field):
                out[field] = parse_tags(value) if field == "tags" else value
        return out

    def show_error(self, field: str, text: str) -> None:
        self.errors[field] = text
        target = f"#err-{field}" if field in self.FIELDS else "#e-error"
        line = self.query_one(target, Static)
        line.update(text)
        line.display = bool(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#e-go")
    def action_save(self) -> None:
        for field in (*self.FIELDS, "all"):
            self.show_error(field, "")
        self.errors.clear()
        changes = self.changes()
        if not changes:
            self.dismiss(None)
            return
        if changes.get("file_name") == "":
            self.show_error("file_name", "A file needs a name.")
            return
        self.run_worker(self._save(changes), group="save", exclusive=True, exit_on_error=False)

    async def _save(self, changes: dict[str, Any]) -> None:
        try:
            updated = await self.save(self.item, changes)
        except Exception as exc:
            report = describe_error(exc)
            if report.kind in ("NetworkError", "AuthError"):
                raise
            placed = False
            for field, messages in (report.fields or {}).items():
                if field in self.FIELDS:
                    self.show_error(field, " ".join(str(m) for m in messages))
                    placed = True
            if not placed:
                self.show_error("all", f"{report.title}: {one_line(report.message, 300)}")
            return
        wanted = changes.get("file_name")
        if wanted is not None and updated.file_name != wanted:
            self.item = updated
            self.show_error(
                "file_name",
                "Not renamed: this server does not rename files (the other changes are saved).",
            )
            return
        self.dismiss(updated)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    @on(Button.Pressed, "#e-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FileDetailModal(ModalScreen[bool]):
    """A file's details; ``s`` (or enter) saves a copy (dismisses with True)."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="FileDetailModal")
        + "FileDetailModal #d-fields { height: auto; max-height: 20; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="file_detail.close"),
        Binding("s,enter", "save", "Save a copy", id="file_detail.save"),
    ]

    def __init__(self, item: File, fields: Text) -> None:
        super().__init__()
        self.item = item
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(one_line(self.item.file_name or self.item.api_id, 80), classes="f-title")
            with VerticalScroll(id="d-fields"):
                yield Static(self.fields)
            with Horizontal(classes="f-buttons"):
                yield Button("Close \\[esc]", id="d-close")
                yield Button("Save a copy \\[s]", id="d-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#d-save", Button).focus()

    @on(Button.Pressed, "#d-save")
    def action_save(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#d-close")
    def action_close(self) -> None:
        self.dismiss(False)


class SaveCopyModal(ModalScreen[Path | None]):
    """Where to save a copy of a file; an existing file is replaced only after asking."""

    DEFAULT_CSS = FORM_CSS.format(name="SaveCopyModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="file_save.cancel"),
    ]

    def __init__(
        self, item: File, download: Callable[[], Awaitable[bytes]], folder: Path | None = None
    ) -> None:
        super().__init__()
        self.item = item
        self.download = download
        name = Path(item.file_name or item.api_id).name or item.api_id
        self.default = (folder or Path.cwd()) / name
        self.pending_overwrite: Path | None = None
        self.saved: Path | None = None
        self.error_text = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Save a copy of {one_line(self.item.file_name, 60)}", classes="f-title")
            with Horizontal(classes="f-row"):
                yield Label("Save to", classes="f-label")
                yield PathInput(str(self.default), id="s-path", compact=True)
            yield Static("", id="s-error", classes="f-error", markup=False)
            with Horizontal(classes="f-buttons"):
                yield Button("Cancel \\[esc]", id="s-cancel")
                yield Button("Save \\[enter]", id="s-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#s-path", PathInput).focus()

    def show_error(self, text: str) -> None:
        self.error_text = text
        self.query_one("#s-error", Static).update(text)

    @on(Input.Changed, "#s-path")
    def _changed(self) -> None:
        if self.pending_overwrite is not None:
            self.pending_overwrite = None
            self.query_one("#s-go", Button).label = "Save \\[enter]"
            self.show_error("")

    @on(Input.Submitted, "#s-path")
    @on(Button.Pressed, "#s-go")
    def action_go(self) -> None:
        try:
            path = check_export_path(self.query_one("#s-path", PathInput).value)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        if path.exists() and self.pending_overwrite != path:
            self.pending_overwrite = path
            self.show_error(
                f"{path.name} exists. Press enter again to replace it, or change the name."
            )
            self.query_one("#s-go", Button).label = "Replace \\[enter]"
            return
        overwrite = self.pending_overwrite == path
        self.run_worker(
            self._save(path, overwrite), group="save", exclusive=True, exit_on_error=False
        )

    async def _save(self, path: Path, overwrite: bool) -> None:
        self.show_error(f"downloading {human_size(self.item.size)}…")
        try:
            data = await self.download()
            await asyncio.to_thread(save_copy, path, data, overwrite=overwrite)
        except FileExistsError:
            self.show_error(f"{path.name} appeared meanwhile: press enter again to replace it.")
            self.pending_overwrite = None
            return
        except OSError as exc:
            self.show_error(f"Cannot write {path}: {exc.strerror or exc}.")
            return
        except Exception as exc:
            report = describe_error(exc)
            self.show_error(f"{report.title}: {one_line(report.message, 300)}")
            return
        self.saved = path
        self.app.notify(f"Saved {path}", timeout=5)
        self.dismiss(path)

    @on(Button.Pressed, "#s-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
