"""The refund queue (``:refunds``): review, approve and reject refund requests, one at a time or
in bulk, and watch approved ones move through the payment side.

Layout: the queue (server-paged) with a filter bar and the count and total amount of what
matches, a strip of this session's decisions with their live status, and the detail pane
(``detail.py``) beside the list on wide terminals and below it on narrow ones.

Keys: ``a`` approve (optional comment) and ``x`` reject (reason required) — confirmed in one
dialog; the cursor moves to the next request as soon as it is confirmed, so a queue is worked
with ``a`` ``enter`` per item (``decisions.py``). With marks (``space``, ``shift+↑/↓``, ``M``
marks everything the filter matches across pages, ``u`` clears) ``a``/``x`` act on the marked
requests after the count is typed. ``f`` filters (statuses, reason, amount range, date range),
``t`` toggles all editions of the organization, ``/`` free text, ``o`` sort, ``n`` creates a
refund request for a purchase of the order in the detail pane.

Exactly once: every decision is a durable action (``preo_tui.actions``): one idempotency key,
journalled before it is sent, resolved by re-reading the request when its answer is lost —
never by sending a different action. The journal: palette › Journal, ``:journal`` or ``L``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.geometry import Region
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from preo_tui.actions import Action as Durable
from preo_tui.api.refunds import RefundRequest
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.formatting import money, value_of
from preo_tui.ui.list_actions import writable_or_warn
from preo_tui.ui.refunds.common import keys_pending, refundable, total, words
from preo_tui.ui.refunds.decide import Action, DecisionModal
from preo_tui.ui.refunds.decisions import PendingCheck, RefundDecisions, RowOutcome
from preo_tui.ui.refunds.detail import DetailData, RefundDetailPane
from preo_tui.ui.refunds.filters import RefundFilterModal, RefundFilters
from preo_tui.ui.refunds.live import RefundLive
from preo_tui.ui.refunds.rows import COLUMNS, row_cells, status_cell
from preo_tui.ui.registry import register_screen
from preo_tui.ui.widgets.paged_table import ColumnSpec, PagedTable, PageLike, PageRequest

#: At most this many requests are marked by "mark all matching".
MARK_ALL_LIMIT = 10_000


@register_screen(
    "refunds",
    title="Refund requests",
    description="Review, approve and reject refund requests",
    aliases=("rfr", "refund"),
)
class RefundsScreen(RefundDecisions, RefundDetailPane, RefundLive, ListDetailScreen[RefundRequest]):
    SCREEN_TITLE = "Refunds"
    #: The decision's facts first; the rest shares what is left (``rows.py``).
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = COLUMNS
    #: Oldest first: the queue is worked in the order requests came in.
    DEFAULT_ORDERING = "created"
    WIDE_AT = 120

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", id="refunds.approve"),
        Binding("x", "reject", "Reject", id="refunds.reject"),
        # The burst path (decisions.py): right after a confirmed decision, the next a/x acts
        # when the app reads it, so its dialog is up before the enter that follows is routed.
        # Same key, description and id (a keymap remaps both; the footer and ? show one).
        Binding("a", "approve_burst", "Approve", priority=True, id="refunds.approve"),
        Binding("x", "reject_burst", "Reject", priority=True, id="refunds.reject"),
        Binding("n", "new_refund", "New refund", id="refunds.new"),
        Binding("N", "refund_order", "Refund order", id="refunds.refund_order"),
        Binding("f", "filters", "Filters", id="refunds.filters"),
        Binding("t", "toggle_editions", "All editions", id="refunds.all_editions"),
        Binding("M", "mark_all", "Mark all matching", id="refunds.mark_all"),
        Binding("u", "clear_marks", "Unmark all", id="refunds.unmark"),
        Binding("L", "journal", "Journal", show=False, id="refunds.journal"),
    ]

    DEFAULT_CSS = """
    RefundsScreen #refund-summary { height: auto; padding: 0 1; background: $panel; }
    RefundsScreen #refund-blocked { height: auto; padding: 0 1; color: $warning; display: none; }
    RefundsScreen #refund-blocked.-visible { display: block; }
    RefundsScreen #refund-activity { height: 5; display: none;
        border-top: solid $panel-lighten-2; }
    RefundsScreen #refund-activity.-visible { display: block; }
    RefundsScreen #list-pane { height: 3fr; }
    RefundsScreen #detail-pane { height: 2fr; }
    RefundsScreen.-wide #list-pane { height: 1fr; }
    RefundsScreen.-wide #detail-pane { width: 48; height: 1fr; }
    RefundsScreen.-wide #refund-activity { height: 8; }
    RefundsScreen.-wide #list-pane { width: 1fr; }
    RefundsScreen #refund-detail { width: 100%; min-height: 100%; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.filters = RefundFilters()
        #: Every request seen (pages, mark-all, decisions), by id: marks outside the window
        #: still know their amount and status.
        self.known: dict[str, RefundRequest] = {}
        self.outcomes: dict[str, RowOutcome] = {}
        #: Ids with a decision under way (dialog open, request in flight, or being checked).
        self.busy: set[str] = set()
        #: One durable action per logical decision, kept until its outcome is known (a retry
        #: reuses its idempotency key).
        self.decisions: dict[tuple[str, str], Durable] = {}
        #: Requests decided in this session (the activity strip), oldest first.
        self.tracked: dict[str, RefundRequest] = {}
        self.pending_checks: dict[str, PendingCheck] = {}
        self.details: dict[str, DetailData] = {}
        self.total_count: int | None = None
        self.total_amount: Decimal | None = None
        self.total_is_window = False
        self.bulk_running = False
        self.amount_filter_ignored = False
        self._detail_timer: Timer | None = None
        #: What the filter bar and the "disabled" line show (updated only when they change).
        self.summary_text = ""
        self.blocked_text = ""
        self._shown_id: str | None = None
        self._detail_height = -1
        self._window_read_at = 0.0
        self._context_key: tuple[str | None, str | None] | None = None
        #: While the decision dialog closes: what it drew over the queue, all that whole-screen
        #: repaints need to repaint (``dialog_closing``).
        self._narrow_repaint: list[Region] | None = None
        self._bindings_before_dialog: dict[str, ActiveBinding] | None = None

    # -- composition --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Container(id="list-detail"):
            with Vertical(id="list-pane"):
                yield Static("", id="refund-summary", markup=False)
                yield Static("", id="refund-blocked", markup=False)
                yield Input(placeholder="filter (enter applies, escape clears)", id="list-filter")
                yield self.build_table()
                yield Static(self._window_label, id="list-status", markup=False)
                yield DataTable(id="refund-activity", cursor_type="none", show_cursor=False)
            with VerticalScroll(id="detail-pane"):
                yield Static("", id="refund-detail")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch_keys(self.table)
        activity = self.query_one("#refund-activity", DataTable)
        for label, key, width in (
            ("Decided", "when", 7),
            ("Order", "order", 11),
            ("Amount", "amount", 9),
            ("Decision", "action", 8),
            ("Status", "status", 16),
            ("Note", "note", 40),
        ):
            activity.add_column(label, key=key, width=width)
        self._context_key = self._current_context_key()
        self._update_summary()

    # -- closing the decision dialog ------------------------------------------------------------

    def dialog_closing(self, regions: list[Region], closed: AwaitComplete) -> None:
        """The decision dialog is closing (``closed``: its pop and removal); it drew
        ``regions`` over this screen, which it does not tint.

        Textual repaints the whole screen that comes back on top (asked for when the dialog
        opened, and again by the pop, the resume and the removal of the dialog's widgets):
        every line of the queue composed again and, in a terminal, every cell written. Here
        nothing but the dialog's box changed on screen (rows that changed meanwhile are dirty
        on their own: the decided one, the cursor's), so until the dialog is gone and a frame
        is drawn, a whole-screen repaint repaints what the dialog drew. The frame that
        confirms a decision then writes the box's area, the decided row and the cursor's
        rows."""
        if self.size != self.app.size or not regions:
            return  # resized meanwhile: the whole screen is laid out and drawn again anyway
        self._narrow_repaint = regions

        def gone(_: object) -> None:
            self.call_after_refresh(self._forget_narrow_repaint)

        closed._future.add_done_callback(gone)  # Textual's AwaitComplete: no public hook

    def _forget_narrow_repaint(self) -> None:
        self._narrow_repaint = None

    @on(events.ScreenSuspend)
    def _suspended_after_dialog(self) -> None:
        """Another screen on top (the bulk reject's typed confirmation right after its reason
        dialog): whatever it does to the screen, coming back repaints it all."""
        self._narrow_repaint = None

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys of this screen (its footer's): while the decision dialog is up over it,
        the keys it had before the dialog opened.

        Under any dialog, Textual asks again and the app's single-letter keys drop out (they
        are inactive in a dialog), so the footer behind mounts its dozen keys afresh as the
        dialog opens and again as it closes: tens of milliseconds each, which delayed sending
        the decision confirmed in that frame (its journal write waits for the loop). Behind
        the decision dialog the footer is the queue's, unchanged (the dialog's own keys are
        on its buttons); nothing there acts until it closes."""
        stack = self.app.screen_stack
        above = stack[-1] if len(stack) > 1 and stack[-2] is self else None
        kept = self._bindings_before_dialog
        if isinstance(above, DecisionModal) and kept is not None:
            return kept
        bindings = super().active_bindings
        self._bindings_before_dialog = bindings if stack and stack[-1] is self else None
        return bindings

    def _exchange_repaint_regions(self) -> Collection[Region]:
        """What Textual repaints of this screen now: while the decision dialog closes, the
        whole screen stands for what the dialog drew (``dialog_closing``)."""
        regions = super()._exchange_repaint_regions()
        narrow = self._narrow_repaint
        whole = self.outer_size.region
        if narrow is None or whole not in regions:
            return regions
        return [region for region in regions if region != whole] + narrow

    # -- the list -----------------------------------------------------------------------------

    @property
    def currency(self) -> str | None:
        edition = self.ctx.edition
        return edition.currency if edition is not None else None

    def list_params(self, request: PageRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "page": request.page,
            "page_size": request.page_size,
            "ordering": request.ordering,
            "search": request.search,
        }
        ctx = self.ctx
        if self.filters.all_editions and ctx.organization is not None:
            params["organization_id"] = ctx.organization.id
        elif ctx.edition is not None:
            params["edition_id"] = ctx.edition.id
        params.update(self.filters.query_params())
        return params

    async def load_page(self, request: PageRequest) -> PageLike[RefundRequest]:
        client = self.ctx.client
        if client is None:
            raise RuntimeError("not signed in")
        params = self.list_params(request)
        key_params = {k: str(v) if v is not None else None for k, v in params.items()}

        async def loader() -> Any:
            return await client.refunds.list(**params)

        query = self.data_query("refunds", loader, scoped=False, **key_params)
        page: Any = await self.load_data(query)
        self._remember_page(page)
        return page  # type: ignore[no-any-return]  # the store's entries are untyped values

    def _remember_page(self, page: Any) -> None:
        results: list[RefundRequest] = list(page.results)
        for item in results:
            self.known[item.id] = item
        self.total_count = int(page.count)
        if self.filters.has_amount and any(
            not self.filters.matches_amount(item.amount) for item in results
        ):
            # The server ignored amount_min/amount_max ([ours] parameters): say so.
            self.amount_filter_ignored = True
        reported = getattr(page, "total_amount", None)
        if reported is None:
            extras = getattr(page, "extra_fields", None) or {}
            reported = extras.get("total_amount") if isinstance(extras, dict) else None
        if reported is not None:
            try:
                self.total_amount = Decimal(str(reported))
                self.total_is_window = False
            except ArithmeticError:
                reported = None
        if reported is None:
            self.total_is_window = True
            self.total_amount = None
        self.call_later(self._update_summary)

    def row_cells(self, item: RefundRequest) -> Sequence[Any]:
        self.known[item.id] = item
        return row_cells(item, self.details.get(item.id), self.outcomes.get(item.id))

    def status_cell(self, item: RefundRequest) -> Text:
        return status_cell(item, self.outcomes.get(item.id))

    # -- summary and reasons ------------------------------------------------------------------

    def _update_summary(self) -> None:
        if not self.is_mounted:
            return
        parts: list[str] = []
        if self.total_count is not None:
            noun = "request" if self.total_count == 1 else "requests"
            parts.append(f"{self.total_count:,} {noun}")
            if self.total_amount is not None:
                parts.append(f"total {money(self.total_amount, self.currency)}")
            else:
                window = self.table.items if self.table.is_mounted else []
                shown = total(i.amount for i in window)
                if window and len(window) >= (self.total_count or 0):
                    parts.append(f"total {money(shown, self.currency)}")
                elif window:
                    parts.append(f"loaded rows {money(shown, self.currency)}")
        marks = self.table.marks if self.table.is_mounted else set()
        if marks:
            marked_total = total(self.known[i].amount for i in marks if i in self.known)
            parts.append(f"{len(marks):,} marked ({money(marked_total, self.currency)})")
        parts.append(self.filters.describe())
        if self.amount_filter_ignored:
            parts.append("server ignores the amount filter")
        summary = " · ".join(parts)
        if summary != self.summary_text:
            self.summary_text = summary
            with contextlib.suppress(Exception):
                # It wraps at narrow widths (height: auto): a new layout when it changes.
                self.query_one("#refund-summary", Static).update(summary)
        blocked = self.global_block_reason()
        text = f"Approve/reject disabled: {blocked}" if blocked else ""
        if text != self.blocked_text:
            self.blocked_text = text
            with contextlib.suppress(Exception):
                widget = self.query_one("#refund-blocked", Static)
                widget.update(text)
                widget.set_class(bool(blocked), "-visible")

    @on(PagedTable.MarksChanged, "#list-table")
    @on(PagedTable.WindowChanged, "#list-table")
    def _refund_list_changed(self) -> None:
        self._update_summary()
        if self.focused is None and self.is_current:
            # AUTO_FOCUS cannot focus the table while it shows its loading overlay.
            self.table.focus()

    def global_block_reason(self) -> str | None:
        """Why no decision can be made at all (None: decisions are possible)."""
        ctx = self.ctx
        if ctx.read_only:
            return "this profile is read-only."
        if ctx.offline:
            return "offline — decisions are refused until the server answers again."
        if ctx.client is None:
            return "not signed in."
        role = ctx.role
        if role not in ("admin", "manager"):
            return f"your role ({role or 'none'}) cannot approve or reject refunds."
        return None

    def item_block_reason(self, item: RefundRequest, action: Action) -> str | None:
        """Why ``item`` cannot get ``action`` now (None: it can)."""
        if item.id in self.busy:
            return "a decision on this request is already under way."
        status = value_of(item.status)
        if status != "requested":
            return f"this request is {words(status)}; only requested ones can be decided."
        allowed = item.can_approve if action == "approve" else item.can_reject
        if allowed is False:
            return f"the server does not allow you to {action} this request."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve_burst", "reject_burst"):
            # Only straight after a confirmed decision, with no other key typed in between
            # (else the key takes the ordinary path, after the keys typed before it).
            return (
                self.burst_ready()
                and not isinstance(self.focused, Input)
                and not keys_pending(self.focused or self)
            )
        if action in ("approve", "reject") and self.global_block_reason() is not None:
            return None  # shown disabled; the reason is on screen
        return True

    # -- context ------------------------------------------------------------------------------

    def _current_context_key(self) -> tuple[str | None, str | None]:
        ctx = self.ctx
        return (
            ctx.organization.id if ctx.organization else None,
            ctx.edition.id if ctx.edition else None,
        )

    def context_changed(self) -> None:
        """A new edition or organization starts over; a connection or profile change only
        updates what is allowed (marks and outcomes stay)."""
        key = self._current_context_key()
        self.refresh_bindings()
        if key != self._context_key:
            self._context_key = key
            self.outcomes.clear()
            self.details.clear()
            self.amount_filter_ignored = False
            self.table.clear_marks()
            self.table.reload()
        self._update_summary()
        self.show_detail(self.table.current_item)

    # -- filters ------------------------------------------------------------------------------

    def action_filters(self) -> None:
        def chosen(value: RefundFilters | None) -> None:
            if value is not None:
                self.set_filters(value)

        self.app.push_screen(RefundFilterModal(self.filters), callback=chosen)

    def action_toggle_editions(self) -> None:
        self.set_filters(replace(self.filters, all_editions=not self.filters.all_editions))

    def set_filters(self, filters: RefundFilters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self.amount_filter_ignored = False
        self._update_summary()
        self.table.reload()

    # -- marks --------------------------------------------------------------------------------

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_mark_all(self) -> None:
        self.run_job(self._mark_all(), group="refund-mark-all", exclusive=True)

    async def _mark_all(self) -> None:
        """Mark every request the current filter matches, across pages (by id)."""
        client = self.ctx.client
        if client is None:
            return
        params = self.list_params(
            PageRequest(
                page=1, page_size=500, ordering=self.table.ordering, search=self.table.search
            )
        )
        params.pop("page", None)
        self.set_status_note("marking everything the filter matches…")
        ids: list[str] = []
        try:
            async for item in client.refunds.iterate(**params):
                self.known[item.id] = item
                ids.append(item.id)
                if len(ids) >= MARK_ALL_LIMIT:
                    self.notify(
                        f"Marked the first {MARK_ALL_LIMIT:,} matching requests only.",
                        severity="warning",
                    )
                    break
        finally:
            self.set_status_note("")
        self.table.add_marks(ids)
        self.notify(f"Marked {len(ids):,} requests matching the filter.", timeout=4)

    # -- create -------------------------------------------------------------------------------

    def action_refund_order(self) -> None:
        """A refund request for the whole order of the request under the cursor
        (``transaction_full`` / ``transaction_custom``)."""
        item = self.table.current_item
        if item is None:
            self.notify("Select a request whose order to refund.", severity="warning", timeout=4)
            return
        if not writable_or_warn(self, refuse_offline=True):  # the shared "Not possible now"
            return
        order_id = item.order_id
        if not order_id:
            self.notify("This request names no order.", severity="warning", timeout=4)
            return
        self.run_job(self._refund_order(order_id), group="refund-new", exclusive=True)

    async def _refund_order(self, order_id: str) -> None:
        from preo_tui.ui.orders.transaction_refund import open_for_order_id

        result = await open_for_order_id(self, order_id)
        if result is not None:
            self.notify(f"Refund request {result.id} created for the whole order.", timeout=5)
            self.table.reload()

    def action_new_refund(self) -> None:
        item = self.table.current_item
        if item is None:
            self.notify("Select a request whose order to refund.", severity="warning", timeout=4)
            return
        if self.ctx.read_only:
            self.notify("Cannot create a refund: this profile is read-only.", severity="warning")
            return
        self.run_job(self._new_refund(item), group="refund-new", exclusive=True)

    async def _new_refund(self, item: RefundRequest) -> None:
        from preo_tui.ui.refunds.form import open_refund_form
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        detail = self.details.get(item.id)
        if detail is None:
            await self._load_detail(item)
            detail = self.details.get(item.id)
        order = detail.order if detail else None
        purchases = list(order.purchases or []) if order is not None else []
        if not purchases and detail is not None and detail.purchase is not None:
            purchases = [detail.purchase]
        if not purchases:
            self.notify("The order's purchases could not be loaded.", severity="warning")
            return
        purchase = purchases[0]
        if len(purchases) > 1:
            current = next((p for p in purchases if p.id == item.purchase_id), purchases[0])
            choices = [
                Choice(
                    p,
                    f"{p.product_name or p.id} · {money(p.amount)} · left {money(refundable(p))}",
                    disabled=(refundable(p) or Decimal(0)) <= 0,
                    reason="Nothing left to refund on this purchase.",
                )
                for p in purchases
            ]
            picked = await self.app.push_screen_wait(
                ChoiceModal("Refund which purchase?", choices, current=current)
            )
            if picked is None:
                return
            purchase = picked
        created = await open_refund_form(self, purchase, order=order)
        if created is not None:
            self.known[created.id] = created
            self.details.pop(item.id, None)
            self.notify(
                f"Refund request created: {money(created.amount, self.currency)} "
                f"({words(created.status)}).",
                timeout=5,
            )
            self.table.refresh_window()
            self.show_detail(self.known.get(item.id, item))

    # -- journal ------------------------------------------------------------------------------

    def action_journal(self) -> None:
        self.preo_app.jump("journal")


__all__ = ["DetailData", "PendingCheck", "RefundsScreen", "RowOutcome"]
