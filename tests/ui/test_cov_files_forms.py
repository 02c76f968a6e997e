"""The dialogs of ``:files`` on their own (a bare Textual app hosts each one; no sandbox): the
upload dialog's refusals, the edit dialog placing the server's refusal beside its field (or
under the form), a server that does not rename, and "save a copy" asking before it replaces a
file and saying why a copy could not be written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from preo_tui.api.errors import Conflict, ValidationFailed
from preo_tui.api.files import File
from preo_tui.ui.files.forms import FileEditModal, FileUploadModal, SaveCopyModal
from tests.fixtures.app import wait_for_screen, wait_until

ITEM = File(api_id="fil_1", file_name="poster.png", tags=["poster"], size=2048)
UNSET = object()


class Host(App[None]):
    """Pushes one dialog and keeps what it was dismissed with."""

    def __init__(self, modal: ModalScreen[Any]) -> None:
        super().__init__()
        self.modal = modal
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.modal, callback=self.done)

    def done(self, value: Any) -> None:
        self.result = value


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_into(pilot: Any, screen: Any, selector: str, value: str) -> None:
    field = screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    if value:
        await pilot.press(*value)


async def test_upload_refusals_then_tags(tmp_path: Path) -> None:
    modal = FileUploadModal(["poster", "2026"])
    host = Host(modal)
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for_screen(pilot, FileUploadModal)
        assert "tags in use: poster, 2026" in [str(s.render()) for s in modal.query(Static)]
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.error_text == "Type the path of a file.")
        empty = tmp_path / "empty.png"
        empty.write_bytes(b"")
        modal.query_one("#u-path", Input).value = str(empty)
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.error_text == "empty.png is empty.")
        assert text_of(modal, "#u-error") == "empty.png is empty."
        poster = tmp_path / "poster.png"
        poster.write_bytes(b"\x89PNG")
        modal.query_one("#u-path", Input).value = str(poster)
        await type_into(pilot, modal, "#u-tags", "poster, 2026, poster,")
        await pilot.press("enter")
        await wait_until(pilot, lambda: host.result is not UNSET, what="dismissed")
    assert host.result == (poster, b"\x89PNG", ["poster", "2026"])


def edit_modal(save: Callable[[File, dict[str, Any]], Any]) -> FileEditModal:
    return FileEditModal(ITEM, ["poster"], save)


async def test_edit_places_refusals_and_notices_no_rename() -> None:
    answers: list[Any] = [
        ValidationFailed(fields={"caption": ["Too long."], "other": ["ignored"]}),
        Conflict("The file is locked"),
        ITEM.model_copy(update={"caption": "Main stage"}),  # renamed? no
    ]
    sent: list[dict[str, Any]] = []

    async def save(item: File, changes: dict[str, Any]) -> File:
        sent.append(changes)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        result: File = answer
        return result

    modal = edit_modal(save)
    host = Host(modal)
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for_screen(pilot, FileEditModal)
        # Nothing changed: enter closes without saving.
        await pilot.press("enter")
        await wait_until(pilot, lambda: host.result is None, what="closed unchanged")
        assert sent == []

    modal = edit_modal(save)
    host = Host(modal)
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for_screen(pilot, FileEditModal)
        await type_into(pilot, modal, "#e-file_name", "")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: modal.errors == {"file_name": "A file needs a name."})
        assert sent == []

        await type_into(pilot, modal, "#e-file_name", "poster.png")
        await type_into(pilot, modal, "#e-caption", "Main stage")
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.errors == {"caption": "Too long."})
        assert text_of(modal, "#err-caption") == "Too long."
        assert sent == [{"caption": "Main stage"}]

        await pilot.press("enter")
        await wait_until(pilot, lambda: "all" in modal.errors, what="the form-wide refusal")
        assert modal.errors["all"].endswith("The file is locked")
        assert modal.query_one("#err-caption", Static).display is False

        await type_into(pilot, modal, "#e-file_name", "stage.png")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "file_name" in modal.errors, what="not renamed")
        assert modal.errors["file_name"].startswith("Not renamed: this server does not rename")
        assert sent[-1] == {"file_name": "stage.png", "caption": "Main stage"}
        assert host.result is UNSET  # still open: the operator sees why


async def test_save_copy_asks_before_replacing(tmp_path: Path) -> None:
    downloads: list[bytes | Exception] = [
        ConnectionAbortedError("reset"),  # an OSError: "Cannot write"
        Conflict("The file was deleted"),
        b"new bytes",
    ]

    async def download() -> bytes:
        answer = downloads.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    existing = tmp_path / "poster.png"
    existing.write_bytes(b"old bytes")
    modal = SaveCopyModal(ITEM, download, folder=tmp_path)
    host = Host(modal)
    async with host.run_test(size=(100, 30)) as pilot:
        await wait_for_screen(pilot, SaveCopyModal)
        path = modal.query_one("#s-path", Input)
        assert path.value == str(existing)
        path.value = str(tmp_path / "missing-folder" / "x.png")
        await pilot.press("enter")
        assert modal.error_text == f"The folder {tmp_path / 'missing-folder'} does not exist."

        path.value = str(existing)
        await pilot.press("enter")
        assert modal.error_text.startswith("poster.png exists. Press enter again to replace it")
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.error_text.startswith("Cannot write"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.error_text.endswith("The file was deleted"))
        # Typing another name forgets the pending "replace".
        await pilot.press("end", "backspace")
        assert modal.pending_overwrite is None and modal.error_text == ""
        await pilot.press("g", "enter")
        assert modal.error_text.startswith("poster.png exists.")  # asked again
        await pilot.press("enter")
        await wait_until(pilot, lambda: host.result == existing, what="saved")
    assert existing.read_bytes() == b"new bytes"
