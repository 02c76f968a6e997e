"""Shared wording and drawing for the campaign screens (list, compose, stats)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text

from preo_tui.ui import clock
from preo_tui.ui.formatting import value_of

if TYPE_CHECKING:
    from preo_tui.api import PreoClient
    from preo_tui.api.email_messages import EmailMessage
    from preo_tui.api.segments import Segment
    from preo_tui.ui.base import PreoScreen
    from preo_tui.ui.context import EditionRef

STATUSES = ("draft", "scheduled", "calculating", "sending", "sent", "failed", "cancelled")
CHANNELS = ("email", "sms")
#: Statuses a send is still moving through (the screen polls quickly while one is shown).
MOVING = ("calculating", "sending")
#: The contract's life cycle [ours]: where each action is allowed.
EDITABLE = ("draft", "scheduled")
SENDABLE = ("draft", "scheduled")
SCHEDULABLE = ("draft", "scheduled")
CANCELLABLE = ("scheduled", "calculating")
DELETABLE = ("draft", "cancelled", "failed")
#: Statuses with delivery figures worth a stats view.
HAS_STATS = ("sending", "sent", "failed")

STATUS_STYLE = {
    "draft": "dim",
    "scheduled": "cyan",
    "calculating": "yellow",
    "sending": "bold yellow",
    "sent": "green",
    "failed": "bold red",
    "cancelled": "dim strike",
}
TYPE_SHORT = {"transactional": "trans", "marketing": "mkt"}


def status_text(status: Any) -> Text:
    value = value_of(status) or "?"
    return Text(value, style=STATUS_STYLE.get(value, ""))


def progress_bar(done: int, total: int, width: int) -> Text:
    """``██████░░░░`` for ``done`` of ``total`` in ``width`` cells."""
    width = max(1, width)
    fraction = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = round(fraction * width)
    out = Text("█" * filled, style="green")
    out.append("░" * (width - filled), style="dim")
    return out


def campaign_progress(campaign: Any, width: int = 8) -> Text:
    """The list's progress cell: a bar and a percentage while sending and after."""
    status = value_of(campaign.status)
    total = int(campaign.total_recipients or 0)
    done = int(campaign.sent_count or 0) + int(campaign.failed_count or 0)
    if status == "calculating":
        return Text("counting…", style="yellow")
    if status not in ("sending", "sent", "failed") or total <= 0:
        return Text("—", style="dim")
    out = progress_bar(done, total, width)
    out.append(f" {round(100 * done / total):>3}%")
    return out


def segment_summary(segment: Any) -> str:
    """``trans/email · no consent needed · 102 users · completed``."""
    kind = value_of(segment.communication_type)
    channel = value_of(segment.communication_channel) or "?"
    if kind == "marketing":
        consent = f"consent {segment.consent_id}" if segment.consent_id else "NO consent"
    else:
        consent = "no consent needed"
    users = "? users" if segment.user_count is None else f"{segment.user_count:,} users"
    return (
        f"{TYPE_SHORT.get(kind, kind or '?')}/{channel} · {consent} · {users} · "
        f"{value_of(segment.status) or '?'}"
    )


def segment_refusal(segment: Any) -> str:
    """Why a campaign cannot go to this segment ("" when it can)."""
    if value_of(segment.communication_type) == "marketing" and not segment.consent_id:
        return (
            "A marketing segment without a consent cannot be sent to: give it a consent "
            "in :segments first."
        )
    return ""


def local_time(moment: datetime | None, timezone: str | None) -> str:
    """A moment in the edition's zone with the zone's abbreviation ("—" for None)."""
    return clock.with_zone(moment, timezone)


def short_local(moment: datetime | None, timezone: str | None) -> str:
    """``07-05 15:00`` in the edition's zone, for list cells."""
    return clock.short(moment, timezone)


def utc_time(moment: datetime | None) -> str:
    return clock.utc(moment)


# The list screen and the compose form read the same two lists (shared store queries).


async def load_edition_segments(
    screen: PreoScreen, client: PreoClient, edition: EditionRef
) -> list[Segment]:
    """The edition's segments (one page of up to 500), through the screen's store."""
    params: dict[str, Any] = {"edition_id": edition.id, "page_size": 500}
    page = await screen.load_data(
        screen.data_query("segments", lambda: client.segments.list(**params), **params)
    )
    return list(page.results)


async def load_campaign_messages(
    screen: PreoScreen, client: PreoClient, edition: EditionRef
) -> list[EmailMessage]:
    """The campaign email messages of the edition's organization (one page of up to 500),
    through the screen's store."""
    params: dict[str, Any] = {
        "organization_id": edition.organization_id,
        "type": "campaign",
        "page_size": 500,
    }
    page = await screen.load_data(
        screen.data_query("email_messages", lambda: client.email_messages.list(**params), **params)
    )
    return list(page.results)
