"""``q`` (and ``e``, ``:``) with the focus on each non-text control of every form: the app keeps
running and the form stays open; ctrl+q then asks about the unsaved changes."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, TextArea

from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import AppFactory, wait_for_screen, wait_until

SIZE = (160, 48)


async def check_letters_stay(pilot: Any, form: Any) -> int:
    """Dirty the form through its first text input, then try every non-text control."""
    app = pilot.app
    first = next(w for w in form.query(Input) if w.focusable)
    first.focus()
    await pilot.press("end", "x")
    assert form.dirty, "typing did not make the form dirty"
    controls = [w for w in form.focus_chain if not isinstance(w, (Input, TextArea)) and w.focusable]
    assert controls, "no non-text control to try"
    for control in controls:
        control.focus()
        await pilot.pause()
        await pilot.press("q", "e", "colon")
        assert app.is_running
        assert app.screen is form, f"q/e/: with {control!r} focused left the form"
    await pilot.press("ctrl+q")
    confirm = await wait_for_screen(pilot, ConfirmModal)
    assert "unsaved changes" in confirm.body_text
    await pilot.press("escape")
    await wait_until(pilot, lambda: app.screen is form, what="back in the form")
    return len(controls)


async def test_segment_editor(make_app: AppFactory) -> None:
    from tests.ui.test_segments import open_new_editor

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        editor_screen, _editor = await open_new_editor(pilot)
        assert await check_letters_stay(pilot, editor_screen) >= 2


async def test_edition_form(make_app: AppFactory) -> None:
    from tests.ui.test_editions import open_editions, open_new_form

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_editions(pilot)
        form = await open_new_form(pilot)
        assert await check_letters_stay(pilot, form) >= 2


async def test_email_editor(make_app: AppFactory) -> None:
    from preo_tui.ui.emails.editor import EmailEditorScreen
    from tests.ui.test_emails import open_emails, select

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_emails(pilot)
        await select(pilot, screen, "Line-up announcement")
        await pilot.press("enter")
        editor = await wait_for_screen(pilot, EmailEditorScreen)
        await wait_until(pilot, lambda: editor.loaded, what="the editor loaded")
        assert await check_letters_stay(pilot, editor) >= 1


async def test_refund_form(make_app: AppFactory) -> None:
    from preo_tui.ui.refunds.form import RefundForm
    from tests.ui.test_orders import current_with_detail, open_orders

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot)
        await current_with_detail(pilot, screen)
        await pilot.press("tab", "down", "n")
        form = await wait_for_screen(pilot, RefundForm)
        assert await check_letters_stay(pilot, form) >= 2
