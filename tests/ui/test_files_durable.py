"""An upload in ``:files`` is a durable action like every other write: with the sandbox dropping
every answer after committing, the file is uploaded once, its row is shown and ``:journal``
says ``ok`` (confirmed by re-reading), with the file's path, size and SHA-256 but not its
body. ``R`` in ``:journal`` on an upload whose file changed since sends nothing and says so."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from preo_tui.actions import ActionRunner, file_action
from preo_tui.store import Journal
from preo_tui.ui.files.forms import FileUploadModal
from preo_tui.ui.files.screen import FilesScreen
from preo_tui.ui.journal.screen import JournalScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page

DROP_AFTER_COMMIT = {"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0}
BODY = b"name,qty\n" + b"durable upload,1\n" * 200


@pytest.fixture(autouse=True)
def patient_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough re-reads that the network coming back during the check is seen by them.
    monkeypatch.setattr(ActionRunner, "CHECK_ATTEMPTS", 12)


def set_faults(backend: SandboxBackend, **knobs: Any) -> None:
    faults = backend.state.faults
    faults.config = faults.config.model_copy(update=knobs)


def files_named(backend: SandboxBackend, name: str) -> list[Any]:
    return list(backend.state.db.query("SELECT id FROM files WHERE file_name = ?", (name,)))


async def test_upload_with_answers_lost_after_commit_is_applied_once(
    make_app: AppFactory, sandbox_backend: SandboxBackend, isolated_dirs: Dirs, tmp_path: Path
) -> None:
    path = tmp_path / "durable-upload.csv"
    path.write_bytes(BODY)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen: FilesScreen = await open_first_page(pilot, "files", FilesScreen, what="files")
        before = screen.table.total or 0
        await pilot.press("u")
        modal = await wait_for_screen(pilot, FileUploadModal)
        modal.query_one("#u-path", Input).value = str(path)
        set_faults(sandbox_backend, **DROP_AFTER_COMMIT)
        await pilot.press("enter")
        # The server committed it; its answer (and the first re-reads) are lost.
        await wait_until(
            pilot, lambda: len(files_named(sandbox_backend, path.name)) == 1, what="committed"
        )
        set_faults(sandbox_backend, error_rate=0.0)
        await wait_until(
            pilot, lambda: screen.table.total == before + 1, within=30, what="the new row"
        )
        await wait_for_workers(pilot)
        [row] = files_named(sandbox_backend, path.name)
        current = screen.table.current_item
        assert current is not None and current.api_id == row["id"]

        # The journal: one upload, ok, confirmed by re-reading; the body is not in it.
        [entry] = [
            e
            for e in Journal(isolated_dirs.data / "journal.jsonl").read()
            if e.operation == "files.upload"
        ]
        assert entry.outcome == "ok" and "re-reading" in (entry.error or "")
        assert entry.args is not None and entry.args["file"] == {
            "path": str(path.resolve()),
            "size": len(BODY),
            "sha256": hashlib.sha256(BODY).hexdigest(),
        }
        assert b"durable upload" not in (isolated_dirs.data / "journal.jsonl").read_bytes()

        # ``:journal`` shows it as ok.
        await pilot.press(":", *"journal", "enter")
        journal = await wait_for_screen(pilot, JournalScreen)
        table = journal.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count >= 1, what="journal rows")
        assert journal.entries[0].operation == "files.upload"
        assert str(table.get_cell("0", "outcome")) == "ok"
        assert "upload file durable-upload.csv" in str(table.get_cell("0", "summary"))


async def test_journal_resend_of_an_upload_whose_file_changed_sends_nothing(
    make_app: AppFactory, sandbox_backend: SandboxBackend, tmp_path: Path
) -> None:
    """``R`` on an upload recorded as failed: the file changed since, so nothing is sent and
    ``:journal`` says "not resent: the file changed"; restored, ``R`` sends it (once)."""
    path = tmp_path / "resend-me.csv"
    path.write_bytes(BODY)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.ctx.organization is not None and app.ctx.me is not None
        journal = app.ctx.journal
        journal.user = str(app.ctx.me.id)
        action = file_action(
            "files.upload",
            "upload file resend-me.csv",
            BODY,
            path=path,
            organization_id=app.ctx.organization.id,
            file_name=path.name,
        )
        begun = journal.begin(
            resource="files",
            action="upload",
            summary=action.summary,
            idempotency_key=action.key,
            operation=action.operation,
            args=dict(action.args),
        )
        journal.finish(begun.action_id, "failed", "not applied (re-read: no such object)")
        path.write_bytes(BODY.replace(b"durable", b"changed!", 1))

        await pilot.press(":", *"journal", "enter")
        viewer = await wait_for_screen(pilot, JournalScreen)
        table = viewer.query_one("#journal-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the failed upload")
        await pilot.press("R")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                "not resent: the file changed" in str(viewer.query_one("#journal-detail").render())
            ),
            what="the journal saying why",
        )
        assert str(table.get_cell("0", "outcome")) == "failed"
        assert any("not resent: the file changed" in str(n.message) for n in app._notifications)
        assert files_named(sandbox_backend, path.name) == []

        # The file as it was: R sends it with the original key, once.
        path.write_bytes(BODY)
        await pilot.press("R")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: str(table.get_cell("0", "outcome")) == "ok", what="resent")
        assert len(files_named(sandbox_backend, path.name)) == 1
        [entry] = journal.read()
        assert (entry.idempotency_key, entry.attempts) == (action.key, 2)
