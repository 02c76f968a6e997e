"""Live progress on the refund queue: the requests decided in this session are re-read at a
short interval while they move on the payment side (approved → ready → processing →
processed or failed), lost answers are resolved by re-reading (``decisions.check_pending``),
and the list itself is re-read at the profile's interval (a mixin of ``RefundsScreen``)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar

from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.refunds.common import IN_FLIGHT

if TYPE_CHECKING:
    from preo_tui.ui.base import ListDetailScreen
    from preo_tui.ui.refunds.decisions import PendingCheck, RowOutcome

    _Base = ListDetailScreen[RefundRequest]
else:
    _Base = object

#: Tracked (decided this session) requests re-read per poll.
TRACK_LIMIT = 200


class RefundLive(_Base):
    """The polls of :class:`~preo_tui.ui.refunds.screen.RefundsScreen` (a mixin)."""

    #: Seconds between polls while decided requests are still moving (else the profile's).
    LIVE_INTERVAL: ClassVar[float] = 1.0

    tracked: dict[str, RefundRequest]
    pending_checks: dict[str, PendingCheck]
    outcomes: dict[str, RowOutcome]
    bulk_running: bool
    _window_read_at: float

    if TYPE_CHECKING:

        @property
        def currency(self) -> str | None: ...

        async def check_pending(self) -> None: ...

        def _adopt(self, fresh: RefundRequest) -> None: ...

        def reload_detail(self, item: RefundRequest | None = None) -> None: ...

        @staticmethod
        def _service_text(value: object) -> str: ...

    def poll_interval(self) -> float | None:
        base = super().poll_interval()
        moving = any(value_of(r.status) in IN_FLIGHT for r in self.tracked.values())
        if moving or self.pending_checks:
            return min(base, self.LIVE_INTERVAL) if base is not None else self.LIVE_INTERVAL
        return base

    async def poll(self) -> None:
        """Re-read the window at the profile's interval, and the requests decided in this
        session (still moving on the payment side) at the live interval."""
        base = super().poll_interval() or 0.0
        due = time.monotonic() - self._window_read_at >= base * 0.9
        busy = self.bulk_running or any(o.kind == "working" for o in self.outcomes.values())
        if due and not busy:
            await self.table.refresh_now()
            self._window_read_at = time.monotonic()
        await self.poll_tracked()

    def action_refresh(self) -> None:
        self._window_read_at = 0.0
        super().action_refresh()
        self.reload_detail()  # the money shown: read again, not the cached figures

    async def poll_tracked(self) -> None:
        """Re-read the decided requests still moving and resolve lost answers."""
        client = self.ctx.client
        if client is None:
            return
        await self.check_pending()
        moving = [rid for rid, r in self.tracked.items() if value_of(r.status) in IN_FLIGHT][
            :TRACK_LIMIT
        ]
        if not moving:
            return

        async def one(rid: str) -> Any:
            return await self._read_fresh(rid)

        results = await asyncio.gather(*(one(rid) for rid in moving), return_exceptions=True)
        first_error: BaseException | None = None
        for rid, result in zip(moving, results, strict=True):
            if isinstance(result, BaseException):
                first_error = first_error or result
                continue
            old = self.tracked.get(rid)
            if old is not None and old.status == result.status and old.modified == result.modified:
                continue  # unchanged: no redraw
            self.tracked[rid] = result
            self._adopt(result)
            if value_of(result.status) == "failed" and (
                old is None or value_of(old.status) != "failed"
            ):
                reason = self._service_text(result.service_response).splitlines()[0]
                self.notify(
                    f"Order {result.order_number or rid} ({money(result.amount, self.currency)}):"
                    f" {reason}",
                    title="Refund failed",
                    severity="error",
                    timeout=12,
                )
        if first_error is not None and len(results) == sum(
            isinstance(r, BaseException) for r in results
        ):
            raise first_error

    async def _read_fresh(self, rid: str) -> RefundRequest:
        client = self.ctx.client
        assert client is not None
        store = self.ctx.store
        if store is None:
            fresh: RefundRequest = await client.refunds.get(rid)
            return fresh

        async def loader() -> Any:
            return await client.refunds.get(rid)

        entry = await store.refresh(self.data_query("refunds", loader, scoped=False, id=rid))
        value: RefundRequest = entry.value
        return value

    def live_requests(self) -> list[RefundRequest]:
        """Decided requests still on the payment side (tests, status line)."""
        return [r for r in self.tracked.values() if value_of(r.status) in IN_FLIGHT]


__all__ = ["TRACK_LIMIT", "RefundLive"]
