"""One clock rule: every time shown in edition time through ``preo_tui.ui.clock``, with UTC
beside it in detail panes; the header names the zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from preo_tui.ui import clock
from tests.fixtures.app import AppFactory, wait_for_home, wait_until
from tests.ui.helpers import plain

CPH = "Europe/Copenhagen"
MOMENT = datetime(2026, 11, 13, 0, 46, 29, tzinfo=UTC)


def test_every_format_is_in_edition_time() -> None:
    assert clock.when(MOMENT, CPH) == "2026-11-13 01:46"
    assert clock.when(MOMENT, CPH, seconds=True) == "2026-11-13 01:46:29"
    assert clock.day(MOMENT, CPH) == "2026-11-13"
    assert clock.short(MOMENT, CPH) == "11-13 01:46"
    assert clock.with_zone(MOMENT, CPH) == "Fri 2026-11-13 01:46 CET (Europe/Copenhagen)"
    assert clock.utc(MOMENT) == "2026-11-13 00:46 UTC"
    assert clock.detail(MOMENT, CPH) == "2026-11-13 01:46 CET · 00:46 UTC"
    # Summer time, a UTC day that differs, naive (= UTC) and ISO-string inputs.
    summer = datetime(2026, 7, 4, 23, 30, tzinfo=UTC)
    assert clock.detail(summer, CPH) == "2026-07-05 01:30 CEST · 2026-07-04 23:30 UTC"
    assert clock.when(MOMENT.replace(tzinfo=None), CPH) == "2026-11-13 01:46"
    assert clock.when("2026-11-13T00:46:29Z", CPH) == "2026-11-13 01:46"
    other_offset = MOMENT.astimezone(timezone(timedelta(hours=-5)))
    assert clock.when(other_offset, CPH) == "2026-11-13 01:46"
    assert clock.when(None, CPH) == "—" and clock.day(None, CPH, none="never") == "never"
    assert clock.when(MOMENT, "Not/AZone") == "2026-11-13 00:46"  # unknown zone: UTC
    assert clock.zone_label(CPH, MOMENT) == "CET"


# Where a screen may still format a time itself: input fields (what the operator types back),
# file names and CSV export (ISO, machine-read). Everything else goes through ui/clock.py.
ALLOWED = {
    "preo_tui/ui/clock.py",
    "preo_tui/ui/campaigns/schedule.py",  # the schedule form's inputs and its preview
    "preo_tui/ui/editions/fields.py",  # fmt_input_when: the value typed into a date input
    "preo_tui/ui/orders/export.py",  # CSV (ISO) and the file name
    "preo_tui/ui/segments/export.py",  # an export file name
    "preo_tui/ui/home/screen.py",  # "next 13 Nov 01:46" in edition time, formatted in place
    "preo_tui/ui/campaigns/stats.py",  # chart axis title in edition time
}
FORMATTING = re.compile(r"\.strftime\(|\.isoformat\(\)\[|:%[dHmYab]")


def test_no_screen_formats_a_time_itself() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted((root / "preo_tui" / "ui").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if FORMATTING.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


async def test_header_names_the_zone_and_keeps_the_edition_at_80_columns(
    make_app: AppFactory,
) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_home(pilot)
        edition = app.ctx.edition
        assert edition is not None
        where = screen.query_one("#header-where")
        await wait_until(pilot, lambda: edition.name in plain(where), what="edition shown")
        zone = clock.zone_label(edition.timezone)
        assert f"{edition.name} ({zone})" in plain(where)
        # Drawn, not only set: the edition's name fits in what the header gives it.
        await pilot.pause()
        assert where.region.width >= len(edition.name) + 2
