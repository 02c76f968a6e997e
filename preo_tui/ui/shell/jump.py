"""The ``:`` prompt: type a jump name (completed from every registered screen), or
``edition <name>`` / ``profile <name>``; enter goes, escape cancels."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from preo_tui.ui.registry import KNOWN_JUMP_NAMES, REGISTRY


def jump_candidates(app: Any) -> list[tuple[str, str]]:
    """``(completion, description)`` for everything the prompt accepts."""
    out: list[tuple[str, str]] = []
    for name in REGISTRY.all_jump_names():
        entry = REGISTRY.resolve(name)
        if entry is not None:
            out.append((name, entry.description or entry.title))
        else:
            out.append((name, KNOWN_JUMP_NAMES.get(name, "") + " — not available yet"))
    for edition in getattr(app, "editions", []):
        out.append((f"edition {edition.name}", "switch edition"))
    ctx = getattr(app, "ctx", None)
    for org in getattr(ctx, "organizations", []):
        out.append((f"org {org.name}", "switch organization"))
    settings = getattr(app, "settings", None)
    for profile in sorted(getattr(settings, "profiles", {})):
        out.append((f"profile {profile}", "switch profile"))
    return out


class JumpSuggester(Suggester):
    def __init__(self, app: Any) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._app = app

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for completion, _ in jump_candidates(self._app):
            if completion.lower().startswith(value.lower()) and completion.lower() != value.lower():
                return completion
        return None


class JumpPrompt(ModalScreen[str | None]):
    DEFAULT_CSS = """
    JumpPrompt { align: center top; }
    JumpPrompt > Vertical {
        width: 70; max-width: 100%; height: auto; margin-top: 2;
        border: thick $primary; background: $panel;
    }
    JumpPrompt Input { border: none !important; height: 1; padding: 0 1; }
    JumpPrompt OptionList { height: auto; max-height: 12; border: none; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="jump.cancel"),
        Binding("down", "next", "Next", show=False, id="jump.next"),
        Binding("up", "previous", "Previous", show=False, id="jump.previous"),
        Binding("tab", "complete", "Complete", show=False, id="jump.complete"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(
                placeholder=":",
                id="jump-input",
                suggester=JumpSuggester(self.app),
                compact=True,
            )
            yield OptionList(id="jump-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#jump-input", Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one("#jump-options", OptionList)
        options.clear_options()
        needle = text.strip().lower()
        for completion, description in jump_candidates(self.app):
            if needle in completion.lower():
                options.add_option(
                    Option(f":{completion}  [dim]{description}[/dim]", id=completion)
                )
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#jump-input")
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value.lstrip(":"))

    @on(Input.Submitted, "#jump-input")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip().lstrip(":").strip()
        options = self.query_one("#jump-options", OptionList)
        exact = any(c == value.lower() for c, _ in jump_candidates(self.app))
        if value and (exact or " " in value):
            self.dismiss(value)
        elif options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        else:
            self.dismiss(value or None)

    @on(OptionList.OptionSelected, "#jump-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_next(self) -> None:
        self.query_one("#jump-options", OptionList).action_cursor_down()

    def action_previous(self) -> None:
        self.query_one("#jump-options", OptionList).action_cursor_up()

    def action_complete(self) -> None:
        options = self.query_one("#jump-options", OptionList)
        if options.highlighted is not None and options.option_count:
            box = self.query_one("#jump-input", Input)
            box.value = str(options.get_option_at_index(options.highlighted).id)
            box.cursor_position = len(box.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
