"""The ``:campaigns`` screen, the compose form, scheduling, sending, cancelling, deleting and
the stats view, driven with Pilot against the in-process sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual.widgets import Input, Select, Static, TextArea

from preo_tui.ui.campaigns.compose import CampaignComposeScreen
from preo_tui.ui.campaigns.schedule import ScheduleModal
from preo_tui.ui.campaigns.screen import CampaignsScreen
from preo_tui.ui.campaigns.stats import CampaignStatsScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from preo_tui.ui.widgets.confirm import ConfirmModal, TypedConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import open_list_screen, select_by_name

BIG = (160, 48)


async def open_campaigns(pilot: Any) -> CampaignsScreen:
    screen = await open_list_screen(pilot, "campaigns", CampaignsScreen, what="campaigns")
    await wait_until(pilot, lambda: bool(screen.segments), what="segments")
    await wait_for_workers(pilot)
    return screen


def server_row(backend: SandboxBackend, campaign_id: str) -> Any:
    return backend.state.db.one("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))


async def choose(pilot: Any, label_start: str) -> None:
    """Pick the option of the open ChoiceModal whose label starts with ``label_start``."""
    modal = await wait_for_screen(pilot, ChoiceModal)
    index = next(i for i, c in enumerate(modal.choices) if c.label.startswith(label_start))
    if modal.filterable:
        await pilot.press(*label_start, "enter")
    else:
        options = modal.query_one("OptionList")
        options.highlighted = index
        await pilot.press("enter")


async def open_compose(pilot: Any) -> CampaignComposeScreen:
    await open_campaigns(pilot)
    await pilot.press("n")
    compose: CampaignComposeScreen = await wait_for_screen(pilot, CampaignComposeScreen)
    await wait_until(pilot, lambda: compose.loaded, what="segments and messages")
    return compose


async def test_list_filters_and_orderings(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        names = {c.name for c in screen.table.items}
        assert {"Weather update", "Rain warning (SE)", "VIP upgrade offer"} <= names
        screen.set_filter("channel", "sms")
        await wait_until(
            pilot,
            lambda: screen.table.items and all(c.channel == "sms" for c in screen.table.items),
            what="sms only",
        )
        screen.set_filter("status", "scheduled")
        await wait_until(
            pilot,
            lambda: [c.name for c in screen.table.items] == ["Rain warning (SE)"],
            what="scheduled sms",
        )
        assert "channel=sms" in str(screen.query_one("#list-status", Static).render())
        screen.filters.clear()
        screen.apply_filter("tickets")
        await wait_until(
            pilot,
            lambda: [c.name for c in screen.table.items] == ["Last tickets reminder"],
            what="text filter",
        )
        screen.apply_filter("")
        screen.table.set_ordering("name")
        await wait_until(
            pilot,
            lambda: (
                len(screen.table.items) > 5
                and [c.name for c in screen.table.items]
                == sorted(c.name for c in screen.table.items)
            ),
            what="ordered by name",
        )
        # the scheduled time is shown in the edition's zone (Copenhagen, UTC+2 in July)
        rain = next(c for c in screen.table.items if c.name == "Rain warning (SE)")
        assert screen.row_cells(rain)[4] == "07-05 15:00"


async def test_compose_an_email_campaign(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        compose = await open_compose(pilot)
        # nothing chosen: refused locally, field by field, without a request
        sent_before = app.ctx.client.requests_sent
        await pilot.press("ctrl+s")
        assert set(compose.errors) == {"name", "segment_id", "email_message_id"}
        assert app.ctx.client.requests_sent == sent_before
        compose.query_one("#f-name", Input).value = "Autumn news"
        await pilot.press("ctrl+g")
        modal = await wait_for_screen(pilot, ChoiceModal)
        labels = [c.label for c in modal.choices]
        assert any("Danish speakers" in lb and "102 users" in lb and "trans/email" in lb
                   for lb in labels)  # fmt: skip
        await choose(pilot, "Danish speakers")
        await wait_for_screen(pilot, CampaignComposeScreen)
        assert compose.segment_id is not None
        await pilot.press("ctrl+o")
        await choose(pilot, "Last tickets")
        await wait_for_screen(pilot, CampaignComposeScreen)
        await wait_until(pilot, lambda: compose.preview_text is not None, what="the preview")
        preview = compose.preview_text.plain
        assert "Subject: Last chance: tickets for 2026" in preview
        assert "{{" not in preview
        await pilot.press("ctrl+s")
        list_screen = await wait_for_screen(pilot, CampaignsScreen)
        await wait_until(
            pilot,
            lambda: list_screen.current is not None and list_screen.current.name == "Autumn news",
            what="the new campaign selected",
        )
        row = server_row(sandbox_backend, list_screen.current.id)
        assert (row["channel"], row["status"]) == ("email", "draft")
        assert row["email_message_id"] == compose.message_id


async def test_a_marketing_segment_without_consent_cannot_be_chosen(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    db = sandbox_backend.state.db
    with db.transaction():
        db.execute("UPDATE segments SET consent_id = NULL WHERE name = 'Newsletter, no orders'")
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        await open_compose(pilot)
        await pilot.press("ctrl+g")
        modal = await wait_for_screen(pilot, ChoiceModal)
        choice = next(c for c in modal.choices if c.label.startswith("Newsletter, no orders"))
        assert choice.disabled
        assert "NO consent" in choice.label
        await choose(pilot, "Newsletter, no orders")
        reason = str(modal.query_one("#choice-reason").render())
        assert "marketing segment without a consent" in reason
        assert app.screen is modal  # still open: not chosen


async def test_compose_an_sms_campaign_with_the_counter(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        compose = await open_compose(pilot)
        compose.query_one("#f-name", Input).value = "Gate news"
        compose.query_one("#f-channel", Select).value = "sms"
        await pilot.pause()
        assert compose.query_one("#email-part").has_class("-hidden")
        area = compose.query_one("#f-sms", TextArea)
        area.focus()
        await pilot.press(*"Gates open at 14:00")
        counter = compose.query_one("#sms-count", Static)
        await wait_until(pilot, lambda: "19/612" in str(counter.render()), what="the count")
        assert "GSM-7 · 1 part" in str(counter.render())
        area.text = "x" * 202 + "ł"
        # UCS-2 counts against its own limit (4 × 67), never the GSM-7 612
        await wait_until(pilot, lambda: "203/268" in str(counter.render()), what="ucs2")
        assert "UCS-2 · 4 parts" in str(counter.render())
        area.text = "x" * 270 + "ł"
        await pilot.press("ctrl+s")
        assert "at most 268 fit in 4 parts" in compose.errors["sms_body"]
        area.text = "y" * 613
        await pilot.press("ctrl+s")
        assert "at most 612" in compose.errors["sms_body"]
        area.text = "Gates open at 14:00 — bring your wristband."
        await pilot.press("ctrl+g")
        picker = await wait_for_screen(pilot, ChoiceModal)
        # only SMS (and channel-less) segments are offered to an SMS campaign
        offered = [c.label.split("  ·  ")[0] for c in picker.choices]
        assert "Swedish speakers with a phone" in offered
        assert "Danish speakers" not in offered and "VIP pass holders" not in offered
        await choose(pilot, "Swedish speakers with a phone")
        await wait_for_screen(pilot, CampaignComposeScreen)
        await pilot.press("ctrl+s")
        list_screen = await wait_for_screen(pilot, CampaignsScreen)
        await wait_until(
            pilot,
            lambda: list_screen.current is not None and list_screen.current.name == "Gate news",
            what="the new campaign",
        )
        row = server_row(sandbox_backend, list_screen.current.id)
        assert (row["channel"], row["sms_body"]) == (
            "sms",
            "Gates open at 14:00 — bring your wristband.",
        )


async def test_schedule_refuses_the_past_then_schedules(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "Early-bird for next year")
        sent_before = app.ctx.client.requests_sent
        await pilot.press("t")
        modal: ScheduleModal = await wait_for_screen(pilot, ScheduleModal)
        modal.query_one("#sched-date", Input).value = "2026-07-03"
        modal.query_one("#sched-time", Input).value = "11:30"  # 09:30 UTC < now (10:00 UTC)
        await pilot.press("enter")
        assert app.screen is modal
        assert modal.error_field == "time"
        assert "not in the future" in str(modal.query_one("#sched-error", Static).render())
        modal.query_one("#sched-date", Input).value = "2026-02-30"
        await pilot.press("enter")
        assert modal.error_field == "date"
        assert app.ctx.client.requests_sent == sent_before  # no request for a refused time
        modal.query_one("#sched-date", Input).value = "2026-07-04"
        modal.query_one("#sched-time", Input).value = "09:15"
        await pilot.pause()
        assert "07:15 UTC" in str(modal.query_one("#sched-result", Static).render())
        await pilot.press("enter")
        confirm: ConfirmModal = await wait_for_screen(pilot, ConfirmModal)
        assert "Sat 2026-07-04 09:15 CEST (Europe/Copenhagen)" in confirm.body_text
        assert "2026-07-04 07:15 UTC" in confirm.body_text
        await pilot.press("y")
        await wait_until(
            pilot, lambda: server_row(sandbox_backend, item.id)["status"] == "scheduled",
            what="scheduled on the server",
        )  # fmt: skip
        assert server_row(sandbox_backend, item.id)["scheduled_at"].startswith("2026-07-04T07:15")
        await wait_until(
            pilot,
            lambda: screen.current is not None and screen.current.status == "scheduled",
            what="the row updated",
        )


async def test_send_now_with_typed_confirmation_and_watch_it_sent(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    # A slow sandbox so the progress can be seen rising.
    sandbox_backend.state.scheduler.speed = 2.0
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "Early-bird for next year")
        await pilot.press("s")
        confirm: TypedConfirmModal = await wait_for_screen(pilot, TypedConfirmModal)
        body = confirm.body_text
        assert "Channel:     email" in body
        assert "Segment:     Big spenders" in body
        assert "Recipients:  55" in body
        assert "Subject:     The full line-up for 2026 is out" in body
        assert not confirm.production
        await pilot.press(*"Early-bird")
        await pilot.press("enter")
        assert app.screen is confirm  # not the full name yet
        await pilot.press(*" for next year", "enter")
        await wait_for_screen(pilot, CampaignsScreen)
        seen: list[tuple[str, int]] = []
        notes: set[str] = set()

        def done() -> bool:
            current = next(c for c in screen.table.items if c.id == item.id)
            seen.append((str(current.status), int(current.sent_count or 0)))
            notes.add(screen.status_note)
            return current.status == "sent"

        await wait_until(pilot, done, within=20, what="the campaign sent")
        statuses = [s for s, _ in seen]
        assert "calculating" in statuses or "sending" in statuses
        sending_counts = [n for s, n in seen if s == "sending"]
        assert any(0 < n < 55 for n in sending_counts), seen
        assert server_row(sandbox_backend, item.id)["status"] == "sent"
        assert "live: Early-bird for next year" in notes
        await wait_until(pilot, lambda: screen.status_note == "", what="the live note cleared")


async def test_send_confirmation_shows_the_production_badge(make_app: AppFactory) -> None:
    from preo_tui.ui.widgets.badge import ProductionBanner

    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "VIP upgrade offer")
        app.ctx.environment = type(app.ctx.environment)("production")
        screen.run_job(screen._send_now(item))
        confirm = await wait_for_screen(pilot, TypedConfirmModal)
        assert confirm.production
        assert confirm.query(ProductionBanner)
        assert "Text:        Nordlys: doors open at 14:00" in confirm.body_text
        await pilot.press("escape")
        await wait_for_screen(pilot, CampaignsScreen)


async def test_cancel_a_scheduled_campaign(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "Rain warning (SE)")
        await pilot.press("c")
        confirm = await wait_for_screen(pilot, ConfirmModal)
        assert "Sun 2026-07-05 15:00 CEST" in confirm.body_text
        await pilot.press("y")
        await wait_until(
            pilot, lambda: server_row(sandbox_backend, item.id)["status"] == "cancelled",
            what="cancelled",
        )  # fmt: skip
        await wait_until(
            pilot, lambda: screen.current is not None and screen.current.status == "cancelled",
            what="row cancelled",
        )  # fmt: skip
        # a sent one cannot be cancelled: said at once, nothing sent
        await select_by_name(pilot, screen, "Line-up announcement (DA)")
        before = app.ctx.client.requests_sent
        await pilot.press("c")
        await pilot.pause()
        assert app.ctx.client.requests_sent == before
        assert isinstance(app.screen, CampaignsScreen)


async def test_deleting_a_sent_campaign_shows_the_servers_409(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "Line-up announcement (DA)")
        await pilot.press("d")
        confirm = await wait_for_screen(pilot, ConfirmModal)
        assert "will most likely refuse" in confirm.body_text
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.refusal is not None, what="the refusal")
        assert screen.refusal is not None
        assert "cannot be deleted" in screen.refusal[1]
        shown = str(screen.query_one("#cmp-refusal", Static).render())
        assert "Refused by the server" in shown and "cannot be deleted" in shown
        assert server_row(sandbox_backend, item.id) is not None
        # a cancelled one is deleted
        gone = await select_by_name(pilot, screen, "Cancelled: wrong date")
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: server_row(sandbox_backend, gone.id) is None, what="deleted"
        )
        await wait_until(
            pilot, lambda: all(c.id != gone.id for c in screen.table.items), what="row gone"
        )


async def test_stats_are_drawn(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        await select_by_name(pilot, screen, "Line-up announcement (DA)")
        await pilot.press("v")
        stats: CampaignStatsScreen = await wait_for_screen(pilot, CampaignStatsScreen)
        await wait_until(pilot, lambda: stats.stats is not None, what="stats")
        assert stats.stats is not None
        series = stats.chart_series()
        assert len(series["sent"]) == 48
        assert series["sent"][-1] == stats.stats.sent_count
        assert series["opened"][-1] == stats.stats.opened_count
        assert series["clicked"][-1] == stats.stats.clicked_count
        totals = dict(stats.totals)
        assert totals["sent"] == f"{stats.stats.sent_count:,}"
        assert totals["delivered"] == f"{stats.stats.delivered_count:,}"
        note = str(stats.query_one("#stats-note", Static).render())
        assert "48 hourly points" in note
        # the legend is the line under the chart (never drawn over the lines), with totals
        assert f"sent {stats.stats.sent_count:,}" in note
        # whole-number y-axis labels only ("2026.7" was shown)
        from preo_tui.ui.campaigns.stats import integer_ticks, tick_label

        ticks = integer_ticks(stats.stats.sent_count or 1)
        assert all(float(t).is_integer() for t in ticks) and len(ticks) <= 5
        assert tick_label(12_000) == "12k" and tick_label(2_026) == "2,026"
        await pilot.press("escape")
        await wait_for_screen(pilot, CampaignsScreen)


def test_schedule_parsing_in_the_editions_zone() -> None:
    from zoneinfo import ZoneInfo

    import pytest

    from preo_tui.ui.campaigns.schedule import ScheduleError, parse_schedule

    cph = ZoneInfo("Europe/Copenhagen")
    now = datetime(2026, 7, 3, 10, 0, tzinfo=UTC)
    when = parse_schedule("2026-07-04", "9:15", cph, now)
    assert when.utc == datetime(2026, 7, 4, 7, 15, tzinfo=UTC)
    assert when.describe() == "Sat 2026-07-04 09:15 CEST (Europe/Copenhagen) = 2026-07-04 07:15 UTC"
    for date_text, time_text, field in [
        ("04/07/2026", "09:00", "date"),
        ("2026-13-01", "09:00", "date"),
        ("2026-07-04", "25:00", "time"),
        ("2026-07-04", "nine", "time"),
        ("2026-07-03", "11:59", "time"),  # 09:59 UTC: past
        ("2026-07-02", "23:00", "date"),
    ]:
        with pytest.raises(ScheduleError) as info:
            parse_schedule(date_text, time_text, cph, now)
        assert info.value.field == field, (date_text, time_text)
    winter = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ScheduleError, match="does not exist"):
        parse_schedule("2026-03-29", "02:30", cph, winter)
    ambiguous = parse_schedule("2026-10-25", "02:30", cph, winter)
    assert ambiguous.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert "twice" in ambiguous.note


async def test_enter_opens_the_form_or_the_stats(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        await select_by_name(pilot, screen, "Thank you, big spenders")
        await pilot.press("enter")
        await wait_for_screen(pilot, CampaignStatsScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, CampaignsScreen)
        await select_by_name(pilot, screen, "VIP upgrade offer")
        await pilot.press("enter")
        compose = await wait_for_screen(pilot, CampaignComposeScreen)
        await wait_until(pilot, lambda: compose.loaded, what="the form")
        assert compose.query_one("#f-sms", TextArea).text.startswith("Nordlys: doors open")


async def test_read_only_profile_blocks_writes(make_app: AppFactory) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        await select_by_name(pilot, screen, "VIP upgrade offer")
        before = app.ctx.client.requests_sent
        for key in ("n", "enter", "s", "t", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, CampaignsScreen), key
        assert app.ctx.client.requests_sent == before


async def test_staff_cannot_send_and_is_told_why(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(role="staff")
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "VIP upgrade offer")
        await pilot.press("s")
        await wait_for_screen(pilot, TypedConfirmModal)
        await pilot.press(*"VIP upgrade offer", "enter")
        await wait_until(pilot, lambda: screen.refusal is not None, what="the refusal")
        assert screen.refusal is not None and screen.refusal[0] == item.id
        assert server_row(sandbox_backend, item.id)["status"] == "draft"


async def test_a_conflict_while_editing_is_shown_in_the_form(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        item = await select_by_name(pilot, screen, "VIP upgrade offer")
        await pilot.press("enter")
        compose: CampaignComposeScreen = await wait_for_screen(pilot, CampaignComposeScreen)
        await wait_until(pilot, lambda: compose.loaded, what="the form")
        db = sandbox_backend.state.db
        with db.transaction():  # someone else sent it meanwhile
            db.execute("UPDATE campaigns SET status = 'sent' WHERE id = ?", (item.id,))
        compose.query_one("#f-name", Input).value = "VIP upgrade offer (v2)"
        await pilot.press("ctrl+s")
        message = compose.query_one("#f-message", Static)
        await wait_until(
            pilot, lambda: "cannot be changed" in str(message.render()), what="the 409 shown"
        )
        assert "Not saved" in str(message.render())
        assert app.screen is compose  # nothing lost: the form stays open with its values
        assert compose.query_one("#f-name", Input).value == "VIP upgrade offer (v2)"


async def test_a_draft_saved_from_the_scheduled_view_stays_in_sight(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_campaigns(pilot)
        screen.set_filter("status", "scheduled")  # what home card 2 opens
        await wait_for_workers(pilot)
        await pilot.press("n")
        compose = await wait_for_screen(pilot, CampaignComposeScreen)
        await wait_until(pilot, lambda: compose.loaded, what="segments and messages")
        compose.query_one("#f-name", Input).value = "Autumn news draft"
        await pilot.press("ctrl+g")
        await choose(pilot, "Danish speakers")
        await wait_for_screen(pilot, CampaignComposeScreen)
        await pilot.press("ctrl+o")
        await choose(pilot, "Last tickets")
        await wait_for_screen(pilot, CampaignComposeScreen)
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, CampaignsScreen)
        await wait_until(
            pilot,
            lambda: screen.current is not None and screen.current.name == "Autumn news draft",
            what="the saved draft in the list",
        )
        assert "status" not in screen.filters
