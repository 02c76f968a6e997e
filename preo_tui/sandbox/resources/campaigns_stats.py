"""A campaign's stats: delivered, bounced, opened, clicked and unsubscribed counts and an
hourly timeline, derived deterministically from the campaign id, its counts and the time
(only the hours already past are included)."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from .. import clock
from ..db import Row

#: Hours of opens/clicks after the send that the stats timeline covers.
TIMELINE_HOURS = 48


def _rng(campaign_id: str) -> random.Random:
    digest = hashlib.sha256(campaign_id.encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _split(total: int, weights: list[float]) -> list[int]:
    """Distribute ``total`` over buckets proportionally to ``weights`` (exact sum)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def compute_stats(row: Row, now: datetime) -> dict[str, Any]:
    """Totals, rates and an hourly timeline; deterministic for a campaign id, counts and time."""
    sent = int(row["sent_count"])
    total = int(row["total_recipients"])
    failed = int(row["failed_count"])
    rng = _rng(str(row["id"]))
    bounce_rate = rng.uniform(0.005, 0.02)
    is_email = row["channel"] == "email"
    open_rate = rng.uniform(0.35, 0.6) if is_email else 0.0
    click_share = rng.uniform(0.08, 0.25)
    unsub_rate = rng.uniform(0.001, 0.006) if is_email else rng.uniform(0.0005, 0.002)
    bounced = round(sent * bounce_rate)
    delivered = sent - bounced
    eventual_opens = round(delivered * open_rate)
    eventual_clicks = (
        round(eventual_opens * click_share) if is_email else round(delivered * click_share * 0.3)
    )
    timeline: list[dict[str, Any]] = []
    opened = clicked = 0
    if row["started_at"] and sent > 0:
        start = clock.parse_iso(str(row["started_at"]))
        weights = [0.5 ** (h / 6.0) for h in range(TIMELINE_HOURS)]
        opens = _split(eventual_opens, weights)
        clicks = _split(eventual_clicks, weights)
        elapsed_hours = int((now - start).total_seconds() // 3600)
        visible = max(0, min(TIMELINE_HOURS, elapsed_hours + 1))
        for h in range(visible):
            at = clock.iso(start + timedelta(hours=h))
            timeline.append(
                {
                    "at": at,
                    "sent": sent if h == 0 else 0,
                    "opened": opens[h],
                    "clicked": clicks[h],
                }
            )
            opened += opens[h]
            clicked += clicks[h]
    unsubscribed = round(delivered * unsub_rate) if sent else 0
    return {
        "total_recipients": total,
        "sent_count": sent,
        "failed_count": failed,
        "delivered_count": delivered,
        "opened_count": opened,
        "clicked_count": clicked,
        "bounced_count": bounced,
        "unsubscribed_count": unsubscribed,
        "open_rate": round(opened / delivered, 4) if delivered else 0.0,
        "click_rate": round(clicked / delivered, 4) if delivered else 0.0,
        "timeline": timeline,
    }
