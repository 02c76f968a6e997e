"""A small keyboard picker: a titled list of choices in a modal; dismisses with the chosen
value or ``None``. Type to narrow the list; ``enter`` picks, ``escape`` cancels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Choice(Generic[V]):
    value: V
    label: str
    disabled: bool = False
    #: shown instead of choosing when a disabled choice is picked
    reason: str = ""


class ChoiceModal(ModalScreen[V | None], Generic[V]):
    """Pick one of ``choices``."""

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ChoiceModal .choice-title { text-style: bold; margin-bottom: 1; }
    ChoiceModal OptionList { height: auto; max-height: 20; }
    ChoiceModal .choice-reason { color: $warning; height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(
        self,
        title: str,
        choices: Sequence[Choice[V]],
        *,
        current: V | None = None,
        filterable: bool | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current
        self.filterable = len(self.choices) > 8 if filterable is None else filterable

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="choice-title")
            if self.filterable:
                yield Input(placeholder="type to filter", id="choice-filter")
            yield OptionList(id="choice-list")
            yield Label("", classes="choice-reason", id="choice-reason")

    def on_mount(self) -> None:
        self._fill("")
        if self.filterable:
            self.query_one("#choice-filter", Input).focus()
        else:
            self.query_one("#choice-list", OptionList).focus()

    def _visible(self, text: str) -> list[tuple[int, Choice[V]]]:
        needle = text.strip().lower()
        return [(i, c) for i, c in enumerate(self.choices) if needle in c.label.lower()]

    def _fill(self, text: str) -> None:
        options = self.query_one("#choice-list", OptionList)
        options.clear_options()
        visible = self._visible(text)
        highlight = 0
        for n, (index, choice) in enumerate(visible):
            marker = "• " if choice.value == self.current else "  "
            options.add_option(Option(marker + choice.label, id=str(index)))
            if choice.value == self.current:
                highlight = n
        if visible:
            options.highlighted = highlight

    @on(Input.Changed, "#choice-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#choice-filter")
    def _submit_filter(self) -> None:
        options = self.query_one("#choice-list", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self._pick(option.id)

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key in ("down", "up") and self.filterable:
            options = self.query_one("#choice-list", OptionList)
            if self.focused is not options:
                options.action_cursor_down() if key == "down" else options.action_cursor_up()

    @on(OptionList.OptionSelected, "#choice-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id is None:
            return
        choice = self.choices[int(option_id)]
        if choice.disabled:
            self.query_one("#choice-reason", Label).update(choice.reason or "not available")
            return
        self.dismiss(choice.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
