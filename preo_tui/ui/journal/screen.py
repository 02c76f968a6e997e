"""The journal viewer: every write made from this machine (what, when, which profile,
outcome), newest first, from the local JSON-lines journal. Reachable with ``:journal`` and from
the command palette. ``a`` toggles between this profile and all profiles.

Opening it (and ``r``) re-reads the server for the writes of this server and user whose outcome
is unknown and records what happened (``preo_tui.actions``). ``R`` resends a write that did not
apply (or is still unknown) with its *original* idempotency key and arguments: the server
applies it at most once. The detail line shows the summary in full (order number, amount)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from preo_tui.ui import clock
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.confirm import ConfirmModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, FitCell
from preo_tui.ui.widgets.table_columns import fit_columns
from preo_tui.ui.writes import resume_unknown, run, runner_of

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
        Binding("R", "retry", "Retry", id="journal.retry"),
        Binding("j", "cursor('down')", "Down", show=False, id="journal.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="journal.up"),
        Binding("g", "cursor('top')", "First", show=False, id="journal.first"),
        Binding("G", "cursor('bottom')", "Last", show=False, id="journal.last"),
    ]

    DEFAULT_CSS = """
    JournalScreen #journal-table { height: 1fr; }
    JournalScreen #journal-detail { height: auto; max-height: 10; padding: 0 1; border-top: solid $panel-lighten-2; }
    JournalScreen #journal-empty { color: $text-muted; padding: 1; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.all_profiles = False
        self.entries: list[Any] = []
        self.checking = False
        self._ready = False

    def compose_body(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="journal-empty", markup=False)
            yield DataTable(id="journal-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="journal-detail", markup=False)

    AUTO_FOCUS = "#journal-table"

    def on_mount(self) -> None:
        self.call_after_refresh(self._setup)

    COLUMNS = (
        ColumnSpec("when", "When", 19),
        ColumnSpec("profile", "Profile", 11, min_width=8, priority=1),
        ColumnSpec("action", "Action", 18, min_width=14, priority=1),
        ColumnSpec("outcome", "Outcome", 8),
        ColumnSpec("summary", "What", 40, min_width=24, priority=3),
    )

    def _specs(self) -> tuple[ColumnSpec, ...]:
        """The columns: Profile only when every profile's writes are listed (one profile's
        name is in the line above the table, and its room goes to What at 80 columns)."""
        if self.all_profiles:
            return self.COLUMNS
        return tuple(spec for spec in self.COLUMNS if spec.key != "profile")

    def _set_columns(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        specs = self._specs()
        if [key.value for key in table.columns] == [spec.key for spec in specs]:
            return
        table.clear(columns=True)
        for spec in specs:
            table.add_column(spec.label, key=spec.key, width=spec.width)

    def _setup(self) -> None:
        self._ready = True
        self.load()  # sets the columns
        self.resolve_unknown()

    def on_screen_resume(self) -> None:
        """Back on a journal left open: show the writes made meanwhile at once, not after the
        next poll."""
        super().on_screen_resume()
        if self._ready:
            self.load()

    def resolve_unknown(self) -> None:
        """Re-read the server for this user's unknown writes, then show what was learnt."""
        if runner_of(self.ctx) is None or self.checking:
            return
        self.checking = True
        self.run_job(self._resolve_unknown(), group="journal-resolve", exclusive=True)

    async def _resolve_unknown(self) -> None:
        try:
            results = await resume_unknown(self.ctx)
        finally:
            self.checking = False
        if results:
            known = sum(1 for r in results if r.outcome != "unknown")
            self.notify(
                f"Checked {len(results)} unknown writes with the server: {known} resolved.",
                timeout=5,
            )
            self.load()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The What column (order number, amount) takes the room the others leave."""
        natural = {"profile": 8, "action": 14, "summary": 24}
        for e in self.entries[:300]:
            natural["profile"] = max(natural["profile"], len(e.profile))
            natural["action"] = max(natural["action"], len(f"{e.resource}.{e.action}"))
            natural["summary"] = max(natural["summary"], len(e.summary))
        # A resize can arrive before the table is composed or while the screen is removed.
        for table in self.query("#journal-table").results(DataTable):
            fit_columns(table, self._specs(), natural)

    def _tz(self) -> str | None:
        return self.ctx.edition.timezone if self.ctx.edition else None

    def load(self) -> None:
        """(Re)read the journal; the cursor stays on the write it was on, if still listed."""
        journal = self.ctx.journal
        table = self.query_one("#journal-table", DataTable)
        current = table.cursor_row
        was_on = self.entries[current].action_id if 0 <= current < len(self.entries) else None
        table.clear()
        empty = self.query_one("#journal-empty", Static)
        if journal is None:
            self.entries = []
            empty.update("No journal yet: sign in first.")
            self._show(0)  # no detail of a write no longer listed
            return
        profile = None if self.all_profiles else self.ctx.profile_name
        try:
            self.entries = list(journal.read(limit=500, profile=profile))
        except Exception as exc:
            self.entries = []
            empty.update(f"The journal cannot be read: {exc}")
            self._show(0)  # no detail of a write no longer listed
            return
        self.entries.sort(key=lambda e: e.time, reverse=True)
        scope = "all profiles" if self.all_profiles else f"profile {self.ctx.profile_name}"
        count = f"{len(self.entries)} write{'' if len(self.entries) == 1 else 's'}"
        empty.update(
            f"{count} ({scope}) — a toggles all profiles"
            if self.entries
            else f"No writes recorded for {scope}."
        )
        self._set_columns()
        keys = [spec.key for spec in self._specs()]
        for index, entry in enumerate(self.entries):
            cells: dict[str, object] = {
                "when": clock.when(entry.time, self._tz(), seconds=True),
                "profile": entry.profile,
                "action": FitCell(f"{entry.resource}.{entry.action}"),
                "outcome": Text(entry.outcome, style=OUTCOME_STYLE.get(entry.outcome, "")),
                "summary": FitCell(entry.summary),
            }
            table.add_row(*(cells[key] for key in keys), key=str(index))
        self.mark_fresh()
        self._fit_columns()
        index = next((i for i, entry in enumerate(self.entries) if entry.action_id == was_on), 0)
        if index:
            table.move_cursor(row=index, animate=False)
        self._show(index)

    def _show(self, index: int) -> None:
        detail = self.query_one("#journal-detail", Static)
        if not 0 <= index < len(self.entries):
            detail.update("")
            return
        e = self.entries[index]
        lines = [
            e.summary or "—",
            f"{e.resource}.{e.action} · {e.outcome} · {clock.detail(e.time, self._tz())}"
            + (f" → {clock.detail(e.finished, self._tz())}" if e.finished else ""),
            f"objects: {', '.join(e.object_ids) or '—'} · profile {e.profile} · {e.server}",
        ]
        attempts = getattr(e, "attempts", 1) or 1
        if e.idempotency_key:
            lines.append(
                f"idempotency key: {e.idempotency_key}"
                + (f" · {attempts} attempts" if attempts > 1 else "")
            )
        if getattr(e, "args", None):
            args = ", ".join(f"{k}={v!r}" for k, v in e.args.items())
            lines.append(f"{e.operation}({args})")
        if e.error:
            lines.append(f"note: {e.error}")
        if self._retryable(e):
            lines.append("R resends it with the same key (the server applies it at most once)")
        detail.update("\n".join(lines))

    def _retryable(self, entry: Any) -> bool:
        runner = runner_of(self.ctx)
        return (
            runner is not None
            and entry.outcome in ("failed", "unknown")
            # The journal's own server name: the embedded sandbox's journal keeps its
            # placeholder address while the session talks to the port it started on.
            and entry.server == (getattr(runner.journal, "server", None) or self.ctx.base_url)
            and runner.action_of(entry) is not None
        )

    def action_retry(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        index = table.cursor_row
        if not 0 <= index < len(self.entries):
            return
        entry = self.entries[index]
        if not self._retryable(entry):
            self.notify(
                "Only a write of this server that failed or is unknown, recorded with its"
                " arguments, can be resent.",
                severity="warning",
                timeout=5,
            )
            return
        if self.ctx.read_only:
            self.notify("This profile is read-only.", severity="warning", timeout=4)
            return
        self.run_job(self._retry(entry), group="journal-retry", exclusive=True)

    async def _retry(self, entry: Any) -> None:
        ok = await self.app.push_screen_wait(
            ConfirmModal(
                "Send this write again?",
                f"{entry.summary}\nSame request, same idempotency key: the server applies it"
                " at most once.",
                confirm_label="Send again",
                production=self.ctx.is_production,
            )
        )
        runner = runner_of(self.ctx)
        if not ok or runner is None:
            return
        action = runner.action_of(entry)
        if action is None:
            return
        result = await run(self.ctx, action, self)
        self.notify(
            f"{entry.summary}: {result.outcome.replace('_', ' ')} — {result.message}",
            severity="information" if result.applied else "warning",
            timeout=8,
        )
        self.load()

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
        self.resolve_unknown()
