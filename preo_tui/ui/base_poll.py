"""Refresh and polling, a part of :class:`~preo_tui.ui.base.PreoScreen` (a mixin): ``r``
refreshes at once; ``poll()`` is called every ``poll_interval()`` seconds, the next poll armed
only when the previous one finished, paused while the screen is hidden, backing off while the
server fails."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from preo_tui.ui.context import AppContext

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("preo_tui.ui.base")

#: Seconds of the longest back-off between failed polls.
MAX_BACKOFF = 120.0


class ScreenPolling(_Base):
    """The poller of a screen (PreoScreen's ``__init__`` sets the attributes)."""

    #: Set by PreoScreen (seconds, ``"settings"``, or None: no poll).
    POLL_INTERVAL: ClassVar[float | Literal["settings"] | None]

    _poll_timer: Timer | None
    _poll_failures: int
    _poll_running: bool

    if TYPE_CHECKING:

        @property
        def ctx(self) -> AppContext: ...

        def run_job(
            self,
            work: Awaitable[Any] | Callable[[], Awaitable[Any]],
            *,
            name: str = "",
            group: str = "default",
            exclusive: bool = False,
        ) -> Worker[Any]: ...

    # -- refresh and polling ------------------------------------------------------------------

    def action_refresh(self) -> None:
        # A refresh stalled on a slow server is cancelled and started again (issue 14): the
        # exclusive worker replaces the waiting poll, the store drops the stalled load.
        store = self.ctx.store
        if store is not None and store.restart_stalled():
            self.notify("The last refresh was stalled: asked again.", timeout=3)
        self.run_job(partial(self._poll_now, manual=True), group="poll", exclusive=True)

    async def poll(self) -> None:
        """Re-read the data on screen (override). Raise on failure."""

    def poll_interval(self) -> float | None:
        interval = self.POLL_INTERVAL
        if interval == "settings":
            profile = self.ctx.profile
            value = getattr(profile, "refresh_interval", None)
            return float(value) if isinstance(value, (int, float)) else 10.0
        return interval

    def on_screen_resume(self) -> None:
        self._arm_poll()

    def on_screen_suspend(self) -> None:
        self._disarm_poll()

    def _arm_poll(self) -> None:
        self._disarm_poll()
        interval = self.poll_interval()
        if interval is None or not self.is_attached:
            return
        delay = (
            min(interval * (2**self._poll_failures), MAX_BACKOFF)
            if self._poll_failures
            else interval
        )
        self._poll_timer = self.set_timer(delay, self._poll_tick)

    def _disarm_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None

    def _poll_tick(self) -> None:
        self._poll_timer = None
        if not self.is_current or self._poll_running:
            return
        # A callable, not a coroutine: a poll cancelled before it starts (the next one is
        # exclusive) leaves no never-awaited coroutine behind.
        self.run_job(partial(self._poll_now, manual=False), group="poll", exclusive=True)

    async def _poll_now(self, *, manual: bool) -> None:
        self._poll_running = True
        try:
            await self.poll()
        except Exception as exc:
            self._poll_failures = min(self._poll_failures + 1, 6)
            if manual or self._poll_failures == 1:
                raise
            log.info("poll failed again (%s); backing off", type(exc).__name__)
        else:
            self._poll_failures = 0
        finally:
            self._poll_running = False
            if self.is_current:
                self._arm_poll()
