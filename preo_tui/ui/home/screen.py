"""The home screen: a dashboard of the current edition.

Four cards — refund requests waiting, campaigns scheduled or sending, segments failed or stuck,
today's orders and revenue — each a shortcut to its screen (``1``-``4`` or ``enter`` on a
focused card). The summary is cached in the store, so a warm start draws it at once with its
age, then refreshes in the background; it re-polls at the profile's refresh interval while
the screen is shown. A card whose screen is not registered says so instead of jumping.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Static

from preo_tui.ui import clock
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.errors import describe_error
from preo_tui.ui.registry import REGISTRY, register_screen

#: A segment pending or processing for longer than this counts as stuck.
STUCK_AFTER = timedelta(minutes=15)
#: Today's orders are summed over at most this many pages of 500.
MAX_ORDER_PAGES = 20


class DashboardSummary(BaseModel):
    """What the home screen shows (cached as one store entry per edition)."""

    edition_id: str
    refunds_waiting: int | None = None
    refunds_oldest: datetime | None = None
    campaigns_scheduled: int | None = None
    campaigns_sending: int | None = None
    next_campaign_at: datetime | None = None
    segments_failed: int | None = None
    segments_busy: int | None = None
    segments_stuck: int | None = None
    orders_today: int | None = None
    revenue_today: Decimal | None = None
    currency: str | None = None
    orders_capped: bool = False
    imports_running: int | None = None
    imports_waiting: int | None = None
    notes: list[str] = []


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def _age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return ""
    seconds = max((now - then).total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


async def build_summary(
    client: Any, edition_id: str, timezone: str, now: datetime
) -> DashboardSummary:
    """Ask the server for the dashboard's figures (concurrently); a part the server does not
    support is left empty with a note; a network failure propagates."""
    summary = DashboardSummary(edition_id=edition_id)
    notes: list[str] = []

    async def part(name: str, coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:
            kind = describe_error(exc).kind
            if kind in ("NetworkError", "OfflineError", "AuthError"):
                raise
            notes.append(f"{name}: {describe_error(exc).message}")
            return None

    start_of_day = clock.start_of_day(timezone, now)  # the same instant the Orders card opens on

    async def orders_today() -> tuple[int, Decimal, str | None, bool]:
        total = Decimal(0)
        count = 0
        currency: str | None = None
        capped = False
        page_no = 1
        while True:
            page = await client.orders.list(
                edition_id=edition_id, created_after=start_of_day, page=page_no, page_size=500
            )
            count = page.count
            for order in page.results:
                if str(order.status) != "cancelled":
                    total += Decimal(str(order.amount or 0))
                currency = currency or getattr(order, "currency", None)
            if not page.next:
                break
            page_no += 1
            if page_no > MAX_ORDER_PAGES:
                capped = True
                break
        return count, total, currency, capped

    async def segments_busy() -> tuple[int, int]:
        page = await client.segments.list(
            edition_id=edition_id, status="pending", page_size=100, ordering="modified"
        )
        page2 = await client.segments.list(
            edition_id=edition_id, status="processing", page_size=100, ordering="modified"
        )
        busy = list(page.results) + list(page2.results)
        stuck = sum(1 for s in busy if s.modified is not None and now - s.modified > STUCK_AFTER)
        return page.count + page2.count, stuck

    async def imports() -> tuple[int, int]:
        running = await client.data_imports.list(
            edition_id=edition_id, stage="importing", page_size=1
        )
        waiting = 0
        for stage in ("needs_column_mapping", "needs_product_mapping"):
            page = await client.data_imports.list(edition_id=edition_id, stage=stage, page_size=1)
            waiting += page.count
        return running.count, waiting

    refunds, scheduled, sending, calculating, failed, busy, orders, imp = await asyncio.gather(
        part(
            "refunds",
            client.refunds.list(
                edition_id=edition_id, status="requested", ordering="created", page_size=1
            ),
        ),
        part(
            "campaigns",
            client.campaigns.list(
                edition_id=edition_id, status="scheduled", ordering="scheduled_at", page_size=1
            ),
        ),
        part(
            "campaigns", client.campaigns.list(edition_id=edition_id, status="sending", page_size=1)
        ),
        part(
            "campaigns",
            client.campaigns.list(edition_id=edition_id, status="calculating", page_size=1),
        ),
        part("segments", client.segments.list(edition_id=edition_id, status="failed", page_size=1)),
        part("segments", segments_busy()),
        part("orders", orders_today()),
        part("imports", imports()),
    )
    if refunds is not None:
        summary.refunds_waiting = refunds.count
        summary.refunds_oldest = refunds.results[0].created if refunds.results else None
    if scheduled is not None:
        summary.campaigns_scheduled = scheduled.count
        summary.next_campaign_at = scheduled.results[0].scheduled_at if scheduled.results else None
    if sending is not None or calculating is not None:
        summary.campaigns_sending = (sending.count if sending else 0) + (
            calculating.count if calculating else 0
        )
    if failed is not None:
        summary.segments_failed = failed.count
    if busy is not None:
        summary.segments_busy, summary.segments_stuck = busy
    if orders is not None:
        summary.orders_today, summary.revenue_today, summary.currency, summary.orders_capped = (
            orders
        )
    if imp is not None:
        summary.imports_running, summary.imports_waiting = imp
    summary.notes = sorted(set(notes))
    return summary


class DashCard(Static, can_focus=True):
    """One dashboard card: a figure, a caption and the screen it leads to."""

    DEFAULT_CSS = """
    DashCard {
        height: 7;
        border: round $panel-lighten-2;
        padding: 0 1;
        width: 1fr;
    }
    DashCard:focus { border: round $accent; background: $boost; }
    DashCard.-alert { border: round $warning; }
    DashCard.-alert:focus { border: round $accent; }
    DashCard.-unavailable { color: $text-muted; }
    """

    def __init__(self, number: int, target: str, title: str, *, id: str) -> None:
        super().__init__("", id=id)
        self.number = number
        self.target = target
        self.card_title = title
        self.border_title = f"{number} {title}"

    def show(self, big: str, lines: list[str], *, alert: bool = False) -> None:
        available = self.target in REGISTRY
        text = Text()
        text.append(big + "\n", style="bold")
        for line in lines:
            text.append(line + "\n")
        if available:
            text.append(f"→ :{self.target}", style="dim")
        else:
            text.append(f":{self.target} not available", style="dim italic")
        self.set_class(alert, "-alert")
        self.set_class(not available, "-unavailable")
        self.update(text)


@register_screen("home", title="Home", aliases=("dashboard",), needs_edition=False)
class HomeScreen(PreoScreen):
    """Dashboard of the current edition."""

    SCREEN_TITLE = "Home"
    POLL_INTERVAL = "settings"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "open('refunds')", "Refunds", id="home.refunds"),
        Binding("2", "open('campaigns')", "Campaigns", id="home.campaigns"),
        Binding("3", "open('segments')", "Segments", id="home.segments"),
        Binding("4", "open('orders')", "Orders", id="home.orders"),
        Binding("5", "open('imports')", "Imports", id="home.imports"),
        Binding("enter", "open_focused", "Open", id="home.open"),
        Binding("l,right", "app.focus_next", "Next card", show=False, id="home.next"),
        Binding("h,left", "app.focus_previous", "Previous card", show=False, id="home.previous"),
    ]

    DEFAULT_CSS = """
    HomeScreen #home { padding: 0 1; height: 1fr; }
    HomeScreen #home-edition { height: auto; text-style: bold; margin-top: 1; }
    HomeScreen #home-state { height: auto; color: $text-muted; }
    HomeScreen #cards { grid-size: 2; grid-rows: 7; grid-gutter: 0 1; height: auto; margin-top: 1; }
    HomeScreen.-wide #cards { grid-size: 4; }
    HomeScreen #home-notes { color: $warning; height: auto; }
    HomeScreen #home-imports { height: auto; margin-top: 1; }
    HomeScreen #home-hint { color: $text-muted; height: auto; margin-top: 1; }
    HomeScreen #home-extra { height: auto; margin-top: 1; display: none; }
    HomeScreen.-tall #home-extra { display: block; }
    HomeScreen #home-screens, HomeScreen #home-journal {
        width: 1fr; height: auto; border: round $panel-lighten-2; padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.summary: DashboardSummary | None = None
        self.loading_state = ""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static("", id="home-edition", markup=False)
            yield Static("", id="home-state", markup=False)
            with Grid(id="cards"):
                yield DashCard(1, "refunds", "Refunds waiting", id="card-refunds")
                yield DashCard(2, "campaigns", "Campaigns", id="card-campaigns")
                yield DashCard(3, "segments", "Segments", id="card-segments")
                yield DashCard(4, "orders", "Today's orders", id="card-orders")
            yield Static("", id="home-imports", markup=False)
            yield Static("", id="home-notes", markup=False)
            with Horizontal(id="home-extra"):
                yield Static("", id="home-screens")
                yield Static("", id="home-journal")
            yield Static(
                "1-4 open a card · 5 imports · : jump · e edition · ? keys · ctrl+p commands",
                id="home-hint",
                markup=False,
            )

    AUTO_FOCUS = "#card-refunds"

    def on_mount(self) -> None:
        self.call_after_refresh(self.start_load)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= 120, "-wide")
        self.set_class(event.size.height >= 30, "-tall")

    # -- data ---------------------------------------------------------------------------------

    def _query(self) -> Any:
        ctx = self.ctx
        edition = ctx.edition
        client = ctx.client
        assert edition is not None

        async def load() -> DashboardSummary:
            if client is None:
                raise RuntimeError("not signed in")
            return await build_summary(client, edition.id, edition.timezone, self.preo_app.now())

        return self.data_query("dashboard", load, type=DashboardSummary)

    def start_load(self) -> None:
        ctx = self.ctx
        if ctx.edition is None:
            self._render_summary()
            return
        with contextlib.suppress(Exception):
            cached = self.peek_data(self._query())
            if isinstance(cached, DashboardSummary) and cached.edition_id == ctx.edition.id:
                self.summary = cached
        self._render_summary()
        if ctx.store is not None:  # the cache was consulted: what the first frame can show
            self.preo_app.settle_first_frame()
        if ctx.client is not None:
            self.run_job(self._load, group="dashboard", exclusive=True)

    async def _load(self) -> None:
        if self.ctx.edition is None or self.ctx.client is None:
            return
        self.loading_state = "refreshing…"
        self._render_summary()
        try:
            summary = await self.load_data(self._query())
        finally:
            self.loading_state = ""
        if (
            isinstance(summary, DashboardSummary)
            and self.ctx.edition
            and summary.edition_id == self.ctx.edition.id
        ):
            self.summary = summary
        self._render_summary()

    async def poll(self) -> None:
        await self._load()

    def action_refresh(self) -> None:
        """Refresh the figures; before a session exists, try to sign in again."""
        app = self.preo_app
        if self.ctx.client is None and app.connection_state == "offline":
            app.start_session()
            return
        super().action_refresh()

    def frame_changed(self) -> None:
        self._render_summary()  # cards say whether their screen is available; offline state

    def context_changed(self) -> None:
        if self.summary is not None and (
            self.ctx.edition is None or self.summary.edition_id != self.ctx.edition.id
        ):
            self.summary = None
        self.start_load()

    # -- drawing ------------------------------------------------------------------------------

    def _render_summary(self) -> None:
        if not self.query("#card-orders"):  # not composed yet; drawn after mounting
            return
        ctx = self.ctx
        app = self.preo_app
        edition = ctx.edition
        if edition is None:
            title = (
                "No edition chosen" if ctx.client is not None else f"Connecting to {ctx.base_url}…"
            )
        else:
            title = f"{edition.name} · {edition.timezone}"
        self.query_one("#home-edition", Static).update(title)
        state = []
        if app.connection_state in ("connecting", "signed out"):
            state.append(app.connection_state)
        if ctx.offline:
            state.append("offline: cached figures")
        if self.loading_state:
            state.append(self.loading_state)
        self._line("#home-state", " · ".join(state))
        s = self.summary
        now = app.now()
        refunds = self.query_one("#card-refunds", DashCard)
        campaigns = self.query_one("#card-campaigns", DashCard)
        segments = self.query_one("#card-segments", DashCard)
        orders = self.query_one("#card-orders", DashCard)
        if s is None:
            for card in (refunds, campaigns, segments, orders):
                card.show("…", ["loading" if ctx.client is not None else "waiting for sign-in"])
            self._line("#home-notes", "")
            self._line("#home-imports", "")
            return
        oldest = _age(s.refunds_oldest, now)
        refunds.show(
            _count(s.refunds_waiting),
            ["waiting for a decision", f"oldest {oldest}" if oldest else " "],
            alert=bool(s.refunds_waiting),
        )
        next_at = ""
        if s.next_campaign_at is not None:
            local = s.next_campaign_at.astimezone(_zone(edition.timezone if edition else "UTC"))
            next_at = f"next {local:%d %b %H:%M}"
        campaigns.show(
            f"{_count(s.campaigns_scheduled)} scheduled",
            [f"{_count(s.campaigns_sending)} sending", next_at or " "],
            alert=bool(s.campaigns_sending),
        )
        segments.show(
            f"{_count(s.segments_failed)} failed",
            [f"{_count(s.segments_stuck)} stuck", f"{_count(s.segments_busy)} calculating"],
            alert=bool(s.segments_failed or s.segments_stuck),
        )
        capped = "≥ " if s.orders_capped else ""
        orders.show(
            f"{capped}{_count(s.orders_today)} orders",
            [f"revenue {_money(s.revenue_today, s.currency)}", "since 00:00 edition time"],
        )
        self._line("#home-imports", _imports_line(s))
        self._line("#home-notes", "\n".join(s.notes))
        self._render_extra()
        self.call_after_refresh(app.first_data_drawn.set)

    def _line(self, selector: str, text: str) -> None:
        """Update a status line; an empty one takes no room."""
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(text)

    def _render_extra(self) -> None:
        screens = Text()
        for entry in REGISTRY:
            if entry.name == "home":
                continue
            screens.append(f":{entry.name:<10}", style="bold")
            screens.append(f" {entry.title}\n")
        screens.rstrip()
        self.query_one("#home-screens", Static).update(screens)
        self.query_one("#home-screens", Static).border_title = "Go to"
        journal = self.ctx.journal
        lines = Text()
        entries: list[Any] = []
        if journal is not None:
            with contextlib.suppress(Exception):
                entries = list(journal.read(limit=6, profile=self.ctx.profile_name))
        entries.sort(key=lambda e: e.time, reverse=True)
        for entry in entries[:6]:
            style = {"ok": "green", "failed": "red", "unknown": "yellow"}.get(entry.outcome, "")
            lines.append(f"{entry.time[11:16]} ")
            lines.append(f"{entry.outcome:<8}", style=style)
            lines.append(f" {entry.summary or entry.resource + '.' + entry.action}\n")
        if not entries:
            lines.append("No writes from this machine yet (:journal keeps them all).", style="dim")
        lines.rstrip()
        widget = self.query_one("#home-journal", Static)
        widget.update(lines)
        widget.border_title = "Your recent writes"

    # -- actions ------------------------------------------------------------------------------

    def action_open(self, target: str) -> None:
        if target not in REGISTRY:
            self.notify(
                f":{target} is not available in this version yet.", severity="warning", timeout=4
            )
            return
        if not self.preo_app.jump(target):
            return
        if target == "orders" and self.summary is not None:
            # The card counts the orders created since 00:00 edition time: open that set.
            show_today = getattr(self.app.screen, "show_created_today", None)
            if show_today is not None:
                self.app.call_after_refresh(show_today)
            return
        status = self._card_filter(target)
        set_filter = getattr(self.app.screen, "set_filter", None)
        if status is not None and set_filter is not None:
            # Open the list on what the card counted (the screen's own filter, removable there).
            self.app.call_after_refresh(self._apply_filter, set_filter, status)

    @staticmethod
    def _apply_filter(set_filter: Any, status: str) -> None:
        with contextlib.suppress(Exception):
            set_filter("status", status)

    def _card_filter(self, target: str) -> str | None:
        s = self.summary
        if s is None:
            return None
        if target == "segments" and (s.segments_failed or s.segments_busy or s.segments_stuck):
            # The card counts failed, stuck and calculating: open all three (the server takes
            # a comma-separated list of statuses).
            return "failed,pending,processing"
        if target == "campaigns":
            if s.campaigns_sending:
                return "sending"
            if s.campaigns_scheduled:
                return "scheduled"
        return None

    def action_open_focused(self) -> None:
        focused = self.focused
        if isinstance(focused, DashCard):
            self.action_open(focused.target)

    def action_back(self) -> None:
        """Home is the bottom of the stack: escape does nothing here."""


def _imports_line(s: DashboardSummary) -> str:
    """Data imports running or waiting for their mappings (empty when none)."""
    parts = []
    if s.imports_running:
        parts.append(f"{s.imports_running:,} running")
    if s.imports_waiting:
        parts.append(f"{s.imports_waiting:,} waiting for their mappings")
    return f"Data imports: {' · '.join(parts)}  (5 opens :imports)" if parts else ""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
