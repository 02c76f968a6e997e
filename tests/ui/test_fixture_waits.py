"""The UI tests' waiting helper: a real error in its condition is raised at once, and a time-out
says what the app was showing (screens, focus, toasts) so a failure under load can be read."""

from __future__ import annotations

import pytest

from tests.fixtures.app import AppFactory, wait_for_home, wait_until


async def test_a_time_out_says_what_the_app_shows_and_errors_are_raised(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        app.notify("a toast the operator saw")
        with pytest.raises(AssertionError) as timed_out:
            await wait_until(pilot, lambda: False, within=0.2, what="nothing")
        message = str(timed_out.value)
        assert "waiting for nothing" in message
        assert "screens: Screen > HomeScreen;" in message
        assert "a toast the operator saw" in message

        def broken() -> bool:
            raise KeyError("a real error")

        with pytest.raises(KeyError):
            await wait_until(pilot, broken, within=30, what="a broken condition")
