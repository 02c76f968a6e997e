"""The app's "Check this server" screen: reached from the palette, read-only, and showing what
a differing server lacks with the overrides to add."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from preo_tui.ui.doctor.screen import DoctorScreen
from tests.doctor.test_doctor import DIFF
from tests.doctor.wrapper import differing
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    wait_for_home,
    wait_for_screen,
    wait_until,
)


async def open_doctor(pilot: Any, *, palette: bool = True) -> DoctorScreen:
    await wait_for_home(pilot)
    if palette:
        await pilot.press("ctrl+p")
        for ch in "check this server":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause()
        await pilot.press("enter")
    else:
        assert pilot.app.jump("doctor")
    screen: DoctorScreen = await wait_for_screen(pilot, DoctorScreen)
    await wait_until(pilot, lambda: screen.report is not None, within=30, what="the report")
    return screen


def summary_text(screen: DoctorScreen) -> str:
    return str(screen.query_one("#doctor-summary", Static).render())


async def test_check_this_server_from_the_palette(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    counts: dict[str, int] = {}

    async def count(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            counts[scope["method"]] = counts.get(scope["method"], 0) + 1
        await inner(scope, receive, send)

    inner = sandbox_backend.asgi
    wrapped: Any = count
    sandbox_backend.asgi = wrapped
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_doctor(pilot)
        before = dict(counts)
        report = screen.report
        assert report.failed == 0 and report.exit_code == 0
        table = screen.query_one("#doctor-table", DataTable)
        keys = [row.value for row in table.rows]
        assert "refunds.list" in keys and "refunds.approve" not in keys  # reads only
        status = str(screen.query_one("#doctor-status", Static).render())
        assert f"{report.held} of {report.held} assumptions held" in status
        await pilot.press("p")  # problems only: none
        await pilot.pause()
        assert table.row_count == 0
    # Read-only: only GETs and the side-effect-free validate-cel POST (one) were sent.
    assert set(before) <= {"GET", "POST"}
    assert before.get("POST", 0) == 1


async def test_a_differing_server_shows_its_problems_and_the_overrides(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    sandbox_backend.asgi = differing(sandbox_backend.asgi, DIFF)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_doctor(pilot, palette=False)
        await pilot.press("p")
        await pilot.pause()
        table = screen.query_one("#doctor-table", DataTable)
        assert sorted(row.value for row in table.rows) == [
            "consents.list",
            "data_imports.column_mappings",
            "refunds.get",
        ]
        text = summary_text(screen)
        assert '"consents.list" = "GET /v1/consent"' in text
        assert "[profiles.sandbox.operations]" in text
        status = str(screen.query_one("#doctor-status", Static).render())
        assert "3 failed" in status
