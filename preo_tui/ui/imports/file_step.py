"""Step 1 of the import wizard: choose a local CSV (or an uploaded file) and upload it.

The path input completes folders and files with ``tab`` (``~`` expanded); ``enter`` reads the
file and shows its size, detected encoding and delimiter (both overridable) and the first lines
as a table. ``ctrl+o`` picks a file already uploaded to the organization instead. ``ctrl+n``
uploads it (re-encoded as UTF-8 with commas, so the server reads what the preview showed) and
creates the import; the server extracts the columns and the wizard goes on to step 2.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, ProgressBar, Select, Static

from preo_tui.api.files import File
from preo_tui.imports_local import (
    DELIMITERS,
    ENCODINGS,
    TABLE_SUFFIXES,
    TablePreview,
    human_size,
    one_line,
    read_local,
    read_table_preview,
)
from preo_tui.ui.imports.common import PathInput
from preo_tui.ui.imports.wizard_base import WizardBase
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.writes import perform_file

AUTO = "auto"


class FileStep(WizardBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_data: bytes | None = None
        self.file_name = ""
        #: Where the file came from: a local path, or the id of a file uploaded to the
        #: organization (journalled with the import so that it can be resent).
        self.file_path: Path | None = None
        self.file_id: str | None = None
        self.file_preview: TablePreview | None = None
        self._upload_started = 0.0

    def compose_file_step(self) -> ComposeResult:
        with Vertical(id="w-page-1", classes="w-page"):
            yield Static(
                "Choose a CSV file: tab completes, enter reads it · ctrl+o an uploaded file"
                " · ctrl+n uploads it",
                classes="w-help",
                markup=False,
            )
            with Horizontal(classes="w-row"):
                yield Label("File", classes="w-label")
                yield PathInput(
                    placeholder="~/Downloads/orders.csv",
                    suffixes=TABLE_SUFFIXES,
                    id="w-path",
                    compact=True,
                )
            yield Static("", id="w-candidates", markup=False)
            with Horizontal(classes="w-row"):
                yield Label("Encoding", classes="w-label")
                yield Select(
                    [("auto", AUTO), *((e, e) for e in ENCODINGS)],
                    value=AUTO,
                    allow_blank=False,
                    id="w-encoding",
                    compact=True,
                )
                yield Label("Delimiter", classes="w-label w-label2")
                yield Select(
                    [("auto", AUTO), *DELIMITERS],
                    value=AUTO,
                    allow_blank=False,
                    id="w-delimiter",
                    compact=True,
                )
            with Horizontal(classes="w-row"):
                yield Label("Name", classes="w-label")
                yield Input(placeholder="the file's name", id="w-name", compact=True)
            yield Static("", id="w-file-info", markup=False)
            yield DataTable(id="w-file-table", cursor_type="none", zebra_stripes=True)
            yield ProgressBar(total=None, show_eta=False, id="w-upload")

    def on_mount(self) -> None:
        self.query_one("#w-candidates", Static).display = False
        self.query_one("#w-upload", ProgressBar).display = False
        self.query_one("#w-file-table", DataTable).display = False

    # -- choosing -----------------------------------------------------------------------------

    @on(PathInput.Completed, "#w-path")
    def _completed(self, event: PathInput.Completed) -> None:
        shown = self.query_one("#w-candidates", Static)
        names = event.candidates
        if len(names) > 1:
            text = "  ".join(one_line(n, 40) for n in names[:30])
            shown.update(text + ("  …" if len(names) > 30 else ""))
        else:
            shown.update("" if names else "no match")
        shown.display = len(names) != 1

    @on(Input.Submitted, "#w-path")
    def _path_submitted(self) -> None:
        self.read_file()

    @on(Select.Changed, "#w-encoding")
    @on(Select.Changed, "#w-delimiter")
    def _override(self) -> None:
        if self.file_data is not None:
            self.run_job(self._preview, group="file-preview", exclusive=True)

    def read_file(self) -> None:
        if self.imp is not None:
            self.show_step_error(
                "This import already has its file; cancel it and start a new one to use another."
            )
            return
        self.query_one("#w-candidates", Static).display = False
        self.run_job(self._read_file, group="file-preview", exclusive=True)

    async def _read_file(self) -> None:
        typed = self.query_one("#w-path", PathInput).value
        try:
            path, data = await asyncio.to_thread(read_local, typed)
        except ValueError as exc:
            self.show_step_error(str(exc))
            return
        await self.use_file(path.name, data, path=path)

    async def use_file(
        self, name: str, data: bytes, *, path: Path | None = None, file_id: str | None = None
    ) -> None:
        name_input = self.query_one("#w-name", Input)
        if name_input.value in ("", self.file_name):  # not typed by the operator
            name_input.value = name
        self.file_data, self.file_name = data, name
        self.file_path, self.file_id = path, file_id
        await self._preview()

    def _choice(self, select_id: str) -> str | None:
        value = self.query_one(select_id, Select).value
        return None if value in (AUTO, Select.BLANK) else str(value)

    async def _preview(self) -> None:
        data = self.file_data
        if data is None:
            return
        preview = await asyncio.to_thread(
            read_table_preview,
            data,
            self.file_name,
            encoding=self._choice("#w-encoding"),
            delimiter=self._choice("#w-delimiter"),
        )
        self.file_preview = preview
        self.show_step_error(preview.error)
        self.show_preview(preview)

    def show_preview(self, p: TablePreview) -> None:
        info = self.query_one("#w-file-info", Static)
        table = self.query_one("#w-file-table", DataTable)
        table.clear(columns=True)
        if p.excel:
            info.update(
                f"{one_line(p.name, 60)} · {human_size(p.size)} · Excel workbook: sent as it is,"
                " the server reads its first sheet"
            )
            table.display = False
            return
        enc = f"{p.encoding} (detected)" if p.encoding_detected else p.encoding
        delim = f"{p.delimiter_label} (detected)" if p.delimiter_detected else p.delimiter_label
        info.update(
            f"{one_line(p.name, 60)} · {human_size(p.size)} · {p.row_count:,} rows"
            f" · {len(p.header)} columns · encoding {enc} · delimiter {delim}"
        )
        if not p.header:
            table.display = False
            return
        # Text cells: a CSV cell is never read as markup
        table.add_columns(*(Text(one_line(h, 24)) for h in p.header))
        for row in p.rows:
            cells = (row + [""] * len(p.header))[: len(p.header)]
            table.add_row(*(Text(one_line(c, 24)) for c in cells))
        table.display = True

    # -- an uploaded file ---------------------------------------------------------------------

    def action_pick_uploaded(self) -> None:
        if self.step != 1 or self.imp is not None:
            return
        self.run_job(self._pick_uploaded, group="pick-uploaded", exclusive=True)

    async def _pick_uploaded(self) -> None:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return
        self.set_busy("reading the organization's files…")
        try:
            page = await client.files.list(organization_id=org.id, page_size=200)
        finally:
            self.set_busy("")
        files = [f for f in page.results if (f.file_name or "").lower().endswith((".csv", ".xlsx"))]
        if not files:
            self.show_step_error("No CSV or Excel file is uploaded to this organization.")
            return
        choices = [Choice(f, f"{one_line(f.file_name, 40)}  {human_size(f.size)}") for f in files]
        chosen: File | None = await self.app.push_screen_wait(
            ChoiceModal("Use an uploaded file", choices)
        )
        if chosen is None:
            return
        self.set_busy(f"downloading {one_line(chosen.file_name, 40)}…")
        try:
            data = await client.files.download(chosen)
        finally:
            self.set_busy("")
        self.query_one("#w-path", PathInput).value = f"(uploaded) {chosen.file_name}"
        await self.use_file(chosen.file_name or "upload.csv", data, file_id=chosen.api_id)

    # -- upload -------------------------------------------------------------------------------

    def upload(self) -> None:
        if self.imp is not None:
            self.go_to(2)
            return
        p = self.file_preview
        if p is None or self.file_data is None:
            self.show_step_error("Choose a file first: type its path and press enter.")
            self.query_one("#w-path", PathInput).focus()
            return
        if p.error:
            self.show_step_error(p.error)
            return
        if not self.writable():
            return
        self.run_job(self._upload, group="upload", exclusive=True)

    async def _upload(self) -> None:
        client = self.ctx.client
        edition = self.ctx.edition
        p = self.file_preview
        data = self.file_data
        if client is None or edition is None or p is None or data is None:
            return
        bar = self.query_one("#w-upload", ProgressBar)
        bar.display = True
        self._upload_started = time.monotonic()
        timer = self.set_interval(0.25, self._upload_tick)
        self.set_busy(f"uploading {human_size(len(data))}…")
        try:
            csv: dict[str, str] | None = None
            name = self.file_name
            if not p.excel:
                # Re-encoded as UTF-8 with commas when sent (the journal keeps how).
                csv = {"encoding": p.encoding, "delimiter": p.delimiter}
                name = self.file_name.rsplit(".", 1)[0] + ".csv"
            title = self.query_one("#w-name", Input).value.strip() or self.file_name
            created = await perform_file(
                self.ctx,
                "data_imports.create",
                f"create data import {title} ({p.row_count:,} rows) in {edition.name}",
                data,
                self,
                path=self.file_path,
                file_id=self.file_id,
                edition_id=edition.id,
                data_file_name=name,
                name=title,
                csv=csv,
            )
        finally:
            timer.stop()
            bar.display = False
            self.set_busy("")
        self.adopt(created)
        self.query_one("#w-path", PathInput).disabled = True
        self.go_to(2)

    def _upload_tick(self) -> None:
        seconds = time.monotonic() - self._upload_started
        size = human_size(len(self.file_data or b""))
        self.set_busy(f"uploading {size}… {seconds:.0f} s (the server reads the columns)")

    def file_step_entered(self) -> None:
        info = self.query_one("#w-file-info", Static)
        path = self.query_one("#w-path", PathInput)
        if self.imp is not None:
            path.disabled = True
            if self.file_preview is None:
                info.update(
                    f"Uploaded file: {one_line(self.imp.data_file_name or '—', 60)}"
                    f" · {self.imp.total_rows or 0:,} rows. To use another file, cancel this"
                    " import and start a new one."
                )
        else:
            path.focus()

    @property
    def has_unsent_file(self) -> bool:
        return self.imp is None and self.file_data is not None
