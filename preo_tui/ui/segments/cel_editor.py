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

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import OptionList, Static, TextArea

from preo_tui.cel import (
    MAX_CONDITION_LENGTH,
    CelContext,
    CheckResult,
    Diagnostic,
    check,
    complete,
    contract_context,
    offset_to_position,
    position_to_offset,
)
from preo_tui.cel.values import value_warnings
from preo_tui.ui.segments.cel_highlight import (
    DIAGNOSTIC_STYLE,
    TOKEN_STYLES,
    CelTextArea,
    CompletionMenu,
    highlight_cel,
)
from preo_tui.ui.segments.cel_highlight import (
    _token_marks as _token_marks,  # re-exported for the tests
)
from preo_tui.ui.segments.cel_verdict import (
    ServerVerdict,
    Validator,
    estimate_text,
    parse_server_condition_errors,
    server_verdict_from,
)


def variable_names(context: CelContext) -> tuple[str, ...]:
    return tuple(name for name, _ in context.variables)


#: Failures that mean the server could not answer at all (the local verdict stands).
_UNREACHABLE_KINDS = frozenset(
    {"NetworkError", "OfflineError", "ServerError", "RateLimited", "DecodeError", "AuthError"}
)


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
