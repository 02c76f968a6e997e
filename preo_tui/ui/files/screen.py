"""``:files`` — the organization's files.

List: name, type, size, tags, uploaded by, uploaded. ``t`` filters by one of the server's
``available_tags``, ``/`` searches by name (the contract's ``file_name`` contains), ``o`` sorts
(name, uploaded, updated). ``u`` uploads a local file with tags, ``e`` edits its tags and texts
(and its name, where the server accepts it), ``d`` deletes (asks; a file in use answers with
the server's reason), ``enter`` shows the details and ``s`` saves a copy locally (never
overwriting without asking).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.api.files import File
from preo_tui.imports_local import human_size, one_line
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.files.forms import FileDetailModal, FileEditModal, FileUploadModal, SaveCopyModal
from preo_tui.ui.imports.common import import_write
from preo_tui.ui.list_actions import (
    confirm_delete,
    forget_deleted,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage
from preo_tui.ui.writes import perform_file


def file_type(item: File) -> str:
    if item.content_type:
        return item.content_type.split(";")[0]
    guessed = mimetypes.guess_type(item.file_name or "")[0]
    return guessed or "—"


def usages_text(item: File) -> str:
    used = item.usages or []
    return ", ".join(f"{u.model} {u.id}" for u in used) or "not in use"


@register_screen(
    "files",
    title="Files",
    aliases=("file", "fil"),
    description="The organization's files: upload, tags, details, save a copy, delete",
    needs_edition=False,
)
class FilesScreen(ListDetailScreen[File]):
    SCREEN_TITLE = "Files"
    MARKABLE = False
    DEFAULT_ORDERING = "-created_at"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        # Names first (issue 15); the times keep their date when the room is short.
        ColumnSpec("name", "Name", 48, ordering="file_name", min_width=24, priority=3),
        ColumnSpec("type", "Type", 15, min_width=9, priority=1),
        ColumnSpec("size", "Size", 8, justify="right"),
        ColumnSpec("tags", "Tags", 14, min_width=10, priority=1),
        ColumnSpec("by", "By", 8, min_width=3, priority=1),
        ColumnSpec("uploaded", "Uploaded", 16, ordering="created_at", min_width=10),
        ColumnSpec("updated", "Updated", 16, ordering="updated_at", min_width=10),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "upload", "Upload", id="files.upload"),
        Binding("e", "edit", "Edit", id="files.edit"),
        Binding("d", "delete", "Delete", id="files.delete"),
        Binding("enter", "details", "Details", id="files.details"),
        Binding("s", "save_copy", "Save copy", id="files.save"),
        Binding("t", "tag_filter", "Tag filter", id="files.tags"),
    ]

    DEFAULT_CSS = """
    FilesScreen.-wide #list-pane { width: 5fr; }
    FilesScreen.-wide #detail-pane { width: 2fr; }
    FilesScreen #fil-title { text-style: bold; height: auto; }
    FilesScreen #fil-fields { height: auto; margin-top: 1; }
    FilesScreen #fil-refusal { color: $text-error; height: auto; margin-top: 1; }
    FilesScreen #fil-actions { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.tag: str | None = None
        self.available_tags: list[str] = []
        self.current: File | None = None
        #: (file id, the server's words) of the last refused action
        self.refusal: tuple[str, str] | None = None

    # -- data ---------------------------------------------------------------------------------

    @property
    def timezone(self) -> str | None:
        edition = self.ctx.edition
        return edition.timezone if edition else None

    async def load_page(self, request: PageRequest) -> PageLike[File]:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return SimplePage(0, [])
        params: dict[str, Any] = {
            "organization_id": org.id,
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "file_name": request.search,
            "tags": self.tag,
        }
        page: Any = await self.load_list(
            "files", client.files.list, params, page=request.page, scoped=False
        )
        tags = getattr(page, "available_tags", None)
        if isinstance(tags, list):
            self.available_tags = [str(t) for t in tags]
        result: PageLike[File] = page
        return result

    def row_id(self, item: File) -> str:
        return item.api_id

    def row_cells(self, item: File) -> Sequence[Any]:
        tz = self.timezone
        return (
            Text(one_line(item.file_name or item.api_id, 200)),  # the column cuts it
            Text(one_line(file_type(item), 60)),
            Text(human_size(item.size), justify="right"),
            Text(one_line(", ".join(item.tags or []), 200)),
            Text(one_line(item.uploaded_by or "—", 60)),
            Text(fmt_when(item.created_at, tz)),
            Text(fmt_when(item.updated_at, tz)),
        )

    # -- detail -------------------------------------------------------------------------------

    def compose_detail(self) -> ComposeResult:
        yield Static("Nothing selected", id="fil-title", markup=False)
        yield Static("", id="fil-fields", markup=False)
        yield Static("", id="fil-refusal", markup=False)
        yield Static("", id="fil-actions", markup=False)

    def show_detail(self, item: File | None) -> None:
        self.current = item
        if not self.is_mounted or not self.query("#fil-title"):
            return
        title = self.query_one("#fil-title", Static)
        fields = self.query_one("#fil-fields", Static)
        refusal = self.query_one("#fil-refusal", Static)
        actions = self.query_one("#fil-actions", Static)
        if item is None:
            title.update("No files here: u uploads one" if self.table.total == 0 else "")
            for widget in (fields, refusal, actions):
                widget.update("")
            return
        title.update(Text(one_line(item.file_name or item.api_id, 60), style="bold"))
        fields.update(file_fields(item, self.timezone))
        words = self.refusal[1] if self.refusal and self.refusal[0] == item.api_id else ""
        refusal.update(words)
        refusal.display = bool(words)
        actions.update("enter details · s save a copy · e edit · d delete")

    def _update_list_status(self) -> None:
        super()._update_list_status()
        if self.tag:
            status = self.query_one("#list-status", Static)
            status.update(f"{getattr(status, '_preo_text', '')} · tag: {one_line(self.tag, 30)}")

    # -- filters ------------------------------------------------------------------------------

    async def ensure_tags(self) -> list[str]:
        """The server's tags in use (a cached page may have come without them: ask)."""
        client = self.ctx.client
        org = self.ctx.organization
        if not self.available_tags and client is not None and org is not None:
            page = await client.files.list(organization_id=org.id, page_size=1)
            self.available_tags = list(page.available_tags)
        return self.available_tags

    def action_tag_filter(self) -> None:
        self.run_job(self._tag_filter, group="files-tags", exclusive=True)

    async def _tag_filter(self) -> None:
        await self.ensure_tags()
        choices: list[Choice[str]] = [Choice("", "any tag" + ("  •" if not self.tag else ""))]
        choices += [
            Choice(t, one_line(t, 50) + ("  •" if t == self.tag else ""))
            for t in self.available_tags
        ]

        value = await self.app.push_screen_wait(ChoiceModal("Filter by tag", choices))
        if value is not None:
            self.set_tag(value or None)

    def set_tag(self, tag: str | None) -> None:
        self.tag = tag
        self._update_list_status()
        self.table.reload()

    # -- actions ------------------------------------------------------------------------------

    def _writable(self) -> bool:
        return writable_or_warn(self, refuse_offline=True)

    def action_upload(self) -> None:
        if not self._writable() or self.ctx.organization is None:
            return
        self.run_job(self._upload, group="files-upload", exclusive=True)

    async def _upload(self) -> None:
        chosen = await self.app.push_screen_wait(FileUploadModal(await self.ensure_tags()))
        if chosen is None:
            return
        path, data, tags = chosen
        org = self.ctx.organization
        assert org is not None
        uploaded: File = await perform_file(
            self.ctx,
            "files.upload",
            f"upload file {path.name} ({human_size(len(data))})",
            data,
            self,
            path=path,
            organization_id=org.id,
            file_name=path.name,
            tags=tags,
        )
        self.notify(f"Uploaded {one_line(uploaded.file_name, 40)}.", timeout=3)
        await self.table.reload_and_wait()
        self.table.move_to_id(uploaded.api_id)

    def action_edit(self) -> None:
        item = selected_or_warn(self, "file")
        if item is None or not self._writable():
            return
        self.run_job(self._edit(item), group=f"file-{item.api_id}")

    async def _edit(self, item: File) -> None:
        modal = FileEditModal(item, await self.ensure_tags(), self._save_edit)
        await self.app.push_screen_wait(modal)

    async def _save_edit(self, item: File, changes: dict[str, Any]) -> File:
        """Send the edit form's changes (the form shows a refusal beside its fields)."""
        client = self.ctx.client
        assert client is not None
        updated: File = await import_write(
            self.ctx,
            "files.update",
            f"edit file {item.file_name} ({item.api_id})",
            id=item.api_id,
            **changes,
        )
        self.refusal = None
        self.table.update_item(updated)
        self.show_detail(updated)
        return updated

    def action_delete(self) -> None:
        item = selected_or_warn(self, "file")
        if item is None or not self._writable():
            return
        self.run_job(self._delete(item), group=f"file-{item.api_id}")

    async def _delete(self, item: File) -> None:
        body = f"{item.file_name} ({item.api_id}) is deleted for good."
        if item.usages:
            body += f"\nIt is in use ({usages_text(item)}): the server will most likely refuse."
        if not await confirm_delete(self, "file", item.file_name, item.api_id, body):
            return
        client = self.ctx.client
        assert client is not None
        self.refusal = None
        await import_write(
            self.ctx,
            "files.delete",
            f"delete file {item.file_name} ({item.api_id})",
            id=item.api_id,
        )
        await forget_deleted(self, "files", item.api_id, item.file_name)

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        item = selected_or_warn(self, "file")
        if item is None:
            return

        def chosen(save: bool | None) -> None:
            if save:
                self.action_save_copy()

        self.app.push_screen(
            FileDetailModal(item, file_fields(item, self.timezone)), callback=chosen
        )

    def action_save_copy(self) -> None:
        item = selected_or_warn(self, "file")
        if item is None:
            return
        self.run_job(self._save_copy(item), group=f"file-save-{item.api_id}")

    async def _save_copy(self, item: File) -> None:
        client = self.ctx.client
        assert client is not None
        await self.app.push_screen_wait(SaveCopyModal(item, lambda: client.files.download(item)))

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("Conflict", "ValidationFailed", "PermissionDenied"):
            item = self.current
            words = one_line(report.message, 300)
            if item is not None:
                self.refusal = (item.api_id, f"Refused by the server: {words}")
                self.show_detail(item)
            self.notify(words, title="Refused by the server", severity="warning", timeout=10)
            return True
        return False


def file_fields(item: File, tz: str | None) -> Text:
    rows = [
        ("id", item.api_id),
        ("name", one_line(item.file_name or "—", 80)),
        ("type", file_type(item)),
        ("size", human_size(item.size)),
        ("tags", one_line(", ".join(item.tags or []) or "—", 80)),
        (
            "uploaded",
            fmt_when(item.created_at, tz)
            + (f" by {one_line(item.uploaded_by, 30)}" if item.uploaded_by else ""),
        ),
        ("updated", fmt_when(item.updated_at, tz)),
        ("used by", one_line(usages_text(item), 120)),
        ("alt text", one_line(item.image_alt_text or "—", 80)),
        ("caption", one_line(item.caption or "—", 80)),
        ("copyright", one_line(item.copyright or "—", 80)),
        ("address", one_line(item.file_url or "—", 120)),
    ]
    out = Text()
    for i, (key, value) in enumerate(rows):
        if i:
            out.append("\n")
        out.append(f"{key:<9} ", style="dim")
        out.append(value)
    return out
