"""Base classes for the app's screens.

``PreoScreen`` is the frame every screen shares: the header (environment badge, user, role,
organization › edition), the body the subclass composes in ``compose_body``, the status line
and the Footer. It gives every screen:

- ``self.ctx`` (the app's :class:`~preo_tui.ui.context.AppContext`);
- ``run_job(coro)``: run slow work in a worker whose failure reaches the app's single failure
  handler (a toast, or ``handle_error`` for an inline message) — never a traceback;
- a poller: override ``async def poll()`` and set ``POLL_INTERVAL`` (seconds, or
  ``"settings"`` to follow the profile's refresh interval); the next poll is armed only when the
  previous one finished, it pauses while the screen is hidden and backs off while the server
  fails;
- ``data_as_of`` (a UTC datetime) shown as the data's age in the status line;
- ``on_context_changed`` / ``context_changed()`` when the organization or edition changes.

The data part (store queries, the data's age, ``follow_data``) is the ``ScreenData`` mixin in
``base_data.py``, the poller the ``ScreenPolling`` mixin in ``base_poll.py``.

``ListDetailScreen[T]`` adds a server-paged list (``PagedTable``) with a detail pane, the ``/``
filter, ``j``/``k``/``g``/``G``, marks and sorting. A subclass declares ``COLUMNS``, implements
``load_page`` (through the store or client) and ``row_cells``, and optionally ``show_detail``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from preo_tui.ui.base_data import ScreenData
from preo_tui.ui.base_poll import MAX_BACKOFF as MAX_BACKOFF  # re-exported
from preo_tui.ui.base_poll import ScreenPolling
from preo_tui.ui.context import AppContext, ContextChanged, EditionChanged
from preo_tui.ui.errors import ErrorReport
from preo_tui.ui.widgets.footer import StableFooter
from preo_tui.ui.widgets.frame import PreoHeader, StatusLine
from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageLike, PageRequest

if TYPE_CHECKING:
    from preo_tui.ui.app import PreoApp

T = TypeVar("T")


def forward_worker_failure(node: Any, event: Worker.StateChanged) -> None:
    """Send a failed worker's error to ``PreoApp.report_error`` (the single failure handler).
    Call it from ``on_worker_state_changed`` of any widget that runs workers itself."""
    if event.state is not WorkerState.ERROR or event.worker.error is None:
        return
    report = getattr(node.app, "report_error", None)
    if report is not None:
        report(event.worker.error, node=node)


def describe_fields(item: Any) -> str:
    """``field  value`` lines for a model (None fields left out; nested values compact)."""
    dump = getattr(item, "model_dump", None)
    data: dict[str, Any] = dump() if callable(dump) else dict(getattr(item, "__dict__", {}))
    width = max((len(k) for k in data), default=0)
    lines = []
    for key, value in data.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, datetime):
            text = value.isoformat(sep=" ", timespec="minutes")
        elif isinstance(value, dict):
            text = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
        elif isinstance(value, list):
            text = f"{len(value)} items"
        else:
            text = str(value)
        lines.append(f"{key.ljust(width)}  {text}")
    return "\n".join(lines)


class PreoScreen(ScreenData, ScreenPolling, Screen[None]):
    """A screen inside the frame (header, status line, footer)."""

    #: Shown at the right of the header and in the palette.
    SCREEN_TITLE: ClassVar[str] = ""
    #: Seconds between polls, ``"settings"`` for the profile's refresh interval, None: no poll.
    POLL_INTERVAL: ClassVar[float | Literal["settings"] | None] = None
    #: A form or editor: the app's single-letter keys (``q``, ``e``, ``:``, ``?``) are off
    #: while it is on top. Its ``dirty`` property (True: unsaved changes) makes every way out
    #: (escape, ctrl+q, a jump, the palette, a profile switch) ask first.
    IS_FORM: ClassVar[bool] = False
    #: How the unsaved-changes question names this form ("The campaign").
    DIRTY_WHAT: ClassVar[str] = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="screen.back", show=False),
        Binding("r", "refresh", "Refresh", id="screen.refresh"),
    ]

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.data_as_of: datetime | None = None
        self.status_note: str = ""
        self.change_reason: str = ""
        self._poll_timer: Timer | None = None
        self._poll_failures = 0
        self._poll_running = False
        self._data_follows: list[Any] = []
        self._followed_store: Any = None

    # -- frame --------------------------------------------------------------------------------

    @property
    def preo_app(self) -> PreoApp:
        from preo_tui.ui.app import PreoApp

        app = self.app
        assert isinstance(app, PreoApp)
        return app

    @property
    def ctx(self) -> AppContext:
        return self.preo_app.ctx

    def compose(self) -> ComposeResult:
        yield PreoHeader(self.SCREEN_TITLE)
        with Container(id="body"):
            yield from self.compose_body()
        yield StatusLine()
        yield StableFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own content (override)."""
        yield from ()

    def on_mount(self) -> None:
        """Nothing to do (Textual calls every class's ``on_mount`` itself, base classes
        included; calling ``super().on_mount()`` is harmless)."""

    # -- context ------------------------------------------------------------------------------

    #: Changes that do not alter the data a screen shows (only the frame is redrawn).
    FRAME_ONLY_CHANGES: ClassVar[frozenset[str]] = frozenset({"screens", "connection", "profile"})

    def on_context_changed(self, message: ContextChanged) -> None:
        self._context_changed_common(message.what)

    def on_edition_changed(self, message: EditionChanged) -> None:
        self._context_changed_common(message.what)

    def _context_changed_common(self, what: str) -> None:
        self.change_reason = what
        for header in self.query(PreoHeader):
            header.refresh_context()
        self._refresh_status()
        if what in self.FRAME_ONLY_CHANGES:
            self.frame_changed()
        else:
            self.context_changed()

    def context_changed(self) -> None:
        """Called when the organization, edition or session changed (override to reload);
        ``self.change_reason`` says which ("edition", "organization", "session")."""

    def frame_changed(self) -> None:
        """Called when only the frame changed (screens registered, connection state, the
        sandbox's address): redraw what depends on it, no reload needed."""

    # -- workers and errors -------------------------------------------------------------------

    def run_job(
        self,
        work: Awaitable[Any] | Callable[[], Awaitable[Any]],
        *,
        name: str = "",
        group: str = "default",
        exclusive: bool = False,
    ) -> Worker[Any]:
        """Run ``work`` (a coroutine, or an async callable: preferred for ``exclusive`` jobs, as
        a cancelled job then leaves no never-awaited coroutine) in a worker; failures go to
        the app's failure handler."""
        return self.run_worker(
            work, name=name, group=group, exclusive=exclusive, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker messages do not bubble: hand this screen's failures to the app's handler."""
        forward_worker_failure(self, event)

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        """Show a failure inline; return True when handled (the app then shows no toast)."""
        return False

    # -- navigation ---------------------------------------------------------------------------

    def action_back(self) -> None:
        self.preo_app.go_back()

    def action_block_reason(self, action: str) -> str | None:
        """Why ``action`` (disabled by ``check_action``) cannot act now: the screen's own
        ``global_block_reason()`` when it has one, else read-only/offline. The app shows it
        with the one "not possible now" toast when its key is pressed."""
        own = getattr(self, "global_block_reason", None)
        if callable(own):
            reason = own()
            if reason:
                return str(reason)
        from preo_tui.ui.list_actions import blocked_reason

        return blocked_reason(self.ctx) or "not available in this state."


class ListDetailScreen(PreoScreen, Generic[T]):
    """A server-paged list with a detail pane and the ``/`` filter.

    Subclasses set ``COLUMNS`` and ``DEFAULT_ORDERING``, implement ``load_page`` and
    ``row_cells``, and usually ``show_detail`` (default: the item's fields). The detail pane
    sits beside the list on wide terminals and below it on narrow ones.
    """

    COLUMNS: ClassVar[Sequence[ColumnSpec]] = ()
    DEFAULT_ORDERING: ClassVar[str | None] = None
    PAGE_SIZE: ClassVar[int] = 100
    #: Pages beyond this one are read straight from the client, not kept in the store (for
    #: lists that reach 100,000 rows: caching every page would evict the other screens'
    #: data and keep hundreds of thousands of objects alive). None: every page is cached.
    CACHED_PAGES: ClassVar[int | None] = None
    MARKABLE: ClassVar[bool] = True
    #: Width at or above which the detail pane goes beside the list.
    WIDE_AT: ClassVar[int] = 120
    POLL_INTERVAL = "settings"
    AUTO_FOCUS = "#list-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="list.filter"),
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    DEFAULT_CSS = """
    ListDetailScreen #list-detail { height: 1fr; layout: vertical; }
    ListDetailScreen.-wide #list-detail { layout: horizontal; }
    ListDetailScreen #list-pane { height: 1fr; width: 1fr; }
    ListDetailScreen #detail-pane { height: 1fr; border-top: solid $panel-lighten-2; padding: 0 1; }
    ListDetailScreen.-wide #detail-pane { width: 2fr; height: 1fr; border-top: none; border-left: solid $panel-lighten-2; }
    ListDetailScreen.-wide #list-pane { width: 3fr; }
    ListDetailScreen #list-filter {
        display: none; height: 1; border: none !important; padding: 0 1; background: $boost;
    }
    ListDetailScreen #list-filter:focus { background: $primary 35%; }
    ListDetailScreen #list-filter.-visible { display: block; }
    ListDetailScreen #list-status { height: 1; color: $text-muted; padding: 0 1; }
    ListDetailScreen.-no-detail #detail-pane { display: none; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filter_text: str = ""
        self._filter_timer: Timer | None = None
        self._window_label = "loading…"
        #: Stale-while-revalidate: the first page a freshly opened list asks for is served
        #: from the store's cache when it has one (drawn at once, marked with its age), and
        #: the window is re-read from the server as soon as it is on screen.
        self._cache_first = True
        self._revalidate_pending = False

    # -- to override --------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[T]:
        """Fetch one page (``request.search`` is the ``/`` filter text)."""
        raise NotImplementedError

    def row_cells(self, item: T) -> Sequence[Any]:
        """The cells of one row, in ``COLUMNS`` order."""
        raise NotImplementedError

    def row_id(self, item: T) -> str:
        return str(getattr(item, "id"))  # noqa: B009 - items are typed by the subclass

    def compose_detail(self) -> ComposeResult:
        """The detail pane's content (default: one Static the default ``show_detail`` fills)."""
        yield Static("", id="detail-content", markup=False)

    def show_detail(self, item: T | None) -> None:
        """Show ``item`` in the detail pane (override for a proper layout)."""
        content = self.query("#detail-content")
        if content:
            widget = content.first(Static)
            widget.update("Nothing selected" if item is None else describe_fields(item))

    # -- composition --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Container(id="list-detail"):
            with Vertical(id="list-pane"):
                yield Input(
                    placeholder="filter (enter applies, escape clears)",
                    id="list-filter",
                    compact=True,
                )
                yield self.build_table()
                yield Static(self._window_label, id="list-status", markup=False)
            with VerticalScroll(id="detail-pane"):
                yield from self.compose_detail()

    def build_table(self) -> PagedTable[T]:
        return PagedTable[T](
            columns=self.COLUMNS,
            loader=self._load_page,
            row_cells=self.row_cells,
            row_id=self.row_id,
            ordering=self.DEFAULT_ORDERING,
            page_size=self._page_size(),
            markable=self.MARKABLE,
            id="list-table",
        )

    def _page_size(self) -> int:
        settings = self.ctx.settings
        size = getattr(getattr(settings, "app", None), "page_size", None)
        return int(size) if isinstance(size, int) else self.PAGE_SIZE

    async def load_list(
        self,
        resource: str,
        lister: Callable[..., Awaitable[Any]],
        params: dict[str, Any],
        *,
        page: int,
        scoped: bool = True,
    ) -> Any:
        """One page of ``resource``: ``lister(**params)`` through the store, keyed by
        ``params`` (pages past ``CACHED_PAGES`` bypass the store)."""
        if self.CACHED_PAGES is not None and page > self.CACHED_PAGES:
            return await lister(**params)
        query = self.data_query(resource, lambda: lister(**params), scoped=scoped, **params)
        return await self.load_data(query)

    async def load_data(self, query: Any, *, fresh: bool = True) -> Any:
        """As ``PreoScreen.load_data``, but the first load of a freshly opened list (or of a
        new edition/organization) shows the cached page at once and revalidates it."""
        store = self.ctx.store
        if fresh and self._cache_first and store is not None:
            self._cache_first = False
            entry = store.peek(query)
            if entry is not None and entry.value is not None:
                self.mark_fresh(datetime.fromtimestamp(entry.fetched_at, UTC))
                self._revalidate_pending = True
                return entry.value
        self._cache_first = False
        return await super().load_data(query, fresh=fresh)

    async def _load_page(self, request: PageRequest) -> PageLike[T]:
        before = self.data_as_of
        page = await self.load_page(request)
        if self.data_as_of is before:  # load_data() already recorded the cached age
            self.mark_fresh(self.page_as_of(page))
        return page

    def page_as_of(self, page: PageLike[T]) -> datetime | None:
        """When the page's data was fetched (a cached page may carry ``as_of``)."""
        value = getattr(page, "as_of", None)
        return value if isinstance(value, datetime) else None

    @property
    def table(self) -> PagedTable[T]:
        return self.query_one("#list-table", PagedTable)

    def on_mount(self) -> None:
        """Nothing to do (Textual calls every class's ``on_mount`` itself; a subclass calling
        ``super().on_mount()`` is harmless)."""

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= self.WIDE_AT, "-wide")

    # -- list events --------------------------------------------------------------------------

    @on(PagedTable.CursorMoved, "#list-table")
    def _cursor_moved(self, event: PagedTable.CursorMoved) -> None:
        self.show_detail(event.item)

    @on(PagedTable.WindowChanged, "#list-table")
    def _window_changed(self, event: PagedTable.WindowChanged) -> None:
        self._window_label = event.label
        self._update_list_status()
        if self.focused is None:  # AUTO_FOCUS ran while the table was still loading
            self.table.focus()
        if self._revalidate_pending:  # the cached page is on screen: now ask the server
            self._revalidate_pending = False
            self.table.refresh_window()

    @on(PagedTable.MarksChanged, "#list-table")
    def _marks_changed(self, event: PagedTable.MarksChanged) -> None:
        self._update_list_status()

    def _update_list_status(self) -> None:
        parts = [self._window_label]
        marks = len(self.table.marks)
        if marks:
            parts.append(f"{marks:,} marked")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        if self.table.ordering:
            parts.append(f"sorted by {self.table.ordering}")
        text = " · ".join(parts)
        status = self.query_one("#list-status", Static)
        if getattr(status, "_preo_text", None) != text:  # one line: no layout pass
            status._preo_text = text  # type: ignore[attr-defined]  # a private marker attribute kept on the Static to skip redundant updates
            status.update(text, layout=False)

    # -- filter -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#list-filter", Input)
        box.add_class("-visible")
        box.value = self.filter_text
        box.focus()

    @on(Input.Submitted, "#list-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value)
        if not self.filter_text:
            event.input.remove_class("-visible")
        self.table.focus()

    @on(Input.Changed, "#list-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Debounced: apply when typing pauses for 300 ms.
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value
        self._filter_timer = self.set_timer(0.3, lambda: self.apply_filter(value))

    def apply_filter(self, text: str) -> None:
        text = text.strip()
        if text == self.filter_text:
            return
        self.filter_text = text
        self.table.set_search(text or None)
        self._update_list_status()

    def action_back(self) -> None:
        box = self.query_one("#list-filter", Input)
        if box.has_focus or self.filter_text:
            box.value = ""
            self.apply_filter("")
            box.remove_class("-visible")
            self.table.focus()
            return
        super().action_back()

    # -- refresh ------------------------------------------------------------------------------

    async def poll(self) -> None:
        await self.table.refresh_now()

    def context_changed(self) -> None:
        self.table.clear_marks()
        self._cache_first = True
        self.table.reload()
