"""Command palette providers.

``ScreenCommands`` lists every action bound on the current screen (generated from its active
bindings, so a feature screen's actions appear without extra code) with the key that runs it.
``JumpCommands`` offers every registered screen, every edition and every profile.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.dom import DOMNode


def binding_commands(screen: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """``(title, help, callback)`` for every described binding active on ``screen``."""
    app = screen.app
    seen: set[tuple[int, str]] = set()
    commands: list[tuple[str, str, Callable[[], Any]]] = []
    for _key, active in screen.active_bindings.items():
        node: DOMNode = active.node
        binding = active.binding
        if not binding.description or binding.action in ("command_palette",):
            continue
        marker = (id(node), binding.action)
        if marker in seen:
            continue
        seen.add(marker)
        key = app.get_key_display(binding)
        title = binding.description
        help_text = f"key {key}" + (f" · {binding.tooltip}" if binding.tooltip else "")
        if not active.enabled:
            help_text += " · not available now"
        commands.append((title, help_text, partial(_run_action, node, binding.action)))
    return commands


def _run_action(node: Any, action: str) -> None:
    node.app.call_later(node.run_action, action)


class ScreenCommands(Provider):
    """Every action of the current screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return binding_commands(self.screen)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class JumpCommands(Provider):
    """Screens (``:name``), editions and profiles."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        from preo_tui.ui.registry import KNOWN_JUMP_NAMES, REGISTRY

        app: Any = self.app
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        for name in REGISTRY.all_jump_names():
            entry = REGISTRY.resolve(name)
            description = entry.description if entry else KNOWN_JUMP_NAMES.get(name, "")
            if entry is None:
                description += " (not available yet)"
            commands.append((f"Go to :{name}", description, partial(app.jump, name)))
        if "doctor" in REGISTRY:
            commands.append(
                (
                    "Check this server",
                    "Which operations this server speaks (read-only; :doctor)",
                    partial(app.jump, "doctor"),
                )
            )
        for edition in getattr(app, "editions", []):
            commands.append(
                (
                    f"Edition {edition.name}",
                    "Make it the current edition",
                    partial(app.set_edition, edition),
                )
            )
        settings = getattr(app, "settings", None)
        for profile in getattr(settings, "profiles", {}).values():
            commands.append(
                (
                    f"Profile {profile.name}",
                    profile.server,
                    partial(app.choose_profile, profile.name),
                )
            )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            if title.startswith("Go to") or title == "Check this server":
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
