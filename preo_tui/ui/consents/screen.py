"""``:consents`` — the organization's consents.

Each row: name, channel, active flag, how many customers granted it, how many segments use it
(segments name their consent in ``consent_id``), and the text customers see. ``n`` creates and
``e`` edits a consent (with a preview of what customers see), ``d`` deletes one (asks; the
server refuses while a segment uses it, and the refusal is shown in the detail).

:func:`open_consent` jumps here with the cursor on one consent (``C`` on ``:segments`` and
``:users``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from preo_tui.api.consents import Consent
from preo_tui.api.segments import Segment
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.consents.form import ConsentFormModal, consent_write, preview_text
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.errors import ErrorReport, describe_error
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.list_actions import (
    confirm_delete,
    forget_deleted,
    selected_or_warn,
    writable_or_warn,
)
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage


def open_consent(app: App[Any], consent_id: str) -> bool:
    """Jump to ``:consents`` with the cursor on ``consent_id``."""
    jump = getattr(app, "jump", None)
    if jump is None or not jump("consents"):
        return False
    for screen in reversed(app.screen_stack):
        if isinstance(screen, ConsentsScreen):
            screen.focus_consent(consent_id)
            return True
    return False


@register_screen(
    "consents",
    title="Consents",
    description="Consents customers grant: create, edit, delete; segments using each",
    aliases=("consent",),
    needs_edition=False,
)
class ConsentsScreen(ListDetailScreen[Consent]):
    SCREEN_TITLE = "Consents"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 24, ordering="name", min_width=14, priority=3, keep_end=True),
        ColumnSpec("channel", "Chan", 5),
        ColumnSpec("active", "Active", 6),
        ColumnSpec("users", "Users", 6, justify="right"),
        ColumnSpec("segments", "Segs", 4, justify="right"),
        ColumnSpec("text", "Text shown to customers", 40, min_width=24, priority=1),
    ]
    DEFAULT_ORDERING = "name"
    MARKABLE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="consents.new"),
        Binding("e,enter", "edit", "Edit", id="consents.edit"),
        Binding("d", "delete", "Delete", id="consents.delete"),
    ]

    PERFORMS: ClassVar[dict[str, str]] = {
        "consents.list": "(opens)",
        "consents.get": "(cursor)",
        "consents.create": "n",
        "consents.update": "e",
        "consents.delete": "d",
    }

    DEFAULT_CSS = """
    ConsentsScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    ConsentsScreen.-wide #list-pane { width: 5fr; }
    ConsentsScreen.-wide #detail-pane { width: 3fr; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        #: segments of the organization by consent id (names), None until read
        self.usage: dict[str, list[str]] | None = None
        #: full consents read with "Retrieve consent", by id
        self.details: dict[str, Consent] = {}
        self.refusal: tuple[str, str] | None = None
        self._focus_pending: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(
            "n new · e/enter edit · d delete   (/ searches names)", id="filter-bar", markup=False
        )
        yield from super().compose_body()

    # -- data ---------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[Consent]:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return SimplePage(0, [])
        params = {
            "organization_id": org.id,
            "search": request.search,
            "ordering": request.ordering,
            "page": request.page,
            "page_size": request.page_size,
        }
        page: PageLike[Consent] = await self.load_list(
            "consents", client.consents.list, params, page=request.page, scoped=False
        )
        if self.usage is None:
            self.run_job(self._load_usage, group="consent-usage", exclusive=True)
        return page

    async def _load_usage(self) -> None:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return
        usage: dict[str, list[str]] = {}
        segments: list[Segment] = []
        page_no = 1
        while True:
            params = {"organization_id": org.id, "page": page_no, "page_size": 500}
            query = self.data_query(
                "segments", lambda p=params: client.segments.list(**p), scoped=False, **params
            )
            page = await self.load_data(query)
            segments.extend(page.results)
            if not page.next or not page.results:
                break
            page_no += 1
        for segment in segments:
            if segment.consent_id:
                usage.setdefault(segment.consent_id, []).append(segment.name or segment.id)
        self.usage = usage
        if self.is_attached:
            for item in self.table.items:
                self.table.update_item(item)

    def row_cells(self, item: Consent) -> Sequence[Any]:
        used = self.usage.get(item.id, []) if self.usage is not None else None
        return (
            item.name or "—",
            enum_text(item.channel) if item.channel is not None else "—",
            "yes" if item.is_active else "no",
            Text(f"{item.user_count:,}" if item.user_count is not None else "—", justify="right"),
            Text("…" if used is None else str(len(used)), justify="right"),
            (item.description or "").replace("\n", " "),
        )

    def context_changed(self) -> None:
        self.usage = None
        self.details.clear()
        super().context_changed()

    # -- jump target --------------------------------------------------------------------------

    def focus_consent(self, consent_id: str) -> None:
        if self.is_mounted and self.table.move_to_id(consent_id):
            self.table.focus()
            return
        self._focus_pending = consent_id

    def on_paged_table_window_changed(self) -> None:
        if self._focus_pending and self.table.move_to_id(self._focus_pending):
            self._focus_pending = None

    # -- detail -------------------------------------------------------------------------------

    def show_detail(self, item: Consent | None) -> None:
        content = self.query("#detail-content")
        if not content:
            return
        widget = content.first(Static)
        if item is None:
            widget.update("No consent selected.")
            return
        item = self.details.get(item.id, item)
        text = Text()
        text.append(f"{item.name or item.id}\n", style="bold")
        text.append(f"{item.id}\n\n", style="dim")
        channel = enum_text(item.channel) if item.channel is not None else "—"
        text.append(f"Channel    {channel}\n")
        text.append(f"Active     {'yes' if item.is_active else 'no'}\n")
        users = f"{item.user_count:,}" if item.user_count is not None else "—"
        text.append(f"Granted by {users} customers\n")
        scope = "the whole organization"
        if item.edition_id:
            names = {e.id: e.name for e in self.preo_app.editions}
            scope = names.get(item.edition_id) or item.edition_id
        text.append(f"Scope      {scope}\n")
        text.append(f"Modified   {fmt_when(item.modified)}\n\n")
        text.append_text(preview_text(item.name or "", channel, item.description or ""))
        text.append("\n\nUsed by segments\n", style="bold")
        used = self.usage.get(item.id, []) if self.usage is not None else None
        if used is None:
            text.append("  …\n", style="dim")
        elif not used:
            text.append("  none (it can be deleted)\n", style="dim")
        else:
            for name in used:
                text.append(f"  {name}\n")
        if self.refusal is not None and self.refusal[0] == item.id:
            text.append(f"\n{self.refusal[1]}\n", style="bold red")
        widget.update(text)
        if item.id not in self.details:
            self.run_job(
                partial(self._load_detail, item.id), group="consent-detail", exclusive=True
            )

    async def _load_detail(self, consent_id: str) -> None:
        client = self.ctx.client
        if client is None:
            return
        full = await client.consents.get(consent_id)
        self.details[consent_id] = full
        current = self.table.current_item if self.is_attached else None
        if current is not None and current.id == consent_id:
            self.show_detail(current)

    # -- actions ------------------------------------------------------------------------------

    def action_new(self) -> None:
        if writable_or_warn(self, refuse_offline=True):
            self._open_form(None)

    def action_edit(self) -> None:
        item = selected_or_warn(self, "consent")
        if item is not None and writable_or_warn(self, refuse_offline=True):
            self._open_form(self.details.get(item.id, item))

    def _open_form(self, consent: Consent | None) -> None:
        def done(result: Consent | None) -> None:
            if result is None:
                return
            self.notify(f"Saved {result.name or result.id}.", timeout=3)
            self.details[result.id] = result
            if consent is None:
                self.run_job(self._reload_at(result.id), group="consent-reload")
            else:
                self.table.update_item(result)

        self.app.push_screen(ConsentFormModal(self.ctx, consent), callback=done)

    async def _reload_at(self, consent_id: str) -> None:
        await self.table.reload_and_wait()
        self.table.move_to_id(consent_id)

    def action_delete(self) -> None:
        item = selected_or_warn(self, "consent")
        if item is not None and writable_or_warn(self, refuse_offline=True):
            self.run_job(self._delete(item), group="consent-delete", exclusive=True)

    async def _delete(self, item: Consent) -> None:
        used = (self.usage or {}).get(item.id, [])
        body = "Customers' grants of this consent are removed with it."
        if used:
            body += f"\nUsed by {len(used)} segment(s): the server will refuse."
        if not await confirm_delete(self, "consent", item.name, item.id, body):
            return
        client = self.ctx.client
        assert client is not None
        self.refusal = None

        try:
            await consent_write(
                self.ctx, "delete", f"delete consent {item.name or item.id}", id=item.id
            )
        except Exception as exc:
            report = describe_error(exc)
            if report.kind != "Conflict":
                raise
            self.refusal = (item.id, f"Refused by the server: {report.message}")
            self.notify(self.refusal[1], severity="error", timeout=6)
            self.show_detail(self.table.current_item)
            return
        self.details.pop(item.id, None)
        await forget_deleted(self, "consents", item.id, item.name or item.id)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if report.kind in ("PermissionDenied", "NotFound"):
            self.notify(f"Refused by the server: {report.message}", severity="error", timeout=6)
            return True
        return False
