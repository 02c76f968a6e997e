"""Sign-in by each method against the sandbox, wrong credentials, silent refresh, and a failed
refresh returning to the sign-in screen without losing the screen underneath."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.journal.screen import JournalScreen
from preo_tui.ui.shell.signin import SignInScreen
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


def error_text(screen: SignInScreen) -> str:
    return str(screen.query_one("#signin-error", Static).render())


async def type_into(pilot: Any, selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    box.value = ""
    await pilot.press(*list(text))


async def test_signed_out_app_shows_sign_in_over_home(make_app: AppFactory) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        assert [type(s) for s in app.screen_stack[1:]] == [HomeScreen, SignInScreen]
        assert app.connection_state == "signed out"
        assert screen.query_one("#email", Input).has_focus


async def test_password_sign_in(make_app: AppFactory) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SignInScreen)
        await type_into(pilot, "#email", "manager@sandbox.preo.dev")
        await pilot.press("enter")  # moves to the password
        assert app.screen.query_one("#password", Input).has_focus
        await pilot.press(*list("sandbox"), "enter")
        await wait_for_home(pilot)
        assert app.ctx.me.email == "manager@sandbox.preo.dev"
        assert app.ctx.role == "manager"
        assert app._tokens is not None and app._tokens.refresh  # a refreshable session


async def test_wrong_password_is_shown_inline_and_cleared(make_app: AppFactory) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await type_into(pilot, "#email", "admin@sandbox.preo.dev")
        await type_into(pilot, "#password", "wrong")
        await pilot.press("enter")
        await wait_until(pilot, lambda: error_text(screen) != "", what="the error")
        assert (
            "credentials" in error_text(screen).lower() or "password" in error_text(screen).lower()
        )
        assert screen.query_one("#password", Input).value == ""
        assert app.screen is screen
        assert app.ctx.client is None


async def test_missing_email_is_refused_without_a_request(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await type_into(pilot, "#password", "x")
        await pilot.press("enter")
        assert error_text(screen) == "Enter your email address."
        assert sandbox_backend.clients == []


async def test_token_sign_in(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f2")
        box = app.screen.query_one("#token", Input)
        assert box.has_focus and box.password  # never echoed
        box.value = sandbox_backend.token("staff")
        await pilot.press("enter")
        await wait_for_home(pilot)
        assert app.ctx.role == "staff"
        # The token is remembered for the next start (file store, 0600).
        assert app.credentials is not None


async def test_bad_token_is_refused_inline(make_app: AppFactory) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f2")
        screen.query_one("#token", Input).value = "not-a-token"
        await pilot.press("enter")
        await wait_until(pilot, lambda: error_text(screen) != "", what="the error")
        assert app.screen is screen
        assert "not-a-token" not in error_text(screen)


async def test_pin_sign_in(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f4")
        await type_into(pilot, "#phone", "+4520000002")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.query_one("#pin", Input).has_focus, what="PIN step")
        pin = sandbox_backend.state.pins["+4520000002"]
        await pilot.press(*list(pin), "enter")
        await wait_for_home(pilot)
        assert app.ctx.me.email == "manager@sandbox.preo.dev"


async def test_wrong_pin_is_shown_inline(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f4")
        await type_into(pilot, "#phone", "+4520000001")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.query_one("#pin", Input).has_focus, what="PIN step")
        right = sandbox_backend.state.pins["+4520000001"]
        wrong = "000000" if right != "000000" else "111111"
        await pilot.press(*list(wrong), "enter")
        await wait_until(pilot, lambda: error_text(screen) != "", what="the PIN error")
        assert "Incorrect PIN; 4 tries left" in error_text(screen)
        assert app.screen is screen
        # A malformed PIN is refused before any request.
        await pilot.press(*list("12"), "enter")
        assert error_text(screen) == "The PIN has 6 digits."


async def test_phone_without_prefix_is_refused(make_app: AppFactory) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f4")
        await type_into(pilot, "#phone", "20000001")
        await pilot.press("enter")
        assert "country prefix" in error_text(screen)


async def password_session(pilot: Any) -> None:
    await wait_for_screen(pilot, SignInScreen)
    await type_into(pilot, "#email", "admin@sandbox.preo.dev")
    await type_into(pilot, "#password", "sandbox")
    await pilot.press("enter")
    await wait_for_home(pilot)


async def test_expired_access_token_is_refreshed_silently(
    make_app: AppFactory, frozen_clock: Any
) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await password_session(pilot)
        first = app._tokens
        frozen_clock.shift(20 * 60)  # the 15-minute access token has expired
        await pilot.press("r")
        await wait_until(pilot, lambda: app._tokens is not first, what="the refreshed token")
        assert isinstance(app.screen, HomeScreen)
        assert app.connection_state == "online"


async def test_failed_refresh_returns_to_sign_in_keeping_the_screen(
    make_app: AppFactory, frozen_clock: Any
) -> None:
    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await password_session(pilot)
        await pilot.press("colon", *list("journal"), "enter")
        journal = await wait_for_screen(pilot, JournalScreen)
        frozen_clock.shift(8 * 24 * 3600)  # access and refresh tokens both expired
        app.jump("home")
        home = await wait_for_screen(pilot, HomeScreen)
        home.action_refresh()
        screen = await wait_for_screen(pilot, SignInScreen)
        assert screen.reauth
        await type_into(pilot, "#email", "admin@sandbox.preo.dev")
        await type_into(pilot, "#password", "sandbox")
        await pilot.press("enter")
        await wait_for_screen(pilot, HomeScreen)
        assert journal not in app.screen_stack  # home was on top when the session expired
        assert app.screen is home


async def test_escape_on_sign_in_offers_the_profiles(make_app: AppFactory) -> None:
    from preo_tui.ui.widgets.choice import ChoiceModal

    app = make_app(role=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, SignInScreen)
        await pilot.press("escape")
        picker = await wait_for_screen(pilot, ChoiceModal)
        assert "sandbox" in [c.value for c in picker.choices]
        await pilot.press("escape")
        await wait_for_screen(pilot, SignInScreen)
