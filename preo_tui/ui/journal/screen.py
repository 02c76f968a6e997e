"""The journal viewer: every write made from this machine (what, when, which profile,
outcome), newest first, from the local JSON-lines journal. Reachable with ``:journal`` and from
the command palette. ``a`` toggles between this profile and all profiles."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from preo_tui.ui.base import PreoScreen
from preo_tui.ui.registry import register_screen

OUTCOME_STYLE = {"ok": "green", "failed": "bold red", "unknown": "bold yellow", "pending": "yellow"}


@register_screen(
    "journal",
    title="Journal",
    description="Local journal of every write",
    aliases=("log", "history"),
    needs_edition=False,
)
class JournalScreen(PreoScreen):
    SCREEN_TITLE = "Journal"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_all", "All profiles", id="journal.all"),
        Binding("y", "copy", "Copy ids", id="journal.copy"),
        Binding("j", "cursor('down')", "Down", show=False, id="journal.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="journal.up"),
        Binding("g", "cursor('top')", "First", show=False, id="journal.first"),
        Binding("G", "cursor('bottom')", "Last", show=False, id="journal.last"),
    ]

    DEFAULT_CSS = """
    JournalScreen #journal-table { height: 1fr; }
    JournalScreen #journal-detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $panel-lighten-2; }
    JournalScreen #journal-empty { color: $text-muted; padding: 1; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.all_profiles = False
        self.entries: list[Any] = []

    def compose_body(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="journal-empty", markup=False)
            yield DataTable(id="journal-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="journal-detail", markup=False)

    AUTO_FOCUS = "#journal-table"

    def on_mount(self) -> None:
        self.call_after_refresh(self._setup)

    def _setup(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        for label, key, width in (
            ("When", "when", 19),
            ("Profile", "profile", 11),
            ("Action", "action", 18),
            ("Outcome", "outcome", 8),
            ("What", "summary", 40),
        ):
            table.add_column(label, key=key, width=width)
        self.load()

    def load(self) -> None:
        journal = self.ctx.journal
        table = self.query_one("#journal-table", DataTable)
        table.clear()
        empty = self.query_one("#journal-empty", Static)
        if journal is None:
            self.entries = []
            empty.update("No journal yet: sign in first.")
            return
        profile = None if self.all_profiles else self.ctx.profile_name
        try:
            self.entries = list(journal.read(limit=500, profile=profile))
        except Exception as exc:
            self.entries = []
            empty.update(f"The journal cannot be read: {exc}")
            return
        self.entries.sort(key=lambda e: e.time, reverse=True)
        scope = "all profiles" if self.all_profiles else f"profile {self.ctx.profile_name}"
        empty.update(
            f"{len(self.entries)} writes ({scope}) — a toggles all profiles"
            if self.entries
            else f"No writes recorded for {scope}."
        )
        for index, entry in enumerate(self.entries):
            table.add_row(
                entry.time[:19].replace("T", " "),
                entry.profile,
                f"{entry.resource}.{entry.action}",
                Text(entry.outcome, style=OUTCOME_STYLE.get(entry.outcome, "")),
                entry.summary,
                key=str(index),
            )
        self.mark_fresh()
        self._show(0)

    def _show(self, index: int) -> None:
        detail = self.query_one("#journal-detail", Static)
        if not 0 <= index < len(self.entries):
            detail.update("")
            return
        e = self.entries[index]
        lines = [
            f"{e.resource}.{e.action} · {e.outcome} · {e.time}"
            + (f" → {e.finished}" if e.finished else ""),
            f"objects: {', '.join(e.object_ids) or '—'} · profile {e.profile} · {e.server}",
        ]
        attempts = getattr(e, "attempts", 1) or 1
        if e.idempotency_key:
            lines.append(
                f"idempotency key: {e.idempotency_key}"
                + (f" · {attempts} attempts" if attempts > 1 else "")
            )
        if e.error:
            lines.append(f"error: {e.error}")
        detail.update("\n".join(lines))

    @on(DataTable.RowHighlighted, "#journal-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def action_toggle_all(self) -> None:
        self.all_profiles = not self.all_profiles
        self.load()

    def action_cursor(self, where: str) -> None:
        table = self.query_one("#journal-table", DataTable)
        if where == "down":
            table.action_cursor_down()
        elif where == "up":
            table.action_cursor_up()
        elif where == "top":
            table.move_cursor(row=0)
        else:
            table.move_cursor(row=max(table.row_count - 1, 0))

    def action_copy(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        index = table.cursor_row
        if 0 <= index < len(self.entries):
            self.preo_app.copy_text(" ".join(self.entries[index].object_ids), what="object ids")

    async def poll(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()
