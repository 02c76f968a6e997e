"""``:webhooks`` against the sandbox: the endpoint list with delivery stats, create/edit/delete,
rotating the secret (shown once, never stored), the deliveries (paging, filters, detail with the
payload), retrying a failed delivery and the refusal for one that succeeded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input, SelectionList

from preo_tui.sandbox import clock
from preo_tui.sandbox.db import dumps
from preo_tui.ui.webhooks.deliveries import DeliveriesScreen
from preo_tui.ui.webhooks.form import WebhookFormModal
from preo_tui.ui.webhooks.screen import WebhooksScreen
from preo_tui.ui.webhooks.secret import SecretModal
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    SandboxBackend,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_first_page, plain, requests_sent

SIZE = (160, 48)


async def open_webhooks(pilot: Any) -> WebhooksScreen:
    screen = await open_first_page(pilot, "webhooks", WebhooksScreen, what="endpoints")
    await wait_until(
        pilot, lambda: all(e.id in screen.stats for e in screen.table.items), what="stats"
    )
    return screen


def endpoint_row(backend: SandboxBackend, name: str) -> dict[str, Any]:
    row = backend.state.db.one("SELECT * FROM webhook_endpoints WHERE name = ?", (name,))
    assert row is not None
    return dict(row)


def add_deliveries(
    backend: SandboxBackend,
    endpoint_id: str,
    n: int,
    *,
    status: str = "succeeded",
    event: str,
    tag: str = "t",
) -> list[str]:
    """``n`` deliveries of ``endpoint_id``, newest first (one minute apart, before the seed's)."""
    db = backend.state.db
    now = clock.now()
    ids = []
    rows = []
    for i in range(n):
        did = f"whd_{tag}{i:04d}{status[:2]}"
        at = clock.iso(now - timedelta(minutes=i + 1))
        body = dumps({"id": did, "event": event, "created": at, "data": {"i": i}})
        code = 200 if status == "succeeded" else 500
        rows.append(
            (
                did,
                endpoint_id,
                event,
                body,
                status,
                1 if code == 200 else 5,
                code,
                '{"ok":true}' if code == 200 else '{"error":"down"}',
                42,
                None,
                at,
                at,
            )
        )
        ids.append(did)
    with db.transaction():
        db.executemany(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event, payload, status,"
            " attempt_count, response_status, response_body, duration_ms, next_retry_at,"
            " created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )  # fmt: skip
    return ids


async def test_endpoints_show_last_delivery_and_failure_rate(
    make_still_app: AppFactory, still_sandbox_backend: SandboxBackend
) -> None:
    sandbox_backend = still_sandbox_backend
    app = make_still_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_webhooks(pilot)
        names = {e.name for e in screen.table.items}
        assert {"Order sync (ERP)", "Legacy CRM (unreachable)"} <= names
        assert "Slack alerts" not in names  # another organization's
        crm = next(e for e in screen.table.items if e.name == "Legacy CRM (unreachable)")
        stats = screen.stats[crm.id]
        db = sandbox_backend.state.db
        assert stats.total == db.scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?", (crm.id,)
        )
        failed = db.scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'failed'",
            (crm.id,),
        )
        assert stats.failed == failed and stats.failure_rate == f"{100 * failed / stats.total:.0f}%"
        last = db.scalar(
            "SELECT status FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created DESC",
            (crm.id,),
        )
        assert stats.last_status == last
        paused = next(e for e in screen.table.items if e.name == "Data warehouse (paused)")
        assert screen.row_cells(paused)[1] == "paused"
        # secrets never reach the screen's objects
        assert all(e.secret is None for e in screen.table.items)
        screen.table.move_to_id(crm.id)
        await pilot.pause()
        detail = plain(screen.query_one("#detail-content"))
        assert "campaign.sent" in detail and "a campaign finished sending" in detail
        assert "never shown" in detail


async def test_create_edit_and_delete_an_endpoint(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_webhooks(pilot)
        await pilot.press("n")
        form = await wait_for_screen(pilot, WebhookFormModal)
        sent = requests_sent(app)
        form.query_one("#f-name", Input).value = "Ops pager"
        form.query_one("#f-url", Input).value = "ftp://nowhere"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("url") != "", what="url error")
        assert "http" in form.error_text("url")
        assert "at least one event" in form.error_text("events")
        assert requests_sent(app) == sent  # nothing sent
        form.query_one("#f-url", Input).value = "http://webhooks.sandbox.invalid/pager"
        events = form.query_one("#f-events", SelectionList)
        events.select("refund_request.failed")
        events.select("order.cancelled")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, WebhooksScreen)
        await wait_until(
            pilot, lambda: any(e.name == "Ops pager" for e in screen.table.items), what="new row"
        )
        row = endpoint_row(sandbox_backend, "Ops pager")
        assert sorted(__import__("json").loads(row["events"])) == [
            "order.cancelled",
            "refund_request.failed",
        ]
        assert row["is_active"] == 1
        assert screen.table.current_item is not None
        assert screen.table.current_item.id == row["id"]
        # edit: rename and pause it
        await wait_for_workers(pilot)
        await pilot.press("e")
        form = await wait_for_screen(pilot, WebhookFormModal)
        form.query_one("#f-name", Input).value = "Ops pager (paused)"
        form.query_one("#f-active", Checkbox).value = False
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, WebhooksScreen)
        await wait_until(
            pilot,
            lambda: endpoint_row(sandbox_backend, "Ops pager (paused)")["is_active"] == 0,
            what="edited",
        )
        await wait_until(
            pilot,
            lambda: screen.table.current_item.name == "Ops pager (paused)",
            what="row updated",
        )
        # delete asks; "n" keeps it, "y" deletes
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("n")
        await wait_for_screen(pilot, WebhooksScreen)
        assert sandbox_backend.state.db.scalar(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE id = ?", (row["id"],)
        )
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: (
                not sandbox_backend.state.db.scalar(
                    "SELECT COUNT(*) FROM webhook_endpoints WHERE id = ?", (row["id"],)
                )
            ),
            what="deleted",
        )
        await wait_until(
            pilot, lambda: all(e.id != row["id"] for e in screen.table.items), what="row gone"
        )


async def test_rotate_shows_the_new_secret_once_and_keeps_it_nowhere(
    make_app: AppFactory, sandbox_backend: SandboxBackend, isolated_dirs: Dirs
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_webhooks(pilot)
        target = next(e for e in screen.table.items if e.name == "Order sync (ERP)")
        old = endpoint_row(sandbox_backend, "Order sync (ERP)")["secret"]
        screen.table.move_to_id(target.id)
        await pilot.press("R")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("n")  # asked first: nothing rotated
        await wait_for_screen(pilot, WebhooksScreen)
        assert endpoint_row(sandbox_backend, "Order sync (ERP)")["secret"] == old
        await pilot.press("R")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        modal = await wait_for_screen(pilot, SecretModal)
        new = endpoint_row(sandbox_backend, "Order sync (ERP)")["secret"]
        assert new != old
        assert plain(modal.query_one("#secret-value")).strip() == new
        assert "will not be shown again" in plain(modal.query_one(".secret-warning"))
        await pilot.press("y")
        assert modal.copied
        await pilot.press("enter")
        await wait_for_screen(pilot, WebhooksScreen)
        await wait_for_workers(pilot)
        assert getattr(app, "last_copied", None) != new
        # no file of the app (journal, cache, config) holds the new or the old secret
        assert files_holding(isolated_dirs, new, old) == []


def files_holding(dirs: Dirs, *secrets: str) -> list[Path]:
    found = []
    for folder in (dirs.data, dirs.cache, dirs.config):
        for path in Path(folder).rglob("*"):
            if path.is_file() and any(s.encode() in path.read_bytes() for s in secrets):
                found.append(path)
    return found


async def open_deliveries(pilot: Any, screen: WebhooksScreen, name: str) -> DeliveriesScreen:
    target = next(e for e in screen.table.items if e.name == name)
    screen.table.move_to_id(target.id)
    await pilot.press("enter")
    deliveries: DeliveriesScreen = await wait_for_screen(pilot, DeliveriesScreen)
    await wait_until(pilot, lambda: deliveries.table.total is not None, what="deliveries")
    await wait_for_workers(pilot)
    return deliveries


def count(backend: SandboxBackend, where: str, *params: Any) -> int:
    return int(
        backend.state.db.scalar(f"SELECT COUNT(*) FROM webhook_deliveries WHERE {where}", params)
    )


async def test_deliveries_paging_filters_and_detail(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    hook = endpoint_row(sandbox_backend, "Order sync (ERP)")
    added = add_deliveries(sandbox_backend, hook["id"], 130, event="order.created")
    failed = add_deliveries(sandbox_backend, hook["id"], 3, status="failed", event="order.updated")
    db = sandbox_backend.state.db
    total = count(sandbox_backend, "endpoint_id = ?", hook["id"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_webhooks(pilot)
        deliveries = await open_deliveries(pilot, screen, "Order sync (ERP)")
        table = deliveries.table
        assert table.total == total and total > 130
        assert len(table.items) < total  # paged: not everything at once
        await pilot.press("G")  # the last page is read when asked for
        oldest = db.scalar(
            "SELECT id FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created LIMIT 1",
            (hook["id"],),
        )
        await wait_until(
            pilot,
            lambda: table.current_item is not None and table.current_item.id == oldest,
            what="last page",
        )
        # filter by status
        deliveries.set_filter("status", "failed")
        failed_total = count(sandbox_backend, "endpoint_id = ? AND status = 'failed'", hook["id"])
        await wait_until(pilot, lambda: table.total == failed_total, what="failed only")
        assert all(str(d.status) == "failed" for d in table.items)
        assert set(failed) <= {d.id for d in table.items}
        # and by event
        deliveries.set_filter("status", None)
        deliveries.set_filter("event", "order.created")
        created_total = count(sandbox_backend, "endpoint_id = ? AND event = ?", hook["id"],
                              "order.created")  # fmt: skip
        await wait_until(pilot, lambda: table.total == created_total, what="event filter")
        assert "event: order.created" in plain(deliveries.query_one("#filter-bar"))
        # the detail: the row at once, the full delivery (payload) fills in
        table.move_to_id(added[0])
        await wait_until(pilot, lambda: added[0] in deliveries.details, what="full delivery")
        await pilot.pause()
        text = plain(deliveries.query_one("#detail-content"))
        assert '"i": 0' in text and "Preo-Signature" in text and "HMAC-SHA256" in text
        assert '{"ok":true}' in text


async def test_retry_a_failed_delivery_and_refused_on_a_successful_one(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    hook = endpoint_row(sandbox_backend, "Order sync (ERP)")
    (failed,) = add_deliveries(
        sandbox_backend, hook["id"], 1, status="failed", event="order.updated"
    )
    db = sandbox_backend.state.db

    def attempts(delivery_id: str) -> int:
        return int(
            db.scalar("SELECT attempt_count FROM webhook_deliveries WHERE id = ?", (delivery_id,))
        )

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_webhooks(pilot)
        deliveries = await open_deliveries(pilot, screen, "Order sync (ERP)")
        table = deliveries.table
        assert table.move_to_id(failed)
        await pilot.pause()
        await pilot.press("r")
        # the new attempt appears on the row (the sink answers 200)
        await wait_until(
            pilot,
            lambda: str(next(d for d in table.items if d.id == failed).status) == "succeeded",
            what="retried",
        )
        row = next(d for d in table.items if d.id == failed)
        assert row.attempt_count == 6 and row.response_status == 200
        assert attempts(failed) == 6
        # r on a delivery that succeeded: refused on the spot, nothing sent
        await wait_for_workers(pilot)
        sent = requests_sent(app)
        await pilot.press("r")
        await pilot.pause()
        assert requests_sent(app) == sent and attempts(failed) == 6
        # a stale row (someone retried it meanwhile): the server's 409 is shown
        (stale,) = add_deliveries(
            sandbox_backend, hook["id"], 1, status="failed", event="order.cancelled", tag="s"
        )
        await table.reload_and_wait()
        assert table.move_to_id(stale)
        await pilot.pause()
        with db.transaction():
            db.execute("UPDATE webhook_deliveries SET status = 'succeeded' WHERE id = ?", (stale,))
        await pilot.press("r")
        await wait_until(pilot, lambda: deliveries.refusal is not None, what="refusal")
        assert deliveries.refusal is not None and "succeeded" in deliveries.refusal[1]
        await wait_until(
            pilot,
            lambda: "Refused by the server" in plain(deliveries.query_one("#detail-content")),
            what="refusal shown",
        )
        assert attempts(stale) == 5


def column_width(table: Any, key: str) -> int:
    width: int = next(c.width for k, c in table.columns.items() if k == key)
    return width


async def test_names_show_whole_at_80_columns(make_still_app: AppFactory) -> None:
    """Issue 15: at 80x24 the URL and the events give way before an endpoint's name is cut
    ("Legacy CRM (unrea" was shown while the URL took 24 cells), and the row fits the
    terminal (nothing hidden past the right edge)."""
    app = make_still_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_webhooks(pilot)
        table = screen.table
        longest = max(len(e.name or "") for e in table.items)
        assert longest > 18  # the seed has names longer than the old fixed width
        await wait_until(pilot, lambda: column_width(table, "name") >= longest, what="whole names")
        assert column_width(table, "url") < 24 and column_width(table, "events") < 16
        assert table.virtual_size.width <= table.size.width
