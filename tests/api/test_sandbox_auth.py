"""Auth against the sandbox: password and PIN login, me, token expiry -> refresh -> replay."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from preo_tui.api import AuthError, ConnectionEvent, ConnectionState, Tokens, ValidationFailed
from preo_tui.api.auth import Role

from .conftest import Sandbox, preo_client


async def test_password_login_and_me(sandbox: Sandbox) -> None:
    saved: list[Tokens] = []
    async with preo_client(sandbox, token=None, on_tokens=saved.append) as preo:
        pair = await preo.auth.login("manager@sandbox.preo.dev", "sandbox")
        me = await preo.auth.me()
    assert pair.access and pair.refresh and saved == [Tokens(pair.access, pair.refresh)]
    assert me.email == "manager@sandbox.preo.dev"
    assert me.organizations and me.organizations[0].role is Role.MANAGER
    assert me.role_in(me.organizations[0].id) == "manager"


async def test_wrong_password_is_auth_error(sandbox: Sandbox) -> None:
    async with preo_client(sandbox, token=None) as preo:
        try:
            await preo.auth.login("admin@sandbox.preo.dev", "wrong")
        except AuthError as err:
            assert err.status == 401 and err.path == "/v1/auth/token"
            assert "wrong" not in str(err)
        else:
            raise AssertionError("login with a wrong password succeeded")
        assert preo.tokens is None


async def test_pin_login(sandbox: Sandbox) -> None:
    async with preo_client(sandbox, token=None) as preo:
        me_admin = None
        async with preo_client(sandbox, "admin") as admin:
            me_admin = await admin.auth.me()
        assert me_admin.phone
        await preo.auth.request_pin(me_admin.phone)
        pin = sandbox.state.pins[me_admin.phone]
        wrong = "000000" if pin != "000000" else "111111"
        try:
            await preo.auth.verify_pin(me_admin.phone, wrong)
        except ValidationFailed as err:
            assert err.fields.get("pin")
        else:
            raise AssertionError("a wrong PIN was accepted")
        await preo.auth.verify_pin(me_admin.phone, pin)
        me = await preo.auth.me()
    assert me.id == me_admin.id


async def test_expired_access_token_is_refreshed_and_replayed(sandbox: Sandbox) -> None:
    saved: list[Tokens] = []
    events: list[ConnectionEvent] = []
    async with preo_client(sandbox, token=None, on_tokens=saved.append) as preo:
        preo.add_listener(events.append)
        first = await preo.auth.login("admin@sandbox.preo.dev", "sandbox")
        with time_machine.travel(timedelta(minutes=20), tick=False):
            me = await preo.auth.me()
        assert me.email == "admin@sandbox.preo.dev"
        assert preo.tokens is not None and preo.tokens.access != first.access
    assert len(saved) == 2 and saved[1].refresh == first.refresh
    assert ConnectionState.TOKENS_REFRESHED in [e.state for e in events]


async def test_expired_refresh_token_ends_the_session(sandbox: Sandbox) -> None:
    events: list[ConnectionEvent] = []
    async with preo_client(sandbox, token=None) as preo:
        preo.add_listener(events.append)
        await preo.auth.login("admin@sandbox.preo.dev", "sandbox")
        with time_machine.travel(timedelta(days=8), tick=False):
            try:
                await preo.editions.list()
            except AuthError as err:
                assert "sign in again" in err.message
            else:
                raise AssertionError("an expired session kept working")
    assert events[-1].state is ConnectionState.AUTH_EXPIRED


async def test_explicit_refresh(sandbox: Sandbox) -> None:
    async with preo_client(sandbox, token=None) as preo:
        pair = await preo.auth.login("staff@sandbox.preo.dev", "sandbox")
        again = await preo.auth.refresh()
        assert again.refresh == pair.refresh
        assert (await preo.auth.me()).email == "staff@sandbox.preo.dev"
