"""``SessionMixin`` of :class:`~preo_tui.ui.app.PreoApp`: the signed-in session.

The context (organization, edition), finding credentials and signing in (cache-first start,
the sandbox's admin), the client and its tokens, editions, signing out, switching profile,
and the connection state.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
from typing import TYPE_CHECKING, Any

from textual import work

from preo_tui.config import Profile, set_last_profile, token_from_env
from preo_tui.credentials import CredentialStore, Tokens
from preo_tui.ui.app_cache import CacheMixin
from preo_tui.ui.context import (
    AppContext,
    ContextChanged,
    EditionChanged,
    EditionRef,
    OrgRef,
    environment_for,
)
from preo_tui.ui.errors import describe_error
from preo_tui.ui.session import ClientFactory, ClientSpec, SandboxHandle


class SessionMixin(CacheMixin):
    """Sign-in, session, profile switching and connection (state set in ``PreoApp``)."""

    client_factory: ClientFactory
    credentials: CredentialStore | None
    remember_profile: bool
    connection_state: str
    session_ready: asyncio.Event
    features_loaded: threading.Event
    first_data_drawn: asyncio.Event
    first_frame_settled: asyncio.Event
    _sandbox_handle: SandboxHandle | None
    _remove_listener: Any
    _tokens: Tokens | None

    if TYPE_CHECKING:

        def _apply_settings(self) -> None: ...

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

    #: At most this long (s) does work the first frame does not need wait for that frame: a
    #: safety net only (the home screen or the session settles it), long enough for a loaded
    #: machine, where a fixed short wait would let that work compete with the first frame.
    FIRST_FRAME_WAIT = 5.0

    def settle_first_frame(self) -> None:
        """The first frame shows what the cache holds: once it is on screen, let the deferred
        work start (idempotent)."""
        if not self.first_frame_settled.is_set():
            self.call_after_refresh(self.first_frame_settled.set)

    async def _after_first_frame(self) -> None:
        """Wait until the first frame has drawn what the cache holds (at most
        ``FIRST_FRAME_WAIT`` s)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.first_frame_settled.wait(), self.FIRST_FRAME_WAIT)

    @work(group="session", exclusive=True, exit_on_error=False)
    async def start_session(self) -> None:
        """Find credentials and sign in; show the sign-in screen when there are none."""
        try:
            await self._start_session()
        finally:
            self.settle_first_frame()  # whatever happened, the first frame is what it is

    async def _start_session(self) -> None:
        self.connection_state = "connecting"
        tokens = self.initial_tokens
        if self.sandbox is not None:
            self._open_sandbox_store_early(tokens)
            if self.ctx.me is not None:
                # The cached home is on its way: the sandbox child (seconds of start-up CPU)
                # must not compete with drawing it.
                await self._after_first_frame()
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
            tokens = await self._stored_tokens(self.credentials)
        if tokens is None:
            self.connection_state = "signed out"
            self.show_sign_in()
            self.settle_first_frame()
            await self._client_module_ready()
            return
        self._open_store_early(tokens)
        if self.ctx.me is not None:  # cached figures are on their way: let them draw first
            await self._after_first_frame()
        else:  # nothing cached to draw: the first frame says "connecting"
            self.settle_first_frame()
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

    async def _stored_tokens(self, credentials: CredentialStore) -> Tokens | None:
        """The profile's stored tokens, read in a thread: the keyring takes ~80 ms of CPU to
        load (more with a Secret Service), which must not delay the first frame. When the
        credential store names the user they belong to, that user's cache is opened first
        and the cached home drawn before they are read (issue 20)."""
        try:
            user = credentials.user_hint(self.profile)
        except Exception:
            user = None
        if user is not None:
            self._open_user_store_early(user, Tokens(access=""))
            if self.ctx.me is not None:  # cached figures are on their way: let them draw first
                await self._after_first_frame()
        tokens = await asyncio.to_thread(credentials.for_profile, self.profile)
        if tokens is None and user is not None:  # a hint without tokens: nobody's session
            await self._close_store()
            self.ctx.me = None
            self.ctx.organizations = []
            self.ctx.organization = None
            self.ctx.edition = None
            self._editions = []
            self.broadcast(lambda: ContextChanged("session"))
        store = self.ctx.store
        if tokens is not None and tokens.secrets and store is not None:
            with contextlib.suppress(Exception):  # opened before the tokens were known
                store.set_secrets(tokens.secrets)
        return tokens

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
