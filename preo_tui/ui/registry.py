"""The app's screens, one module each, registered by jump name.

A feature screen module registers itself at import time::

    from preo_tui.ui.registry import register_screen

    @register_screen("refunds", title="Refund requests", aliases=("rfr",),
                     description="Review, approve and reject refund requests")
    class RefundsScreen(ListDetailScreen[RefundRequest]): ...

Each feature lives in its own folder, ``preo_tui/ui/<feature>/``, whose ``screen`` module
registers the feature's screens. ``load_feature_screens()`` imports every module named in
``FEATURE_MODULES``; a module that fails to import fails the app's start (and the tests) — a
broken feature is never silently left out. The app imports them right after its first frame
(the first frame needs only the home screen); ``resolve_loading`` imports one on demand when a
``:`` jump asks for it before that. The ``:`` prompt, the palette and the home dashboard read
``REGISTRY``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from textual.screen import Screen

#: Jump names the shell knows about even before their module registers them: the dashboard and
#: the ``:`` prompt offer them and say "not available" until a module registers the name.
KNOWN_JUMP_NAMES: dict[str, str] = {
    "home": "Dashboard of the current edition",
    "refunds": "Refund requests",
    "orders": "Orders of the current edition",
    "editions": "Editions of the organization",
    "users": "Customers",
    "campaigns": "Email and SMS campaigns",
    "emails": "Email messages",
    "segments": "Customer segments (CEL)",
    "journal": "Local journal of every write",
    "doctor": "Check this server against what preo-tui expects",
    "webhooks": "Webhook endpoints and their deliveries",
    "consents": "Consents customers grant (email, SMS)",
    "ops": "Every API operation and the screen and key performing it",
    "imports": "Data imports: CSV import wizard, external orders",
    "files": "The organization's files",
}

#: Feature modules imported by ``load_feature_screens`` (each registers its own screens).
FEATURE_MODULES: tuple[str, ...] = (
    "preo_tui.ui.home.screen",
    "preo_tui.ui.journal.screen",
    "preo_tui.ui.refunds.screen",
    "preo_tui.ui.segments.screen",
    "preo_tui.ui.editions.screen",
    "preo_tui.ui.orders.screen",
    "preo_tui.ui.users.screen",
    "preo_tui.ui.campaigns.screen",
    "preo_tui.ui.emails.screen",
    "preo_tui.ui.doctor.screen",
    "preo_tui.ui.webhooks.screen",
    "preo_tui.ui.consents.screen",
    "preo_tui.ui.ops.screen",
    "preo_tui.ui.imports.screen",
    "preo_tui.ui.files.screen",
)

S = TypeVar("S", bound="type[Screen[Any]]")


@dataclass(frozen=True)
class ScreenEntry:
    """One registered screen: how to reach it and how to build it."""

    name: str
    screen_class: type[Screen[Any]]
    title: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    #: Keyword arguments the screen class is built with (the class is called with no positional
    #: arguments; screens take what they need from ``app.ctx``).
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: Whether the screen needs a signed-in session with a current edition.
    needs_edition: bool = True

    def build(self) -> Screen[Any]:
        return self.screen_class(**self.kwargs)


class ScreenRegistry:
    """Jump names → screen classes."""

    def __init__(self) -> None:
        self._entries: dict[str, ScreenEntry] = {}
        self._aliases: dict[str, str] = {}

    def register(self, entry: ScreenEntry) -> None:
        self._entries[entry.name] = entry
        for alias in entry.aliases:
            self._aliases[alias] = entry.name

    def unregister(self, name: str) -> None:
        entry = self._entries.pop(name, None)
        if entry is not None:
            for alias in entry.aliases:
                self._aliases.pop(alias, None)

    def resolve(self, name: str) -> ScreenEntry | None:
        key = name.strip().lstrip(":").lower()
        key = self._aliases.get(key, key)
        return self._entries.get(key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.resolve(name) is not None

    def __iter__(self) -> Iterator[ScreenEntry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def names(self) -> list[str]:
        return sorted(self._entries)

    def all_jump_names(self) -> list[str]:
        """Registered names plus the known ones not registered yet."""
        return sorted(set(self._entries) | set(KNOWN_JUMP_NAMES))


REGISTRY = ScreenRegistry()


def register_screen(
    name: str,
    *,
    title: str,
    description: str = "",
    aliases: tuple[str, ...] = (),
    needs_edition: bool = True,
    **kwargs: Any,
) -> Callable[[S], S]:
    """Class decorator: register a screen class under a jump name."""

    def decorate(cls: S) -> S:
        REGISTRY.register(
            ScreenEntry(
                name=name,
                screen_class=cls,
                title=title,
                description=description or KNOWN_JUMP_NAMES.get(name, title),
                aliases=aliases,
                kwargs=dict(kwargs),
                needs_edition=needs_edition,
            )
        )
        return cls

    return decorate


class FeatureImportError(RuntimeError):
    """A feature screen module failed to import: the app does not start without it."""


def _import_feature(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception as exc:
        raise FeatureImportError(
            f"The screen module {module} failed to import ({type(exc).__name__}: {exc}); "
            "preo-tui does not start with a screen missing."
        ) from exc


def load_feature_screens() -> list[str]:
    """Import every feature screen module; return their names.

    A module that fails to import raises :class:`FeatureImportError`: one broken feature must
    be seen at once, in the app's start and in the tests, never hidden behind a "not
    available" jump name.
    """
    loaded: list[str] = []
    for module in FEATURE_MODULES:
        _import_feature(module)
        loaded.append(module)
    return loaded


def feature_module(name: str) -> str | None:
    """The module registering the screen called ``name``: each feature's folder is named
    after its jump name (``orders`` → ``preo_tui.ui.orders.screen``); ``None`` when no module
    of ``FEATURE_MODULES`` is (aliases are known once their module is loaded)."""
    module = f"preo_tui.ui.{name.strip().lstrip(':').lower()}.screen"
    return module if module in FEATURE_MODULES else None


def resolve_loading(name: str) -> ScreenEntry | None:
    """``REGISTRY.resolve(name)``, importing the screen's module first when it is not loaded
    yet (a ``:`` jump typed before the feature screens finished loading after the first
    frame). An alias or an unknown name loads every feature module before giving up."""
    entry = REGISTRY.resolve(name)
    if entry is not None:
        return entry
    module = feature_module(name)
    if module is not None:
        _import_feature(module)
    else:
        load_feature_screens()
    return REGISTRY.resolve(name)
