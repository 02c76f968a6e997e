"""The footer of every screen: Textual's ``Footer``, recomposed only when what it shows changes.

Textual's footer rebuilds all its keys whenever the screen's bindings are updated — also when
a dialog closes and focus returns to the widget that had it, with exactly the keys shown before
the dialog. Rebuilding mounts a dozen widgets and lays out the whole screen: on the refund
queue that was the bulk of the frame after a confirmed decision. ``StableFooter`` compares
what it would show (key, label, description, binding, enabled, tooltip, group) with what it
shows and recomposes only when they differ. A binding is named by its id where it has one:
two bindings of one key with the same id (the refund queue's ``a`` and its burst-path twin)
are the same key to the operator.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class StableFooter(Footer):
    """A ``Footer`` that recomposes only when its keys change."""

    _shown: tuple[Any, ...] | None = None

    def _signature(self, screen: Screen[Any]) -> tuple[Any, ...]:
        active = screen.active_bindings
        keys: list[Any] = [
            (
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.id or binding.action,
                enabled,
                tooltip,
                getattr(binding.group, "description", None),
            )
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show
        ]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None:
            keys.append(("palette", palette[1].key, palette[2]))
        return (self.compact, self.show_command_palette, *keys)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if (
            self._bindings_ready
            and self.is_attached
            and screen is self.screen
            and self._shown is not None
            and self._signature(screen) == self._shown
        ):
            return  # the same keys as shown: nothing to rebuild
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._signature(self.screen)
        compact = self.compact
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # A FooterKey starts compact and is then bound to the footer's setting: two
                # restyles of every key at each rebuild. It starts as it will be. (The command
                # palette's key is not bound: it stays as Textual makes it.)
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget


__all__ = ["StableFooter"]
