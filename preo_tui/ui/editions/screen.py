"""``:editions`` — the organization's editions.

The list pages from the server with the contract's filters (``status`` upcoming/current/past/
no_dates, drafts, archived) and orderings (created, modified, start, end, name). The detail
pane shows the edition's settings and its healthcheck as a checklist. ``enter`` makes the edition
under the cursor the current edition of the whole app; ``n`` creates a new edition (in the event
of the one under the cursor), ``e`` edits, ``c`` duplicates, ``h`` re-runs the healthcheck.

The contract offers no text search on editions: the ``/`` filter narrows the loaded page by
name, full name or slug (an organization has a handful of editions, one page holds them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Static

from preo_tui.api.editions import Edition, HealthCheck
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.context import EditionRef
from preo_tui.ui.editions.detail import EditionDetail, edition_flags
from preo_tui.ui.editions.fields import fmt_day, run_latest
from preo_tui.ui.editions.form import DuplicateEditionModal, EditionFormModal
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage

STATUS_CHOICES: tuple[tuple[str | None, str], ...] = (
    (None, "any status"),
    ("upcoming", "upcoming"),
    ("current", "current"),
    ("past", "past"),
    ("no_dates", "no dates"),
)
TRISTATE: dict[str, tuple[tuple[bool | None, str], ...]] = {
    "draft": ((None, "drafts and published"), (True, "drafts only"), (False, "published only")),
    "archived": ((False, "archived hidden"), (True, "archived only"), (None, "archived and not")),
}


def edition_ref(edition: Edition) -> EditionRef:
    return EditionRef(
        id=edition.id,
        name=edition.name or edition.id,
        organization_id=edition.organization_id or "",
        timezone=edition.timezone or "UTC",
        currency=edition.currency,
    )


@register_screen(
    "editions",
    title="Editions",
    description="Editions of the organization: filter, create, edit, duplicate, healthcheck",
    needs_edition=False,
)
class EditionsScreen(ListDetailScreen[Edition]):
    SCREEN_TITLE = "Editions"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        # Names first (issue 15): flags and the creation/modification days (in the detail
        # pane too) give up their room before a name is cut.
        ColumnSpec("name", "Name", 12, ordering="name", min_width=10, priority=3),
        ColumnSpec("full_name", "Full name", 28, min_width=16, priority=3, keep_end=True),
        ColumnSpec("status", "Status", 9, min_width=8),
        ColumnSpec("start", "Start", 10, ordering="start_date"),
        ColumnSpec("end", "End", 10, ordering="end_date"),
        ColumnSpec("flags", "Flags", 14, min_width=5, priority=1),
        ColumnSpec("created", "Created", 10, ordering="created", min_width=5),
        ColumnSpec("modified", "Modified", 10, ordering="modified", min_width=5),
    ]
    DEFAULT_ORDERING = "-start_date"
    MARKABLE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Use edition", id="editions.choose"),
        Binding("s", "filter_status", "Status", id="editions.status"),
        Binding("d", "filter_draft", "Drafts", id="editions.drafts"),
        Binding("a", "filter_archived", "Archived", id="editions.archived"),
        Binding("n", "new", "New", id="editions.new"),
        Binding("e", "edit", "Edit", id="editions.edit"),
        Binding("c", "duplicate", "Duplicate", id="editions.duplicate"),
        Binding("h", "healthcheck", "Healthcheck", id="editions.healthcheck"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "editions.list": "(opens)",
        "editions.get": "(cursor)",
        "editions.create": "n",
        "editions.update": "e",
        "editions.duplicate": "c",
        "editions.field_choices": "n",
        "editions.healthcheck": "h",
    }

    DEFAULT_CSS = """
    EditionsScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.status: str | None = None
        self.draft: bool | None = None
        self.archived: bool | None = False
        self.health: dict[str, HealthCheck] = {}
        #: Full editions read with "Get edition details", by id.
        self.full: dict[str, Edition] = {}
        self._health_timer: Timer | None = None

    # -- composition --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(self.filter_summary(), id="filter-bar", markup=False)
        yield from super().compose_body()

    def compose_detail(self) -> ComposeResult:
        yield EditionDetail(id="edition-detail")

    def filter_summary(self) -> str:
        status = dict(STATUS_CHOICES)[self.status]
        draft = dict(TRISTATE["draft"])[self.draft]
        archived = dict(TRISTATE["archived"])[self.archived]
        return f"{status} · {draft} · {archived}   (s status, d drafts, a archived, / name)"

    # -- data ---------------------------------------------------------------------------------

    def filter_params(self) -> dict[str, Any]:
        org = self.ctx.organization
        return {
            "organization_id": org.id if org else None,
            "status": self.status,
            "is_draft": self.draft,
            "is_archived": self.archived,
        }

    async def load_page(self, request: PageRequest) -> PageLike[Edition]:
        client = self.ctx.client
        if client is None or self.ctx.organization is None:
            return SimplePage(0, [])
        params = {
            **self.filter_params(),
            "ordering": request.ordering,
            "page": request.page,
            "page_size": request.page_size,
        }
        page: PageLike[Edition] = await self.load_list(
            "editions", client.editions.list, params, page=request.page, scoped=False
        )
        needle = (request.search or "").lower()
        if not needle:
            return page
        found = [
            e
            for e in page.results
            if any(needle in (v or "").lower() for v in (e.name, e.full_name, e.slug))
        ]
        return SimplePage(len(found), found)

    def row_cells(self, item: Edition) -> Sequence[Any]:
        tz = item.timezone
        status = enum_text(item.status)
        style = {"current": "bold green", "upcoming": "cyan", "past": "dim"}.get(status, "")
        current = self.ctx.edition
        name = Text(item.name or item.id)
        if current is not None and current.id == item.id:
            name = Text("▸ " + (item.name or item.id), style="bold")
        return (
            name,
            item.full_name or "",
            Text(status, style=style),
            fmt_day(item.start_date, tz) if item.start_date else "—",
            fmt_day(item.end_date, tz) if item.end_date else "—",
            edition_flags(item),
            fmt_day(item.created, tz),
            fmt_day(item.modified, tz),
        )

    def show_detail(self, item: Edition | None) -> None:
        detail = self.query_one(EditionDetail)
        # the row at once; the full object (Get edition details) fills in when it arrives
        detail.show(self.newest(item) if item is not None else None)
        if self._health_timer is not None:
            self._health_timer.stop()
            self._health_timer = None
        if item is None:
            return
        cached = self.health.get(item.id)
        if cached is not None:
            detail.show_health(cached)
        # Fetch the healthcheck once the cursor rests (a held j/k does not send a request per row).
        self._health_timer = self.set_timer(0.15, lambda: self._start_health(item.id))

    def newest(self, item: Edition) -> Edition:
        """The full object when it is at least as recent as the row (a row written since,
        e.g. after ``e``, wins until the full object is read again)."""
        full = self.full.get(item.id)
        if full is None:
            return item
        if (
            item.modified is not None
            and full.modified is not None
            and item.modified > full.modified
        ):
            return item
        return full

    def _start_health(self, edition_id: str) -> None:
        self._health_timer = None
        run_latest(self, partial(self.load_health, edition_id), group="health")
        run_latest(self, partial(self.load_full, edition_id), group="edition-full")

    async def load_full(self, edition_id: str) -> Edition | None:
        """Get edition details: the full object replaces the list row in the detail pane."""
        client = self.ctx.client
        if client is None:
            return None
        full: Edition = await client.editions.get(edition_id)
        self.full[edition_id] = full
        current = self.table.current_item
        if current is not None and current.id == edition_id and self.is_attached:
            detail = self.query_one(EditionDetail)
            detail.show(full)
            health = self.health.get(edition_id)
            if health is not None:
                detail.show_health(health)
        return full

    async def load_health(self, edition_id: str) -> HealthCheck | None:
        client = self.ctx.client
        if client is None:
            return None
        health: HealthCheck = await client.editions.healthcheck(edition_id)
        self.health[edition_id] = health
        current = self.table.current_item
        if current is not None and current.id == edition_id:
            self.query_one(EditionDetail).show_health(health)
        return health

    def handle_error(self, report: Any, error: BaseException) -> bool:
        if getattr(report, "kind", "") in ("Unsupported", "NotFound", "PermissionDenied"):
            item = self.table.current_item
            if item is not None and self.is_attached:
                self.query_one(EditionDetail).show_health(
                    None, note=f"Healthcheck unavailable: {report.message}"
                )
                return True
        return False

    # -- choosing -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        item = self.table.current_item
        if item is None:
            return
        ref = edition_ref(item)
        self.preo_app.set_edition(ref)
        self.notify(f"Current edition: {item.full_name or item.name}", timeout=3)
        # context_changed() follows (the app broadcasts the new edition) and re-marks the row.

    def context_changed(self) -> None:
        # The current edition is marked in the list; the list itself is the organization's.
        if self.is_attached:
            self.table.reload(keep_cursor=True)

    # -- filters ------------------------------------------------------------------------------

    def _apply_filters(self) -> None:
        self.query_one("#filter-bar", Static).update(self.filter_summary())
        self.table.reload()

    def action_filter_status(self) -> None:
        def chosen(value: str | None) -> None:
            if value is None:
                return
            self.status = None if value == "any" else value
            self._apply_filters()

        choices = [Choice(v or "any", label) for v, label in STATUS_CHOICES]
        self.app.push_screen(
            ChoiceModal("Status", choices, current=self.status or "any"), callback=chosen
        )

    def _tristate(self, name: str) -> None:
        options = TRISTATE[name]
        encode = {None: "any", True: "yes", False: "no"}
        decode = {v: k for k, v in encode.items()}
        current = getattr(self, name)

        def chosen(value: str | None) -> None:
            if value is None:
                return
            setattr(self, name, decode[value])
            self._apply_filters()

        choices = [Choice(encode[v], label) for v, label in options]
        title = "Drafts" if name == "draft" else "Archived editions"
        self.app.push_screen(ChoiceModal(title, choices, current=encode[current]), callback=chosen)

    def action_filter_draft(self) -> None:
        self._tristate("draft")

    def action_filter_archived(self) -> None:
        self._tristate("archived")

    # -- writes -------------------------------------------------------------------------------

    def _writable(self) -> bool:
        if self.ctx.read_only:
            self.notify("This profile is read-only.", severity="warning", timeout=4)
            return False
        if self.ctx.offline:
            self.notify("Offline: writes are refused.", severity="warning", timeout=4)
            return False
        return self.ctx.client is not None

    async def _choices(self, edition_id: str) -> dict[str, list[Any]] | None:
        client = self.ctx.require_client()
        try:
            query = self.data_query(
                "editions",
                lambda: client.editions.field_choices(edition_id),
                scoped=False,
                id=edition_id,
                view="field-choices",
            )
            entry = self.ctx.store.peek(query) if self.ctx.store is not None else None
            if entry is not None:
                value: dict[str, list[Any]] = entry.value
                return value
            loaded: dict[str, list[Any]] = await self.load_data(query)
            return loaded
        except Exception as exc:
            from preo_tui.ui.errors import describe_error

            report = describe_error(exc)
            if report.kind in ("Unsupported", "NotFound"):
                return None  # the form falls back to the contract's lists
            raise

    def action_new(self) -> None:
        if self._writable():
            self.run_job(self._open_form("create"), group="form", exclusive=True)

    def action_edit(self) -> None:
        if self._writable() and self.table.current_item is not None:
            self.run_job(self._open_form("edit"), group="form", exclusive=True)

    async def _open_form(self, mode: str) -> None:
        base = self.table.current_item
        if base is None and mode == "edit":
            return
        choices = await self._choices(base.id) if base is not None else None
        org = self.ctx.organization
        form = EditionFormModal(
            self.ctx,
            mode="create" if mode == "create" else "edit",
            edition=base,
            choices=choices,
            organization_id=(base.organization_id if base else None) or (org.id if org else ""),
            event_id=(base.event_id or "") if base else "",
        )
        verb = "Created" if mode == "create" else "Saved"

        def done(result: Edition | None) -> None:
            if isinstance(result, Edition):
                self._saved(result, verb)

        # Pushed, not awaited: the job ends here and the form lives on its own.
        self.app.push_screen(form, callback=done)

    def action_duplicate(self) -> None:
        item = self.table.current_item
        if item is None or not self._writable():
            return

        def done(result: Edition | None) -> None:
            if isinstance(result, Edition):
                self._saved(result, "Duplicated as")

        self.app.push_screen(DuplicateEditionModal(self.ctx, item), callback=done)

    def _saved(self, edition: Edition, verb: str) -> None:
        self.notify(f"{verb} {edition.full_name or edition.name} ({edition.id})", timeout=4)
        self.health.pop(edition.id, None)
        self.run_job(self._reload_to(edition.id), group="reload", exclusive=True)
        self.run_job(self._refresh_switcher(), group="edition-switcher", exclusive=True)

    async def _refresh_switcher(self) -> None:
        """Created, duplicated and renamed editions show at once in the edition switcher
        (``e``, the palette, ``:edition``) and, for the current one, in the header."""
        app = self.preo_app
        before = self.ctx.edition
        reload = getattr(app, "_load_editions", None)
        if reload is None:
            return
        await reload()
        after = self.ctx.edition
        if after != before:
            self.ctx.edition = before
            app.set_edition(after)

    async def _reload_to(self, edition_id: str) -> None:
        await self.table.reload_and_wait()
        self.table.move_to_id(edition_id)

    def action_healthcheck(self) -> None:
        item = self.table.current_item
        if item is not None:
            self.health.pop(item.id, None)
            self.query_one(EditionDetail).show_health(None)
            run_latest(self, partial(self.load_health, item.id), group="health")
