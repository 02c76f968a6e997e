"""CEL highlighting widgets of the condition editor: token styles, ``CelTextArea`` and the
completion menu (split out of :mod:`preo_tui.ui.segments.cel_editor`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from preo_tui.cel import (
    MAX_CONDITION_LENGTH,
    Completion,
    Completions,
    Diagnostic,
    position_to_offset,
    tokenize,
)

#: Token kind -> style. Named ANSI colours only, so 16-colour terminals show them too.
TOKEN_STYLES: dict[str, Style] = {
    "comment": Style(dim=True, italic=True),
    "string": Style(color="green"),
    "number": Style(color="magenta"),
    "keyword": Style(color="magenta", bold=True),
    "reserved": Style(color="red", bold=True),
    "variable": Style(color="cyan", bold=True),
    "field": Style(color="cyan"),
    "macro": Style(color="yellow", bold=True),
    "function": Style(color="yellow"),
    "operator": Style(color="bright_blue", bold=True),
    "punctuation": Style(dim=True),
    "error": Style(color="red"),
}
DIAGNOSTIC_STYLE = Style(color="bright_red", underline=True, bold=True)
#: Style of the whole span of a diagnostic reported by the server only.
SERVER_DIAGNOSTIC_STYLE = Style(color="bright_red", underline=True, italic=True)

#: Style of the diagnostic message written after the line it is about.
NOTE_STYLE = Style(color="red", italic=True)

KIND_MARKS = {
    "variable": "v",
    "field": "f",
    "function": "ƒ",
    "macro": "m",
    "value": "=",
    "keyword": "k",
}

_CONTROL_TO_SPACE = dict.fromkeys((7, 8, 11, 12, 13), " ")


def highlight_cel(
    text: str, variables: Sequence[str] = ("user", "orders", "edition", "now")
) -> Text:
    """``text`` as a rich ``Text`` styled by token kind (for read-only display)."""
    # Rich drops some control characters, which would shift every span after them: show
    # them as spaces instead (same length, so the token offsets still fit).
    text = text.translate(_CONTROL_TO_SPACE)
    out = Text(text, no_wrap=False)
    for tok in tokenize(text, variables):
        style = TOKEN_STYLES.get(tok.kind)
        if style is not None:
            out.stylize(style, tok.start, tok.end)
    return out


@dataclass
class _LineMarks:
    """Per-line (start, end, style) spans in character columns."""

    spans: dict[int, list[tuple[int, int, Style]]] = field(default_factory=dict)

    def add(self, line: int, start: int, end: int, style: Style) -> None:
        if end > start:
            self.spans.setdefault(line, []).append((start, end, style))


def _token_marks(text: str, variables: Sequence[str]) -> _LineMarks:
    marks = _LineMarks()
    if not text:
        return marks
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    line = 0
    for tok in tokenize(text, variables):
        style = TOKEN_STYLES.get(tok.kind)
        if style is None:
            continue
        start = tok.start
        while line + 1 < len(line_starts) and line_starts[line + 1] <= start:
            line += 1
        # A token may span lines (triple-quoted strings, an unclosed one): split it.
        cur, pos = line, start
        while pos < tok.end:
            line_end = line_starts[cur + 1] - 1 if cur + 1 < len(line_starts) else len(text)
            seg_end = min(tok.end, line_end)
            marks.add(cur, pos - line_starts[cur], seg_end - line_starts[cur], style)
            if seg_end >= tok.end or cur + 1 >= len(line_starts):
                break
            cur += 1
            pos = line_starts[cur]
    return marks


class CelTextArea(TextArea):
    """A TextArea that highlights CEL and underlines diagnostics."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        self._variables: tuple[str, ...] = ("user", "orders", "edition", "now")
        self._token_marks = _LineMarks()
        self._diag_marks = _LineMarks()
        self._notes: dict[int, str] = {}
        #: called with a key name before the TextArea handles it; True = consumed
        self.key_hook: Callable[[str], bool] | None = None
        #: called synchronously after every edit
        self.edit_hook: Callable[[], None] | None = None
        super().__init__(
            text,
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=True,
            highlight_cursor_line=False,
        )

    def set_variables(self, variables: Sequence[str]) -> None:
        self._variables = tuple(variables)
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        # Called by TextArea after every edit and on load: recompute the token spans (and let
        # the base class clear its line cache).
        super()._build_highlight_map()
        text = self.document.text
        if len(text) > MAX_CONDITION_LENGTH:
            # Far beyond any real condition (a stray paste): the check says so; don't spend
            # the frame on colouring it.
            self._token_marks = _LineMarks()
            return
        self._token_marks = _token_marks(text, getattr(self, "_variables", ()))

    def set_diagnostics(self, diagnostics: Sequence[Diagnostic], *, server: bool = False) -> None:
        marks = _LineMarks()
        notes: dict[int, str] = {}
        style = SERVER_DIAGNOSTIC_STYLE if server else DIAGNOSTIC_STYLE
        for diag in diagnostics:
            line = diag.line - 1
            start = max(0, diag.column - 1)
            end = max(start + 1, diag.end_column - 1)
            marks.add(line, start, end, style)
            notes.setdefault(line, ("server: " if server else "") + diag.message)
        if marks.spans == self._diag_marks.spans and notes == self._notes:
            return
        self._diag_marks = marks
        self._notes = notes
        self._line_cache.clear()
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        # As TextArea.get_line, with control characters kept as spaces so columns still match.
        source = self.document.get_line(line_index).translate(_CONTROL_TO_SPACE)
        line = Text(source, end="", no_wrap=True)
        length = len(line.plain)
        for start, end, style in self._token_marks.spans.get(line_index, ()):
            line.stylize(style, start, min(end, length))
        for start, end, style in self._diag_marks.spans.get(line_index, ()):
            if start >= length:
                # A diagnostic at the end of the line (an expression cut short): a marker
                # after the text shows where.
                line.append("␣", style)
            else:
                line.stylize(style, start, min(end, length))
        note = self._notes.get(line_index)
        if note:
            # The message beside the line it is about (cropped by the widget's width).
            line.append(f"  ◀ {note}", NOTE_STYLE)
        return line

    def edit(self, edit: Any) -> Any:
        # Check right after the edit, in the same turn of the event loop, so the diagnostic is
        # drawn in the very frame that shows the keystroke (the Changed message comes later).
        result = super().edit(edit)
        hook = self.edit_hook
        if hook is not None:
            hook()
        return result

    @property
    def cursor_offset(self) -> int:
        row, column = self.cursor_location
        return position_to_offset(self.text, row + 1, column + 1)

    async def _on_key(self, event: events.Key) -> None:
        hook = self.key_hook
        if hook is not None and hook(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


class CompletionMenu(OptionList):
    """The completion dropdown (positioned under the cursor by the editor)."""

    DEFAULT_CSS = """
    CompletionMenu {
        position: absolute;
        overlay: screen;
        constrain: inside inflect;
        display: none;
        width: auto;
        min-width: 24;
        max-width: 64;
        height: auto;
        max-height: 9;
        border: round $accent;
        background: $panel;
        padding: 0;
    }
    CompletionMenu.-open { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.can_focus = False
        self.completions: Completions | None = None

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def show_items(self, completions: Completions) -> None:
        self.completions = completions
        self.clear_options()
        label_width = min(28, max((len(c.label) for c in completions.items), default=4))
        options = []
        for item in completions.items:
            mark = KIND_MARKS.get(item.kind, "·")
            prompt = Text.assemble(
                (f"{mark} ", "dim"),
                (item.label.ljust(label_width), _kind_style(item.kind)),
                ("  " + item.detail if item.detail else "", "dim"),
            )
            prompt.truncate(60, overflow="ellipsis")
            options.append(Option(prompt))
        self.add_options(options)
        self.highlighted = 0 if options else None
        self.add_class("-open")

    def close(self) -> None:
        self.completions = None
        self.remove_class("-open")

    def selected(self) -> Completion | None:
        if self.completions is None or self.highlighted is None:
            return None
        items = self.completions.items
        return items[self.highlighted] if 0 <= self.highlighted < len(items) else None

    def move(self, step: int) -> None:
        count = self.option_count
        if not count:
            return
        current = self.highlighted or 0
        self.highlighted = (current + step) % count


def _kind_style(kind: str) -> Style:
    return {
        "variable": TOKEN_STYLES["variable"],
        "field": TOKEN_STYLES["field"],
        "function": TOKEN_STYLES["function"],
        "macro": TOKEN_STYLES["macro"],
        "value": TOKEN_STYLES["string"],
        "keyword": TOKEN_STYLES["keyword"],
    }.get(kind, Style())
