"""The ``:campaigns`` screen: the edition's email and SMS campaigns, live.

List: name, channel, status, progress, scheduled time (edition time zone), recipients; filtered
by status and channel (``f``) and by name (``/``), sorted by the contract's orderings (``o`` or a
header). While a campaign on screen is ``calculating`` or ``sending`` the screen polls every
second (the shell's poll hook: re-armed only after a read finished, paused while hidden), so
``sent_count`` rises as a progress bar until ``sent``/``failed``.

Actions, each only where the contract's life cycle allows it (otherwise the reason is shown,
and a server's 409 is shown as the server's words): ``n`` compose, ``enter`` edit (or the stats once sending or sent),
``t`` schedule (date and time in the edition's zone, UTC alongside), ``s`` send now (a typed
confirmation with channel, segment, recipient count and subject; the production badge on
production), ``c`` cancel, ``d`` delete, ``v`` stats (these live in :mod:`.actions`, a mixin
of this screen; the keys are bound here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.api.campaigns import Campaign
from preo_tui.api.email_messages import EmailMessage
from preo_tui.api.segments import Segment
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.campaigns.actions import CampaignActions
from preo_tui.ui.campaigns.common import (
    CANCELLABLE,
    CHANNELS,
    DELETABLE,
    EDITABLE,
    HAS_STATS,
    MOVING,
    SCHEDULABLE,
    SENDABLE,
    STATUSES,
    campaign_progress,
    load_campaign_messages,
    load_edition_segments,
    local_time,
    progress_bar,
    segment_summary,
    short_local,
    status_text,
    utc_time,
)
from preo_tui.ui.formatting import value_of
from preo_tui.ui.list_actions import (
    FilterValue,
    change_filter,
    filter_choices,
    open_filter_picker,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.sms import count_sms
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.paged_table import (
    ColumnSpec,
    PagedTable,
    PageLike,
    PageRequest,
    SimplePage,
)

#: Seconds between polls while a campaign on screen is calculating or sending.
LIVE_INTERVAL = 0.5


@register_screen(
    "campaigns",
    title="Campaigns",
    aliases=("cmp", "campaign"),
    description="Email and SMS campaigns: compose, schedule, send and watch",
)
class CampaignsScreen(CampaignActions, ListDetailScreen[Campaign]):
    SCREEN_TITLE = "Campaigns"
    MARKABLE = False
    DEFAULT_ORDERING = "-created"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 20, ordering="name", min_width=16, priority=3, keep_end=True),
        ColumnSpec("channel", "Chan", 5),
        ColumnSpec("status", "Status", 11),
        ColumnSpec("progress", "Progress", 13),
        ColumnSpec("scheduled", "Scheduled", 11, ordering="scheduled_at"),
        ColumnSpec("recipients", "Rcpts", 6, ordering="total_recipients", justify="right"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "compose", "Compose", id="campaigns.compose"),
        Binding("enter", "open", "Edit/Stats", id="campaigns.open"),
        Binding("t", "schedule", "Schedule", id="campaigns.schedule"),
        Binding("s", "send_now", "Send now", id="campaigns.send_now"),
        Binding("c", "cancel_campaign", "Cancel", id="campaigns.cancel"),
        Binding("d", "delete", "Delete", id="campaigns.delete"),
        Binding("v", "stats", "Stats", id="campaigns.stats"),
        Binding("f", "filters", "Filters", id="campaigns.filters"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "campaigns.list": "(opens)",
        "campaigns.get": "v",
        "campaigns.stats": "v",
        "campaigns.delete": "d",
        "campaigns.cancel": "c",
        "campaigns.schedule": "t",
        "campaigns.send_now": "s",
    }

    DEFAULT_CSS = """
    CampaignsScreen #cmp-title { text-style: bold; height: auto; }
    CampaignsScreen #cmp-progress { height: auto; }
    CampaignsScreen #cmp-refusal { color: $text-error; height: auto; }
    CampaignsScreen #cmp-fields { height: auto; margin-top: 1; }
    CampaignsScreen #cmp-body { height: auto; background: $boost; padding: 0 1; margin-top: 1; }
    CampaignsScreen #cmp-actions { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters: dict[str, str] = {}
        self.segments: dict[str, Segment] = {}
        self.messages: dict[str, EmailMessage] = {}
        self.current: Campaign | None = None
        #: (campaign id, the server's words) of the last refused action, shown in the detail
        self.refusal: tuple[str, str] | None = None
        self._live = False

    # -- data -----------------------------------------------------------------------------------

    @property
    def timezone(self) -> str:
        edition = self.ctx.edition
        return edition.timezone if edition is not None else "UTC"

    async def load_page(self, request: PageRequest) -> PageLike[Campaign]:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return SimplePage(0, [])
        params: dict[str, Any] = {
            "edition_id": edition.id,
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "search": request.search,
            "status": self.filters.get("status"),
            "channel": self.filters.get("channel"),
        }
        page: PageLike[Campaign] = await self.load_list(
            "campaigns", client.campaigns.list, params, page=request.page
        )
        return page

    def on_mount(self) -> None:
        self.run_job(self.load_lookups, group="lookups", exclusive=True)

    async def load_lookups(self) -> None:
        """The edition's segments and the organization's campaign messages (names in the
        detail, the send confirmation's audience and subject)."""
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return
        self.segments = {s.id: s for s in await load_edition_segments(self, client, edition)}
        self.messages = {m.id: m for m in await load_campaign_messages(self, client, edition)}
        self.show_detail(self.table.current_item)

    def moving(self) -> list[Campaign]:
        """Campaigns on screen whose send is under way."""
        return [c for c in self.table.items if value_of(c.status) in MOVING]

    def poll_interval(self) -> float | None:
        if self.moving():
            return LIVE_INTERVAL
        return super().poll_interval()

    @on(PagedTable.WindowChanged, "#list-table")
    def _follow_live(self, event: PagedTable.WindowChanged) -> None:
        """Switch the poll to the live interval as soon as a send shows up (and back)."""
        moving = self.moving()
        live = bool(moving)
        if live and not self._live and not self._poll_running and self.is_current:
            self._arm_poll()
        self._live = live
        if moving:
            names = ", ".join(c.name or c.id for c in moving[:2])
            more = f" +{len(moving) - 2}" if len(moving) > 2 else ""
            self.set_status_note(f"live: {names}{more}")
        elif self.status_note.startswith("live:"):
            self.set_status_note("")

    async def poll(self) -> None:
        await self.table.refresh_now()
        self.show_detail(self.table.current_item)

    def context_changed(self) -> None:
        super().context_changed()
        self.run_job(self.load_lookups, group="lookups", exclusive=True)

    def row_cells(self, item: Campaign) -> Sequence[Any]:
        status = value_of(item.status)
        rcpts = item.total_recipients if status in ("sending", "sent", "failed") else None
        return (
            item.name or item.id,
            value_of(item.channel),
            status_text(item.status),
            campaign_progress(item),
            short_local(item.scheduled_at, self.timezone),
            "—" if not rcpts else f"{rcpts:,}",
        )

    # -- detail ---------------------------------------------------------------------------------

    def compose_detail(self) -> ComposeResult:
        yield Static("Nothing selected", id="cmp-title", markup=False)
        yield Static("", id="cmp-progress", markup=False)
        yield Static("", id="cmp-refusal", markup=False)
        yield Static("", id="cmp-fields", markup=False)
        yield Static("", id="cmp-body", markup=False)
        yield Static("", id="cmp-actions", markup=False)

    def show_detail(self, item: Campaign | None) -> None:
        self.current = item
        if not self.is_mounted or not self.query("#cmp-title"):
            return
        title = self.query_one("#cmp-title", Static)
        if item is None:
            empty = "No campaigns here yet: n composes one" if self.table.total == 0 else ""
            title.update(empty or "Nothing selected")
            for wid in (
                "#cmp-progress",
                "#cmp-refusal",
                "#cmp-fields",
                "#cmp-body",
                "#cmp-actions",
            ):
                self.query_one(wid, Static).update("")
            return
        status = value_of(item.status)
        head = Text(item.name or item.id, style="bold")
        head.append("  ")
        head.append_text(status_text(item.status))
        title.update(head)
        self.query_one("#cmp-progress", Static).update(self._progress(item))
        refusal = self.refusal[1] if self.refusal and self.refusal[0] == item.id else ""
        if not refusal and item.error_message:
            refusal = f"Failed: {item.error_message}"
        shown = self.query_one("#cmp-refusal", Static)
        shown.update(refusal)
        shown.display = bool(refusal)
        self.query_one("#cmp-fields", Static).update(self._fields(item))
        body_text = Text()
        if value_of(item.channel) == "sms":
            sms = item.sms_body or ""
            body_text.append(sms or "(no text yet)")
            body_text.append("\n" + count_sms(sms).summary(), style="dim")
        self.query_one("#cmp-body", Static).update(body_text)
        self.query_one("#cmp-body", Static).display = bool(body_text.plain)
        self.query_one("#cmp-actions", Static).update(self._actions_hint(status))

    def _progress(self, item: Campaign) -> Text:
        status = value_of(item.status)
        total = int(item.total_recipients or 0)
        sent = int(item.sent_count or 0)
        failed = int(item.failed_count or 0)
        if status == "calculating":
            return Text("Counting the recipients…", style="yellow")
        if status not in ("sending", "sent", "failed") or total <= 0:
            return Text("")
        out = progress_bar(sent + failed, total, 24)
        out.append(f"  {sent:,} sent")
        if failed:
            out.append(f" · {failed:,} failed", style="red")
        out.append(f" of {total:,} ({round(100 * (sent + failed) / total)}%)")
        return out

    def _fields(self, item: Campaign) -> Text:
        tz = self.timezone
        segment = self.segments.get(item.segment_id or "")
        if segment is not None:
            seg = f"{segment.name} ({segment_summary(segment)})"
        else:
            seg = item.segment_id or "—"
        rows: list[tuple[str, str]] = [
            ("id", item.id),
            ("channel", value_of(item.channel) or "—"),
            ("segment", seg),
        ]
        if value_of(item.channel) == "email":
            message = self.messages.get(item.email_message_id or "")
            if message is not None:
                rows.append(("message", f"{message.title} — {message.subject or ''}"))
            else:
                rows.append(("message", item.email_message_id or "— (none chosen)"))
        if item.scheduled_at is not None:
            rows.append(("scheduled", local_time(item.scheduled_at, tz)))
            rows.append(("", utc_time(item.scheduled_at)))
        if item.user_count is not None:
            rows.append(("members", f"{item.user_count:,} in the segment at send time"))
        if item.started_at is not None:
            rows.append(("started", local_time(item.started_at, tz)))
        if item.completed_at is not None:
            rows.append(("completed", local_time(item.completed_at, tz)))
        rows.append(("created", local_time(item.created, tz)))
        out = Text()
        for i, (key, value) in enumerate(rows):
            if i:
                out.append("\n")
            out.append(f"{key:<10} ", style="dim")
            out.append(value)
        return out

    @staticmethod
    def _actions_hint(status: str) -> str:
        keys = []
        if status in EDITABLE:
            keys.append("enter edit")
        if status in SCHEDULABLE:
            keys.append("t schedule")
        if status in SENDABLE:
            keys.append("s send now")
        if status in CANCELLABLE:
            keys.append("c cancel")
        if status in DELETABLE:
            keys.append("d delete")
        if status in HAS_STATS:
            keys.append("enter/v stats")
        return " · ".join(keys) if keys else "no action possible in this state"

    # -- filters ---------------------------------------------------------------------------------

    def _update_list_status(self) -> None:
        super()._update_list_status()
        if self.filters:
            parts = [self._window_label]
            if self.filter_text:
                parts.append(f"filter: {self.filter_text}")
            parts.extend(f"{k}={v}" for k, v in sorted(self.filters.items()))
            if self.table.ordering:
                parts.append(f"sorted by {self.table.ordering}")
            self.query_one("#list-status", Static).update(" · ".join(parts))

    def action_filters(self) -> None:
        choices: list[Choice[FilterValue]] = [Choice(("all", None), "Clear every filter")]
        choices += filter_choices(self.filters, (("status", STATUSES), ("channel", CHANNELS)))
        open_filter_picker(self, "Filter campaigns", choices, self.filters)

    def set_filter(self, key: str, value: str | None) -> None:
        """Filter by ``status`` or ``channel`` (None removes the filter)."""
        change_filter(self, self.filters, key, value)

    # -- compose / edit --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """``enter`` opens what fits the campaign: its stats once it is sending or done, else
        the form (where the life cycle allows a change)."""
        item = self.table.current_item
        if item is not None and value_of(item.status) in HAS_STATS:
            self.action_stats()
            return
        self.action_edit()

    def action_compose(self) -> None:
        if not self._writable():
            return
        from preo_tui.ui.campaigns.compose import CampaignComposeScreen

        self.app.push_screen(CampaignComposeScreen(None, on_saved=self._saved))

    def action_edit(self) -> None:
        item = self._selected()
        if item is None or not self._writable() or self._not_now(item, "changed", EDITABLE):
            return
        from preo_tui.ui.campaigns.compose import CampaignComposeScreen

        self.app.push_screen(CampaignComposeScreen(item, on_saved=self._saved))

    def _saved(self, campaign: Campaign) -> None:
        self.table.update_item(campaign)
        hidden = self._filtered_out(campaign)
        if hidden:
            # A draft saved from the "scheduled" view would vanish: show it, and say why.
            for key in hidden:
                self.filters.pop(key, None)
            self._update_list_status()
            self.notify(
                f"{campaign.name or campaign.id} is {value_of(campaign.status)}: "
                f"the {' and '.join(hidden)} filter was removed to show it.",
                timeout=5,
            )
        self.run_job(self._reload_to(campaign.id), group="reload-to", exclusive=True)

    def _filtered_out(self, campaign: Campaign) -> list[str]:
        """The list filters that would hide ``campaign``."""
        values = {"status": value_of(campaign.status), "channel": value_of(campaign.channel)}
        return [
            key
            for key, wanted in self.filters.items()
            if key in values and values[key] not in wanted.split(",")
        ]

    async def _reload_to(self, campaign_id: str) -> None:
        await self.table.reload_and_wait()
        self.table.move_to_id(campaign_id)
        await self.load_lookups()
