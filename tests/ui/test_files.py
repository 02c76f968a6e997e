"""``:files`` driven with Pilot against the in-process sandbox: upload with tags, edit, delete,
the server's in-use refusal, details and saving a copy (never overwriting without asking), the
tag filter and name search, read-only refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from preo_tui.ui.files.forms import (
    FileDetailModal,
    FileEditModal,
    FileUploadModal,
    SaveCopyModal,
)
from preo_tui.ui.files.screen import FilesScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, plain

BIG = (160, 48)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


async def open_files(pilot: Any) -> FilesScreen:
    screen: FilesScreen = await open_first_page(pilot, "files", FilesScreen, what="files")
    return screen


def server_file(backend: SandboxBackend, file_id: str) -> Any:
    return backend.state.db.one("SELECT * FROM files WHERE id = ?", (file_id,))


async def test_upload_edit_delete(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        before = screen.table.total
        await pilot.press("u")
        modal = await wait_for_screen(pilot, FileUploadModal)
        modal.query_one("#u-path", Input).value = str(FIXTURES / "boxoffice.csv")
        modal.query_one("#u-tags", Input).value = "box office, 2026, box office"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.table.total == (before or 0) + 1, what="uploaded")
        await wait_for_workers(pilot)
        item = screen.table.current_item
        assert item is not None and item.file_name == "boxoffice.csv"
        row = server_file(sandbox_backend, item.api_id)
        assert json.loads(row["tags"]) == ["box office", "2026"]
        assert row["size"] == (FIXTURES / "boxoffice.csv").stat().st_size

        # edit: tags and caption are saved; the name cannot change on this server
        await pilot.press("e")
        edit = await wait_for_screen(pilot, FileEditModal)
        edit.query_one("#e-tags", Input).value = "partner"
        edit.query_one("#e-caption", Input).value = "Box office sale"
        edit.query_one("#e-file_name", Input).value = "renamed.csv"
        await pilot.press("enter")
        await wait_until(pilot, lambda: edit.errors.get("file_name"), what="name refusal")
        assert "does not rename" in edit.errors["file_name"]
        row = server_file(sandbox_backend, item.api_id)
        assert json.loads(row["tags"]) == ["partner"] and row["caption"] == "Box office sale"
        await pilot.press("escape")
        await wait_for_screen(pilot, FilesScreen)
        await wait_until(
            pilot,
            lambda: screen.table.current_item and screen.table.current_item.tags == ["partner"],
            what="row updated",
        )

        # delete (asks first)
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: server_file(sandbox_backend, item.api_id) is None, what="gone"
        )
        await wait_until(
            pilot, lambda: all(f.api_id != item.api_id for f in screen.table.items), what="row gone"
        )


async def test_delete_in_use_shows_the_servers_reason(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        used_id = sandbox_backend.state.db.scalar(
            "SELECT meta_image_id FROM editions WHERE meta_image_id IS NOT NULL LIMIT 1"
        )
        await wait_until(pilot, lambda: screen.table.move_to_id(used_id), what="used file")
        await wait_until(
            pilot, lambda: screen.current and screen.current.api_id == used_id, what="detail"
        )
        assert "edition" in plain(screen.query_one("#fil-fields", Static))
        await pilot.press("d")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "in use" in modal.body_text
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.refusal is not None, what="refusal")
        assert "in use" in screen.refusal[1] and "force" in screen.refusal[1]
        assert "Refused by the server" in plain(screen.query_one("#fil-refusal", Static))
        assert server_file(sandbox_backend, used_id) is not None


async def test_details_and_save_a_copy(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        item = screen.table.current_item
        assert item is not None
        await pilot.press("enter")
        await wait_for_screen(pilot, FileDetailModal)
        await pilot.press("s")
        save = await wait_for_screen(pilot, SaveCopyModal)
        target = tmp_path / "copy.bin"
        save.query_one("#s-path", Input).value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists(), what="saved")
        content = bytes(server_file(sandbox_backend, item.api_id)["content"])
        assert target.read_bytes() == content
        # again: never overwritten without asking
        target.write_bytes(b"mine")
        await pilot.press("s")
        save = await wait_for_screen(pilot, SaveCopyModal)
        save.query_one("#s-path", Input).value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "exists" in save.error_text, what="asks")
        assert target.read_bytes() == b"mine"
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.read_bytes() == content, what="replaced")


async def test_tag_filter_and_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        assert "2026" in screen.available_tags
        screen.set_tag("2026")
        await wait_until(
            pilot,
            lambda: (
                screen.table.items and all("2026" in (f.tags or []) for f in screen.table.items)
            ),
            what="tag filter",
        )
        screen.set_tag(None)
        screen.apply_filter("logo")
        await wait_until(
            pilot,
            lambda: (
                screen.table.items
                and all("logo" in (f.file_name or "") for f in screen.table.items)
            ),
            what="name search",
        )


async def test_read_only_refuses_writes(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        count = sandbox_backend.state.db.scalar("SELECT COUNT(*) FROM files")
        for key in ("u", "e", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen  # no form, no confirmation
        assert sandbox_backend.state.db.scalar("SELECT COUNT(*) FROM files") == count
        assert app.ctx.journal is None or not list(app.ctx.journal.read(limit=10))


async def test_a_long_file_name_takes_the_free_width(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    """Issue 15: a file name is no longer cut at 24 characters whatever the room; at 160
    columns it takes the free width (type, tags and "by" give way first)."""
    long_name = "festival-site-map-camping-parking.pdf"
    db = sandbox_backend.state.db
    with db.transaction():
        db.execute(
            "UPDATE files SET file_name = ? WHERE file_name = 'site-map-2026.pdf'", (long_name,)
        )
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_files(pilot)
        table = screen.table
        item = next(f for f in table.items if f.file_name == long_name)
        assert str(screen.row_cells(item)[0]) == long_name
        await wait_until(
            pilot,
            lambda: (
                next(c.width for k, c in table.columns.items() if k == "name") >= len(long_name)
            ),
            what="the whole name",
        )
