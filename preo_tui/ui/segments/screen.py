"""The ``:segments`` screen: the edition's segments, their detail and their actions.

List: name, communication type and channel, consent, status, user count, last calculated;
filtered by status, type and channel (``f``) and by text (``/``), sortable (``o`` or a header).
Detail: every field, the condition syntax-highlighted, the campaigns that use the segment and
the last export. Actions: ``n`` new and ``enter`` edit (the editor screen), ``c`` recalculate
(the status then moves live, ``pending → processing → completed/failed``), ``b`` reset a stuck
segment to draft, ``x`` export the users as CSV to a file (the full path is shown; ``y`` copies
it; an existing file is only replaced after asking), ``d`` delete (the server refuses while a
campaign uses the segment, and its reason is shown). Destructive actions confirm. The keys are
bound here; the writes live in :mod:`.actions` and the export in :mod:`.export` (mixins).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, Static

from preo_tui.api.campaigns import Campaign
from preo_tui.api.segments import Segment
from preo_tui.ui import clock
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.list_actions import (
    FilterValue,
    change_filter,
    filter_choices,
    open_filter_picker,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.segments.actions import SegmentActions
from preo_tui.ui.segments.cel_editor import highlight_cel
from preo_tui.ui.segments.common import (
    CHANNELS,
    MOVING,
    OPEN_CAMPAIGN_STATUSES,
    STATUSES,
    TYPES,
    _value,
    comm_text,
    status_text,
)
from preo_tui.ui.segments.export import (
    ExportPathModal as ExportPathModal,  # re-exported for the tests
)
from preo_tui.ui.segments.export import SegmentExport
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest


@register_screen(
    "segments",
    title="Segments",
    aliases=("seg", "segment"),
    description="Customer segments: CEL conditions, audiences, CSV exports",
)
class SegmentsScreen(SegmentActions, SegmentExport, ListDetailScreen[Segment]):
    SCREEN_TITLE = "Segments"
    MARKABLE = False
    DEFAULT_ORDERING = "name"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 18, ordering="name", min_width=14, priority=3, keep_end=True),
        ColumnSpec("comm", "Type/chan", 11),
        # Usual width 10: the consent ids shown until the names arrive do not take the room.
        ColumnSpec("consent", "Consent", 10, priority=1),
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
