"""``CacheMixin`` of :class:`~preo_tui.ui.app.PreoApp`: the disk cache and the journal.

Opening the store of this server and user (before the network answers, so the first frame can
show cached figures), remembering and restoring the session context, the cache's identity,
``load_cached`` and the journal.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preo_tui.config import Profile, Settings
from preo_tui.credentials import Tokens
from preo_tui.ui.context import AppContext, ContextChanged, EditionRef, OrgRef
from preo_tui.ui.session import SandboxHandle

#: the shell's logger (these methods were part of ``preo_tui.ui.app``)
log = logging.getLogger("preo_tui.ui.app")

if TYPE_CHECKING:
    from textual.app import App

    _AppBase = App[None]
else:
    _AppBase = object


class CacheMixin(_AppBase):
    """The disk cache, the remembered context and the journal (state set in ``PreoApp``)."""

    ctx: AppContext
    settings: Settings
    profile: Profile
    sandbox: SandboxHandle | None
    initial_tokens: Tokens | None
    store_factory: Any
    journal_factory: Any
    cache_dir: Path | None
    _store_user: str | None
    _editions: list[EditionRef]

    if TYPE_CHECKING:

        def broadcast(self, message_factory: Any) -> None: ...

    def _open_store_early(self, tokens: Tokens) -> None:
        """Open the on-disk cache of this server and user before the network answers, so
        cached data can be drawn at once (the token's subject names the user)."""
        subject = tokens.subject
        if subject:
            self._open_user_store_early(subject, tokens)

    def _open_user_store_early(self, user: str, tokens: Tokens) -> None:
        """Open ``user``'s on-disk cache and restore the previous session from it (no-op when
        a store is open already)."""
        if self.ctx.store is not None:
            return
        self.ctx.store = self._open_store(user, tokens)
        if self.ctx.store is not None and self._restore_context():
            self.broadcast(lambda: ContextChanged("session"))

    def _remember_context(self) -> None:
        """Keep who we are and where we were (plain JSON) so the next start can draw the
        header and the dashboard from the cache before the network answers."""
        store = self.ctx.store
        me = self.ctx.me
        if store is None or me is None:
            return
        edition = self.ctx.edition
        data = {
            "me": {
                k: getattr(me, k, None) for k in ("id", "email", "first_name", "last_name", "phone")
            },
            "organizations": [[o.id, o.name, o.role] for o in self.ctx.organizations],
            "organization": self.ctx.organization.id if self.ctx.organization else None,
            "edition": asdict(edition) if edition else None,
            "editions": [asdict(e) for e in self._editions],
        }
        with contextlib.suppress(Exception):
            from preo_tui.store import Query

            store.put(Query("session.context", _never_called, params={}), data)

    def _restore_context(self) -> bool:
        data = self._peek("session.context")
        if not isinstance(data, dict) or not isinstance(data.get("me"), dict):
            return False
        try:
            orgs = [OrgRef(str(i), str(n), str(r)) for i, n, r in data.get("organizations", [])]
            self.ctx.me = CachedUser(**data["me"])
            self.ctx.organizations = orgs
            org_id = data.get("organization")
            self.ctx.organization = next((o for o in orgs if o.id == org_id), None)
            self._editions = [EditionRef(**e) for e in data.get("editions", [])]
            edition = data.get("edition")
            self.ctx.edition = EditionRef(**edition) if isinstance(edition, dict) else None
        except (TypeError, ValueError):
            return False
        return True

    # -- the disk cache's identity (start-up from cache; see issue 20) -------------------------
    def _cache_server(self) -> str:
        """The server part of the cache file's identity: the sandbox's database for a
        sandbox (its port changes every launch), else the server URL."""
        identity = getattr(self.sandbox, "cache_identity", None) if self.sandbox else None
        return identity if isinstance(identity, str) else self.profile.server

    def _cache_user(self, user: str) -> str:
        """The user part: a sandbox the app signs in to by itself is always its admin."""
        if self.sandbox is not None and self.initial_tokens is None:
            return "admin"
        return user

    def _open_sandbox_store_early(self, tokens: Tokens | None) -> None:
        """Before the sandbox answers (it may take seconds to start): open its cache and
        restore the previous session, so the first frame shows the cached home."""
        if tokens is not None:  # given tokens name their user: _open_store_early's job
            return
        if self.ctx.store is not None or not isinstance(
            getattr(self.sandbox, "cache_identity", None), str
        ):
            return
        self.ctx.store = self._open_store("admin", Tokens(access=""))
        if self.ctx.store is not None and self._restore_context():
            self.broadcast(lambda: ContextChanged("session"))

    def _open_store(self, user: str, tokens: Tokens) -> Any:
        if self.ctx.journal is None:
            self.ctx.journal = self._open_journal()
        user = self._cache_user(user)
        self._store_user = user
        try:
            if self.store_factory is not None:
                return self.store_factory(
                    server=self._cache_server(), user=user, secrets=tokens.secrets
                )
            from preo_tui.store import open_store

            return open_store(
                server=self._cache_server(),
                user=user,
                cache_dir=self.cache_dir,
                disk=self.settings.app.disk_cache,
                secrets=tokens.secrets,
                journal=self.ctx.journal,
                read_only=self.profile.read_only,
            )
        except Exception as exc:  # the cache is an optimisation: never fatal
            log.warning("could not open the cache (%s)", type(exc).__name__)
            return None

    def _peek(self, resource: str, **params: Any) -> Any:
        store = self.ctx.store
        if store is None:
            return None
        try:
            from preo_tui.store import Query

            entry = store.peek(Query(resource, _never_called, params=params))
        except Exception:
            return None
        return getattr(entry, "value", None) if entry is not None else None

    async def load_cached(
        self, resource: str, loader: Any, *, fresh: bool = False, **params: Any
    ) -> Any:
        """Load through the store when there is one (cached, coalesced, offline-tolerant),
        else call ``loader`` directly. ``fresh`` forces a refresh; otherwise a cached value
        is returned at once and refreshed in the background."""
        store = self.ctx.store
        if store is None:
            return await loader()
        from preo_tui.store import Query

        query = Query(resource, loader, params=params)
        entry = await (store.refresh(query) if fresh else store.get(query))
        return entry.value

    def _open_journal(self) -> Any:
        try:
            if self.journal_factory is not None:
                return self.journal_factory(profile=self.profile.name, server=self.profile.server)
            from preo_tui.store import Journal

            return Journal(profile=self.profile.name, server=self.profile.server)
        except Exception as exc:
            log.warning("could not open the journal (%s)", type(exc).__name__)
            return None

    async def _close_store(self) -> None:
        store = self.ctx.store
        self.ctx.store = None
        self._store_user = None
        closer = getattr(store, "close", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()


@dataclass(frozen=True)
class CachedUser:
    """The signed-in user as remembered in the cache (enough for the header)."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


async def _never_called() -> Any:  # a Query's loader for keys the app only peeks or puts
    raise RuntimeError("this cache entry is written by the app, not loaded")
