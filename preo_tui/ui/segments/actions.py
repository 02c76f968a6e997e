"""Actions on the selected segment (part of :class:`~preo_tui.ui.segments.screen.SegmentsScreen`,
which binds their keys): ``c`` recalculate (then followed live until it finishes), ``b`` reset
a stuck segment to draft, ``d`` delete; each write a durable action, a server's refusal shown
as its words.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from preo_tui.api.campaigns import Campaign
from preo_tui.api.segments import Segment
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.list_actions import (
    confirm_delete,
    forget_deleted,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.segments.common import (
    FOLLOW_INTERVAL,
    FOLLOW_LIMIT,
    MOVING,
    OPEN_CAMPAIGN_STATUSES,
    _value,
)
from preo_tui.ui.widgets.confirm import ConfirmModal
from preo_tui.ui.writes import perform_operation

if TYPE_CHECKING:
    _Base = ListDetailScreen[Segment]
else:
    _Base = object


class SegmentActions(_Base):
    """The segment screen's writes (a mixin: the screen's ``BINDINGS`` name them)."""

    # Set by the screen.
    current: Segment | None
    _following: set[str]

    if TYPE_CHECKING:

        def campaigns_using(self, segment_id: str) -> list[Campaign]: ...

    def _selected(self) -> Segment | None:
        return selected_or_warn(self, "segment")

    def _writable(self) -> bool:
        return writable_or_warn(self)

    async def _write(self, operation: str, segment: Segment, summary: str) -> Any:
        """One write on ``segment`` as a durable action (journalled, resolved by re-reading
        when its answer is lost)."""
        return await perform_operation(
            self.ctx, f"segments.{operation}", summary, self, id=segment.id
        )

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
