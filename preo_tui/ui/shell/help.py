"""The ``?`` overlay: every binding of the current screen, generated from the bindings
themselves (key as remapped by the keymap, description, binding id for the ``[keymap]``)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from preo_tui.ui.registry import REGISTRY


def _group(node: Any, screen: Screen[Any]) -> str:
    if node is screen.app:
        return "Everywhere"
    if node is screen:
        return "This screen"
    return type(node).__name__.replace("Table", " list").replace("Paged", "").strip() or "Widget"


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str, str, str, bool]]:
    """``(group, keys, description, id, enabled)`` for the screen's active bindings."""
    app = screen.app
    rows: dict[tuple[str, str], tuple[str, str, str, str, bool]] = {}
    for _key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        if binding.system and not binding.id:
            continue
        if binding.action == "select_cursor" and active.node is not screen:
            continue  # a table's own "⏎ Select": the screen's enter binding (if any) says more
        description = binding.description or binding.action.replace("_", " ")
        group = _group(active.node, screen)
        marker = (group, binding.action)
        keys = app.get_key_display(binding)
        if marker in rows:
            old = rows[marker]
            merged_keys = old[1] if keys in old[1].split(" / ") else f"{old[1]} / {keys}"
            rows[marker] = (old[0], merged_keys, old[2], old[3] or binding.id or "", old[4])
            continue
        rows[marker] = (group, keys, description, binding.id or "", active.enabled)
    order = {"This screen": 0, "Everywhere": 2}
    return sorted(rows.values(), key=lambda r: (order.get(r[0], 1), r[0]))


class HelpScreen(ModalScreen[None]):
    """Key help for the screen it was opened on."""

    #: not a form: the app's keys (``:``, ``e``) work over the help, and it lists them
    KEEPS_APP_KEYS = True

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; width: 100%; }
    HelpScreen VerticalScroll { height: auto; max-height: 1fr; }
    HelpScreen #help-footer { color: $text-muted; width: 100%; }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close help", id="help.close"),
        Binding("j,down", "scroll_down", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="help.up"),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        title = getattr(self.target, "SCREEN_TITLE", "") or type(self.target).__name__
        with Vertical():
            yield Label(f"Keys — {title}", id="help-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(self._table(), id="help-table")
                yield Static(self._jumps(), id="help-jumps")
            yield Label(
                "Remap any key in the config's [keymap] table by its id. escape closes.",
                id="help-footer",
                markup=False,
            )

    def _table(self) -> Table:
        rows = binding_rows(self.target)
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False)
        table.add_column("Key", style="bold", no_wrap=True, min_width=8)
        table.add_column("Action", ratio=1)
        # Ids are what the [keymap] table needs, typed exactly: never cut ("refunds.all_editio…").
        # The column is as wide as the longest id; the action text wraps instead.
        longest = max((len(row[3]) for row in rows), default=2)
        table.add_column("Id", style="dim", no_wrap=True, min_width=longest, overflow="fold")
        group = None
        for row_group, keys, description, binding_id, enabled in rows:
            if row_group != group:
                group = row_group
                table.add_row(Text(row_group, style="bold underline"), "", "")
            style = "" if enabled else "dim"
            table.add_row(Text(keys, style=style), Text(description, style=style), binding_id)
        return table

    def _jumps(self) -> Text:
        names = "  ".join(f":{n}" for n in REGISTRY.names())
        text = Text("\nJump with : to  ", style="bold")
        text.append(names + "  :edition <name>  :org <name>  :profile <name>", style="")
        return text

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_up()
