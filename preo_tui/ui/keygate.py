"""``KeyGate``: no key is dropped or sent to the wrong place while screens change.

Textual routes a key to the focused widget of the screen on top (or the screen itself when
nothing has focus), and the key then bubbles up widget by widget, asynchronously, until a
binding acts on it. Two things lose keys typed in one burst (a fast typist, a paste, an SSH
link delivering a whole line in one packet):

- a key that opens a screen (``:``, ``a``, ``n``…) is still bubbling when the next keys are
  routed: they go to the old screen;
- right after ``push_screen`` the new screen is on top but not mounted, its input does not
  exist yet: the keys reach the bare screen, or an app binding (the ``e`` of ``:editions``).

The gate delivers one key at a time. After a key is routed, the next waits until the first has
finished bubbling (a marker follows it up the same path, queue by queue, to the app), and
until the screen on top is mounted and has drawn once (its ``on_mount`` focus and
``AUTO_FOCUS`` done). Keys wait in order and are never reordered.

How long a key takes to bubble is no measure of anything: on a loaded machine (a shared CI
runner, a busy jump host) importing a screen's module or composing it can take seconds, and a key
released early then lands on the screen being left. So a key waits as long as its marker is
alive; a marker whose widget was removed (a dialog dismissed by that very key) is lost and counts
as landed at once. Only a queue stuck for ``MAX_HOLD`` seconds (a bug elsewhere) lets the keys go
on rather than swallowing them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import events

if TYPE_CHECKING:
    from preo_tui.ui.app import PreoApp


class _Flight:
    """One delivered key's marker: where it waits now, and since when the key is out."""

    __slots__ = ("node", "started")

    def __init__(self, node: Any, started: float) -> None:
        self.node = node
        self.started = started

    def lost(self) -> bool:
        """The marker waits in the queue of a widget that is closing or closed: it will never
        run (the key removed that widget, or its screen)."""
        node = self.node
        return node is None or bool(node._closing or node._closed)


class KeyGate:
    MAX_HOLD = 30.0
    POLL = 0.01

    def __init__(self, app: PreoApp) -> None:
        self.app = app
        self.held: list[events.Key] = []
        self._settled: dict[int, bool] = {}
        self._flights: list[_Flight] = []
        #: The gate's clock (a test makes a slow machine by moving it on).
        self.clock = time.monotonic
        self._timer: Any = None
        self._delivering = False
        self._release_queued = False

    # -- state --------------------------------------------------------------------------------

    def ready(self) -> bool:
        """The next key may be routed now."""
        if self._flights:
            now = self.clock()
            stuck = [f for f in self._flights if now - f.started >= self.MAX_HOLD]
            if stuck:
                self.app.log.warning(
                    f"keys: a key's handling has not ended in {self.MAX_HOLD:.0f} s"
                )
            self._flights = [f for f in self._flights if not f.lost() and f not in stuck]
            if self._flights:
                return False
        try:
            screen = self.app.screen
        except Exception:
            return False
        if not screen.is_mounted:
            return False
        state = self._settled.get(id(screen))
        if state is None:
            self._settled[id(screen)] = False
            if not screen.call_after_refresh(self._settle, id(screen)):
                self._settled[id(screen)] = True
                return True
            return False
        return state

    def _settle(self, screen_id: int) -> None:
        self._settled[screen_id] = True
        live = {id(s) for s in self.app.screen_stack}
        for key in [k for k in self._settled if k not in live and k != screen_id]:
            del self._settled[key]
        self._release_soon()

    # -- keys ---------------------------------------------------------------------------------

    def hold(self, event: events.Key) -> bool:
        """True when ``event`` was kept back (it will be delivered later, in order)."""
        if not self.held and not self._delivering and self.ready():
            return False
        self.held.append(event)
        self._arm()
        return True

    def delivered(self, target: Any) -> None:
        """A key was just routed to ``target``: the next one waits until it has bubbled
        through ``target``'s ancestors to the app."""
        flight = _Flight(target, self.clock())
        self._flights.append(flight)
        self._post(flight, target, 1, self.ROUNDS)

    #: A key's binding runs when the key reaches the app, and may post messages to the
    #: focused widget (``enter`` makes an Input post ``Submitted``): after the first round
    #: the marker goes up once more from the focused widget.
    ROUNDS = 2

    def _post(self, flight: _Flight, node: Any, visit: int, rounds: int) -> None:
        flight.node = node
        if node is None or not node.call_later(self._at, flight, node, visit, rounds):
            self._landed(flight)

    def _at(self, flight: _Flight, node: Any, visit: int, rounds: int) -> None:
        """The marker reached ``node``'s queue behind the key. It waits there once more, so
        what the key made ``node`` post to itself (``Input.Submitted``, ``Button.Pressed``)
        goes up first, then follows the key to the parent; at the app the key is done."""
        if visit == 1:
            self._post(flight, node, 2, rounds)
        elif node is self.app or getattr(node, "_parent", None) is None:
            if rounds > 1:
                self._post(flight, self.app.focused or self.app.screen, 1, rounds - 1)
            else:
                self._landed(flight)
        else:
            self._post(flight, node._parent, 1, rounds)

    def _landed(self, flight: _Flight) -> None:
        if flight in self._flights:
            self._flights.remove(flight)
        if not self._flights:
            self._release_soon()

    # -- releasing ----------------------------------------------------------------------------

    def _release_soon(self) -> None:
        if self.held and not self._release_queued:
            self._release_queued = True
            self.app.call_later(self._release)

    def _arm(self) -> None:
        if self._timer is None:
            self._timer = self.app.set_timer(self.POLL, self._tick)

    async def _tick(self) -> None:
        self._timer = None
        await self._release()

    async def _release(self) -> None:
        self._release_queued = False
        if self._delivering:
            return
        self._delivering = True
        try:
            while self.held:
                if not self.ready():
                    self._arm()
                    return
                event = self.held.pop(0)
                await self.app.deliver_key(event)
        finally:
            self._delivering = False
