"""The ``:emails`` screen, the preview and the email editor, driven with Pilot against the
in-process sandbox."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, Static, TextArea

from preo_tui.ui.emails.editor import BlockModal, EmailEditorScreen
from preo_tui.ui.emails.placeholders import check_fields, placeholders
from preo_tui.ui.emails.preview import EmailPreviewScreen
from preo_tui.ui.emails.screen import EmailsScreen
from preo_tui.ui.emails.user_picker import UserSearchModal
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_list_screen

BIG = (160, 48)


async def open_emails(pilot: Any) -> EmailsScreen:
    screen = await open_list_screen(pilot, "emails", EmailsScreen, what="email messages")
    await wait_for_workers(pilot)
    return screen


async def select(pilot: Any, screen: EmailsScreen, title: str) -> Any:
    edition = pilot.app.ctx.edition.id
    matches = [m for m in screen.table.items if m.title == title]
    item = next((m for m in matches if m.edition_id == edition), None) or matches[0]
    assert screen.table.move_to_id(item.id)
    await wait_until(
        pilot,
        lambda: (
            screen.current is not None
            and screen.current.id == item.id
            and item.id in screen.details
            and item.id in screen.variables
        ),
        what=title,
    )
    await wait_for_workers(pilot)
    return item


def server_message(backend: SandboxBackend, message_id: str) -> Any:
    return backend.state.db.one("SELECT * FROM email_messages WHERE id = ?", (message_id,))


def test_placeholder_checks() -> None:
    known = ["user.first_name", "edition.name"]
    assert placeholders("Hi {{user.first_name}} at {{ edition.name }}") == [
        "user.first_name",
        "edition.name",
    ]
    assert check_fields({"subject": "Hi {{ user.first_name }}"}, known) == {}
    problems = check_fields(
        {"subject": "Hi {{ user.nickname }}", "text": "{{ edition.name", "url": "{{ 1x }}"}, known
    )
    assert problems["subject"] == [
        "Unknown placeholder {{ user.nickname }}: not a template variable."
    ]
    assert "not closed" in problems["text"][0]
    assert "not a variable placeholder" in problems["url"][0]


async def test_list_filters_orderings_and_detail(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_emails(pilot)
        scopes = {str(m.scope) for m in screen.table.items}
        assert {"platform", "template", "edition"} <= scopes
        screen.set_filter("scope", "template")
        await wait_until(
            pilot,
            lambda: (
                screen.table.items and {str(m.scope) for m in screen.table.items} == {"template"}
            ),
            what="templates only",
        )
        screen.set_filter("scope", None)
        screen.set_filter("type", "campaign")
        screen.set_filter("edition", "yes")
        await wait_until(
            pilot,
            lambda: screen.table.items
            and all(str(m.type) == "campaign" and m.edition_id == app.ctx.edition.id
                    for m in screen.table.items),
            what="this edition's campaign messages",
        )  # fmt: skip
        titles = [m.title for m in screen.table.items]
        assert titles == sorted(titles)
        screen.table.set_ordering("-title")
        await wait_until(
            pilot,
            lambda: [m.title for m in screen.table.items] == sorted(titles, reverse=True),
            what="reverse order",
        )
        await select(pilot, screen, "Line-up announcement")
        blocks = str(screen.query_one("#eml-blocks", Static).render())
        assert "heading" in blocks and "Hi {{ user.first_name }}!" in blocks
        assert "button" in blocks and "{{ user_portal_url }}" in blocks
        variables = str(screen.query_one("#eml-variables", Static).render())
        assert "{{ user.first_name }}" in variables and "{{ unsubscribe_url }}" in variables


async def test_platform_messages_are_read_only(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_emails(pilot)
        await select(pilot, screen, "Campaign (Preo default)")
        assert "read-only" in str(screen.query_one("#eml-readonly", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EmailsScreen)  # no editor opened


async def test_preview_with_sample_data_and_for_a_customer(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_emails(pilot)
        await select(pilot, screen, "Line-up announcement")
        await pilot.press("p")
        preview: EmailPreviewScreen = await wait_for_screen(pilot, EmailPreviewScreen)
        await wait_until(pilot, lambda: preview.preview is not None, what="the preview")
        assert preview.preview is not None
        assert preview.preview.subject == "The full line-up for 2026 is out"
        assert "Hi Freja!" in (preview.preview.text or "")
        await pilot.press("u")
        picker: UserSearchModal = await wait_for_screen(pilot, UserSearchModal)
        await wait_until(pilot, lambda: picker.users, what="customers")
        first = picker.users[0]
        await pilot.press(*(first.last_name or ""))
        await wait_until(
            pilot, lambda: picker.searched == (first.last_name or ""), what="the search"
        )
        assert all(first.last_name in (u.last_name or "") + (u.email or "") + (u.first_name or "")
                   for u in picker.users)  # fmt: skip
        chosen = picker.users[0]
        await pilot.press("enter")
        await wait_for_screen(pilot, EmailPreviewScreen)
        await wait_until(
            pilot,
            lambda: (
                preview.preview is not None
                and f"Hi {chosen.first_name}!" in (preview.preview.text or "")
            ),
            what="the customer's preview",
        )
        head = str(preview.query_one("#pv-head", Static).render())
        assert chosen.email in head


async def test_duplicate_and_adopt(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_emails(pilot)
        await select(pilot, screen, "House style campaign")
        await pilot.press("a")
        await wait_until(
            pilot,
            lambda: (
                screen.current is not None
                and screen.current.title == "House style campaign"
                and str(screen.current.scope) == "edition"
            ),
            what="the adopted copy selected",
        )
        adopted = server_message(sandbox_backend, screen.current.id)
        assert (adopted["scope"], adopted["edition_id"]) == ("edition", app.ctx.edition.id)
        await select(pilot, screen, "Line-up announcement")
        await pilot.press("c")
        await wait_until(
            pilot,
            lambda: (
                screen.current is not None and screen.current.title == "Line-up announcement (copy)"
            ),
            what="the duplicate selected",
        )
        assert server_message(sandbox_backend, screen.current.id) is not None


async def test_edit_refuses_an_unknown_placeholder_then_saves(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_emails(pilot)
        item = await select(pilot, screen, "Line-up announcement")
        before = server_message(sandbox_backend, item.id)
        await pilot.press("enter")
        editor: EmailEditorScreen = await wait_for_screen(pilot, EmailEditorScreen)
        await wait_until(pilot, lambda: editor.loaded, what="the editor loaded")
        editor.query_one("#f-subject", Input).value = "Line-up for {{ user.nickname }}"
        sent = app.ctx.client.requests_sent
        await pilot.press("ctrl+s")
        assert editor.errors["subject"] == [
            "Unknown placeholder {{ user.nickname }}: not a template variable."
        ]
        assert app.ctx.client.requests_sent == sent  # no request
        assert "nothing was sent" in str(editor.query_one("#f-message", Static).render())
        assert server_message(sandbox_backend, item.id)["subject"] == before["subject"]
        # fix it; edit a block's text; add a button; move it up; remove the divider
        editor.query_one("#f-subject", Input).value = "Line-up for {{ user.first_name }}"
        table = editor.query_one("#blocks", DataTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("enter")
        modal: BlockModal = await wait_for_screen(pilot, BlockModal)
        modal.query_one(
            "#blk-text", TextArea
        ).text = "All acts of {{ edition.name }} are {{ bogus }}."
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, EmailEditorScreen)
        await pilot.press("ctrl+s")
        assert any("{{ bogus }}" in m for m in editor.errors["blocks"])
        assert app.ctx.client.requests_sent == sent
        editor.blocks[1]["text"] = "All acts of {{ edition.name }} are out."
        editor.redraw_blocks(1)
        table.focus()
        await pilot.press("a")
        kinds = await wait_for_screen(pilot, ChoiceModal)
        kinds.query_one("OptionList").highlighted = 2  # heading, text, button, ...
        await pilot.press("enter")
        modal = await wait_for_screen(pilot, BlockModal)
        modal.query_one("#blk-text", TextArea).text = "Tickets"
        modal.query_one("#blk-url", Input).value = "https://tickets.example/{{ user.language }}"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, EmailEditorScreen)
        assert [b["type"] for b in editor.blocks] == ["heading", "text", "button", "button",
                                                      "divider"]  # fmt: skip
        assert editor.cursor == 2
        await pilot.press("shift+up")
        assert editor.blocks[1]["text"] == "Tickets"
        table.move_cursor(row=4)
        await pilot.press("x")
        assert [b["type"] for b in editor.blocks] == ["heading", "button", "text", "button"]
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, EmailsScreen)
        saved = server_message(sandbox_backend, item.id)
        assert saved["subject"] == "Line-up for {{ user.first_name }}"
        import json

        blocks = json.loads(saved["blocks"])
        assert [b["type"] for b in blocks] == ["heading", "button", "text", "button"]
        assert blocks[1]["url"] == "https://tickets.example/{{ user.language }}"
        assert blocks[2]["text"] == "All acts of {{ edition.name }} are out."
