"""The keyboard contract: no key dropped while a screen mounts (bursts with no pause between
keys), single-letter app keys off inside forms, quitting or leaving a dirty form asks."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events

from preo_tui.ui.editions.screen import EditionsScreen
from preo_tui.ui.orders.screen import OrdersScreen
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import AppFactory, wait_for_home, wait_for_screen, wait_until


def burst(app: Any, keys: str | list[str]) -> None:
    """Send every key at once, as one packet from a fast typist or an SSH link: nothing runs
    between them (unlike ``pilot.press``, which yields to the app after each key)."""
    for key in keys:
        name = {":": "colon", "\n": "enter", " ": "space", "?": "question_mark"}.get(key, key)
        char = {"enter": "\r", "colon": ":", "space": " ", "question_mark": "?"}.get(name, key)
        event = events.Key(name, char if len(char) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


TARGETS = [("orders", OrdersScreen), ("users", UsersScreen), ("editions", EditionsScreen)]


@pytest.mark.parametrize(("name", "screen_type"), TARGETS)
async def test_a_jump_typed_in_one_burst_lands_on_its_screen(
    make_app: AppFactory, name: str, screen_type: type
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        for _ in range(3):
            burst(app, [":", *name, "\n"])
            await wait_for_screen(pilot, screen_type)
            assert len(app.screen_stack) == 3, app.screen_stack
            app.go_back()
            await wait_until(pilot, lambda: len(app.screen_stack) == 2, what="home again")


@pytest.mark.parametrize(("name", "screen_type"), TARGETS)
async def test_a_jump_pressed_without_idle_waits_lands_on_its_screen(
    make_app: AppFactory, name: str, screen_type: type
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        await pilot.press("colon", *name, "enter")
        await wait_for_screen(pilot, screen_type)
        assert len(app.screen_stack) == 3


async def test_on_a_slow_machine_keys_wait_for_the_key_before_them(make_app: AppFactory) -> None:
    """Every key "takes" 3 s of the gate's clock to bubble (a loaded CI runner, a busy jump
    host): ``:campaigns⏎n`` in one burst still opens the compose form. The gate waits on the key
    before, never on a fixed time: with a 2 s limit the ``n`` went to the jump prompt, which the
    Enter was closing, and was lost (seen under CPU contention)."""
    import time

    from preo_tui.ui.campaigns.compose import CampaignComposeScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        gate = app.keys
        skew = [0.0]
        gate.clock = lambda: time.monotonic() + skew[0]
        deliver = gate.delivered

        def slowly(target: Any) -> None:
            deliver(target)
            skew[0] += 3.0

        gate.delivered = slowly  # a slow machine, key by key
        burst(app, [":", *"campaigns", "\n", "n"])
        await wait_for_screen(pilot, CampaignComposeScreen)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == [
            "HomeScreen",
            "CampaignsScreen",
            "CampaignComposeScreen",
        ]
        assert skew[0] == 3.0 * 12  # every key went through the gate


async def test_keys_after_a_jump_reach_the_new_screen(make_app: AppFactory) -> None:
    """``:orders⏎/`` in one burst: the ``/`` opens the orders filter (held while Orders
    mounts), it is not lost nor typed into the prompt."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"orders", "\n", "slash", *"ab"])
        screen = await wait_for_screen(pilot, OrdersScreen)
        await wait_until(
            pilot, lambda: screen.query_one("#list-filter").value == "ab", what="filter typed"
        )


async def test_ctrl_q_with_an_unsaved_form_asks_and_keeps_the_app(make_app: AppFactory) -> None:
    from preo_tui.ui.users.form import UserFormModal

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"users", "\n"])
        screen = await wait_for_screen(pilot, UsersScreen)
        await wait_until(pilot, lambda: screen.table.current_item is not None, what="a user")
        await pilot.press("enter")
        form = await wait_for_screen(pilot, UserFormModal)
        await pilot.press("end", "x")
        assert form.dirty
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmModal)
        assert app.is_running
        await pilot.press("n")
        await wait_for_screen(pilot, UserFormModal)
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_for_screen(pilot, UsersScreen)


async def test_help_on_refunds_lists_no_dead_select_key(make_app: AppFactory) -> None:
    from preo_tui.ui.refunds.screen import RefundsScreen
    from preo_tui.ui.shell.help import binding_rows

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"refunds", "\n"])
        screen = await wait_for_screen(pilot, RefundsScreen)
        descriptions = [row[2] for row in binding_rows(screen)]
        assert "Select" not in descriptions
        assert "Approve" in descriptions


async def test_read_only_approve_says_why(make_app: AppFactory) -> None:
    from preo_tui.ui.refunds.screen import RefundsScreen
    from tests.fixtures.app import sandbox_profile

    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"refunds", "\n"])
        await wait_for_screen(pilot, RefundsScreen)
        await pilot.press("a")
        await wait_until(
            pilot,
            lambda: any("read-only" in str(n.message) for n in app._notifications),
            what="the read-only toast",
        )


async def test_q_on_a_non_text_control_of_a_form_does_not_quit(make_app: AppFactory) -> None:
    from textual.widgets import Button, Select

    from preo_tui.ui.users.form import UserFormModal

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"users", "\n"])
        screen = await wait_for_screen(pilot, UsersScreen)
        await wait_until(pilot, lambda: screen.table.current_item is not None, what="a user")
        await pilot.press("enter")
        form = await wait_for_screen(pilot, UserFormModal)
        await pilot.press("end", "x")
        controls = [w for w in form.query("Select, Button") if isinstance(w, (Select, Button))]
        assert controls
        for control in controls:
            control.focus()
            await pilot.press("q", "e", "colon")
            assert app.is_running
            assert app.screen is form, f"q/e/: with {control} focused left the form"
        await pilot.press("ctrl+q")
        await wait_for_screen(pilot, ConfirmModal)
        assert app.is_running


async def test_campaign_form_keys_stay_in_the_form(make_app: AppFactory) -> None:
    """Tab follows the visual order and reaches the SMS text; ``e``, ``q`` and ``:`` typed
    with a select or a button focused never leave the form; the SMS text gets them."""
    from textual.widgets import Select, TextArea

    from preo_tui.ui.campaigns.compose import CampaignComposeScreen
    from preo_tui.ui.campaigns.screen import CampaignsScreen
    from tests.ui.test_campaigns import choose

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        burst(app, [":", *"campaigns", "\n", "n"])
        compose = await wait_for_screen(pilot, CampaignComposeScreen)
        await wait_until(pilot, lambda: compose.loaded, what="segments and messages")
        assert isinstance(app.screen.query_one("#f-name").parent.parent, object)
        await wait_until(pilot, lambda: app.focused is compose.query_one("#f-name"), what="name")
        await pilot.press(*"Gate news", "tab")
        assert app.focused is compose.query_one("#f-channel", Select)
        compose.query_one("#f-channel", Select).value = "sms"
        await pilot.pause()
        for key in ("q", "e", "colon"):
            await pilot.press(key)
            assert app.screen is compose and app.is_running, key
        await pilot.press("tab")
        assert app.focused is compose.query_one("#pick-segment")
        for key in ("q", "e", "colon"):
            await pilot.press(key)
            assert app.screen is compose and app.is_running, key
        await pilot.press("enter")
        await choose(pilot, "Swedish speakers with a phone")  # an SMS segment
        await wait_for_screen(pilot, CampaignComposeScreen)
        area = compose.query_one("#f-sms", TextArea)
        assert app.focused is area
        await pilot.press("shift+tab", "tab")
        assert app.focused is area
        await pilot.press(*"see you at the gate")
        assert area.text == "see you at the gate"
        assert compose.dirty
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("enter")
        await wait_for_screen(pilot, CampaignsScreen)
