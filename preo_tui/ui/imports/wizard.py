"""The import wizard: a CSV file to orders, one step a page (see the step modules).

Opened from ``:imports`` with ``n`` (a new import) or ``enter`` on an import (continues at its
stage). Closing it (``escape``) keeps the import where it is on the server.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Static

from preo_tui.ui.imports.file_step import FileStep
from preo_tui.ui.imports.mapping_steps import MappingSteps
from preo_tui.ui.imports.run_steps import RunSteps
from preo_tui.ui.list_actions import leave_editor


class ImportWizardScreen(FileStep, MappingSteps, RunSteps):
    """The data-import wizard (steps 1–5)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "pick_uploaded", "Uploaded file", id="import_wizard.uploaded"),
        Binding("a", "accept_suggestions", "Accept suggestions", id="import_wizard.accept"),
        Binding("c", "cancel_import", "Cancel import", id="import_wizard.cancel"),
    ]

    DEFAULT_CSS = """
    ImportWizardScreen #wizard { height: 1fr; padding: 0 1; }
    ImportWizardScreen #w-steps { height: 1; margin-bottom: 1; }
    ImportWizardScreen #w-pages { height: 1fr; }
    ImportWizardScreen .w-page { height: 1fr; }
    ImportWizardScreen .w-help { color: $text-muted; height: auto; }
    ImportWizardScreen .w-row { height: 1; margin-top: 1; }
    ImportWizardScreen .w-label { width: 10; color: $text-muted; }
    ImportWizardScreen .w-label2 { margin-left: 2; }
    ImportWizardScreen #w-path, ImportWizardScreen #w-name { width: 1fr; }
    ImportWizardScreen #w-encoding, ImportWizardScreen #w-delimiter { width: 18; }
    ImportWizardScreen #w-candidates { color: $text-muted; height: auto; max-height: 3;
        margin-left: 10; }
    ImportWizardScreen #w-file-info { height: auto; margin-top: 1; }
    ImportWizardScreen #w-file-table { height: 1fr; }
    ImportWizardScreen #w-upload { margin-top: 1; }
    ImportWizardScreen #w-columns, ImportWizardScreen #w-products { height: 1fr; }
    ImportWizardScreen .w-problems { height: auto; max-height: 6; }
    ImportWizardScreen #w-prev-summary { height: auto; }
    ImportWizardScreen #w-run-stage { height: auto; margin-top: 1; }
    ImportWizardScreen #w-run-bar { margin: 1 0; }
    ImportWizardScreen #w-run-note { height: auto; }
    ImportWizardScreen #w-failures { height: 1fr; margin-top: 1; }
    ImportWizardScreen #w-busy { height: 1; color: $warning; }
    ImportWizardScreen #w-error { height: auto; color: $text-error; text-style: bold; }
    """

    def compose_body(self) -> ComposeResult:
        with Vertical(id="wizard"):
            yield Static(self.steps_bar(), id="w-steps")
            with ContentSwitcher(id="w-pages", initial="w-page-1"):
                yield from self.compose_file_step()
                yield from self.compose_mapping_steps()
                yield from self.compose_run_steps()
            yield Static("", id="w-busy", markup=False)
            yield Static("", id="w-error", markup=False)

    def on_mount(self) -> None:
        self.set_busy("")
        self.show_step_error("")
        if self.imp is None:
            self.call_after_refresh(self.go_to, 1)
        else:
            self.run_job(self._resume, group="resume", exclusive=True)

    async def _resume(self) -> None:
        """Re-read the import, then open at its stage."""
        client = self.ctx.client
        if client is not None and self.imp is not None:
            self.imp = await client.data_imports.get(self.imp.id)
        self.resume()

    def entered_step(self, step: int) -> None:
        if step == 1:
            self.file_step_entered()
        elif step == 2:
            self.columns_entered()
        elif step == 3:
            self.products_entered()
        elif step == 4:
            self.preview_entered()
        else:
            self.run_entered()

    def next_from(self, step: int) -> None:
        if step == 1:
            self.upload()
        elif step == 2:
            self.process_columns()
        elif step == 3:
            self.products_next()
        elif step == 4:
            self.start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_import":
            return self.imp is not None and not self.finished
        if action == "accept_suggestions":
            return self.step == 3 and bool(self.suggestions)
        if action == "pick_uploaded":
            return self.step == 1 and self.imp is None
        return True

    def action_back(self) -> None:
        leave_editor(self, dirty=self.has_unsent_file, what="The chosen file (not uploaded)")
