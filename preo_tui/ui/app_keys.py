"""``KeysMixin`` of :class:`~preo_tui.ui.app.PreoApp`: key routing and dirty-form guards.

Keys wait while the screen on top mounts (``KeyGate``), single-letter app keys are inactive in
forms, a blocked key says why, and quitting or leaving asks about unsaved changes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.screen import ModalScreen

if TYPE_CHECKING:
    from preo_tui.ui.keygate import KeyGate

if TYPE_CHECKING:
    from textual.app import App

    _AppBase = App[None]
else:
    _AppBase = object


class KeysMixin(_AppBase):
    """Key routing, the quit keys and the unsaved-changes guard."""

    keys: KeyGate
    first_frame_settled: asyncio.Event
    SINGLE_KEY_ACTIONS: ClassVar[frozenset[str]]

    # -- keys ---------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys wait (in order) while the screen on top is still mounting: see ``KeyGate``."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            event = self._typed_ahead(event)
            if not self.keys.hold(event):
                await self.deliver_key(event)
            return
        await super().on_event(event)

    def _typed_ahead(self, event: events.Key) -> events.Key:
        """Keys typed before the terminal is switched to raw mode (``preo-tui`` then
        ``:orders`` Enter at once, or a burst sent with the command) pass through the
        terminal's line discipline, which turns Enter's CR into LF (``ICRNL``): Textual reads
        them as ctrl+j. Until the first frame is drawn, ctrl+j is such an Enter."""
        if event.key == "ctrl+j" and not self.first_frame_settled.is_set():
            return events.Key("enter", "\r")
        return event

    async def deliver_key(self, event: events.Key) -> None:
        """Route a key (held or just arrived) the way Textual does, then let the gate wait
        until it has been handled before the next one goes."""
        target = self.focused or self.screen
        await super().on_event(event)
        self.keys.delivered(target)

    def in_form(self) -> bool:
        """A form, an editor or a dialog is on top: single letters belong to it."""
        screen = self.screen
        if getattr(screen, "KEEPS_APP_KEYS", False):  # the help overlay
            return False
        return isinstance(screen, ModalScreen) or bool(getattr(screen, "IS_FORM", False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.SINGLE_KEY_ACTIONS and self.in_form())

    async def run_action(
        self,
        action: str | Any,
        default_namespace: Any = None,
        namespaces: Any = None,
    ) -> bool:
        """As Textual's, but a key whose action is disabled (``check_action`` returned None)
        says why instead of doing nothing: the target's ``action_block_reason(name)``."""
        target, name, params = self._parse_action(
            action, self if default_namespace is None else default_namespace, namespaces
        )
        if target.check_action(name, params) is None:
            explain = getattr(target, "action_block_reason", None)
            reason = explain(name) if callable(explain) else None
            if reason:
                from preo_tui.ui.list_actions import say_blocked

                say_blocked(self, str(reason))
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def unsaved_forms(self, above: int = 0) -> list[str]:
        """What has unsaved changes on the stack (from index ``above`` up), e.g. "The
        campaign"."""
        found = []
        for screen in self.screen_stack[above:]:
            if getattr(screen, "dirty", False) is True:
                found.append(str(getattr(screen, "DIRTY_WHAT", "") or "A form"))
        return found

    def after_discarding(self, go: Any, *, above: int = 0, title: str = "") -> None:
        """Run ``go()`` now, or, when a form on the stack (from ``above`` up) has unsaved
        changes, after the operator agreed to discard them."""
        unsaved = self.unsaved_forms(above)
        if not unsaved:
            go()
            return
        from preo_tui.ui.widgets.confirm import ConfirmModal

        def answered(ok: bool | None) -> None:
            if ok:
                go()

        self.push_screen(
            ConfirmModal(
                title or "Discard your changes?",
                f"{', '.join(unsaved)} has unsaved changes.",
                confirm_label="Discard",
                cancel_label="Keep editing",
            ),
            callback=answered,
        )

    # -- quitting -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with unsaved changes in a form, ask first (ctrl+q, ``:quit``, ``q``)."""
        self.after_discarding(self.exit, title="Quit preo-tui and discard your changes?")

    async def action_quit_key(self) -> None:
        await self.action_quit()
