"""The import wizard's state and navigation, shared by its step modules.

One step a page: 1 file, 2 columns, 3 products, 4 preview, 5 import. ``ctrl+n`` goes on (doing
the step's server work: upload, process the mappings, start), ``ctrl+b`` goes back; nothing is
lost either way: the import's state lives on the server and each step re-reads it. Steps the
server's stage has left behind are shown read-only with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from preo_tui.api.data_imports import DataImport
from preo_tui.api.segments import NamedRef
from preo_tui.imports_local import one_line
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.imports.common import FINISHED, stage_of, stage_text, step_for_stage

STEP_NAMES = ("File", "Columns", "Products", "Preview", "Import")
#: Error kinds shown on the step (the rest go to the app's handler: offline, signed out…).
STEP_ERRORS = (
    "Conflict",
    "ValidationFailed",
    "PermissionDenied",
    "NotFound",
    "ReadOnlyError",
    "OfflineError",
    "Unsupported",
    "DecodeError",
    "ServerError",
    "RateLimited",
)


class WizardBase(PreoScreen):
    """State and navigation; the step mixins add each page."""

    SCREEN_TITLE = "Import wizard"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next step", id="import_wizard.next", priority=True),
        Binding("ctrl+b", "previous", "Previous step", id="import_wizard.previous", priority=True),
        Binding("escape", "back", "Close", id="import_wizard.close"),
    ]

    def __init__(
        self,
        data_import: DataImport | None = None,
        *,
        on_change: Callable[[DataImport], None] | None = None,
    ) -> None:
        super().__init__()
        self.imp: DataImport | None = data_import
        self.on_change = on_change
        self.step = 1
        #: the edition's products (id, name), loaded for step 3
        self.products: list[NamedRef] = []
        #: a step's server work is under way (ctrl+n waits)
        self.busy = ""
        #: the last error shown on the step, for tests and the snapshot
        self.step_error = ""

    # -- state --------------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        return stage_of(self.imp)

    def adopt(self, item: DataImport) -> None:
        """The server's latest copy of the import."""
        self.imp = item
        self.refresh_steps_bar()
        self.refresh_bindings()
        if self.on_change is not None:
            self.on_change(item)

    def max_step(self) -> int:
        """The furthest step the import's stage allows."""
        if self.imp is None:
            return 1
        step = step_for_stage(self.stage)
        return 4 if step == 3 else step

    # -- drawing ------------------------------------------------------------------------------

    def steps_bar(self) -> Text:
        out = Text()
        top = self.max_step()
        for n, name in enumerate(STEP_NAMES, start=1):
            if n > 1:
                out.append(" › ", style="dim")
            style = "bold reverse" if n == self.step else ("" if n <= top else "dim")
            out.append(f" {n} {name} ", style=style)
        if self.imp is not None:
            out.append("   ")
            out.append(one_line(self.imp.name or self.imp.id, 40), style="bold")
            out.append("  ")
            out.append_text(stage_text(self.imp.stage))
        return out

    def refresh_steps_bar(self) -> None:
        if self.is_mounted and self.query("#w-steps"):
            self.query_one("#w-steps", Static).update(self.steps_bar())

    def set_busy(self, text: str) -> None:
        self.busy = text
        if self.is_mounted and self.query("#w-busy"):
            busy = self.query_one("#w-busy", Static)
            busy.update(text)
            busy.display = bool(text)

    def show_step_error(self, text: str) -> None:
        self.step_error = text
        if self.is_mounted and self.query("#w-error"):
            line = self.query_one("#w-error", Static)
            line.update(text)
            line.display = bool(text)

    # -- navigation ---------------------------------------------------------------------------

    def go_to(self, step: int) -> None:
        self.step = max(1, min(5, step))
        self.show_step_error("")
        self.query_one("#w-pages", ContentSwitcher).current = f"w-page-{self.step}"
        self.refresh_steps_bar()
        self.refresh_bindings()
        self.entered_step(self.step)
        self._arm_poll()

    def entered_step(self, step: int) -> None:
        """Load what the page shows (the step mixins implement it)."""

    def action_previous(self) -> None:
        if self.busy:
            self.notify(f"Wait: {self.busy}", severity="warning", timeout=3)
            return
        if self.step > 1:
            self.go_to(self.step - 1)

    def action_next(self) -> None:
        if self.busy:
            self.notify(f"Wait: {self.busy}", severity="warning", timeout=3)
            return
        self.next_from(self.step)

    def next_from(self, step: int) -> None:
        """Do the step's server work, then go on (the step mixins implement it)."""

    def resume(self) -> None:
        """Open at the import's current stage."""
        self.go_to(step_for_stage(self.stage) if self.imp is not None else 1)

    def writable(self) -> bool:
        """False (and say why, on the step) when this profile cannot write now."""
        if self.ctx.read_only:
            self.show_step_error("This profile is read-only: the import cannot be changed.")
            return False
        if self.ctx.offline:
            self.show_step_error("Offline: writes are refused until the server is back.")
            return False
        return True

    @property
    def finished(self) -> bool:
        return self.stage in FINISHED

    # -- failures -----------------------------------------------------------------------------

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        self.set_busy("")
        if report.kind not in STEP_ERRORS:
            return False
        prefix = (
            "Refused by the server"
            if report.kind in ("Conflict", "ValidationFailed")
            else report.title
        )
        self.show_step_error(f"{prefix}: {one_line(report.message, 300)}")
        self.step_failed(report)
        return True

    def step_failed(self, report: ErrorReport) -> None:
        """A step's server work failed (the step mixins may re-read what changed)."""

    def poll_interval(self) -> float | None:
        return self.watch_interval()

    def watch_interval(self) -> float | None:
        """Seconds between reads of a running import (step 5), else None."""
        return None

    def context_changed(self) -> None:
        """The edition changed under the wizard: the import belongs to the old one; close."""
        if self.change_reason in ("edition", "organization", "session") and self.is_current:
            self.notify("The edition changed: the import wizard was closed.", timeout=4)
            self.dismiss()
