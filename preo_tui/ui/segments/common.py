"""Shared by the segment screens: statuses, types and channels, their short forms and styles."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

from preo_tui.api.segments import Segment

STATUSES = ("draft", "pending", "processing", "completed", "failed")
TYPES = ("transactional", "marketing")
CHANNELS = ("any", "email", "sms", "pass_push")
#: Statuses a calculation is still moving through.
MOVING = ("pending", "processing")
#: Campaign statuses during which the server refuses to delete the segment.
OPEN_CAMPAIGN_STATUSES = ("draft", "scheduled", "calculating", "sending")
TYPE_SHORT = {"transactional": "trans", "marketing": "mkt"}
CHANNEL_SHORT = {"pass_push": "push"}
STATUS_STYLE = {
    "draft": "dim",
    "pending": "yellow",
    "processing": "bold yellow",
    "completed": "green",
    "failed": "bold red",
}
#: Seconds between reads of a segment whose calculation is under way.
FOLLOW_INTERVAL = 0.25
#: Give up following a calculation after this many seconds (the list poll carries on).
FOLLOW_LIMIT = 600.0


def _value(v: Any) -> str:
    return "" if v is None else str(getattr(v, "value", v))


def status_text(status: Any) -> Text:
    value = _value(status) or "?"
    return Text(value, style=STATUS_STYLE.get(value, ""))


def comm_text(segment: Segment) -> str:
    kind = _value(segment.communication_type)
    channel = _value(segment.communication_channel)
    return f"{TYPE_SHORT.get(kind, kind or '?')}/{CHANNEL_SHORT.get(channel, channel or '?')}"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower() or "segment"
