"""``PreoApp``: the shell every screen lives in.

It owns the :class:`AppContext` (profile, client, store, journal, signed-in user, current
organization/edition), the sign-in flow (token, password, PIN; silent refresh; back to the
sign-in screen without losing the stack), navigation (``:`` jump, ``escape`` back, ``?`` help,
``ctrl+p`` palette), the connection state, the single worker-failure handler, the keymap and
themes, the "terminal too small" guard, and the clipboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from preo_tui.config import (
    LoadResult,
    Profile,
    Settings,
    default_settings,
    set_last_profile,
    token_from_env,
)
from preo_tui.credentials import CredentialStore, Tokens
from preo_tui.ui.clipboard import osc52_sequence
from preo_tui.ui.commands import JumpCommands, ScreenCommands
from preo_tui.ui.context import (
    AppContext,
    ContextChanged,
    EditionChanged,
    EditionRef,
    OrgRef,
    environment_for,
)
from preo_tui.ui.errors import describe_error
from preo_tui.ui.keygate import KeyGate
from preo_tui.ui.registry import KNOWN_JUMP_NAMES, REGISTRY, load_feature_screens
from preo_tui.ui.session import ClientFactory, ClientSpec, SandboxHandle, default_client_factory

log = logging.getLogger(__name__)

MIN_WIDTH = 60
MIN_HEIGHT = 16
#: Themes offered besides Textual's own set (16-colour terminals).
ANSI_THEMES = ("ansi-dark", "ansi-light")


class PreoApp(App[None]):
    """The preo-tui application."""

    TITLE = "preo-tui"
    CSS_PATH = "styles/app.tcss"
    COMMANDS = App.COMMANDS | {ScreenCommands, JumpCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_key", "Quit", id="app.quit"),
        Binding("colon", "jump", "Jump", id="app.jump"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("e", "pick_edition", "Edition", id="app.edition"),
        Binding("ctrl+p", "command_palette", "Palette", id="app.palette", show=False),
        Binding(
            "ctrl+q",
            "quit",
            "Quit, even from a form (asks about unsaved changes)",
            id="app.force_quit",
            show=False,
            priority=True,
        ),
    ]
    #: App actions bound to single printable keys: inactive while a form, an editor or a
    #: dialog is on top (there a letter belongs to the form; ctrl+q still quits, asking first).
    SINGLE_KEY_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"quit_key", "jump", "help", "pick_edition"}
    )

    def __init__(
        self,
        profile: Profile,
        *,
        settings: Settings | None = None,
        config: LoadResult | None = None,
        client_factory: ClientFactory | None = None,
        credentials: CredentialStore | None = None,
        tokens: Tokens | None = None,
        sandbox: SandboxHandle | None = None,
        store_factory: Any = None,
        journal_factory: Any = None,
        cache_dir: Path | None = None,
        remember_profile: bool = True,
        watchdog: bool = False,
        tune_gc: bool = False,
    ) -> None:
        super().__init__()
        # Rich renderables (detail tables) render their str cells with this console: never as
        # markup, since they hold server text ("[/]" would crash, "[@click=...]" would act).
        self.console._markup = False
        self.config = config
        self.settings = settings or (config.settings if config else default_settings())
        self.profile = profile
        self.client_factory = client_factory or default_client_factory
        self.credentials = credentials
        self.initial_tokens = tokens
        self.sandbox = sandbox
        #: The embedded sandbox this app started, kept while another profile is in use:
        #: switching to production and back finds it (and its port) again.
        self._sandbox_handle = sandbox
        self.store_factory = store_factory
        self.journal_factory = journal_factory
        self.cache_dir = cache_dir
        self.remember_profile = remember_profile
        self.use_watchdog = watchdog
        self.tune_gc = tune_gc
        self.ctx = self._fresh_context(profile)
        self.connection_state = "connecting"
        self.session_ready = asyncio.Event()
        self.features_loaded = threading.Event()
        #: set once the home screen has drawn figures (cached or fresh)
        self.first_data_drawn = asyncio.Event()
        self.last_copied: str | None = None
        self._remove_listener: Any = None
        self._too_small_shown = False
        self._tokens: Tokens | None = None
        #: the user part of the open disk cache's identity (see _cache_user)
        self._store_user: str | None = None
        self._editions: list[EditionRef] = []
        self.keys = KeyGate(self)

    # -- context ------------------------------------------------------------------------------

    def _fresh_context(self, profile: Profile) -> AppContext:
        return AppContext(
            profile_name=profile.name,
            base_url=profile.server,
            environment=environment_for(profile.server, sandbox=profile.sandbox),
            read_only=profile.read_only,
            settings=self.settings,
            profile=profile,
        )

    @property
    def editions(self) -> list[EditionRef]:
        """Editions of the current organization (for the picker and ``:edition``)."""
        return list(self._editions)

    def broadcast(self, message_factory: Any) -> None:
        """Post a fresh message (built by ``message_factory()``) to every screen on the stack."""
        for screen in self.screen_stack:
            screen.post_message(message_factory())

    def set_edition(self, edition: EditionRef | None) -> None:
        """Make ``edition`` the current edition of the whole app."""
        if edition == self.ctx.edition:
            return
        self.ctx.edition = edition
        self._remember_context()
        self.broadcast(lambda: EditionChanged(edition))

    # -- start-up -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._apply_settings()
        # Feature screens (and the API client) are imported in a thread once the home screen
        # has drawn its cached figures (or after a second): they must not slow that first frame.
        # exit_on_error: a feature module that fails to import stops the app with its traceback
        # (a broken screen is never silently missing).
        self.run_worker(self._load_features_later(), group="features", exit_on_error=True)
        if self.config is not None:
            for warning in self.config.warnings:
                self.notify(str(warning), title="Configuration", severity="warning", timeout=12)
        if self.use_watchdog:
            from preo_tui.ui.watchdog import install_watchdog

            install_watchdog(self)
        from preo_tui.ui.home.screen import HomeScreen

        self.push_screen(HomeScreen())
        self._check_size(self.size.width, self.size.height)
        self.start_session()

    async def _load_features_later(self) -> None:
        await self._after_first_data(1.0)
        await asyncio.to_thread(self._import_features)
        if self.tune_gc:
            self._tune_gc()

    @staticmethod
    def _tune_gc() -> None:
        """Once start-up is done: move the start-up objects out of the collector's scans and
        make young collections rarer. Rendering allocates many short-lived cyclic objects; with
        the default thresholds CPython rescans the whole heap every few pages of a long list
        (measured: 150-450 ms pauses while scrolling 100,000 orders)."""
        gc.collect()
        gc.freeze()
        # Young collections rarer (3000); full ones at the default rate (10): rarer full
        # collections let cyclic render garbage pile up (measured 433 MB vs 184 MB peak RSS).
        gc.set_threshold(3000, 20, 10)

    async def _after_first_data(self, within: float) -> None:
        """Wait (at most ``within`` s) until the home screen has drawn cached figures."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.first_data_drawn.wait(), within)

    def _import_features(self) -> None:
        try:
            load_feature_screens()
        finally:
            self.features_loaded.set()
        self.call_from_thread(self.broadcast, lambda: ContextChanged("screens"))

    def _apply_settings(self) -> None:
        theme = self.profile.theme or self.settings.app.theme
        if theme in self.available_themes:
            self.theme = theme
        keymap = dict(self.settings.keymap)
        if keymap:
            self.set_keymap(keymap)

    @work(group="session", exclusive=True, exit_on_error=False)
    async def start_session(self) -> None:
        """Find credentials and sign in; show the sign-in screen when there are none."""
        self.connection_state = "connecting"
        tokens = self.initial_tokens
        if self.sandbox is not None:
            self._open_sandbox_store_early(tokens)
            try:
                info = await self.sandbox.ready()
            except RuntimeError as exc:
                self.connection_state = "offline"
                self.notify(
                    str(exc), title="The sandbox did not start", severity="error", timeout=30
                )
                return
            self.profile = self.profile.with_server(info.base_url)
            self.ctx.base_url = self.profile.server
            self.ctx.profile = self.profile
            self.broadcast(lambda: ContextChanged("profile"))
            if tokens is None and info.admin_token:
                tokens = Tokens(access=info.admin_token)
            elif tokens is None and info.admin_email and info.admin_password:
                await self._client_module_ready()
                client = self._build_client(None)
                pair = await client.auth.login(info.admin_email, info.admin_password)
                tokens = Tokens(access=pair.access, refresh=pair.refresh)
                await self._close_client(client)
        if tokens is None:
            env_token = token_from_env(self.profile)
            if env_token:
                tokens = Tokens(access=env_token)
        if tokens is None and self.credentials is not None:
            tokens = self.credentials.for_profile(self.profile)
        if tokens is None:
            self.connection_state = "signed out"
            self.show_sign_in()
            await self._client_module_ready()
            return
        self._open_store_early(tokens)
        if self.ctx.me is not None:  # cached figures are on their way: let them draw first
            await self._after_first_data(0.5)
        await self._client_module_ready()
        try:
            await self.sign_in(tokens)
        except Exception as exc:
            kind = describe_error(exc).kind
            if kind == "AuthError":
                self.connection_state = "signed out"
                invalid = getattr(exc, "code", None) == "invalid_token"  # issue 14
                self.show_sign_in(
                    message=str(getattr(exc, "message", exc))
                    if invalid
                    else "Your session has expired: sign in again."
                )
            elif kind == "NetworkError" and self.ctx.me is not None:  # a cached session
                self.go_offline(str(describe_error(exc).message))
            elif kind == "NetworkError":
                self.connection_state = "offline"
                self.notify(
                    f"{self.profile.server} cannot be reached and nothing is cached yet. "
                    "Press r to try again.",
                    title="Server unreachable",
                    severity="error",
                    timeout=15,
                )
            else:
                raise

    async def _client_module_ready(self) -> None:
        """Import the API client off the event loop (it is the heaviest import)."""
        if "preo_tui.api.client" not in sys.modules:
            await asyncio.to_thread(importlib.import_module, "preo_tui.api.client")

    def _build_client(self, tokens: Tokens | None) -> Any:
        spec = ClientSpec(
            base_url=self.profile.server,
            token=tokens.access if tokens else None,
            refresh_token=tokens.refresh if tokens else None,
            read_only=self.profile.read_only,
            on_tokens=self._tokens_changed,
            operations=self.profile.operations,
        )
        return self.client_factory(spec)

    def _tokens_changed(self, tokens: Any) -> None:
        """The client refreshed or obtained tokens: remember them (never for the sandbox)."""
        access = getattr(tokens, "access", None)
        if not isinstance(access, str):
            return
        refresh = getattr(tokens, "refresh", None)
        self._tokens = Tokens(access=access, refresh=refresh if isinstance(refresh, str) else None)
        store = self.ctx.store
        if store is not None:  # new secrets must never reach the disk cache or the journal
            with contextlib.suppress(Exception):
                store.set_secrets(self._tokens.secrets)
        if self.credentials is not None and not self.profile.sandbox:
            with contextlib.suppress(Exception):
                self.credentials.login(self.profile, self._tokens)

    def _open_store_early(self, tokens: Tokens) -> None:
        """Open the on-disk cache of this server and user before the network answers, so
        cached data can be drawn at once (the token's subject names the user)."""
        if self.ctx.store is not None:
            return
        subject = tokens.subject
        if subject:
            self.ctx.store = self._open_store(subject, tokens)
            if self._restore_context():
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

    async def sign_in(self, tokens: Tokens, client: Any = None) -> None:
        """Adopt ``tokens``: build the client, read the user, open store and journal, choose
        the organization and edition. Raises the client's errors."""
        if client is None:
            client = self._build_client(tokens)
        me = await client.auth.me()
        old = self.ctx.client
        if old is not None and old is not client:
            await self._close_client(old)
        if self._remove_listener is not None:
            self._remove_listener()
        self._tokens = tokens
        self.ctx.client = client
        self._remove_listener = client.add_listener(self._connection_event)
        user = str(getattr(me, "id", ""))
        if self.ctx.store is None or self._store_user != self._cache_user(user):
            self.ctx.store = self._open_store(user, tokens) or self.ctx.store
        elif tokens.secrets:
            with contextlib.suppress(Exception):  # opened before the tokens were known
                self.ctx.store.set_secrets(tokens.secrets)
        if self.ctx.journal is None:
            self.ctx.journal = self._open_journal()
        self.ctx.offline = False
        self.connection_state = "online"
        self._adopt_me(me, broadcast=False)
        await self._load_editions()
        self._remember_context()
        if (
            self.credentials is not None
            and not self.profile.sandbox
            and not token_from_env(self.profile)
        ):
            with contextlib.suppress(Exception):
                self.credentials.login(self.profile, tokens)
        if self.remember_profile and self.settings.last_profile != self.profile.name:
            with contextlib.suppress(Exception):
                set_last_profile(self.profile.name)
        self.session_ready.set()
        self.broadcast(lambda: ContextChanged("session"))
        self._resume_writes()

    def _resume_writes(self) -> None:
        """In the background: re-read the writes an earlier run of this server and user left
        unknown, and record what happened (nothing is resent; ``:journal`` offers that)."""
        from preo_tui.ui.writes import resume_unknown

        async def resume() -> None:
            results = await resume_unknown(self.ctx)
            if not results:
                return
            applied = sum(1 for r in results if r.outcome == "applied")
            missing = sum(1 for r in results if r.outcome in ("not_applied", "elsewhere"))
            unknown = len(results) - applied - missing
            text = f"{len(results)} writes of an earlier session were unknown: {applied} applied"
            if missing:
                text += f", {missing} not applied (R in :journal resends with the same key)"
            if unknown:
                text += f", {unknown} still unknown"
            self.notify(text + ".", title="Journal", timeout=10)

        self.run_worker(resume(), group="resume-writes", exclusive=True, exit_on_error=False)

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

    def _adopt_me(self, me: Any, *, broadcast: bool) -> None:
        self.ctx.me = me
        orgs = [
            OrgRef(id=str(m.id), name=str(m.name or m.id), role=str(m.role or "staff"))
            for m in getattr(me, "organizations", []) or []
        ]
        self.ctx.organizations = orgs
        wanted = self.profile.organization
        current = self.ctx.organization
        chosen = next((o for o in orgs if o.id == wanted or o.name == wanted), None)
        if chosen is None and current is not None:
            chosen = next((o for o in orgs if o.id == current.id), None)
        self.ctx.organization = chosen or (orgs[0] if orgs else None)
        if broadcast:
            self.broadcast(lambda: ContextChanged("session"))

    def _editions_params(self, org_id: str) -> dict[str, Any]:
        return {
            "organization_id": org_id,
            "is_archived": False,
            "ordering": "-start_date",
            "page_size": 200,
        }

    async def _load_editions(self) -> None:
        org = self.ctx.organization
        client = self.ctx.client
        if org is None or client is None:
            self._editions = []
            return
        params = self._editions_params(org.id)
        page = await self.load_cached(
            "editions", lambda: client.editions.list(**params), fresh=True, **params
        )
        self._choose_edition(page)

    def _choose_edition(self, page: Any) -> None:
        """Pick the current edition from a page of editions: the profile's, else the one
        chosen last time, else the one already current, else one running now, else the
        newest."""
        results = list(getattr(page, "results", []) or [])
        editions = [self._edition_ref(e) for e in results]
        self._editions = editions
        org = self.ctx.organization
        remembered = self._peek("session.context")
        remembered_id = None
        if isinstance(remembered, dict) and org is not None:
            edition = remembered.get("edition")
            if isinstance(edition, dict) and edition.get("organization_id") in (org.id, ""):
                remembered_id = edition.get("id")
        current = self.ctx.edition
        wanted = self.profile.edition
        chosen = next((e for e in editions if wanted and wanted in (e.id, e.name)), None)
        if chosen is None and remembered_id:
            chosen = next((e for e in editions if e.id == remembered_id), None)
        if chosen is None and current is not None:
            chosen = next((e for e in editions if e.id == current.id), None)
        if chosen is None:
            chosen = next(
                (
                    e
                    for e, raw in zip(editions, results, strict=True)
                    if str(raw.status) == "current"
                ),
                None,
            )
        if chosen is None and editions:
            chosen = editions[0]
        self.ctx.edition = chosen

    @staticmethod
    def _edition_ref(edition: Any) -> EditionRef:
        return EditionRef(
            id=str(edition.id),
            name=str(edition.name),
            organization_id=str(getattr(edition, "organization_id", "") or ""),
            timezone=str(getattr(edition, "timezone", None) or "UTC"),
            currency=getattr(edition, "currency", None),
        )

    async def _close_client(self, client: Any) -> None:
        closer = getattr(client, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()

    async def _close_store(self) -> None:
        store = self.ctx.store
        self.ctx.store = None
        self._store_user = None
        closer = getattr(store, "close", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()

    # -- sign-in / sign-out -------------------------------------------------------------------

    def show_sign_in(self, message: str = "", *, reauth: bool = False) -> None:
        """Show the sign-in screen on top of the stack (the stack below is kept)."""
        from preo_tui.ui.shell.signin import SignInScreen

        if isinstance(self.screen, SignInScreen):
            if message:
                self.screen.show_error(message)
            return
        self.push_screen(SignInScreen(message=message, reauth=reauth))

    async def sign_out(self) -> None:
        if self.credentials is not None:
            with contextlib.suppress(Exception):
                self.credentials.logout(self.profile)
        client = self.ctx.client
        self.ctx.client = None
        self.ctx.me = None
        self.session_ready.clear()
        if client is not None:
            await self._close_client(client)
        self.connection_state = "signed out"
        self.broadcast(lambda: ContextChanged("session"))
        self.show_sign_in("Signed out.")

    async def switch_profile(self, profile: Profile) -> None:
        """Leave the current session and start one with ``profile`` (home screen first)."""
        client = self.ctx.client
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        if client is not None:
            await self._close_client(client)
        await self._close_store()
        self.profile = profile
        self.initial_tokens = None
        if self.sandbox is not None:
            self._sandbox_handle = self.sandbox
        self.sandbox = self._sandbox_handle if profile.sandbox else None
        self.ctx = self._fresh_context(profile)
        self.session_ready.clear()
        self._editions = []
        self._apply_settings()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.broadcast(lambda: ContextChanged("profile"))
        self.start_session()

    # -- connection ---------------------------------------------------------------------------

    def _connection_event(self, event: Any) -> None:
        state = str(getattr(event, "state", event))
        self.call_later(self._apply_connection_state, state)

    def _apply_connection_state(self, state: str) -> None:
        store = self.ctx.store
        if store is not None:
            with contextlib.suppress(Exception):
                store.handle_connection_event(state)
        if state == "tokens_refreshed":
            return
        if state == "auth_expired":
            self.connection_state = "auth_expired"
            self.show_sign_in(
                "Your session expired and could not be renewed: sign in again.", reauth=True
            )
            return
        if state == "offline":
            self.go_offline("")
            return
        was_offline = self.ctx.offline
        self.connection_state = state
        if state == "online" and was_offline:
            self.ctx.offline = False
            self.notify("Back online.", timeout=4)
            self.broadcast(lambda: ContextChanged("connection"))

    def go_offline(self, detail: str) -> None:
        if not self.ctx.offline:
            self.ctx.offline = True
            self.notify(
                "The server cannot be reached: showing cached data, writes are refused."
                + (f"\n{detail}" if detail else ""),
                title="Offline",
                severity="warning",
                timeout=8,
            )
            self.broadcast(lambda: ContextChanged("connection"))
        self.connection_state = "offline"

    # -- failures -----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The single failure handler: every worker error ends here as words, never a
        traceback."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if error is None:
            return
        self.report_error(error, node=event.worker.node)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is plain text (issue 14): toasts carry server text (names, error
        messages), and "[/]" must not crash nor "[@click=...]" become an action."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def report_error(self, error: BaseException, *, node: Any = None) -> None:
        report = describe_error(error)
        if report.kind not in {
            "AuthError",
            "PermissionDenied",
            "NotFound",
            "Conflict",
            "ValidationFailed",
            "RateLimited",
            "ServerError",
            "NetworkError",
            "Unsupported",
            "ReadOnlyError",
            "OfflineError",
            "DecodeError",
        }:
            log.error("unexpected failure", exc_info=error)
        screen = getattr(node, "screen", None) if node is not None else None
        if not isinstance(screen, Screen):
            screen = self.screen
        handler = getattr(screen, "handle_error", None)
        if handler is not None:
            try:
                if handler(report, error):
                    return
            except Exception:
                log.exception("error handler failed")
        if report.kind == "NetworkError" and self.ctx.store is not None:
            self.go_offline(report.message)
            return
        if report.kind == "AuthError" and self.ctx.client is not None:
            self.show_sign_in(report.message, reauth=True)
            return
        self.notify(report.toast_text(), title=report.title, severity=report.severity, timeout=8)

    # -- keys ---------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys wait (in order) while the screen on top is still mounting: see ``KeyGate``."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if not self.keys.hold(event):
                await self.deliver_key(event)
            return
        await super().on_event(event)

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

    # -- navigation ---------------------------------------------------------------------------

    def jump(self, target: str) -> bool:
        """Go to a screen by jump name (``refunds``) or run ``edition <name>`` / ``profile
        <name>``. Unknown or not-yet-available names give a message, never a crash."""
        text = target.strip().lstrip(":").strip()
        if not text:
            return False
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word in ("edition", "ed"):
            return self.choose_edition(rest.strip())
        if word in ("profile", "ctx"):
            return self.choose_profile(rest.strip())
        if word in ("org", "organization"):
            return self.choose_organization(rest.strip())
        if word in ("quit", "q"):
            self.after_discarding(self.exit, title="Quit preo-tui and discard your changes?")
            return True
        entry = REGISTRY.resolve(word)
        if entry is None and not self.features_loaded.is_set():
            load_feature_screens()  # asked before the background import finished
            entry = REGISTRY.resolve(word)
        if entry is None:
            if word in KNOWN_JUMP_NAMES:
                self.notify(
                    f":{word} is not available in this version yet.", severity="warning", timeout=5
                )
            else:
                names = ", ".join(REGISTRY.names())
                self.notify(
                    f"No screen called {word!r}. Available: {names}", severity="warning", timeout=6
                )
            return False
        if entry.needs_edition and self.ctx.edition is None:
            self.notify("Choose an edition first (press e).", severity="warning", timeout=5)
            return False
        for index, screen in enumerate(self.screen_stack):
            if type(screen) is entry.screen_class:

                def back_to(index: int = index) -> None:
                    while len(self.screen_stack) > index + 1:
                        self.pop_screen()

                self.after_discarding(back_to, above=index + 1)
                return True
        self.push_screen(entry.build())
        return True

    def go_back(self) -> None:
        """Back to the previous screen; the home screen is the bottom of the stack."""
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def action_jump(self) -> None:
        from preo_tui.ui.shell.jump import JumpPrompt

        def chosen(value: str | None) -> None:
            if value:
                self.jump(value)

        self.push_screen(JumpPrompt(), callback=chosen)

    def action_help(self) -> None:
        from preo_tui.ui.shell.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_pick_edition(self) -> None:
        self.choose_edition("")

    def choose_edition(self, name: str) -> bool:
        editions = self._editions
        if not editions:
            self.notify("No editions loaded yet.", severity="warning", timeout=4)
            return False
        if name:
            needle = name.lower()
            exact = [e for e in editions if needle in (e.name.lower(), e.id.lower())]
            found = exact or [e for e in editions if needle in e.name.lower()]
            if len(found) == 1:
                self.set_edition(found[0])
                self.notify(f"Edition: {found[0].name}", timeout=3)
                return True
            if not found:
                self.notify(f"No edition matches {name!r}.", severity="warning", timeout=5)
                return False
            editions = found
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: EditionRef | None) -> None:
            if value is not None:
                self.set_edition(value)

        self.push_screen(
            ChoiceModal(
                "Edition",
                [Choice(e, e.name) for e in editions],
                current=self.ctx.edition,
            ),
            callback=chosen,
        )
        return True

    def choose_organization(self, name: str) -> bool:
        """Switch the current organization (its editions are loaded, one becomes current)."""
        orgs = self.ctx.organizations
        if not orgs:
            self.notify("Not signed in yet.", severity="warning", timeout=4)
            return False
        if name:
            needle = name.lower()
            found = [o for o in orgs if needle in (o.id.lower(), o.name.lower())] or [
                o for o in orgs if needle in o.name.lower()
            ]
            if len(found) != 1:
                self.notify(
                    f"No single organization matches {name!r}.", severity="warning", timeout=5
                )
                return False
            self.run_worker(self.set_organization(found[0]), group="session", exit_on_error=False)
            return True
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: OrgRef | None) -> None:
            if value is not None:
                self.run_worker(self.set_organization(value), group="session", exit_on_error=False)

        choices = [Choice(o, f"{o.name}  ({o.role})") for o in orgs]
        self.push_screen(
            ChoiceModal("Organization", choices, current=self.ctx.organization), callback=chosen
        )
        return True

    async def set_organization(self, organization: OrgRef) -> None:
        if organization == self.ctx.organization:
            return
        self.ctx.organization = organization
        self.ctx.edition = None
        try:
            await self._load_editions()
        except Exception as exc:
            self.report_error(exc)
        self._remember_context()
        self.broadcast(lambda: ContextChanged("organization"))

    def choose_profile(self, name: str) -> bool:
        profiles = self.settings.profiles
        if name:
            profile = profiles.get(name)
            if profile is None:
                self.notify(
                    f"No profile {name!r}. Profiles: {', '.join(sorted(profiles))}",
                    severity="warning",
                    timeout=6,
                )
                return False
            self.after_discarding(
                lambda: self.run_worker(
                    self.switch_profile(profile), group="session", exit_on_error=False
                ),
                above=2,
            )
            return True
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: str | None) -> None:
            if value is not None:
                self.choose_profile(value)

        choices = [
            Choice(p.name, f"{p.name}  {p.server}{'  (read-only)' if p.read_only else ''}")
            for p in profiles.values()
        ]
        self.push_screen(
            ChoiceModal("Profile", choices, current=self.profile.name), callback=chosen
        )
        return True

    # -- palette ------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Journal", "Every write made from this machine", lambda: self.jump("journal")
        )
        yield SystemCommand(
            "Switch profile", "Sign in to another profile", lambda: self.choose_profile("")
        )
        yield SystemCommand(
            "Switch edition", "Choose the current edition", lambda: self.choose_edition("")
        )
        yield SystemCommand(
            "Switch organization",
            "Choose the current organization",
            lambda: self.choose_organization(""),
        )
        yield SystemCommand("Sign out", "Forget this profile's tokens", self._sign_out_command)
        if self.last_copied is not None:
            text = self.last_copied
            yield SystemCommand(
                "Show copied text",
                "Show the text last copied",
                lambda: self._show_text(text),
            )

    def _sign_out_command(self) -> None:
        self.run_worker(self.sign_out(), group="session", exit_on_error=False)

    # -- clipboard ----------------------------------------------------------------------------

    def copy_text(self, text: str, *, what: str = "text") -> None:
        """Copy through OSC 52 (wrapped for tmux/screen); show the text when the terminal
        cannot take it (too long, setting ``clipboard = "show"``, no terminal)."""
        self.last_copied = text
        mode = self.settings.app.clipboard
        sequence = osc52_sequence(text, env=os.environ) if mode == "osc52" else None
        driver = self._driver
        if sequence is None or driver is None:
            self._show_text(text)
            return
        self._clipboard = text
        driver.write(sequence)
        self.notify(
            f"Copied {what} ({len(text):,} characters) through the terminal. "
            "Not there? Palette › Show copied text.",
            timeout=4,
        )

    def _show_text(self, text: str) -> None:
        from preo_tui.ui.clipboard import ClipboardModal

        self.push_screen(ClipboardModal(text))

    # -- size guard ---------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        from preo_tui.ui.shell.toosmall import TooSmallScreen

        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small and not self._too_small_shown:
            self._too_small_shown = True
            self.push_screen(TooSmallScreen())
        elif not small and self._too_small_shown:
            self._too_small_shown = False
            if isinstance(self.screen, TooSmallScreen):
                self.pop_screen()
        elif small and isinstance(self.screen, TooSmallScreen):
            self.screen.update_size(width, height)

    # -- shutdown -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with unsaved changes in a form, ask first (ctrl+q, ``:quit``, ``q``)."""
        self.after_discarding(self.exit, title="Quit preo-tui and discard your changes?")

    async def action_quit_key(self) -> None:
        await self.action_quit()

    async def on_unmount(self) -> None:
        client = self.ctx.client
        if client is not None:
            await self._close_client(client)
        await self._close_store()
        handle = self.sandbox or self._sandbox_handle
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.stop()

    def data_age(self) -> datetime | None:
        value = getattr(self.screen, "data_as_of", None)
        return value if isinstance(value, datetime) else None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


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
