"""Check this server: the read-only doctor (``preo_tui.doctor``) in a screen.

Reachable with ``:doctor`` and from the palette ("Check this server"). It calls every read
operation of the signed-in server (never a write), then lists each operation with its result,
the general checks (auth, error bodies), the count of assumptions that held and, when an
operation answers under a neighbouring path, the ``[profiles.X.operations]`` table to add to
the configuration file. Problems are listed first; ``r`` runs it again; ``p`` shows only the
problems.

Everything shown comes from the report, whose server text was made terminal-safe when it was
recorded (``preo_tui.doctor.report.safe``); cells are plain ``Text``, never markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from preo_tui.ui.base import PreoScreen
from preo_tui.ui.registry import register_screen

STATE_STYLE = {
    "ok": "green",
    "missing": "bold red",
    "failed": "bold red",
    "refused": "yellow",
    "forbidden": "yellow",
    "skipped": "dim",
    "not checked": "dim",
}

OUTCOME_STYLE = {"held": "green", "failed": "bold red", "unchecked": "dim", "info": "cyan"}


@register_screen(
    "doctor",
    title="Check this server",
    description="Check this server against what preo-tui expects (read-only)",
    aliases=("check", "server"),
    needs_edition=False,
)
class DoctorScreen(PreoScreen):
    SCREEN_TITLE = "Check this server"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_problems", "Problems only", id="doctor.problems"),
        Binding("j", "cursor('down')", "Down", show=False, id="doctor.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="doctor.up"),
    ]

    DEFAULT_CSS = """
    DoctorScreen #doctor-status { height: auto; padding: 0 1; }
    DoctorScreen #doctor-table { height: 1fr; }
    DoctorScreen #doctor-summary {
        height: auto; max-height: 12; padding: 0 1; border-top: solid $panel-lighten-2;
    }
    """

    AUTO_FOCUS = "#doctor-table"

    def __init__(self) -> None:
        super().__init__()
        self.report: Any = None
        self.running = False
        self.only_problems = False
        self.checked = 0

    def compose_body(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="doctor-status", markup=False)
            yield DataTable(id="doctor-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="doctor-summary", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#doctor-table", DataTable)
        for label, key, width in (
            ("Operation", "key", 34),
            ("Result", "state", 9),
            ("Notes", "notes", 56),
            ("Path", "path", 50),
        ):
            table.add_column(label, key=key, width=width)
        self.call_after_refresh(self.start)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        client = self.ctx.client
        status = self.query_one("#doctor-status", Static)
        if client is None:
            status.update("Sign in first: doctor checks the server of the signed-in profile.")
            return
        self.running = True
        self.checked = 0
        status.update(f"Checking {self.ctx.base_url} (read-only: nothing is written)…")
        self.run_job(self._run(client), group="doctor", exclusive=True)

    async def _run(self, client: Any) -> None:
        from preo_tui.doctor import run_doctor

        try:
            self.report = await run_doctor(
                client,
                environment=str(self.ctx.environment),
                write=False,
                production=self.ctx.is_production,
                progress=self._progress,
            )
        finally:
            self.running = False
        self.mark_fresh()
        self._show()

    def _progress(self, key: str) -> None:
        self.checked += 1
        self.query_one("#doctor-status", Static).update(
            f"Checking {self.ctx.base_url} (read-only) — {self.checked} reads, now {key}…"
        )

    def handle_error(self, report: Any, error: BaseException) -> bool:
        self.query_one("#doctor-status", Static).update(
            f"The check stopped: {report.title}: {report.message}"
        )
        return True

    async def poll(self) -> None:
        self.start()

    def action_refresh(self) -> None:
        self.start()

    def action_toggle_problems(self) -> None:
        self.only_problems = not self.only_problems
        self._show()

    def action_cursor(self, where: str) -> None:
        table = self.query_one("#doctor-table", DataTable)
        if where == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    # -- showing ----------------------------------------------------------------------------

    def _show(self) -> None:
        report = self.report
        if report is None:
            return
        table = self.query_one("#doctor-table", DataTable)
        table.clear()
        # Problems first: on a small terminal they are what must be on screen.
        rows = sorted(report.operations, key=lambda r: not (r.failed or r.state == "missing"))
        for row in rows:
            state = "failed" if row.state == "ok" and row.failed else row.state
            if self.only_problems and state not in ("missing", "failed"):
                continue
            if not self.only_problems and state == "not checked":
                continue
            label = Text(row.key + (" *" if row.overridden else ""))
            table.add_row(
                label,
                Text(state, style=STATE_STYLE.get(state, "")),
                Text(row.note()),
                Text(f"{row.method} {row.path}"),
                key=row.key,
            )
        failed = report.failed
        scope = "problems only — p shows all" if self.only_problems else "p: problems only"
        self.query_one("#doctor-status", Static).update(
            Text.assemble(
                (f"{report.server} ({report.environment}) · ", ""),
                (report.summary_line(), "bold red" if failed else "bold green"),
                (f"  [{scope}; r runs it again]", "dim"),
            )
        )
        summary = Text()
        for finding in report.general:
            summary.append(f"{finding.outcome:<9}", style=OUTCOME_STYLE[finding.outcome])
            summary.append(f" {finding.message}\n")
        uncalled = sum(1 for r in report.operations if r.state == "not checked")
        if uncalled:
            summary.append(f"{'unchecked':<9}", style="dim")
            summary.append(f" {uncalled} operations not called (writes: preo-tui doctor --write)\n")
        for problem in report.override_problems:
            summary.append(f"{'failed':<9}", style="bold red")
            summary.append(f" override {problem}\n")
        toml = report.override_toml(self.ctx.profile_name)
        if toml:
            summary.append("Add to the configuration file (preo-tui config edit):\n", style="bold")
            summary.append(toml + "\n")
        elif failed:
            summary.append("No neighbouring path answers for the missing operations.\n")
        self.query_one("#doctor-summary", Static).update(summary)


__all__ = ["DoctorScreen"]
