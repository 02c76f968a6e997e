"""Scheduling a campaign: the date and time are entered in the edition's time zone.

:func:`parse_schedule` turns the two texts into an aware moment (pure, tested on its own): a
malformed date or time, a wall-clock time that does not exist (the spring-forward gap) and a
moment not in the future are refused with a field error, before any request. An ambiguous time
(the autumn fall-back hour) takes its first occurrence and says so.

:class:`ScheduleModal` shows both inputs, the resulting time in the edition's zone and in UTC
as you type, and dismisses with the UTC moment (or ``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*$")


class ScheduleError(ValueError):
    """A refused date/time; ``field`` is ``date`` or ``time``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ScheduleTime:
    local: datetime
    utc: datetime
    note: str = ""

    def describe(self) -> str:
        """``2026-07-04 10:00 CEST (Europe/Copenhagen) = 08:00 UTC`` style."""
        return f"{format_local(self.local)} = {format_utc(self.utc)}"


def zone_of(name: str | None) -> ZoneInfo:
    """The edition's zone (UTC when unknown, never an exception)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_local(moment: datetime) -> str:
    zone = moment.tzinfo
    key = getattr(zone, "key", "") if zone is not None else ""
    text = moment.strftime("%a %Y-%m-%d %H:%M %Z").strip()
    return f"{text} ({key})" if key and key != "UTC" else text


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_schedule(date_text: str, time_text: str, zone: ZoneInfo, now: datetime) -> ScheduleTime:
    """The moment meant by ``date_text`` (``YYYY-MM-DD``) and ``time_text`` (``HH:MM``) in
    ``zone``; :class:`ScheduleError` when malformed, non-existent or not after ``now``."""
    dm = _DATE.match(date_text or "")
    if not dm:
        raise ScheduleError("date", "Enter the date as YYYY-MM-DD, e.g. 2026-07-04.")
    try:
        day = date(int(dm[1]), int(dm[2]), int(dm[3]))
    except ValueError as exc:
        raise ScheduleError("date", f"Not a date: {exc}.") from None
    tm = _TIME.match(time_text or "")
    if not tm:
        raise ScheduleError("time", "Enter the time as HH:MM (24-hour), e.g. 09:30.")
    try:
        clock = time(int(tm[1]), int(tm[2]), int(tm[3] or 0))
    except ValueError as exc:
        raise ScheduleError("time", f"Not a time: {exc}.") from None
    naive = datetime.combine(day, clock)
    local = naive.replace(tzinfo=zone, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise ScheduleError(
            "time",
            f"{clock:%H:%M} does not exist on {day} in {zone.key} (the clocks go forward).",
        )
    note = ""
    later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if later != utc:
        note = f"{clock:%H:%M} happens twice that night; the first one ({format_utc(utc)}) is used."
    if utc <= now.astimezone(UTC):
        raise ScheduleError(
            "date" if day < now.astimezone(zone).date() else "time",
            f"{format_local(local)} is not in the future (now: {format_local(now.astimezone(zone))}).",
        )
    return ScheduleTime(local=local, utc=utc, note=note)


class ScheduleModal(ModalScreen[ScheduleTime | None]):
    """Enter the date and time (edition time zone); dismisses with a :class:`ScheduleTime`."""

    DEFAULT_CSS = """
    ScheduleModal { align: center middle; }
    ScheduleModal > Vertical {
        width: 72; max-width: 98%; height: auto; max-height: 98%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ScheduleModal .sched-title { text-style: bold; margin-bottom: 1; width: 100%; }
    ScheduleModal .sched-row { height: auto; }
    ScheduleModal .sched-label { width: 6; padding-top: 1; color: $text-muted; }
    ScheduleModal #sched-date { width: 18; }
    ScheduleModal #sched-time { width: 12; }
    ScheduleModal .sched-hint { color: $text-muted; padding-top: 1; margin-left: 1; width: 1fr; }
    ScheduleModal #sched-result { height: auto; margin-top: 1; }
    ScheduleModal #sched-error { color: $text-error; height: auto; }
    ScheduleModal .sched-buttons { height: auto; align-horizontal: right; }
    ScheduleModal Button { margin-left: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="campaigns.schedule_cancel")]

    def __init__(
        self,
        campaign_name: str,
        zone: ZoneInfo,
        *,
        now: datetime,
        initial: datetime | None = None,
    ) -> None:
        super().__init__()
        self.campaign_name = campaign_name
        self.zone = zone
        self.now = now
        start = initial.astimezone(zone) if initial is not None and initial > now else None
        if start is None:
            tomorrow = now.astimezone(zone) + timedelta(days=1)
            start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
        self.initial = start
        self.error_field: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Schedule {self.campaign_name}", classes="sched-title", markup=False)
            yield Label(f"Date and time in the edition's time zone, {self.zone.key}:", markup=False)
            with Horizontal(classes="sched-row"):
                yield Label("Date", classes="sched-label")
                yield Input(self.initial.strftime("%Y-%m-%d"), id="sched-date")
                yield Label("Time", classes="sched-label")
                yield Input(self.initial.strftime("%H:%M"), id="sched-time")
                yield Label("YYYY-MM-DD  HH:MM", classes="sched-hint")
            yield Static("", id="sched-result")
            yield Static("", id="sched-error", markup=False)
            with Horizontal(classes="sched-buttons"):
                yield Button("Cancel [esc]", id="cancel")
                yield Button("Schedule", id="schedule", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#sched-date", Input).focus()
        self._update()

    def result(self) -> ScheduleTime:
        return parse_schedule(
            self.query_one("#sched-date", Input).value,
            self.query_one("#sched-time", Input).value,
            self.zone,
            self.now,
        )

    @on(Input.Changed)
    def _update(self) -> None:
        shown = Text()
        try:
            when = self.result()
        except ScheduleError as exc:
            shown.append("→ ", style="dim")
            shown.append("not a valid time yet", style="dim")
            self._set_error(exc.field, exc.message)
        else:
            shown.append("→ ")
            shown.append(format_local(when.local), style="bold")
            shown.append("\n  ")
            shown.append(format_utc(when.utc), style="dim")
            if when.note:
                shown.append(f"\n  {when.note}", style="yellow")
            self._set_error(None, "")
        self.query_one("#sched-result", Static).update(shown)

    def _set_error(self, field: str | None, message: str) -> None:
        self.error_field = field
        for name in ("date", "time"):
            self.query_one(f"#sched-{name}", Input).set_class(field == name, "-invalid")
        self.query_one("#sched-error", Static).update(message)

    @on(Input.Submitted)
    @on(Button.Pressed, "#schedule")
    def action_submit(self) -> None:
        try:
            when = self.result()
        except ScheduleError as exc:
            self._set_error(exc.field, exc.message)
            self.query_one(f"#sched-{exc.field}", Input).focus()
            return
        self.dismiss(when)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
