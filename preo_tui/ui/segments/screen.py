"""The ``:segments`` screen: the edition's segments, their detail and their actions.

List: name, communication type and channel, consent, status, user count, last calculated;
filtered by status, type and channel (``f``) and by text (``/``), sortable (``o`` or a header).
Detail: every field, the condition syntax-highlighted, the campaigns that use the segment and
the last export. Actions: ``n`` new and ``enter`` edit (the editor screen), ``c`` recalculate
(the status then moves live, ``pending → processing → completed/failed``), ``b`` reset a stuck
segment to draft, ``x`` export the users as CSV to a file (the full path is shown; ``y`` copies
it; an existing file is only replaced after asking), ``d`` delete (the server refuses while a
campaign uses the segment, and its reason is shown). Destructive actions confirm.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, Static

from preo_tui.actions import make
from preo_tui.api.campaigns import Campaign
from preo_tui.api.segments import Segment
from preo_tui.ui import clock
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.list_actions import (
    FilterValue,
    change_filter,
    confirm_delete,
    filter_choices,
    forget_deleted,
    open_filter_picker,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.segments.cel_editor import highlight_cel
from preo_tui.ui.segments.export import (
    ExportPathModal as ExportPathModal,  # re-exported for the tests
)
from preo_tui.ui.segments.export import (
    _count_csv_rows,
    _place,
    export_path_problem,
    resolve_export_path,
)
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.confirm import ConfirmModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest
from preo_tui.ui.writes import perform

STATUSES = ("draft", "pending", "processing", "completed", "failed")
TYPES = ("transactional", "marketing")
CHANNELS = ("any", "email", "sms", "pass_push")
#: Statuses a calculation is still moving through.
MOVING = ("pending", "processing")
#: Campaign statuses during which the server refuses to delete the segment.
OPEN_CAMPAIGN_STATUSES = ("draft", "scheduled", "calculating", "sending")
TYPE_SHORT = {"transactional": "trans", "marketing": "mkt"}
CHANNEL_SHORT = {"pass_push": "push"}
STATUS_STYLE = {
    "draft": "dim",
    "pending": "yellow",
    "processing": "bold yellow",
    "completed": "green",
    "failed": "bold red",
}
#: Seconds between reads of a segment whose calculation is under way.
FOLLOW_INTERVAL = 0.25
#: Give up following a calculation after this many seconds (the list poll carries on).
FOLLOW_LIMIT = 600.0


def _value(v: Any) -> str:
    return "" if v is None else str(getattr(v, "value", v))


def status_text(status: Any) -> Text:
    value = _value(status) or "?"
    return Text(value, style=STATUS_STYLE.get(value, ""))


def comm_text(segment: Segment) -> str:
    kind = _value(segment.communication_type)
    channel = _value(segment.communication_channel)
    return f"{TYPE_SHORT.get(kind, kind or '?')}/{CHANNEL_SHORT.get(channel, channel or '?')}"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower() or "segment"


@register_screen(
    "segments",
    title="Segments",
    aliases=("seg", "segment"),
    description="Customer segments: CEL conditions, audiences, CSV exports",
)
class SegmentsScreen(ListDetailScreen[Segment]):
    SCREEN_TITLE = "Segments"
    MARKABLE = False
    DEFAULT_ORDERING = "name"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 18, ordering="name", min_width=14, priority=3, keep_end=True),
        ColumnSpec("comm", "Type/chan", 11),
        ColumnSpec("consent", "Consent", 12, min_width=10, priority=1),
        ColumnSpec("status", "Status", 10),
        ColumnSpec("users", "Users", 6, ordering="user_count", justify="right"),
        ColumnSpec("calculated", "Calculated", 10, ordering="last_calculated"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="segments.new"),
        Binding("C", "open_consent", "Consent", id="segments.consent"),
        # enter (a row chosen in the table) edits too; ctrl+e is the key the footer can show
        Binding("ctrl+e,enter", "edit", "Edit", id="segments.edit"),
        Binding("c", "recalculate", "Recalculate", id="segments.recalculate"),
        Binding("b", "reset_to_draft", "Reset to draft", id="segments.reset"),
        Binding("x", "export", "Export CSV", id="segments.export"),
        Binding("y", "copy_export_path", "Copy path", id="segments.copy_path"),
        Binding("d", "delete", "Delete", id="segments.delete"),
        Binding("f", "filters", "Filters", id="segments.filters"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "segments.list": "(opens)",
        "segments.get": "c",
        "segments.delete": "d",
        "segments.export_csv": "x",
        "segments.recalculate": "c",
        "segments.reset_to_draft": "b",
    }

    DEFAULT_CSS = """
    SegmentsScreen #seg-title { text-style: bold; height: auto; }
    SegmentsScreen .seg-section { text-style: bold; color: $text-accent; height: 1; margin-top: 1; }
    SegmentsScreen #seg-fields, SegmentsScreen #seg-condition, SegmentsScreen #seg-campaigns,
    SegmentsScreen #seg-export, SegmentsScreen #seg-description { height: auto; }
    SegmentsScreen #seg-description { margin-top: 1; }
    SegmentsScreen #seg-condition { background: $boost; padding: 0 1; margin-bottom: 1; }
    SegmentsScreen #seg-error { color: $text-error; height: auto; }
    SegmentsScreen #seg-actions { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters: dict[str, str] = {}
        self.campaigns: list[Campaign] | None = None
        self.campaigns_error: str = ""
        self.last_export: Path | None = None
        self.last_export_rows: int | None = None
        self.last_export_segment: str | None = None
        self.current: Segment | None = None
        self.consent_names: dict[str, str] = {}
        self._following: set[str] = set()

    # -- data -----------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[Segment]:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            from preo_tui.ui.widgets.paged_table import SimplePage

            return SimplePage(0, [])
        params: dict[str, Any] = {
            "edition_id": edition.id,
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "search": request.search,
            "status": self.filters.get("status"),
            "communication_type": self.filters.get("type"),
            "communication_channel": self.filters.get("channel"),
        }
        page: PageLike[Segment] = await self.load_list(
            "segments", client.segments.list, params, page=request.page
        )
        return page

    def on_mount(self) -> None:
        # (ListDetailScreen.on_mount runs too: Textual calls every class's handler.)
        self.run_job(self._load_campaigns(), group="campaigns", exclusive=True)

    async def _load_campaigns(self) -> None:
        """The edition's campaigns (for "used by"); a failure only shows in the detail."""
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return
        params: dict[str, Any] = {
            "edition_id": edition.id,
            "page_size": 500,
            "ordering": "-created",
        }
        query = self.data_query("campaigns", lambda: client.campaigns.list(**params), **params)
        try:
            page = await self.load_data(query)
        except Exception as exc:
            from preo_tui.ui.errors import describe_error

            self.campaigns = None
            self.campaigns_error = describe_error(exc).message
        else:
            self.campaigns = list(page.results)
            self.campaigns_error = ""
        await self._load_consent_names()
        self.show_detail(self.current)

    async def _load_consent_names(self) -> None:
        """Consent names for the list and the detail (ids are shown until they arrive)."""
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return
        params: dict[str, Any] = {"organization_id": org.id, "page_size": 500}
        query = self.data_query("consents", lambda: client.consents.list(**params), **params)
        try:
            page = await self.load_data(query, fresh=False)
        except Exception:  # names are a nicety: the ids stay on screen
            return
        names = {c.id: c.name for c in page.results if c.name}
        if names != self.consent_names:
            self.consent_names = names
            for item in self.table.items:
                self.table.update_item(item)

    async def poll(self) -> None:
        await super().poll()
        await self._load_campaigns()

    def context_changed(self) -> None:
        super().context_changed()
        self.run_job(self._load_campaigns(), group="campaigns", exclusive=True)

    def row_cells(self, item: Segment) -> Sequence[Any]:
        last = item.last_calculated
        return (
            item.name or item.id,
            comm_text(item),
            self.consent_label(item.consent_id) if item.consent_id else "—",
            status_text(item.status),
            "—" if item.user_count is None else f"{item.user_count:,}",
            clock.day(last, self._zone(), none="never"),
        )

    def consent_label(self, consent_id: str) -> str:
        return self.consent_names.get(consent_id, consent_id)

    def _zone(self) -> str | None:
        edition = self.ctx.edition
        return edition.timezone if edition is not None else None

    def _when(self, moment: datetime | None) -> str:
        return clock.detail(moment, self._zone(), none="never")

    # -- detail ---------------------------------------------------------------------------------

    def compose_detail(self) -> ComposeResult:
        yield Static("Nothing selected", id="seg-title", markup=False)
        yield Static("", id="seg-error", markup=False)
        yield Static("", id="seg-condition", markup=False)
        yield Static("", id="seg-fields", markup=False)
        yield Static("", id="seg-description", markup=False)
        yield Label("Campaigns using it", classes="seg-section")
        yield Static("", id="seg-campaigns", markup=False)
        yield Static("", id="seg-export", markup=False)
        yield Static(
            "enter edit · c recalculate · b reset to draft · x export CSV · d delete",
            id="seg-actions",
            markup=False,
        )

    def campaigns_using(self, segment_id: str) -> list[Campaign]:
        return [c for c in self.campaigns or [] if c.segment_id == segment_id]

    def show_detail(self, item: Segment | None) -> None:
        self.current = item
        if not self.is_mounted or not self.query("#seg-title"):
            return
        title = self.query_one("#seg-title", Static)
        if item is None:
            title.update(
                "Nothing selected" if self.table.total else "No segments here yet: n creates one"
            )
            for wid in ("#seg-error", "#seg-fields", "#seg-description", "#seg-condition",
                        "#seg-campaigns", "#seg-export"):  # fmt: skip
                self.query_one(wid, Static).update("")
            return
        head = Text(item.name or item.id, style="bold")
        head.append("  ")
        head.append_text(status_text(item.status))
        if _value(item.status) in MOVING:
            head.append("  (calculating…)" if item.id in self._following else "  (stuck? b resets)")
        title.update(head)
        self.query_one("#seg-error", Static).update(
            f"Calculation failed: {item.error_message}" if item.error_message else ""
        )
        rows = [
            ("id", item.id),
            ("type", _value(item.communication_type) or "—"),
            ("channel", _value(item.communication_channel) or "—"),
            (
                "consent",
                f"{self.consent_label(item.consent_id)} ({item.consent_id})"
                if item.consent_id and item.consent_id in self.consent_names
                else item.consent_id or "—",
            ),
            ("users", "—" if item.user_count is None else f"{item.user_count:,}"),
            ("calculated", self._when(item.last_calculated)),
            ("created", self._when(item.created)),
            ("modified", self._when(item.modified)),
        ]
        fields = Text()
        for i, (key, value) in enumerate(rows):
            if i:
                fields.append("\n")
            fields.append(f"{key:<11}", style="dim")
            fields.append(value)
        self.query_one("#seg-fields", Static).update(fields)
        self.query_one("#seg-description", Static).update(item.description or "")
        self.query_one("#seg-condition", Static).update(highlight_cel(item.condition or ""))
        self.query_one("#seg-campaigns", Static).update(self._campaigns_text(item))
        export = Text()
        if self.last_export is not None and self.last_export_segment == item.id:
            export.append("Exported ", style="dim")
            export.append(f"{self.last_export_rows or 0:,} users to ")
            export.append(str(self.last_export), style="bold")
            export.append("  (y copies the path)", style="dim")
        self.query_one("#seg-export", Static).update(export)

    def _campaigns_text(self, item: Segment) -> Text:
        if self.campaigns is None:
            if self.campaigns_error:
                return Text(f"unknown ({self.campaigns_error})", style="dim")
            return Text("loading…", style="dim")
        using = self.campaigns_using(item.id)
        if not using:
            return Text("none — the segment can be deleted", style="dim")
        out = Text()
        for i, campaign in enumerate(using):
            if i:
                out.append("\n")
            status = _value(campaign.status)
            out.append(f"{campaign.name or campaign.id}", style="bold")
            out.append(f"  {_value(campaign.channel)} · {status}")
            if status in OPEN_CAMPAIGN_STATUSES:
                out.append("  (blocks delete)", style="yellow")
        return out

    # -- list status with filters -----------------------------------------------------------------

    def _update_list_status(self) -> None:
        super()._update_list_status()
        if self.filters:
            status = self.query_one("#list-status", Static)
            parts = [self._window_label]
            if self.filter_text:
                parts.append(f"filter: {self.filter_text}")
            parts.extend(f"{k}={v}" for k, v in sorted(self.filters.items()))
            if self.table.ordering:
                parts.append(f"sorted by {self.table.ordering}")
            status.update(" · ".join(parts))

    def action_filters(self) -> None:
        choices: list[Choice[FilterValue]] = [Choice(("all", None), "Clear every filter")]
        choices += filter_choices(
            self.filters, (("status", STATUSES), ("type", TYPES), ("channel", CHANNELS))
        )
        open_filter_picker(self, "Filter segments", choices, self.filters)

    def set_filter(self, key: str, value: str | None) -> None:
        """Filter by ``status``, ``type`` or ``channel`` (None removes the filter)."""
        change_filter(self, self.filters, key, value)

    # -- actions --------------------------------------------------------------------------------

    def _selected(self) -> Segment | None:
        return selected_or_warn(self, "segment")

    def _writable(self) -> bool:
        return writable_or_warn(self)

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_open_consent(self) -> None:
        """Jump to ``:consents`` with the cursor on this segment's consent."""
        item = self.table.current_item
        if item is None or not item.consent_id:
            self.notify("This segment names no consent.", severity="warning", timeout=3)
            return
        from preo_tui.ui.consents.screen import open_consent

        open_consent(self.app, item.consent_id)

    def action_new(self) -> None:
        if not self._writable():
            return
        from preo_tui.ui.segments.editor import SegmentEditorScreen

        self.app.push_screen(SegmentEditorScreen(None, on_saved=self._saved))

    def action_edit(self) -> None:
        item = self._selected()
        if item is None:
            return
        from preo_tui.ui.segments.editor import SegmentEditorScreen

        self.app.push_screen(SegmentEditorScreen(item, on_saved=self._saved))

    def _saved(self, segment: Segment) -> None:
        self.table.update_item(segment)
        self.run_job(self._reload_to(segment.id), group="reload-to", exclusive=True)

    async def _reload_to(self, segment_id: str) -> None:
        await self.table.reload_and_wait()
        self.table.move_to_id(segment_id)

    async def _write(self, operation: str, segment: Segment, summary: str) -> Any:
        """One write on ``segment`` as a durable action (journalled, resolved by re-reading
        when its answer is lost)."""
        return await perform(self.ctx, make(f"segments.{operation}", summary, id=segment.id), self)

    def _adopt(self, segment: Segment) -> None:
        self.table.update_item(segment)
        if self.current is not None and self.current.id == segment.id:
            self.show_detail(segment)

    def action_recalculate(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        if _value(item.status) in MOVING:
            self.notify(
                f"{item.name} is already being calculated ({_value(item.status)}); "
                "wait, or reset it to draft with b.",
                severity="warning",
                timeout=5,
            )
            return
        self.run_job(self._recalculate(item), group=f"segment-{item.id}")

    async def _recalculate(self, item: Segment) -> None:
        client = self.ctx.client
        assert client is not None
        segment = await self._write(
            "recalculate",
            item,
            f"recalculate segment {item.name} ({item.id})",
        )
        self._adopt(segment)
        await self.follow(segment.id)

    async def follow(self, segment_id: str) -> None:
        """Re-read the segment until its calculation finishes, updating row and detail live."""
        client = self.ctx.client
        if client is None or segment_id in self._following:
            return
        self._following.add(segment_id)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            while loop.time() - started < FOLLOW_LIMIT:
                await asyncio.sleep(FOLLOW_INTERVAL)
                segment = await client.segments.get(segment_id)
                status = _value(segment.status)
                if status not in MOVING:
                    self._following.discard(segment_id)
                self._adopt(segment)
                if status not in MOVING:
                    if status == "completed":
                        self.notify(
                            f"{segment.name}: {segment.user_count or 0:,} users.",
                            title="Segment calculated",
                            timeout=4,
                        )
                    elif status == "failed":
                        self.notify(
                            segment.error_message or "The calculation failed.",
                            title=f"{segment.name}: calculation failed",
                            severity="error",
                            timeout=8,
                        )
                    return
        finally:
            self._following.discard(segment_id)
            store = self.ctx.store
            if store is not None:
                store.invalidate("segments")

    def action_reset_to_draft(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        if _value(item.status) not in MOVING:
            self.notify(
                f"Only a pending or processing segment can be reset; {item.name} is "
                f"{_value(item.status)}.",
                severity="warning",
                timeout=5,
            )
            return
        self.run_job(self._reset(item), group=f"segment-{item.id}")

    async def _reset(self, item: Segment) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                f"Reset {item.name} to draft?",
                "Its calculation is abandoned; recalculate it afterwards to get a user count.",
                confirm_label="Reset",
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        client = self.ctx.client
        assert client is not None
        segment = await self._write(
            "reset_to_draft",
            item,
            f"reset segment {item.name} ({item.id}) to draft",
        )
        self._adopt(segment)
        self.notify(f"{item.name} is a draft again.", timeout=3)

    def action_delete(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        self.run_job(self._delete(item), group=f"segment-{item.id}")

    async def _delete(self, item: Segment) -> None:
        using = [
            c for c in self.campaigns_using(item.id) if _value(c.status) in OPEN_CAMPAIGN_STATUSES
        ]
        body = f"{item.name} ({item.id}) and its member snapshot are deleted for good."
        if using:
            names = ", ".join(f"{c.name} ({_value(c.status)})" for c in using)
            body += f"\nUsed by: {names} — the server will refuse while they are open."
        if not await confirm_delete(self, "segment", item.name, item.id, body):
            return
        client = self.ctx.client
        assert client is not None
        await self._write(
            "delete",
            item,
            f"delete segment {item.name} ({item.id})",
        )
        await forget_deleted(self, "segments", item.id, item.name)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind == "Conflict":
            # The server's reason (a campaign uses the segment, it is not completed, ...).
            self.notify(
                report.message, title="Refused by the server", severity="warning", timeout=10
            )
            return True
        return False

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
