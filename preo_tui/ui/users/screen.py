"""``:users`` — customers of the organization.

``/`` searches by email, phone or name (the contract's ``search``); ``t`` narrows the list to
the customers of the current edition (those with an order in it). Sorted by created, email or
last name. The detail pane shows the customer with their totals, the consents they granted and
their orders across the editions; ``e`` edits email, phone, name and language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Static

from preo_tui.api.consents import Consent
from preo_tui.api.orders import Order
from preo_tui.api.users import User
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.editions.fields import fmt_day, run_latest
from preo_tui.ui.errors import describe_error
from preo_tui.ui.formatting import enum_text, money
from preo_tui.ui.registry import register_screen
from preo_tui.ui.users.detail import UserDetail
from preo_tui.ui.users.form import UserFormModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageLike, PageRequest, SimplePage

#: The latest orders shown per customer.
USER_ORDERS = 25
DETAIL_DELAY = 0.2


@register_screen(
    "users",
    title="Customers",
    description="Customers: search by email, phone or name; orders, consents; edit",
    aliases=("customers",),
    needs_edition=False,
)
class UsersScreen(ListDetailScreen[User]):
    SCREEN_TITLE = "Customers"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("name", "Name", 17, ordering="last_name", min_width=14, priority=3),
        ColumnSpec("email", "Email", 24, ordering="email", min_width=18, priority=3, keep_end=True),
        ColumnSpec("phone", "Phone", 13),
        ColumnSpec("language", "Lang", 4),
        ColumnSpec("orders", "Orders", 6, justify="right"),
        ColumnSpec("spent", "Spent", 10, justify="right"),
        ColumnSpec("created", "Created", 10, ordering="created"),
    ]
    DEFAULT_ORDERING = "-created"
    #: Deep pages of 100,000 customers bypass the store (as on the orders screen).
    CACHED_PAGES = 2
    MARKABLE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        # enter, not e: the app's e (edition picker) keeps working here, as on :campaigns.
        Binding("enter", "edit", "Edit", id="users.edit"),
        Binding("t", "toggle_edition", "This edition", id="users.edition"),
        Binding("y", "copy_email", "Copy email", id="users.copy"),
        Binding("C", "open_consent", "Consent", id="users.consent"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "users.list": "(opens)",
        "users.get": "(cursor)",
        "users.update": "enter",
    }

    DEFAULT_CSS = """
    UsersScreen #filter-bar { height: 1; padding: 0 1; color: $text-muted; }
    UsersScreen.-wide #list-pane { width: 5fr; }
    UsersScreen.-wide #detail-pane { width: 3fr; }
    """

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.edition_only = False
        self._detail_timer: Timer | None = None
        self._detail_for: str | None = None
        self.consents: dict[str, Consent] | None = None
        self.edition_names: dict[str, str] = {}
        self.user_orders: dict[str, tuple[list[Order], int]] = {}
        #: Full customers read with "Retrieve user", by id.
        self.full_users: dict[str, User] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(self.scope_text(), id="filter-bar", markup=False)
        yield from super().compose_body()

    def compose_detail(self) -> ComposeResult:
        yield UserDetail(id="user-detail")

    @property
    def timezone(self) -> str | None:
        edition = self.ctx.edition
        return edition.timezone if edition else None

    def scope_text(self) -> str:
        edition = self.ctx.edition
        org = self.ctx.organization
        if self.edition_only and edition is not None:
            scope = f"customers with orders in {edition.name}"
        else:
            scope = f"all customers of {org.name if org else 'the organization'}"
        return f"{scope}   (/ search email, phone or name · t this edition only · enter edit)"

    # -- data ---------------------------------------------------------------------------------

    async def load_page(self, request: PageRequest) -> PageLike[User]:
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return SimplePage(0, [])
        edition = self.ctx.edition
        params = {
            "organization_id": org.id,
            "edition_id": edition.id if self.edition_only and edition else None,
            "search": request.search,
            "ordering": request.ordering,
            "page": request.page,
            "page_size": request.page_size,
        }
        page: PageLike[User] = await self.load_list(
            "users", client.users.list, params, page=request.page, scoped=False
        )
        return page

    def row_cells(self, item: User) -> Sequence[Any]:
        name = item.full_name or "—"
        return (
            name,
            item.email or "—",
            item.phone or "—",
            enum_text(item.language),
            f"{item.order_count:,}" if item.order_count is not None else "",
            Text(money(item.total_spent), justify="right"),
            fmt_day(item.created, self.timezone),
        )

    def context_changed(self) -> None:
        self.user_orders.clear()
        self.full_users.clear()
        self.consents = None
        self.edition_names = {}
        if self.is_attached:
            self.query_one("#filter-bar", Static).update(self.scope_text())
        super().context_changed()

    def action_toggle_edition(self) -> None:
        if self.ctx.edition is None:
            self.notify("No current edition (press e on :editions).", severity="warning")
            return
        self.edition_only = not self.edition_only
        self.query_one("#filter-bar", Static).update(self.scope_text())
        self.table.reload()

    # -- detail -------------------------------------------------------------------------------

    @property
    def detail(self) -> UserDetail:
        return self.query_one(UserDetail)

    def show_detail(self, item: User | None) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        self._detail_for = item.id if item is not None else None
        if item is None:
            self.detail.show(None, self.timezone)
            return
        cached = self.user_orders.get(item.id)
        self.detail.show(
            self.newest(item),
            self.timezone,
            orders=cached[0] if cached else None,
            orders_total=cached[1] if cached else None,
            consents=self.consents,
            editions=self.edition_names,
        )
        self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._fetch_detail(item))

    def newest(self, item: User) -> User:
        """The full customer (Retrieve user) unless the row was written since."""
        full = self.full_users.get(item.id)
        if full is None:
            return item
        if (
            item.modified is not None
            and full.modified is not None
            and item.modified > full.modified
        ):
            return item
        return full

    def _fetch_detail(self, user: User) -> None:
        self._detail_timer = None
        run_latest(self, partial(self.load_detail, user), group="user-detail")

    async def _load_lookups(self) -> None:
        """Consent names and edition names of the organization (cached for the screen)."""
        client = self.ctx.client
        org = self.ctx.organization
        if client is None or org is None:
            return
        if self.consents is None:
            q = self.data_query(
                "consents",
                lambda: client.consents.list(organization_id=org.id, page_size=200),
                scoped=False,
                organization_id=org.id,
                page_size=200,
            )
            try:
                page = await self.load_data(q, fresh=False)
                self.consents = {c.id: c for c in page.results}
            except Exception as exc:
                if describe_error(exc).kind not in ("Unsupported", "PermissionDenied"):
                    raise
                self.consents = {}
        if not self.edition_names:
            names = {e.id: e.name for e in self.preo_app.editions}
            q = self.data_query(
                "editions",
                lambda: client.editions.list(organization_id=org.id, page_size=200),
                scoped=False,
                organization_id=org.id,
                page_size=200,
            )
            page = await self.load_data(q, fresh=False)
            names.update({e.id: e.name or e.id for e in page.results})
            self.edition_names = names

    async def load_detail(self, user: User) -> None:
        client = self.ctx.client
        if client is None:
            return
        orders_q = self.data_query(
            "orders",
            lambda: client.orders.list(
                customer_id=user.id, ordering="-created", page_size=USER_ORDERS
            ),
            scoped=False,
            customer_id=user.id,
            ordering="-created",
            page_size=USER_ORDERS,
        )
        lookups, page, full = await asyncio.gather(
            self._load_lookups(), self.load_data(orders_q), client.users.get(user.id)
        )
        del lookups
        # Retrieve user: the full object replaces the list row in the detail pane
        self.full_users[user.id] = full
        orders = list(page.results)
        self.user_orders[user.id] = (orders, page.count)
        if self._detail_for == user.id and self.is_attached:
            current = self.newest(self.table.current_item or user)
            self.detail.show(
                current,
                self.timezone,
                orders=orders,
                orders_total=page.count,
                consents=self.consents,
                editions=self.edition_names,
            )

    # -- edit ---------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#list-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_edit(self) -> None:
        user = self.table.current_item
        if user is None:
            return
        user = self.newest(user)
        if self.ctx.read_only:
            self.notify("This profile is read-only.", severity="warning", timeout=4)
            return
        if self.ctx.offline:
            self.notify("Offline: writes are refused.", severity="warning", timeout=4)
            return
        self.run_job(self._edit(user), group="user-form", exclusive=True)

    async def _choices(self) -> dict[str, list[Any]] | None:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return None
        eid = edition.id
        q = self.data_query(
            "editions",
            lambda: client.editions.field_choices(eid),
            scoped=False,
            id=eid,
            view="field-choices",
        )
        try:
            choices: dict[str, list[Any]] = await self.load_data(q, fresh=False)
        except Exception as exc:
            if describe_error(exc).kind in ("Unsupported", "NotFound", "PermissionDenied"):
                return None  # the contract's lists
            raise
        return choices

    async def _edit(self, user: User) -> None:
        choices = await self._choices()

        def done(result: User | None) -> None:
            if isinstance(result, User):
                self.full_users[result.id] = result
                self.table.update_item(result)
                self.notify(f"Saved {result.email or result.id}", timeout=3)
                self.user_orders.pop(result.id, None)

        self.app.push_screen(UserFormModal(self.ctx, user, choices=choices), callback=done)

    def action_copy_email(self) -> None:
        user = self.table.current_item
        if user is not None and user.email:
            self.preo_app.copy_text(user.email, what="email")

    def action_open_consent(self) -> None:
        """Jump to ``:consents`` on one of the consents the customer granted (asks which when
        there are several)."""
        user = self.table.current_item
        granted = list(user.consents or []) if user is not None else []
        if not granted:
            self.notify("This customer granted no consent.", severity="warning", timeout=3)
            return
        from preo_tui.ui.consents.screen import open_consent

        if len(granted) == 1:
            open_consent(self.app, granted[0])
            return
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        names = self.consents or {}
        choices = [Choice(cid, names[cid].name or cid if cid in names else cid) for cid in granted]

        def chosen(value: str | None) -> None:
            if value:
                open_consent(self.app, value)

        self.app.push_screen(ChoiceModal("Open which consent?", choices), callback=chosen)
