"""The footer (``StableFooter``) rebuilds its keys only when what it shows changes: a dialog
closing with the same keys as before costs no recompose (and no layout of the screen), and the
keys shown always follow the bindings."""

from __future__ import annotations

from typing import Any

from textual.widgets._footer import FooterKey

from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.widgets.footer import StableFooter
from tests.fixtures.app import AppFactory, wait_for_screen, wait_until
from tests.ui.helpers import open_refunds


def keys_of(footer: StableFooter) -> list[FooterKey]:
    return list(footer.query(FooterKey))


def shown(footer: StableFooter) -> set[str]:
    return {key.description for key in keys_of(footer)}


async def test_unchanged_bindings_keep_the_footer_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        footer = screen.query_one(StableFooter)
        await wait_until(pilot, lambda: "Approve" in shown(footer), what="the footer")
        before = keys_of(footer)
        footer.bindings_changed(screen)  # nothing changed
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert keys_of(footer) == before  # the same widgets: nothing was rebuilt


async def test_the_footer_follows_a_dialog_open_and_closed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        footer = screen.query_one(StableFooter)
        await wait_until(pilot, lambda: "Approve" in shown(footer), what="the footer")
        expected = shown(footer)
        assert {"Approve", "Reject", "Jump"} <= expected
        await pilot.press("a")
        modal: Any = await wait_for_screen(pilot, DecisionModal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="the dialog closed")
        assert modal not in app.screen_stack
        await wait_until(pilot, lambda: shown(footer) == expected, what="the same keys again")
