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


async def test_keys_start_in_the_footers_style(make_app: AppFactory) -> None:
    """Each key is built with the footer's compact setting (not restyled twice on mount)."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_refunds(pilot)
        footer = screen.query_one(StableFooter)
        await wait_until(pilot, lambda: "Approve" in shown(footer), what="the footer")
        restyled: list[Any] = []
        original = FooterKey.update_node_styles

        def counted(self: Any, animate: bool = True) -> None:
            restyled.append(self)
            original(self, animate)

        FooterKey.update_node_styles = counted  # type: ignore[method-assign]  # counting calls for this test only; restored below
        try:
            before = keys_of(footer)
            footer._shown = ()
            footer.call_later(footer.recompose)
            await wait_until(pilot, lambda: keys_of(footer) != before, what="a rebuild")
            await pilot.pause()
        finally:
            FooterKey.update_node_styles = original  # type: ignore[method-assign]  # restoring the method replaced above
        keys = [key for key in keys_of(footer) if not key.has_class("-command-palette")]
        assert keys and all(key.compact == footer.compact for key in keys)
        assert all(key.has_class("-compact") == footer.compact for key in keys)
        assert not [key for key in restyled if key in keys]
