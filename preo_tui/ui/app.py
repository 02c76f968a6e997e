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
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from preo_tui.config import LoadResult, Profile, Settings, default_settings
from preo_tui.credentials import CredentialStore, Tokens
from preo_tui.ui.app_cache import CachedUser
from preo_tui.ui.app_keys import KeysMixin
from preo_tui.ui.app_navigation import NavigationMixin
from preo_tui.ui.clipboard import osc52_sequence
from preo_tui.ui.commands import JumpCommands, ScreenCommands
from preo_tui.ui.context import ContextChanged, EditionRef
from preo_tui.ui.errors import describe_error
from preo_tui.ui.keygate import KeyGate
from preo_tui.ui.registry import load_feature_screens
from preo_tui.ui.session import ClientFactory, SandboxHandle, default_client_factory

log = logging.getLogger(__name__)

__all__ = ["ANSI_THEMES", "MIN_HEIGHT", "MIN_WIDTH", "CachedUser", "PreoApp"]

MIN_WIDTH = 60
MIN_HEIGHT = 16
#: Themes offered besides Textual's own set (16-colour terminals).
ANSI_THEMES = ("ansi-dark", "ansi-light")


class PreoApp(KeysMixin, NavigationMixin, App[None]):
    """The preo-tui application.

    Its methods live in mixins: ``KeysMixin`` (app_keys.py: key routing, quit, unsaved-form
    guards), ``NavigationMixin`` (app_navigation.py: jump, pickers, palette), which builds on
    ``SessionMixin`` (app_session.py: sign-in, session, profile switching, connection) and
    ``CacheMixin`` (app_cache.py: disk cache, remembered context, journal).
    """

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
        #: set once the first frame shows what the disk cache holds (the cached home, or the
        #: home without figures when nothing is cached, or the sign-in screen): what the first
        #: frame does not need (the API client, the feature screens, a cached sandbox's start)
        #: waits for it
        self.first_frame_settled = asyncio.Event()
        self.last_copied: str | None = None
        self._remove_listener: Any = None
        self._too_small_shown = False
        self._tokens: Tokens | None = None
        #: the user part of the open disk cache's identity (see _cache_user)
        self._store_user: str | None = None
        self._editions: list[EditionRef] = []
        self.keys = KeyGate(self)

    # -- start-up -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._apply_settings()
        # Feature screens (and the API client) are imported in a thread once the first screen
        # has drawn what the disk cache holds (see ``first_frame_settled``): they must not slow
        # that first frame. exit_on_error: a feature module that fails to import stops the app
        # with its name and error (a broken screen is never silently missing).
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
        await self._after_first_frame()
        await asyncio.to_thread(self._import_features)
        if self.tune_gc:
            self._tune_gc()

    @staticmethod
    def _tune_gc() -> None:
        """Once start-up is done: move the start-up objects out of the collector's scans and
        make young collections rarer. Rendering allocates many short-lived cyclic objects; with
        the default thresholds CPython rescans the whole heap every few pages of a long list
        (measured: 150-450 ms pauses while scrolling 100,000 orders). The ``preo-tui`` command
        runs start-up with the collector off (cli.py): this turns it back on."""
        gc.collect()
        gc.freeze()
        # Young collections rarer (3000); full ones at the default rate (10): rarer full
        # collections let cyclic render garbage pile up (measured 433 MB vs 184 MB peak RSS).
        gc.set_threshold(3000, 20, 10)
        gc.enable()

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
            self.settle_first_frame()  # the home is hidden: nothing to wait for
        elif not small and self._too_small_shown:
            self._too_small_shown = False
            if isinstance(self.screen, TooSmallScreen):
                self.pop_screen()
        elif small and isinstance(self.screen, TooSmallScreen):
            self.screen.update_size(width, height)

    # -- shutdown -----------------------------------------------------------------------------

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
