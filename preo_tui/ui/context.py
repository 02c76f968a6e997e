"""The application context every screen reaches data through.

``PreoApp.ctx`` is one :class:`AppContext`. Screens read the client, the store, the signed-in
user and the current organization/edition from it; they never build their own clients.
When the organization or edition changes the app posts :class:`ContextChanged` to every
screen on the stack (see ``PreoApp.set_edition``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from textual.message import Message

from preo_tui.config import Environment, Profile, Settings, classify_server

if TYPE_CHECKING:
    from preo_tui.actions import ActionRunner
    from preo_tui.api.client import PreoClient
    from preo_tui.store.core import Store
    from preo_tui.store.journal import Journal

#: The environment kinds (production, staging, development, sandbox, custom) come from the
#: config layer, which classifies servers by host (production by host, never by name).
EnvironmentKind = Environment


def environment_for(server: str, *, sandbox: bool = False) -> Environment:
    """The environment of a server; a profile started with ``--sandbox`` is a sandbox unless
    it somehow points at production (the red badge always wins)."""
    kind = classify_server(server)
    if sandbox and kind is not Environment.PRODUCTION:
        return Environment.SANDBOX
    return kind


@dataclass(frozen=True, slots=True)
class OrgRef:
    """An organization the signed-in user belongs to, with their role in it."""

    id: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class EditionRef:
    """The current edition (enough to show it and to filter by it)."""

    id: str
    name: str
    organization_id: str
    timezone: str = "UTC"
    currency: str | None = None


class SignedInUser(Protocol):
    """The signed-in user: the server's ``Me`` or the one remembered in the cache."""

    @property
    def id(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...


@dataclass
class AppContext:
    """Everything a screen needs to reach the server and know where it is.

    ``client``, ``store`` and ``journal`` are the objects built by the api/store layers; they are
    ``None`` until the app has signed in (the sign-in screen and the frame cope with that).
    """

    profile_name: str
    base_url: str
    environment: Environment
    read_only: bool = False
    client: PreoClient | None = None
    store: Store | None = None
    journal: Journal | None = None
    me: SignedInUser | None = None
    organizations: list[OrgRef] = field(default_factory=list)
    organization: OrgRef | None = None
    edition: EditionRef | None = None
    offline: bool = False
    settings: Settings | None = None
    profile: Profile | None = None
    #: The session's action runner (see ``preo_tui.ui.writes.runner_of``).
    actions: ActionRunner | None = None

    def require_client(self) -> PreoClient:
        """The client; only for code that runs after sign-in (raises before it)."""
        if self.client is None:
            raise RuntimeError("not signed in yet: no client")
        return self.client

    @property
    def role(self) -> str | None:
        """The signed-in user's role in the current organization."""
        return self.organization.role if self.organization else None

    @property
    def can_write(self) -> bool:
        """Whether writes may be attempted at all (the client enforces read-only too)."""
        return not self.read_only and not self.offline

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def user_label(self) -> str:
        me = self.me
        if me is None:
            return "not signed in"
        name = f"{me.first_name or ''} {me.last_name or ''}".strip()
        return name or me.email or me.id


class ContextChanged(Message):
    """Posted to every screen when the organization, edition or session changes."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class EditionChanged(ContextChanged):
    """Posted to every screen when the current edition changes."""

    def __init__(self, edition: EditionRef | None) -> None:
        super().__init__("edition")
        self.edition = edition
