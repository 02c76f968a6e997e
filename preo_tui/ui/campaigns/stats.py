"""A campaign's delivery statistics (pushed from ``:campaigns`` with ``v``).

Totals and rates from ``GET /v1/campaigns/{id}/stats``, and the timeline drawn as a chart
(textual-plotext): sent, opened and clicked, cumulative, per hour since the send started (the
hours on the axis are the edition's local time). While the campaign is still sending the screen
polls quickly (the shell's poll hook), otherwise at the profile's refresh interval.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from preo_tui.api.campaigns import Campaign, CampaignStats
from preo_tui.ui import clock
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.campaigns.common import MOVING, local_time, progress_bar, status_text
from preo_tui.ui.formatting import value_of

LIVE_INTERVAL = 0.5


def cumulative(values: list[int]) -> list[int]:
    out, total = [], 0
    for v in values:
        total += v
        out.append(total)
    return out


def integer_ticks(top: int, most: int = 4) -> list[int]:
    """At most ``most`` + 1 whole-number ticks from 0 covering ``top`` (steps of 1, 2, 5 × 10ⁿ):
    counts of messages are never labelled "2026.7"."""
    top = max(1, top)
    step = 1
    while -(-top // step) > most:
        step = _next_step(step)
    last = -(-top // step) * step
    return list(range(0, last + 1, step))


def _next_step(step: int) -> int:
    text = str(step)
    lead, zeros = int(text[0]), len(text) - 1
    factor: int = {1: 2, 2: 5, 5: 10}[lead]
    return int(factor * 10**zeros)


def tick_label(value: int) -> str:
    """``950``, ``1,200``, ``12k``, ``1.5M``: short enough for the axis."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


class CampaignStatsScreen(PreoScreen):
    """Totals, rates and the timeline chart of one campaign."""

    POLL_INTERVAL = "settings"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="campaign_stats.back"),
    ]

    DEFAULT_CSS = """
    CampaignStatsScreen #stats { height: 1fr; padding: 0 1; }
    CampaignStatsScreen #stats-title { height: auto; }
    CampaignStatsScreen #stats-top { height: auto; margin-top: 1; }
    CampaignStatsScreen #stats-totals { width: auto; height: auto; margin-right: 4; }
    CampaignStatsScreen #stats-rates { width: 1fr; height: auto; }
    CampaignStatsScreen #stats-chart { height: 1fr; min-height: 8; }
    CampaignStatsScreen #stats-note { height: auto; color: $text-muted; }
    """

    def __init__(self, campaign: Campaign) -> None:
        super().__init__()
        self.campaign = campaign
        self.stats: CampaignStats | None = None
        #: the totals shown, as (label, value) rows
        self.totals: list[tuple[str, str]] = []

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base class has a plain class attribute
        return f"Stats: {self.campaign.name or self.campaign.id}"

    @property
    def timezone(self) -> str:
        edition = self.ctx.edition
        return edition.timezone if edition is not None else "UTC"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="stats"):
            yield Static("", id="stats-title")
            with Horizontal(id="stats-top"):
                yield Static("loading…", id="stats-totals")
                yield Static("", id="stats-rates")
            yield PlotextPlot(id="stats-chart")
            yield Static("", id="stats-note", markup=False)

    def on_mount(self) -> None:
        self._show()
        self.run_job(self._poll_now(manual=True), group="poll", exclusive=True)

    def poll_interval(self) -> float | None:
        if value_of(self.campaign.status) in MOVING:
            return LIVE_INTERVAL
        return super().poll_interval()

    async def poll(self) -> None:
        client = self.ctx.client
        if client is None:
            return
        self.campaign = await client.campaigns.get(self.campaign.id)
        self.stats = await client.campaigns.stats(self.campaign.id)
        self.mark_fresh()
        self._show()

    def _show(self) -> None:
        c = self.campaign
        title = Text(c.name or c.id, style="bold")
        title.append(f"  {value_of(c.channel)}  ")
        title.append_text(status_text(c.status))
        if c.started_at is not None:
            title.append(f"  started {local_time(c.started_at, self.timezone)}", style="dim")
        self.query_one("#stats-title", Static).update(title)
        stats = self.stats
        if stats is None:
            return
        totals = Table.grid(padding=(0, 2))
        totals.add_column(style="dim")
        totals.add_column(justify="right")
        self.totals = []
        for label, value in (
            ("recipients", stats.total_recipients),
            ("sent", stats.sent_count),
            ("failed", stats.failed_count),
            ("delivered", stats.delivered_count),
            ("bounced", stats.bounced_count),
            ("opened", stats.opened_count),
            ("clicked", stats.clicked_count),
            ("unsubscribed", stats.unsubscribed_count),
        ):
            shown = "—" if value is None else f"{value:,}"
            self.totals.append((label, shown))
            totals.add_row(label, shown)
        self.query_one("#stats-totals", Static).update(totals)
        rates = Table.grid(padding=(0, 2))
        rates.add_column(style="dim")
        rates.add_column(justify="right")
        rates.add_column()
        total = int(stats.total_recipients or 0)
        done = int(stats.sent_count or 0) + int(stats.failed_count or 0)
        rates.add_row("progress", f"{round(100 * done / total) if total else 0}%",
                      progress_bar(done, total, 16))  # fmt: skip
        rates.add_row("open rate", _pct(stats.open_rate), progress_bar(
            round(1000 * (stats.open_rate or 0)), 1000, 16))  # fmt: skip
        rates.add_row("click rate", _pct(stats.click_rate), progress_bar(
            round(1000 * (stats.click_rate or 0)), 1000, 16))  # fmt: skip
        delivered = int(stats.delivered_count or 0)
        if delivered and stats.bounced_count is not None:
            bounce = int(stats.bounced_count) / max(1, int(stats.sent_count or 0))
            rates.add_row("bounce rate", _pct(bounce), "")
        self.query_one("#stats-rates", Static).update(rates)
        self._draw_chart(stats)

    def _draw_chart(self, stats: CampaignStats) -> None:
        chart = self.query_one("#stats-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        note = self.query_one("#stats-note", Static)
        points = [p for p in stats.timeline if p.at is not None]
        if not points:
            plt.title("No timeline yet: the campaign has not started sending")
            note.update("")
            chart.refresh()
            return
        start: datetime = points[0].at  # type: ignore[assignment]  # points are filtered to those with a time above
        hours = [round((p.at - start).total_seconds() / 3600, 2) for p in points]  # type: ignore[operator]  # as above: every point has a time
        series: list[tuple[str, list[int], str]] = [
            ("sent", cumulative([int(p.sent or 0) for p in points]), "green"),
            ("opened", cumulative([int(p.opened or 0) for p in points]), "cyan"),
            ("clicked", cumulative([int(p.clicked or 0) for p in points]), "magenta"),
        ]
        plt.xlabel(f"hours since {clock.with_zone(start, self.timezone)}")
        # No plotext legend (it is drawn over the lines): the line below the chart is the
        # legend, in the lines' colours, with the totals.
        for _label, values, color in series:
            plt.plot(hours, values, color=color, marker="braille")
        ticks = integer_ticks(max(max(v) for _, v, _ in series))
        plt.ylim(0, ticks[-1])
        plt.yticks([float(t) for t in ticks], [tick_label(t) for t in ticks])
        hour_ticks = integer_ticks(int(-(-max(1.0, hours[-1]) // 1)), most=6)
        plt.xlim(0, hour_ticks[-1])
        plt.xticks([float(t) for t in hour_ticks], [f"{t} h" for t in hour_ticks])
        word = "point" if len(points) == 1 else "points"
        legend = Text("cumulative, ")
        legend.append(f"{len(points)} hourly {word}: ")
        for i, (label, values, color) in enumerate(series):
            if i:
                legend.append("  ")
            legend.append("━━ ", style=color)
            legend.append(f"{label} {values[-1]:,}")
        note.update(legend)
        chart.refresh()

    def chart_series(self) -> dict[str, list[int]]:
        """The plotted series (for tests): cumulative values by name."""
        stats = self.stats
        if stats is None:
            return {}
        points = [p for p in stats.timeline if p.at is not None]
        return {
            "sent": cumulative([int(p.sent or 0) for p in points]),
            "opened": cumulative([int(p.opened or 0) for p in points]),
            "clicked": cumulative([int(p.clicked or 0) for p in points]),
        }
