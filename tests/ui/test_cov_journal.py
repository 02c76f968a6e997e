"""The journal viewer's operator paths not covered elsewhere: an unknown write re-read on
opening (and the toast saying so), the keys (j/k/g/G, y, r), ``R`` refused on a write that
cannot be resent and on a read-only profile, and a journal that cannot be read."""

from __future__ import annotations

from typing import Any, Literal

from textual.widgets import DataTable, Static

from preo_tui.store import Journal
from preo_tui.ui.journal.screen import JournalScreen
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_home,
    wait_for_screen,
    wait_until,
)

Outcome = Literal["ok", "failed", "unknown"]


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def requested_refund(backend: SandboxBackend) -> str:
    row = backend.state.db.query(
        "SELECT id FROM refund_requests WHERE status = 'requested' ORDER BY pk LIMIT 1"
    )
    return str(row[0]["id"])


def record(journal: Journal, rid: str, outcome: Outcome, **extra: Any) -> None:
    entry = journal.begin(
        resource="refunds",
        action="approve",
        object_ids=[rid],
        summary=f"approve refund {rid}",
        idempotency_key=f"key-{rid}-{outcome}",
        **extra,
    )
    journal.finish(entry.action_id, outcome, "connection lost" if outcome != "ok" else None)


async def open_journal(pilot: Any) -> tuple[JournalScreen, DataTable[Any]]:
    pilot.app.jump("journal")
    screen: JournalScreen = await wait_for_screen(pilot, JournalScreen)
    return screen, screen.query_one("#journal-table", DataTable)


async def test_journal_resolves_unknown_writes_and_keys(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    rid = requested_refund(sandbox_backend)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_home(pilot)
        journal = app.ctx.journal
        journal.user = str(app.ctx.me.id)
        record(journal, "rfr_done", "ok")
        # An approval whose answer was lost: never applied on the server.
        record(journal, rid, "unknown", operation="refunds.approve", args={"id": rid})
        screen, table = await open_journal(pilot)
        await wait_until(
            pilot,
            lambda: "Checked 1 unknown writes with the server: 1 resolved." in toasts(app),
            what="the unknown write re-read",
        )
        await wait_until(
            pilot,
            lambda: (
                {e.object_ids[0]: e.outcome for e in screen.entries}
                == {"rfr_done": "ok", rid: "failed"}
            ),
            what="the resolved outcome listed",
        )
        empty = screen.query_one("#journal-empty", Static)
        assert "2 writes (profile sandbox)" in str(empty.render())

        # j/k/g/G move the cursor; the detail follows it.
        await pilot.press("G")
        assert table.cursor_row == 1
        await pilot.press("k")
        assert table.cursor_row == 0
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0

        ok_row = next(i for i, e in enumerate(screen.entries) if e.outcome == "ok")
        table.move_cursor(row=ok_row)
        await pilot.pause()
        detail = str(screen.query_one("#journal-detail", Static).render())
        assert "R resends" not in detail
        await pilot.press("R")  # an applied write is never resent
        await wait_until(
            pilot,
            lambda: any(t.startswith("Only a write of this server") for t in toasts(app)),
            what="the refusal",
        )
        await pilot.press("y")
        assert app.last_copied == "rfr_done"

        # r re-reads the journal file: a write recorded meanwhile appears.
        record(journal, "rfr_later", "ok")
        await pilot.press("r")
        await wait_until(pilot, lambda: table.row_count == 3, what="the new write")

        # A journal that cannot be read says so instead of a traceback.
        def unreadable(**kwargs: Any) -> Any:
            raise OSError("Permission denied")

        journal.read = unreadable  # a broken file, for this instance only
        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: "The journal cannot be read: Permission denied" in str(empty.render()),
            what="the read error",
        )
        assert table.row_count == 0
        assert str(screen.query_one("#journal-detail", Static).render()) == ""


async def test_read_only_profile_refuses_resend(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    rid = requested_refund(sandbox_backend)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_home(pilot)
        journal = app.ctx.journal
        journal.user = str(app.ctx.me.id)
        record(journal, rid, "failed", operation="refunds.approve", args={"id": rid})
        screen, table = await open_journal(pilot)
        await wait_until(pilot, lambda: table.row_count == 1, what="the failed write")
        assert "R resends it" in str(screen.query_one("#journal-detail", Static).render())
        await pilot.press("R")
        await wait_until(
            pilot, lambda: "This profile is read-only." in toasts(app), what="the refusal"
        )
        assert ("requested", "ready") not in sandbox_backend.state.db.state_changes(rid)
