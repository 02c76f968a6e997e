"""The CEL condition editor: highlighting, live diagnostics, completion and the audience estimate.

``CelEditor`` is a container holding:

- ``CelTextArea`` — a Textual ``TextArea`` whose lines are styled from
  :func:`preo_tui.cel.tokenize` (TextArea only highlights through tree-sitter, and there is no
  CEL grammar for it, so ``get_line`` styles each line itself) and whose diagnostics are drawn
  as a red underline under their span;
- a completion menu (``CompletionMenu``) that opens while typing (after ``.``, inside a string
  compared with a known field, on a word) or on ``ctrl+n``; ``up``/``down`` move, ``tab`` or
  ``enter`` accept, ``escape`` closes;
- a problems line (position and message of the first diagnostics, with a caret under the span)
  and a verdict line with the server's estimate ("≈ 1,234 of 5,000 users").

Every keystroke runs the local check inline (:func:`preo_tui.cel.check`, a fraction of a
millisecond, memoised). The server check runs ~300 ms after typing stops, in an exclusive
worker that the next keystroke cancels; an answer for text that has changed since is dropped.
The validator is a callback the screen supplies, so this widget knows nothing of the client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from preo_tui.cel import (
    MAX_CONDITION_LENGTH,
    CelContext,
    CheckResult,
    Completion,
    Completions,
    Diagnostic,
    check,
    complete,
    contract_context,
    offset_to_position,
    position_to_offset,
    tokenize,
)
from preo_tui.cel.values import value_warnings

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


def variable_names(context: CelContext) -> tuple[str, ...]:
    return tuple(name for name, _ in context.variables)


#: Failures that mean the server could not answer at all (the local verdict stands).
_UNREACHABLE_KINDS = frozenset(
    {"NetworkError", "OfflineError", "ServerError", "RateLimited", "DecodeError", "AuthError"}
)

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


@dataclass(frozen=True, slots=True)
class ServerVerdict:
    """The server's answer to ``validate-cel``, independent of the client's model."""

    valid: bool
    estimated: int | None = None
    total: int | None = None
    exact: bool | None = None
    errors: tuple[Diagnostic, ...] = ()


Validator = Callable[[str], Awaitable[ServerVerdict]]


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


class CelEditor(Vertical):
    """Condition editor with live local checks, server validation and completion."""

    DEFAULT_CSS = """
    CelEditor {
        height: 1fr;
        min-height: 6;
    }
    CelEditor > CelTextArea {
        height: 1fr;
        min-height: 3;
        border: round $panel-lighten-2;
        padding: 0;
    }
    CelEditor > CelTextArea:focus {
        border: round $accent;
    }
    CelEditor #cel-problems {
        height: auto;
        max-height: 3;
        color: $text-error;
        padding: 0 1;
    }
    CelEditor #cel-verdict {
        height: 1;
        padding: 0 1;
    }
    CelEditor #cel-verdict.-ok { color: $text-success; }
    CelEditor #cel-verdict.-bad { color: $text-error; }
    CelEditor #cel-verdict.-muted { color: $text-muted; }
    CelEditor #cel-verdict.-warn { color: $text-warning; }
    """

    #: Seconds of quiet typing before the server is asked.
    DEBOUNCE: ClassVar[float] = 0.3

    class Checked(Message):
        """The local check of the current text finished (after every edit)."""

        def __init__(self, editor: CelEditor, text: str, result: CheckResult) -> None:
            super().__init__()
            self.editor = editor
            self.text = text
            self.result = result

        @property
        def control(self) -> CelEditor:
            return self.editor

    class Verdict(Message):
        """The server's verdict (or its unreachability) for the current text was shown."""

        def __init__(self, editor: CelEditor, text: str, state: str) -> None:
            super().__init__()
            self.editor = editor
            self.text = text
            self.state = state

        @property
        def control(self) -> CelEditor:
            return self.editor

    def __init__(
        self,
        text: str = "",
        *,
        context: CelContext | None = None,
        validator: Validator | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.context = context or contract_context()
        self.validator = validator
        self._initial = text
        self.result: CheckResult = check(text, self.context)
        #: Values that cannot exist ("paid", "sv"): warnings, from the sets completion offers.
        self.warnings: tuple[Diagnostic, ...] = ()
        #: "idle" (nothing asked), "waiting" (debouncing / in flight), "ok", "invalid",
        #: "unreachable", "local-invalid"
        self.server_state = "idle"
        self.server_message = ""
        #: the kind of error of the last failed server check (``NetworkError``, ...)
        self.server_failure = ""
        self.verdict: ServerVerdict | None = None
        self.server_diagnostics: tuple[Diagnostic, ...] = ()
        self._timer: Timer | None = None
        # what the problems line shows (None: nothing; "" before the first update)
        self._shown_problem: object = ""
        self._shown_verdict: tuple[str, str] | None = None
        #: the last server estimates, newest first, each with the exact text it is for
        self.history: list[tuple[str, ServerVerdict]] = []
        self._generation = 0
        self._checked_text: str | None = None

    # -- composition ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        area = CelTextArea(self._initial, id="cel-input")
        area.key_hook = self._key_hook
        area.edit_hook = self._edited
        yield area
        yield CompletionMenu(id="cel-completion")
        yield Static("", id="cel-problems", markup=False)
        yield Static("", id="cel-verdict", markup=False)

    def on_mount(self) -> None:
        self.area.set_variables(variable_names(self.context))
        self._text_changed(self.area.text, typed=False)

    @property
    def area(self) -> CelTextArea:
        return self.query_one("#cel-input", CelTextArea)

    @property
    def menu(self) -> CompletionMenu:
        return self.query_one("#cel-completion", CompletionMenu)

    @property
    def text(self) -> str:
        return self.area.text

    @text.setter
    def text(self, value: str) -> None:
        self.area.load_text(value)
        self._text_changed(value, typed=False)

    def focus_input(self) -> None:
        self.area.focus()

    def set_context(self, context: CelContext) -> None:
        """Adopt the edition's context (from ``cel-context``) and check again."""
        self.context = context
        self.area.set_variables(variable_names(context))
        self._checked_text = None
        self._text_changed(self.area.text, typed=False)

    def insert_text(self, snippet: str) -> None:
        """Insert at the cursor (replacing the selection); an empty editor takes it whole.
        Inserted after an expression, it is joined with `` && `` (never glued on:
        ``user.consentssize(orders)…``)."""
        area = self.area
        if not area.text.strip():
            area.load_text(snippet)
            area.move_cursor(area.document.end)
        else:
            text = area.text
            first, last = sorted((area.selection.start, area.selection.end))
            before = text[: position_to_offset(text, first[0] + 1, first[1] + 1)]
            after = text[position_to_offset(text, last[0] + 1, last[1] + 1) :]
            area.replace(
                join_snippet(before, snippet, after),
                *area.selection,
                maintain_selection_offset=False,
            )
        area.focus()
        self._text_changed(area.text, typed=False)

    # -- checking -------------------------------------------------------------------------------

    def _edited(self) -> None:
        self._text_changed(self.area.text, typed=True)

    @on(TextArea.Changed, "#cel-input")
    def _on_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._text_changed(self.area.text, typed=True)

    def _text_changed(self, text: str, *, typed: bool) -> None:
        if text == self._checked_text:
            return
        self._checked_text = text
        self._generation += 1
        self.server_diagnostics = ()
        result = check(text, self.context)
        self.result = result
        self.warnings = value_warnings(text, self.context) if result.ok else ()
        area = self.area
        area.set_diagnostics(result.diagnostics)
        self._show_problems()
        # The server is asked only about text that passes the local check.
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.workers.cancel_group(self, "cel-validate")
        self.verdict = None
        if not result.ok:
            self._set_server_state("local-invalid")
        elif self.validator is None:
            self._set_server_state("idle")
        else:
            self._set_server_state("waiting")
            generation = self._generation
            self._timer = self.set_timer(self.DEBOUNCE, lambda: self._ask_server(generation, text))
        if typed:
            self._update_completion(auto=True)
        self.post_message(self.Checked(self, text, result))

    def revalidate(self) -> None:
        """Ask the server again about the current text (the audience rules changed)."""
        text = self.area.text
        self._checked_text = None
        self._text_changed(text, typed=False)

    def _ask_server(self, generation: int, text: str) -> None:
        self._timer = None
        if generation != self._generation:
            return
        self.run_worker(
            self._validate(generation, text),
            group="cel-validate",
            exclusive=True,
            exit_on_error=False,
        )

    async def _validate(self, generation: int, text: str) -> None:
        validator = self.validator
        if validator is None:
            return
        try:
            verdict = await validator(text)
        except Exception as exc:  # the local verdict stands; never a toast per keystroke
            if self._is_current(generation, text):
                from preo_tui.ui.errors import describe_error

                report = describe_error(exc)
                self.server_message = report.message
                self.server_failure = report.kind
                self._set_server_state("unreachable")
            return
        if not self._is_current(generation, text):
            return  # a stale answer: the text changed since
        self.verdict = verdict
        if verdict.valid:
            self.history = [(text, verdict)] + [h for h in self.history if h[0] != text][:4]
            self._set_server_state("ok")
        else:
            self.server_diagnostics = verdict.errors
            self.area.set_diagnostics(verdict.errors, server=True)
            self._show_problems()
            self._set_server_state("invalid")

    def _is_current(self, generation: int, text: str) -> bool:
        return generation == self._generation and text == self.area.text

    def show_server_errors(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Show errors the server reported for the current text (a 400 on save)."""
        self.server_diagnostics = tuple(diagnostics)
        self.area.set_diagnostics(diagnostics, server=True)
        self._show_problems()
        self._set_server_state("invalid")

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """What is underlined now: the local diagnostics, else the server's."""
        return self.result.diagnostics or self.server_diagnostics

    def _show_problems(self) -> None:
        # Widgets are only touched when what they show changes: an update means a new layout
        # of the screen, which is most of a keystroke's cost.
        problems = self.query_one("#cel-problems", Static)
        diagnostics = self.diagnostics
        if not diagnostics and self.warnings:
            first = self.warnings[0]
            shown = ("warning", first, len(self.warnings))
            if shown != self._shown_problem:
                self._shown_problem = shown
                problems.display = True
                out = Text()
                out.append(f"⚠ line {first.line}, column {first.column}: ", style="bold")
                out.append(first.message)
                if len(self.warnings) > 1:
                    out.append(f"  (+{len(self.warnings) - 1} more)", style="dim")
                problems.update(out)
            return
        if not diagnostics:
            if self._shown_problem is not None:
                self._shown_problem = None
                problems.update("")
                problems.display = False
            return
        first = diagnostics[0]
        prefix = "server: " if not self.result.diagnostics else ""
        key = (first, prefix, len(diagnostics))
        if key == self._shown_problem:
            return
        self._shown_problem = key
        problems.display = True
        out = Text()
        out.append(f"✗ line {first.line}, column {first.column}: ", style="bold")
        out.append(prefix + first.message)
        if len(diagnostics) > 1:
            out.append(f"  (+{len(diagnostics) - 1} more)", style="dim")
        problems.update(out)

    def _set_server_state(self, state: str) -> None:
        self.server_state = state
        shown = self.verdict_text()
        if shown != self._shown_verdict:
            verdict = self.query_one("#cel-verdict", Static)
            text, cls = shown
            if self._shown_verdict is None or self._shown_verdict[1] != cls:
                verdict.set_classes(cls)
            verdict.update(text, layout=False)  # one line high whatever it says
            self._shown_verdict = shown
        if state in ("ok", "invalid", "unreachable"):
            self.post_message(self.Verdict(self, self.area.text, state))

    def verdict_text(self) -> tuple[str, str]:
        state = self.server_state
        if not self.area.text.strip():
            return "Type a condition (ctrl+n completes, ctrl+o inserts an example)", "-muted"
        if state == "local-invalid":
            return "✗ invalid: fix the condition to see how many users it selects", "-bad"
        if state == "waiting":
            return "✓ valid locally · estimating audience…", "-muted"
        if state == "unreachable":
            why = f" ({self.server_message})" if self.server_message else ""
            if self.server_failure == "Unsupported":
                what = "this server cannot check conditions"
            elif self.server_failure in _UNREACHABLE_KINDS:
                what = "server unreachable"
            else:
                what = "the server check failed"
            return f"✓ valid locally · {what}: no audience estimate{why}", "-warn"
        if state == "invalid":
            return "✗ the server rejects this condition", "-bad"
        if state == "ok" and self.verdict is not None:
            return "✓ valid · " + estimate_text(self.verdict), "-ok"
        if self.result.ok:
            return "✓ valid", "-ok"
        return "", "-muted"

    # -- completion -----------------------------------------------------------------------------

    def _key_hook(self, key: str) -> bool:
        menu = self.menu
        if key == "ctrl+n":
            if menu.is_open:
                menu.move(1)
            else:
                self._update_completion(auto=False)
            return True
        if not menu.is_open:
            return False
        if key in ("down", "ctrl+j"):
            menu.move(1)
            return True
        if key == "up":
            menu.move(-1)
            return True
        if key in ("tab", "enter"):
            self.accept_completion()
            return True
        if key == "escape":
            menu.close()
            return True
        if key in ("left", "right", "home", "end", "pageup", "pagedown"):
            menu.close()
        return False

    def open_completion(self) -> bool:
        """Open the menu at the cursor (as ``ctrl+n`` does); False when nothing applies."""
        self._update_completion(auto=False)
        return self.menu.is_open

    def _update_completion(self, *, auto: bool) -> None:
        area = self.area
        menu = self.menu
        text = area.text
        cursor = area.cursor_offset
        if len(text) > MAX_CONDITION_LENGTH or (
            auto and not menu.is_open and not _worth_opening(text, cursor)
        ):
            menu.close()
            return
        completions = complete(text, cursor, self.context)
        items = completions.items
        typed = text[completions.start : completions.end]
        if (
            not items
            # while typing, a bare position (after "(", an operator...) offers nothing: the
            # menu follows a word, a "." or a quote
            or (
                auto and not completions.prefix and completions.situation not in ("member", "value")
            )
            or (auto and len(items) == 1 and items[0].text == typed)
        ):
            menu.close()
            return
        menu.show_items(completions)
        self._place_menu()

    def _place_menu(self) -> None:
        area = self.area
        x, y = area.cursor_screen_offset
        origin = self.content_region
        prefix = 0
        completions = self.menu.completions
        if completions is not None:
            prefix = max(0, area.cursor_offset - completions.start)
        self.menu.styles.offset = (max(0, x - origin.x - prefix - 3), y - origin.y + 1)

    def accept_completion(self) -> None:
        menu = self.menu
        completions = menu.completions
        item = menu.selected()
        menu.close()
        if completions is None or item is None:
            return
        area = self.area
        text = area.text
        start = offset_to_position(text, completions.start)
        end = offset_to_position(text, completions.end)
        insert = item.text
        if completions.situation == "value" and completions.start > 0:
            # A value inside a string: close the quote (unless it is already closed).
            quote = text[completions.start - 1]
            if quote in "\"'" and text[completions.end : completions.end + 1] != quote:
                insert += quote
        area.replace(
            insert,
            (start[0] - 1, start[1] - 1),
            (end[0] - 1, end[1] - 1),
            maintain_selection_offset=False,
        )
        self._text_changed(area.text, typed=False)
        if item.text.endswith("."):
            self._update_completion(auto=False)

    @on(OptionList.OptionSelected, "#cel-completion")
    def _menu_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.menu.highlighted = event.option_index
        self.accept_completion()
        self.area.focus()

    @on(TextArea.SelectionChanged, "#cel-input")
    def _selection_changed(self, event: TextArea.SelectionChanged) -> None:
        event.stop()
        if self.menu.is_open:
            self._update_completion(auto=False)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.menu.close()


def join_snippet(before: str, snippet: str, after: str) -> str:
    """``snippet`` with what it needs to join the text around it: `` && `` after a complete
    operand, a space after an operator, and `` && `` before an operand that follows."""
    head = before.rstrip()
    out = snippet
    if head:
        if head[-1] in "([{,!" or head.endswith(("&&", "||", "==", "!=", "<", ">", "=", "?", ":")):
            out = ("" if before.endswith((" ", "\n", "(", "[", "{", "!")) else " ") + out
        else:
            out = ("" if before.endswith((" ", "\n")) else " ") + "&& " + out
    tail = after.lstrip()
    if tail and tail[0] not in ")]},&|=!<>?:":
        out += " && "
    elif tail and not after.startswith((" ", "\n")) and tail[0] in "&|":
        out += " "
    return out


def _worth_opening(text: str, cursor: int) -> bool:
    """Open the menu by itself after ``.``, an opening quote or a word character."""
    if cursor <= 0 or cursor > len(text):
        return False
    ch = text[cursor - 1]
    return ch == "." or ch == '"' or ch == "'" or ch.isalnum() or ch == "_"


def estimate_text(verdict: ServerVerdict) -> str:
    if verdict.estimated is None:
        return "no estimate from the server"
    count = f"≈ {verdict.estimated:,}"
    noun = "user" if verdict.estimated == 1 and verdict.total is None else "users"
    if verdict.total is not None:
        return f"{count} of {verdict.total:,} users"
    return f"{count} {noun}"


def parse_server_condition_errors(text: str, messages: Sequence[str]) -> list[Diagnostic]:
    """Turn a 400's ``condition`` messages ("line 1, column 6: msg; line 2, ...") into
    diagnostics at their positions (the whole first line when a message has none)."""
    import re

    pattern = re.compile(r"line (\d+), column (\d+): (.*?)(?=; line \d+, column \d+: |$)")
    out: list[Diagnostic] = []
    for message in messages:
        found = False
        for m in pattern.finditer(message):
            line, column = int(m.group(1)), int(m.group(2))
            out.append(_span_diagnostic(text, line, column, m.group(3).strip()))
            found = True
        if not found:
            out.append(_span_diagnostic(text, 1, 1, message.strip()))
    return out


def _span_diagnostic(text: str, line: int, column: int, message: str) -> Diagnostic:
    """A diagnostic at (line, column) spanning the token that starts there (at least 1)."""
    offset = position_to_offset(text, line, column)
    end = offset + 1
    for tok in tokenize(text):
        if tok.start <= offset < tok.end:
            end = tok.end
            break
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    end = max(offset + 1, min(end, line_end))
    return Diagnostic(line, column, column + (end - offset), message, "server")


def server_verdict_from(model: Any, text: str) -> ServerVerdict:
    """Build a :class:`ServerVerdict` from the client's ``CelValidation`` model."""
    valid = bool(getattr(model, "valid", False))
    # [ours] extras of the sandbox's answer: the population and whether the count is exact.
    extra: dict[str, Any] = dict(getattr(model, "model_extra", None) or {})
    total = getattr(model, "total_user_count", extra.get("total_user_count"))
    exact = getattr(model, "estimate_exact", extra.get("estimate_exact"))
    errors = []
    for err in getattr(model, "errors", []) or []:
        line = getattr(err, "line", None) or 1
        column = getattr(err, "column", None) or 1
        errors.append(_span_diagnostic(text, int(line), int(column), str(err.message)))
    estimated = getattr(model, "estimated_user_count", None)
    return ServerVerdict(
        valid=valid,
        estimated=int(estimated) if isinstance(estimated, int) else None,
        total=int(total) if isinstance(total, int) and not isinstance(total, bool) else None,
        exact=exact if isinstance(exact, bool) else None,
        errors=tuple(errors),
    )


__all__ = [
    "DIAGNOSTIC_STYLE",
    "TOKEN_STYLES",
    "CelEditor",
    "CelTextArea",
    "CompletionMenu",
    "ServerVerdict",
    "Validator",
    "estimate_text",
    "highlight_cel",
    "parse_server_condition_errors",
    "server_verdict_from",
    "variable_names",
]
