"""Actions on the selected campaign (part of :class:`~preo_tui.ui.campaigns.screen.CampaignsScreen`,
which binds their keys): ``t`` schedule, ``s`` send now (typed confirmation), ``c`` cancel,
``d`` delete, ``v`` stats; each allowed only where the campaign's life cycle allows it, its
write a durable action whose progress shows in the status line, a server's refusal shown in the
detail pane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from preo_tui.api.campaigns import Campaign
from preo_tui.api.email_messages import EmailMessage
from preo_tui.api.segments import Segment
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.campaigns.common import (
    CANCELLABLE,
    DELETABLE,
    MOVING,
    SCHEDULABLE,
    SENDABLE,
    local_time,
    segment_refusal,
    segment_summary,
)
from preo_tui.ui.campaigns.schedule import ScheduleModal, ScheduleTime, zone_of
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.formatting import value_of
from preo_tui.ui.list_actions import (
    confirm_delete,
    forget_deleted,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.sms import count_sms
from preo_tui.ui.widgets.confirm import ConfirmModal, TypedConfirmModal
from preo_tui.ui.writes import ActionProgress, perform_operation

if TYPE_CHECKING:
    _Base = ListDetailScreen[Campaign]
else:
    _Base = object


class CampaignActions(_Base):
    """The campaign screen's writes and the actions on the selected row (a mixin: the
    screen's ``BINDINGS`` name them; Textual finds ``on_action_progress`` through the MRO)."""

    # Set by the screen.
    segments: dict[str, Segment]
    messages: dict[str, EmailMessage]
    current: Campaign | None
    refusal: tuple[str, str] | None

    if TYPE_CHECKING:

        @property
        def timezone(self) -> str: ...

    # -- helpers ---------------------------------------------------------------------------------

    def _selected(self) -> Campaign | None:
        return selected_or_warn(self, "campaign")

    def _writable(self) -> bool:
        return writable_or_warn(self, refuse_offline=True)

    def _not_now(self, item: Campaign, what: str, allowed: tuple[str, ...]) -> bool:
        """Say why ``what`` is not possible in the campaign's status (True: refused)."""
        status = value_of(item.status)
        if status in allowed:
            return False
        self.notify(
            f"{item.name} is {status}: only a {' or '.join(allowed)} campaign can be {what}.",
            title="Not possible now",
            severity="warning",
            timeout=6,
        )
        return True

    async def _write(self, operation: str, item: Campaign, summary: str, **args: Any) -> Any:
        """One write on ``item`` as a durable action (journalled, resolved by re-reading
        when its answer is lost); its progress shows in the status line."""
        self.refusal = None
        return await perform_operation(
            self.ctx, f"campaigns.{operation}", summary, self, id=item.id, **args
        )

    def on_action_progress(self, message: ActionProgress) -> None:
        event = message.event
        verb = event.action.name.replace("_", " ")
        if event.phase == "checking":
            self.set_status_note(f"{verb}: unknown — checking")
        elif event.phase == "done":
            self.set_status_note("")
            if event.outcome in ("applied", "not_applied", "elsewhere") and isinstance(
                event.value, Campaign
            ):
                self.adopt(event.value)  # the row shows what the server has now

    def adopt(self, campaign: Campaign) -> None:
        """Show a campaign the server just returned (row and detail), and follow it live."""
        self.table.update_item(campaign)
        if self.current is not None and self.current.id == campaign.id:
            self.show_detail(campaign)
        if value_of(campaign.status) in MOVING:
            self.action_refresh()  # re-arms the poll at the live interval

    # -- schedule --------------------------------------------------------------------------------

    def action_schedule(self) -> None:
        item = self._selected()
        if item is None or not self._writable() or self._not_now(item, "scheduled", SCHEDULABLE):
            return
        self.run_job(self._schedule(item), group=f"campaign-{item.id}")

    async def _schedule(self, item: Campaign, when: ScheduleTime | None = None) -> None:
        if when is None:
            when = await self.app.push_screen_wait(
                ScheduleModal(
                    item.name or item.id,
                    zone_of(self.timezone),
                    now=self.preo_app.now(),
                    initial=item.scheduled_at,
                )
            )
        if when is None:
            return
        verb = "Reschedule" if value_of(item.status) == "scheduled" else "Schedule"
        body = (
            f"{item.name} will be sent on\n  {when.describe()}\n"
            f"to the segment {self._segment_name(item)} by {value_of(item.channel)}."
        )
        if when.note:
            body += f"\n{when.note}"
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                f"{verb} {item.name}?",
                body,
                confirm_label=verb,
                danger=False,
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        campaign: Campaign = await self._write(
            "schedule",
            item,
            f"schedule campaign {item.name} ({item.id}) for {when.utc.isoformat()}",
            scheduled_at=when.utc,
        )
        self.adopt(campaign)
        self.notify(f"{item.name} scheduled for {when.describe()}.", title="Scheduled", timeout=6)

    def _segment_name(self, item: Campaign) -> str:
        segment = self.segments.get(item.segment_id or "")
        return segment.name or segment.id if segment is not None else (item.segment_id or "?")

    # -- send now --------------------------------------------------------------------------------

    def action_send_now(self) -> None:
        item = self._selected()
        if item is None or not self._writable() or self._not_now(item, "sent", SENDABLE):
            return
        self.run_job(self._send_now(item), group=f"campaign-{item.id}")

    async def send_summary(self, item: Campaign) -> str:
        """What the send confirmation states: channel, segment, recipients, subject."""
        client = self.ctx.client
        segment = self.segments.get(item.segment_id or "")
        if segment is None and client is not None and item.segment_id:
            segment = await client.segments.get(item.segment_id)
            self.segments[segment.id] = segment
        lines = [f"Channel:     {value_of(item.channel)}"]
        if segment is not None:
            lines.append(f"Segment:     {segment.name} ({segment_summary(segment)})")
            count = "unknown" if segment.user_count is None else f"{segment.user_count:,}"
            lines.append(f"Recipients:  {count} (the segment's last count; recounted at send)")
            refusal = segment_refusal(segment)
            if refusal:
                lines.append(f"WARNING:     {refusal}")
        else:
            lines.append(f"Segment:     {item.segment_id or '— (none)'}")
        if value_of(item.channel) == "email":
            subject = None
            message = self.messages.get(item.email_message_id or "")
            if client is not None and item.email_message_id:
                preview = await client.email_messages.preview(item.email_message_id)
                subject = preview.subject
            if subject is None and message is not None:
                subject = message.subject
            lines.append(f"Subject:     {subject or '— (no email message chosen)'}")
        else:
            sms = item.sms_body or ""
            shown = sms if len(sms) <= 120 else sms[:117] + "…"
            lines.append(f"Text:        {shown or '— (no text)'}")
            lines.append(f"             {count_sms(sms).summary()}")
        lines.append("Once sent, a campaign cannot be called back.")
        return "\n".join(lines)

    async def _send_now(self, item: Campaign) -> None:
        body = await self.send_summary(item)
        ok = await self.app.push_screen_wait(
            TypedConfirmModal(
                f"Send {item.name} now?",
                body,
                expected=item.name or item.id,
                prompt="Type the campaign's name to send it",
                confirm_label="Send now",
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        campaign: Campaign = await self._write(
            "send_now", item, f"send campaign {item.name} ({item.id}) now"
        )
        self.adopt(campaign)
        self.notify(f"{item.name} is being sent.", title="Sending", timeout=4)

    # -- cancel / delete -------------------------------------------------------------------------

    def action_cancel_campaign(self) -> None:
        item = self._selected()
        if item is None or not self._writable() or self._not_now(item, "cancelled", CANCELLABLE):
            return
        self.run_job(self._cancel(item), group=f"campaign-{item.id}")

    async def _cancel(self, item: Campaign) -> None:
        when = ""
        if item.scheduled_at is not None:
            when = f"\nIt was scheduled for {local_time(item.scheduled_at, self.timezone)}."
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                f"Cancel {item.name}?",
                f"The campaign will not be sent.{when}",
                confirm_label="Cancel campaign",
                cancel_label="Keep it",
                production=self.ctx.is_production,
            )
        )
        if not ok:
            return
        campaign: Campaign = await self._write(
            "cancel", item, f"cancel campaign {item.name} ({item.id})"
        )
        self.adopt(campaign)
        self.notify(f"{item.name} is cancelled.", title="Cancelled", timeout=4)

    def action_delete(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        self.run_job(self._delete(item), group=f"campaign-{item.id}")

    async def _delete(self, item: Campaign) -> None:
        status = value_of(item.status)
        body = f"{item.name} ({item.id}) is deleted for good."
        if status not in DELETABLE:
            body += (
                f"\nIt is {status}: the server only deletes draft, cancelled or failed "
                "campaigns and will most likely refuse."
            )
        if not await confirm_delete(self, "campaign", item.name, item.id, body):
            return
        await self._write("delete", item, f"delete campaign {item.name} ({item.id})")
        await forget_deleted(self, "campaigns", item.id, item.name)

    # -- stats -----------------------------------------------------------------------------------

    def action_stats(self) -> None:
        item = self._selected()
        if item is None:
            return
        from preo_tui.ui.campaigns.stats import CampaignStatsScreen

        self.app.push_screen(CampaignStatsScreen(item))

    # -- failures --------------------------------------------------------------------------------

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("Conflict", "ValidationFailed", "PermissionDenied"):
            item = self.current
            words = report.message
            if item is not None:
                self.refusal = (item.id, f"Refused by the server: {words}")
                self.show_detail(item)
            self.notify(words, title="Refused by the server", severity="warning", timeout=10)
            return True
        return False
