"""Going places, the paths an operator takes that tests/ui/test_shell_nav.py does not: ``:org``,
``:profile`` and ``:edition`` with names that match nothing (a message, never a crash) or
several (a picker), a jump to a screen already open (back to it), a screen that needs an
edition before one is chosen, ``?`` toggling help, and the palette's "Show copied text" and
"Sign out". One app session; ``app.jump`` is what ``:`` runs with the typed text."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static, TextArea

from preo_tui.ui.clipboard import ClipboardModal
from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.journal.screen import JournalScreen
from preo_tui.ui.shell.help import HelpScreen
from preo_tui.ui.shell.signin import SignInScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import AppFactory, wait_for_home, wait_for_screen, wait_until


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def closed(pilot: Any, cls: type) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, cls), what="closed")


async def test_jump_messages_pickers_and_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_home(pilot)
        assert app.jump("  :  ") is False
        assert app.jump("org nowhere") is False
        assert app.jump("profile nope") is False
        assert app.jump("edition no-such-edition") is False
        assert app.jump("nonsense") is False
        await wait_until(pilot, lambda: len(toasts(app)) >= 4, what="four messages")
        said = toasts(app)
        assert "No single organization matches 'nowhere'." in said
        assert any(t.startswith("No profile 'nope'. Profiles: ") and "sandbox" in t for t in said)
        assert "No edition matches 'no-such-edition'." in said
        assert any(t.startswith("No screen called 'nonsense'. Available: ") for t in said)

        # Pickers: no name, or a name several match.
        for command, title in (("org", "Organization"), ("profile", "Profile")):
            assert app.jump(command) is True
            modal = await wait_for_screen(pilot, ChoiceModal)
            assert modal.title_text == title
            await closed(pilot, ChoiceModal)
        editions = app._editions
        assert len(editions) > 1
        assert app.jump("edition  ") is True
        modal = await wait_for_screen(pilot, ChoiceModal)
        assert (modal.title_text, len(modal.choices)) == ("Edition", len(editions))
        await closed(pilot, ChoiceModal)
        # The organization already current: nothing reloads.
        edition = app.ctx.edition
        await app.set_organization(app.ctx.organization)
        assert app.ctx.edition is edition

        # A screen already open: the jump goes back to it instead of stacking another.
        assert app.jump("journal") is True
        await wait_for_screen(pilot, JournalScreen)
        depth = len(app.screen_stack)
        assert app.jump("users") is True
        await wait_until(pilot, lambda: len(app.screen_stack) == depth + 1, what="users")
        assert app.jump("journal") is True
        await wait_until(pilot, lambda: len(app.screen_stack) == depth, what="back to journal")
        assert isinstance(app.screen, JournalScreen)
        app.go_back()
        await wait_for_screen(pilot, HomeScreen)
        app.go_back()  # the home screen is the bottom: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

        # A screen that needs an edition, before one is chosen.
        app.ctx.edition = None
        assert app.jump("refunds") is False
        await wait_until(
            pilot, lambda: "Choose an edition first (press e)." in toasts(app), what="the message"
        )
        app.ctx.edition = edition

        # ? opens help, ? again closes it.
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), what="help closed")

        # The palette's commands.
        app.last_copied = "NF26-004172"
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Show copied text"]()
        shown = await wait_for_screen(pilot, ClipboardModal)
        assert shown.query_one("#clipboard-text", TextArea).text == "NF26-004172"
        await closed(pilot, ClipboardModal)
        commands["Sign out"]()
        # (wait for the sign-in screen mounted: ending the app while its TabbedContent mounts
        # raises "No Tab with id" inside Textual)
        signin = await wait_for_screen(pilot, SignInScreen)
        assert str(signin.query_one("#signin-message", Static).render()) == "Signed out."
        assert app.connection_state == "signed out"
        assert app.ctx.client is None and app.ctx.me is None
