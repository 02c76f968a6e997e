"""One clock rule: every time on screen is in the edition's time zone (the header names it),
with UTC beside it in detail panes. Every screen formats times through these functions.

- ``when(moment, tz)``: ``2026-11-13 01:46`` (list cells and detail fields), local time;
- ``day(moment, tz)``: ``2026-11-13``;
- ``short(moment, tz)``: ``11-13 01:46`` (narrow list cells);
- ``with_zone(moment, tz)``: ``Fri 2026-11-13 01:46 CET (Europe/Copenhagen)``;
- ``detail(moment, tz)``: ``2026-11-13 01:46 CET · 00:46 UTC`` (detail panes: both clocks);
- ``utc(moment)``: ``2026-11-13 00:46 UTC``;
- ``zone_label(tz)``: ``CET`` / ``UTC`` for the header.

A naive datetime is taken as UTC (the contract's timestamps are UTC); an ISO string (an extra
field a model does not parse) is parsed; anything else is shown as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NONE = "—"


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (UTC when unknown or empty, never an exception)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def as_moment(value: Any) -> datetime | None:
    """A timezone-aware datetime from a datetime or an ISO string; None otherwise."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local(value: Any, tz: str | None) -> datetime | None:
    moment = as_moment(value)
    return moment.astimezone(zone(tz)) if moment is not None else None


def _fmt(value: Any, tz: str | None, pattern: str, none: str) -> str:
    if value is None:
        return none
    moment = local(value, tz)
    if moment is None:
        return str(value)
    return moment.strftime(pattern).strip()


def when(value: Any, tz: str | None, *, seconds: bool = False, none: str = NONE) -> str:
    """``2026-11-13 01:46`` in the edition's zone."""
    return _fmt(value, tz, "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M", none)


def day(value: Any, tz: str | None, *, none: str = NONE) -> str:
    """``2026-11-13`` (the day in the edition's zone)."""
    return _fmt(value, tz, "%Y-%m-%d", none)


def short(value: Any, tz: str | None, *, none: str = NONE) -> str:
    """``11-13 01:46`` in the edition's zone (narrow list cells)."""
    return _fmt(value, tz, "%m-%d %H:%M", none)


def with_zone(value: Any, tz: str | None, *, none: str = NONE) -> str:
    """``Fri 2026-11-13 01:46 CET (Europe/Copenhagen)``."""
    moment = local(value, tz)
    if moment is None:
        return none if value is None else str(value)
    text = moment.strftime("%a %Y-%m-%d %H:%M %Z").strip()
    key = getattr(moment.tzinfo, "key", "")
    return f"{text} ({key})" if key and key != "UTC" else text


def utc(value: Any, *, none: str = NONE) -> str:
    """``2026-11-13 00:46 UTC``."""
    return _fmt(value, "UTC", "%Y-%m-%d %H:%M UTC", none)


def detail(value: Any, tz: str | None, *, seconds: bool = False, none: str = NONE) -> str:
    """Detail panes: ``2026-11-13 01:46 CET · 00:46 UTC`` (the UTC date too when it differs)."""
    moment = local(value, tz)
    if moment is None:
        return none if value is None else str(value)
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    text = f"{moment.strftime(pattern)} {moment.strftime('%Z')}".strip()
    if zone(tz).key == "UTC":
        return text
    in_utc = moment.astimezone(UTC)
    same_day = in_utc.date() == moment.date()
    utc_text = in_utc.strftime(("%H:%M:%S" if seconds else "%H:%M") if same_day else pattern)
    return f"{text} · {utc_text} UTC"


def start_of_day(tz: str | None, now: datetime | None = None) -> datetime:
    """00:00 today in the edition's zone, as a UTC instant ("today's orders")."""
    local_now = (now or datetime.now(UTC)).astimezone(zone(tz))
    return local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def zone_label(tz: str | None, at: datetime | None = None) -> str:
    """The zone's abbreviation now (``CET``, ``CEST``, ``UTC``) for the header."""
    moment = (at or datetime.now(UTC)).astimezone(zone(tz))
    return moment.strftime("%Z") or zone(tz).key


__all__ = [
    "as_moment",
    "day",
    "detail",
    "local",
    "short",
    "start_of_day",
    "utc",
    "when",
    "with_zone",
    "zone",
    "zone_label",
]
