"""The ``:emails`` screen: the organization's email messages (platform defaults, templates and
edition messages).

List: title, type, scope, where (this edition, another one, template, platform), modified;
filtered by scope, type and "this edition only" (``f``), sorted by the contract's orderings
(title, created, modified: ``o`` or a header). The contract offers no text search for email
messages, so ``/`` says so instead of pretending to filter.

Detail: subject, blocks and the template variables usable in ``{{ variable }}`` placeholders.
Actions: ``p`` preview (rendered as text, with sample data or for a chosen customer),
``enter`` edit (title, subject and blocks; platform messages are read-only and say so),
``c`` duplicate, ``a`` adopt a template into the current edition, ``n`` create a message
(title, type, scope, template), ``d`` delete one (asks; platform defaults cannot be deleted
and say so without asking the server; the server's 409 while an edition or campaign uses the
message is shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from preo_tui.api.email_messages import EmailMessage, TemplateVariable
from preo_tui.ui import clock
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.formatting import value_of
from preo_tui.ui.list_actions import (
    FilterValue,
    change_filter,
    confirm_delete,
    filter_choices,
    forget_deleted,
    open_filter_picker,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.choice import Choice
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage
from preo_tui.ui.writes import perform_operation

SCOPES = ("platform", "template", "edition")
TYPES = (
    "receipt",
    "receipt_online",
    "reminder",
    "refund_confirmation",
    "user_portal_access",
    "campaign",
    "other",
)
PLATFORM_READ_ONLY = (
    "Platform messages are read-only (managed by Preo): a adopts one into this edition, "
    "c duplicates it as a template; edit the copy."
)


def block_lines(message: EmailMessage) -> Text:
    """The blocks as numbered lines (text first line; button/image url)."""
    out = Text()
    for i, block in enumerate(message.blocks or [], start=1):
        if i > 1:
            out.append("\n")
        kind = value_of(block.type) or "?"
        out.append(f"{i:>2} {kind:<8} ", style="dim")
        if kind == "divider":
            out.append("────────", style="dim")
            continue
        text = (block.text or "").strip().splitlines()
        out.append(text[0] if text else "(empty)", style="bold" if kind == "heading" else "")
        if len(text) > 1:
            out.append(" …", style="dim")
        if block.url:
            out.append(f"  → {block.url}", style="cyan")
    return out


def variables_text(variables: Sequence[TemplateVariable]) -> Text:
    out = Text()
    width = max((len(v.name) for v in variables), default=0)
    for i, v in enumerate(variables):
        if i:
            out.append("\n")
        out.append(f"{{{{ {v.name} }}}}".ljust(width + 6), style="cyan")
        out.append(f" {v.description or ''}")
        if v.example not in (None, ""):
            out.append(f"  e.g. {v.example}", style="dim")
    return out


@register_screen(
    "emails",
    title="Email messages",
    aliases=("email", "eml", "messages"),
    description="Email messages: templates, edition messages, previews",
)
class EmailsScreen(ListDetailScreen[EmailMessage]):
    SCREEN_TITLE = "Email messages"
    MARKABLE = False
    DEFAULT_ORDERING = "title"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("title", "Title", 34, ordering="title", min_width=18, priority=3, keep_end=True),
        ColumnSpec("type", "Type", 14, min_width=8, priority=1),  # as wide as its values
        ColumnSpec("scope", "Scope", 8),
        ColumnSpec("where", "Where", 12, priority=1),
        ColumnSpec("modified", "Modified", 10, ordering="modified"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "preview", "Preview", id="emails.preview"),
        Binding("enter", "edit", "Edit", id="emails.edit"),
        Binding("c", "duplicate", "Duplicate", id="emails.duplicate"),
        Binding("a", "adopt", "Adopt", id="emails.adopt"),
        Binding("n", "new", "New", id="emails.new"),
        Binding("d", "delete", "Delete", id="emails.delete"),
        Binding("f", "filters", "Filters", id="emails.filters"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "email_messages.list": "(opens)",
        "email_messages.get": "(cursor)",
        "email_messages.create": "n",
        "email_messages.delete": "d",
        "email_messages.adopt": "a",
        "email_messages.duplicate": "c",
        "email_messages.preview": "p",
    }

    DEFAULT_CSS = """
    EmailsScreen #eml-title { text-style: bold; height: auto; }
    EmailsScreen #eml-readonly { color: $warning; height: auto; }
    EmailsScreen #eml-fields { height: auto; margin-top: 1; }
    EmailsScreen .eml-section { text-style: bold; color: $text-accent; height: 1; margin-top: 1; }
    EmailsScreen #eml-blocks, EmailsScreen #eml-variables { height: auto; }
    EmailsScreen #eml-actions { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters: dict[str, str] = {}
        self.details: dict[str, EmailMessage] = {}
        self.variables: dict[str, list[TemplateVariable]] = {}
        self.current: EmailMessage | None = None

    # -- data -----------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[EmailMessage]:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return SimplePage(0, [])
        params: dict[str, Any] = {
            "organization_id": edition.organization_id,
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "scope": self.filters.get("scope"),
            "type": self.filters.get("type"),
            "edition_id": edition.id if self.filters.get("edition") else None,
        }
        page: PageLike[EmailMessage] = await self.load_list(
            "email_messages", client.email_messages.list, params, page=request.page
        )
        return page

    def row_cells(self, item: EmailMessage) -> Sequence[Any]:
        modified = item.modified
        return (
            item.title or item.id,
            value_of(item.type),
            value_of(item.scope),
            self._where(item),
            clock.day(modified, self.ctx.edition.timezone if self.ctx.edition else None),
        )

    def _where(self, item: EmailMessage) -> str:
        scope = value_of(item.scope)
        if scope in ("platform", "template"):
            return "all editions"
        edition = self.ctx.edition
        if edition is not None and item.edition_id == edition.id:
            return f"{edition.name} (this)"
        names = {e.id: e.name for e in self.preo_app.editions}
        return names.get(item.edition_id or "", "other edition")

    def context_changed(self) -> None:
        self.details.clear()
        super().context_changed()

    async def poll(self) -> None:
        await super().poll()
        self.details.clear()
        if self.current is not None:
            await self.load_detail(self.current.id)

    # -- detail ---------------------------------------------------------------------------------

    def compose_detail(self) -> ComposeResult:
        yield Static("Nothing selected", id="eml-title", markup=False)
        yield Static("", id="eml-readonly", markup=False)
        yield Static("", id="eml-fields", markup=False)
        yield Static("Blocks", classes="eml-section")
        yield Static("", id="eml-blocks", markup=False)
        yield Static("Template variables", classes="eml-section")
        yield Static("", id="eml-variables", markup=False)
        yield Static("", id="eml-actions", markup=False)

    def show_detail(self, item: EmailMessage | None) -> None:
        self.current = item
        if not self.is_mounted or not self.query("#eml-title"):
            return
        if item is None:
            self.query_one("#eml-title", Static).update("Nothing selected")
            for wid in ("#eml-readonly", "#eml-fields", "#eml-blocks", "#eml-variables",
                        "#eml-actions"):  # fmt: skip
                self.query_one(wid, Static).update("")
            return
        full = self.details.get(item.id)
        self.query_one("#eml-title", Static).update(Text(item.title or item.id, style="bold"))
        platform = value_of(item.scope) == "platform"
        readonly = self.query_one("#eml-readonly", Static)
        readonly.update(PLATFORM_READ_ONLY if platform else "")
        readonly.display = platform
        rows = [
            ("subject", (full or item).subject or "—"),
            ("type", value_of(item.type) or "—"),
            ("scope", value_of(item.scope) or "—"),
            ("where", self._where(item)),
            ("template", value_of(item.template) or "—"),
            ("id", item.id),
        ]
        fields = Text()
        for i, (key, value) in enumerate(rows):
            if i:
                fields.append("\n")
            fields.append(f"{key:<9}", style="dim")
            fields.append(value)
        self.query_one("#eml-fields", Static).update(fields)
        blocks = self.query_one("#eml-blocks", Static)
        blocks.update(block_lines(full) if full is not None else Text("loading…", style="dim"))
        variables = self.variables.get(item.id)
        self.query_one("#eml-variables", Static).update(
            variables_text(variables) if variables is not None else Text("loading…", style="dim")
        )
        keys = ["p preview"]
        if not platform:
            keys.append("enter edit")
        keys.append("c duplicate")
        if value_of(item.scope) in ("template", "platform"):
            keys.append("a adopt into this edition")
        self.query_one("#eml-actions", Static).update(" · ".join(keys))
        if full is None or variables is None:
            self.run_job(partial(self.load_detail, item.id), group="detail", exclusive=True)

    async def load_detail(self, message_id: str) -> None:
        client = self.ctx.client
        if client is None:
            return
        if message_id not in self.details:
            self.details[message_id] = await client.email_messages.get(message_id)
        if message_id not in self.variables:
            self.variables[message_id] = list(
                await client.email_messages.template_variables(message_id)
            )
        if self.current is not None and self.current.id == message_id:
            self.show_detail(self.current)

    # -- filters ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.notify(
            "The server offers no text search for email messages: f filters by scope, type "
            "and edition, o sorts.",
            timeout=5,
        )

    def _update_list_status(self) -> None:
        super()._update_list_status()
        if self.filters:
            parts = [self._window_label]
            parts.extend(
                "this edition only" if k == "edition" else f"{k}={v}"
                for k, v in sorted(self.filters.items())
            )
            if self.table.ordering:
                parts.append(f"sorted by {self.table.ordering}")
            self.query_one("#list-status", Static).update(" · ".join(parts))

    def action_filters(self) -> None:
        choices: list[Choice[FilterValue]] = [Choice(("all", None), "Clear every filter")]
        on_edition = "  •" if self.filters.get("edition") else ""
        choices.append(Choice(("edition", "yes"), f"edition: this edition only{on_edition}"))
        choices.append(Choice(("edition", None), "edition: any (templates and platform too)"))
        choices += filter_choices(self.filters, (("scope", SCOPES), ("type", TYPES)))
        open_filter_picker(self, "Filter email messages", choices, self.filters)

    def set_filter(self, key: str, value: str | None) -> None:
        """Filter by ``scope``, ``type`` or ``edition`` (None removes the filter)."""
        change_filter(self, self.filters, key, value)

    # -- actions --------------------------------------------------------------------------------

    def _selected(self) -> EmailMessage | None:
        return selected_or_warn(self, "email message")

    def _writable(self) -> bool:
        return writable_or_warn(self)

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_preview(self) -> None:
        item = self._selected()
        if item is None:
            return
        from preo_tui.ui.emails.preview import EmailPreviewScreen

        self.app.push_screen(EmailPreviewScreen(item))

    def action_edit(self) -> None:
        item = self._selected()
        if item is None:
            return
        if value_of(item.scope) == "platform":
            self.notify(PLATFORM_READ_ONLY, title="Read-only", severity="warning", timeout=8)
            return
        if not self._writable():
            return
        from preo_tui.ui.emails.editor import EmailEditorScreen

        self.app.push_screen(EmailEditorScreen(item, on_saved=self._saved))

    def _saved(self, message: EmailMessage) -> None:
        self.details[message.id] = message
        self.table.update_item(message)
        if self.current is not None and self.current.id == message.id:
            self.show_detail(message)

    async def _write(self, operation: str, item: EmailMessage, summary: str, **args: Any) -> Any:
        """One write on ``item`` as a durable action (journalled, resolved by re-reading
        when its answer is lost)."""
        return await perform_operation(
            self.ctx, f"email_messages.{operation}", summary, self, id=item.id, **args
        )

    async def _show_new(self, message: EmailMessage, verb: str) -> None:
        self.details[message.id] = message
        await self.table.reload_and_wait()
        found = self.table.move_to_id(message.id)
        where = "" if found else " (outside the current filters)"
        self.notify(f"{verb}: {message.title}{where}.", timeout=5)

    def action_duplicate(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        self.run_job(self._duplicate(item), group=f"email-{item.id}")

    async def _duplicate(self, item: EmailMessage) -> EmailMessage:
        copy: EmailMessage = await self._write(
            "duplicate",
            item,
            f"duplicate email message {item.title} ({item.id})",
        )
        await self._show_new(copy, "Duplicated")
        return copy

    def action_adopt(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        if value_of(item.scope) == "edition":
            self.notify(
                f"{item.title} already belongs to an edition; c duplicates it instead.",
                severity="warning",
                timeout=5,
            )
            return
        self.run_job(self._adopt(item), group=f"email-{item.id}")

    async def _adopt(self, item: EmailMessage) -> EmailMessage:
        edition = self.ctx.edition
        assert edition is not None
        copy: EmailMessage = await self._write(
            "adopt",
            item,
            f"adopt email template {item.title} ({item.id}) into {edition.name}",
            edition_id=edition.id,
        )
        await self._show_new(copy, f"Adopted into {edition.name}")
        return copy

    def action_new(self) -> None:
        if not self._writable():
            return
        from preo_tui.ui.emails.create import EmailCreateModal

        def done(result: EmailMessage | None) -> None:
            if result is not None:
                self.run_job(self._show_new(result, "Created"), group="email-new")

        self.app.push_screen(EmailCreateModal(self.ctx), callback=done)

    def action_delete(self) -> None:
        item = self._selected()
        if item is None or not self._writable():
            return
        if value_of(item.scope) == "platform":
            self.notify(
                f"{item.title} is a platform default (managed by Preo): it cannot be deleted.",
                severity="warning",
                timeout=5,
            )
            return
        self.run_job(self._delete(item), group=f"email-{item.id}")

    async def _delete(self, item: EmailMessage) -> None:
        if not await confirm_delete(
            self,
            "email message",
            item.title,
            item.id,
            "The server refuses while an edition or a campaign uses it.",
        ):
            return
        await self._write("delete", item, f"delete email message {item.title} ({item.id})")
        self.details.pop(item.id, None)
        await forget_deleted(self, "email_messages", item.id, item.title)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("Conflict", "PermissionDenied", "ValidationFailed"):
            self.notify(
                report.message, title="Refused by the server", severity="warning", timeout=8
            )
            return True
        return False
