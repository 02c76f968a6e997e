"""The email editor's checks and refusals not covered by tests/ui/test_emails.py: the block
checks as a function, the block dialog's own refusals (no text, no URL, a divider), and in the
editor an empty title and subject, a save while the server is unreachable (said under the form,
nothing lost), removing a block, and escape with unsaved changes asking first."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import DataTable, Input, Static, TextArea

from preo_tui.ui.emails.editor import BlockModal, EmailEditorScreen, block_problems
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_screen, wait_until
from tests.ui.test_emails import open_emails, select, server_message

KNOWN = ["user.first_name", "edition.name"]


def test_block_problems() -> None:
    assert block_problems(0, {"type": "text", "text": "Hi {{ user.first_name }}"}, KNOWN) == []
    assert block_problems(1, {"type": "button", "text": " ", "url": ""}, KNOWN) == [
        "Block 2 (button) needs a text.",
        "Block 2 (button) needs a URL.",
    ]
    [problem] = block_problems(2, {"type": "image", "url": "https://x/{{ nope }}"}, KNOWN)
    assert problem.startswith("Block 3 (image) URL: ") and "{{ nope }}" in problem
    assert block_problems(3, {"type": "divider"}, KNOWN) == []


class Host(App[None]):
    def __init__(self, modal: BlockModal) -> None:
        super().__init__()
        self.modal = modal
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, callback=self.results.append)


async def test_block_modal_refusals() -> None:
    modal = BlockModal(0, {"type": "button", "text": "", "url": None})
    host = Host(modal)
    async with host.run_test(size=(90, 30)) as pilot:
        await wait_for_screen(pilot, BlockModal)
        error = modal.query_one("#blk-error", Static)
        await pilot.press("ctrl+s")
        assert str(error.render()) == "This block needs a text."
        modal.query_one("#blk-text", TextArea).text = "Tickets"
        await pilot.press("ctrl+s")
        assert str(error.render()) == "This block needs a URL."
        modal.query_one("#blk-url", Input).value = "  https://tickets.example  "
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(host.results), what="dismissed")
    assert host.results == [{"type": "button", "text": "Tickets", "url": "https://tickets.example"}]

    divider = BlockModal(4, {"type": "divider"})
    host = Host(divider)
    async with host.run_test(size=(90, 30)) as pilot:
        await wait_for_screen(pilot, BlockModal)
        assert not divider.query("#blk-text") and not divider.query("#blk-url")
        await pilot.press("escape")
        await wait_until(pilot, lambda: bool(host.results), what="cancelled")
    assert host.results == [None]


async def test_editor_refusals_offline_and_discard(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_emails(pilot)
        item = await select(pilot, screen, "Line-up announcement")
        before = server_message(sandbox_backend, item.id)
        await pilot.press("enter")
        editor: EmailEditorScreen = await wait_for_screen(pilot, EmailEditorScreen)
        await wait_until(pilot, lambda: editor.loaded, what="the editor loaded")
        message = editor.query_one("#f-message", Static)

        editor.query_one("#f-title", Input).value = ""
        editor.query_one("#f-subject", Input).value = " "
        await pilot.press("ctrl+s")
        assert editor.errors == {
            "title": ["Give the message a title."],
            "subject": ["Give the message a subject."],
        }
        assert str(message.render()) == "Not saved: 2 problem(s) to fix; nothing was sent."

        editor.query_one("#f-title", Input).value = "Line-up, final"
        editor.query_one("#f-subject", Input).value = "The line-up"
        count = len(editor.blocks)
        table = editor.query_one("#blocks", DataTable)
        table.focus()
        table.move_cursor(row=count - 1)
        await pilot.press("x")
        assert len(editor.blocks) == count - 1

        sandbox_backend.go_offline()
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: str(message.render()).startswith("Not saved: "),
            what="the offline refusal",
        )
        assert not editor.saving and editor.saved is None
        sandbox_backend.go_online()
        assert server_message(sandbox_backend, item.id)["title"] == before["title"]

        # Nothing was saved: escape asks before the changes are thrown away.
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await wait_until(pilot, lambda: app.screen is editor, what="still editing")
        assert editor.query_one("#f-title", Input).value == "Line-up, final"
