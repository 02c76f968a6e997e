"""Edit an email message: title, subject and blocks (pushed from ``:emails``).

Blocks are listed in a table: ``a`` adds one (heading, text, button, image or divider) below the
cursor, ``x`` removes one, ``shift+up``/``shift+down`` move it, ``enter`` edits its text (and the
URL of a button or image). The template variables are listed beside the form. ``ctrl+s`` saves,
but only after every ``{{ placeholder }}`` in the subject and the blocks was checked against the
template variables: an unknown or malformed one is a field error and nothing is sent. Platform
messages never reach this screen (they are read-only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static, TextArea

from preo_tui.actions import Action, make
from preo_tui.api.email_messages import EmailMessage, TemplateVariable
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.emails.placeholders import check_text
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.formatting import value_of
from preo_tui.ui.list_actions import leave_editor
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.widgets.forms import field_error, hide_field_errors, show_field_error
from preo_tui.ui.writes import perform

BLOCK_TYPES = ("heading", "text", "button", "image", "divider")
NEEDS_TEXT = ("heading", "text", "button")
NEEDS_URL = ("button", "image")
FIELDS = ("title", "subject", "blocks")

Block = dict[str, Any]


def block_problems(index: int, block: Block, known: list[str]) -> list[str]:
    """What is wrong with one block (its number is 1-based in the messages)."""
    kind = str(block.get("type") or "")
    label = f"Block {index + 1} ({kind})"
    problems = []
    text = str(block.get("text") or "")
    url = str(block.get("url") or "")
    if kind in NEEDS_TEXT and not text.strip():
        problems.append(f"{label} needs a text.")
    if kind in NEEDS_URL and not url.strip():
        problems.append(f"{label} needs a URL.")
    for part, value in (("text", text), ("URL", url)):
        for problem in check_text("blocks", value, known):
            problems.append(f"{label} {part}: {problem.message}")
    return problems


class BlockModal(ModalScreen[Block | None]):
    """Edit one block's text (and URL); dismisses with the changed block or None."""

    DEFAULT_CSS = """
    BlockModal { align: center middle; }
    BlockModal > Vertical {
        width: 80; max-width: 98%; height: auto; max-height: 95%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    BlockModal .blk-title { text-style: bold; margin-bottom: 1; }
    BlockModal #blk-text { height: 6; }
    BlockModal #blk-error { color: $text-error; height: auto; }
    BlockModal .blk-buttons { height: auto; align-horizontal: right; }
    BlockModal Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="email_editor.block_cancel"),
        Binding("ctrl+s", "done", "Done", id="email_editor.block_done", priority=True),
    ]

    def __init__(self, index: int, block: Block) -> None:
        super().__init__()
        self.index = index
        self.block = dict(block)

    @property
    def kind(self) -> str:
        return str(self.block.get("type") or "")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Block {self.index + 1}: {self.kind}", classes="blk-title")
            if self.kind == "divider":
                yield Label("A divider has nothing to edit.")
            else:
                label = "Alt text" if self.kind == "image" else "Text"
                yield Label(f"{label} ({{{{ variable }}}} placeholders allowed)", markup=False)
                yield TextArea(str(self.block.get("text") or ""), id="blk-text", soft_wrap=True)
            if self.kind in NEEDS_URL:
                yield Label("URL", markup=False)
                yield Input(str(self.block.get("url") or ""), id="blk-url")
            yield Static("", id="blk-error", markup=False)
            with Horizontal(classes="blk-buttons"):
                yield Button("Cancel [esc]", id="cancel")
                yield Button("Done [ctrl+s]", id="done", variant="primary")

    def on_mount(self) -> None:
        focus = self.query("#blk-text") or self.query("#done")
        focus.first().focus()

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        if self.query("#blk-text"):
            self.block["text"] = self.query_one("#blk-text", TextArea).text
        if self.query("#blk-url"):
            self.block["url"] = self.query_one("#blk-url", Input).value.strip() or None
        if self.kind in NEEDS_TEXT and not str(self.block.get("text") or "").strip():
            self.query_one("#blk-error", Static).update("This block needs a text.")
            return
        if self.kind in NEEDS_URL and not self.block.get("url"):
            self.query_one("#blk-error", Static).update("This block needs a URL.")
            return
        self.dismiss(self.block)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class BlocksTable(DataTable[Any]):
    """The blocks of the message being edited, one row each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_block", "Add block", id="email_editor.add"),
        Binding("x,delete", "screen.remove_block", "Remove block", id="email_editor.remove"),
        Binding("shift+up", "screen.move_block(-1)", "Move up", id="email_editor.up"),
        Binding("shift+down", "screen.move_block(1)", "Move down", id="email_editor.down"),
    ]


class EmailEditorScreen(PreoScreen):
    """Edit the title, subject and blocks of one (non-platform) email message."""

    IS_FORM = True
    DIRTY_WHAT = "The email message"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="email_editor.save", priority=True),
        Binding("escape", "back", "Close", id="email_editor.close"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "email_messages.update": "ctrl+s",
        "email_messages.template_variables": "(opens)",
    }

    DEFAULT_CSS = """
    EmailEditorScreen #ed { height: 1fr; layout: horizontal; }
    EmailEditorScreen #ed-form { width: 1fr; height: 1fr; padding: 0 1; }
    EmailEditorScreen #ed-side { width: 46; height: 1fr; padding: 0 1;
        border-left: solid $panel-lighten-2; }
    EmailEditorScreen.-narrow #ed-side { display: none; }
    EmailEditorScreen .form-row { height: 1; }
    EmailEditorScreen .form-label { width: 9; color: $text-muted; }
    EmailEditorScreen #f-title, EmailEditorScreen #f-subject { width: 1fr; }
    EmailEditorScreen .field-error { color: $text-error; height: auto; margin-left: 9; }
    EmailEditorScreen #blocks { height: 1fr; min-height: 5; margin-top: 1; }
    EmailEditorScreen #f-message { height: auto; color: $text-error; }
    EmailEditorScreen #f-help { height: auto; color: $text-muted; }
    EmailEditorScreen .side-title { text-style: bold; color: $text-accent; height: 1; }
    EmailEditorScreen #vars { height: auto; }
    EmailEditorScreen #vars-inline { display: none; height: auto; color: $text-muted; }
    EmailEditorScreen.-narrow #vars-inline { display: block; }
    """

    def __init__(
        self,
        message: EmailMessage,
        *,
        on_saved: Callable[[EmailMessage], None] | None = None,
    ) -> None:
        super().__init__()
        self.message = message
        self.on_saved = on_saved
        self.blocks: list[Block] = []
        self.variables: list[TemplateVariable] | None = None
        self.loaded = False
        self.errors: dict[str, list[str]] = {}
        self.saved: EmailMessage | None = None
        self.saving = False
        #: The last write sent and not known to have succeeded (its key is reused).
        self._last_action: Action | None = None
        self.save_error: BaseException | None = None
        self._initial: tuple[str, str, list[Block]] = ("", "", [])

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base class has a plain class attribute
        return f"Edit email: {self.message.title or self.message.id}"

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="ed"):
            with Vertical(id="ed-form"):
                with Horizontal(classes="form-row"):
                    yield Label("Title", classes="form-label")
                    yield Input(self.message.title or "", id="f-title", compact=True)
                yield field_error("title")
                with Horizontal(classes="form-row"):
                    yield Label("Subject", classes="form-label")
                    yield Input(self.message.subject or "", id="f-subject", compact=True)
                yield field_error("subject")
                yield BlocksTable(id="blocks", cursor_type="row", zebra_stripes=True)
                yield field_error("blocks")
                yield Static("", id="f-message", markup=False)
                yield Static("", id="vars-inline", markup=False)
                yield Static(
                    "blocks: a add · x remove · shift+↑/↓ move · enter edit · ctrl+s save",
                    id="f-help",
                    markup=False,
                )
            with VerticalScroll(id="ed-side"):
                yield Label("Template variables", classes="side-title")
                yield Static("loading…", id="vars", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#blocks", BlocksTable)
        table.add_column("#", key="n", width=3)
        table.add_column("Type", key="type", width=8)
        table.add_column("Text / URL", key="text")
        hide_field_errors(self, FIELDS)
        self.call_after_refresh(self.query_one("#f-title", Input).focus)
        self.run_job(self.load, group="load", exclusive=True)

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")

    async def load(self) -> None:
        client = self.ctx.client
        if client is None:
            return
        full = self.message
        if full.blocks is None:
            full = await client.email_messages.get(self.message.id)
        self.blocks = [
            {"id": b.id, "type": value_of(b.type), "text": b.text or "", "url": b.url}
            for b in full.blocks or []
        ]
        self._initial = (full.title or "", full.subject or "", [dict(b) for b in self.blocks])
        self.redraw_blocks()
        self.variables = list(await client.email_messages.template_variables(full.id))
        out = Text()
        for i, v in enumerate(self.variables):
            if i:
                out.append("\n")
            out.append(f"{{{{ {v.name} }}}}", style="cyan")
            if v.description:
                out.append(f"\n  {v.description}", style="dim")
        self.query_one("#vars", Static).update(out)
        names = ", ".join(v.name for v in self.variables)
        self.query_one("#vars-inline", Static).update(f"variables: {names}")
        self.loaded = True

    # -- blocks ---------------------------------------------------------------------------------

    def redraw_blocks(self, cursor: int | None = None) -> None:
        table = self.query_one("#blocks", BlocksTable)
        keep = table.cursor_row if cursor is None else cursor
        table.clear()
        for i, block in enumerate(self.blocks):
            kind = str(block.get("type") or "?")
            text = Text(str(block.get("text") or "").replace("\n", " ⏎ "))
            if block.get("url"):
                text.append(f"  → {block['url']}", style="cyan")
            if kind == "divider":
                text = Text("────────", style="dim")
            table.add_row(str(i + 1), kind, text)
        if self.blocks:
            table.move_cursor(row=max(0, min(keep, len(self.blocks) - 1)))

    @property
    def cursor(self) -> int:
        return self.query_one("#blocks", BlocksTable).cursor_row

    def action_add_block(self) -> None:
        choices = [Choice(kind, kind) for kind in BLOCK_TYPES]

        def chosen(kind: str | None) -> None:
            if kind is None:
                return
            at = min(len(self.blocks), self.cursor + 1) if self.blocks else 0
            block: Block = {"id": None, "type": kind, "text": "", "url": None}
            if kind == "divider":
                self.blocks.insert(at, block)
                self.redraw_blocks(at)
                return

            def edited(result: Block | None) -> None:
                if result is not None:
                    self.blocks.insert(at, result)
                    self.redraw_blocks(at)

            self.app.push_screen(BlockModal(at, block), callback=edited)

        self.app.push_screen(ChoiceModal("Add which block?", choices), callback=chosen)

    def action_remove_block(self) -> None:
        if not self.blocks:
            return
        index = self.cursor
        del self.blocks[index]
        self.redraw_blocks(index)
        self.notify(f"Block {index + 1} removed (not saved yet).", timeout=3)

    def action_move_block(self, delta: int) -> None:
        index = self.cursor
        target = index + delta
        if not self.blocks or not 0 <= target < len(self.blocks):
            return
        self.blocks[index], self.blocks[target] = self.blocks[target], self.blocks[index]
        self.redraw_blocks(target)

    @on(DataTable.RowSelected, "#blocks")
    def _edit_block(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.edit_block(event.cursor_row)

    def edit_block(self, index: int) -> None:
        if not 0 <= index < len(self.blocks):
            return

        def edited(result: Block | None) -> None:
            if result is not None:
                self.blocks[index] = result
                self.redraw_blocks(index)

        self.app.push_screen(BlockModal(index, self.blocks[index]), callback=edited)

    # -- save -----------------------------------------------------------------------------------

    def values(self) -> tuple[str, str, list[Block]]:
        return (
            self.query_one("#f-title", Input).value.strip(),
            self.query_one("#f-subject", Input).value.strip(),
            self.blocks,
        )

    @property
    def dirty(self) -> bool:
        return self.saved is None and self.loaded and self.values() != self._initial

    def check(self) -> dict[str, list[str]]:
        """Every problem found locally; nothing is sent while there is one."""
        title, subject, blocks = self.values()
        known = [v.name for v in self.variables or []]
        problems: dict[str, list[str]] = {}
        if not title:
            problems["title"] = ["Give the message a title."]
        if not subject:
            problems["subject"] = ["Give the message a subject."]
        subject_problems = [p.message for p in check_text("subject", subject, known)]
        if subject_problems:
            problems.setdefault("subject", []).extend(subject_problems)
        block_errors = [m for i, b in enumerate(blocks) for m in block_problems(i, b, known)]
        if block_errors:
            problems["blocks"] = block_errors
        return problems

    def _show_errors(self, problems: dict[str, list[str]]) -> None:
        self.errors = problems
        for field in FIELDS:
            messages = problems.get(field, [])
            show_field_error(self, field, "\n".join(messages), visible=bool(messages))

    def _message(self, text: str) -> None:
        self.query_one("#f-message", Static).update(text)

    def action_save(self) -> None:
        if self.saving:
            return
        if not self.loaded:
            self._message("Not saved: the message and its template variables are still loading.")
            return
        if value_of(self.message.scope) == "platform":
            self._message("Not saved: platform messages are read-only.")
            return
        problems = self.check()
        self._show_errors(problems)
        if problems:
            count = sum(len(v) for v in problems.values())
            self._message(f"Not saved: {count} problem(s) to fix; nothing was sent.")
            return
        self.saving = True
        self._message("Saving…")
        self.run_job(self._save(), group="save", exclusive=True)

    async def _save(self) -> None:
        try:
            message = await self._write()
        except Exception as exc:
            self.save_error = exc
            raise
        finally:
            self.saving = False
        self.saved = message
        self._message("")
        self.notify(f"Saved {message.title}.", timeout=3)
        if self.on_saved is not None:
            self.on_saved(message)
        if self.is_current:
            self.dismiss()

    async def _write(self) -> EmailMessage:
        client = self.ctx.client
        if client is None:
            raise RuntimeError("not signed in")
        title, subject, blocks = self.values()
        before_title, before_subject, before_blocks = self._initial
        changes: dict[str, Any] = {}
        if title != before_title:
            changes["title"] = title
        if subject != before_subject:
            changes["subject"] = subject
        if blocks != before_blocks:
            changes["blocks"] = [
                {k: v for k, v in b.items() if k != "id" or v is not None} for b in blocks
            ]
        mid = self.message.id

        summary = f"update email message {title} ({mid}): {', '.join(changes) or 'no change'}"
        action = make("email_messages.update", summary, id=mid, **changes)
        action = action.continuing(self._last_action)
        self._last_action = action
        written: EmailMessage = await perform(self.ctx, action, self)
        self._last_action = None
        return written

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if error is not self.save_error:
            return False  # loading: the app's toast says it
        fields = report.fields or {}
        if report.kind == "ValidationFailed" and fields:
            shown = {k: [str(m) for m in v] for k, v in fields.items() if k in FIELDS}
            self._show_errors(shown)
            rest = [f"{k}: {' '.join(v)}" for k, v in fields.items() if k not in FIELDS]
            self._message("Not saved: the server refused it. " + " ".join(rest))
            return True
        self._message(f"Not saved: {report.message}")
        return report.kind in ("Conflict", "PermissionDenied", "ReadOnlyError", "OfflineError")

    def action_back(self) -> None:
        leave_editor(self, dirty=self.dirty, what="The email message")
