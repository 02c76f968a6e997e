"""The frame around every screen: the header (environment badge, user and role, organization
and edition, screen title) and the status line (connection state, age of the data on screen,
writes in flight, read-only/offline). Both read ``app.ctx`` and refresh themselves; screens
report the age of their data through ``PreoScreen.data_as_of``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from preo_tui.ui import clock
from preo_tui.ui.context import EnvironmentKind
from preo_tui.ui.widgets.badge import EnvironmentBadge

if TYPE_CHECKING:
    from preo_tui.ui.context import AppContext


def humanize_age(seconds: float) -> str:
    """A short age: "just now", "12 s", "3 min", "2 h", "4 d"."""
    if seconds < 2:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s old"
    if seconds < 3600:
        return f"{int(seconds // 60)} min old"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h old"
    return f"{int(seconds // 86400)} d old"


def _ctx(widget: Static) -> AppContext | None:
    return getattr(widget.app, "ctx", None)


class PreoHeader(Horizontal):
    """Top line: badge · user (role) · organization › edition · screen title."""

    DEFAULT_CSS = """
    PreoHeader {
        height: 1;
        dock: top;
        background: $panel;
    }
    PreoHeader #header-org { width: auto; max-width: 30%; padding: 0 0 0 1; color: $text; }
    PreoHeader #header-who { width: auto; max-width: 28%; padding: 0 1; color: $text; }
    PreoHeader #header-where {
        width: 1fr; min-width: 16; padding: 0 1; color: $text; text-style: bold;
    }
    PreoHeader #header-title { width: auto; max-width: 18%; padding: 0 1; color: $text-muted; }
    PreoHeader.-readonly #header-who { color: $warning; }
    PreoHeader.-production { background: #5c0000; }
    PreoHeader.-production #header-where { color: #ffffff; }
    """

    def __init__(self, title: str = "") -> None:
        super().__init__()
        self.screen_title = title

    def compose(self) -> ComposeResult:
        ctx = getattr(self.app, "ctx", None)
        kind = ctx.environment if ctx is not None else EnvironmentKind.CUSTOM
        yield EnvironmentBadge(kind, id="header-badge")
        yield Static("", id="header-org", markup=False)
        yield Static("", id="header-where", markup=False)
        yield Static("", id="header-who", markup=False)
        yield Static(self.screen_title, id="header-title", markup=False)

    def on_mount(self) -> None:
        self.refresh_context()

    def refresh_context(self) -> None:
        ctx = getattr(self.app, "ctx", None)
        badges = self.query(EnvironmentBadge)
        if ctx is None or not badges:  # not composed yet: on_mount will draw it
            return
        badges.first().set_kind(ctx.environment)
        org = ctx.organization.name if ctx.organization else "no organization"
        edition = ctx.edition.name if ctx.edition else "no edition"
        # The organization gives way first: the edition and its clock always show (80 cols).
        self._set("#header-org", f"{org} ›")
        zone = clock.zone_label(ctx.edition.timezone) if ctx.edition else "UTC"
        self._set("#header-where", f"{edition} ({zone})  [e]")
        who = ctx.user_label
        if ctx.role:
            who += f" ({ctx.role})"
        if ctx.read_only:
            who += " · read-only"
        self.set_class(ctx.read_only, "-readonly")
        self.set_class(ctx.is_production, "-production")
        self._set("#header-who", who)

    def _set(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        if getattr(widget, "_preo_text", None) != text:
            widget._preo_text = text  # type: ignore[attr-defined]  # a private marker attribute kept on the widget to skip redundant updates
            widget.update(text)

    def set_title(self, title: str) -> None:
        self.screen_title = title
        self.query_one("#header-title", Static).update(title)


class StatusLine(Static):
    """Bottom line above the footer: connection · data age · writes in flight · notes."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        background: $boost;
        color: $text-muted;
        padding: 0 1;
    }
    """

    _last_text: Text | None = None

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(1.0, self.update_status)

    def update_status(self) -> None:
        ctx = getattr(self.app, "ctx", None)
        text = Text()
        state = str(getattr(self.app, "connection_state", "online"))
        style = {
            "online": "bold green",
            "retrying": "bold yellow",
            "slow": "bold yellow",
            "offline": "bold red",
            "auth_expired": "bold red",
            "connecting": "yellow",
            "signed out": "yellow",
        }.get(state, "")
        text.append("● ", style=style)
        text.append(state, style=style)
        if ctx is not None and ctx.offline:
            text.append("  read-only on cached data", style="bold red")
        as_of = self._data_as_of()
        if as_of is not None:
            age = (datetime.now(UTC) - as_of).total_seconds()
            text.append(f"  · data {humanize_age(max(age, 0.0))}")
        writes = self._writes_in_flight(ctx)
        if writes:
            text.append(f"  · {writes} write{'s' if writes != 1 else ''} in flight", style="bold")
        note = getattr(self.screen, "status_note", "")
        if note:
            text.append(f"  · {note}")
        if ctx is not None and ctx.read_only:
            text.append("  · read-only profile", style="yellow")
        if text != self._last_text:  # one line, fixed size: no layout pass needed
            self._last_text = text
            self.update(text, layout=False)

    def _data_as_of(self) -> datetime | None:
        value: Any = getattr(self.screen, "data_as_of", None)
        return value if isinstance(value, datetime) else None

    @staticmethod
    def _writes_in_flight(ctx: AppContext | None) -> int:
        """Writes under way: the store counts logical writes, the client HTTP writes."""
        if ctx is None:
            return 0
        counts = [
            getattr(ctx.client, "writes_in_flight", 0),
            getattr(ctx.store, "writes_in_flight", 0),
        ]
        return max((c for c in counts if isinstance(c, int)), default=0)
