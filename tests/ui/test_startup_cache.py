"""``--sandbox`` starts from its disk cache: the cache is named after the sandbox's database, not
its port (new on every launch), so a second launch draws the previous home before the sandbox
answers, then replaces it with fresh figures. What the first frame does not need (the sandbox's
start with a cached home, the API client, the feature screens) comes after it; a feature screen
that fails to import still stops the app."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.worker import WorkerFailed

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.sandbox_process import SandboxProcess
from preo_tui.ui.session import SandboxInfo
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


class HeldSandbox:
    """A sandbox handle on the in-process backend, on a given port, that answers when let."""

    def __init__(self, backend: SandboxBackend, db: Path, port: int) -> None:
        self.backend = backend
        self.port = port
        self.gate = asyncio.Event()
        self.gate.set()
        self._identity = SandboxProcess(db, port=port).cache_identity

    @property
    def cache_identity(self) -> str:
        return self._identity

    async def ready(self) -> SandboxInfo:
        await self.gate.wait()
        return SandboxInfo(
            base_url=f"http://127.0.0.1:{self.port}", admin_token=self.backend.token("admin")
        )

    def stop(self) -> None:
        pass

    @property
    def running(self) -> bool:
        return True


def test_the_cache_identity_ignores_the_port(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    assert (
        SandboxProcess(db, port=1111).cache_identity == SandboxProcess(db, port=2222).cache_identity
    )
    assert (
        SandboxProcess(db).cache_identity != SandboxProcess(tmp_path / "b.sqlite3").cache_identity
    )


async def test_second_sandbox_launch_draws_the_cached_home_then_fresh_figures(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    db = tmp_path / "sandbox.sqlite3"
    first = make_app(role=None, sandbox=HeldSandbox(sandbox_backend, db, 1111))
    async with first.run_test(size=(80, 24)) as pilot:
        cached = (await wait_for_home(pilot)).summary
    assert cached.refunds_waiting
    # The server's data changes while the app is closed.
    edition = cached.edition_id
    with sandbox_backend.state.db.transaction() as db_:
        db_.execute(
            "UPDATE refund_requests SET status = 'rejected' WHERE pk = (SELECT pk FROM"
            " refund_requests WHERE edition_id = ? AND status = 'requested' LIMIT 1)",
            (edition,),
        )
    cache_files = sorted(p.name for p in first.cache_dir.iterdir())

    held = HeldSandbox(sandbox_backend, db, 2222)  # a new port, as on every launch
    held.gate.clear()
    second = make_app(role=None, sandbox=held)
    async with second.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, HomeScreen)
        # Drawn from the disk cache while the sandbox has not answered yet.
        await wait_until(pilot, lambda: screen.summary is not None, what="cached figures")
        assert not second.session_ready.is_set()
        assert screen.summary.model_dump(mode="json") == cached.model_dump(mode="json")
        held.gate.set()
        await wait_for_home(pilot)
        await wait_until(
            pilot,
            lambda: screen.summary.refunds_waiting == cached.refunds_waiting - 1,
            what="fresh figures replacing the cached ones",
        )
    # the same cache file both times: no file per launch
    assert sorted(p.name for p in second.cache_dir.iterdir()) == cache_files


async def test_stored_tokens_are_read_after_the_cached_home_is_drawn(
    make_app: AppFactory, sandbox_backend: SandboxBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile signed in earlier (``preo-tui login``): the cache of the user its tokens were
    stored for is drawn first; the tokens themselves (the keyring takes ~80 ms of CPU to load)
    are read afterwards, in a thread."""
    profile = sandbox_profile(sandbox=False)
    first = make_app(role=None, profile=profile)
    first.credentials.login(profile, sandbox_backend.tokens("admin"))
    async with first.run_test(size=(80, 24)) as pilot:
        cached = (await wait_for_home(pilot)).summary

    second = make_app(role=None, profile=profile)
    read = second.credentials.for_profile
    main_thread = threading.get_ident()
    seen: list[tuple[bool, bool]] = []

    def recording(profile: Any) -> Any:
        seen.append((second.first_data_drawn.is_set(), threading.get_ident() != main_thread))
        return read(profile)

    monkeypatch.setattr(second.credentials, "for_profile", recording)
    async with second.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_home(pilot)
        assert screen.summary.edition_id == cached.edition_id
    assert seen == [(True, True)]  # after the cached figures were drawn, off the event loop
    assert second.connection_state == "online"


async def test_a_user_hint_without_stored_tokens_shows_no_cached_session(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    """The tokens are gone (removed by hand) but not the note of their user: the cached home
    of that user is not kept on screen; the app asks to sign in."""
    from preo_tui.credentials import entry_key
    from preo_tui.ui.shell.signin import SignInScreen

    profile = sandbox_profile(sandbox=False)
    first = make_app(role=None, profile=profile)
    first.credentials.login(profile, sandbox_backend.tokens("admin"))
    async with first.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
    assert first.credentials.file.delete(entry_key(profile.name, profile.server))

    second = make_app(role=None, profile=profile)
    assert second.credentials.user_hint(profile) is not None
    async with second.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SignInScreen)
        await wait_until(pilot, lambda: second.connection_state == "signed out", what="signed out")
        assert second.ctx.me is None and second.ctx.store is None
        assert second.ctx.edition is None


class RecordingSandbox(HeldSandbox):
    """A held sandbox noting, when the app first asks it to start, whether the first frame
    had already drawn what the cache holds."""

    def __init__(self, backend: SandboxBackend, db: Path, port: int) -> None:
        super().__init__(backend, db, port)
        self.app: Any = None
        self.asked_after_first_frame: list[bool] = []

    async def ready(self) -> SandboxInfo:
        if not self.asked_after_first_frame:
            self.asked_after_first_frame.append(
                self.app.first_frame_settled.is_set() and self.app.first_data_drawn.is_set()
            )
        return await super().ready()


async def test_cached_start_defers_the_sandbox_and_the_client_until_the_first_frame(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    """With a cached home, neither the sandbox child's start nor the API client's import
    competes with drawing it: both wait until the cached figures are on screen."""
    db = tmp_path / "sandbox.sqlite3"
    first = make_app(role=None, sandbox=HeldSandbox(sandbox_backend, db, 1111))
    async with first.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)

    held = RecordingSandbox(sandbox_backend, db, 2222)
    second = make_app(role=None, sandbox=held)
    held.app = second
    client_after_first_frame: list[bool] = []
    load_client = second._client_module_ready

    async def recording_client_ready() -> None:
        client_after_first_frame.append(second.first_frame_settled.is_set())
        await load_client()

    second._client_module_ready = recording_client_ready
    async with second.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
    assert held.asked_after_first_frame == [True]
    assert client_after_first_frame and all(client_after_first_frame)


async def test_first_start_without_cache_does_not_wait_for_a_frame(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    """Nothing cached: the sandbox is asked to start at once (the home needs it)."""
    held = RecordingSandbox(sandbox_backend, tmp_path / "sandbox.sqlite3", 1111)
    app = make_app(role=None, sandbox=held)
    held.app = app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
    assert held.asked_after_first_frame == [False]


async def test_a_feature_module_that_fails_to_import_stops_the_app(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feature screens load after the first frame, but a broken one still stops the app,
    naming the module (issue 16: never a silently missing screen)."""
    from preo_tui.ui import registry

    broken = "tests.ui.no_such_feature.screen"
    monkeypatch.setattr(registry, "FEATURE_MODULES", (*registry.FEATURE_MODULES, broken))
    app = make_app()
    with pytest.raises(WorkerFailed) as failed:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.return_code is not None, what="the app to stop")
    assert isinstance(failed.value.error, registry.FeatureImportError)
    assert "tests.ui.no_such_feature.screen failed to import" in str(failed.value.error)
    assert app.return_code == 1


def test_a_jump_before_the_feature_screens_load_imports_only_that_screen() -> None:
    from preo_tui.ui import registry

    registry.load_feature_screens()
    names = ("ops", "files")
    entries = [registry.REGISTRY.resolve(name) for name in names]
    modules = {
        f"preo_tui.ui.{name}.screen": sys.modules.pop(f"preo_tui.ui.{name}.screen")
        for name in names
    }
    for name in names:
        registry.REGISTRY.unregister(name)
    try:
        entry = registry.resolve_loading(":ops")
        assert entry is not None and entry.name == "ops"
        assert "preo_tui.ui.ops.screen" in sys.modules
        assert "preo_tui.ui.files.screen" not in sys.modules  # not loaded along with it
        assert registry.REGISTRY.resolve("files") is None
        assert registry.feature_module("orders") == "preo_tui.ui.orders.screen"
        assert registry.feature_module("nothing") is None
    finally:  # the classes other tests imported, registered again
        sys.modules.update(modules)
        for saved in entries:
            assert saved is not None
            registry.REGISTRY.register(saved)


async def test_enter_typed_ahead_of_the_first_frame_is_enter(make_app: AppFactory) -> None:
    """``preo-tui`` then ``:orders`` Enter at once: keys typed before the terminal is in raw
    mode have Enter's CR turned into LF by the terminal (read as ctrl+j); until the first frame
    they are Enter, afterwards ctrl+j is ctrl+j again."""
    from textual import events

    app = make_app()
    assert app._typed_ahead(events.Key("ctrl+j", "\n")).key == "enter"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.first_frame_settled.is_set()
        assert app._typed_ahead(events.Key("ctrl+j", "\n")).key == "ctrl+j"
        await pilot.press("colon", *"orders", "ctrl+j")
        await pilot.pause()
        assert type(app.screen).__name__ == "JumpPrompt"  # not submitted by ctrl+j
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen", what=":orders")
